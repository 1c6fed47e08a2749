"""Members slipping away (issue 4, part 5): the absence counts on their edge cases, the levels,
the access matrix of the page, the record page and both API routes, bad input, and a constant
number of queries for the list.

The world (tests/conftest.py): cell A (Hoa = member_a, Ưng = secretary_a, Sơn) and cell B
(Bình = secretary_b) under commune C1; cell D (Dũng) under commune C2; all under P.
"""

import datetime
import itertools

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from chibo.accounts.access import scope_for
from chibo.accounts.tokens import token_create
from chibo.followup import risk
from chibo.meetings import services as meeting_services
from chibo.meetings.models import (
    Attendance,
    Meeting,
    MeetingKind,
    MeetingStatus,
    Presence,
    RosterCategory,
)
from chibo.org import services as org_services
from chibo.org.models import CellType, Unit, UnitKind
from tests.api.conftest import API
from tests.conftest import check_matrix
from tests.factories import MemberFactory, make_unit, make_user

pytestmark = pytest.mark.django_db
P = Presence
_minute = itertools.count()


def held(cell, day, lines, *, kind=MeetingKind.REGULAR, status=MeetingStatus.FINALISED):
    """A meeting of `cell` on `day` with its roster written directly (the counts read only
    finalised meetings and their lines, as the services leave them): `lines` is
    {member: presence} or {member: (presence, category)}; the category defaults to official."""
    province = Unit.objects.get(path=cell.path[: Unit.steplen])
    # Recorded first, then finalised: PostgreSQL refuses lines added to finalised minutes.
    meeting = Meeting.objects.create(
        unit=cell, province=province, kind=kind, status=MeetingStatus.RECORDING, date=day,
        start_time=datetime.time(19, next(_minute) % 60), place="Nhà văn hóa",
    )  # fmt: skip
    rows = []
    for member, value in lines.items():
        presence, category = value if isinstance(value, tuple) else (value, RosterCategory.OFFICIAL)
        rows.append(Attendance(
            meeting=meeting, member=member, category=category, presence=presence,
            was_official=category == RosterCategory.OFFICIAL, sort_key=member.sort_key,
        ))  # fmt: skip
    Attendance.objects.bulk_create(rows)
    if status != MeetingStatus.RECORDING:
        Meeting.objects.filter(pk=meeting.pk).update(status=status)
        meeting.status = status
    return meeting


def d(month, day=10, year=2025):
    return datetime.date(year, month, day)


@pytest.fixture(params=["session", "bearer"])
def api_as(request, world, client_as):
    """Like `client_as`, authenticated by the session or by a bearer token (API matrices run
    once per way of authenticating)."""
    if request.param == "session":
        return client_as

    def make(role):
        if role == "anonymous":
            return Client()
        _token, raw = token_create(user=world.users[role], name=f"test {role}", days=30)
        return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")

    return make


YEAR = 2025
EX = RosterCategory.EXEMPTED
ATT = RosterCategory.ATTACHED
AWAY = RosterCategory.AWAY
AT_RISK, OVER = risk.RiskLevel.AT_RISK, risk.RiskLevel.OVER_LIMIT


def record_of(world, member, year=YEAR):
    scope = scope_for(world.users["admin_p"])
    return risk.member_absence_record(scope, member, year).record


def rows_of(world, role, unit, year=YEAR, **kwargs):
    return risk.members_at_risk(scope_for(world.users[role]), unit, year, **kwargs)


def by_member(rows):
    return {row.member.pk: row for row in rows}


def absent_months(world, member, months, *, cell=None, year=YEAR, presence=P.ABSENT_UNEXCUSED):
    for month in months:
        held(cell or member.cell, d(month, year=year), {member: presence})


