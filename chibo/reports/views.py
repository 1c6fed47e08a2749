"""A unit's dashboard for a period, its Excel export and its periodic report. Thin: parse the
period, read the dashboard selector, render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from chibo.accounts.access import scope_for
from chibo.org import selectors as org_selectors

from . import charts, compliance, exporting, selectors
from .periods import parse_period


def trend_chart(board) -> str:
    labels = [f"{p.month:%m/%y}" for p in board.trend]
    return charts.trend_svg(labels, [
        charts.Series(_("Cells meeting on time (%)"), [p.figures.on_time_share for p in board.trend],
                      "#c8102e", "bar"),
        charts.Series(_("Attendance (%)"), [p.figures.attendance for p in board.trend], "#2f6fb0", "line"),
        charts.Series(_("Average score"), [p.figures.average_score for p in board.trend], "#1e7b34",
                      "dashed"),
    ], title=_("Last 12 months"))  # fmt: skip


def _board(request, pk: int):
    scope = scope_for(request.user)
    unit = selectors.get_dashboard_unit(scope, pk)
    today = timezone.localdate()
    try:
        period, error = parse_period(request.GET.get("p"), today=today), None
    except ValueError as problem:
        period, error = parse_period(None, today=today), str(problem)
    return scope, unit, period, error


@login_required
@require_GET
def unit_dashboard(request, pk: int):
    scope, unit, period, error = _board(request, pk)
    board = selectors.dashboard(unit, period)
    sort = request.GET.get("sort", "name")
    return render(request, "reports/dashboard.html", {
        "unit": unit, "board": board, "period": period, "error": error, "sort": sort,
        "children": selectors.sorted_children(board.children, sort), "chart": trend_chart(board),
        "period_kinds": [(k, period.as_kind(k)) for k in ("month", "quarter", "year")],
        "previous": period.shifted(-1), "next": period.shifted(1),
        "ancestors": [*org_selectors.visible_ancestors(scope, unit), unit],
        "sorts": [("name", _("Unit")), ("cells", _("Cells")), ("on_time", _("On time")),
                  ("thematic", _("Thematic")), ("attendance", _("Attendance at meetings")),
                  ("score", _("Average score")), ("tasks", _("Tasks done"))],
    }, status=422 if error else 200)  # fmt: skip




@login_required
@require_GET
def unit_compliance(request, pk: int):
    scope, unit, period, error = _board(request, pk)
    kind = request.GET.get("kind", "")
    found = compliance.compliance(unit, period, today=timezone.localdate(), kind=kind)
    return render(request, "reports/compliance.html", {
        "unit": unit, "period": period, "error": error, "found": found, "kind": kind,
        "kind_counts": [(code, label, found.counts.get(code, 0))
                        for code, label in compliance.KINDS.items()],
        "previous": period.shifted(-1), "next": period.shifted(1),
        "period_kinds": [(k, period.as_kind(k)) for k in ("month", "quarter", "year")],
        "limit": compliance.LIMIT,
        "ancestors": [*org_selectors.visible_ancestors(scope, unit), unit],
    }, status=422 if error else 200)  # fmt: skip


def _export(request, pk: int, ext: str):
    """The board's file as a download, or the dashboard page with the error (422) for a period
    that cannot be read."""
    _scope, unit, period, error = _board(request, pk)
    if error:
        return unit_dashboard(request, pk)
    today = timezone.localdate()
    return exporting.attachment(selectors.dashboard(unit, period),
                                compliance.compliance(unit, period, today=today), ext, today=today)  # fmt: skip


@login_required
@require_GET
def unit_dashboard_xlsx(request, pk: int):
    return _export(request, pk, "xlsx")


@login_required
@require_GET
def unit_report_docx(request, pk: int):
    return _export(request, pk, "docx")
