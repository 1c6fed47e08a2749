"""The access-matrix rows of the follow-up routes not already covered next to their features:
every role of the world against the write routes of upper-level attendance, the plan of
inspections and the answers to proposals."""

import pytest
from django.urls import reverse

from chibo.accounts.models import Grant, Role
from chibo.followup import services
from chibo.followup.models import Fix, Inspection, ProposalStatus
from tests.api.conftest import API, JSON
from tests.conftest import check_matrix
from tests.meetings.test_api import ALL, row

from .test_inspections import plan

pytestmark = pytest.mark.django_db

OK, CREATED, FOUND, FORBIDDEN, MISSING = 200, 201, 302, 403, 404


def page_row(ok_roles, ok=OK, forbidden=frozenset()):
    return row(ok_roles, ok, forbidden) | {"anonymous": FOUND}


def test_giving_a_cell_to_follow_matrix(world, client_as):
    url = reverse("upper_attendance", args=[world.c1.pk])
    # The officer gives member_a cell B; the admin's same request then finds the role given.
    check_matrix(client_as, url, page_row({"officer_c1"}, FOUND) | {"admin_p": 422},
                 method="post", data={"username": "member_a", "cell": world.b.code})  # fmt: skip
    grant = Grant.objects.get(user=world.users["member_a"], role=Role.ATTENDEE)
    end = reverse("upper_attendance_end", args=[world.c1.pk, grant.pk])
    check_matrix(client_as, end, page_row({"officer_c1"}, FOUND) | {"admin_p": MISSING},
                 method="post")  # fmt: skip
    grant.refresh_from_db()
    assert grant.revoked_at is not None


def test_attending_page_matrix(world, client_as):
    responses = check_matrix(client_as, reverse("attending"), page_row(set(ALL)))
    assert "Bạn chưa được phân công" in responses["officer_c1"].content.decode()


def test_planning_an_inspection_page_matrix(world, client_as):
    url = reverse("unit_inspections", args=[world.c1.pk])
    data = {"target": world.a.code, "kind": "inspection", "subject": "Sinh hoạt chi bộ",
            "planned_month": 6, "period_start": "2025-01-01", "period_end": "2025-12-31"}  # fmt: skip
    check_matrix(client_as, url, page_row({"officer_c1", "admin_p"}, FOUND), method="post",
                 data=data)  # fmt: skip
    assert Inspection.objects.filter(committee=world.c1).count() == 2
    # A cell keeps no plan: its page refuses the form to those who see it.
    cell = reverse("unit_inspections", args=[world.a.pk])
    check_matrix(client_as, cell,
                 page_row(set(), forbidden={"member_a", "secretary_a", "officer_c1", "admin_p"}),
                 method="post", data=data)  # fmt: skip


def test_api_inspection_list_patch_and_fix_matrix(world, api_client_as):
    inspection = plan(world)
    check_matrix(api_client_as, f"{API}/units/{world.c1.pk}/inspections",
                 row({"officer_c1", "admin_p"}))  # fmt: skip
    listed = api_client_as("officer_c1").get(f"{API}/units/{world.c1.pk}/inspections").json()
    assert [i["id"] for i in listed] == [inspection.pk]
    # Members of the inspected cell never see a planned inspection (empty list, not an error).
    assert api_client_as("member_a").get(f"{API}/units/{world.a.pk}/inspections").json() == []
    url = f"{API}/inspections/{inspection.pk}"
    # Each successful patch moves the version on: the admin, after the officer, is stale (409).
    check_matrix(api_client_as, url, row({"officer_c1"}) | {"admin_p": 409}, method="patch",
                 data={"version": inspection.version, "findings": "Tốt."}, **JSON)  # fmt: skip
    check_matrix(api_client_as, f"{url}/fixes", row({"officer_c1", "admin_p"}, CREATED),
                 method="post", data={"description": "Sửa", "deadline": "2026-12-31"}, **JSON)  # fmt: skip
    assert Fix.objects.filter(inspection=inspection).count() == 2


def test_api_answer_and_reject_matrix(world, api_client_as):
    def proposal():
        return services.proposal_send(cell=world.a, by=world.users["secretary_a"],
                                      title="Đèn đường", text="Lắp bóng đèn.")  # fmt: skip

    first, second = proposal(), proposal()
    # The first to act closes it; the admin after the officer finds it closed (403).
    answered = check_matrix(api_client_as, f"{API}/proposals/{first.pk}/answer",
                            row({"officer_c1"}, OK, {"member_a", "secretary_a", "admin_p"}),
                            method="post", data={"text": "Xã sẽ lắp trong tháng."}, **JSON)  # fmt: skip
    assert answered["officer_c1"].json()["status"] == ProposalStatus.ANSWERED
    check_matrix(api_client_as, f"{API}/proposals/{second.pk}/reject",
                 row({"officer_c1"}, OK, {"member_a", "secretary_a", "admin_p"}),
                 method="post", data={"text": "Đã có trong kế hoạch."}, **JSON)  # fmt: skip
    second.refresh_from_db()
    assert second.status == ProposalStatus.REJECTED
