"""A member's home page (issue 6, part 1): what the member needs before and after the cell's
meetings, read in a fixed number of queries whatever the size of the cell's history.

Everything here is the member's own, or what any member of the cell sees: the next announced
meeting of the cell (or of the cell the member is temporarily attached to), its agenda and
drafts, the member's leave request for it, the member's tasks, the member's attendance this
year (finalised minutes only), and the cell's recent resolutions.
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field

from django.utils import timezone

from chibo.accounts.access import Scope
from chibo.documents.models import Document
from chibo.documents.selectors import visible_documents
from chibo.followup import selectors as followup
from chibo.followup.models import ACTIVE_STATUSES, Task
from chibo.meetings.models import (
    Attendance,
    LeaveRequest,
    Meeting,
    MeetingKind,
    MeetingSection,
    MeetingStatus,
    Presence,
)
from chibo.meetings.selectors import visible_meetings
from chibo.org.models import Member, TemporaryAttachment

RESOLUTIONS = 5
DOCUMENTS = 5
TASKS = 10


@dataclass
class AttendanceYear:
    year: int
    lines: list[Attendance] = field(default_factory=list)

    @property
    def counts(self) -> Counter:
        return Counter(line.presence for line in self.lines)

    @property
    def present(self) -> int:
        return self.counts[Presence.PRESENT]

    @property
    def excused(self) -> int:
        return self.counts[Presence.ABSENT_EXCUSED]

    @property
    def unexcused(self) -> int:
        return self.counts[Presence.ABSENT_UNEXCUSED]


@dataclass
class MemberHome:
    member: Member | None
    next_meeting: Meeting | None = None
    agenda: list[MeetingSection] = field(default_factory=list)
    leave_request: LeaveRequest | None = None
    tasks: list[Task] = field(default_factory=list)
    attendance: AttendanceYear | None = None
    resolutions: list[Meeting] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)  # the next meeting's, then unread


def member_home(scope: Scope, *, today: datetime.date | None = None) -> MemberHome:
    today = today or timezone.localdate()
    member = (Member.objects.select_related("cell").filter(pk=scope.member_id).first()
              if scope.member_id else None)  # fmt: skip
    if member is None:
        return MemberHome(None)
    cells = [member.cell_id, *TemporaryAttachment.objects.covering(today)
             .filter(member=member).values_list("host_cell_id", flat=True)]  # fmt: skip
    meetings = visible_meetings(scope).filter(unit_id__in=cells)
    upcoming = (
        meetings.filter(date__gte=today, status__in=[MeetingStatus.ANNOUNCED, MeetingStatus.RECORDING])
        .exclude(kind=MeetingKind.PREPARATORY).order_by("date", "start_time", "id").first()
    )  # fmt: skip
    home = MemberHome(member, next_meeting=upcoming)
    if upcoming is not None:
        home.agenda = list(upcoming.sections.order_by("position").only("title", "position", "meeting_id"))
        home.leave_request = upcoming.leave_requests.filter(member=member).order_by("-created_at").first()
    documents = visible_documents(scope, reader_id=scope.user_id)
    meeting_documents = list(documents.filter(meeting=upcoming)) if upcoming is not None else []
    unread = list(documents.filter(meeting__isnull=True, is_read=False)[:DOCUMENTS])
    home.documents = meeting_documents + unread
    home.tasks = list(followup.my_tasks(scope, member=member).filter(status__in=ACTIVE_STATUSES)
                      .select_related("meeting", "cell").prefetch_related("assignees")[:TASKS])
    home.attendance = AttendanceYear(today.year, list(
        Attendance.objects.filter(member=member, meeting__status=MeetingStatus.FINALISED,
                                  meeting__date__year=today.year)
        .exclude(meeting__kind=MeetingKind.PREPARATORY)
        .select_related("meeting__unit").order_by("meeting__date", "meeting_id")))  # fmt: skip
    home.resolutions = list(
        meetings.filter(unit_id=member.cell_id, status=MeetingStatus.FINALISED)
        .exclude(kind=MeetingKind.PREPARATORY).exclude(resolution_text="")
        .order_by("-date", "-id")[:RESOLUTIONS]
    )  # fmt: skip
    return home
