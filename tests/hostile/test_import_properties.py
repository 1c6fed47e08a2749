"""Properties of the Excel member import (`chibo.org.importing`) on any input.

- The cell readers (`parse_date`, `cell_text`) take whatever openpyxl may hand them and either
  return a value or refuse the cell with the parser's own error, in Vietnamese.
- `import_workbook` on generated workbooks (any sheets, headers, rows and cell values) and on
  damaged files never raises: it imports the whole file or nothing, and says why in Vietnamese,
  row by row, pointing at rows that exist.
- Export → import keeps every member's data, whatever text the members hold.
"""

from __future__ import annotations

import datetime
import io
import zipfile

import openpyxl
import pytest
from django.db import transaction
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from chibo.accounts.access import scope_for
from chibo.core.models import AuditEntry
from chibo.core.text import normalize
from chibo.org import exporting, selectors, services
from chibo.org.importing import (
    FULL_NAME_COLUMN,
    MEMBER_COLUMNS,
    MEMBER_SHEET,
    UNIT_COLUMNS,
    UNIT_SHEET,
    ImportResult,
    _CellError,
    cell_text,
    import_workbook,
    parse_date,
)
from chibo.org.models import CellType, Member, MemberEvent, Unit, UnitKind
from tests.factories import make_unit

from .test_text_properties import LETTERS, texts

pytestmark = pytest.mark.django_db

EXAMPLES = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])  # fmt: skip

# Text openpyxl can write (XML 1.0 characters, at most the 32,767 characters of a cell).
cell_texts = texts.map(lambda t: ILLEGAL_CHARACTERS_RE.sub("", t))
dates = st.dates(datetime.date(1900, 3, 1), datetime.date(2100, 12, 31))
# What a cell of a member list holds: the right kind of value often, anything sometimes.
meaningful = st.sampled_from([
    "Nguyễn", "Thị", "Hoa", "Nam", "Nữ", "nu gioi", "Chính thức", "Dự bị", "Bí thư", "Hưu trí",
    "C1-A", "c1-b", "C2-D", "P", "C1", "XYZ", "19/05/1990", "1990-05-19", "31/02/2001",
    "01.234567", "0912345678", "hoa@example.vn", "Chi bộ trực thuộc", "Đảng bộ cơ sở",
    "Thôn, tổ dân phố", "", " ",
])  # fmt: skip
cell_values = st.one_of(
    meaningful, cell_texts, st.none(), st.booleans(), dates,
    st.integers(-(10**12), 10**12), st.floats(allow_nan=False, allow_infinity=False),
    st.datetimes(datetime.datetime(1900, 3, 1), datetime.datetime(2100, 1, 1)),
)  # fmt: skip
ALL_HEADERS = [c.header for c in (*UNIT_COLUMNS, *MEMBER_COLUMNS, FULL_NAME_COLUMN)] + ["STT"]


def _vietnamese(message: str) -> bool:
    """Every Vietnamese sentence of chibo has a letter outside ASCII; English ones do not."""
    return bool(message) and not message.isascii()


