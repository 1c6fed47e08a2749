"""The member's home page: the next meeting with its agenda, drafts and the member's leave
request, the member's tasks, attendance this year and the cell's resolutions — only the
member's own, in a fixed number of queries."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from chibo.followup.models import Task
from chibo.meetings import services
from chibo.meetings.models import (
    Assignment,
    LeaveRequest,
    Meeting,
    MeetingKind,
    MeetingStatus,
    Presence,
)
from tests.api.conftest import count_queries
from tests.conftest import check_matrix
from tests.meetings.test_api import row

from ..followup.conftest import finalise, recorded
from ..meetings.conftest import plan
from ..quality.conftest import history

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def announced(world):
    meeting = plan(world, day=TODAY + datetime.timedelta(days=4),
                   draft_resolution="Dự thảo: hoàn thành đường liên thôn.")  # fmt: skip
    services.meeting_announce(meeting=meeting, by=world.users["secretary_a"])
    return meeting


def test_member_home_matrix(world, client_as, announced):
    responses = check_matrix(client_as, reverse("member_home"),
                             row({"member_a", "secretary_a", "secretary_b", "officer_c1",
                                  "officer_c2", "admin_p"}) | {"anonymous": 302})  # fmt: skip
    hoa = responses["member_a"].content.decode()
    assert "Đặng Thị Hoa" in hoa and announced.place in hoa
    assert "Dự thảo: hoàn thành đường liên thôn." in hoa
    # Bình of cell B never sees cell A's meeting; an officer without a member record is told.
    assert announced.place not in responses["secretary_b"].content.decode()
    assert "không gắn với đảng viên" in responses["officer_c1"].content.decode()


def test_the_page_shows_what_is_the_members_own(world, client_as, announced):
    october = finalise(world, recorded(world, datetime.date(TODAY.year, 1, 5)))
    history(world, world.a, world.hoa, [(datetime.date(TODAY.year, 2, 5), Presence.ABSENT_UNEXCUSED)])
    leave = LeaveRequest.objects.create(meeting=announced, member=world.hoa, reason="Đi công tác")
    page = client_as("member_a").get(reverse("member_home")).content.decode()
    agenda = page[page.index('id="agenda"'):page.index("</ol>", page.index('id="agenda"'))]
    assert agenda.count("<li>") == announced.sections.count()
    with translation.override("vi"):
        assert f"<strong>{leave.get_status_display()}</strong>" in page
    task = Task.objects.get(meeting=october)
    assert task.description in page  # Hoa's task from January
    attendance = page[page.index('id="attendance"'):page.index('id="resolutions"')]
    assert ">1<" in attendance.replace(" ", "")  # one present, one absent without reason
    assert "Vắng không lý do" in attendance
    resolutions = page[page.index('id="resolutions"'):]
    assert "Chi bộ quyết nghị hoàn thành sửa đường" in resolutions
    # The secretary of the same cell sees the same meeting but Ưng's own record.
    ung = client_as("secretary_a").get(reverse("member_home")).content.decode()
    assert "Trần Văn Ưng" in ung and task.description not in ung


# Session, user, grants, notifications, then the page's own reads (the member record once).
HOME_QUERY_BUDGET = 16


def test_a_fixed_number_of_queries(world, client_as, announced):
    client = client_as("member_a")
    finalise(world, recorded(world, datetime.date(TODAY.year, 1, 5)))
    few = count_queries(client, reverse("member_home"))
    assert few <= HOME_QUERY_BUDGET
    for month in range(2, 8):  # more meetings, resolutions, tasks and attendance lines
        meeting = Meeting.objects.create(
            unit=world.a, province=world.p, kind=MeetingKind.REGULAR, status=MeetingStatus.RECORDING,
            date=datetime.date(TODAY.year, month, 3), start_time=datetime.time(8, 0), place="Hội trường",
            resolution_number=f"{month}-NQ/CB", resolution_text="Chi bộ quyết nghị.")  # fmt: skip
        assignment = Assignment.objects.create(meeting=meeting, description="Việc", deadline=TODAY)
        task = Task.objects.create(province=world.p, cell=world.a, meeting=meeting, description="Việc",
                                   assignment=assignment, original_deadline=TODAY, deadline=TODAY)  # fmt: skip
        task.assignees.add(world.hoa)
        Meeting.objects.filter(pk=meeting.pk).update(status=MeetingStatus.FINALISED)
    history(world, world.a, world.hoa, [(datetime.date(TODAY.year, m, 20), Presence.PRESENT)
                                        for m in range(1, 4)])  # fmt: skip
    page = client.get(reverse("member_home")).content.decode()
    assert page.count("Chi bộ quyết nghị.") == 5 and page.count(">Việc<") == 6
    assert count_queries(client, reverse("member_home")) == few
