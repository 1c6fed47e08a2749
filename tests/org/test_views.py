"""The tree and member pages: behaviour and the access matrix."""

import datetime

import pytest
from django.urls import reverse

from chibo.core.models import AuditEntry
from chibo.org.models import Member, MemberEvent, Unit

from ..conftest import check_matrix

OK, FOUND, FORBIDDEN, MISSING, LOGIN = 200, 302, 403, 404, 302

ALL_SEE = dict(member_a=OK, secretary_a=OK, secretary_b=OK, officer_c1=OK, officer_c2=OK, admin_p=OK, anonymous=LOGIN)


def test_home_redirects_to_the_users_unit(world, client_as):
    response = client_as("officer_c1").get("/")
    assert response.status_code == 302 and response.url == reverse("unit_detail", args=[world.c1.pk])


@pytest.mark.parametrize(
    "unit_name, expected",
    [
        ("p", dict(member_a=MISSING, secretary_a=MISSING, secretary_b=MISSING, officer_c1=MISSING, officer_c2=MISSING, admin_p=OK, anonymous=LOGIN)),
        ("c1", dict(member_a=MISSING, secretary_a=MISSING, secretary_b=MISSING, officer_c1=OK, officer_c2=MISSING, admin_p=OK, anonymous=LOGIN)),
        ("a", dict(member_a=OK, secretary_a=OK, secretary_b=MISSING, officer_c1=OK, officer_c2=MISSING, admin_p=OK, anonymous=LOGIN)),
        ("b", dict(member_a=MISSING, secretary_a=MISSING, secretary_b=OK, officer_c1=OK, officer_c2=MISSING, admin_p=OK, anonymous=LOGIN)),
        ("d", dict(member_a=MISSING, secretary_a=MISSING, secretary_b=MISSING, officer_c1=MISSING, officer_c2=OK, admin_p=OK, anonymous=LOGIN)),
    ],
)
def test_unit_page_matrix(world, client_as, unit_name, expected):
    check_matrix(client_as, reverse("unit_detail", args=[getattr(world, unit_name).pk]), expected)


def test_missing_unit_is_404(world, client_as):
    assert client_as("admin_p").get(reverse("unit_detail", args=[999999])).status_code == 404


def test_tree_page_shows_counts_and_one_click_per_level(world, client_as):
    html = client_as("admin_p").get(reverse("unit_detail", args=[world.p.pk])).content.decode()
    assert reverse("unit_detail", args=[world.c1.pk]) in html
    assert reverse("unit_detail", args=[world.a.pk]) not in html  # grandchildren are one more click away
    html = client_as("admin_p").get(reverse("unit_detail", args=[world.c1.pk])).content.decode()
    assert reverse("unit_detail", args=[world.a.pk]) in html


def test_cell_roster_is_in_vietnamese_order(world, client_as):
    html = client_as("officer_c1").get(reverse("unit_detail", args=[world.a.pk])).content.decode()
    # Hoa < Sơn < Ưng (given names: h < s < ư)
    positions = [html.index(n) for n in ("Đặng Thị Hoa", "Lê Văn Sơn", "Trần Văn Ưng")]
    assert positions == sorted(positions)


def test_member_sees_roster_but_opens_only_self(world, client_as):
    html = client_as("member_a").get(reverse("unit_detail", args=[world.a.pk])).content.decode()
    assert "Trần Văn Ưng" in html
    assert reverse("member_detail", args=[world.hoa.pk]) in html
    assert reverse("member_detail", args=[world.ung.pk]) not in html


@pytest.mark.parametrize(
    "member_name, expected",
    [
        ("hoa", dict(member_a=OK, secretary_a=OK, secretary_b=MISSING, officer_c1=OK, officer_c2=MISSING, admin_p=OK, anonymous=LOGIN)),
        ("ung", dict(member_a=MISSING, secretary_a=OK, secretary_b=MISSING, officer_c1=OK, officer_c2=MISSING, admin_p=OK, anonymous=LOGIN)),
        ("dung", dict(member_a=MISSING, secretary_a=MISSING, secretary_b=MISSING, officer_c1=MISSING, officer_c2=OK, admin_p=OK, anonymous=LOGIN)),
    ],
)
def test_member_page_matrix(world, client_as, member_name, expected):
    check_matrix(client_as, reverse("member_detail", args=[getattr(world, member_name).pk]), expected)


def test_member_list_matrix_and_scope(world, client_as):
    responses = check_matrix(client_as, reverse("member_list"), ALL_SEE)
    assert "Vũ Đức Dũng" not in responses["officer_c1"].content.decode()
    assert "Vũ Đức Dũng" in responses["officer_c2"].content.decode()
    member_view = responses["member_a"].content.decode()
    assert "Đặng Thị Hoa" in member_view and "Phạm Thị Bình" not in member_view


