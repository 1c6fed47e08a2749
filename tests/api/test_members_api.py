"""Members in the API: search, filters, Vietnamese sort, pagination, detail, create, update."""

import datetime

import pytest

from chibo.core.models import AuditEntry
from chibo.org import services
from chibo.org.models import Member, MemberEvent, MemberStatus, UnitKind
from tests.factories import MemberFactory, make_unit

from .conftest import API, JSON, count_queries, english

pytestmark = pytest.mark.django_db


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [m["full_name"] for m in response.json()["items"]]


@pytest.fixture
def admin(client_as):
    return client_as("admin_p")


# --- search and filters ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "q, expected",
    [
        ("dang thi hoa", ["Đặng Thị Hoa"]),
        ("DANG THI HOA", ["Đặng Thị Hoa"]),
        ("Đặng Thị Hoa", ["Đặng Thị Hoa"]),
        ("hoa dang", ["Đặng Thị Hoa"]),  # every word, in any order
        ("thi", ["Phạm Thị Bình", "Đặng Thị Hoa"]),
        ("tran ung", ["Trần Văn Ưng"]),  # ư folds to u
        ("dung", ["Vũ Đức Dũng"]),  # Đ folds to d
        ("van", ["Lê Văn Sơn", "Trần Văn Ưng"]),
        ("nguyen", []),
    ],
)
def test_search_ignores_diacritics(world, admin, q, expected):
    assert names(admin.get(f"{API}/members", {"q": q})) == expected


def test_search_by_card_number(world, admin):
    response = admin.get(f"{API}/members", {"q": world.binh.card_number})
    assert names(response) == ["Phạm Thị Bình"]


def test_search_stays_inside_the_scope(world, client_as):
    assert names(client_as("officer_c2").get(f"{API}/members", {"q": "dang thi hoa"})) == []
    assert names(client_as("secretary_b").get(f"{API}/members", {"q": "hoa"})) == []


def test_filters(world, admin, client_as):
    url = f"{API}/members"
    assert names(admin.get(url, {"status": "probationary"})) == ["Lê Văn Sơn"]
    assert names(admin.get(url, {"unit": world.c2.pk})) == ["Vũ Đức Dũng"]
    assert names(admin.get(url, {"unit": world.b.pk, "status": "official"})) == ["Phạm Thị Bình"]
    bad = english(admin).get(url, {"status": "retired"})
    assert bad.status_code == 422
    assert bad.json()["errors"] == {"status": ["Select a valid choice."]}
    # A unit outside the caller's grants is 404, like any object outside them.
    assert client_as("officer_c2").get(url, {"unit": world.a.pk}).status_code == 404
    assert admin.get(url, {"unit": 999999}).status_code == 404


def test_departed_members_only_on_request(world, admin):
    services.member_depart(
        member=world.ung, kind="deceased", effective_on=datetime.date(2026, 2, 1),
        by=world.users["admin_p"],
    )  # fmt: skip
    url = f"{API}/members"
    assert "Trần Văn Ưng" not in names(admin.get(url))
    listed = admin.get(url, {"include_departed": "true", "q": "tran"}).json()["items"]
    assert [(m["full_name"], m["departed_on"], m["departure_kind"]) for m in listed] == [
        ("Trần Văn Ưng", "2026-02-01", "deceased")
    ]


# --- sorting ---------------------------------------------------------------------------------
VIETNAMESE_ORDER = [
    # given name first, then middle, then family name; a < ă < â, d < đ, o < ô < ơ, u < ư
    "Trần Thị An",
    "Nguyễn Văn An",
    "Bùi Văn Ánh",
    "Lê Thị Ăn",
    "Phan Văn Ân",
    "Lê Thị Dũng",
    "Nguyễn Văn Đức",
    "Đỗ Văn Oanh",
    "Vũ Thị Ông",
    "Hoàng Văn Ơn",
    "Phạm Thị Uyên",
    "Trần Văn Ưng",
]


@pytest.fixture
def sort_cell(world):
    cell = make_unit(world.c2, "C2-S", "Chi bộ Sắp Xếp", UnitKind.CELL, "other")
    for full in reversed(VIETNAMESE_ORDER):
        family, middle, given = full.split(" ")
        MemberFactory(cell=cell, family_name=family, middle_name=middle, given_name=given)
    return cell


