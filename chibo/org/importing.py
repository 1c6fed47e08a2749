"""Excel import of units and members: the template, parsing, validation, the all-or-nothing
write, and the background jobs the web UI runs imports in.

A file has two data sheets, "Đơn vị" (units) and "Đảng viên" (members); either may be
missing. Units come first: a unit's parent and a member's cell must exist in the database or
be defined earlier in the file, inside the part of the tree the importing user manages.

The whole file is read and checked in memory (set look-ups, a few chunked queries), every
problem is collected with its sheet, row and column, and only a file without a single problem
is written — in one transaction, with computed tree paths and bulk inserts, one "imported"
event per member and one audit entry for the whole import.
"""

from __future__ import annotations

import datetime
import io
import json
import logging
import os
import re
import threading
import uuid
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from chibo.accounts.access import MANAGE_ROLES, Scope, scope_for
from chibo.core import audit, xlsx
from chibo.core.models import AuditEntry
from chibo.core.text import fold, normalize, split_full_name

from . import services
from .models import (
    CellType,
    FeeCategory,
    Gender,
    Member,
    MemberEvent,
    MemberEventKind,
    MemberStatus,
    Position,
    Unit,
    UnitKind,
)

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]

# --- the file format (fixed Vietnamese data: sheet names, headers, choice labels) -----------
UNIT_SHEET = "Đơn vị"
MEMBER_SHEET = "Đảng viên"
HELP_SHEET = "Hướng dẫn"
LISTS_SHEET = "Danh mục"
DATE_FORMAT = "DD/MM/YYYY"

GENDER_LABELS = {Gender.MALE: "Nam", Gender.FEMALE: "Nữ"}
STATUS_LABELS = {MemberStatus.OFFICIAL: "Chính thức", MemberStatus.PROBATIONARY: "Dự bị"}
POSITION_LABELS = {
    Position.SECRETARY: "Bí thư",
    Position.DEPUTY: "Phó Bí thư",
    Position.COMMITTEE: "Chi ủy viên",
    Position.MEMBER: "Đảng viên",
}
FEE_LABELS = {
    FeeCategory.SALARIED: "Hưởng lương",
    FeeCategory.PENSIONER: "Hưu trí",
    FeeCategory.STUDENT: "Học sinh, sinh viên",
    FeeCategory.OTHER_INCOME: "Thu nhập khác",
    FeeCategory.EXEMPT: "Miễn đảng phí",
}
KIND_LABELS = {
    UnitKind.PROVINCE_COMMITTEE: "Tỉnh ủy, thành ủy",
    UnitKind.MID_COMMITTEE: "Đảng bộ trực thuộc tỉnh",
    UnitKind.GRASSROOTS_COMMITTEE: "Đảng bộ cơ sở",
    UnitKind.GRASSROOTS_CELL: "Chi bộ cơ sở",
    UnitKind.CELL: "Chi bộ trực thuộc",
    UnitKind.OTHER: "Tổ chức đảng khác",
}
CELL_TYPE_LABELS = {
    CellType.RESIDENTIAL: "Thôn, tổ dân phố",
    CellType.AGENCY: "Cơ quan hành chính, sự nghiệp",
    CellType.STATE_ENTERPRISE: "Doanh nghiệp nhà nước",
    CellType.PRIVATE_ENTERPRISE: "Doanh nghiệp ngoài nhà nước, FDI",
    CellType.STUDENTS: "Học sinh, sinh viên",
    CellType.ARMED_FORCES: "Lực lượng vũ trang",
    CellType.OTHER: "Khác",
}
# Other spellings people use, folded (no diacritics, lower case).
_SYNONYMS = {
    "gender": {"nu gioi": Gender.FEMALE, "nam gioi": Gender.MALE},
    "kind": {
        "tinh uy": UnitKind.PROVINCE_COMMITTEE,
        "thanh uy": UnitKind.PROVINCE_COMMITTEE,
        "dang uy co so": UnitKind.GRASSROOTS_COMMITTEE,
        "dang uy xa": UnitKind.GRASSROOTS_COMMITTEE,
        "dang uy phuong": UnitKind.GRASSROOTS_COMMITTEE,
        "dang bo xa": UnitKind.GRASSROOTS_COMMITTEE,
        "dang bo phuong": UnitKind.GRASSROOTS_COMMITTEE,
        "chi bo": UnitKind.CELL,
        "chi bo truc thuoc dang uy co so": UnitKind.CELL,
    },
    "cell_type": {"thon": CellType.RESIDENTIAL, "to dan pho": CellType.RESIDENTIAL},
    "position": {"pho bi thu chi bo": Position.DEPUTY, "bi thu chi bo": Position.SECRETARY},
    "fee_category": {"mien": FeeCategory.EXEMPT, "huu": FeeCategory.PENSIONER},
    "status": {"chinh thuc": MemberStatus.OFFICIAL, "du bi": MemberStatus.PROBATIONARY},
}
CHOICE_LABELS = {
    "gender": GENDER_LABELS,
    "status": STATUS_LABELS,
    "position": POSITION_LABELS,
    "fee_category": FEE_LABELS,
    "kind": KIND_LABELS,
    "cell_type": CELL_TYPE_LABELS,
}


def _choice_lookup(key: str) -> dict[str, str]:
    table = {fold(label): str(value) for value, label in CHOICE_LABELS[key].items()}
    table.update({fold(str(value)): str(value) for value in CHOICE_LABELS[key]})
    table.update({k: str(v) for k, v in _SYNONYMS.get(key, {}).items()})
    return table


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: str = "text"  # text | date | choice | code
    required: bool = False  # the column must be in the file (its values may still be optional)
    width: int = 16


