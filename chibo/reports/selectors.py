"""The dashboard of a unit for a period, read from `UnitMonth` (never from the meetings): the
unit's own figures, its 12-month trend, its child units side by side and its lowest-scoring
cells — a fixed number of queries whatever the length of the history.

Access: a unit's dashboard needs a reading role over it (clerk, secretary, attendee, officer,
admin); the unit outside the user's grants is 404, inside but without such a role 403. Every
figure is of the unit's own subtree, so an officer never sees a sibling committee's figures.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db.models import F, FloatField, Sum
from django.db.models.functions import Cast
from django.utils import timezone

from chibo.accounts.access import READ_ROLES, Scope
from chibo.followup.models import Proposal, ProposalStatus
from chibo.org import selectors as org_selectors
from chibo.org.models import Unit

from .models import COUNTS, SUMS, UnitMonth
from .periods import Period, add_months

FIELDS = (*COUNTS, *SUMS)
TREND_MONTHS = 12
LOWEST = 10


def get_dashboard_unit(scope: Scope, pk: int) -> Unit:
    unit = org_selectors.get_unit(scope, pk)
    if not scope.covers(unit.path, READ_ROLES):
        raise PermissionDenied
    return unit


def _share(part, whole) -> float | None:
    return None if not whole else round(float(part) * 100 / float(whole), 1)


@dataclass
class Figures:
    """One unit's figures for a period (`cells`: active cells under it today)."""

    cells: int
    months: int
    quarters: int
    sums: dict = field(default_factory=dict)
    thematic_cells: int = 0  # cells with a thematic meeting, summed over the window's quarters

    def __getattr__(self, name):
        if name in FIELDS:
            return self.sums.get(name, 0)
        raise AttributeError(name)

    @property
    def cell_months(self) -> int:
        return self.cells * self.months

    @property
    def on_time_share(self) -> float | None:
        return _share(self.sums.get("cells_met_on_time", 0), self.cell_months)

    @property
    def met_share(self) -> float | None:
        return _share(self.sums.get("cells_met", 0), self.cell_months)

    @property
    def thematic_share(self) -> float | None:
        return _share(self.thematic_cells, self.cells * self.quarters)

    @property
    def attendance(self) -> float | None:
        return _share(self.sums.get("present", 0), self.sums.get("expected", 0))

    @property
    def task_completion(self) -> float | None:
        return _share(self.sums.get("tasks_done", 0), self.sums.get("task_reviews", 0))

    @property
    def average_score(self) -> float | None:
        scored = self.sums.get("scored", 0)
        return None if not scored else round(float(self.sums["score_sum"]) / scored, 1)

    @property
    def grades(self) -> list[int]:
        return [self.sums.get(f"grade_{i}", 0) for i in range(1, 5)]

    def as_dict(self) -> dict:
        return {
            "cells": self.cells, "meetings": self.meetings,
            "thematic_meetings": self.thematic_meetings, "on_time_share": self.on_time_share,
            "met_share": self.met_share, "thematic_share": self.thematic_share,
            "attendance": self.attendance, "task_completion": self.task_completion,
            "average_score": self.average_score, "scored": self.scored, "grades": self.grades,
            "cells_low_attendance": self.cells_low_attendance,
            "cells_upper_attended": self.cells_upper_attended,
        }  # fmt: skip


@dataclass
class TrendPoint:
    month: object
    figures: Figures


@dataclass
class Dashboard:
    unit: Unit
    period: Period
    figures: Figures
    children: list[tuple[Unit, Figures]]
    trend: list[TrendPoint]
    lowest: list[tuple[Unit, float, int]]  # (cell, average score, meetings scored)
    open_proposals: int


def _add(target: dict, row: dict) -> None:
    for name in FIELDS:
        target[name] = target.get(name, 0) + row[name]


# A month counts towards "met on time" once its usual deadline day has passed.
USUAL_DEADLINE_DAY = 15


def _elapsed(month: datetime.date, today: datetime.date) -> bool:
    return month < today.replace(day=1) or (month == today.replace(day=1)
                                             and today.day > USUAL_DEADLINE_DAY)  # fmt: skip