# --- months absent without reason (QĐ 24) ---------------------------------------------------------
def test_months_are_distinct_calendar_months(world):
    # Two absences in March are one month; April and June make three.
    held(world.a, d(3, 5), {world.hoa: P.ABSENT_UNEXCUSED})
    held(world.a, d(3, 20), {world.hoa: P.ABSENT_UNEXCUSED}, kind=MeetingKind.THEMATIC)
    held(world.a, d(4), {world.hoa: P.ABSENT_UNEXCUSED}, kind=MeetingKind.EXTRAORDINARY)
    held(world.a, d(5), {world.hoa: P.PRESENT})
    record = record_of(world, world.hoa)
    assert record.unexcused_months == [3, 4]
    assert record.months_level == AT_RISK
    held(world.a, d(6), {world.hoa: P.ABSENT_UNEXCUSED}, kind=MeetingKind.COMBINED)
    record = record_of(world, world.hoa)
    assert record.unexcused_months == [3, 4, 6]
    assert record.level == OVER
    assert record.reasons == [risk.Reason.UNEXCUSED_MONTHS]


def test_levels_of_the_months(world):
    absent_months(world, world.hoa, [1])
    absent_months(world, world.son, [1, 2])
    absent_months(world, world.ung, [1, 2, 3, 4])
    rows = by_member(rows_of(world, "secretary_a", world.a))
    assert world.hoa.pk not in rows  # one month: not listed
    assert rows[world.son.pk].level == AT_RISK
    assert rows[world.ung.pk].level == OVER
    assert rows[world.ung.pk].record.unexcused_month_count == 4


def test_exempt_months_do_not_count(world):
    # March: exempt (standing on the day), yet marked absent without reason: not counted.
    held(world.a, d(3), {world.hoa: (P.ABSENT_UNEXCUSED, EX)})
    # April: marked "exempt, not attending" at one meeting, absent without reason at another.
    held(world.a, d(4, 2), {world.hoa: (P.EXEMPT_ABSENT, EX)})
    held(world.a, d(4, 25), {world.hoa: P.ABSENT_UNEXCUSED}, kind=MeetingKind.EXTRAORDINARY)
    # May and June count.
    absent_months(world, world.hoa, [5, 6])
    record = record_of(world, world.hoa)
    assert record.unexcused_months == [5, 6]
    assert record.exempt_months == [3, 4]
    assert record.level == AT_RISK
    # Three months were marked absent without reason, but the list says at risk, not over.
    assert by_member(rows_of(world, "officer_c1", world.c1))[world.hoa.pk].level == AT_RISK


def test_preparatory_and_unfinalised_meetings_do_not_count(world):
    for month in (1, 2, 3):
        held(world.a, d(month), {world.hoa: P.ABSENT_UNEXCUSED}, kind=MeetingKind.PREPARATORY)
    held(world.a, d(4), {world.hoa: P.ABSENT_UNEXCUSED}, status=MeetingStatus.RECORDING)
    held(world.a, d(5), {world.hoa: P.ABSENT_UNEXCUSED}, status=MeetingStatus.CANCELLED)
    held(world.a, d(6), {world.hoa: P.ABSENT_UNEXCUSED})
    for month in (7, 8, 9, 10):
        held(world.a, d(month), {world.hoa: P.ABSENT_EXCUSED}, status=MeetingStatus.RECORDING)
    record = record_of(world, world.hoa)
    assert record.unexcused_months == [6]
    assert record.excused_run == 0
    assert [v.line.date.month for v in record.verdicts] == [6]
    assert rows_of(world, "admin_p", world.p) == []


