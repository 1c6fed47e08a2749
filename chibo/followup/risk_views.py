"""Pages of members slipping away: the list under a unit and one member's record for a year.
Thin: parse, call `risk`, render. The rules and the access policy live in `risk`."""

from __future__ import annotations

import datetime
from collections import Counter

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from chibo.accounts.access import scope_for
from chibo.meetings.models import RosterCategory
from chibo.org import selectors as org_selectors

from . import risk

ROWS_PER_PAGE = 100
YEARS_OFFERED = 6


def _years(today: datetime.date, chosen: int | None) -> list[int]:
    years = list(range(today.year, today.year - YEARS_OFFERED, -1))
    if chosen is not None and chosen not in years:
        years.append(chosen)
    return years


def _sort_choices(is_cell: bool) -> list[tuple[str, str]]:
    choices = [
        ("level", _("Level (most urgent first)")),
        ("name", _("Full name")),
        ("cell", _("Cell")),
        ("months", _("Months absent without reason")),
        ("run", _("With reason in a row")),
    ]
    return [c for c in choices if not (is_cell and c[0] == "cell")]


def _year(request, today: datetime.date) -> tuple[int | None, str]:
    try:
        return risk.parse_year(request.GET.get("year"), today=today), ""
    except ValueError as error:
        return None, str(error)


@login_required
@require_GET
def members_at_risk(request, pk: int):
    scope = scope_for(request.user)
    unit = org_selectors.get_unit(scope, pk)
    if not risk.can_read_unit_list(scope, unit):
        raise Http404
    today = timezone.localdate()
    year, error = _year(request, today)
    level = risk.LEVEL_CODES.get(request.GET.get("level", ""))
    if level == risk.RiskLevel.NONE:
        level = None
    sort = request.GET.get("sort", "")
    sort = sort if sort in risk.SORTS else risk.DEFAULT_SORT
    rows = [] if year is None else risk.members_at_risk(scope, unit, year, sort=sort, today=today)
    counts = Counter(row.level.code for row in rows)
    shown = [row for row in rows if level is None or row.level == level]
    page = Paginator(shown, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "unit": unit,
        "ancestors": [*org_selectors.visible_ancestors(scope, unit), unit],
        "year": year,
        "years": _years(today, year),
        "error": error,
        "level": level.code if level else "",
        "sort": sort,
        "page": page,
        "total": len(rows),
        "over_count": counts[risk.RiskLevel.OVER_LIMIT.code],
        "at_risk_count": counts[risk.RiskLevel.AT_RISK.code],
        "rules": risk.absence_rules(unit, year),
        "is_cell": unit.holds_members,
        "sort_choices": _sort_choices(unit.holds_members),
    }
    return render(
        request, "followup/risk/members_at_risk.html", context, status=400 if error else 200
    )


@login_required
@require_GET
def member_absences(request, pk: int):
    scope = scope_for(request.user)
    member = org_selectors.get_member(scope, pk)
    today = timezone.localdate()
    year, error = _year(request, today)
    result = None if year is None else risk.member_absence_record(scope, member, year)
    cell = member.cell
    ancestors = org_selectors.visible_ancestors(scope, cell)
    if scope.covers(cell.path):
        ancestors.append(cell)
    context = {
        "member": member,
        "ancestors": ancestors,
        "year": year,
        "years": _years(today, year),
        "error": error,
        "result": result,
        "record": result.record if result else None,
        "rules": risk.absence_rules(cell, year),
        "exempted": RosterCategory.EXEMPTED,
    }
    return render(
        request, "followup/risk/member_absences.html", context, status=400 if error else 200
    )