UNIT_COLUMNS = (
    Column("code", "Mã đơn vị", "code", required=True, width=14),
    Column("name", "Tên đơn vị", required=True, width=36),
    Column("parent", "Mã đơn vị cấp trên", "code", required=True, width=18),
    Column("kind", "Loại tổ chức", "choice", required=True, width=22),
    Column("cell_type", "Loại hình chi bộ", "choice", width=30),
)
MEMBER_COLUMNS = (
    Column("family_name", "Họ", width=12),
    Column("middle_name", "Tên đệm", width=14),
    Column("given_name", "Tên", width=10),
    Column("gender", "Giới tính", "choice", required=True, width=10),
    Column("birth_date", "Ngày sinh", "date", required=True, width=12),
    Column("card_number", "Số thẻ đảng viên", width=16),
    Column("admission_date", "Ngày vào Đảng", "date", required=True, width=14),
    Column("official_date", "Ngày chính thức", "date", width=14),
    Column("status", "Trạng thái", "choice", width=12),
    Column("cell", "Mã chi bộ", "code", required=True, width=14),
    Column("position", "Chức vụ", "choice", width=14),
    Column("community_roles", "Vai trò ở cộng đồng", width=24),
    Column("fee_category", "Loại đảng phí", "choice", width=18),
    Column("phone", "Điện thoại", width=14),
    Column("email", "Email", width=24),
    Column("address", "Địa chỉ", width=36),
)
# Accepted instead of the three name columns.
FULL_NAME_COLUMN = Column("full_name", "Họ và tên", width=28)
# Columns that are read by people only: an export carries the cell's name, many lists a number.
CELL_NAME_COLUMN = Column("cell_name", "Tên chi bộ", width=30)
IGNORED_HEADERS = {fold("STT"), fold(CELL_NAME_COLUMN.header)}

_MEMBER_TEXT_FIELDS = ("family_name", "middle_name", "given_name", "community_roles", "phone",
                       "email", "address")  # fmt: skip


# --- results ----------------------------------------------------------------------------------
@dataclass
class RowError:
    sheet: str
    row: int
    column: str
    value: str
    message: str


@dataclass
class ImportResult:
    ok: bool = False
    message: str = ""  # what is wrong with the file as a whole, if anything
    errors: list[RowError] = field(default_factory=list)
    units_created: int = 0
    members_created: int = 0
    rows: int = 0

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["error_count"] = len(self.errors)
        return data


class ImportFileError(Exception):
    """The file as a whole cannot be read: not an .xlsx, too big, no usable sheet."""


# --- reading cells ----------------------------------------------------------------------------
class _CellError(Exception):
    pass


_DMY_RE = re.compile(r"^(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})$")
_ISO_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def parse_date(value: Any) -> datetime.date | None:
    """A real Excel date, or text dd/mm/yyyy (also with - or .), or yyyy-mm-dd."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        text = normalize(value)
        if not text:
            return None
        if m := _DMY_RE.match(text):
            day, month, year = (int(g) for g in m.groups())
        elif m := _ISO_RE.match(text):
            year, month, day = (int(g) for g in m.groups())
        else:
            raise _CellError(_("Write the date as dd/mm/yyyy, for example 19/05/1990."))
        try:
            return datetime.date(year, month, day)
        except ValueError:
            raise _CellError(_("This date does not exist.")) from None
    raise _CellError(_("Write the date as dd/mm/yyyy, for example 19/05/1990."))


def cell_text(value: Any) -> str:
    """The text of a cell: numbers without a trailing .0, dates as dd/mm/yyyy."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    return normalize(str(value))


def _phone(value: Any) -> str:
    text = cell_text(value)
    # A phone typed as a number loses its leading zero: 912345678 → 0912345678.
    if isinstance(value, int | float) and text.isdigit() and len(text) == 9:
        text = "0" + text
    return text


# --- reading the workbook ---------------------------------------------------------------------
@dataclass
class _Sheet:
    name: str
    columns: dict[str, int]  # column key → index in the row
    headers: dict[str, str]  # column key → header as written in the file
    rows: list[tuple[int, tuple[Any, ...]]]

    def value(self, row: tuple[Any, ...], key: str) -> Any:
        index = self.columns.get(key)
        if index is None or index >= len(row):
            return None
        value = row[index]
        return value.strip() if isinstance(value, str) else value

    def header(self, key: str) -> str:
        return self.headers.get(key) or _header_of(key)


def _header_of(key: str) -> str:
    for column in (*UNIT_COLUMNS, *MEMBER_COLUMNS, FULL_NAME_COLUMN):
        if column.key == key:
            return column.header
    return key


def _open_workbook(source: str | os.PathLike | IO[bytes]):
    from openpyxl import load_workbook

    max_bytes = settings.CHIBO_IMPORT_MAX_BYTES
    if isinstance(source, str | os.PathLike):
        size = os.path.getsize(source)
    else:
        source.seek(0, io.SEEK_END)
        size = source.tell()
        source.seek(0)
    if size > max_bytes:
        raise ImportFileError(
            _("The file is too big (%(size)s MB); the limit is %(limit)s MB.")
            % {"size": megabytes(size), "limit": megabytes(max_bytes)}
        )
    if size == 0:
        raise ImportFileError(_("The file is empty."))
    not_xlsx = _("This is not an Excel .xlsx file. Save it in Excel as “Excel Workbook (.xlsx)” and try again.")  # fmt: skip
    try:
        with zipfile.ZipFile(source) as archive:
            # A small file that unpacks into gigabytes is an attack, not a member list.
            if sum(i.file_size for i in archive.infolist()) > 20 * max_bytes:
                raise ImportFileError(_("The file is too big once unpacked."))
            if "xl/workbook.xml" not in archive.namelist():
                raise ImportFileError(not_xlsx)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ImportFileError(not_xlsx) from None
    if not isinstance(source, str | os.PathLike):
        source.seek(0)
    try:
        return load_workbook(source, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds of errors on damaged files
        logger.info("unreadable workbook", exc_info=True)
        raise ImportFileError(not_xlsx) from None


def megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}".replace(".", ",")


