"""Each event turned into notifications for the people concerned. Run by the jobs in
`tasks.py`, after the change that caused them is committed. Each function can run twice: the
notification key makes the second run create nothing."""

from __future__ import annotations

import datetime
import hashlib
from collections import defaultdict

from django.urls import reverse
from django.utils.http import urlencode

from chibo.accounts.models import Grant, Role
from chibo.documents.models import Document, DraftComment
from chibo.followup.models import ACTIVE_STATUSES, Proposal, Task
from chibo.followup.selectors import SOON_DAYS
from chibo.meetings.models import LeaveRequest, LeaveStatus, Meeting, MeetingStatus
from chibo.org.services import province_of
from chibo.reports.compliance import compliance
from chibo.reports.periods import Period

from . import content, recipients
from .models import Kind
from .services import Event, notify, notify_all

OVERDUE_CATCH_UP = 7  # days after a deadline in which a worker that was down still reminds
NAMES_SHOWN = 5


def meeting_announced(meeting_id: int) -> int:
    meeting = Meeting.objects.select_related("unit").filter(pk=meeting_id).first()
    if meeting is None or meeting.status != MeetingStatus.ANNOUNCED:
        return 0  # cancelled or started before the job ran
    return notify(user_ids=recipients.cell_members(meeting.unit_id), kind=Kind.MEETING_ANNOUNCED,
                  key=f"meeting:{meeting.pk}:announced:{meeting.date}T{meeting.start_time:%H%M}",
                  params=content.meeting_params(meeting), url=content.meeting_url(meeting.pk),
                  province_id=meeting.province_id)  # fmt: skip


BATCH = 200  # meetings told in one transaction


def meetings_tomorrow(today: datetime.date) -> int:
    tomorrow = today + datetime.timedelta(days=1)
    meetings = list(Meeting.objects.filter(date=tomorrow, status=MeetingStatus.ANNOUNCED).select_related("unit"))
    people = recipients.cells_members(sorted({m.unit_id for m in meetings}), today=today)
    sent = 0
    for start in range(0, len(meetings), BATCH):
        sent += notify_all([
            Event(Kind.MEETING_TOMORROW, f"meeting:{m.pk}:tomorrow:{tomorrow}", content.meeting_params(m),
                  content.meeting_url(m.pk), tuple(people[m.unit_id]), m.province_id)
            for m in meetings[start : start + BATCH]
        ])  # fmt: skip
    return sent


def _task_people(task: Task) -> list[int]:
    people = recipients.members(m.pk for m in task.assignees.all())
    if task.to_committee or not people:
        people += recipients.cell_secretaries(task.cell_id)
    return people


def _task_url(task: Task) -> str:
    return reverse("task_detail", args=[task.pk])


def minutes_finalised(meeting_id: int) -> int:
    """The cell hears that its minutes are final; each assignee hears of the task."""
    meeting = Meeting.objects.select_related("unit").get(pk=meeting_id)
    sent = notify(user_ids=recipients.cell_members(meeting.unit_id), kind=Kind.MINUTES_FINALISED,
                  key=f"meeting:{meeting.pk}:finalised", params=content.meeting_params(meeting),
                  url=content.meeting_url(meeting.pk), province_id=meeting.province_id)  # fmt: skip
    for task in meeting.tasks.select_related("cell").prefetch_related("assignees"):
        sent += notify(user_ids=_task_people(task), kind=Kind.TASK_ASSIGNED,
                       key=f"task:{task.pk}:assigned", params=content.task_params(task),
                       url=_task_url(task), province_id=task.province_id)  # fmt: skip
    return sent


def task_deadlines(today: datetime.date) -> int:
    """Active tasks due within SOON_DAYS, and those whose deadline passed in the last days.
    A deadline moved by the next meeting is a new deadline, reminded again."""
    soon = today + datetime.timedelta(days=SOON_DAYS)
    since = today - datetime.timedelta(days=OVERDUE_CATCH_UP)
    sent = 0
    tasks = Task.objects.filter(status__in=ACTIVE_STATUSES, deadline__gte=since, deadline__lte=soon)
    for task in tasks.select_related("cell").prefetch_related("assignees"):
        kind, word = ((Kind.TASK_OVERDUE, "overdue") if task.deadline < today
                      else (Kind.TASK_DUE_SOON, "soon"))  # fmt: skip
        sent += notify(user_ids=_task_people(task), kind=kind,
                       key=f"task:{task.pk}:{word}:{task.deadline}",
                       params=content.task_params(task), url=_task_url(task),
                       province_id=task.province_id)  # fmt: skip
    return sent


