"""The follow-up side of the demo's year of meetings: before each regular meeting is
finalised, it decides on the tasks of earlier meetings — most done, some carried over, a few
dropped — so the demo shows open, overdue, carried-over and closed tasks."""

from __future__ import annotations

import datetime
import random

from django.utils import timezone

from chibo.meetings.models import Meeting
from chibo.org.models import CELL_KINDS, Unit

from . import selectors, services
from .models import ACTIVE_STATUSES, Inspection, Proposal, ReviewDecision, Task, TaskReport

DROP_REASONS = [
    "Xã đã điều chỉnh kế hoạch, việc này không còn phù hợp.",
    "Đã giao cho chi hội phụ nữ thực hiện theo kế hoạch của xã.",
]
ASSESSMENTS = [
    "Hoàn thành đúng hạn, nhân dân đồng tình.",
    "Đã hoàn thành, còn chậm so với kế hoạch.",
    "Chưa xong do thời tiết; cần tiếp tục vận động.",
    "Đang triển khai, đạt khoảng một nửa khối lượng.",
]


def review_tasks(meeting: Meeting, rng: random.Random) -> None:
    _report_some_done(meeting, rng)
    for line in selectors.review_lines(meeting):
        if line.review is not None or not line.task.is_active:
            continue
        if not line.needs_decision:
            if rng.random() < 0.5:
                services.review_save(meeting=meeting, task=line.task, by=None,
                                     decision=ReviewDecision.UNDER_WAY,
                                     note=ASSESSMENTS[3])  # fmt: skip
            continue
        roll = rng.random()
        if roll < 0.72:
            decision, note, new_deadline = ReviewDecision.DONE, rng.choice(ASSESSMENTS[:2]), None
        elif roll < 0.94:
            decision, note = ReviewDecision.CARRIED, ASSESSMENTS[2]
            new_deadline = meeting.date + datetime.timedelta(days=rng.randint(20, 35))
        else:
            decision, note, new_deadline = ReviewDecision.DROPPED, rng.choice(DROP_REASONS), None
        services.review_save(meeting=meeting, task=line.task, by=None, decision=decision,
                             new_deadline=new_deadline, note=note)  # fmt: skip


def _report_some_done(meeting: Meeting, rng: random.Random) -> None:
    """Between two meetings, members report about half the tasks done, mostly in time."""
    for task in selectors.tasks_to_review(meeting).filter(status__in=ACTIVE_STATUSES):
        if rng.random() >= 0.5:
            continue
        report = services.task_report(task=task, by=None, member=task.assignees.first(),
                                      note=rng.choice(ASSESSMENTS[:2]), done=True)  # fmt: skip
        # Demo shortcut: the report is dated in the past, between the task's meeting and this one.
        latest = min(task.deadline + datetime.timedelta(days=3), meeting.date)
        span = max((latest - task.meeting.date).days - 1, 1)
        day = task.meeting.date + datetime.timedelta(days=rng.randint(1, span))
        Task.objects.filter(pk=task.pk).update(closed_on=day)
        TaskReport.objects.filter(pk=report.pk).update(
            created_at=timezone.make_aware(datetime.datetime.combine(day, datetime.time(20, 0)))
        )


PROPOSALS = [
    (
        "Hỗ trợ xi măng làm đường liên thôn",
        "Nhân dân đã góp công và 40% kinh phí; đề nghị hỗ trợ xi măng cho 1,2 km còn lại.",
    ),
    (
        "Lắp đèn chiếu sáng đường làng",
        "Đoạn đường từ nhà văn hóa ra cánh đồng chưa có đèn, đảng viên và nhân dân đi họp tối khó khăn.",
    ),
    (
        "Tài liệu học tập chuyên đề năm",
        "Đề nghị cấp thêm tài liệu chuyên đề cho đảng viên cao tuổi, in chữ to.",
    ),
    (
        "Mở lớp bồi dưỡng cấp ủy viên",
        "Chi ủy mới kiện toàn, đề nghị mở lớp bồi dưỡng nghiệp vụ công tác đảng.",
    ),
]