_ROW_TAG = re.compile(rb"<(?:\w+:)?row[\s>/]")


def _row_estimate(ws) -> int:
    """How many rows a sheet has, for the progress bar. Files written by Excel say so in their
    header; others (openpyxl, some exporters) do not, and then the row tags are counted, which
    costs a fraction of a second for a province-sized sheet."""
    if ws.max_row:
        return ws.max_row
    try:
        source = ws._get_source()
    except Exception:  # pragma: no cover - openpyxl internals changed
        return 0
    count, tail = 0, b""
    with source:
        while chunk := source.read(1 << 20):
            data = tail + chunk
            count += len(_ROW_TAG.findall(data))
            tail = data[-16:]
            count -= len(_ROW_TAG.findall(tail))  # counted again with the next chunk
    return count + len(_ROW_TAG.findall(tail))


def _find_sheet(workbook, name: str):
    wanted = fold(name)
    for ws in workbook.worksheets:
        if fold(ws.title) == wanted:
            return ws
    return None


def _read_sheet(
    ws, columns: tuple[Column, ...], errors: list[RowError], tick: Callable[[], None]
) -> _Sheet:
    """Read one sheet: check its header row, keep the non-empty data rows."""
    known = {fold(c.header): c for c in (*columns, FULL_NAME_COLUMN)}
    if columns is UNIT_COLUMNS:
        known.pop(fold(FULL_NAME_COLUMN.header))
    sheet = _Sheet(ws.title, {}, {}, [])
    rows = ws.iter_rows(values_only=True)
    header_row = next(rows, None) or ()
    for index, raw in enumerate(header_row):
        header = cell_text(raw)
        if not header or fold(header) in IGNORED_HEADERS:
            continue
        column = known.get(fold(header))
        if column is None:
            errors.append(RowError(ws.title, 1, header, header, _("Unknown column: it is not in the template.")))  # fmt: skip
        elif column.key in sheet.columns:
            errors.append(RowError(ws.title, 1, header, header, _("This column appears twice.")))
        else:
            sheet.columns[column.key] = index
            sheet.headers[column.key] = header
    missing = [c for c in columns if c.required and c.key not in sheet.columns]
    if columns is MEMBER_COLUMNS:
        parts = [c for c in columns if c.key in ("family_name", "given_name")]
        has_parts = all(c.key in sheet.columns for c in parts)
        if not has_parts and "full_name" not in sheet.columns:
            missing = [c for c in parts if c.key not in sheet.columns] + missing
        elif "full_name" in sheet.columns and any(c.key in sheet.columns for c in columns[:3]):
            errors.append(RowError(ws.title, 1, FULL_NAME_COLUMN.header, "",
                                   _("Use either “Họ và tên” or the columns “Họ”, “Tên đệm”, “Tên”, not both.")))  # fmt: skip
    for column in missing:
        errors.append(RowError(ws.title, 1, column.header, "", _("This column is missing.")))
    for number, row in enumerate(rows, start=2):
        tick()
        if any(v is not None and (not isinstance(v, str) or v.strip()) for v in row):
            sheet.rows.append((number, row))
    return sheet


# --- validating -------------------------------------------------------------------------------
@dataclass
class _NewUnit:
    row: int
    unit: Unit  # unsaved; path and depth are filled in when writing
    parent_code: str
    ok: bool


class _Checker:
    """Holds what the file defines and what the database already has, by code and number."""

    def __init__(self, scope: Scope, errors: list[RowError]):
        self.scope = scope
        self.errors = errors
        self.new_units: dict[str, _NewUnit] = {}
        self.db_units: dict[str, Unit] = {}
        self.choices = {key: _choice_lookup(key) for key in CHOICE_LABELS}

    def error(self, sheet: _Sheet, row: int, key: str, value: Any, message: str) -> None:
        self.errors.append(RowError(sheet.name, row, sheet.header(key), cell_text(value), message))

    def load_units(self, codes: Iterable[str]) -> None:
        codes = sorted({c for c in codes if c} - self.db_units.keys())
        for chunk in _chunks(codes, 500):
            for unit in Unit.objects.filter(code__in=chunk):
                self.db_units[unit.code] = unit

    def choice(self, key: str, raw: Any) -> str:
        text = cell_text(raw)
        if not text:
            return ""
        value = self.choices[key].get(fold(text))
        if value is None:
            labels = ", ".join(f"“{label}”" for label in CHOICE_LABELS[key].values())
            raise _CellError(_("Unknown value. Use one of: %(labels)s.") % {"labels": labels})
        return value

    def reference(self, code: str) -> tuple[Unit | None, _NewUnit | None]:
        """The unit a code names: defined earlier in the file, else in the database."""
        if code in self.new_units:
            return self.new_units[code].unit, self.new_units[code]
        return self.db_units.get(code), None

    def manageable(self, unit: Unit, new: _NewUnit | None) -> bool:
        return new is not None or self.scope.can_manage_unit(unit)


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _unit_code(raw: Any) -> str:
    return normalize(cell_text(raw)).upper()