@st.composite
def workbooks(draw) -> bytes:
    """A workbook with sheets named (nearly) like the template's, headers taken from the
    template in any order (or made up), and rows of any values."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    titles = draw(st.lists(st.sampled_from([UNIT_SHEET, MEMBER_SHEET, "dang vien", "Sheet1"]),
                           min_size=1, max_size=3, unique=True))  # fmt: skip
    for title in titles:
        ws = wb.create_sheet(title)
        template = [c.header for c in (UNIT_COLUMNS if "n v" in title.lower() else MEMBER_COLUMNS)]
        headers = draw(st.one_of(
            st.permutations(template),
            st.lists(st.one_of(st.sampled_from(ALL_HEADERS), cell_texts), max_size=8),
        ))  # fmt: skip
        ws.append(list(headers))
        for row in draw(st.lists(st.lists(cell_values, max_size=len(headers) + 2), max_size=5)):
            ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _counts() -> tuple[int, ...]:
    return (Unit.objects.count(), Member.objects.count(), MemberEvent.objects.count(),
            AuditEntry.objects.count())  # fmt: skip


def _check_result(result: ImportResult, *, rows: int | None = None) -> None:
    assert isinstance(result, ImportResult)
    if result.ok:
        assert not result.errors and not result.message
        return
    assert _vietnamese(result.message), result.message
    for error in result.errors:
        assert error.sheet and error.row >= 1 and _vietnamese(error.message), error
        if rows is not None:
            assert error.row <= rows + 1, error


# --- the cell readers -------------------------------------------------------------------------
@EXAMPLES
@given(cell_values)
def test_a_cell_is_read_or_refused_with_the_parsers_own_message(value):
    assert isinstance(cell_text(value), str)
    try:
        parsed = parse_date(value)
    except _CellError as refused:
        assert _vietnamese(str(refused))
    else:
        assert parsed is None or isinstance(parsed, datetime.date)


@EXAMPLES
@given(dates, st.sampled_from(["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d", " %d / %m / %Y "]))
def test_every_written_form_of_a_date_reads_back(day, form):
    text = day.strftime(form)
    assert parse_date(text) == day
    assert parse_date(datetime.datetime.combine(day, datetime.time(8, 30))) == day
    assert parse_date(cell_text(day)) == day  # an Excel date → dd/mm/yyyy → the same date


# --- whole files ------------------------------------------------------------------------------
@EXAMPLES
@given(content=workbooks())
def test_any_workbook_imports_wholly_or_not_at_all_with_vietnamese_reasons(world, content):
    officer = world.users["officer_c1"]
    with transaction.atomic():
        before = _counts()
        result = import_workbook(io.BytesIO(content), user=officer, filename="hostile.xlsx")
        _check_result(result)
        if not result.ok:
            assert _counts() == before
        else:
            added = result.units_created, result.members_created
            assert (_counts()[0] - before[0], _counts()[1] - before[1]) == added
        transaction.set_rollback(True)


def _damaged(content: bytes, cut: int, flips: list[tuple[int, int]]) -> bytes:
    data = bytearray(content[: max(1, cut % (len(content) + 1))])
    for position, byte in flips:
        if data:
            data[position % len(data)] = byte
    return bytes(data)


@pytest.fixture(scope="module")
def good_file() -> bytes:
    from tests.org.test_import import make_xlsx, member_row

    return make_xlsx(None, [member_row(card_number="07.000001")]).getvalue()


@EXAMPLES
@given(cut=st.integers(0, 10**6), flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)),
                                                  max_size=6))  # fmt: skip
def test_a_damaged_file_is_refused_with_a_message_never_an_error(world, good_file, cut, flips):
    content = _damaged(good_file, cut, flips)
    before = _counts()
    result = import_workbook(io.BytesIO(content), user=world.users["officer_c1"])
    _check_result(result)
    if not result.ok:
        assert _counts() == before


@pytest.mark.parametrize("entries", [
    {"xl/workbook.xml": b"\x00garbage<"},  # the entry the check looks for, holding garbage
    {"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"},
    {"xl/workbook.xml": b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'aaaaaaaaaa'>"
                        b"<!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'>]><workbook>&b;</workbook>"},
    {"word/document.xml": b"<w:document/>"},  # a Word file renamed .xlsx
])  # fmt: skip
def test_a_zip_that_is_not_a_workbook_is_refused(world, entries):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        for name, data in entries.items():
            package.writestr(name, data)
    before = _counts()
    result = import_workbook(buffer, user=world.users["officer_c1"])
    _check_result(result)
    assert not result.ok and not result.errors and _counts() == before


# --- export → import ----------------------------------------------------------------------------
FIELDS = ("family_name", "middle_name", "given_name", "gender", "birth_date", "admission_date",
          "official_date", "status", "position", "community_roles", "fee_category", "phone",
          "email", "address")  # fmt: skip
name_parts = st.text(alphabet=LETTERS, min_size=1, max_size=12)
# Texts Excel would take for a formula: they must go out and come back as the text typed.
formulas = st.sampled_from(["=1+2", '=HYPERLINK("http://x.example","Xem")', "+84 912", "@A1", "-5"])
members = st.fixed_dictionaries({
    "family_name": name_parts, "middle_name": st.one_of(st.just(""), name_parts),
    "given_name": name_parts, "gender": st.sampled_from(["male", "female"]),
    "birth_date": st.dates(datetime.date(1930, 1, 1), datetime.date(1990, 12, 31)),
    "admission_years": st.integers(18, 30), "official": st.booleans(),
    "position": st.sampled_from(["secretary", "deputy", "committee", "member"]),
    "fee_category": st.sampled_from(["salaried", "pensioner", "student", "other_income", "exempt"]),
    "community_roles": st.one_of(texts, formulas), "address": st.one_of(texts, formulas),
    "phone": st.one_of(st.just(""), st.from_regex(r"0[0-9]{9}", fullmatch=True)),
})  # fmt: skip


def _member_data(drawn: dict, cell: Unit) -> dict:
    data = dict(drawn)
    data["birth_date"] = born = data["birth_date"].replace(day=1)
    data["admission_date"] = admitted = born.replace(year=born.year + data.pop("admission_years"))
    official = data.pop("official")
    data["official_date"] = admitted.replace(year=admitted.year + 1) if official else None
    data["status"] = "official" if official else "probationary"
    data["cell"] = cell
    return data


@settings(max_examples=15, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip
@given(st.lists(members, min_size=1, max_size=4))
def test_export_then_import_keeps_every_members_data(world, drawn):
    """The members of a new cell go out to Excel and come back in as new members (the file's
    units sheet removed, card numbers left empty): every field the same."""
    officer = world.users["officer_c1"]
    with transaction.atomic():
        cell = make_unit(world.c1, "C1-H", "Chi bộ thôn Hạ", UnitKind.CELL, CellType.RESIDENTIAL)
        made = []
        for item in drawn:
            data = _member_data(item, cell)
            assume(not services.member_data_errors(data))
            made.append(services.member_create(by=officer, **data))
        scope = scope_for(officer)
        out, count = exporting.export_members(selectors.search_members(scope, unit=cell),
                                              scope=scope, within=cell)  # fmt: skip
        assert count == len(made)
        wb = openpyxl.load_workbook(out)
        del wb[UNIT_SHEET]
        content = io.BytesIO()
        wb.save(content)
        content.seek(0)

        def snapshot(queryset):
            return sorted(tuple(getattr(m, f) for f in FIELDS) for m in queryset)

        before = snapshot(Member.objects.filter(cell=cell))
        result = import_workbook(content, user=officer, filename="round-trip.xlsx")
        assert result.ok, (result.message, result.errors)
        assert result.members_created == len(made)
        new = Member.objects.filter(cell=cell).exclude(pk__in=[m.pk for m in made])
        assert snapshot(new) == before
        for member in new:
            assert member.community_roles == normalize(member.community_roles)
        transaction.set_rollback(True)