def test_year_boundary(world):
    held(world.a, datetime.date(2024, 11, 10), {world.hoa: P.ABSENT_EXCUSED})
    held(world.a, datetime.date(2024, 12, 31), {world.hoa: P.ABSENT_UNEXCUSED})
    held(world.a, datetime.date(2025, 1, 1), {world.hoa: P.ABSENT_UNEXCUSED})
    held(world.a, datetime.date(2024, 12, 10), {world.son: P.ABSENT_EXCUSED})
    held(world.a, datetime.date(2024, 12, 20), {world.son: P.ABSENT_EXCUSED})
    held(world.a, datetime.date(2025, 1, 10), {world.son: P.ABSENT_EXCUSED})
    held(world.a, datetime.date(2025, 2, 10), {world.son: P.ABSENT_EXCUSED})
    held(world.a, datetime.date(2025, 2, 28), {world.hoa: P.ABSENT_UNEXCUSED})
    assert record_of(world, world.hoa, 2024).unexcused_months == [12]
    assert record_of(world, world.hoa, 2025).unexcused_months == [1, 2]
    # A run does not cross 1 January: two at the end of 2024, two at the start of 2025.
    assert record_of(world, world.son, 2024).excused_run == 2
    assert record_of(world, world.son, 2025).excused_run == 2
    assert by_member(rows_of(world, "officer_c1", world.a, 2025)).keys() == {world.hoa.pk}
    assert rows_of(world, "officer_c1", world.a, 2024) == []


def test_transfer_mid_year_counts_the_old_cell_and_lists_under_the_new(world):
    absent_months(world, world.hoa, [1, 2])  # in cell A
    org_services.member_transfer(member=world.hoa, to_cell=world.d, effective_on=d(3),
                                 reason="Chuyển nơi cư trú", by=None)  # fmt: skip
    world.hoa.refresh_from_db()
    held(world.d, d(4), {world.hoa: P.ABSENT_UNEXCUSED, world.dung: P.PRESENT})
    record = record_of(world, world.hoa)
    assert record.unexcused_months == [1, 2, 4]
    assert {v.line.unit_id for v in record.verdicts} == {world.a.pk, world.d.pk}
    # Listed under D (and its commune), no longer under A or C1.
    row = by_member(rows_of(world, "officer_c2", world.c2))[world.hoa.pk]
    assert row.level == OVER and row.cell == world.d and not row.listed_as_attached
    assert world.hoa.pk not in by_member(rows_of(world, "officer_c1", world.c1))
    assert world.hoa.pk not in by_member(rows_of(world, "secretary_a", world.a))


def test_temporary_attachment_counts_at_the_host_and_lists_in_both(world):
    org_services.member_attach(member=world.hoa, host_cell=world.d, start=d(1, 1), end=None,
                               reason="Đi làm ăn xa", by=None)  # fmt: skip
    # Home cell A: "attached elsewhere"; host cell D: attached there, absent without reason.
    for month in (2, 3):
        held(world.a, d(month, 3), {world.hoa: (P.AWAY, AWAY), world.ung: P.PRESENT})
        held(world.d, d(month, 8), {world.hoa: (P.ABSENT_UNEXCUSED, ATT), world.dung: P.PRESENT})
    held(world.a, d(4, 3), {world.hoa: (P.AWAY, AWAY)})
    held(world.d, d(4, 8), {world.hoa: (P.ABSENT_UNEXCUSED, ATT)})
    record = record_of(world, world.hoa)
    assert record.unexcused_months == [2, 3, 4]
    # Home cell: listed, with the attachment shown.
    home = by_member(rows_of(world, "secretary_a", world.a))[world.hoa.pk]
    assert home.cell == world.a and not home.listed_as_attached and home.attached_to == world.d
    # Host cell: listed, marked as attached (its officer may open the member's record).
    host = by_member(rows_of(world, "officer_c2", world.d))[world.hoa.pk]
    assert host.cell == world.d and host.listed_as_attached and host.level == OVER
    assert world.hoa.pk in by_member(rows_of(world, "officer_c2", world.c2))
    # The province lists the member once, under the home cell.
    province = [r for r in rows_of(world, "admin_p", world.p) if r.member.pk == world.hoa.pk]
    assert len(province) == 1 and province[0].cell == world.a
    # Nobody else's list: cell B.
    assert rows_of(world, "secretary_b", world.b) == []


def test_attachment_ended_is_not_listed_at_the_host(world):
    org_services.member_attach(member=world.hoa, host_cell=world.d, start=d(1, 1), end=d(6, 30),
                               reason="Đi học", by=None)  # fmt: skip
    for month in (2, 3, 4):
        held(world.d, d(month), {world.hoa: (P.ABSENT_UNEXCUSED, ATT)})
    assert world.hoa.pk not in by_member(rows_of(world, "officer_c2", world.d))
    assert by_member(rows_of(world, "secretary_a", world.a))[world.hoa.pk].level == OVER