def _check_units(sheet: _Sheet, checker: _Checker) -> None:
    later: dict[str, int] = {}
    for row, values in sheet.rows:
        code = _unit_code(sheet.value(values, "code"))
        later.setdefault(code, row)
    checker.load_units(
        [_unit_code(sheet.value(v, "code")) for _r, v in sheet.rows]
        + [_unit_code(sheet.value(v, "parent")) for _r, v in sheet.rows]
    )
    first_row: dict[str, int] = {}
    for row, values in sheet.rows:
        count = len(checker.errors)
        raw = {c.key: sheet.value(values, c.key) for c in UNIT_COLUMNS}
        code, parent_code = _unit_code(raw["code"]), _unit_code(raw["parent"])
        name = normalize(cell_text(raw["name"]))
        bad_fields: set[str] = set()
        kind = cell_type = ""
        for key in ("kind", "cell_type"):
            try:
                value = checker.choice(key, raw[key])
            except _CellError as exc:
                checker.error(sheet, row, key, raw[key], str(exc))
                bad_fields.add(key)
                continue
            if key == "kind":
                kind = value
            else:
                cell_type = value
        if not code:
            checker.error(sheet, row, "code", raw["code"], _("This field is required."))
            bad_fields.add("code")
        elif code in first_row:
            checker.error(sheet, row, "code", raw["code"],
                          _("This code is already used on row %(row)s of this sheet.") % {"row": first_row[code]})  # fmt: skip
            bad_fields.add("code")
        try:
            services._check_unit_fields(code=code, name=name, kind=kind or UnitKind.OTHER)
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                if key not in bad_fields:
                    for message in messages:
                        checker.error(sheet, row, key, raw.get(key), message)
                        bad_fields.add(key)
        if len(name) > Unit._meta.get_field("name").max_length:
            checker.error(sheet, row, "name", raw["name"], _length_message(Unit, "name"))
        if not kind and "kind" not in bad_fields:
            checker.error(sheet, row, "kind", raw["kind"], _("This field is required."))
        parent, parent_new = (None, None)
        if not parent_code:
            if not checker.scope.covers("", MANAGE_ROLES):
                checker.error(sheet, row, "parent", raw["parent"],
                              _("Give the code of the unit above it."))  # fmt: skip
        else:
            parent, parent_new = checker.reference(parent_code)
            if parent is None and later.get(parent_code, 0) > row:
                checker.error(sheet, row, "parent", raw["parent"],
                              _("The unit above must come before its units: it is on row %(row)s.")
                              % {"row": later[parent_code]})  # fmt: skip
            elif parent is None or not checker.manageable(parent, parent_new):
                checker.error(sheet, row, "parent", raw["parent"], _unknown_unit_message())
            elif parent_new is not None and not parent_new.ok:
                pass  # the parent's own row is reported; do not repeat it on every child
            elif parent.holds_members:
                checker.error(sheet, row, "parent", raw["parent"],
                              _("A cell cannot have units under it."))  # fmt: skip
            elif not parent.is_active:
                checker.error(sheet, row, "parent", raw["parent"],
                              _("This unit has been dissolved."))  # fmt: skip
        if code and code not in first_row:
            first_row[code] = row
        if code and code not in checker.new_units and code not in checker.db_units:
            unit = Unit(code=code, name=name, kind=kind, cell_type=cell_type, is_active=True)
            if not unit.holds_members:
                unit.cell_type = ""
            unit._import_parent = parent  # type: ignore[attr-defined]
            checker.new_units[code] = _NewUnit(
                row, unit, parent_code, ok=len(checker.errors) == count
            )


def _unknown_unit_message() -> str:
    return _("No unit with this code in the part of the tree you manage.")


def _length_message(model, name: str) -> str:
    limit = model._meta.get_field(name).max_length
    return ngettext("At most %(n)d character.", "At most %(n)d characters.", limit) % {"n": limit}


@dataclass
class _NewMember:
    row: int
    data: dict[str, Any]
    cell: Unit


def _check_members(sheet: _Sheet, checker: _Checker) -> list[_NewMember]:
    checker.load_units(_unit_code(sheet.value(v, "cell")) for _r, v in sheet.rows)
    cards = sorted({cell_text(sheet.value(v, "card_number")) for _r, v in sheet.rows} - {""})
    taken: set[str] = set()
    for chunk in _chunks(cards, 500):
        taken.update(Member.objects.filter(card_number__in=chunk).values_list("card_number", flat=True))  # fmt: skip
    first_card: dict[str, int] = {}
    result: list[_NewMember] = []
    for row, values in sheet.rows:
        raw = {c.key: sheet.value(values, c.key) for c in MEMBER_COLUMNS}
        if "full_name" in sheet.columns:
            full = sheet.value(values, "full_name")
            raw["family_name"], raw["middle_name"], raw["given_name"] = split_full_name(cell_text(full))  # fmt: skip
        bad: dict[str, str] = {}  # field → problem found while reading the cell
        data: dict[str, Any] = {}
        for key in _MEMBER_TEXT_FIELDS:
            data[key] = _phone(raw[key]) if key == "phone" else cell_text(raw[key])
            if len(data[key]) > Member._meta.get_field(key).max_length:
                bad[key] = _length_message(Member, key)
        if data["email"] and "email" not in bad:
            try:
                validate_email(data["email"])
            except ValidationError:
                bad["email"] = _("This is not a valid e-mail address.")
        for key in ("birth_date", "admission_date", "official_date"):
            try:
                data[key] = parse_date(raw[key])
            except _CellError as exc:
                data[key], bad[key] = None, str(exc)
        for key in ("gender", "status", "position", "fee_category"):
            try:
                data[key] = checker.choice(key, raw[key])
            except _CellError as exc:
                data[key], bad[key] = "", str(exc)
        data["position"] = data["position"] or Position.MEMBER
        data["fee_category"] = data["fee_category"] or FeeCategory.SALARIED
        if not data["status"] and "status" not in bad:
            data["status"] = MemberStatus.OFFICIAL if data["official_date"] else MemberStatus.PROBATIONARY  # fmt: skip
        card = cell_text(raw["card_number"])
        data["card_number"] = card
        if card in first_card:
            bad["card_number"] = _("This card number is already used on row %(row)s of this sheet.") % {"row": first_card[card]}  # fmt: skip
        elif card:
            first_card[card] = row
        cell_code = _unit_code(raw["cell"])
        cell, cell_new = checker.reference(cell_code) if cell_code else (None, None)
        if cell_code and (cell is None or not checker.manageable(cell, cell_new)):
            bad["cell"] = _unknown_unit_message()
            cell = None
        data["cell"] = cell
        # The shared rules. A card number is only checked against the database when it is
        # badly formed or known to be taken (one query for the whole file instead of one per row).
        check = dict(data)
        if card and services.CARD_NUMBER_RE.match(card) and card not in taken:
            check["card_number"] = ""
        if cell_new is not None and not cell_new.ok:
            check["cell"] = _ValidCellStandIn()  # its own row is reported; do not repeat it
        errors = services.member_data_errors(check)
        for key, message in bad.items():
            checker.error(sheet, row, key, raw.get(key), message)
        for key, messages in errors.items():
            if key not in bad:
                for message in messages:
                    checker.error(sheet, row, key, raw.get(key), message)
        if not bad and not errors:
            data["card_number"] = card or None
            result.append(_NewMember(row, data, cell))
    return result


