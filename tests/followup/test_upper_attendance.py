"""Upper-level attendance (issue 4, part 2): an organisation board gives committee members cells
to follow for a term; the attendee sees only those cells, records being present on the day and
writes remarks; officers see which cells had an upper-level attendee in a quarter."""

import datetime
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from chibo.accounts import services as account_services
from chibo.accounts.access import scope_for
from chibo.accounts.models import Grant, Role
from chibo.core.models import AuditEntry
from chibo.followup import selectors
from chibo.meetings import selectors as meeting_selectors
from chibo.meetings import services as meeting_services
from chibo.meetings.models import Guest, MeetingStatus
from chibo.org.models import CellType, UnitKind
from tests.api.conftest import API, JSON
from tests.conftest import check_matrix
from tests.factories import make_unit, make_user
from tests.meetings.test_api import ALL, row

from .conftest import OCTOBER, finalise, recorded

pytestmark = pytest.mark.django_db

OK, CREATED, FOUND, FORBIDDEN, MISSING = 200, 201, 302, 403, 404


def page_row(ok_roles, ok=OK, forbidden=frozenset()):
    expected = row(ok_roles, ok, forbidden)
    expected["anonymous"] = FOUND
    return expected


@pytest.fixture
def attendee(world):
    """A commune committee member who follows cell A for the commune committee."""
    user = make_user("attendee_a", role="member", unit=world.a)
    Grant.objects.filter(user=user).delete()
    account_services.grant_create(user=user, role=Role.ATTENDEE, unit=world.a,
                                  by=world.users["officer_c1"],
                                  scope=scope_for(world.users["officer_c1"]),
                                  title="Phó Bí thư Đảng ủy xã")  # fmt: skip
    user.first_name, user.last_name = "Minh", "Lê Văn"
    user.save()
    return user


def fresh_scope(user):
    user.__dict__.pop("_chibo_scope", None)
    return scope_for(user)


def today_meeting(world, status=MeetingStatus.ANNOUNCED):
    meeting = meeting_services.meeting_plan(
        unit=world.a, by=world.users["secretary_a"], kind="regular", date=timezone.localdate(),
        start_time=datetime.time(19, 30), place="Nhà văn hóa thôn",
    )  # fmt: skip
    meeting_services.meeting_announce(meeting=meeting, by=world.users["secretary_a"])
    if status == MeetingStatus.RECORDING:
        meeting_services.meeting_start_recording(meeting=meeting, by=world.users["secretary_a"])
    meeting.refresh_from_db()
    return meeting


# --- a term that ends on its own --------------------------------------------------------------
def test_a_grant_given_for_a_term_lapses_after_its_last_day(world, attendee):
    grant = Grant.objects.get(user=attendee)
    grant.valid_until = datetime.date(2026, 12, 31)
    grant.save()
    last_day = datetime.datetime(2026, 12, 31, 16, 0, tzinfo=datetime.UTC)  # 23:00 in Hà Nội
    next_day = datetime.datetime(2026, 12, 31, 17, 30, tzinfo=datetime.UTC)  # 00:30 on 1 Jan
    with mock.patch("django.utils.timezone.now", return_value=last_day):
        assert fresh_scope(attendee).can_remark(world.a)
    with mock.patch("django.utils.timezone.now", return_value=next_day):
        assert not fresh_scope(attendee).can_remark(world.a)
        assert not fresh_scope(attendee).follows_cells


def test_a_term_cannot_end_in_the_past_and_the_position_is_kept(world, attendee):
    officer = world.users["officer_c1"]
    with pytest.raises(ValidationError) as refused:
        account_services.grant_create(user=attendee, role=Role.ATTENDEE, unit=world.b, by=officer,
                                      scope=scope_for(officer),
                                      valid_until=timezone.localdate() - datetime.timedelta(1))  # fmt: skip
    assert "valid_until" in refused.value.message_dict
    entry = AuditEntry.objects.filter(action="grant.create").latest("pk")
    assert entry.changes["title"] == "Phó Bí thư Đảng ủy xã"


# --- what the attendee sees and does ----------------------------------------------------------
def test_the_attendee_sees_only_the_cells_followed(world, attendee, client_as):
    a_meeting = today_meeting(world)
    b_meeting = meeting_services.meeting_plan(
        unit=world.b, by=world.users["secretary_b"], kind="regular", date=timezone.localdate(),
        start_time=datetime.time(8, 0), place="Phòng họp",
    )  # fmt: skip
    visible = meeting_selectors.visible_meetings(fresh_scope(attendee))
    assert set(visible) == {a_meeting}
    client = client_as("member_a")
    client.force_login(attendee)
    assert client.get(reverse("meeting_detail", args=[a_meeting.pk])).status_code == OK
    assert client.get(reverse("meeting_detail", args=[b_meeting.pk])).status_code == MISSING
    page = client.get(reverse("attending")).content.decode()
    assert world.a.name in page and world.b.name not in page
    assert reverse("meeting_detail", args=[a_meeting.pk]) in page  # the next meeting