def load_proposals(province: Unit) -> int:
    """A few proposals per commune of the small demo: answered, forwarded up, rejected, and
    one waiting past its due date. Idempotent: nothing when the province has any."""
    if Proposal.objects.filter(cell__path__startswith=province.path).exists():
        return 0
    officer = None  # the demo acts as the system
    made = 0
    cells = Unit.objects.filter(path__startswith=province.path, kind__in=CELL_KINDS,
                                is_active=True).order_by("path")  # fmt: skip
    for i, cell in enumerate(cells[:8]):
        title, text = PROPOSALS[i % len(PROPOSALS)]
        proposal = services.proposal_send(cell=cell, by=None, title=title, text=text)
        made += 1
        outcome = i % 4
        if outcome == 0:
            services.proposal_answer(proposal=proposal, by=officer, answer=(
                "Đảng ủy giao UBND xã bố trí trong kế hoạch quý tới; chi bộ vận động nhân dân "
                "chuẩn bị mặt bằng."))  # fmt: skip
        elif outcome == 1 and proposal.current_unit.depth > 1:
            services.proposal_forward(proposal=proposal, by=officer, note=(
                "Vượt thẩm quyền về kinh phí của xã; Đảng ủy đã tiếp thu, ghi nhận và báo cáo "
                "cấp trên."))  # fmt: skip
        elif outcome == 2:
            services.proposal_reject(proposal=proposal, by=officer, reason=(
                "Nội dung đã có trong kế hoạch năm của xã, đang triển khai."))  # fmt: skip
        else:
            # Waiting, and late: sent long ago.
            Proposal.objects.filter(pk=proposal.pk).update(
                created_at=timezone.now() - datetime.timedelta(days=45),
                due_on=timezone.localdate() - datetime.timedelta(days=15),
            )
    return made


def load_inspections(province: Unit) -> int:
    """One concluded inspection with its fixes (one done) and one planned supervision, under
    the province's first commune committee. Idempotent: nothing when the province has any."""
    if Inspection.objects.filter(committee__path__startswith=province.path).exists():
        return 0
    committee = (
        Unit.objects.filter(path__startswith=province.path, depth=province.depth + 1,
                            is_active=True)
        .exclude(kind__in=CELL_KINDS).order_by("path").first()
    )  # fmt: skip
    cells = list(
        Unit.objects.filter(path__startswith=committee.path, kind__in=CELL_KINDS, is_active=True)
        .order_by("path")[:2]
    ) if committee else []  # fmt: skip
    if not cells:
        return 0
    today = timezone.localdate()
    last_year = today.year - 1
    inspection = services.inspection_plan(
        committee=committee, by=None, year=today.year, target=cells[0], kind="inspection",
        subject="việc chấp hành chế độ sinh hoạt chi bộ và thực hiện nghị quyết",
        planned_month=max(today.month - 1, 1), period_start=datetime.date(last_year, 1, 1),
        period_end=datetime.date(last_year, 12, 31),
        team="Đồng chí Chủ nhiệm Ủy ban Kiểm tra Đảng ủy, Trưởng đoàn; đồng chí Trưởng Ban Xây "
             "dựng Đảng, thành viên.",
    )  # fmt: skip
    services.inspection_update(inspection=inspection, by=None, notice_number="05-TB/ĐU", findings=(
        "1. Ưu điểm: chi bộ duy trì sinh hoạt thường kỳ hằng tháng; tỉ lệ đảng viên dự họp bình "
        "quân trên 90%.\n2. Hạn chế: một số biên bản chưa ghi kết luận cụ thể; có nhiệm vụ "
        "chưa giao thời hạn."), conclusion=(
        "Chi bộ chấp hành tốt chế độ sinh hoạt; cần khắc phục ngay các hạn chế trong ghi biên bản "
        "và phân công nhiệm vụ."))  # fmt: skip
    done = services.fix_add(inspection=inspection, by=None, deadline=today - datetime.timedelta(5),
                            description="Bổ sung kết luận vào các biên bản còn thiếu bằng bản "
                                        "đính chính.")  # fmt: skip
    services.fix_add(inspection=inspection, by=None, deadline=today + datetime.timedelta(25),
                     description="Mọi nhiệm vụ trong nghị quyết phải có người thực hiện và "
                                 "thời hạn.")  # fmt: skip
    services.inspection_conclude(inspection=inspection, by=None)
    services.fix_done(fix=done, by=None, note="Đã lập bản đính chính cho các biên bản.")
    services.inspection_plan(
        committee=committee, by=None, year=today.year, target=cells[-1], kind="supervision",
        subject="việc thực hiện nghị quyết về phát triển đảng viên", planned_month=12,
        period_start=datetime.date(today.year, 1, 1), period_end=datetime.date(today.year, 11, 30),
    )  # fmt: skip
    return 2