class _ValidCellStandIn:
    holds_members = True
    is_active = True


# --- writing ----------------------------------------------------------------------------------
def _write(
    new_units: list[_NewUnit], new_members: list[_NewMember], *, user, filename: str,
    progress: Callable[[int], None], job_id: str = "",
) -> None:  # fmt: skip
    """Store everything in one transaction. Paths are computed here, against fresh parents."""
    today = timezone.localdate()
    written = 0
    with transaction.atomic():
        # Parents from the database, locked and re-read: a move since the check changes paths.
        parent_ids = {
            n.unit._import_parent.pk  # type: ignore[attr-defined]
            for n in new_units
            if n.unit._import_parent is not None and n.unit._import_parent.pk  # type: ignore[attr-defined]
        }
        fresh = {u.pk: u for u in Unit.objects.select_for_update().filter(pk__in=parent_ids)}
        next_step: dict[str, int] = {}  # parent path ("" for roots) → next free step
        children: dict[int, int] = {}  # existing parent pk → number of units added under it

        def step_after(parent_path: str, depth: int, *, parent_is_new: bool) -> int:
            if parent_is_new:
                next_step.setdefault(parent_path, 1)
            if parent_path not in next_step:
                last = (
                    Unit.objects.filter(path__startswith=parent_path, depth=depth)
                    .order_by("-path")
                    .values_list("path", flat=True)
                    .first()
                )
                next_step[parent_path] = Unit._str2int(last[-Unit.steplen :]) + 1 if last else 1
            step = next_step[parent_path]
            next_step[parent_path] = step + 1
            return step

        for new in new_units:
            unit = new.unit
            parent = unit._import_parent  # type: ignore[attr-defined]
            if parent is not None and parent.pk:
                parent = fresh[parent.pk]
                children[parent.pk] = children.get(parent.pk, 0) + 1
            elif parent is not None:
                parent.numchild += 1
            parent_path = parent.path if parent is not None else ""
            unit.depth = parent.depth + 1 if parent is not None else 1
            step = step_after(
                parent_path, unit.depth, parent_is_new=parent is not None and not parent.pk
            )
            if step >= len(Unit.alphabet) ** Unit.steplen:
                raise ImportFileError(_("Too many units under one parent."))
            unit.path = Unit._get_path(parent_path, unit.depth, step)
        for new in new_units:
            new.unit.save(force_insert=True)
            written += 1
            if written % 200 == 0:
                progress(written)
        for pk, count in children.items():
            Unit.objects.filter(pk=pk).update(numchild=F("numchild") + count)

        cell_paths = {m.cell.path for m in new_members}
        province_paths = {p[: Unit.steplen] for p in cell_paths}
        provinces = dict(Unit.objects.filter(path__in=province_paths).values_list("path", "pk"))
        # Cells from the database may have moved since the check: read their paths again.
        db_cell_paths = dict(
            Unit.objects.filter(pk__in={m.cell.pk for m in new_members if m.cell.pk})
            .values_list("pk", "path")
        )  # fmt: skip
        missing = {p[: Unit.steplen] for p in db_cell_paths.values()} - provinces.keys()
        provinces.update(Unit.objects.filter(path__in=missing).values_list("path", "pk"))
        batch_size = 2000
        events = []
        for chunk in _chunks(new_members, batch_size):
            members = []
            for new in chunk:
                member = Member(**{k: v for k, v in new.data.items() if k != "cell"})
                member.cell_id = new.cell.pk
                path = db_cell_paths.get(new.cell.pk, new.cell.path)
                member.province_id = provinces[path[: Unit.steplen]]
                member.fill_derived()
                members.append(member)
            Member.objects.bulk_create(members)
            events += [
                MemberEvent(member_id=m.pk, kind=MemberEventKind.IMPORTED, effective_on=today,
                            to_cell_id=m.cell_id, summary=filename[:255],
                            created_by=user if user is not None and user.pk else None)
                for m in members
            ]  # fmt: skip
            if len(events) >= batch_size:
                MemberEvent.objects.bulk_create(events)
                events = []
            written += len(members)
            progress(written)
        MemberEvent.objects.bulk_create(events)

        paths = [n.unit.path for n in new_units] + list(db_cell_paths.values())
        paths += [m.cell.path for m in new_members if not m.cell.pk]
        anchor = _common_ancestor(paths)
        audit.record(
            actor=user, action="org.import", obj=anchor, unit_path=anchor.path,
            # The job's id commits with the import: a job run again sees it was done (run_job).
            changes={"file": filename, "units": len(new_units), "members": len(new_members),
                     **({"job": job_id} if job_id else {})},
        )  # fmt: skip


