"""Shared fixtures. `world` is the access-matrix tree of DESIGN.md:

P  province (admin_p)
├── C1 commune committee (officer_c1)
│   ├── A cell (member_a, secretary_a)
│   └── B cell (secretary_b)
└── C2 commune committee (officer_c2)
    └── D cell
"""

import datetime
from types import SimpleNamespace

import pytest
from django.test import Client

from chibo.accounts.tokens import token_create
from chibo.org.models import CellType, MemberStatus, UnitKind

from .factories import MemberFactory, make_unit, make_user

PASSWORD = "Mật-khẩu-thử-1234"
ROLES = [
    "member_a",
    "secretary_a",
    "secretary_b",
    "officer_c1",
    "officer_c2",
    "admin_p",
    "anonymous",
]


@pytest.fixture
def world(db):
    p = make_unit(None, "P", "Tỉnh ủy Thử", UnitKind.PROVINCE_COMMITTEE)
    c1 = make_unit(p, "C1", "Đảng ủy xã Hòa Bình", UnitKind.GRASSROOTS_COMMITTEE)
    c2 = make_unit(p, "C2", "Đảng ủy phường Đông Hà", UnitKind.GRASSROOTS_COMMITTEE)
    a = make_unit(c1, "C1-A", "Chi bộ thôn Ấp Đông", UnitKind.CELL, CellType.RESIDENTIAL)
    b = make_unit(c1, "C1-B", "Chi bộ Trường Tiểu học", UnitKind.CELL, CellType.AGENCY)
    d = make_unit(c2, "C2-D", "Chi bộ khu phố 3", UnitKind.CELL, CellType.RESIDENTIAL)
    hoa = MemberFactory(
        cell=a, family_name="Đặng", middle_name="Thị", given_name="Hoa", gender="female"
    )
    ung = MemberFactory(cell=a, family_name="Trần", middle_name="Văn", given_name="Ưng")
    son = MemberFactory(
        cell=a, family_name="Lê", middle_name="Văn", given_name="Sơn",
        status=MemberStatus.PROBATIONARY, official_date=None,
        admission_date=datetime.date(2026, 3, 1),
    )  # fmt: skip
    binh = MemberFactory(cell=b, family_name="Phạm", middle_name="Thị", given_name="Bình")
    dung = MemberFactory(cell=d, family_name="Vũ", middle_name="Đức", given_name="Dũng")
    users = {
        "member_a": make_user("member_a", role="member", unit=a, member=hoa),
        "secretary_a": make_user("secretary_a", role="secretary", unit=a, member=ung),
        "secretary_b": make_user("secretary_b", role="secretary", unit=b, member=binh),
        "officer_c1": make_user("officer_c1", role="officer", unit=c1),
        "officer_c2": make_user("officer_c2", role="officer", unit=c2),
        "admin_p": make_user("admin_p", role="admin", unit=p),
    }
    return SimpleNamespace(
        p=p, c1=c1, c2=c2, a=a, b=b, d=d,
        hoa=hoa, ung=ung, son=son, binh=binh, dung=dung, users=users,
    )  # fmt: skip


@pytest.fixture
def client_as(world):
    """client_as("officer_c1") → a logged-in Client; "anonymous" → a plain one."""

    def make(role: str) -> Client:
        client = Client()
        if role != "anonymous":
            client.force_login(world.users[role])
        return client

    return make


def check_matrix(client_as, url, expected, *, method="get", data=None, **extra):
    """Request `url` as each role and compare status codes with `expected`
    ({role: status}; every role of ROLES must be listed). Returns the responses.

    An htmx request (HX-Request) of an anonymous user is answered 401 with a notice instead of
    the redirect to the login page (chibo.core.errors.session_ended): a matrix written for
    pages says 302 for anonymous, which for htmx means 401."""
    assert set(expected) == set(ROLES), f"list every role: missing {set(ROLES) - set(expected)}"
    if extra.get("HTTP_HX_REQUEST") == "true" and expected.get("anonymous") == 302:
        expected = {**expected, "anonymous": 401}
    got, responses = {}, {}
    for role in ROLES:
        client = client_as(role)
        response = (
            getattr(client, method)(url, data=data, **extra)
            if data is not None
            else getattr(client, method)(url, **extra)
        )
        got[role] = response.status_code
        responses[role] = response
    assert got == expected, f"{method.upper()} {url}: expected {expected}, got {got}"
    return responses


@pytest.fixture
def bearer_for(world):
    """bearer_for("officer_c1") → {"HTTP_AUTHORIZATION": "Bearer <fresh key>"}."""

    def make(role: str, *, days: int = 30) -> dict[str, str]:
        _token, raw = token_create(user=world.users[role], name=f"test {role}", days=days)
        return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    return make


@pytest.fixture(params=["session", "bearer"])
def api_client_as(request, world, client_as, bearer_for):
    """Like `client_as`, authenticated either by the session or by a bearer token, so every
    matrix runs once per way of authenticating."""
    if request.param == "session":
        return client_as

    def make(role: str) -> Client:
        if role == "anonymous":
            return Client()
        return Client(**bearer_for(role))

    return make
