"""Excel export of the members a user may see, and the round trip export → import."""

import datetime
import io

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from chibo.accounts.access import Scope, scope_for
from chibo.accounts.models import Grant, User
from chibo.org import exporting, selectors
from chibo.org.importing import MEMBER_COLUMNS, UNIT_COLUMNS, import_workbook
from chibo.org.models import Member, MemberEvent, MemberStatus, Unit
from tests.factories import MemberFactory

MEMBER_HEADERS = [c.header for c in MEMBER_COLUMNS] + ["Tên chi bộ"]


def export(user, **filters) -> openpyxl.Workbook:
    scope = scope_for(user)
    members = selectors.search_members(scope, **filters)
    out, _count = exporting.export_members(members, scope=scope, within=filters.get("unit"))
    return openpyxl.load_workbook(out)


def rows(ws) -> list[dict]:
    values = list(ws.iter_rows(values_only=True))
    return [dict(zip(values[0], row, strict=True)) for row in values[1:]]


def cards(wb) -> set:
    return {m["Số thẻ đảng viên"] for m in rows(wb["Đảng viên"])}


def test_export_has_the_template_columns_and_labels(world):
    wb = export(world.users["admin_p"])
    assert wb.sheetnames == ["Đảng viên", "Đơn vị"]
    assert [c.value for c in wb["Đảng viên"][1]] == MEMBER_HEADERS
    assert [c.value for c in wb["Đơn vị"][1]] == [c.header for c in UNIT_COLUMNS]
    members = rows(wb["Đảng viên"])
    # Vietnamese order: given name first (Bình, Dũng, Hoa, Sơn, Ưng)
    assert [m["Tên"] for m in members] == ["Bình", "Dũng", "Hoa", "Sơn", "Ưng"]
    hoa = members[2]
    assert (hoa["Họ"], hoa["Tên đệm"], hoa["Giới tính"]) == ("Đặng", "Thị", "Nữ")
    assert (hoa["Trạng thái"], hoa["Chức vụ"], hoa["Loại đảng phí"]) == ("Chính thức", "Đảng viên", "Hưởng lương")  # fmt: skip
    assert (hoa["Mã chi bộ"], hoa["Tên chi bộ"]) == ("C1-A", "Chi bộ thôn Ấp Đông")
    assert hoa["Số thẻ đảng viên"] == world.hoa.card_number
    assert hoa["Ngày sinh"] == datetime.datetime(1970, 5, 1)  # a real Excel date
    assert wb["Đảng viên"].cell(row=4, column=5).number_format == "DD/MM/YYYY"
    son = members[3]
    assert (son["Trạng thái"], son["Ngày chính thức"]) == ("Dự bị", None)
    units = rows(wb["Đơn vị"])
    assert [(u["Mã đơn vị"], u["Mã đơn vị cấp trên"]) for u in units] == [
        ("P", None), ("C1", "P"), ("C1-A", "C1"), ("C1-B", "C1"), ("C2", "P"), ("C2-D", "C2"),
    ]  # fmt: skip
    assert units[2]["Loại tổ chức"] == "Chi bộ trực thuộc"
    assert units[2]["Loại hình chi bộ"] == "Thôn, tổ dân phố"


def test_export_shows_only_what_the_user_may_see(world):
    roster_a = {world.hoa.card_number, world.ung.card_number, world.son.card_number}
    assert cards(export(world.users["member_a"])) == roster_a
    assert cards(export(world.users["secretary_a"])) == roster_a
    assert cards(export(world.users["secretary_b"])) == {world.binh.card_number}
    assert cards(export(world.users["officer_c2"])) == {world.dung.card_number}
    officer = export(world.users["officer_c1"])
    assert cards(officer) == roster_a | {world.binh.card_number}
    # the units the officer sees, with the code of the parent above the grant
    assert [(u["Mã đơn vị"], u["Mã đơn vị cấp trên"]) for u in rows(officer["Đơn vị"])] == [
        ("C1", "P"), ("C1-A", "C1"), ("C1-B", "C1"),
    ]  # fmt: skip
    member_units = rows(export(world.users["member_a"])["Đơn vị"])
    assert [u["Mã đơn vị"] for u in member_units] == ["C1-A"]


def test_export_filters(world):
    admin = world.users["admin_p"]
    c1 = export(admin, unit=world.c1)
    assert [m["Tên"] for m in rows(c1["Đảng viên"])] == ["Bình", "Hoa", "Sơn", "Ưng"]
    assert [u["Mã đơn vị"] for u in rows(c1["Đơn vị"])] == ["C1", "C1-A", "C1-B"]
    assert [m["Tên"] for m in rows(export(admin, q="dang thi hoa")["Đảng viên"])] == ["Hoa"]
    assert [m["Tên"] for m in rows(export(admin, status=MemberStatus.PROBATIONARY)["Đảng viên"])] == ["Sơn"]  # fmt: skip


