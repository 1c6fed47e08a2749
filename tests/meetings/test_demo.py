"""The demo's year of meetings: real-looking minutes, some with the defects of seed 004."""

import datetime

from chibo.meetings import checks, services
from chibo.meetings.demo import load_meeting_history
from chibo.meetings.models import Meeting, MeetingStatus

TODAY = datetime.date(2026, 11, 22)


def test_a_year_of_meetings_per_cell_and_idempotent(world):
    made = load_meeting_history(world.p, today=TODAY)
    meetings = Meeting.objects.filter(unit__in=[world.a, world.b, world.d])
    assert made == meetings.count() >= 3 * 10
    for cell in (world.a, world.b, world.d):
        cell_meetings = meetings.filter(unit=cell)
        assert cell_meetings.filter(date__gt=TODAY).count() == 1  # the next one
        assert cell_meetings.filter(date__lt=datetime.date(2025, 11, 1)).count() == 0
    finalised = list(meetings.filter(status=MeetingStatus.FINALISED))
    assert finalised
    for meeting in finalised:
        assert meeting.content_hash == services.content_hash(services.minutes_content(meeting))
    # Older minutes left open are refused for a reason the secretary can read (last month's
    # may simply not be finalised yet).
    for meeting in meetings.filter(
        status=MeetingStatus.RECORDING, date__lt=datetime.date(2026, 10, 1)
    ):
        errors, _warnings = checks.problems(meeting)
        assert errors and all(e.message for e in errors)
    assert load_meeting_history(world.p, today=TODAY) == 0
