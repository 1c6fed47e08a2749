"""Reads of meetings shared by the UI and the API. The only place that filters them by access.

Who sees a meeting (issue 3): the cell's secretary and clerk, the upper-level attendee and the
officers above see every meeting of the cells under their grants; a member sees their own
cell's meetings once announced (and the meetings of a cell they are temporarily attached to).
Anything else answers 404.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from chibo.accounts.access import READ_ROLES, Scope
from chibo.accounts.models import Grant, Role
from chibo.core.text import fold
from chibo.org.models import TemporaryAttachment, Unit

from . import checks
from .models import (
    REGULAR_KINDS,
    Assignment,
    Attendance,
    Meeting,
    MeetingSection,
    MeetingStatus,
    Presence,
    RosterCategory,
    SectionContent,
    Speech,
    VoteSubject,
)


def visible_meetings(scope: Scope) -> QuerySet[Meeting]:
    readers = Scope._prefix_q("unit__path", scope.paths(READ_ROLES))
    members = Scope._prefix_q("unit__path", scope.paths())
    if scope.member_id is not None:
        members |= Q(
            unit__in=TemporaryAttachment.objects.covering(timezone.localdate())
            .filter(member_id=scope.member_id)
            .values("host_cell")
        )
    # Members see a meeting once it was announced (a cancelled one too, if they had been told).
    announced = ~Q(status=MeetingStatus.PLANNED) & ~Q(
        status=MeetingStatus.CANCELLED, announced_at__isnull=True
    )
    return Meeting.objects.filter(readers | (members & announced)).select_related("unit")


def attendee_position(user, unit) -> str:
    """The position an upper-level attendee gave for following this cell (or a unit above)."""
    prefixes = [unit.path[:i] for i in range(Unit.steplen, len(unit.path) + 1, Unit.steplen)]
    grant = (
        Grant.objects.current()
        .filter(user=user, role=Role.ATTENDEE, unit__path__in=prefixes)
        .exclude(title="")
        .first()
    )
    return grant.title if grant else ""


def get_meeting(scope: Scope, pk: int) -> Meeting:
    meeting = visible_meetings(scope).filter(pk=pk).first()
    if meeting is None:
        raise Http404
    return meeting


def cell_meetings(scope: Scope, unit) -> QuerySet[Meeting]:
    return visible_meetings(scope).filter(unit=unit).order_by("-date", "-start_time", "-id")


def record_sections(meeting: Meeting) -> list[MeetingSection]:
    """The sections with their speeches (and speakers), in a fixed number of queries."""
    speeches = Speech.objects.select_related("speaker", "guest").order_by("id")
    return list(meeting.sections.prefetch_related(Prefetch("speeches", queryset=speeches)))


# Titles of the section where a regular meeting evaluates last month's work ("Đánh giá …").
EVALUATION_WORD = "danh gia"


def evaluation_section_id(meeting: Meeting, sections: list[MeetingSection]) -> int | None:
    """Where a regular meeting reviews the tasks of earlier meetings: the first discussion
    section whose title speaks of evaluation (đánh giá), else the first discussion section."""
    if meeting.kind not in REGULAR_KINDS:
        return None
    discussions = [s for s in sections if s.content == SectionContent.DISCUSSION]
    chosen = next((s for s in discussions if EVALUATION_WORD in fold(s.title)), None)
    chosen = chosen or (discussions[0] if discussions else None)
    return chosen.pk if chosen else None


def roster(meeting: Meeting) -> list[Attendance]:
    return list(meeting.attendance.select_related("member"))


def assignments(meeting: Meeting) -> list[Assignment]:
    return list(meeting.assignments.prefetch_related("assignees"))


@dataclass
class AttendanceSummary:
    total: int
    official: int
    probationary: int
    attached: int
    exempted: int
    away: int
    present: int
    present_official: int
    present_probationary: int
    present_attached: int
    absent_excused: list[Attendance]
    absent_unexcused: list[Attendance]
    late: list[Attendance]
    unmarked: int
    rate: float | None
    vote: checks.VoteCount

    COUNT_FIELDS = ("total", "official", "probationary", "attached", "exempted", "away",
                    "present", "present_official", "present_probationary", "present_attached")  # fmt: skip

    def counts(self) -> dict[str, int]:
        """The membership and presence figures the minutes print, by name."""
        return {name: getattr(self, name) for name in self.COUNT_FIELDS}


def attendance_summary(lines: list[Attendance]) -> AttendanceSummary:
    """The membership counts and presence figures the minutes print (DOMAIN.md)."""

    def count(category):
        return sum(1 for a in lines if a.category == category)

    present = [a for a in lines if a.presence == Presence.PRESENT]
    own = [a for a in lines if a.category not in (RosterCategory.ATTACHED,)]
    return AttendanceSummary(
        total=len(own),
        official=sum(1 for a in own if a.was_official),
        probationary=sum(1 for a in own if not a.was_official),
        attached=count(RosterCategory.ATTACHED),
        exempted=count(RosterCategory.EXEMPTED),
        away=count(RosterCategory.AWAY),
        present=len(present),
        present_official=sum(
            1 for a in present if a.was_official and a.category != RosterCategory.ATTACHED
        ),
        present_probationary=sum(
            1 for a in present if not a.was_official and a.category != RosterCategory.ATTACHED
        ),
        present_attached=sum(1 for a in present if a.category == RosterCategory.ATTACHED),
        absent_excused=[a for a in lines if a.presence == Presence.ABSENT_EXCUSED],
        absent_unexcused=[a for a in lines if a.presence == Presence.ABSENT_UNEXCUSED],
        late=[a for a in present if a.late],
        unmarked=sum(1 for a in lines if a.presence == Presence.UNMARKED),
        rate=checks.attendance_rate(lines),
        vote=checks.vote_count(lines),
    )


def votes_by_subject(meeting: Meeting) -> dict[str, object]:
    votes = {v.subject: v for v in meeting.votes.all()}
    return {
        "resolution": votes.get(VoteSubject.RESOLUTION),
        "minutes": votes.get(VoteSubject.MINUTES),
    }
