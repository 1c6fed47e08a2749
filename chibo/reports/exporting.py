"""A unit's meeting-quality dashboard as an Excel workbook, and the periodic report (báo cáo)
on it to the standing committee as a Word document in the party format (Hướng dẫn 36-HD/VPTW).

Both read a `selectors.Dashboard` (and, when given, the `compliance.Compliance` of the same unit
and period) that the caller got through the access policy: nothing here queries more than the
unit's ancestors, so the files hold exactly the figures the dashboard shows.

The workbook speaks the reader's language (gettext); the report is a party document and is
written in Vietnamese whatever the reader's language, like the minutes
(`chibo.meetings.exporting`). Its template is `word_templates/quality_report.docx`, built by
`scripts/build-word-templates` and editable in Word.
"""

from __future__ import annotations

import datetime
import io
from pathlib import Path
from typing import Any

from django.http import HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from chibo.core import xlsx
from chibo.meetings import exporting as printing
from chibo.org.models import Unit

from .compliance import KINDS, Compliance
from .selectors import Dashboard, Figures

TEMPLATE = Path(__file__).resolve().parent / "word_templates" / "quality_report.docx"
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": printing.CONTENT_TYPES["docx"],
}
FILE_STEMS = {"xlsx": "chat-luong-sinh-hoat", "docx": "bao-cao-chat-luong-sinh-hoat"}
# A share is stored as its percentage (33.3), so the format prints the sign without scaling.
PERCENT_FORMAT = '0.0"%"'
SCORE_FORMAT = "0.0"
MONTH_FORMAT = "mm/yyyy"
GRADE_WORDS = ("Tốt", "Khá", "Trung bình", "Kém")
MISSING = "–"
# How thematic coverage is counted (`Period.thematic_window`): a month on its quarter so far.
THEMATIC_WINDOWS = {"month": "trong quý (tính đến hết tháng)", "quarter": "trong quý",
                    "year": "bình quân các quý"}  # fmt: skip


# --- Excel -----------------------------------------------------------------------------------
def _grade_labels() -> list[str]:
    return [_("Good (Tốt)"), _("Fair (Khá)"), _("Average (Trung bình)"), _("Weak (Kém)")]


def _summary_rows(board: Dashboard) -> list[tuple[str, Any, str | None]]:
    """(label, value, number format) of the unit's figures, in the dashboard's order."""
    f = board.figures
    rows: list[tuple[str, Any, str | None]] = [
        (_("Number of cells"), f.cells, None),
        (_("Finalised meetings"), f.meetings, None),
        (_("Thematic meetings"), f.thematic_meetings, None),
        (_("Cells meeting on time (%)"), f.on_time_share, PERCENT_FORMAT),
        (_("Cells holding a regular meeting (%)"), f.met_share, PERCENT_FORMAT),
        (_("Cells with a thematic meeting (%)"), f.thematic_share, PERCENT_FORMAT),
        (_("Attendance (%)"), f.attendance, PERCENT_FORMAT),
        (_("Tasks done when due (%)"), f.task_completion, PERCENT_FORMAT),
        (_("Average score"), f.average_score, SCORE_FORMAT),
        (_("Meetings scored"), f.scored, None),
    ]
    rows += [(_("Graded %(grade)s") % {"grade": label}, count, None)
             for label, count in zip(_grade_labels(), f.grades, strict=True)]  # fmt: skip
    rows += [
        (_("Cells under the attendance threshold"), f.cells_low_attendance, None),
        (_("Cells with an upper-level attendee"), f.cells_upper_attended, None),
        (_("Proposals awaiting an answer"), board.open_proposals, None),
    ]
    return rows


def _problem_rows(found: Compliance) -> list[tuple[str, int]]:
    return [(_("Cells with a problem"), found.cells_with_problems),
            *((str(label), found.counts.get(kind, 0)) for kind, label in KINDS.items())]  # fmt: skip