def dashboard(unit: Unit, period: Period, *, today: datetime.date | None = None) -> Dashboard:
    """`today` decides which months of the period are over enough to count in the shares of
    cells meeting on time (a year in progress is not judged on its future months)."""
    today = today or timezone.localdate()
    months = sum(1 for m in period.month_list if _elapsed(m, today))
    children = list(Unit.objects.filter(path__startswith=unit.path, depth=unit.depth + 1,
                                        is_active=True).order_by("name_folded", "code"))  # fmt: skip
    counts = org_selectors.subtree_counts(children, members=False) if children else {}
    own_cells = sum(c.cells for c in counts.values()) + (1 if unit.holds_members else 0)
    thematic_start, quarters = period.thematic_window
    trend_start = add_months(period.end, 1 - TREND_MONTHS)
    window_start = min(period.start, thematic_start, trend_start)
    rows = (
        UnitMonth.objects.filter(unit_id__in=[unit.pk, *(c.pk for c in children)],
                                 month__gte=window_start, month__lte=period.end)
        .values("unit_id", "month", *FIELDS)
    )  # fmt: skip
    own, own_thematic = {}, 0
    by_child: dict[int, dict] = defaultdict(dict)
    child_thematic: dict[int, int] = defaultdict(int)
    trend_rows: dict = {}
    for row in rows:
        month, unit_id = row["month"], row["unit_id"]
        in_period = period.start <= month <= period.end
        in_thematic = thematic_start <= month <= period.end
        if unit_id == unit.pk:
            if month >= trend_start:
                trend_rows[month] = row
            if in_period:
                _add(own, row)
            if in_thematic:
                own_thematic += row["cells_thematic_first"]
        else:
            if in_period:
                _add(by_child[unit_id], row)
            if in_thematic:
                child_thematic[unit_id] += row["cells_thematic_first"]
    figures = Figures(own_cells, months, quarters, own, own_thematic)
    side_by_side = [
        (child, Figures(counts[child.pk].cells, months, quarters, by_child.get(child.pk, {}),
                        child_thematic.get(child.pk, 0)))
        for child in children
    ]  # fmt: skip
    trend = []
    for i in range(TREND_MONTHS):
        month = add_months(trend_start, i)
        row = trend_rows.get(month, {})
        trend.append(TrendPoint(month, Figures(own_cells, int(_elapsed(month, today)), 1,
                                               {k: row.get(k, 0) for k in FIELDS},
                                               row.get("cells_thematic_first", 0))))  # fmt: skip
    return Dashboard(unit, period, figures, side_by_side, trend, _lowest(unit, period),
                     _open_proposals(unit))  # fmt: skip


# The columns the children can be sorted by (the name: the order they come in).
SORTS = {
    "on_time": lambda f: f.on_time_share, "thematic": lambda f: f.thematic_share,
    "attendance": lambda f: f.attendance, "score": lambda f: f.average_score,
    "tasks": lambda f: f.task_completion, "cells": lambda f: f.cells,
}  # fmt: skip


def sorted_children(children: list[tuple[Unit, Figures]], key: str) -> list[tuple[Unit, Figures]]:
    """Children by a column, the lowest first (those needing attention on top), those without
    a figure last; any other key keeps them by name."""
    measure = SORTS.get(key)
    if measure is None:
        return children
    return sorted(children, key=lambda c: (measure(c[1]) is None, measure(c[1]) or 0))


def _lowest(unit: Unit, period: Period) -> list[tuple[Unit, float, int]]:
    rows = list(
        UnitMonth.objects.filter(path__startswith=unit.path, is_cell=True,
                                 month__gte=period.start, month__lte=period.end, scored__gt=0)
        .values("unit_id")
        .annotate(total=Sum("score_sum"), scored=Sum("scored"))
        .annotate(average=Cast("total", FloatField()) / F("scored"))
        .order_by("average", "unit_id")[:LOWEST]
    )  # fmt: skip
    names = Unit.objects.in_bulk([r["unit_id"] for r in rows])
    return [(names[r["unit_id"]], round(float(Decimal(r["total"]) / r["scored"]), 1), r["scored"])
            for r in rows]  # fmt: skip


def _open_proposals(unit: Unit) -> int:
    return Proposal.objects.filter(cell__path__startswith=unit.path,
                                   status=ProposalStatus.PENDING).count()  # fmt: skip