def _common_ancestor(paths: list[str]) -> Unit:
    prefix = os.path.commonprefix(paths) if paths else ""
    prefix = prefix[: len(prefix) - len(prefix) % Unit.steplen]
    if not prefix:
        prefix = min(paths)[: Unit.steplen]
    return Unit.objects.get(path=prefix)


# --- the import -------------------------------------------------------------------------------
def import_workbook(
    source: str | os.PathLike | IO[bytes],
    *,
    user,
    progress: Progress | None = None,
    filename: str = "",
    dry_run: bool = False,
    job_id: str = "",
) -> ImportResult:
    """Check and import a workbook, all or nothing.

    `user` is whose part of the tree the file may touch (their MANAGE_ROLES grants) and who is
    recorded as the author; None means the system (the command line without --user), which may
    touch the whole tree. `progress(done, total)` is called as the work advances: `total` is
    twice the number of data rows (reading and checking them, then writing them).
    """
    report = progress or (lambda done, total: None)
    filename = filename or (os.path.basename(source) if isinstance(source, str | os.PathLike) else "")  # fmt: skip
    scope = scope_for(user) if user is not None else Scope(None, None, is_superuser=True)
    result = ImportResult()
    if user is not None and not scope.can_manage_anything:
        result.message = _("You may not import: you do not manage any unit.")
        return result
    try:
        workbook = _open_workbook(source)
    except ImportFileError as exc:
        result.message = str(exc)
        return result
    errors = result.errors
    try:
        unit_ws, member_ws = _find_sheet(workbook, UNIT_SHEET), _find_sheet(workbook, MEMBER_SHEET)
        if unit_ws is None and member_ws is None:
            result.message = _("The file has neither a sheet “%(units)s” nor a sheet “%(members)s”. Start from the template.") % {"units": UNIT_SHEET, "members": MEMBER_SHEET}  # fmt: skip
            return result
        estimate = sum(_row_estimate(ws) - 1 for ws in (unit_ws, member_ws) if ws is not None)
        read = 0

        def tick() -> None:
            nonlocal read
            read += 1
            if read % 1000 == 0:
                report(read, 2 * max(estimate, read))

        units = _read_sheet(unit_ws, UNIT_COLUMNS, errors, tick) if unit_ws is not None else None
        members = _read_sheet(member_ws, MEMBER_COLUMNS, errors, tick) if member_ws is not None else None  # fmt: skip
    except Exception:
        logger.info("unreadable workbook", exc_info=True)
        result.message = _("This is not an Excel .xlsx file. Save it in Excel as “Excel Workbook (.xlsx)” and try again.")  # fmt: skip
        return result
    finally:
        workbook.close()
    if errors:
        result.message = _("The columns do not match the template. Download the template and copy your data into it.")  # fmt: skip
        return result
    rows = (len(units.rows) if units else 0) + (len(members.rows) if members else 0)
    result.rows = rows
    if rows == 0:
        result.message = _("The file has no data rows.")
        return result
    total = 2 * rows
    report(rows, total)

    checker = _Checker(scope, errors)
    if units is not None:
        _check_units(units, checker)
    new_members = _check_members(members, checker) if members is not None else []
    if errors:
        errors.sort(key=lambda e: (e.sheet != (units.name if units else ""), e.row))
        result.message = ngettext(
            "Nothing was imported: %(n)d problem was found. Correct the file and import it again.",
            "Nothing was imported: %(n)d problems were found. Correct the file and import it again.",
            len(errors),
        ) % {"n": len(errors)}  # fmt: skip
        return result
    new_units = list(checker.new_units.values())
    if dry_run:
        result.ok = True
        result.units_created, result.members_created = len(new_units), len(new_members)
        return result
    try:
        _write(new_units, new_members, user=user, filename=filename, job_id=job_id,
               progress=lambda written: report(rows + written, total))  # fmt: skip
    except ImportFileError as exc:
        result.message = str(exc)
        return result
    except IntegrityError:
        logger.warning("import clashed with a concurrent change", exc_info=True)
        result.message = _("Someone changed the same units or members while the file was being imported. Nothing was imported; import the file again.")  # fmt: skip
        return result
    report(total, total)
    result.ok = True
    result.units_created, result.members_created = len(new_units), len(new_members)
    return result


