"""The access matrix for every API route (DESIGN.md, "Access"): objects outside a user's
grants answer 404 (never 403 or 200), anonymous callers 401. Every matrix runs twice:
with the browser session and with a bearer token."""

import pytest

from chibo.accounts.tokens import token_create
from tests.conftest import check_matrix

from .conftest import API, JSON

pytestmark = pytest.mark.django_db

NOBODY_BUT = {  # helper rows: who sees a unit's subtree
    "A": {"member_a", "secretary_a", "officer_c1", "admin_p"},
    "B": {"secretary_b", "officer_c1", "admin_p"},
    "C1": {"officer_c1", "admin_p"},
    "D": {"officer_c2", "admin_p"},
    "C2": {"officer_c2", "admin_p"},
    "P": {"admin_p"},
}
ALL = ["member_a", "secretary_a", "secretary_b", "officer_c1", "officer_c2", "admin_p"]


def row(allowed: set[str], ok: int = 200, denied: int = 404, **overrides) -> dict[str, int]:
    expected = {role: ok if role in allowed else denied for role in ALL}
    expected["anonymous"] = 401
    expected.update(overrides)
    return expected


def new_member(cell_id: int) -> dict:
    return {
        "family_name": "Nguyễn",
        "middle_name": "Thị",
        "given_name": "Mai",
        "gender": "female",
        "birth_date": "1990-01-02",
        "admission_date": "2015-02-03",
        "official_date": "2016-02-03",
        "status": "official",
        "cell": cell_id,
    }


# --- units -----------------------------------------------------------------------------------
def test_top_units(world, api_client_as):
    responses = check_matrix(api_client_as, f"{API}/units", row(set(ALL)))
    tops = {role: [u["code"] for u in r.json()] for role, r in responses.items() if role in ALL}
    assert tops == {
        "member_a": ["C1-A"],
        "secretary_a": ["C1-A"],
        "secretary_b": ["C1-B"],
        "officer_c1": ["C1"],
        "officer_c2": ["C2"],
        "admin_p": ["P"],
    }


@pytest.mark.parametrize("unit", ["A", "B", "C1", "C2", "D", "P"])
def test_unit_detail(world, api_client_as, unit):
    pk = getattr(world, unit.lower()).pk
    check_matrix(api_client_as, f"{API}/units/{pk}", row(NOBODY_BUT[unit]))


@pytest.mark.parametrize("unit", ["A", "C1", "C2", "P"])
def test_unit_children(world, api_client_as, unit):
    pk = getattr(world, unit.lower()).pk
    check_matrix(api_client_as, f"{API}/units/{pk}/children", row(NOBODY_BUT[unit]))


def test_unknown_unit_is_404_for_everybody(world, api_client_as):
    check_matrix(api_client_as, f"{API}/units/999999", row(set()))
    check_matrix(api_client_as, f"{API}/units/999999/children", row(set()))


# --- members: reads --------------------------------------------------------------------------
def test_member_list(world, api_client_as):
    responses = check_matrix(api_client_as, f"{API}/members", row(set(ALL)))
    listed = {
        role: sorted(m["full_name"] for m in r.json()["items"])
        for role, r in responses.items()
        if role in ALL
    }
    roster_a = sorted(["Đặng Thị Hoa", "Trần Văn Ưng", "Lê Văn Sơn"])
    assert listed == {
        "member_a": roster_a,
        "secretary_a": roster_a,
        "secretary_b": ["Phạm Thị Bình"],
        "officer_c1": sorted([*roster_a, "Phạm Thị Bình"]),
        "officer_c2": ["Vũ Đức Dũng"],
        "admin_p": sorted([*roster_a, "Phạm Thị Bình", "Vũ Đức Dũng"]),
    }


@pytest.mark.parametrize("unit", ["A", "C1", "D", "P"])
def test_member_list_by_unit(world, api_client_as, unit):
    pk = getattr(world, unit.lower()).pk
    check_matrix(api_client_as, f"{API}/members?unit={pk}", row(NOBODY_BUT[unit]))


def test_member_detail_self(world, api_client_as):
    # A member may open their own record, and nobody else's.
    check_matrix(api_client_as, f"{API}/members/{world.hoa.pk}", row(NOBODY_BUT["A"]))


def test_member_detail_cell_mate(world, api_client_as):
    expected = row(NOBODY_BUT["A"], member_a=404)
    check_matrix(api_client_as, f"{API}/members/{world.ung.pk}", expected)


@pytest.mark.parametrize("member", ["binh", "dung"])
def test_member_detail_elsewhere(world, api_client_as, member):
    unit = {"binh": "B", "dung": "D"}[member]
    check_matrix(api_client_as, f"{API}/members/{getattr(world, member).pk}", row(NOBODY_BUT[unit]))


def test_unknown_member_is_404_for_everybody(world, api_client_as):
    check_matrix(api_client_as, f"{API}/members/999999", row(set()))


# --- members: writes -------------------------------------------------------------------------
def test_member_create_in_cell_a(world, api_client_as):
    # Visible but not editable (a plain member) → 403; not visible → 404.
    expected = row({"secretary_a", "officer_c1", "admin_p"}, ok=201, member_a=403)
    check_matrix(
        api_client_as, f"{API}/members", expected, method="post",
        data=new_member(world.a.pk), **JSON,
    )  # fmt: skip


def test_member_create_in_cell_d(world, api_client_as):
    expected = row({"officer_c2", "admin_p"}, ok=201)
    check_matrix(
        api_client_as, f"{API}/members", expected, method="post",
        data=new_member(world.d.pk), **JSON,
    )  # fmt: skip


def test_member_update_own_record(world, api_client_as):
    expected = row({"secretary_a", "officer_c1", "admin_p"}, member_a=403)
    check_matrix(
        api_client_as, f"{API}/members/{world.hoa.pk}", expected, method="patch",
        data={"phone": "0912 345 678"}, **JSON,
    )  # fmt: skip


def test_member_update_elsewhere(world, api_client_as):
    expected = row({"secretary_b", "officer_c1", "admin_p"})
    check_matrix(
        api_client_as, f"{API}/members/{world.binh.pk}", expected, method="patch",
        data={"phone": "0912 345 678"}, **JSON,
    )  # fmt: skip
    expected = row({"officer_c2", "admin_p"})
    check_matrix(
        api_client_as, f"{API}/members/{world.dung.pk}", expected, method="patch",
        data={"phone": "0912 345 678"}, **JSON,
    )  # fmt: skip


# --- tokens ----------------------------------------------------------------------------------
def test_token_list(world, api_client_as):
    check_matrix(api_client_as, f"{API}/auth/tokens", row(set(ALL)))


def test_token_revoke_someone_elses(world, api_client_as):
    token, _raw = token_create(user=world.users["officer_c1"], name="script", days=10)
    expected = row({"officer_c1"}, ok=204)
    check_matrix(api_client_as, f"{API}/auth/tokens/{token.pk}", expected, method="delete")
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_token_obtain_needs_no_session(world, client_as):
    # The route authenticates with the password in the body, whoever is logged in.
    expected = dict.fromkeys([*ALL, "anonymous"], 201)
    responses = check_matrix(
        client_as, f"{API}/auth/token", expected, method="post",
        data={"username": "secretary_b", "password": "Mật-khẩu-thử-1234"}, **JSON,
    )  # fmt: skip
    assert world.users["secretary_b"].api_tokens.count() == len(responses)


# --- documentation ---------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/openapi.json", "/docs"])
def test_documentation_is_public(world, client_as, path):
    check_matrix(client_as, f"{API}{path}", dict.fromkeys([*ALL, "anonymous"], 200))