def test_check_in_on_the_day_records_name_and_position_once(world, attendee, client_as):
    meeting = today_meeting(world)
    client = client_as("member_a")
    client.force_login(attendee)
    detail = client.get(reverse("meeting_detail", args=[meeting.pk])).content.decode()
    assert reverse("meeting_check_in", args=[meeting.pk]) in detail
    for _ in range(2):
        assert client.post(reverse("meeting_check_in", args=[meeting.pk])).status_code == FOUND
    guest = Guest.objects.get(meeting=meeting)
    assert guest.is_upper_attendee and guest.user == attendee
    assert (guest.name, guest.position) == ("Lê Văn Minh", "Phó Bí thư Đảng ủy xã")


def test_check_in_refused_before_the_day(world, attendee):
    meeting = meeting_services.meeting_plan(
        unit=world.a, by=world.users["secretary_a"], kind="regular",
        date=timezone.localdate() + datetime.timedelta(days=3), start_time=datetime.time(8, 0),
        place="Hội trường",
    )  # fmt: skip
    meeting_services.meeting_announce(meeting=meeting, by=world.users["secretary_a"])
    with pytest.raises(ValidationError):
        meeting_services.attendee_check_in(meeting=meeting, by=attendee)
    assert not Guest.objects.exists()


def test_check_in_matrix(world, client_as, attendee):
    meeting = today_meeting(world)
    url = reverse("meeting_check_in", args=[meeting.pk])
    # Nobody in the matrix follows cell A: those who see it get 403, the others 404.
    check_matrix(client_as, url, page_row(set(), forbidden={"member_a", "secretary_a",
                                                            "officer_c1", "admin_p"}),
                 method="post")  # fmt: skip
    assert not Guest.objects.exists()


# --- the organisation board's page ------------------------------------------------------------
def test_upper_attendance_page_matrix(world, client_as):
    check_matrix(client_as, reverse("upper_attendance", args=[world.c1.pk]),
                 page_row({"officer_c1", "admin_p"}))  # fmt: skip
    check_matrix(client_as, reverse("upper_attendance", args=[world.a.pk]),
                 page_row({"officer_c1", "admin_p"}, forbidden={"member_a", "secretary_a"}))  # fmt: skip


def test_an_officer_gives_a_cell_to_follow_and_ends_it(world, client_as):
    client = client_as("officer_c1")
    url = reverse("upper_attendance", args=[world.c1.pk])
    response = client.post(url, {"username": "member_a", "cell": world.b.code,
                                 "title": "Đảng ủy viên", "valid_until": "2030-12-31"})  # fmt: skip
    assert response.status_code == FOUND
    grant = Grant.objects.get(user=world.users["member_a"], role=Role.ATTENDEE)
    assert (grant.unit, grant.title, grant.valid_until) == (world.b, "Đảng ủy viên",
                                                             datetime.date(2030, 12, 31))  # fmt: skip
    # A cell outside the commune, an unknown account: refused with the form shown again.
    refused = client.post(url, {"username": "nobody", "cell": world.d.code})
    assert refused.status_code == 422 and refused.content.decode().count("invalid-feedback") == 2
    # Another commune's officer cannot end it (404); this one can.
    end = reverse("upper_attendance_end", args=[world.c1.pk, grant.pk])
    assert client_as("officer_c2").post(end).status_code == MISSING
    assert client.post(end).status_code == FOUND
    grant.refresh_from_db()
    assert grant.revoked_at is not None