def test_default_sort_is_vietnamese(world, admin, sort_cell):
    url = f"{API}/members"
    assert names(admin.get(url, {"unit": sort_cell.pk})) == VIETNAMESE_ORDER
    assert names(admin.get(url, {"unit": sort_cell.pk, "sort": "-name"})) == list(
        reversed(VIETNAMESE_ORDER)
    )


def test_sort_by_card_number_and_admission(world, admin):
    url = f"{API}/members"
    for member, card, admitted in [
        (world.hoa, "03.000001", datetime.date(2005, 1, 1)),
        (world.ung, None, datetime.date(1999, 1, 1)),
        (world.son, "01.000001", datetime.date(2026, 3, 1)),
    ]:
        Member.objects.filter(pk=member.pk).update(card_number=card, admission_date=admitted)
    params = {"unit": world.a.pk}
    # Members without a card come last both ways, on SQLite and on PostgreSQL.
    assert names(admin.get(url, params | {"sort": "card_number"})) == [
        "Lê Văn Sơn", "Đặng Thị Hoa", "Trần Văn Ưng",
    ]  # fmt: skip
    assert names(admin.get(url, params | {"sort": "-card_number"})) == [
        "Đặng Thị Hoa", "Lê Văn Sơn", "Trần Văn Ưng",
    ]  # fmt: skip
    assert names(admin.get(url, params | {"sort": "admission_date"})) == [
        "Trần Văn Ưng", "Đặng Thị Hoa", "Lê Văn Sơn",
    ]  # fmt: skip
    assert names(admin.get(url, params | {"sort": "-admission_date"})) == [
        "Lê Văn Sơn", "Đặng Thị Hoa", "Trần Văn Ưng",
    ]  # fmt: skip
    assert admin.get(url, {"sort": "birth_date"}).status_code == 422


# --- pagination ------------------------------------------------------------------------------
def test_pagination(world, admin, sort_cell):
    url = f"{API}/members"
    params = {"unit": sort_cell.pk, "limit": 5}
    pages = [admin.get(url, params | {"offset": offset}).json() for offset in (0, 5, 10, 15)]
    assert [p["count"] for p in pages] == [12] * 4
    assert [(p["limit"], p["offset"]) for p in pages] == [(5, 0), (5, 5), (5, 10), (5, 15)]
    assert [m["full_name"] for p in pages for m in p["items"]] == VIETNAMESE_ORDER
    assert pages[3]["items"] == []
    default = admin.get(url).json()
    assert default["limit"] == 50 and default["offset"] == 0 and default["count"] == 17
    for bad in ({"limit": 0}, {"limit": 501}, {"offset": -1}, {"limit": "many"}):
        response = admin.get(url, bad)
        assert response.status_code == 422, bad
        assert set(response.json()["errors"]) == set(bad)


def test_list_fields(world, client_as):
    item = english(client_as("member_a")).get(f"{API}/members", {"q": "son"}).json()["items"][0]
    assert item == {
        "id": world.son.pk,
        "full_name": "Lê Văn Sơn",
        "family_name": "Lê",
        "middle_name": "Văn",
        "given_name": "Sơn",
        "gender": "male",
        "gender_label": "Male",
        "card_number": world.son.card_number,
        "admission_date": "2026-03-01",
        "official_date": None,
        "status": "probationary",
        "status_label": "Probationary",
        "position": "member",
        "position_label": "Member",
        "cell": {"id": world.a.pk, "code": "C1-A", "name": "Chi bộ thôn Ấp Đông"},
        "departed_on": None,
        "departure_kind": "",
    }
    # Roster lines carry no personal details: those are in the record.
    assert "birth_date" not in item and "phone" not in item


@pytest.mark.parametrize("role", ["member_a", "officer_c1", "admin_p"])
def test_list_query_count_does_not_grow(world, client_as, django_assert_max_num_queries, role):
    client = client_as(role)
    url = f"{API}/members?q=a&sort=card_number&limit=100"
    small = count_queries(client, url)
    for cell in (world.a, world.b, world.d):
        MemberFactory.create_batch(15, cell=cell)
    big = count_queries(client, url)
    assert big == small
    # session, user, grants, count, page, session save (3)
    with django_assert_max_num_queries(9):
        assert client.get(url).status_code == 200


