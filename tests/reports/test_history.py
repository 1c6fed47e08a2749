"""The generated history: every cell, finalised and scored meetings with variance, aggregates
that equal a rebuild, and a second call that extends it further back."""

import datetime

from chibo.meetings.models import Attendance, Meeting, MeetingKind, MeetingStatus
from chibo.quality.models import MeetingScore
from chibo.reports import aggregates
from chibo.reports.history import generate_history, has_history
from chibo.reports.models import UnitMonth
from tests.factories import MemberFactory


def snapshot():
    return {(r.unit_id, r.month): r.figures() for r in UnitMonth.objects.all()}


def test_history_of_a_province(world):
    for cell in (world.b, world.d):  # three members each, so every cell has a roster
        for n in range(2):
            MemberFactory(cell=cell, given_name=f"Thử{n}")
    assert not has_history(world.p)
    made = generate_history(world.p, years=2)
    assert has_history(world.p)
    meetings = Meeting.objects.filter(province=world.p)
    assert made == meetings.count() > 3 * 12  # three cells, most months
    assert not meetings.exclude(status=MeetingStatus.FINALISED).exists()
    dates = list(meetings.order_by("date").values_list("date", flat=True))
    today = datetime.date.today()
    assert dates[-1] < today.replace(day=1)
    assert {d.day > 15 for d in dates} == {True, False}  # some late, most on time
    kinds = set(meetings.values_list("kind", flat=True))
    assert MeetingKind.COMBINED in kinds or MeetingKind.THEMATIC in kinds
    for meeting in meetings.filter(unit=world.a)[:3]:  # one line per member of today's roster
        assert Attendance.objects.filter(meeting=meeting).count() == 3
    # Scores before HD 42 on the province's 08-QĐ/TU-style card, after on the ward card.
    cards = set(MeetingScore.objects.filter(province=world.p).values_list("scorecard__name", flat=True))
    assert "Nghệ An 08-QĐ/TU (2021)" in cards
    assert MeetingScore.objects.filter(province=world.p).exclude(grade="").count() == meetings.count()
    incremental = snapshot()
    aggregates.rebuild()
    assert snapshot() == incremental
    again = generate_history(world.p, years=1)
    assert again > 0 and Meeting.objects.filter(province=world.p).count() == made + again
    assert Meeting.objects.order_by("date").first().date < dates[0]