def test_member_list_with_unit_outside_scope_is_404(world, client_as):
    url = reverse("member_list") + f"?unit={world.d.pk}"
    check_matrix(client_as, url, dict(member_a=MISSING, secretary_a=MISSING, secretary_b=MISSING, officer_c1=MISSING, officer_c2=OK, admin_p=OK, anonymous=LOGIN))


def test_search_ignores_diacritics(world, client_as):
    html = client_as("admin_p").get(reverse("member_list"), {"q": "dang thi hoa"}).content.decode()
    assert "Đặng Thị Hoa" in html and "Trần Văn Ưng" not in html
    html = client_as("admin_p").get(reverse("member_list"), {"q": "ung"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Trần Văn Ưng" in html and "<html" not in html


EDIT_MATRIX_A = dict(member_a=MISSING, secretary_a=OK, secretary_b=MISSING, officer_c1=OK, officer_c2=MISSING, admin_p=OK, anonymous=LOGIN)
MANAGE_MATRIX_A = dict(member_a=MISSING, secretary_a=FORBIDDEN, secretary_b=MISSING, officer_c1=OK, officer_c2=MISSING, admin_p=OK, anonymous=LOGIN)


@pytest.mark.parametrize(
    "name, expected",
    [
        ("member_edit", EDIT_MATRIX_A),
        ("member_exemption", EDIT_MATRIX_A),
        ("member_attachment", EDIT_MATRIX_A),
        ("member_transfer", MANAGE_MATRIX_A),
        ("member_departure", MANAGE_MATRIX_A),
    ],
)
def test_member_action_pages_matrix(world, client_as, name, expected):
    check_matrix(client_as, reverse(name, args=[world.ung.pk]), expected)


def test_member_create_page_matrix(world, client_as):
    check_matrix(client_as, reverse("member_create", args=[world.a.pk]), EDIT_MATRIX_A | {"member_a": FORBIDDEN})


@pytest.mark.parametrize("name", ["member_edit", "member_exemption", "member_transfer", "member_departure"])
def test_a_member_may_read_but_not_change_own_record(world, client_as, name):
    assert client_as("member_a").get(reverse(name, args=[world.hoa.pk])).status_code == FORBIDDEN


UNIT_MANAGE_C1 = dict(member_a=MISSING, secretary_a=MISSING, secretary_b=MISSING, officer_c1=OK, officer_c2=MISSING, admin_p=OK, anonymous=LOGIN)
RESTRUCTURE_A = dict(member_a=FORBIDDEN, secretary_a=FORBIDDEN, secretary_b=MISSING, officer_c1=OK, officer_c2=MISSING, admin_p=OK, anonymous=LOGIN)
RESTRUCTURE_C1 = dict(member_a=MISSING, secretary_a=MISSING, secretary_b=MISSING, officer_c1=FORBIDDEN, officer_c2=MISSING, admin_p=OK, anonymous=LOGIN)


@pytest.mark.parametrize("name", ["unit_create", "unit_edit"])
def test_unit_edit_pages_matrix(world, client_as, name):
    check_matrix(client_as, reverse(name, args=[world.c1.pk]), UNIT_MANAGE_C1)


@pytest.mark.parametrize("name", ["unit_move", "unit_merge", "unit_dissolve"])
def test_restructure_pages_matrix(world, client_as, name):
    check_matrix(client_as, reverse(name, args=[world.a.pk]), RESTRUCTURE_A)
    # Moving the commune itself needs a grant above it.
    check_matrix(client_as, reverse(name, args=[world.c1.pk]), RESTRUCTURE_C1)


def test_unit_lookup_is_scoped(world, client_as):
    responses = check_matrix(client_as, reverse("unit_lookup") + "?q=C", ALL_SEE)
    assert "C2-D" not in responses["officer_c1"].content.decode()
    assert "C1-A" in responses["officer_c1"].content.decode()
    assert "C2-D" in responses["admin_p"].content.decode()


def _post(client, name, pk, data):
    return client.post(reverse(name, args=[pk]), data)


def test_add_and_edit_member(world, client_as):
    client = client_as("secretary_a")
    data = dict(family_name="  Nguyễn ", middle_name="Thị", given_name="Ngọc Ánh", gender="female",
                birth_date="1990-02-03", status="probationary", admission_date="2026-01-10",
                position="member", fee_category="salaried", card_number="")  # fmt: skip
    response = _post(client, "member_create", world.a.pk, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    member = Member.objects.get(given_name="Ngọc Ánh")
    assert member.full_name == "Nguyễn Thị Ngọc Ánh" and member.cell == world.a
    assert AuditEntry.objects.filter(action="member.create", object_id=str(member.pk)).exists()
    data |= {"phone": "0912 345 678", "status": "official", "official_date": "2026-01-09"}
    response = _post(client, "member_edit", member.pk, data)
    assert response.status_code == 200
    assert "Official date must be after the admission date" in response.content.decode() or "Ngày chính thức" in response.content.decode()
    member.refresh_from_db()
    assert member.status == "probationary"  # nothing stored from the bad submission


def test_bad_member_gets_clear_messages_in_vietnamese(world, client_as):
    client = client_as("secretary_a")
    data = dict(family_name="", given_name="Lan", gender="female", birth_date="2010-01-01",
                status="official", admission_date="2020-01-01", position="member",
                fee_category="salaried", card_number="ABC")  # fmt: skip
    response = _post(client, "member_create", world.a.pk, data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Trường này là bắt buộc" in html  # family name
    assert "ít nhất 18 tuổi" in html
    assert "Đảng viên chính thức cần có ngày chính thức" in html
    assert not Member.objects.filter(given_name="Lan").exists()


def test_exemption_attachment_transfer_departure_are_history(world, client_as):
    officer = client_as("officer_c1")
    assert _post(officer, "member_exemption", world.ung.pk,
                 dict(start="2026-01-01", end="", reason="Ốm dài ngày", decision_ref="NQ 05/CB")).status_code == 302  # fmt: skip
    assert _post(officer, "member_attachment", world.ung.pk,
                 dict(host_cell="c1-b", start="2026-02-01", end="2026-08-01", reason="Đi làm xa")).status_code == 302  # fmt: skip
    assert _post(officer, "member_transfer", world.ung.pk,
                 dict(to_cell="C1-B", effective_on="2026-09-01", reason="Chuyển công tác")).status_code == 302  # fmt: skip
    world.ung.refresh_from_db()
    assert world.ung.cell == world.b
    assert _post(officer, "member_departure", world.son.pk,
                 dict(kind="deceased", effective_on="2026-10-01", note="")).status_code == 302  # fmt: skip
    world.son.refresh_from_db()
    assert world.son.departed_on == datetime.date(2026, 10, 1)
    kinds = set(MemberEvent.objects.filter(member=world.ung).values_list("kind", flat=True))
    assert {"exempted", "attached", "transferred", "registered"} - {"registered"} <= kinds
    html = officer.get(reverse("member_detail", args=[world.ung.pk])).content.decode()
    assert "Ốm dài ngày" in html and "Chuyển công tác" in html
    # the departed member is gone from the roster but still reachable for history
    roster = officer.get(reverse("unit_detail", args=[world.a.pk])).content.decode()
    assert "Lê Văn Sơn" not in roster
    assert officer.get(reverse("member_detail", args=[world.son.pk])).status_code == 200


def test_transfer_outside_scope_is_refused(world, client_as):
    response = _post(client_as("officer_c1"), "member_transfer", world.ung.pk,
                     dict(to_cell="C2-D", effective_on="2026-09-01", reason="x"))  # fmt: skip
    assert response.status_code == 200
    world.ung.refresh_from_db()
    assert world.ung.cell == world.a


def test_move_and_merge_units(world, client_as):
    admin = client_as("admin_p")
    assert _post(admin, "unit_move", world.b.pk, {"new_parent": "C2"}).status_code == 302
    world.b.refresh_from_db()
    assert world.b.path.startswith(Unit.objects.get(pk=world.c2.pk).path)
    # merge commune C1 into C2: cell A moves under C2 with its members
    response = _post(admin, "unit_merge", world.c1.pk, {"target": "C2", "effective_on": "2025-07-01", "confirm": "on"})
    assert response.status_code == 302
    c1 = Unit.objects.get(pk=world.c1.pk)
    a = Unit.objects.get(pk=world.a.pk)
    assert not c1.is_active and c1.merged_into_id == world.c2.pk
    assert Unit.objects.get_parent(a).pk == world.c2.pk
    assert Member.active.filter(cell=a).count() == 3
    # officer_c1's grant followed the merge: they now see C2's subtree
    assert client_as("officer_c1").get(reverse("unit_detail", args=[world.c2.pk])).status_code == 200
    assert Unit.objects.find_problems() == ([], [], [], [], [])


def test_merge_cells_moves_members_with_history(world, client_as):
    response = _post(client_as("officer_c1"), "unit_merge", world.b.pk,
                     {"target": "C1-A", "effective_on": "2025-07-01", "confirm": "on"})  # fmt: skip
    assert response.status_code == 302
    world.binh.refresh_from_db()
    assert world.binh.cell == world.a
    assert MemberEvent.objects.filter(member=world.binh, kind="merged", from_cell=world.b).exists()


def test_cannot_move_unit_under_its_own_descendant(world, client_as):
    response = _post(client_as("admin_p"), "unit_move", world.c1.pk, {"new_parent": "C1-A"})
    assert response.status_code == 200
    assert Unit.objects.get(pk=world.c1.pk).depth == 2


def test_dissolve_refuses_a_unit_with_members(world, client_as):
    response = _post(client_as("officer_c1"), "unit_dissolve", world.a.pk, {"effective_on": "2026-01-01", "reason": "Sáp nhập"})
    assert response.status_code == 200
    assert Unit.objects.get(pk=world.a.pk).is_active