# --- detail ----------------------------------------------------------------------------------
def test_member_detail(world, client_as):
    by = world.users["secretary_a"]
    services.member_exempt(
        member=world.hoa, start=datetime.date(2025, 1, 1), end=None,
        reason="Ốm dài ngày", decision_ref="12-QĐ/CB", by=by,
    )  # fmt: skip
    services.member_attach(
        member=world.hoa, host_cell=world.d, start=datetime.date(2025, 6, 1),
        end=datetime.date(2025, 12, 31), reason="Học tập", by=by,
    )  # fmt: skip
    body = client_as("secretary_a").get(f"{API}/members/{world.hoa.pk}").json()
    assert body["full_name"] == "Đặng Thị Hoa"
    assert body["birth_date"] == "1970-05-01"
    assert body["can_edit"] is True
    assert [(e["reason"], e["decision_ref"], e["end"], e["is_current"]) for e in body["exemptions"]] == [
        ("Ốm dài ngày", "12-QĐ/CB", None, True)
    ]  # fmt: skip
    assert [(a["host_cell"]["code"], a["start"], a["is_current"]) for a in body["attachments"]] == [
        ("C2-D", "2025-06-01", False)
    ]  # fmt: skip
    own = client_as("member_a").get(f"{API}/members/{world.hoa.pk}").json()
    assert own["can_edit"] is False


def test_detail_query_count_does_not_grow(world, client_as):
    client = client_as("officer_c1")
    url = f"{API}/members/{world.hoa.pk}"
    small = count_queries(client, url)
    for i in range(5):
        services.member_exempt(
            member=world.hoa, start=datetime.date(2010 + i, 1, 1),
            end=datetime.date(2010 + i, 6, 1), reason="Ốm", by=None,
        )  # fmt: skip
    assert count_queries(client, url) == small


# --- create ----------------------------------------------------------------------------------
def payload(world, **changes):
    data = {
        "family_name": " Nguyễn ",
        "middle_name": "Thị Thu",
        "given_name": "Hà",
        "gender": "female",
        "birth_date": "1985-07-14",
        "card_number": "01.234567",
        "admission_date": "2010-05-19",
        "official_date": "2011-05-19",
        "status": "official",
        "cell": world.a.pk,
        "phone": "0912 345 678",
        "email": "ha@example.vn",
    }
    return data | changes


def test_create_member(world, client_as):
    response = client_as("secretary_a").post(f"{API}/members", payload(world), **JSON)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["full_name"] == "Nguyễn Thị Thu Hà"
    assert body["cell"]["id"] == world.a.pk and body["position"] == "member"
    assert body["fee_category"] == "salaried"
    member = Member.objects.get(pk=body["id"])
    assert member.province == world.p and member.card_number == "01.234567"
    assert MemberEvent.objects.filter(member=member, kind="registered").exists()
    entry = AuditEntry.objects.get(action="member.create", object_id=str(member.pk))
    assert entry.actor == world.users["secretary_a"]


@pytest.mark.parametrize(
    "changes, fields",
    [
        ({"admission_date": "1984-01-01"}, {"admission_date"}),  # before birth
        ({"admission_date": "1995-01-01", "official_date": "1996-01-01"}, {"admission_date"}),
        ({"official_date": "2009-01-01"}, {"official_date"}),  # before admission
        ({"official_date": None}, {"official_date"}),  # an official member needs it
        ({"status": "probationary"}, {"official_date"}),  # a probationary one has none
        ({"birth_date": "2999-01-01"}, {"birth_date", "admission_date"}),
        ({"card_number": "12"}, {"card_number"}),
        ({"family_name": "  "}, {"family_name"}),
        ({"birth_date": "14/07/1985"}, {"birth_date"}),
        ({"birth_date": "1985-02-30"}, {"birth_date"}),
        ({"gender": "x"}, {"gender"}),
        ({"email": "not an address"}, {"email"}),
        ({"card_number": "1" * 21}, {"card_number"}),
        ({"nickname": "Út"}, {"nickname"}),  # unknown fields are refused, not ignored
        ({"cell": "A"}, {"cell"}),
    ],
)
def test_create_validation_errors(world, client_as, changes, fields):
    response = client_as("officer_c1").post(f"{API}/members", payload(world, **changes), **JSON)
    assert response.status_code == 422, response.content
    body = response.json()
    assert set(body["errors"]) == fields
    assert all(isinstance(m, str) and m for msgs in body["errors"].values() for m in msgs)
    assert isinstance(body["detail"], str)
    assert not Member.objects.filter(given_name="Hà").exists()