def document_added(document_id: int) -> int:
    document = Document.objects.select_related("unit").get(pk=document_id)
    people = (recipients.cell_members(document.unit_id) if document.meeting_id
              else recipients.subtree_members(document.unit))  # fmt: skip
    return notify(user_ids=people, kind=Kind.DOCUMENTS_ADDED, key=f"document:{document.pk}",
                  params=content.document_params(document),
                  url=reverse("document_detail", args=[document.pk]), province_id=document.province_id)  # fmt: skip


def proposal_closed(proposal_id: int) -> int:
    proposal = Proposal.objects.select_related("cell").get(pk=proposal_id)
    people = recipients.cell_secretaries(proposal.cell_id)
    if proposal.raised_by_id:
        people += recipients.members([proposal.raised_by_id])
    if proposal.created_by_id:
        people.append(proposal.created_by_id)
    return notify(user_ids=people, kind=Kind.PROPOSAL_ANSWERED, key=f"proposal:{proposal.pk}:closed",
                  params=content.proposal_params(proposal),
                  url=reverse("proposal_detail", args=[proposal.pk]), province_id=proposal.province_id)  # fmt: skip


def leave_requested(request_id: int) -> int:
    request = LeaveRequest.objects.select_related("meeting", "member").get(pk=request_id)
    people = [u for u in recipients.cell_secretaries(request.meeting.unit_id)
              if u not in recipients.members([request.member_id])]  # fmt: skip
    digest = hashlib.sha256(request.reason.encode()).hexdigest()[:12]
    return notify(user_ids=people, kind=Kind.LEAVE_REQUESTED, key=f"leave:{request.pk}:asked:{digest}",
                  params=content.leave_params(request),
                  url=content.meeting_url(request.meeting_id) + "#leave",
                  province_id=request.meeting.province_id)  # fmt: skip


def leave_decided(request_id: int) -> int:
    request = LeaveRequest.objects.select_related("meeting", "member").get(pk=request_id)
    if request.status == LeaveStatus.PENDING:
        return 0
    stamp = request.decided_at.isoformat() if request.decided_at else ""
    return notify(user_ids=recipients.members([request.member_id]), kind=Kind.LEAVE_DECIDED,
                  key=f"leave:{request.pk}:{request.status}:{stamp}", params=content.leave_params(request),
                  url=content.meeting_url(request.meeting_id) + "#leave",
                  province_id=request.meeting.province_id)  # fmt: skip


def draft_commented(comment_id: int) -> int:
    comment = DraftComment.objects.select_related("meeting", "author__member").get(pk=comment_id)
    people = [u for u in recipients.cell_secretaries(comment.meeting.unit_id) if u != comment.author_id]
    return notify(user_ids=people, kind=Kind.DRAFT_COMMENTED, key=f"comment:{comment.pk}",
                  params=content.comment_params(comment),
                  url=reverse("meeting_drafts", args=[comment.meeting_id]) + f"#comment-{comment.pk}",
                  province_id=comment.meeting.province_id)  # fmt: skip


def cells_not_met(today: datetime.date) -> int:
    """One message a month to each organisation board: its cells with no regular meeting by
    their deadline day (counted from finalised minutes, as on the compliance page)."""
    month = today.replace(day=1)
    officers: dict[int, list[int]] = defaultdict(list)
    units = {}
    for grant in Grant.objects.current().filter(role=Role.OFFICER):
        officers[grant.unit_id].append(grant.user_id)
        units[grant.unit_id] = grant.unit
    sent = 0
    for unit_id, user_ids in officers.items():
        unit = units[unit_id]
        late = [p for p in compliance(unit, Period("month", month, 1), today=today, kind="late").problems
                if p.day < today]  # fmt: skip
        if not late:
            continue
        late.sort(key=lambda p: p.cell.name)
        params = {"unit_id": unit.pk, "unit": unit.name, "count": len(late),
                  "names": [p.cell.name for p in late[:NAMES_SHOWN]],
                  "deadline": min(p.day for p in late).isoformat()}  # fmt: skip
        url = reverse("unit_compliance", args=[unit.pk]) + "?" + urlencode({"p": f"{month:%Y-%m}", "kind": "late"})
        sent += notify(user_ids=user_ids, kind=Kind.CELLS_NOT_MET,
                       key=f"unit:{unit.pk}:not-met:{month:%Y-%m}", params=params, url=url,
                       province_id=province_of(unit).pk)  # fmt: skip
    return sent
