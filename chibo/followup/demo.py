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
from .models import ACTIVE_STATUSES, Proposal, ReviewDecision, Task, TaskReport

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
    one waiting past its due date. Idempotent: cells that already sent one are left alone."""
    officer = None  # the demo acts as the system
    made = 0
    cells = Unit.objects.filter(path__startswith=province.path, kind__in=CELL_KINDS,
                                is_active=True, proposals__isnull=True).order_by("path")  # fmt: skip
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