def test_create_missing_fields(world, client_as):
    response = english(client_as("officer_c1")).post(f"{API}/members", {"cell": world.a.pk}, **JSON)
    assert response.status_code == 422
    errors = response.json()["errors"]
    required = {"family_name", "given_name", "gender", "birth_date", "admission_date", "status"}
    assert set(errors) == required
    assert errors["gender"] == ["This field is required."]


def test_create_duplicate_card_number(world, client_as):
    data = payload(world, card_number=world.dung.card_number)
    response = english(client_as("officer_c1")).post(f"{API}/members", data, **JSON)
    assert response.status_code == 422
    assert response.json() == {
        "detail": "The data is not valid.",
        "errors": {"card_number": ["Another member already has this card number."]},
    }


def test_create_in_a_committee_is_refused(world, client_as):
    response = english(client_as("officer_c1")).post(
        f"{API}/members", payload(world, cell=world.c1.pk), **JSON
    )
    assert response.status_code == 422
    assert response.json()["errors"] == {"cell": ["Members can only belong to an active cell."]}


def test_create_forbidden_message(world, client_as):
    response = english(client_as("member_a")).post(f"{API}/members", payload(world), **JSON)
    assert response.status_code == 403
    assert response.json() == {"detail": "You may not change the members of this cell."}


# --- update ----------------------------------------------------------------------------------
def test_update_member(world, client_as):
    url = f"{API}/members/{world.son.pk}"
    response = client_as("secretary_a").patch(
        url,
        {"status": "official", "official_date": "2026-04-01", "phone": " 0912  000 111 "},
        **JSON,
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["official_date"], body["phone"]) == (
        "official", "2026-04-01", "0912 000 111",
    )  # fmt: skip
    son = Member.objects.get(pk=world.son.pk)
    assert son.status == MemberStatus.OFFICIAL and son.given_name == "Sơn"  # untouched
    entry = AuditEntry.objects.get(action="member.update", object_id=str(son.pk))
    assert set(entry.changes) == {"status", "official_date", "phone"}
    assert MemberEvent.objects.filter(member=son, kind="official").exists()


def test_update_can_clear_nullable_fields(world, client_as):
    url = f"{API}/members/{world.hoa.pk}"
    response = client_as("officer_c1").patch(url, {"card_number": None}, **JSON)
    assert response.status_code == 200
    assert response.json()["card_number"] is None


@pytest.mark.parametrize(
    "data, fields",
    [
        ({"official_date": "1999-01-01"}, {"official_date"}),
        ({"status": "probationary"}, {"official_date"}),
        ({"family_name": None}, {"family_name"}),  # cannot be emptied with null
        ({"given_name": ""}, {"given_name"}),
        ({"status": None}, {"status"}),
        ({"card_number": "abc"}, {"card_number"}),
        ({"card_number": "99999999"}, {"card_number"}),  # someone else's, see below
        ({"cell": 1}, {"cell"}),  # moving is a transfer, not an edit
        ({"position": "king"}, {"position"}),
    ],
)
def test_update_validation_errors(world, client_as, data, fields):
    Member.objects.filter(pk=world.dung.pk).update(card_number="99999999")
    before = Member.objects.filter(pk=world.hoa.pk).values().get()
    response = client_as("admin_p").patch(f"{API}/members/{world.hoa.pk}", data, **JSON)
    assert response.status_code == 422, response.content
    assert set(response.json()["errors"]) == fields
    assert Member.objects.filter(pk=world.hoa.pk).values().get() == before


def test_update_forbidden_message(world, client_as):
    response = english(client_as("member_a")).patch(
        f"{API}/members/{world.hoa.pk}", {"phone": "1"}, **JSON
    )
    assert response.status_code == 403
    assert response.json() == {"detail": "You may not change this member's details."}


def test_not_found_message(world, client_as):
    response = english(client_as("secretary_b")).get(f"{API}/members/{world.hoa.pk}")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_messages_are_vietnamese_by_default(world, client_as):
    response = client_as("officer_c1").post(f"{API}/members", {"cell": world.a.pk}, **JSON)
    assert response.status_code == 422
    assert response["Content-Language"] == "vi"
    assert response.json()["errors"]["gender"] != ["This field is required."]
