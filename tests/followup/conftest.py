"""Tasks in the `world` of tests/conftest.py: a regular meeting of cell A on 5 October 2026,
finalised, gives Hoa one task due 30 October; the next meetings review it."""

import datetime

import pytest

from chibo.followup.models import Task
from chibo.meetings import checks, services

from ..meetings.conftest import plan, record_complete

OCTOBER = datetime.date(2026, 10, 5)
NOVEMBER = datetime.date(2026, 11, 5)
DECEMBER = datetime.date(2026, 12, 7)


def finalise(world, meeting, by=None):
    by = by or world.users["secretary_a"]
    _errors, warnings = checks.problems(meeting)
    acknowledgements = {w.code: "Chi bộ đã rút kinh nghiệm." for w in warnings}
    return services.meeting_finalise(meeting=meeting, by=by, acknowledgements=acknowledgements)


def recorded(world, day, **extra):
    """A meeting of cell A recorded completely (with its own task), not yet finalised."""
    return record_complete(world, plan(world, day=day, **extra))


@pytest.fixture
def october(world):
    return finalise(world, recorded(world, OCTOBER))


@pytest.fixture
def task(october):
    return Task.objects.get(meeting=october)
