import datetime

import pytest
from django.utils import timezone

from chibo.meetings import services as meeting_services
from chibo.meetings.models import MeetingKind


@pytest.fixture
def announced_meeting(world):
    """A regular meeting of cell A a week ahead, announced, with a one-paragraph draft report."""
    planned = meeting_services.meeting_plan(
        unit=world.a, by=world.users["secretary_a"], kind=MeetingKind.REGULAR,
        date=timezone.localdate() + datetime.timedelta(days=7), start_time=datetime.time(14, 0),
        place="Nhà văn hóa thôn", draft_report="Đoạn một của dự thảo.",
    )  # fmt: skip
    return meeting_services.meeting_announce(meeting=planned, by=world.users["secretary_a"])
