"""The dashboard of the small demo checked by hand: each figure recounted here straight from the
demo's meetings, attendance lines and scores (not through the monthly aggregates)."""

import datetime

import pytest
from django.test import Client

from chibo.accounts.models import User
from chibo.followup.models import ReviewDecision, TaskReview
from chibo.meetings.demo import load_meeting_history
from chibo.meetings.models import (
    REGULAR_KINDS,
    THEMATIC_KINDS,
    Attendance,
    Meeting,
    MeetingKind,
    MeetingStatus,
    Presence,
    RosterCategory,
)
from chibo.org.demo import load_small_demo
from chibo.org.models import CELL_KINDS, Unit
from chibo.quality.demo import score_demo_meetings
from chibo.quality.models import MeetingScore

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 22)
YEAR = 2026


def share(part, whole):
    return None if not whole else round(part * 100 / whole, 1)


def test_the_demo_dashboard_recounted_by_hand():
    province = load_small_demo(today=TODAY).province
    load_meeting_history(province, today=TODAY)
    score_demo_meetings(province)
    officer = User.objects.get(username="bantochuc")
    client = Client()
    client.force_login(officer)
    body = client.get(f"/api/v1/units/{province.pk}/dashboard?period={YEAR}").json()
    f = body["figures"]

    cells = list(Unit.objects.filter(path__startswith=province.path, kind__in=CELL_KINDS, is_active=True))
    meetings = Meeting.objects.filter(unit__in=cells, status=MeetingStatus.FINALISED,
                                      date__year=YEAR).exclude(kind=MeetingKind.PREPARATORY)  # fmt: skip
    assert f["cells"] == len(cells)
    assert f["meetings"] == meetings.count()
    assert f["thematic_meetings"] == meetings.filter(kind__in=THEMATIC_KINDS).count()
    # Cells meeting on time: per cell and month, a regular meeting by day 15 (the demo's rules).
    on_time = {(m.unit_id, m.date.month) for m in meetings.filter(kind__in=REGULAR_KINDS)
               if m.date.day <= 15}  # fmt: skip
    today = datetime.date.today()
    elapsed = sum(1 for month in range(1, 13)
                  if datetime.date(YEAR, month, 1) < today.replace(day=1)
                  or (datetime.date(YEAR, month, 1) == today.replace(day=1) and today.day > 15))  # fmt: skip
    assert f["on_time_share"] == share(len(on_time), len(cells) * elapsed)
    # Thematic coverage: per cell and quarter.
    covered = {(m.unit_id, (m.date.month - 1) // 3) for m in meetings.filter(kind__in=THEMATIC_KINDS)}
    assert f["thematic_share"] == share(len(covered), len(cells) * 4)
    lines = Attendance.objects.filter(meeting__in=meetings).exclude(category=RosterCategory.AWAY) \
        .exclude(presence=Presence.EXEMPT_ABSENT)
    assert f["attendance"] == share(lines.filter(presence=Presence.PRESENT).count(), lines.count())
    decided = TaskReview.objects.filter(meeting__in=meetings).exclude(decision=ReviewDecision.UNDER_WAY)
    assert f["task_completion"] == share(decided.filter(decision=ReviewDecision.DONE).count(), decided.count())
    scores = MeetingScore.objects.filter(meeting__in=meetings, status__in=["scored", "reviewed"])
    assert f["scored"] == scores.count() > 0
    assert f["average_score"] == round(float(sum(s.total for s in scores)) / scores.count(), 1)
    assert f["grades"] == [scores.filter(grade_rank=r).count() for r in (1, 2, 3)] + [
        scores.filter(grade_rank__gte=4).count()]
    # Each child's meetings, and the children add up to the province.
    for child in body["children"]:
        unit = Unit.objects.get(pk=child["unit"]["id"])
        assert child["figures"]["meetings"] == meetings.filter(unit__path__startswith=unit.path).count()
    assert sum(c["figures"]["meetings"] for c in body["children"]) == f["meetings"]
