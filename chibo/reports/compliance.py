"""Cells needing attention under a unit for a period, newest problem first: no regular meeting
by the deadline day, no thematic meeting in a quarter that has ended, a meeting under the
attendance threshold, minutes not finalised within the deadline, no upper-level attendee in the
period. Read from the cells' `UnitMonth` rows and the open meetings — five queries whatever the
number of cells."""

from __future__ import annotations

import calendar
import datetime
from collections import Counter
from dataclasses import dataclass
from typing import NamedTuple

from django.utils.translation import gettext_lazy

from chibo.meetings.models import OPEN_STATUSES, Meeting
from chibo.org.models import CELL_KINDS, Unit
from chibo.rulebooks.selectors import rulebook_resolver

from .models import UnitMonth
from .periods import Period, add_months, quarter_start

KINDS = {
    "late": gettext_lazy("No regular meeting by the deadline"),
    "thematic": gettext_lazy("No thematic meeting in the quarter"),
    "attendance": gettext_lazy("Attendance under the threshold"),
    "unfinalised": gettext_lazy("Minutes not finalised in time"),
    "no_upper": gettext_lazy("No upper-level attendee"),
}
LIMIT = 300  # rows shown; the counts cover every problem


class _Row(NamedTuple):
    """The counts of a cell's month the checks read."""

    cells_met: int
    cells_met_on_time: int
    cells_low_attendance: int
    cells_upper_attended: int
    cells_thematic_first: int


# What each problem says, filled in only for the problems shown (a province's year has tens of
# thousands).
MESSAGES = {
    "met_late": gettext_lazy("Met after day %(day)s."),
    "not_met": gettext_lazy("No regular meeting finalised for the month (deadline: day %(day)s)."),
    "attendance": gettext_lazy(
        "A regular meeting of %(month)s had under %(threshold)s%% of members present."),
    "thematic": gettext_lazy("No thematic meeting finalised in quarter %(q)s/%(year)s."),
    "no_upper": gettext_lazy("No upper-level attendee at any meeting of the period."),
    "unfinalised": gettext_lazy("The meeting of %(day)s is still not finalised (due by %(due)s)."),
}  # fmt: skip


@dataclass(frozen=True)
class Problem:
    cell: Unit
    kind: str
    day: datetime.date
    message: str  # a key of MESSAGES
    params: dict | None = None
    meeting_id: int | None = None

    @property
    def label(self) -> str:
        return str(KINDS[self.kind])

    @property
    def detail(self) -> str:
        text = str(MESSAGES[self.message])
        return text % self.params if self.params else text


@dataclass
class Compliance:
    problems: list[Problem]
    counts: Counter
    cells: int
    cells_with_problems: int

    @property
    def shown(self) -> list[Problem]:
        return self.problems[:LIMIT]


def _day(d: datetime.date) -> str:
    return d.strftime("%d/%m/%Y")


def _month_end(month: datetime.date) -> datetime.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def compliance(unit: Unit, period: Period, *, today: datetime.date, kind: str = "") -> Compliance:
    cells = {c.pk: c for c in Unit.objects.filter(path__startswith=unit.path, kind__in=CELL_KINDS,
                                                   is_active=True).only("name", "path", "code")}  # fmt: skip
    months = [m for m in period.month_list if m <= today]
    resolve = rulebook_resolver()
    problems: list[Problem] = []
    if months:
        first_quarter = quarter_start(months[0])
        rows = {(r[0], r[1]): _Row(*r[2:]) for r in UnitMonth.objects.filter(
            path__startswith=unit.path, is_cell=True, month__gte=first_quarter, month__lte=months[-1],
        ).values_list("unit_id", "month", *_Row._fields).order_by()}  # fmt: skip
        facts = [_Month.of(m, today) for m in months]
        for cell in cells.values():
            problems += _cell_problems(cell, facts, rows, resolve, today)
    problems += _unfinalised(unit, cells, period, today, resolve)
    counts = Counter(p.kind for p in problems)
    with_problems = len({p.cell.pk for p in problems})
    if kind in KINDS:
        problems = [p for p in problems if p.kind == kind]
    problems.sort(key=lambda p: (p.day, p.cell.name), reverse=True)
    return Compliance(problems, counts, len(cells), with_problems)


@dataclass(frozen=True)
class _Month:
    """What the checks need to know about a month, worked out once for every cell."""

    first: datetime.date
    last_day: int
    end: datetime.date
    closes_quarter: bool  # the last month of a quarter that is over
    quarter: tuple[datetime.date, ...]

    @classmethod
    def of(cls, month: datetime.date, today: datetime.date) -> _Month:
        start = quarter_start(month)
        quarter_end = _month_end(add_months(start, 2))
        return cls(month, calendar.monthrange(month.year, month.month)[1], _month_end(month),
                   month.month % 3 == 0 and quarter_end < today,
                   tuple(add_months(start, i) for i in range(3)))  # fmt: skip


def _cell_problems(cell, months: list[_Month], rows, resolve, today) -> list[Problem]:
    found = []
    upper = False
    pk = cell.pk
    for month in months:
        row = rows.get((pk, month.first))
        rulebook = resolve(cell.path, month.first)
        deadline = month.first.replace(day=min(rulebook.regular_deadline_day, month.last_day))
        if deadline < today and not (row and row.cells_met_on_time):
            found.append(Problem(cell, "late", deadline, "met_late" if row and row.cells_met else
                                 "not_met", {"day": rulebook.regular_deadline_day}))  # fmt: skip
        if row and row.cells_low_attendance:
            found.append(Problem(cell, "attendance", month.end, "attendance", {
                "month": month.first.strftime("%m/%Y"), "threshold": rulebook.attendance_threshold}))  # fmt: skip
        upper = upper or bool(row and row.cells_upper_attended)
        if month.closes_quarter and not any(
            (r := rows.get((pk, m))) and r.cells_thematic_first for m in month.quarter
        ):  # fmt: skip
            found.append(Problem(cell, "thematic", month.end, "thematic",
                                 {"q": (month.first.month - 1) // 3 + 1, "year": month.first.year}))  # fmt: skip
    if not upper and months[-1].end < today:
        found.append(Problem(cell, "no_upper", months[-1].end, "no_upper"))
    return found


def _unfinalised(unit, cells, period, today, resolve) -> list[Problem]:
    open_meetings = Meeting.objects.filter(
        unit__path__startswith=unit.path, status__in=OPEN_STATUSES,
        date__gte=period.start, date__lt=min(period.after, today),
    ).exclude(kind="preparatory").values("id", "unit_id", "date", "status")  # fmt: skip
    found = []
    for m in open_meetings:
        cell = cells.get(m["unit_id"])
        if cell is None:
            continue
        allowed = resolve(cell.path, m["date"]).finalise_within_days
        due = m["date"] + datetime.timedelta(days=allowed)
        if due < today:
            found.append(Problem(cell, "unfinalised", due, "unfinalised",
                                 {"day": _day(m["date"]), "due": _day(due)}, m["id"]))  # fmt: skip
    return found