def test_departed_members_are_not_listed(world):
    absent_months(world, world.son, [1, 2, 3])
    assert by_member(rows_of(world, "secretary_a", world.a)).keys() == {world.son.pk}
    org_services.member_depart(
        member=world.son, kind="removed", effective_on=d(12), note="Quyết định xóa tên", by=None
    )
    assert rows_of(world, "secretary_a", world.a) == []


# --- absences with reason in a row (HD 12) ----------------------------------------------------------
def runs(world, sequence, member=None):
    """Regular meetings of cell A, one a month, with `member`'s presence from `sequence`
    (None: no line); returns the record."""
    member = member or world.hoa
    for month, value in enumerate(sequence, start=1):
        if value is not None:
            held(world.a, d(month), {member: value})
    return record_of(world, member)


def test_run_at_three_is_at_risk_above_three_over(world):
    record = runs(world, [P.PRESENT, P.ABSENT_EXCUSED, P.ABSENT_EXCUSED, P.ABSENT_EXCUSED])
    assert (record.excused_run, record.longest_excused_run) == (3, 3)
    assert record.level == AT_RISK and record.reasons == [risk.Reason.EXCUSED_RUN]
    held(world.a, d(5), {world.hoa: P.ABSENT_EXCUSED})
    record = record_of(world, world.hoa)
    assert (record.excused_run, record.longest_excused_run, record.level) == (4, 4, OVER)


def test_a_past_run_over_the_limit_stays_over(world):
    excused = [P.ABSENT_EXCUSED] * 4
    record = runs(world, [*excused, P.PRESENT, P.ABSENT_EXCUSED])
    assert (record.excused_run, record.longest_excused_run, record.level) == (1, 4, OVER)


def test_a_closed_run_of_three_is_not_at_risk(world):
    record = runs(world, [P.ABSENT_EXCUSED] * 3 + [P.PRESENT])
    assert (record.excused_run, record.longest_excused_run) == (0, 3)
    assert record.level == risk.RiskLevel.NONE
    assert rows_of(world, "secretary_a", world.a) == []


def test_exempt_meetings_are_skipped_by_the_run(world):
    sequence = [P.ABSENT_EXCUSED, P.ABSENT_EXCUSED, (P.EXEMPT_ABSENT, EX), (P.PRESENT, EX),
                P.ABSENT_EXCUSED]  # fmt: skip
    record = runs(world, sequence)
    assert record.excused_run == 3  # neither broken nor extended by the exempt months
    assert [v.skipped for v in record.verdicts] == [False, False, True, True, False]


def test_unexcused_absence_ends_the_run_and_counts_its_month(world):
    record = runs(world, [P.ABSENT_EXCUSED, P.ABSENT_EXCUSED, P.ABSENT_UNEXCUSED, P.ABSENT_EXCUSED])
    assert (record.excused_run, record.longest_excused_run) == (1, 2)
    assert record.unexcused_months == [3]


def test_only_regular_and_combined_meetings_make_the_run(world):
    held(world.a, d(1), {world.hoa: P.ABSENT_EXCUSED})
    held(world.a, d(2), {world.hoa: P.ABSENT_EXCUSED}, kind=MeetingKind.COMBINED)
    held(world.a, d(2, 20), {world.hoa: P.PRESENT}, kind=MeetingKind.THEMATIC)  # not in the run
    held(world.a, d(3, 2), {world.hoa: P.PRESENT}, kind=MeetingKind.PREPARATORY)  # ignored
    held(world.a, d(3, 5), {world.hoa: P.PRESENT}, kind=MeetingKind.EXTRAORDINARY)  # not in it
    held(world.a, d(3), {world.hoa: P.ABSENT_EXCUSED})
    record = record_of(world, world.hoa)
    assert record.excused_run == 3 and record.level == AT_RISK


