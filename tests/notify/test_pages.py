"""The notifications pages and API: each user sees only their own; the access matrix for every
page and route; the menu's unread count; the choices page."""

import datetime

import pytest
from django.urls import reverse

from chibo.meetings import services as meetings
from chibo.notify import services
from chibo.notify.models import ChannelChoice, Kind, Notification
from tests.api.conftest import API, JSON
from tests.conftest import ROLES, check_matrix
from tests.meetings.test_api import row

from ..meetings.conftest import plan
from .conftest import run_jobs

pytestmark = pytest.mark.django_db
FOUND = 302
LOGGED_IN = {r for r in ROLES if r != "anonymous"}


def page_row(ok_roles, ok=200):
    return row(ok_roles, ok) | {"anonymous": FOUND}


@pytest.fixture
def told(world):
    """Cell A heard of an announced meeting: member_a owns `told`."""
    meeting = plan(world, day=datetime.date(2026, 12, 20))
    meetings.meeting_announce(meeting=meeting, by=world.users["secretary_a"])
    run_jobs()
    return Notification.objects.get(user=world.users["member_a"])


def test_pages_matrix(world, client_as, told):
    check_matrix(client_as, reverse("notification_list"), page_row(LOGGED_IN))
    check_matrix(client_as, reverse("notification_choices"), page_row(LOGGED_IN))
    check_matrix(client_as, reverse("notification_choices"), page_row(LOGGED_IN, FOUND), method="post",
                 data={f"{Kind.MEETING_TOMORROW}__email": "on"})  # fmt: skip
    check_matrix(client_as, reverse("notifications_read_all"), page_row(LOGGED_IN, FOUND), method="post")
    # Someone else's notification does not exist for you, whatever your grants.
    check_matrix(client_as, reverse("notification_open", args=[told.pk]), page_row({"member_a"}, FOUND))


def test_api_matrix(world, api_client_as, told):
    check_matrix(api_client_as, f"{API}/notifications", row(LOGGED_IN))
    check_matrix(api_client_as, f"{API}/notifications/{told.pk}/read", row({"member_a"}), method="post")
    check_matrix(api_client_as, f"{API}/notifications/read-all", row(LOGGED_IN), method="post")
    check_matrix(api_client_as, f"{API}/notifications/choices", row(LOGGED_IN))
    check_matrix(api_client_as, f"{API}/notifications/choices", row(LOGGED_IN), method="put",
                 data={"enabled": [{"kind": Kind.TASK_OVERDUE, "channel": "email", "enabled": False}]},
                 **JSON)  # fmt: skip


def test_opening_marks_read_and_goes_to_the_meeting(world, client_as, told):
    client = client_as("member_a")
    listing = client.get(reverse("notification_list")).content.decode()
    assert "Chi bộ thôn Ấp Đông sinh hoạt ngày 20/12/2026 lúc 14:00" in listing
    assert 'id="nav-notifications">Thông báo <span class="badge' in listing
    response = client.get(reverse("notification_open", args=[told.pk]))
    assert response.status_code == 302 and response.url == told.url
    told.refresh_from_db()
    assert told.read_at is not None
    assert "Chưa đọc" in client.get(reverse("notification_list")).content.decode()
    assert "Không có thông báo chưa đọc." in client.get(reverse("notification_list") + "?show=unread").content.decode()


def test_api_lists_own_notifications_with_the_unread_count(world, api_client_as, told):
    body = api_client_as("member_a").get(f"{API}/notifications").json()
    assert body["unread"] == 1 and [n["id"] for n in body["items"]] == [told.pk]
    assert body["items"][0]["title"].startswith("Chi bộ thôn Ấp Đông sinh hoạt")
    assert api_client_as("secretary_b").get(f"{API}/notifications").json() == {"unread": 0, "items": []}
    api_client_as("member_a").post(f"{API}/notifications/read-all")
    assert api_client_as("member_a").get(f"{API}/notifications?unread=true").json()["items"] == []


def test_choices_page_saves_every_box_and_warns_without_an_address(world, client_as):
    client = client_as("member_a")
    page = client.get(reverse("notification_choices")).content.decode()
    assert "Chưa có địa chỉ thư điện tử" in page
    client.post(reverse("notification_choices"), {f"{Kind.MEETING_TOMORROW}__email": "on"})
    user = world.users["member_a"]
    assert services.choices_of(user)[(Kind.MEETING_TOMORROW, "email")] is True
    assert services.choices_of(user)[(Kind.MEETING_ANNOUNCED, "email")] is False
    # Cells not met concern organisation boards, leave requests and comments the secretaries:
    # not offered to a member.
    assert ChannelChoice.objects.filter(user=user).count() == len(Kind.values) - 3
    assert "Đảng viên xin vắng" not in page
    assert "Đảng viên xin vắng" in client_as("secretary_a").get(reverse("notification_choices")).content.decode()
    assert "Chi bộ chưa sinh hoạt đến ngày hạn" not in page
    assert "Chi bộ chưa sinh hoạt đến ngày hạn" in client_as("officer_c1").get(reverse("notification_choices")).content.decode()


def test_api_refuses_an_unknown_kind_or_channel_in_vietnamese(world, api_client_as):
    response = api_client_as("member_a").put(
        f"{API}/notifications/choices", **JSON,
        data={"enabled": [{"kind": "gossip", "channel": "email", "enabled": True}]})  # fmt: skip
    assert response.status_code == 422
    assert response.json()["errors"]["enabled"] == ["Không có loại thông báo hoặc kênh này: gossip/email."]
    assert not ChannelChoice.objects.exists()


def test_an_outside_link_in_a_stored_row_is_not_followed(world, client_as):
    odd = Notification.objects.create(user=world.users["member_a"], province=world.p,
                                      kind=Kind.MEETING_ANNOUNCED, key="x",
                                      params={}, url="https://example.com/phish")  # fmt: skip
    response = client_as("member_a").get(reverse("notification_open", args=[odd.pk]))
    assert response.url == reverse("notification_list")