def test_coverage_by_quarter(world, client_as):
    by = world.users["secretary_a"]
    october = recorded(world, OCTOBER)  # quarter 4 of 2026
    meeting_services.guest_add(meeting=october, by=by, name="Lê Văn Minh",
                               position="Phó Bí thư Đảng ủy xã", is_upper_attendee=True)  # fmt: skip
    finalise(world, october)
    september = recorded(world, datetime.date(2026, 9, 30))  # quarter 3, no attendee
    finalise(world, september)
    q4 = selectors.quarter_bounds(2026, 4)
    q3 = selectors.quarter_bounds(2026, 3)
    assert q4 == (datetime.date(2026, 10, 1), datetime.date(2026, 12, 31))
    assert q3 == (datetime.date(2026, 7, 1), datetime.date(2026, 9, 30))
    cells = {c.code: c for c in selectors.coverage(world.c1, first=q4[0], last=q4[1])}
    assert set(cells) == {world.a.code, world.b.code}
    assert cells[world.a.code].covered and cells[world.a.code].last_attended == OCTOBER
    assert not cells[world.b.code].covered and cells[world.b.code].last_attended is None
    assert cells[world.a.code].meetings_in_period == 1
    q3_cells = {c.code: c for c in selectors.coverage(world.c1, first=q3[0], last=q3[1])}
    assert not q3_cells[world.a.code].covered and q3_cells[world.a.code].meetings_in_period == 1
    totals = selectors.coverage_totals(world.c1, first=q4[0], last=q4[1])
    assert (totals.cells, totals.covered, totals.never) == (2, 1, 1)
    never = selectors.coverage(world.c1, first=q3[0], last=q3[1], show="never")
    assert [c.code for c in never] == [world.b.code]
    uncovered = selectors.coverage(world.c1, first=q3[0], last=q3[1], show="uncovered")
    assert {c.code for c in uncovered} == {world.a.code, world.b.code}
    page = client_as("officer_c1").get(reverse("upper_attendance", args=[world.c1.pk]),
                                       {"year": 2026, "quarter": 4, "show": "never"})  # fmt: skip
    assert world.b.name in page.content.decode() and world.a.name not in page.content.decode()
    bad = client_as("officer_c1").get(reverse("upper_attendance", args=[world.c1.pk]),
                                      {"year": "x", "quarter": 9})  # fmt: skip
    assert bad.status_code == OK  # falls back to the current quarter


def test_coverage_page_queries_do_not_grow_with_cells(world, client_as):
    client = client_as("officer_c1")
    url = reverse("upper_attendance", args=[world.c1.pk])

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == OK
        return len(ctx.captured_queries)

    few = count()
    for i in range(8):
        make_unit(world.c1, f"C1-X{i}", f"Chi bộ thôn {i}", UnitKind.CELL, CellType.RESIDENTIAL)
    assert count() == few


# --- API --------------------------------------------------------------------------------------
def test_api_follower_routes(world, api_client_as):
    url = f"{API}/units/{world.c1.pk}/followers"
    check_matrix(api_client_as, url, row({"officer_c1", "admin_p"}))
    # The admin comes after the officer: the member already follows cell B by then.
    created = check_matrix(api_client_as, url, row({"officer_c1"}, CREATED) | {"admin_p": 422},
                           method="post", data={"username": "member_a", "cell": world.b.code,
                                                "title": "Đảng ủy viên"}, **JSON)  # fmt: skip
    assert created["officer_c1"].json()["cell"]["code"] == world.b.code
    refused = api_client_as("officer_c1").post(url, {"username": "member_a",
                                                     "cell": world.d.code}, **JSON)  # fmt: skip
    assert refused.status_code == 422 and "cell" in refused.json()["errors"]
    grant_id = created["officer_c1"].json()["id"]
    check_matrix(api_client_as, f"{url}/{grant_id}", row({"officer_c1"}, 204) | {"admin_p": 404},
                 method="delete")  # fmt: skip
    assert Grant.objects.get(pk=grant_id).revoked_at is not None


def test_api_coverage_and_attending(world, api_client_as, attendee):
    url = f"{API}/units/{world.c1.pk}/upper-attendance"
    responses = check_matrix(api_client_as, url, row({"officer_c1", "admin_p"}))
    body = responses["officer_c1"].json()
    assert body["cells"] == 2 and body["never"] == 2 and len(body["items"]) == 2
    bad = api_client_as("officer_c1").get(url, {"show": "soon"})
    assert bad.status_code == 422
    check_matrix(api_client_as, f"{API}/attending", row(set(ALL)))
    client = Client()
    client.force_login(attendee)
    assert [c["cell"]["code"] for c in client.get(f"{API}/attending").json()] == [world.a.code]


def test_api_check_in(world, api_client_as, attendee):
    meeting = today_meeting(world, MeetingStatus.RECORDING)
    url = f"{API}/meetings/{meeting.pk}/check-in"
    check_matrix(api_client_as, url,
                 row(set(), forbidden={"member_a", "secretary_a", "officer_c1", "admin_p"}),
                 method="post", data={}, **JSON)  # fmt: skip
    client = Client()
    client.force_login(attendee)
    answer = client.post(url, {}, **JSON)
    assert answer.status_code == OK and answer.json()["position"] == "Phó Bí thư Đảng ủy xã"