def _child_row(unit: Unit, f: Figures) -> list:
    return [unit.name, unit.code, f.cells, f.on_time_share, f.thematic_share, f.attendance,
            f.average_score, f.task_completion, f.meetings, *f.grades]  # fmt: skip


def dashboard_xlsx(board: Dashboard, *, compliance: Compliance | None = None) -> bytes:
    """The dashboard as a workbook: the unit's figures, its children side by side, its 12-month
    trend and its lowest-scoring cells. Shares are numbers (33.3 shows as 33.3%); a figure
    that does not exist (no meeting to measure) is an empty cell, never 0."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    wb = Workbook()

    def table(ws, headers: list[str], rows: list[list], widths: list[int],
              formats: dict[int, str], *, freeze: str = "A2") -> None:  # fmt: skip
        ws.append(headers)
        for cell in ws[1]:
            cell.font = bold
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for values in rows:
            ws.append(xlsx.row(ws, values))
        for index, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(index)].width = width
        for column, number_format in formats.items():
            for (cell,) in ws.iter_rows(min_row=2, min_col=column, max_col=column):
                cell.number_format = number_format
        ws.freeze_panes = freeze
        ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{max(ws.max_row, 2)}"

    # The unit's figures: a title block, then one labelled row per figure.
    summary = wb.active
    summary.title = pgettext("workbook sheet", "Summary")
    summary.append([_("Meeting quality")])
    summary["A1"].font = Font(bold=True, size=14)
    summary.append(xlsx.row(summary, [_("Unit"), board.unit.name]))
    summary.append([_("Period"), board.period.label])
    summary.append([])
    summary.append([_("Indicator"), _("Value")])
    for cell in summary[5]:
        cell.font = bold
    for label, value, number_format in _summary_rows(board):
        summary.append([label, value])
        if number_format:
            summary.cell(row=summary.max_row, column=2).number_format = number_format
    if compliance is not None:
        summary.append([])
        summary.append([_("Cells needing attention")])
        summary.cell(row=summary.max_row, column=1).font = bold
        for label, count in _problem_rows(compliance):
            summary.append([label, count])
    summary.column_dimensions["A"].width = 48
    summary.column_dimensions["B"].width = 40
    summary.freeze_panes = "A6"

    grades = _grade_labels()
    children = wb.create_sheet(pgettext("workbook sheet", "Units directly under"))
    table(children,
          [_("Unit"), _("Code"), _("Number of cells"), _("On time (%)"), _("Thematic (%)"),
           _("Attendance (%)"), _("Average score"), _("Tasks done (%)"), _("Finalised meetings"),
           *grades],
          [_child_row(unit, f) for unit, f in board.children],
          [40, 14, 10, 11, 11, 11, 11, 13, 12, 9, 9, 11, 9],
          {4: PERCENT_FORMAT, 5: PERCENT_FORMAT, 6: PERCENT_FORMAT, 7: SCORE_FORMAT,
           8: PERCENT_FORMAT},
          freeze="B2")  # fmt: skip

    trend = wb.create_sheet(pgettext("workbook sheet", "Trend over 12 months"))
    table(trend,
          [_("Month"), _("On time (%)"), _("Attendance (%)"), _("Average score"),
           _("Finalised meetings")],
          [[p.month, p.figures.on_time_share, p.figures.attendance, p.figures.average_score,
            p.figures.meetings] for p in board.trend],
          [12, 12, 12, 12, 12],
          {1: MONTH_FORMAT, 2: PERCENT_FORMAT, 3: PERCENT_FORMAT, 4: SCORE_FORMAT})  # fmt: skip

    lowest = wb.create_sheet(pgettext("workbook sheet", "Lowest-scoring cells"))
    table(lowest,
          [_("No."), _("Cell"), _("Code"), _("Average score"), _("Meetings scored")],
          [[i, cell.name, cell.code, average, scored]
           for i, (cell, average, scored) in enumerate(board.lowest, start=1)],
          [6, 40, 14, 12, 12],
          {4: SCORE_FORMAT})  # fmt: skip

    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- Word --------------------------------------------------------------------------------------
def vn_number(value: float | int, digits: int = 1) -> str:
    """85.25 → "85,3"; 3475 → "3.475" (Vietnamese separators)."""
    text = f"{value:,.{digits}f}"
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


def vn_share(value: float | None, missing: str = MISSING) -> str:
    """33.3 → "33,3%"; no figure → `missing`."""
    return missing if value is None else f"{vn_number(value)}%"


def _reached(value: float | None) -> str:
    return "chưa có số liệu" if value is None else f"đạt {vn_share(value)}"


def _period_words(board: Dashboard) -> str:
    """The period as it reads in a sentence: "tháng 11 năm 2026", "quý IV năm 2026"."""
    period = board.period
    if period.kind == "month":
        return f"tháng {period.start.month} năm {period.start.year}"
    if period.kind == "quarter":
        quarter = ("I", "II", "III", "IV")[(period.start.month - 1) // 3]
        return f"quý {quarter} năm {period.start.year}"
    return f"năm {period.start.year}"


def _behalf(unit: Unit) -> tuple[str, str]:
    """Who signs for the unit: (on behalf of, title)."""
    if unit.holds_members:
        return "T/M CHI BỘ", "BÍ THƯ"
    if unit.name.lower().startswith("đảng ủy"):
        return "T/M ĐẢNG ỦY", "BÍ THƯ"
    return "T/M BAN THƯỜNG VỤ", "BÍ THƯ"


def report_context(board: Dashboard, compliance: Compliance | None, *,
                   today: datetime.date) -> dict[str, Any]:  # fmt: skip
    """Everything the report prints, as plain data in Vietnamese."""
    with translation.override("vi"):
        return _report_context(board, compliance, today)


def _report_context(board: Dashboard, found: Compliance | None, today: datetime.date) -> dict:
    unit, f = board.unit, board.figures
    prefixes = [unit.path[:i] for i in range(Unit.steplen, len(unit.path), Unit.steplen)]
    ancestors = list(Unit.objects.filter(path__in=prefixes).order_by("path"))
    parent = ancestors[-1] if ancestors else None
    addressee = f"Ban Thường vụ {(parent or unit).name}"
    place = printing.locality([*ancestors, unit])
    words = _period_words(board)
    cell_only = unit.holds_members and not board.children
    who = "chi bộ" if cell_only else f"{vn_number(f.cells, 0)} chi bộ trực thuộc"

    general = [
        f"Trong {words}, {who} đã tổ chức {vn_number(f.meetings, 0)} cuộc sinh hoạt (biên bản "
        f"đã hoàn tất), trong đó {vn_number(f.thematic_meetings, 0)} cuộc sinh hoạt chuyên đề.",
        f"Tỷ lệ chi bộ sinh hoạt thường kỳ đúng hạn {_reached(f.on_time_share)}; tỷ lệ chi bộ "
        f"có sinh hoạt thường kỳ {_reached(f.met_share)}.",
        f"Tỷ lệ chi bộ có sinh hoạt chuyên đề {THEMATIC_WINDOWS[board.period.kind]} "
        f"{_reached(f.thematic_share)}.",
        f"Tỷ lệ đảng viên dự sinh hoạt bình quân {_reached(f.attendance)}; "
        f"{vn_number(f.cells_low_attendance, 0)} lượt chi bộ có tỷ lệ dự họp dưới mức quy định; "
        f"{vn_number(f.cells_upper_attended, 0)} lượt chi bộ có đồng chí cấp ủy cấp trên dự.",
        f"Tỷ lệ nhiệm vụ đến hạn được chi bộ đánh giá là đã hoàn thành "
        f"{_reached(f.task_completion)} ({vn_number(f.tasks_done, 0)}/"
        f"{vn_number(f.task_reviews, 0)} nhiệm vụ).",
        f"Kiến nghị, đề xuất của chi bộ đang chờ trả lời: {vn_number(board.open_proposals, 0)}.",
    ]
    grades = [
        {"label": label, "count": vn_number(count, 0),
         "share": vn_share(count * 100 / f.scored if f.scored else None)}
        for label, count in zip(GRADE_WORDS, f.grades, strict=True)
    ]  # fmt: skip
    children = [
        {"number": i, "name": child.name, "cells": vn_number(cf.cells, 0),
         "meetings": vn_number(cf.meetings, 0), "on_time": vn_share(cf.on_time_share),
         "thematic": vn_share(cf.thematic_share), "attendance": vn_share(cf.attendance),
         "score": MISSING if cf.average_score is None else vn_number(cf.average_score),
         "tasks": vn_share(cf.task_completion)}
        for i, (child, cf) in enumerate(board.children, start=1)
    ]  # fmt: skip
    problems = []
    if found is not None:
        problems = [{"label": str(label), "count": vn_number(found.counts.get(kind, 0), 0)}
                    for kind, label in KINDS.items()]  # fmt: skip
    lowest = [
        {"name": cell.name, "score": vn_number(average),
         "scored": vn_number(scored, 0)}
        for cell, average, scored in board.lowest
    ]  # fmt: skip
    behalf, signer_title = _behalf(unit)
    return {
        "header": {
            "upper": f"ĐẢNG BỘ {printing.upper_vi(printing.organisation_of(parent.name))}"
            if parent
            else "",
            "issuer": printing.upper_vi(unit.name),
            "place_date": f"{place + ', ' if place else ''}{printing.vn_date(today)}",
        },
        "report": {
            "number_line": "Số       -BC",
            "subtitle": f"Kết quả thực hiện nâng cao chất lượng sinh hoạt chi bộ {words}",
            "period": board.period.label,
            "period_words": words,
            "unit": unit.name,
            "addressee": addressee,
            "general": general,
            "scored": vn_number(f.scored, 0),
            "average_score": "chưa có số liệu" if f.average_score is None
            else f"{vn_number(f.average_score)} điểm",
            "grades": grades,
            "children": children,
            "has_compliance": found is not None,
            "cells_with_problems": vn_number(found.cells_with_problems, 0) if found else "",
            "cells_checked": vn_number(found.cells, 0) if found else "",
            "problems": problems,
            "lowest": lowest,
            "behalf": behalf,
            "signer_title": signer_title,
            "recipients": [f"{addressee} (để báo cáo)",
                           "Lưu chi bộ" if unit.holds_members else "Lưu văn phòng"],
        },
    }  # fmt: skip


def report_docx(board: Dashboard, compliance: Compliance | None, *,
                today: datetime.date) -> bytes:  # fmt: skip
    return printing.render_docx(TEMPLATE, report_context(board, compliance, today=today))


# --- files -------------------------------------------------------------------------------------
def file_name(board: Dashboard, ext: str) -> str:
    """An ASCII name: "chat-luong-sinh-hoat-c1-2026-11.xlsx"."""
    code = printing.slug(board.unit.code or board.unit.name)
    return f"{FILE_STEMS[ext]}-{code}-{board.period.code.lower()}.{ext}"


def render(board: Dashboard, compliance: Compliance | None, ext: str, *,
           today: datetime.date) -> bytes:  # fmt: skip
    """The workbook ("xlsx") or the report ("docx"); KeyError for another extension."""
    if ext == "xlsx":
        return dashboard_xlsx(board, compliance=compliance)
    if ext == "docx":
        return report_docx(board, compliance, today=today)
    raise KeyError(ext)


def attachment(board: Dashboard, compliance: Compliance | None, ext: str, *,
               today: datetime.date) -> HttpResponse:  # fmt: skip
    """The file as a download under its ASCII name, never kept by a shared cache."""
    content = render(board, compliance, ext, today=today)
    response = HttpResponse(content, content_type=CONTENT_TYPES[ext])
    response["Content-Disposition"] = f'attachment; filename="{file_name(board, ext)}"'
    response["Content-Length"] = str(len(content))
    response["Cache-Control"] = "private, no-store"
    return response
