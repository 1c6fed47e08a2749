"""Scores in the `world` of tests/conftest.py. Meetings after 28/10/2025 fall under the shipped
HD 42 rulebook, which carries the HD 42 ward scorecard."""

import datetime
import itertools

from chibo.meetings.models import Attendance, Meeting, MeetingKind, MeetingStatus, RosterCategory

from ..followup.conftest import october  # noqa: F401  (a fixture the tests here use)

_times = itertools.count()


def history(world, cell, member, rows, *, kind=MeetingKind.REGULAR):
    """Finalised meetings of `cell` with one line for `member` each: rows of (date, presence)
    or (date, presence, category). Written directly: only the attendance history matters. The
    line is written before the meeting is marked finalised (PostgreSQL's trigger refuses a
    line added to finalised minutes)."""
    made = []
    for row in rows:
        day, presence, *rest = row
        meeting = Meeting.objects.create(
            unit=cell, province=world.p, kind=kind, status=MeetingStatus.RECORDING, date=day,
            start_time=datetime.time(8, next(_times) % 60), place="Hội trường",
        )  # fmt: skip
        Attendance.objects.create(
            meeting=meeting, member=member, presence=presence,
            category=rest[0] if rest else RosterCategory.OFFICIAL, sort_key=member.given_name,
        )  # fmt: skip
        Meeting.objects.filter(pk=meeting.pk).update(status=MeetingStatus.FINALISED)
        meeting.status = MeetingStatus.FINALISED
        made.append(meeting)
    return made