# --- the template -----------------------------------------------------------------------------
def build_template() -> bytes:
    """The empty workbook users fill in: two data sheets, instructions and choice lists."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    help_ws = wb.active
    help_ws.title = HELP_SHEET
    lists_ws = wb.create_sheet(LISTS_SHEET)
    list_ranges: dict[str, str] = {}
    for index, key in enumerate(("kind", "cell_type", "gender", "status", "position", "fee_category"), start=1):  # fmt: skip
        letter = get_column_letter(index)
        labels = list(CHOICE_LABELS[key].values())
        lists_ws.cell(row=1, column=index, value=_list_title(key)).font = Font(bold=True)
        for row, label in enumerate(labels, start=2):
            lists_ws.cell(row=row, column=index, value=label)
        lists_ws.column_dimensions[letter].width = 34
        list_ranges[key] = f"'{LISTS_SHEET}'!${letter}$2:${letter}${len(labels) + 1}"

    header_fill = PatternFill("solid", fgColor="B22222")
    header_font = Font(bold=True, color="FFFFFF")
    max_rows = 100_000
    for title, columns in ((UNIT_SHEET, UNIT_COLUMNS), (MEMBER_SHEET, MEMBER_COLUMNS)):
        ws = wb.create_sheet(title, index=len(wb.worksheets) - 1)
        ws.freeze_panes = "A2"
        for index, column in enumerate(columns, start=1):
            cell = ws.cell(row=1, column=index, value=column.header)
            cell.fill, cell.font = header_fill, header_font
            cell.alignment = Alignment(wrap_text=True, vertical="center")
            letter = get_column_letter(index)
            ws.column_dimensions[letter].width = column.width
            span = f"{letter}2:{letter}{max_rows}"
            if column.kind == "date":
                for row in range(2, 202):
                    ws.cell(row=row, column=index).number_format = DATE_FORMAT
                dv = DataValidation(type="date", operator="greaterThan", formula1="1",
                                    allow_blank=True, showErrorMessage=False)  # fmt: skip
                dv.prompt, dv.promptTitle = _("dd/mm/yyyy"), column.header
                dv.showInputMessage = True
                dv.add(span)
                ws.add_data_validation(dv)
            elif column.kind == "choice":
                dv = DataValidation(type="list", formula1=list_ranges[column.key], allow_blank=True,
                                    showErrorMessage=True)  # fmt: skip
                dv.error = _("Choose a value from the list.")
                dv.errorTitle = column.header
                dv.add(span)
                ws.add_data_validation(dv)
            elif column.key in ("card_number", "phone", "code", "parent", "cell"):
                for row in range(2, 202):
                    ws.cell(row=row, column=index).number_format = "@"
        ws.row_dimensions[1].height = 32

    _fill_help(help_ws)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _list_title(key: str) -> str:
    return {
        "kind": UNIT_COLUMNS[3].header,
        "cell_type": UNIT_COLUMNS[4].header,
        "gender": "Giới tính",
        "status": "Trạng thái",
        "position": "Chức vụ",
        "fee_category": "Loại đảng phí",
    }[key]


def _fill_help(ws) -> None:
    from openpyxl.styles import Alignment, Font

    lines: list[tuple[str, str]] = [
        ("title", _("How to fill in this file")),
        (
            "",
            _(
                "Sheet “%(units)s”: one row per party unit. A unit’s parent must already exist in chibo or be on an earlier row of this sheet."
            )
            % {"units": UNIT_SHEET},
        ),  # fmt: skip
        (
            "",
            _(
                "Sheet “%(members)s”: one row per party member. The cell code must be a cell (chi bộ) that exists in chibo or is listed in the sheet “%(units)s”."
            )
            % {"members": MEMBER_SHEET, "units": UNIT_SHEET},
        ),  # fmt: skip
        (
            "",
            _(
                "Leave a sheet empty if you have nothing to add to it. Do not change the column titles."
            ),
        ),  # fmt: skip
        ("", _("Dates: an Excel date or text in the form dd/mm/yyyy, for example 19/05/1990.")),
        (
            "",
            _(
                "Choices (gender, kind of unit, cell type, position, party fee, status): use the drop-down lists; the values are listed in the sheet “%(lists)s”."
            )
            % {"lists": LISTS_SHEET},
        ),  # fmt: skip
        (
            "",
            _(
                "Status: if you leave it empty, a member with an official date is official, one without is probationary."
            ),
        ),  # fmt: skip
        (
            "",
            _("Party card numbers have 6 to 10 digits (for example 01.234567) and must be unique."),
        ),  # fmt: skip
        (
            "",
            _(
                "The file is imported all or nothing: if one row is wrong, nothing is stored and you get the list of every problem, row by row."
            ),
        ),  # fmt: skip
        ("title", _("Columns")),
    ]
    required = {"code", "name", "kind", "family_name", "given_name", "gender", "birth_date",
                "admission_date", "cell"}  # fmt: skip
    for sheet, columns in ((UNIT_SHEET, UNIT_COLUMNS), (MEMBER_SHEET, MEMBER_COLUMNS)):
        for column in columns:
            need = _("required") if column.key in required else _("optional")
            lines.append(("", f"{sheet} · {column.header} ({need})"))
    lines.append(("", _("Instead of “Họ”, “Tên đệm” and “Tên” you may give one column “Họ và tên”.")))  # fmt: skip
    ws.column_dimensions["A"].width = 110
    for row, (style, text) in enumerate(lines, start=1):
        cell = ws.cell(row=row, column=1, value=text)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if style == "title":
            cell.font = Font(bold=True, size=13)


def error_report_workbook(errors: list[dict[str, Any]] | list[RowError]) -> bytes:
    """The error report as a workbook, for reports too long to read on screen."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Problems")[:31])
    for letter, width in zip("ABCDE", (14, 8, 22, 28, 80), strict=True):
        ws.column_dimensions[letter].width = width
    ws.append([_("Sheet"), _("Row"), _("Column"), _("Value"), _("Problem")])
    for error in errors:
        e = error if isinstance(error, dict) else asdict(error)
        ws.append(xlsx.row(ws, [e["sheet"], e["row"], e["column"], e["value"], e["message"]]))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- background jobs for the web UI ---------------------------------------------------------
# A job is a file pair under VAR_DIR/imports/: <id>.xlsx (deleted when done) and <id>.json,
# the status that the status page polls. `chibo worker` runs it (tasks.run_import); with
# settings.CHIBO_IMPORT_SYNC the import runs inside the request (tests).
# A job "running" whose status has not moved for this long was cut off (its worker is gone);
# the worker's restart runs it again from the start.
STALE_AFTER = datetime.timedelta(minutes=10)
KEEP_RESULTS = datetime.timedelta(days=30)


