"""`chibo demo`: load the demo data (idempotent) and print the demo accounts."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from chibo.followup.demo import load_inspections, load_proposals
from chibo.meetings.demo import load_meeting_history
from chibo.notify import worker as notify_worker
from chibo.org import demo
from chibo.org.models import Unit
from chibo.quality.demo import score_demo_meetings
from chibo.reports.history import generate_history, has_history

ROLE_LABELS = {
    "admin": "Quản trị",
    "officer": "Cán bộ tổ chức",
    "secretary": "Bí thư chi bộ",
    "clerk": "Thư ký (ghi biên bản)",
    "member": "Đảng viên",
    "attendee": "Cấp ủy viên cấp trên dự sinh hoạt",
}

COUNT_LABELS = [
    ("mid_committees", "đảng bộ trực thuộc tỉnh"),
    ("grassroots_committees", "đảng ủy cơ sở"),
    ("grassroots_cells", "chi bộ cơ sở"),
    ("cells", "chi bộ trực thuộc đảng ủy cơ sở"),
    ("members", "đảng viên"),
    ("probationary", "dự bị"),
    ("exempted", "đang miễn sinh hoạt"),
    ("attached", "đang sinh hoạt tạm thời nơi khác"),
]


def _number(n: int) -> str:
    return f"{n:,}".replace(",", ".")


class Command(BaseCommand):
    help = (
        "Nạp dữ liệu mẫu: một tỉnh nhỏ (mặc định) hoặc tỉnh quy mô thật (--scale province). "
        "Chạy lại không tạo trùng."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            choices=["small", "province"],
            default="small",
            help="small: tỉnh mẫu nhỏ (~200 đảng viên); province: tỉnh theo số liệu seed 004 "
            "(62.053 đảng viên).",
        )
        parser.add_argument(
            "--fraction",
            type=float,
            default=1.0,
            help="Với --scale province: thu nhỏ mọi số lượng theo tỉ lệ này (ví dụ 0.1).",
        )

    def handle(self, *args, scale: str, fraction: float, **options):
        made = 0
        if scale == "small":
            result = demo.load_small_demo()
            made = load_meeting_history(result.province)
            load_proposals(result.province)
            load_inspections(result.province)
            score_demo_meetings(result.province)
            # The notifications of the demo's own history (finalised minutes, tasks, answers),
            # so the demo accounts have some; `chibo worker` would run the same jobs.
            notify_worker.run_ready("demo")
        else:
            if not 0 < fraction <= 1:
                raise CommandError("--fraction phải lớn hơn 0 và không quá 1.")
            if not Unit.objects.filter(code=demo.PROVINCE_CODE).exists():
                self.stdout.write("Đang tạo tỉnh mẫu quy mô thật (seed 004)…")
            started = time.perf_counter()
            try:
                result = demo.generate_province(scale=fraction, progress=self._progress)
            except ValueError as exc:
                raise CommandError(f"Không tạo được tỉnh mẫu: {exc}") from exc
            history = 0
            if not has_history(result.province):
                history = generate_history(result.province, progress=self._history_progress)
            if history:
                self.stdout.write(f"  {_number(history)} buổi sinh hoạt của 5 năm qua.")
            if result.created or history:
                self.stdout.write(f"  Tổng thời gian: {time.perf_counter() - started:.1f} giây")
        self._report(result, meetings_made=made)

    def _history_progress(self, year: str, seconds: float) -> None:
        self.stdout.write(f"  Lịch sử sinh hoạt năm {year}: {seconds:.1f} giây (cộng dồn)")

    def _progress(self, label: str, seconds: float) -> None:
        self.stdout.write(f"  {label}: {seconds:.1f} giây")

    def _report(self, result: demo.DemoResult, *, meetings_made: int = 0) -> None:
        province, counts = result.province, result.counts
        if result.created:
            self.stdout.write(
                self.style.SUCCESS(f"Đã tạo dữ liệu mẫu «{province.name}» (mã {province.code}).")
            )
        else:
            self.stdout.write(
                f"Dữ liệu mẫu «{province.name}» (mã {province.code}) đã có sẵn; không tạo lại."
            )
        parts = [f"{_number(counts[key])} {label}" for key, label in COUNT_LABELS if counts[key]]
        self.stdout.write("  " + ", ".join(parts) + ".")
        if meetings_made:
            self.stdout.write(f"  {meetings_made} buổi sinh hoạt mẫu (12 tháng qua và tháng tới).")
        self.stdout.write("")
        if not result.accounts:
            self.stdout.write("Không có tài khoản mẫu nào (tên đăng nhập đã bị dùng?).")
            return
        self.stdout.write(f"Tài khoản mẫu — mật khẩu chung: {demo.DEMO_PASSWORD}")
        rows = [("Tên đăng nhập", "Vai trò", "Đơn vị", "Đảng viên")] + [
            (a.username, ROLE_LABELS.get(a.role, a.role), a.unit_name, a.member_name or "—")
            for a in result.accounts
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        for n, row in enumerate(rows):
            self.stdout.write(
                "  " + "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip()
            )
            if n == 0:
                self.stdout.write("  " + "  ".join("-" * w for w in widths))