def test_run_follows_the_member_across_a_transfer_and_an_attachment(world):
    # January–February in A, then attached to B: A's lines say "away" (skipped), B's count.
    held(world.a, d(1), {world.hoa: P.ABSENT_EXCUSED})
    held(world.a, d(2), {world.hoa: P.ABSENT_EXCUSED})
    held(world.a, d(3, 3), {world.hoa: (P.AWAY, AWAY)})
    held(world.b, d(3, 9), {world.hoa: (P.ABSENT_EXCUSED, ATT)})
    held(world.a, d(4, 3), {world.hoa: (P.PRESENT, AWAY)})  # came to the home cell: ends it
    held(world.b, d(4, 9), {world.hoa: (P.ABSENT_EXCUSED, ATT)})
    record = record_of(world, world.hoa)
    assert (record.excused_run, record.longest_excused_run) == (1, 3)


# --- through the services: the roster's snapshot is what counts -------------------------------------
def _finalised(world, cell, day, marks, secretary):
    """A meeting planned, recorded and finalised through the services, with `marks`."""
    meeting = meeting_services.meeting_plan(
        unit=cell, by=secretary, kind=MeetingKind.REGULAR, date=day,
        start_time=datetime.time(19, 30), place="Nhà văn hóa",
    )  # fmt: skip
    meeting_services.meeting_start_recording(meeting=meeting, by=secretary)
    for line in meeting.attendance.select_related("member"):
        if line.presence == Presence.UNMARKED:
            presence = marks.get(line.member_id, Presence.PRESENT)
            meeting_services.attendance_mark(line=line, by=secretary, presence=presence)
    meeting.refresh_from_db()
    meeting.status = MeetingStatus.FINALISED  # the finalisation checks are not the subject here
    meeting.save(update_fields=["status"])
    return meeting


def test_roster_snapshot_from_the_services(world):
    """Exemption and attachment recorded in the registry reach the counts through the roster
    the services build on the meeting's date."""
    secretary = world.users["secretary_a"]
    org_services.member_exempt(member=world.son, start=d(3, 1), end=d(3, 31), reason="Ốm",
                               by=None)  # fmt: skip
    for month in (1, 2, 3):
        _finalised(world, world.a, d(month), {world.son.pk: Presence.ABSENT_UNEXCUSED}, secretary)
    record = record_of(world, world.son)
    # March: the roster says exempted ("exempt, not attending" by default): not counted.
    march = [v.line for v in record.verdicts if v.line.date.month == 3]
    assert [(line.category, line.presence) for line in march] == [(EX, Presence.EXEMPT_ABSENT)]
    assert record.unexcused_months == [1, 2]


# --- the page, the record page, the API ---------------------------------------------------------
OK, LOGIN, MISSING = 200, 302, 404


def page_matrix(**ok):
    base = dict(member_a=MISSING, secretary_a=MISSING, secretary_b=MISSING, officer_c1=MISSING,
                officer_c2=MISSING, admin_p=MISSING, anonymous=LOGIN)  # fmt: skip
    return base | {role: OK for role in ok}


def api_matrix(*ok):
    return {role: OK if role in ok else MISSING for role in page_matrix()} | {"anonymous": 401}


@pytest.fixture
def slipping(world):
    """Hoa over the limit in cell A, Bình at risk in cell B, Dũng at risk in cell D."""
    absent_months(world, world.hoa, [1, 2, 3])
    for month in (1, 2, 3):
        held(world.b, d(month), {world.binh: P.ABSENT_EXCUSED})
        held(world.d, d(month), {world.dung: P.ABSENT_EXCUSED})
    return world