def jobs_dir() -> Path:
    path = Path(settings.VAR_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _job_path(job_id: str) -> Path:
    return jobs_dir() / f"{uuid.UUID(str(job_id))}.json"


def _write_status(job_id: str, status: dict[str, Any]) -> None:
    path = _job_path(job_id)
    status["updated"] = timezone.now().isoformat()
    tmp = path.with_suffix(f".{threading.get_ident()}.tmp")
    tmp.write_text(json.dumps(status, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def upload_problem(upload) -> str | None:
    """A reason to refuse an uploaded file before storing it, or None."""
    if upload is None:
        return _("Choose the Excel file to import.")
    if upload.size > settings.CHIBO_IMPORT_MAX_BYTES:
        return _("The file is too big (%(size)s MB); the limit is %(limit)s MB.") % {
            "size": megabytes(upload.size),
            "limit": megabytes(settings.CHIBO_IMPORT_MAX_BYTES),
        }
    if not (upload.name or "").lower().endswith((".xlsx", ".xlsm")):
        return _("This is not an Excel .xlsx file. Save it in Excel as “Excel Workbook (.xlsx)” and try again.")  # fmt: skip
    return None


def _prune_jobs() -> None:
    """Forget old jobs: their status after KEEP_RESULTS; an upload left behind after a day,
    unless its job is still to run (the worker may be down: it runs the job when back)."""
    now = timezone.now().timestamp()
    for path in jobs_dir().iterdir():
        age = now - path.stat().st_mtime
        if path.suffix == ".json":
            if age > KEEP_RESULTS.total_seconds():
                path.unlink(missing_ok=True)
        elif age > 86400:
            status = _stored_status(path.stem) if path.suffix == ".xlsx" else None
            if status is None or status.get("state") not in ("queued", "running"):
                path.unlink(missing_ok=True)


def start_job(*, upload, user) -> str:
    """Store the upload, record the job and queue it for `chibo worker` (with
    CHIBO_IMPORT_SYNC, run it at once inside the request)."""
    _prune_jobs()
    job_id = str(uuid.uuid4())
    data_path = jobs_dir() / f"{job_id}.xlsx"
    with open(data_path, "wb") as fh:
        for chunk in upload.chunks():
            fh.write(chunk)
    filename = os.path.basename(upload.name or "")[:200]
    status = {"id": job_id, "owner": user.pk, "filename": filename, "state": "queued",
              "done": 0, "total": 0, "created": timezone.now().isoformat(), "result": None}  # fmt: skip
    _write_status(job_id, status)
    language = translation.get_language() or settings.LANGUAGE_CODE
    if getattr(settings, "CHIBO_IMPORT_SYNC", False):
        run_job(job_id, user.pk, language)
    else:
        from .tasks import run_import

        run_import.enqueue(job_id, user.pk, language)
    return job_id


def run_job(job_id: str, user_id: int, language: str) -> str:
    """Import the job's file and record the outcome in its status; returns the final state.
    Run again after its worker died, it starts over (the first run left nothing)."""
    from django.contrib.auth import get_user_model

    status = _stored_status(job_id)
    data_path = jobs_dir() / f"{job_id}.xlsx"
    if status is None or status.get("state") in ("done", "failed"):
        return status.get("state", "") if status else ""  # already finished
    imported = (AuditEntry.objects.filter(action="org.import", changes__job=job_id)
                .values_list("changes", flat=True).first())  # fmt: skip
    if imported is not None or not data_path.exists():
        # Killed after the import's commit, before its status was written; or the file is gone.
        result = (ImportResult(ok=True, units_created=imported["units"], members_created=imported["members"])
                  if imported is not None else
                  ImportResult(message=_("The uploaded file is no longer on the server. Nothing was "
                                         "imported; upload it again.")))  # fmt: skip
        status.update(state="done" if result.ok else "failed", result=result.as_dict(),
                      finished=timezone.now().isoformat())  # fmt: skip
        _write_status(job_id, status)
        data_path.unlink(missing_ok=True)
        return status["state"]
    status["done"] = status["total"] = 0
    last_write = 0.0

    def progress(done: int, total: int) -> None:
        nonlocal last_write
        now = timezone.now().timestamp()
        status["done"], status["total"] = done, total
        if now - last_write >= 0.5 or done >= total:
            last_write = now
            _write_status(job_id, status)

    try:
        with translation.override(language):
            status["state"] = "running"
            _write_status(job_id, status)
            user = get_user_model().objects.get(pk=user_id)
            result = import_workbook(data_path, user=user, progress=progress,
                                     filename=status["filename"], job_id=job_id)  # fmt: skip
            status["state"] = "done" if result.ok else "failed"
            status["result"] = result.as_dict()
    except Exception:
        logger.exception("import job %s failed", job_id)
        with translation.override(language):
            status["state"] = "failed"
            status["result"] = ImportResult(
                message=_("The import stopped because of an internal error. Nothing was imported.")
            ).as_dict()
    finally:
        status["finished"] = timezone.now().isoformat()
        _write_status(job_id, status)
        data_path.unlink(missing_ok=True)
    return status["state"]


def _stored_status(job_id: str) -> dict[str, Any] | None:
    try:
        return json.loads(_job_path(job_id).read_text(encoding="utf-8"))
    except (ValueError, OSError):
        return None


def read_job(job_id: str) -> dict[str, Any] | None:
    """The job's status as the status page shows it. A job "running" but silent for longer
    than STALE_AFTER was cut off with its worker: it is marked `interrupted` (nothing of it was
    kept), and stays running — the worker runs it again from the start when it is back, so the
    user must not upload the file a second time (members without a card number would then be
    imported twice)."""
    status = _stored_status(job_id)
    if status is None:
        return None
    if status.get("state") == "running":
        updated = datetime.datetime.fromisoformat(status["updated"])
        status["interrupted"] = timezone.now() - updated > STALE_AFTER
    return status


# A job still queued after this long: the background worker is busy with a long queue, or not
# running at all (then /health says so too).
WAITING_LONG = datetime.timedelta(minutes=1)


def waiting_long(status: dict[str, Any]) -> bool:
    if status.get("state") != "queued" or not status.get("created"):
        return False
    return timezone.now() - datetime.datetime.fromisoformat(status["created"]) > WAITING_LONG


def job_for_user(job_id: str, user) -> dict[str, Any] | None:
    """The job's status if `user` started it; None otherwise (the view answers 404)."""
    status = read_job(job_id)
    if status is None or status.get("owner") != user.pk:
        return None
    return status
