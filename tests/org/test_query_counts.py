"""List pages issue a constant number of queries, whatever the amount of data."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from chibo.org.models import CellType, UnitKind
from chibo.org.services import member_attach, member_exempt

from ..factories import MemberFactory, make_unit


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _grow(world, n, start=0):
    """Add n cells under C1, each with members, exemptions and attachments."""
    for i in range(start, start + n):
        cell = make_unit(
            world.c1, f"C1-X{i}", f"Chi bộ thôn {i}", UnitKind.CELL, CellType.RESIDENTIAL
        )
        members = MemberFactory.create_batch(3, cell=cell, family_name="Nguyễn")
        member_exempt(
            member=members[0], start=members[0].admission_date, end=None, reason="Ốm", by=None
        )
        member_attach(member=members[1], host_cell=world.a, start=members[1].admission_date, end=None,
                      reason="Đi làm ăn xa", by=None)  # fmt: skip
    MemberFactory.create_batch(n * 3, cell=world.a, family_name="Nguyễn")


def test_tree_page_query_count_is_constant(world, client_as):
    client = client_as("admin_p")
    urls = [reverse("unit_detail", args=[u.pk]) for u in (world.p, world.c1)]
    before = [_count(client, u) for u in urls]
    _grow(world, 6)
    assert [_count(client, u) for u in urls] == before


def test_cell_roster_query_count_is_constant(world, client_as):
    urls = [reverse("unit_detail", args=[world.a.pk])]
    _grow(world, 1)  # one of everything: exempted, attached here, attached elsewhere
    counts = {
        role: _count(client_as(role), urls[0]) for role in ("officer_c1", "secretary_a", "member_a")
    }
    _grow(world, 6, start=1)
    assert {role: _count(client_as(role), urls[0]) for role in counts} == counts


def test_member_list_query_count_is_constant(world, client_as):
    urls = [
        reverse("member_list"),
        reverse("member_list") + "?q=nguyen",
        reverse("member_list") + f"?unit={world.a.pk}",
    ]
    _grow(world, 1)  # every list non-empty
    counts = {
        role: [_count(client_as(role), u) for u in urls]
        for role in ("admin_p", "officer_c1", "member_a")
    }
    _grow(world, 8, start=1)
    assert {role: [_count(client_as(role), u) for u in urls] for role in counts} == counts
