"""Excel import: template, all-or-nothing, the row-by-row report, access, speed."""

import datetime
import io

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from chibo.core.models import AuditEntry
from chibo.core.text import fold
from chibo.org import importing
from chibo.org.importing import MEMBER_COLUMNS, UNIT_COLUMNS, import_workbook
from chibo.org.models import Member, MemberEvent, MemberEventKind, MemberStatus, Unit, UnitKind
from tests.factories import make_user

UNIT_HEADERS = [c.header for c in UNIT_COLUMNS]
MEMBER_HEADERS = [c.header for c in MEMBER_COLUMNS]
D = datetime.date


def make_xlsx(units=None, members=None, *, unit_headers=None, member_headers=None) -> io.BytesIO:
    """A workbook with the sheets given. Rows are dicts {column key: value}."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows, columns, headers in (
        (importing.UNIT_SHEET, units, UNIT_COLUMNS, unit_headers),
        (importing.MEMBER_SHEET, members, MEMBER_COLUMNS, member_headers),
    ):
        if rows is None:
            continue
        ws = wb.create_sheet(title)
        headers = headers or [c.header for c in columns]
        keys = {fold(c.header): c.key for c in (*columns, importing.FULL_NAME_COLUMN)}
        ws.append(headers)
        for row in rows:
            ws.append([row.get(keys.get(fold(h), h)) for h in headers])
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


def unit_row(code, name, parent, kind="Chi bộ trực thuộc", cell_type="Thôn, tổ dân phố"):
    return {"code": code, "name": name, "parent": parent, "kind": kind, "cell_type": cell_type}


def member_row(**values):
    row = {
        "family_name": "Nguyễn", "middle_name": "Văn", "given_name": "An", "gender": "Nam",
        "birth_date": D(1980, 1, 15), "admission_date": D(2005, 5, 19),
        "official_date": D(2006, 5, 19), "cell": "C1-A",
    }  # fmt: skip
    row.update(values)
    return row


def error_cells(result):
    return {(e.sheet, e.row, e.column) for e in result.errors}


def nothing_stored(before):
    return (Unit.objects.count(), Member.objects.count(), MemberEvent.objects.count(),
            AuditEntry.objects.count()) == before  # fmt: skip


def counts():
    return (Unit.objects.count(), Member.objects.count(), MemberEvent.objects.count(),
            AuditEntry.objects.count())  # fmt: skip


# --- the template -------------------------------------------------------------------------------
def test_template_has_vietnamese_headers_lists_and_instructions(db):
    wb = openpyxl.load_workbook(io.BytesIO(importing.build_template()))
    assert wb.sheetnames == ["Hướng dẫn", "Đơn vị", "Đảng viên", "Danh mục"]
    assert [c.value for c in wb["Đơn vị"][1]] == [
        "Mã đơn vị", "Tên đơn vị", "Mã đơn vị cấp trên", "Loại tổ chức", "Loại hình chi bộ",
    ]  # fmt: skip
    headers = [c.value for c in wb["Đảng viên"][1]]
    for expected in ("Họ", "Tên đệm", "Tên", "Giới tính", "Ngày sinh", "Số thẻ đảng viên",
                     "Ngày vào Đảng", "Ngày chính thức", "Mã chi bộ", "Chức vụ",
                     "Vai trò ở cộng đồng", "Loại đảng phí", "Điện thoại", "Email", "Địa chỉ"):  # fmt: skip
        assert expected in headers
    lists = [dv.formula1 for dv in wb["Đảng viên"].data_validations.dataValidation if dv.type == "list"]  # fmt: skip
    assert "'Danh mục'!$C$2:$C$3" in lists  # gender: Nam / Nữ
    assert [wb["Danh mục"].cell(row=r, column=3).value for r in (2, 3)] == ["Nam", "Nữ"]
    assert wb["Hướng dẫn"]["A1"].value


def test_empty_template_imports_nothing(world):
    before = counts()
    result = import_workbook(io.BytesIO(importing.build_template()), user=world.users["admin_p"])
    assert not result.ok and result.message and not result.errors
    assert counts() == before


# --- a good file --------------------------------------------------------------------------------
def test_good_file_imports_everything(world):
    admin = world.users["admin_p"]
    before_units, before_members = Unit.objects.count(), Member.objects.count()
    units = [
        unit_row("C3", "Đảng ủy xã Đồng Tâm", "P", "Đảng bộ cơ sở", ""),
        unit_row("c3-a", "Chi bộ thôn Thượng Ơn", "C3"),
        unit_row(
            "C3-B",
            "Chi bộ Trường Trung học cơ sở",
            "c3",
            "chi bo truc thuoc",
            "Cơ quan hành chính, sự nghiệp",
        ),  # fmt: skip
        unit_row(
            "C1-E", "Chi bộ Công ty Đường Sơn", "C1", cell_type="Doanh nghiệp ngoài nhà nước, FDI"
        ),  # fmt: skip
    ]
    members = [
        member_row(family_name="Đặng", middle_name="Văn", given_name="Đức", card_number="01.234567",
                   cell="C3-A", position="Bí thư", community_roles="Trưởng thôn",
                   fee_category="Hưu trí", phone=912345678, email="duc@example.vn",
                   address="Thôn Thượng, xã Đồng Tâm", birth_date=D(1955, 4, 30)),
        member_row(family_name="Nguyễn", middle_name="Thị", given_name="Ưng", gender="Nữ",
                   birth_date="12/03/1985", admission_date="03/02/2020", official_date=None,
                   card_number="02345678", cell="C3-A"),
        member_row(family_name="Lương", middle_name="Văn", given_name="Ơn", official_date="2011-06-01",
                   admission_date="01-06-2010", card_number="0345678", cell="C1-E", position="Chi ủy viên"),
        member_row(family_name="Phạm", middle_name="Thị", given_name="Thơm", gender="nữ", status="Chính thức",
                   card_number="04.567890", cell="C1-A"),
        member_row(family_name="Hồ", middle_name="", given_name="Hương", gender="Nữ", cell="C3-B"),
    ]  # fmt: skip
    calls = []
    result = import_workbook(
        make_xlsx(units, members), user=admin, filename="danh-sach.xlsx",
        progress=lambda done, total: calls.append((done, total)),
    )  # fmt: skip
    assert result.ok, result.errors or result.message
    assert (result.units_created, result.members_created) == (4, 5)
    assert Unit.objects.count() == before_units + 4
    assert Member.objects.count() == before_members + 5

    c3, c3a, c3b, c1e = (Unit.objects.get(code=c) for c in ("C3", "C3-A", "C3-B", "C1-E"))
    parent = Unit.objects.get_parent
    assert parent(c3) == world.p and c3.kind == UnitKind.GRASSROOTS_COMMITTEE
    assert parent(c3a) == c3 and parent(c3b) == c3 and parent(c1e) == world.c1
    assert (c3a.kind, c3a.cell_type, c3a.name) == (UnitKind.CELL, "residential", "Chi bộ thôn Thượng Ơn")  # fmt: skip
    assert c3b.cell_type == "agency" and c1e.cell_type == "private_enterprise"
    assert c3.cell_type == ""
    assert c1e.path == world.c1.path + "0003"  # after A and B
    assert all(not problems for problems in Unit.objects.find_problems())  # paths, depths, numchild
    assert Unit.objects.get(pk=world.c1.pk).numchild == 3

    duc = Member.objects.get(card_number="01.234567")
    assert (duc.full_name, duc.cell, duc.province) == ("Đặng Văn Đức", c3a, world.p)
    assert (duc.position, duc.community_roles, duc.fee_category) == ("secretary", "Trưởng thôn", "pensioner")  # fmt: skip
    assert (duc.phone, duc.email, duc.birth_date) == ("0912345678", "duc@example.vn", D(1955, 4, 30))  # fmt: skip
    assert duc.status == MemberStatus.OFFICIAL and duc.name_folded == "dang van duc"
    ung = Member.objects.get(card_number="02345678")
    assert (ung.full_name, ung.gender, ung.birth_date) == ("Nguyễn Thị Ưng", "female", D(1985, 3, 12))  # fmt: skip
    assert ung.status == MemberStatus.PROBATIONARY and ung.official_date is None
    on = Member.objects.get(card_number="0345678")
    assert (on.full_name, on.cell, on.admission_date, on.official_date) == (
        "Lương Văn Ơn", c1e, D(2010, 6, 1), D(2011, 6, 1))  # fmt: skip
    assert on.position == "committee"
    thom = Member.objects.get(card_number="04.567890")
    assert (thom.full_name, thom.cell, thom.gender, thom.status) == ("Phạm Thị Thơm", world.a, "female", "official")  # fmt: skip
    huong = Member.objects.get(given_name="Hương")
    assert (huong.full_name, huong.card_number, huong.cell) == ("Hồ Hương", None, c3b)

    events = MemberEvent.objects.filter(kind=MemberEventKind.IMPORTED)
    assert events.count() == 5
    assert {e.to_cell_id for e in events} == {c3a.pk, c1e.pk, world.a.pk, c3b.pk}
    assert all(e.created_by == admin for e in events)
    entries = list(AuditEntry.objects.filter(action="org.import"))
    assert len(entries) == 1
    assert entries[0].actor == admin and entries[0].unit_path == world.p.path
    assert entries[0].changes == {"file": "danh-sach.xlsx", "units": 4, "members": 5}
    # progress: increasing, ends complete
    assert calls and calls[-1][0] == calls[-1][1]
    assert [d for d, _t in calls] == sorted(d for d, _t in calls)


def test_full_name_column_and_extra_columns(world):
    headers = ["STT", "Họ và tên", "Giới tính", "Ngày sinh", "Ngày vào Đảng", "Ngày chính thức",
               "Mã chi bộ", "Tên chi bộ"]  # fmt: skip
    rows = [
        {"STT": 1, "full_name": "Trịnh Thị Thu Hà", "gender": "Nữ", "birth_date": "5/9/1990",
         "admission_date": "19.05.2015", "official_date": "19/05/2016", "cell": "C1-B",
         "Tên chi bộ": "anything"},
    ]  # fmt: skip
    result = import_workbook(make_xlsx(None, rows, member_headers=headers), user=world.users["officer_c1"])  # fmt: skip
    assert result.ok, result.errors
    ha = Member.objects.get(given_name="Hà")
    assert (ha.family_name, ha.middle_name, ha.cell) == ("Trịnh", "Thị Thu", world.b)
    assert (ha.birth_date, ha.admission_date) == (D(1990, 9, 5), D(2015, 5, 19))


# --- a bad file ---------------------------------------------------------------------------------
def test_bad_file_imports_nothing_and_reports_every_bad_row(world):
    officer = world.users["officer_c1"]
    units = [
        unit_row("C1-E", "Chi bộ thôn Đông Yên", "C1"),  # 2 good
        unit_row("C1-A", "Chi bộ trùng mã", "C1"),  # 3 code already in the database
        unit_row("C1-E", "Chi bộ trùng trong tệp", "C1"),  # 4 code twice in the file
        unit_row("C1-F", "Chi bộ ngoài phạm vi", "C2"),  # 5 parent outside the officer's subtree
        unit_row("C1-G", "Chi bộ dưới chi bộ", "C1-A"),  # 6 parent is a cell
        unit_row("c1 h!", "Mã sai", "C1"),  # 7 malformed code
        unit_row("C1-I", "", "C1"),  # 8 no name
        unit_row("C1-J", "Hợp tác xã", "C1", kind="Hợp tác xã"),  # 9 unknown kind
        unit_row("C1-K", "Cấp trên không có", "ZZZ"),  # 10 unknown parent
        unit_row("C1-L", "Cấp trên ở sau", "C1-M"),  # 11 parent defined on a later row
        unit_row("C1-M", "Đảng bộ bộ phận", "C1", "Đảng bộ cơ sở", ""),  # 12 good
        unit_row("C1-N", "Con của dòng sai", "C1 H!"),  # 13 parent's row is wrong: not repeated
        unit_row("", "Không có mã", "C1"),  # 14 no code
    ]
    members = [
        member_row(given_name="Ưng", family_name="Đỗ", middle_name="Thị", gender="Nữ",
                   card_number="02.111111", cell="C1-E"),  # 2 good
        member_row(official_date=D(2004, 1, 1)),  # 3 official before admission
        member_row(birth_date=D(1990, 1, 1), admission_date=D(1985, 1, 1), official_date=None),  # 4
        member_row(given_name=""),  # 5 missing given name
        member_row(card_number="12-AB"),  # 6 malformed card
        member_row(card_number=world.hoa.card_number),  # 7 card in the database
        member_row(card_number="02.111111"),  # 8 card twice in the file
        member_row(cell="C2-D"),  # 9 cell outside the officer's subtree
        member_row(cell="C1"),  # 10 a committee is not a cell
        member_row(birth_date="31/02/1980"),  # 11 impossible date
        member_row(gender="X"),  # 12 unknown gender
        member_row(cell="NOPE"),  # 13 unknown cell
        member_row(cell="c1 h!"),  # 14 the cell's own row is wrong: not repeated
        member_row(status="Chính thức", official_date=None),  # 15 official without the date
        member_row(email="not-an-email"),  # 16
        member_row(birth_date=D(2099, 1, 1)),  # 17 future birth, so also born after admission
        member_row(cell=""),  # 18 no cell
    ]  # fmt: skip
    before = counts()
    result = import_workbook(make_xlsx(units, members), user=officer)
    assert not result.ok
    U, M = "Đơn vị", "Đảng viên"
    assert error_cells(result) == {
        (U, 3, "Mã đơn vị"), (U, 4, "Mã đơn vị"), (U, 5, "Mã đơn vị cấp trên"),
        (U, 6, "Mã đơn vị cấp trên"), (U, 7, "Mã đơn vị"), (U, 8, "Tên đơn vị"),
        (U, 9, "Loại tổ chức"), (U, 10, "Mã đơn vị cấp trên"), (U, 11, "Mã đơn vị cấp trên"),
        (U, 14, "Mã đơn vị"),
        (M, 3, "Ngày chính thức"), (M, 4, "Ngày vào Đảng"), (M, 5, "Tên"),
        (M, 6, "Số thẻ đảng viên"), (M, 7, "Số thẻ đảng viên"), (M, 8, "Số thẻ đảng viên"),
        (M, 9, "Mã chi bộ"), (M, 10, "Mã chi bộ"), (M, 11, "Ngày sinh"), (M, 12, "Giới tính"),
        (M, 13, "Mã chi bộ"), (M, 15, "Ngày chính thức"), (M, 16, "Email"),
        (M, 17, "Ngày sinh"), (M, 17, "Ngày vào Đảng"), (M, 18, "Mã chi bộ"),
    }  # fmt: skip
    assert len(result.errors) == len(error_cells(result))  # one message per problem
    assert counts() == before
    by_cell = {(e.sheet, e.row, e.column): e for e in result.errors}
    assert by_cell[(M, 6, "Số thẻ đảng viên")].value == "12-AB"
    assert by_cell[(M, 11, "Ngày sinh")].value == "31/02/1980"
    assert by_cell[(U, 4, "Mã đơn vị")].value == "C1-E"
    assert "2" in by_cell[(U, 4, "Mã đơn vị")].message  # points at the first occurrence
    assert all(e.message for e in result.errors)
    # the report lists the units sheet first, then rows in order
    keys = [(e.sheet != U, e.row) for e in result.errors]
    assert keys == sorted(keys)


def test_the_same_rows_import_once_corrected(world):
    rows = [member_row(card_number="07.654321"), member_row(card_number="07.654321", given_name="Bình")]  # fmt: skip
    bad = import_workbook(make_xlsx(None, rows), user=world.users["officer_c1"])
    assert error_cells(bad) == {("Đảng viên", 3, "Số thẻ đảng viên")}
    rows[1]["card_number"] = "07.654322"
    good = import_workbook(make_xlsx(None, rows), user=world.users["officer_c1"])
    assert good.ok and good.members_created == 2


def test_dissolved_parent_and_cell_are_refused(world):
    Unit.objects.filter(pk__in=[world.c2.pk, world.d.pk]).update(is_active=False)
    result = import_workbook(
        make_xlsx([unit_row("C2-X", "Chi bộ mới", "C2")], [member_row(cell="C2-D")]),
        user=world.users["admin_p"],
    )
    assert error_cells(result) == {("Đơn vị", 2, "Mã đơn vị cấp trên"), ("Đảng viên", 2, "Mã chi bộ")}  # fmt: skip


def test_only_the_system_may_create_a_root(world):
    row = [unit_row("Q", "Tỉnh ủy Mới", "", "Tỉnh ủy, thành ủy", "")]
    refused = import_workbook(make_xlsx(row), user=world.users["admin_p"])
    assert error_cells(refused) == {("Đơn vị", 2, "Mã đơn vị cấp trên")}
    done = import_workbook(make_xlsx(row), user=None)
    assert done.ok
    q = Unit.objects.get(code="Q")
    assert q.depth == 1 and q.is_root() and q.path > world.p.path


# --- access ---------------------------------------------------------------------------------------
def test_users_who_manage_nothing_cannot_import(world):
    for role in ("member_a", "secretary_a", "secretary_b"):
        before = counts()
        result = import_workbook(make_xlsx(None, [member_row()]), user=world.users[role])
        assert not result.ok and result.message and counts() == before


def test_officer_imports_only_into_own_subtree(world):
    rows = [member_row(cell="C2-D", card_number="09.000001")]
    refused = import_workbook(make_xlsx(None, rows), user=world.users["officer_c1"])
    assert error_cells(refused) == {("Đảng viên", 2, "Mã chi bộ")}
    done = import_workbook(make_xlsx(None, rows), user=world.users["officer_c2"])
    assert done.ok and Member.objects.get(card_number="09.000001").cell == world.d
    # an unknown code and a code outside the subtree read the same: nothing leaks
    unknown = import_workbook(make_xlsx(None, [member_row(cell="XYZ")]), user=world.users["officer_c1"])  # fmt: skip
    assert unknown.errors[0].message == refused.errors[0].message


# --- whole-file problems ----------------------------------------------------------------------------
def test_not_an_excel_file(world):
    for content in (b"Ho,Ten\nNguyen,An\n", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 500, b""):
        result = import_workbook(io.BytesIO(content), user=world.users["admin_p"])
        assert not result.ok and result.message and not result.errors


def test_oversize_file(world, settings):
    settings.CHIBO_IMPORT_MAX_BYTES = 1000
    before = counts()
    result = import_workbook(make_xlsx(None, [member_row()]), user=world.users["admin_p"])
    assert not result.ok and "MB" in result.message and counts() == before


def test_wrong_headers_are_reported(world):
    headers = [h for h in MEMBER_HEADERS if h != "Ngày sinh"] + ["Quê quán", "Giới tính"]
    result = import_workbook(make_xlsx(None, [member_row()], member_headers=headers), user=world.users["admin_p"])  # fmt: skip
    assert not result.ok and result.message
    assert error_cells(result) == {
        ("Đảng viên", 1, "Ngày sinh"), ("Đảng viên", 1, "Quê quán"), ("Đảng viên", 1, "Giới tính"),
    }  # fmt: skip


def test_headers_match_without_diacritics_or_case(world):
    headers = [h.upper() for h in MEMBER_HEADERS]
    headers[0] = "Ho"
    result = import_workbook(make_xlsx(None, [member_row()], member_headers=headers), user=world.users["admin_p"])  # fmt: skip
    assert result.ok, result.errors


def test_workbook_without_our_sheets(world):
    wb = openpyxl.Workbook()
    wb.active.append(["Họ", "Tên"])
    out = io.BytesIO()
    wb.save(out)
    result = import_workbook(out, user=world.users["admin_p"])
    assert not result.ok and "Đảng viên" in result.message


def test_dry_run_stores_nothing(world):
    before = counts()
    result = import_workbook(make_xlsx(None, [member_row()]), user=world.users["admin_p"], dry_run=True)  # fmt: skip
    assert result.ok and result.members_created == 1 and counts() == before


# --- speed ------------------------------------------------------------------------------------------
def test_bulk_import_does_not_query_per_row(world, django_assert_max_num_queries):
    n = 3000
    units = [unit_row(f"C1-Z{i}", f"Chi bộ số {i}", "C1") for i in range(10)]
    members = [
        member_row(given_name=f"Lợi {i}", card_number=f"{20_000_000 + i}", cell=f"C1-Z{i % 10}")
        for i in range(n)
    ]
    source = make_xlsx(units, members)
    with django_assert_max_num_queries(n // 10):
        result = import_workbook(source, user=world.users["officer_c1"])
    assert result.ok, result.errors[:5]
    assert Member.objects.filter(cell__code__startswith="C1-Z").count() == n
    assert MemberEvent.objects.filter(kind=MemberEventKind.IMPORTED).count() == n
    assert all(not problems for problems in Unit.objects.find_problems())


# --- the command line -------------------------------------------------------------------------------
def test_cli_imports_and_prints_progress(world, tmp_path, capsys):
    path = tmp_path / "dv.xlsx"
    path.write_bytes(make_xlsx(None, [member_row(card_number="05.555555")]).getvalue())
    out, err = io.StringIO(), io.StringIO()
    call_command("import-members", str(path), user="officer_c1", stdout=out, stderr=err)
    assert Member.objects.get(card_number="05.555555").cell == world.a
    assert "1" in out.getvalue() and "100%" in err.getvalue()
    entry = AuditEntry.objects.get(action="org.import")
    assert entry.actor == world.users["officer_c1"] and entry.changes["file"] == "dv.xlsx"


def test_cli_reports_every_error_and_fails(world, tmp_path):
    path = tmp_path / "bad.xlsx"
    rows = [member_row(cell="NOPE"), member_row(card_number="x"), member_row()]
    path.write_bytes(make_xlsx(None, rows).getvalue())
    out = io.StringIO()
    before = counts()
    with pytest.raises(CommandError):
        call_command("import-members", str(path), stdout=out, stderr=io.StringIO())
    lines = [line for line in out.getvalue().splitlines() if line.strip()]
    assert len(lines) == 2 and "NOPE" in lines[0] and "«x»" in lines[1]
    assert counts() == before


def test_cli_refuses_unknown_user_and_missing_file(world, tmp_path):
    path = tmp_path / "dv.xlsx"
    path.write_bytes(make_xlsx(None, [member_row()]).getvalue())
    with pytest.raises(CommandError):
        call_command("import-members", str(path), user="nobody", stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("import-members", str(tmp_path / "missing.xlsx"), stdout=io.StringIO(), stderr=io.StringIO())  # fmt: skip
    make_user("plain")
    with pytest.raises(CommandError):
        call_command("import-members", str(path), user="plain", stdout=io.StringIO(), stderr=io.StringIO())  # fmt: skip
