"""Writing what users typed into Excel workbooks (openpyxl)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def row(ws, values: Iterable[Any]) -> list[Any]:
    """`values` for `ws.append`, with every text that starts with "=" kept as text.

    openpyxl writes such a text as a formula: Excel runs it when the file is opened (a name
    like "=HYPERLINK(…)" becomes a link, "=cmd|…" a command prompt) and it reads back empty.
    The text goes in as a string cell instead, exactly as typed. Works for normal and
    write-only sheets.
    """
    from openpyxl.cell import WriteOnlyCell

    cells = []
    for value in values:
        if isinstance(value, str) and value.startswith("="):
            cell = WriteOnlyCell(ws, value=value)
            cell.data_type = "s"
            value = cell
        cells.append(value)
    return cells