def _wipe():
    """An empty database, as on a new installation."""
    Grant.objects.all().delete()
    User.objects.all().delete()
    MemberEvent.objects.all().delete()
    Member.objects.all().delete()
    Unit.objects.all().delete()


FIELDS = ("family_name", "middle_name", "given_name", "gender", "birth_date", "card_number",
          "admission_date", "official_date", "status", "position", "community_roles",
          "fee_category", "phone", "email", "address")  # fmt: skip


def _snapshot():
    members = {
        m.card_number: (tuple(getattr(m, f) for f in FIELDS), m.cell.code, m.province.code)
        for m in Member.objects.select_related("cell", "province")
    }
    units = {}
    for u in Unit.objects.all():
        parent = Unit.objects.get_parent(u)
        units[u.code] = (u.name, u.kind, u.cell_type, parent.code if parent else None, u.depth)
    return members, units


def test_round_trip_into_a_fresh_database(world):
    Member.objects.filter(pk=world.ung.pk).update(
        position="secretary", community_roles="Trưởng ban công tác Mặt trận", phone="0912345678",
        email="ung@example.vn", address="Số 5, đường Lê Lợi", fee_category="pensioner",
    )  # fmt: skip
    MemberFactory(cell=world.d, family_name="Ngô", middle_name="Thị", given_name="Ơn",
                  gender="female", card_number="01.234567")  # fmt: skip
    before = _snapshot()
    out, count = exporting.export_members(
        selectors.search_members(Scope(None, None, is_superuser=True)),
        scope=scope_for(world.users["admin_p"]),  # fmt: skip
    )
    assert count == 6
    data = out.read()

    _wipe()
    assert Member.objects.count() == Unit.objects.count() == 0
    root = User.objects.create_superuser("root", password="Mật-khẩu-thử-1234")
    result = import_workbook(io.BytesIO(data), user=root)
    assert result.ok, result.errors or result.message
    assert (result.units_created, result.members_created) == (6, 6)
    assert _snapshot() == before
    assert all(not problems for problems in Unit.objects.find_problems())


def test_reimport_into_the_same_database_reports_the_duplicates(world):
    admin = world.users["admin_p"]
    scope = scope_for(admin)
    members = selectors.search_members(scope, unit=world.c1)
    out, _count = exporting.export_members(members, scope=scope, within=world.c1)
    result = import_workbook(out, user=admin)
    assert not result.ok
    columns = {(e.sheet, e.column) for e in result.errors}
    assert columns == {("Đơn vị", "Mã đơn vị"), ("Đảng viên", "Số thẻ đảng viên")}
    assert len(result.errors) == 3 + 4  # C1, C1-A, C1-B; four members


def test_cli_export_then_import_elsewhere(world, tmp_path):
    path = tmp_path / "c1.xlsx"
    out = io.StringIO()
    call_command("export-members", str(path), unit="c1", stdout=out, stderr=io.StringIO())
    assert "4" in out.getvalue()
    wb = openpyxl.load_workbook(path)
    assert {m["Mã chi bộ"] for m in rows(wb["Đảng viên"])} == {"C1-A", "C1-B"}
    before = {m.card_number: m.full_name for m in Member.objects.filter(cell__path__startswith=world.c1.path)}  # fmt: skip

    # Into another database that has the province but not the commune.
    _wipe()
    Unit.objects.add_root({"code": "P", "name": "Tỉnh ủy Thử", "kind": "province_committee"})
    call_command("import-members", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    assert {m.card_number: m.full_name for m in Member.objects.all()} == before
    assert Unit.objects.get_parent(Unit.objects.get(code="C1")).code == "P"


def test_cli_export_as_a_user_and_unknown_unit(world, tmp_path):
    path = tmp_path / "x.xlsx"
    call_command("export-members", str(path), user="secretary_b", stdout=io.StringIO(), stderr=io.StringIO())  # fmt: skip
    assert [m["Tên"] for m in rows(openpyxl.load_workbook(path)["Đảng viên"])] == ["Bình"]
    with pytest.raises(CommandError):  # outside the user's grants: as if it did not exist
        call_command("export-members", str(path), unit="C2", user="secretary_b", stdout=io.StringIO())  # fmt: skip
    with pytest.raises(CommandError):
        call_command("export-members", str(path), unit="NOPE", stdout=io.StringIO())
