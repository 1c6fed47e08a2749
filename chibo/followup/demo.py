"""The follow-up side of the demo's year of meetings: before each regular meeting is
finalised, it decides on the tasks of earlier meetings — most done, some carried over, a few
dropped — so the demo shows open, overdue, carried-over and closed tasks."""

from __future__ import annotations

import datetime
import random

from django.utils import timezone

from chibo.meetings.models import Meeting

from . import selectors, services
from .models import ACTIVE_STATUSES, ReviewDecision, Task, TaskReport

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
