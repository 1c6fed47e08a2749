"""Excel export of members, in the import template's columns so that a file can go back in.

The workbook has the sheet "Đảng viên" (the members given, usually from
`selectors.search_members`, so the access policy applies) and the sheet "Đơn vị" (the units
they belong to and the units above them that the exporter may see, up to the unit exported,
parents first), so that an export re-imports into a database that lacks those units. openpyxl's write-only mode keeps memory flat for
tens of thousands of rows; the workbook is written to a temporary file, not held in memory.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable
from typing import IO

from django.db.models import QuerySet

from chibo.accounts.access import Scope
from chibo.core import xlsx

from .importing import (
    CELL_NAME_COLUMN,
    CELL_TYPE_LABELS,
    DATE_FORMAT,
    FEE_LABELS,
    GENDER_LABELS,
    KIND_LABELS,
    MEMBER_COLUMNS,
    MEMBER_SHEET,
    POSITION_LABELS,
    STATUS_LABELS,
    UNIT_COLUMNS,
    UNIT_SHEET,
)
from .models import Member, Unit

CHUNK = 2000
_MEMBER_VALUES = (
    "family_name", "middle_name", "given_name", "gender", "birth_date", "card_number",
    "admission_date", "official_date", "status", "cell__code", "position", "community_roles",
    "fee_category", "phone", "email", "address", "cell__name", "cell__path",
)  # fmt: skip


def units_for_export(
    scope: Scope, cell_paths: Iterable[str], *, within: Unit | None = None
) -> QuerySet[Unit]:
    """The cells given by path and every unit above them that the scope can see, up to
    `within` when the export is of one unit's subtree."""
    top = within.path if within is not None else ""
    wanted: set[str] = set()
    for path in cell_paths:
        for end in range(max(len(top), Unit.steplen), len(path) + 1, Unit.steplen):
            wanted.add(path[:end])
    visible = [p for p in wanted if p.startswith(top) and scope.covers(p)]
    return Unit.objects.filter(path__in=visible).order_by("path")


def write_members_xlsx(
    members: QuerySet[Member],
    out: IO[bytes],
    *,
    scope: Scope,
    within: Unit | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write the members (and the units they need) to `out`; return the number of members."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    members_ws = wb.create_sheet(MEMBER_SHEET)
    units_ws = wb.create_sheet(UNIT_SHEET)
    header_font, header_fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="B22222")  # fmt: skip

    def header(ws, columns) -> None:
        cells = []
        for column in columns:
            cell = WriteOnlyCell(ws, value=column.header)
            cell.font, cell.fill = header_font, header_fill
            cells.append(cell)
        for index, column in enumerate(columns):
            ws.column_dimensions[get_column_letter(index + 1)].width = column.width
        ws.freeze_panes = "A2"
        ws.append(cells)

    def date_cell(ws, value):
        if value is None:
            return None
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = DATE_FORMAT
        return cell

    member_columns = (*MEMBER_COLUMNS, CELL_NAME_COLUMN)
    header(members_ws, member_columns)
    header(units_ws, UNIT_COLUMNS)

    total = members.count() if progress else 0
    rows = members.order_by("sort_key", "id").values_list(*_MEMBER_VALUES)
    cell_paths: set[str] = set()
    count = 0
    for (family, middle, given, gender, birth, card, admitted, official, status, cell_code,
         position, roles, fee, phone, email, address, cell_name, cell_path) in rows.iterator(chunk_size=CHUNK):  # fmt: skip
        cell_paths.add(cell_path)
        members_ws.append(xlsx.row(members_ws, [
            family, middle, given, GENDER_LABELS.get(gender, gender),
            date_cell(members_ws, birth), card or None, date_cell(members_ws, admitted),
            date_cell(members_ws, official), STATUS_LABELS.get(status, status), cell_code,
            POSITION_LABELS.get(position, position), roles or None,
            FEE_LABELS.get(fee, fee), phone or None, email or None, address or None, cell_name,
        ]))  # fmt: skip
        count += 1
        if progress and count % CHUNK == 0:
            progress(count, total)

    units = list(units_for_export(scope, cell_paths, within=within))
    codes_by_path = {u.path: u.code for u in units}
    missing_parents = {u.path[: -Unit.steplen] for u in units if u.depth > 1} - codes_by_path.keys()
    codes_by_path.update(Unit.objects.filter(path__in=missing_parents).values_list("path", "code"))
    for unit in units:
        units_ws.append(xlsx.row(units_ws, [
            unit.code, unit.name, codes_by_path.get(unit.path[: -Unit.steplen]) if unit.depth > 1 else None,
            KIND_LABELS.get(unit.kind, unit.kind),
            CELL_TYPE_LABELS.get(unit.cell_type) if unit.cell_type else None,
        ]))  # fmt: skip
    wb.save(out)
    if progress:
        progress(count, total)
    return count


def export_members(
    members: QuerySet[Member],
    *,
    scope: Scope,
    within: Unit | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[IO[bytes], int]:
    """The workbook in a temporary file (rewound, deleted when closed) and the member count.
    `within`: the unit the members were filtered by, if any (the units sheet stops there)."""
    out = tempfile.TemporaryFile(suffix=".xlsx")
    count = write_members_xlsx(members, out, scope=scope, within=within, progress=progress)
    out.seek(0)
    return out, count