def test_page_matrix_of_a_cell(slipping, client_as):
    url = reverse("members_at_risk", args=[slipping.a.pk]) + f"?year={YEAR}"
    responses = check_matrix(client_as, url, page_matrix(secretary_a=1, officer_c1=1, admin_p=1))
    html = responses["secretary_a"].content.decode()
    assert reverse("member_detail", args=[slipping.hoa.pk]) in html
    assert reverse("member_absences", args=[slipping.hoa.pk]) + f"?year={YEAR}" in html
    assert reverse("member_detail", args=[slipping.binh.pk]) not in html
    assert "01/2025, 02/2025, 03/2025" in html
    assert "QĐ 24-QĐ/TW" in html and "HD 12-HD/BTCTW" in html  # the rules with their source


def test_page_matrix_of_a_commune_and_the_province(slipping, client_as):
    url = reverse("members_at_risk", args=[slipping.c1.pk]) + f"?year={YEAR}"
    responses = check_matrix(client_as, url, page_matrix(officer_c1=1, admin_p=1))
    html = responses["officer_c1"].content.decode()
    assert f'data-member="{slipping.hoa.pk}" data-level="over_limit"' in html
    assert f'data-member="{slipping.binh.pk}" data-level="at_risk"' in html
    assert f'data-member="{slipping.dung.pk}"' not in html
    url = reverse("members_at_risk", args=[slipping.p.pk]) + f"?year={YEAR}"
    responses = check_matrix(client_as, url, page_matrix(admin_p=1))
    assert f'data-member="{slipping.dung.pk}"' in responses["admin_p"].content.decode()


def test_page_for_clerk_and_attendee(slipping):
    """The other reading roles: the cell's clerk, and an attendee assigned to the cell."""
    clerk, attendee = Client(), Client()
    clerk.force_login(make_user("clerk_a", role="clerk", unit=slipping.a))
    attendee.force_login(make_user("attendee_a", role="attendee", unit=slipping.a))
    for client in (clerk, attendee):
        for unit, status in ((slipping.a, OK), (slipping.b, MISSING), (slipping.c1, MISSING)):
            url = reverse("members_at_risk", args=[unit.pk]) + f"?year={YEAR}"
            assert client.get(url).status_code == status
        response = client.get(f"{API}/units/{slipping.a.pk}/members-at-risk?year={YEAR}")
        assert [i["member"]["id"] for i in response.json()["items"]] == [slipping.hoa.pk]
        url = reverse("member_absences", args=[slipping.hoa.pk]) + f"?year={YEAR}"
        assert client.get(url).status_code == OK
        assert client.get(f"{API}/members/{slipping.binh.pk}/absences").status_code == MISSING


def test_unknown_unit_and_member_are_404(world, client_as):
    admin = client_as("admin_p")
    assert admin.get(reverse("members_at_risk", args=[999999])).status_code == 404
    assert admin.get(reverse("member_absences", args=[999999])).status_code == 404
    assert admin.get(f"{API}/units/999999/members-at-risk").status_code == 404
    assert admin.get(f"{API}/members/999999/absences").status_code == 404


def test_record_page_matrix(slipping, client_as):
    url = reverse("member_absences", args=[slipping.hoa.pk]) + f"?year={YEAR}"
    # The member sees their own record, not another's.
    responses = check_matrix(
        client_as, url, page_matrix(member_a=1, secretary_a=1, officer_c1=1, admin_p=1)
    )
    html = responses["member_a"].content.decode()
    assert '<div class="risk-month is-counted" title="03/2025">' in html
    url = reverse("member_absences", args=[slipping.ung.pk]) + f"?year={YEAR}"
    check_matrix(client_as, url, page_matrix(secretary_a=1, officer_c1=1, admin_p=1))


