"""API routes for oversight: a unit's dashboard figures for a period and its cells needing
attention. `period`: "2026-11" (month), "2026-Q4" (quarter) or "2026" (year); default the
current month. A unit outside the caller's grants is 404; inside without a reading role 403."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema

from chibo.accounts.access import scope_for
from chibo.org.api import CellRef, ErrorOut, ValidationErrorOut

from . import compliance as compliance_checks
from . import exporting, selectors
from .periods import parse_period

router = Router(tags=["oversight"])


class FiguresOut(Schema):
    cells: int = Field(description="Active cells under the unit today.")
    meetings: int = Field(description="Finalised meetings (preparatory ones left out).")
    thematic_meetings: int
    on_time_share: float | None = Field(description="% of cell-months with a regular meeting "
                                        "by the deadline day.")
    met_share: float | None
    thematic_share: float | None = Field(description="% of cell-quarters with a thematic "
                                         "meeting (a month: its quarter so far).")
    attendance: float | None = Field(description="% of members expected who were present.")
    task_completion: float | None = Field(description="% of due tasks decided done.")
    average_score: float | None
    scored: int
    grades: list[int] = Field(description="Meetings per grade, the best first.")
    cells_low_attendance: int
    cells_upper_attended: int


class ChildOut(Schema):
    unit: CellRef
    figures: FiguresOut


class TrendOut(Schema):
    month: datetime.date
    figures: FiguresOut


class LowestOut(Schema):
    unit: CellRef
    average_score: float
    scored: int


class DashboardOut(Schema):
    unit: CellRef
    period: str
    figures: FiguresOut
    children: list[ChildOut]
    trend: list[TrendOut]
    lowest: list[LowestOut]
    open_proposals: int


class ProblemOut(Schema):
    cell: CellRef
    kind: str = Field(description=", ".join(compliance_checks.KINDS))
    label: str
    day: datetime.date
    detail: str
    meeting_id: int | None


class ComplianceOut(Schema):
    period: str
    cells: int
    cells_with_problems: int
    counts: dict[str, int]
    problems: list[ProblemOut]


def _period(value: str | None):
    try:
        return parse_period(value, today=timezone.localdate())
    except ValueError as error:
        raise ValidationError({"period": [str(error)]}) from None


@router.get("/units/{unit_id}/dashboard", response={200: DashboardOut, 403: ErrorOut, 404: ErrorOut,
                                                    422: ValidationErrorOut},
            summary="A unit's meeting-quality figures for a period, its children and trend")  # fmt: skip
def dashboard(request: HttpRequest, unit_id: int, period: str | None = None):
    unit = selectors.get_dashboard_unit(scope_for(request.auth), unit_id)
    board = selectors.dashboard(unit, _period(period))
    return {
        "unit": unit, "period": board.period.code, "figures": board.figures.as_dict(),
        "children": [{"unit": c, "figures": f.as_dict()} for c, f in board.children],
        "trend": [{"month": p.month, "figures": p.figures.as_dict()} for p in board.trend],
        "lowest": [{"unit": c, "average_score": a, "scored": n} for c, a, n in board.lowest],
        "open_proposals": board.open_proposals,
    }  # fmt: skip


@router.get("/units/{unit_id}/compliance", response={200: ComplianceOut, 403: ErrorOut,
                                                     404: ErrorOut, 422: ValidationErrorOut},
            summary="Cells needing attention under a unit for a period, newest problem first")  # fmt: skip
def compliance(request: HttpRequest, unit_id: int, period: str | None = None, kind: str = ""):
    unit = selectors.get_dashboard_unit(scope_for(request.auth), unit_id)
    found = compliance_checks.compliance(unit, _period(period), today=timezone.localdate(), kind=kind)
    return {
        "period": _period(period).code, "cells": found.cells,
        "cells_with_problems": found.cells_with_problems, "counts": dict(found.counts),
        "problems": [{"cell": p.cell, "kind": p.kind, "label": p.label, "day": p.day,
                      "detail": p.detail, "meeting_id": p.meeting_id} for p in found.shown],
    }  # fmt: skip


# --- files -------------------------------------------------------------------------------------
def _file_responses(ext: str) -> dict:
    content = {exporting.CONTENT_TYPES[ext]: {"schema": {"type": "string", "format": "binary"}}}
    return {"responses": {200: {"description": "The file.", "content": content}}}


def _export(request: HttpRequest, unit_id: int, period: str | None, ext: str):
    unit = selectors.get_dashboard_unit(scope_for(request.auth), unit_id)
    chosen, today = _period(period), timezone.localdate()
    return exporting.attachment(selectors.dashboard(unit, chosen),
                                compliance_checks.compliance(unit, chosen, today=today), ext,
                                today=today)  # fmt: skip


@router.get("/units/{unit_id}/dashboard.xlsx", response={403: ErrorOut, 404: ErrorOut,
                                                         422: ValidationErrorOut},
            summary="A unit's meeting-quality figures for a period as an Excel workbook",
            openapi_extra=_file_responses("xlsx"))  # fmt: skip
def dashboard_xlsx(request: HttpRequest, unit_id: int, period: str | None = None):
    """Sheets: the unit's figures (and its cells needing attention), its children, its 12-month
    trend, its lowest-scoring cells. Shares are numbers (33.3 = 33.3 %); a figure that does not
    exist is an empty cell."""
    return _export(request, unit_id, period, "xlsx")


@router.get("/units/{unit_id}/report.docx", response={403: ErrorOut, 404: ErrorOut,
                                                      422: ValidationErrorOut},
            summary="The periodic report on a unit's meeting quality to the standing committee "
                    "(Word, party format)",
            openapi_extra=_file_responses("docx"))  # fmt: skip
def report_docx(request: HttpRequest, unit_id: int, period: str | None = None):
    """In the party document format (HD 36-HD/VPTW), in Vietnamese; section V is left for the
    officer to write."""
    return _export(request, unit_id, period, "docx")
