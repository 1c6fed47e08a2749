"""Units in the API: top units, detail with counts and parent, children."""

import datetime

import pytest
from django.test import Client

from chibo.accounts.models import Grant
from chibo.org import services
from chibo.org.models import CellType, MemberStatus, UnitKind
from tests.factories import MemberFactory, make_unit, make_user

from .conftest import API, count_queries, english

pytestmark = pytest.mark.django_db


def counts(cells, members, official, probationary):
    return {"cells": cells, "members": members, "official": official, "probationary": probationary}


def test_unit_detail(world, client_as):
    body = english(client_as("officer_c1")).get(f"{API}/units/{world.a.pk}").json()
    assert body == {
        "id": world.a.pk,
        "code": "C1-A",
        "name": "Chi bộ thôn Ấp Đông",
        "kind": "cell",
        "kind_label": "Cell under a grassroots committee",
        "cell_type": "residential",
        "cell_type_label": "Village / residential group",
        "holds_members": True,
        "is_active": True,
        "dissolved_on": None,
        "parent_id": world.c1.pk,
        "counts": counts(1, 3, 2, 1),
    }


def test_parent_only_when_visible(world, client_as):
    def parent(role, unit):
        return client_as(role).get(f"{API}/units/{unit.pk}").json()["parent_id"]

    assert parent("secretary_a", world.a) is None  # C1 is above the secretary's grant
    assert parent("member_a", world.a) is None
    assert parent("officer_c1", world.a) == world.c1.pk
    assert parent("officer_c1", world.c1) is None
    assert parent("admin_p", world.c1) == world.p.pk
    assert parent("admin_p", world.p) is None


def test_subtree_counts(world, client_as):
    client = client_as("admin_p")

    def got(unit):
        return client.get(f"{API}/units/{unit.pk}").json()["counts"]

    assert got(world.p) == counts(3, 5, 4, 1)
    assert got(world.c1) == counts(2, 4, 3, 1)
    assert got(world.c2) == counts(1, 1, 1, 0)
    assert got(world.b) == counts(1, 1, 1, 0)
    committee = english(client).get(f"{API}/units/{world.c1.pk}").json()
    assert committee["kind"] == "grassroots_committee"
    assert committee["cell_type"] == "" and committee["cell_type_label"] == ""
    assert committee["holds_members"] is False
    # A member who left the rolls is no longer counted.
    services.member_depart(
        member=world.son, kind="deceased", effective_on=datetime.date(2026, 1, 5),
        by=world.users["admin_p"],
    )  # fmt: skip
    assert got(world.c1) == counts(2, 3, 3, 0)


def test_children(world, client_as):
    body = client_as("officer_c1").get(f"{API}/units/{world.c1.pk}/children").json()
    # Ordered by name, diacritics ignored: "Chi bộ thôn …" before "Chi bộ Trường …".
    assert [(u["code"], u["parent_id"], u["counts"]) for u in body] == [
        ("C1-A", world.c1.pk, counts(1, 3, 2, 1)),
        ("C1-B", world.c1.pk, counts(1, 1, 1, 0)),
    ]
    assert client_as("admin_p").get(f"{API}/units/{world.a.pk}/children").json() == []


def test_children_hide_dissolved_units_unless_asked(world, client_as):
    empty = make_unit(world.c2, "C2-E", "Chi bộ đã giải thể", UnitKind.CELL, CellType.OTHER)
    services.unit_dissolve(
        unit=empty, effective_on=datetime.date(2026, 1, 1), reason="Sáp nhập",
        by=world.users["admin_p"],
    )  # fmt: skip
    client = client_as("officer_c2")
    url = f"{API}/units/{world.c2.pk}/children"
    assert [u["code"] for u in client.get(url).json()] == ["C2-D"]
    both = client.get(url, {"include_dissolved": "true"}).json()
    assert {u["code"]: u["is_active"] for u in both} == {"C2-D": True, "C2-E": False}
    detail = client.get(f"{API}/units/{empty.pk}").json()
    assert detail["is_active"] is False and detail["dissolved_on"] == "2026-01-01"


def test_top_units_of_scattered_grants(world):
    # Grants on two cells under different committees, at the same depth: each top unit
    # gets its own subtree's counts.
    user = make_user("two_cells", role="secretary", unit=world.a)
    Grant.objects.create(user=user, role="secretary", unit=world.d)
    client = Client()
    client.force_login(user)
    body = client.get(f"{API}/units").json()
    assert [(u["code"], u["counts"], u["parent_id"]) for u in body] == [
        ("C1-A", counts(1, 3, 2, 1), None),
        ("C2-D", counts(1, 1, 1, 0), None),
    ]
    # Grants at different depths, one covering the other: only the upper one is a top unit.
    Grant.objects.create(user=user, role="officer", unit=world.c1)
    user = type(user).objects.get(pk=user.pk)
    client.force_login(user)
    assert [u["code"] for u in client.get(f"{API}/units").json()] == ["C1", "C2-D"]


def test_superuser_starts_at_the_roots(world):
    root = make_user("root")
    root.is_superuser = True
    root.save()
    client = Client()
    client.force_login(root)
    body = client.get(f"{API}/units").json()
    assert [(u["code"], u["counts"]["members"]) for u in body] == [("P", 5)]


def _grow(world, cells: int, members_per_cell: int) -> None:
    for i in range(cells):
        parent = world.c1 if i % 2 else world.c2
        cell = make_unit(parent, f"X{i}", f"Chi bộ số {i}", UnitKind.CELL, CellType.AGENCY)
        for _ in range(members_per_cell):
            MemberFactory(cell=cell)
        MemberFactory(
            cell=cell, status=MemberStatus.PROBATIONARY, official_date=None,
            admission_date=datetime.date(2025, 9, 2),
        )  # fmt: skip


@pytest.mark.parametrize(
    "role, url",
    [
        ("admin_p", "/units"),
        ("admin_p", "/units/{p}/children"),
        ("officer_c1", "/units/{c1}/children"),
        ("admin_p", "/units/{c1}"),
    ],
)
def test_query_count_does_not_grow(world, client_as, django_assert_max_num_queries, role, url):
    url = API + url.format(p=world.p.pk, c1=world.c1.pk)
    client = client_as(role)
    small = count_queries(client, url)
    _grow(world, cells=12, members_per_cell=4)
    big = count_queries(client, url)
    assert big == small
    # 6 for the session, user, grants and session save; the rest is the route.
    with django_assert_max_num_queries(10):
        assert client.get(url).status_code == 200