def test_api_list_matrix(slipping, api_as):
    url = f"{API}/units/{slipping.a.pk}/members-at-risk?year={YEAR}"
    responses = check_matrix(api_as, url, api_matrix("secretary_a", "officer_c1", "admin_p"))
    body = responses["officer_c1"].json()
    assert body["count"] == 1 and body["over_limit"] == 1 and body["at_risk"] == 0
    item = body["items"][0]
    assert item["member"]["id"] == slipping.hoa.pk
    assert item["unexcused_months"] == [1, 2, 3] and item["level"] == "over_limit"
    assert item["reasons"] == ["unexcused_months"] and item["cell"]["id"] == slipping.a.pk
    assert body["rules"]["unexcused_months_limit"] == 3
    url = f"{API}/units/{slipping.c1.pk}/members-at-risk?year={YEAR}"
    responses = check_matrix(api_as, url, api_matrix("officer_c1", "admin_p"))
    items = responses["admin_p"].json()["items"]
    assert [(i["member"]["id"], i["level"]) for i in items] == [
        (slipping.hoa.pk, "over_limit"), (slipping.binh.pk, "at_risk"),
    ]  # fmt: skip
    assert items[1]["excused_run"] == 3 and items[1]["reasons"] == ["excused_run"]


def test_api_record_matrix(slipping, api_as):
    url = f"{API}/members/{slipping.hoa.pk}/absences?year={YEAR}"
    responses = check_matrix(
        api_as, url, api_matrix("member_a", "secretary_a", "officer_c1", "admin_p")
    )
    body = responses["member_a"].json()
    assert body["unexcused_months"] == [1, 2, 3] and body["level"] == "over_limit"
    assert [line["counts_month"] for line in body["lines"]] == [True, True, True]
    assert all(line["meeting_visible"] for line in body["lines"])
    url = f"{API}/members/{slipping.dung.pk}/absences?year={YEAR}"
    body = check_matrix(api_as, url, api_matrix("officer_c2", "admin_p"))["admin_p"].json()
    assert body["excused_run"] == 3 and body["level"] == "at_risk"


def test_api_filters_and_sorts(slipping, client_as):
    admin = client_as("admin_p")
    url = f"{API}/units/{slipping.p.pk}/members-at-risk?year={YEAR}"
    body = admin.get(url).json()
    assert (body["count"], body["over_limit"], body["at_risk"]) == (3, 1, 2)
    assert body["items"][0]["member"]["id"] == slipping.hoa.pk  # most urgent first
    at_risk = admin.get(url + "&level=at_risk").json()
    assert {i["member"]["id"] for i in at_risk["items"]} == {slipping.binh.pk, slipping.dung.pk}
    assert at_risk["count"] == 2 and at_risk["over_limit"] == 1
    # Vietnamese order: by given name — Bình, Dũng, Hoa.
    names = [i["member"]["id"] for i in admin.get(url + "&sort=name").json()["items"]]
    assert names == [slipping.binh.pk, slipping.dung.pk, slipping.hoa.pk]
    page = admin.get(url + "&sort=name&limit=1&offset=1").json()
    assert page["count"] == 3 and [i["member"]["id"] for i in page["items"]] == [slipping.dung.pk]


def test_page_filters_and_sorts(slipping, client_as):
    admin = client_as("admin_p")
    base = reverse("members_at_risk", args=[slipping.p.pk]) + f"?year={YEAR}"
    html = admin.get(base + "&sort=name").content.decode()
    order = [
        html.index(f'data-member="{m.pk}"') for m in (slipping.binh, slipping.dung, slipping.hoa)
    ]
    assert order == sorted(order)
    html = admin.get(base + "&level=over_limit").content.decode()
    assert f'data-member="{slipping.hoa.pk}"' in html
    assert f'data-member="{slipping.binh.pk}"' not in html
    # An unknown sort or level falls back to the defaults.
    assert admin.get(base + "&sort=drop&level=x").status_code == 200


@pytest.mark.parametrize("year", ["abc", "1999", "2999", "20 25", "-1"])
def test_bad_year(world, client_as, year):
    admin = client_as("admin_p")
    response = admin.get(reverse("members_at_risk", args=[world.a.pk]), {"year": year})
    assert response.status_code == 400
    assert 'class="alert alert-danger"' in response.content.decode()
    response = admin.get(reverse("member_absences", args=[world.hoa.pk]), {"year": year})
    assert response.status_code == 400
    for url in (
        f"{API}/units/{world.a.pk}/members-at-risk",
        f"{API}/members/{world.hoa.pk}/absences",
    ):
        response = admin.get(url, {"year": year})
        assert response.status_code == 422, response.content
        assert set(response.json()["errors"]) == {"year"}


def test_bad_year_still_checks_access_first(world, client_as):
    member = client_as("member_a")
    url = reverse("members_at_risk", args=[world.a.pk]) + "?year=abc"
    assert member.get(url).status_code == 404


def test_default_year_is_the_current_one(world, client_as):
    today = datetime.date.today()
    held(world.a, today.replace(day=1), {world.hoa: P.ABSENT_EXCUSED})
    body = client_as("admin_p").get(f"{API}/members/{world.hoa.pk}/absences").json()
    assert body["year"] == today.year and body["excused_run"] == 1


# --- a constant number of queries -----------------------------------------------------------------
def _grow(world, cells, start=0):
    """Cells under C1 with members slipping away in several ways, and more meetings."""
    for i in range(start, start + cells):
        cell = make_unit(
            world.c1, f"C1-R{i}", f"Chi bộ xóm {i}", UnitKind.CELL, CellType.RESIDENTIAL
        )
        over, at_risk, run, attached = MemberFactory.create_batch(4, cell=cell)
        org_services.member_attach(member=attached, host_cell=world.a, start=d(1, 1), end=None,
                                   reason="Đi làm ăn xa", by=None)  # fmt: skip
        for month in (1, 2, 3, 4):
            held(cell, d(month), {over: P.ABSENT_UNEXCUSED, at_risk: P.ABSENT_UNEXCUSED if month < 3
                                  else P.PRESENT, run: P.ABSENT_EXCUSED})  # fmt: skip
            held(world.a, d(month, 20), {attached: (P.ABSENT_UNEXCUSED, ATT)})


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries), response


def test_list_query_count_does_not_grow(world, client_as):
    _grow(world, 1)
    c1_urls = [
        reverse("members_at_risk", args=[world.c1.pk]) + f"?year={YEAR}",
        reverse("members_at_risk", args=[world.a.pk]) + f"?year={YEAR}",
        f"{API}/units/{world.c1.pk}/members-at-risk?year={YEAR}",
    ]
    province_urls = [
        reverse("members_at_risk", args=[world.p.pk]) + f"?year={YEAR}",
        f"{API}/units/{world.p.pk}/members-at-risk?year={YEAR}",
    ]
    urls = {"officer_c1": c1_urls, "admin_p": c1_urls + province_urls}
    clients = {role: client_as(role) for role in urls}

    def counts():
        return {role: [_queries(clients[role], u)[0] for u in urls[role]] for role in urls}

    small = counts()
    rows = len(clients["admin_p"].get(province_urls[1]).json()["items"])
    _grow(world, 6, start=1)
    assert counts() == small
    assert len(clients["admin_p"].get(province_urls[1]).json()["items"]) == rows * 7
    # The selector for the whole province: four queries (candidates, their lines, members
    # listed, their attachments).
    scope = scope_for(world.users["admin_p"])
    with CaptureQueriesContext(connection) as ctx:
        rows = risk.members_at_risk(scope, world.p, YEAR)
    assert len(ctx.captured_queries) == 4 and len(rows) == 7 * 4
    # Under a commune, the ids of the members in view are read first: five.
    with CaptureQueriesContext(connection) as ctx:
        rows = risk.members_at_risk(scope, world.c1, YEAR)
    assert len(ctx.captured_queries) == 5 and len(rows) == 7 * 4


def test_record_query_count_does_not_grow(world, client_as):
    scope = scope_for(world.users["admin_p"])
    absent_months(world, world.hoa, [1])
    with CaptureQueriesContext(connection) as small:
        risk.member_absence_record(scope, world.hoa, YEAR)
    absent_months(world, world.hoa, range(2, 13))
    with CaptureQueriesContext(connection) as large:
        record = risk.member_absence_record(scope, world.hoa, YEAR).record
    assert len(large.captured_queries) == len(small.captured_queries) == 2
    assert record.unexcused_month_count == 12
