"""Keeping `UnitMonth` true: computed from the raw tables for one cell's quarter whenever a
meeting of it is finalised or a score of it changes (the difference is added to the cell's
row and to every unit above it, in the same transaction), and rebuilt from scratch by
`chibo rebuild-aggregates`. Both paths go through `cell_month_figures`, and a test checks that
they agree.

A quarter, not a month: whether a thematic meeting is the cell's first of the quarter depends
on the other months of the quarter (a January meeting finalised after a February one).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, F, Q

from chibo.followup.models import ReviewDecision, TaskReview
from chibo.meetings.models import (
    REGULAR_KINDS,
    THEMATIC_KINDS,
    Attendance,
    Guest,
    Meeting,
    MeetingKind,
    MeetingStatus,
    Presence,
    RosterCategory,
)
from chibo.org.models import CELL_KINDS, Unit
from chibo.quality.models import ScoreStatus
from chibo.rulebooks.selectors import rulebook_resolver

from .models import COUNTS, SUMS, UnitMonth

FIELDS = (*COUNTS, *SUMS)
COMPLETE = (ScoreStatus.SCORED, ScoreStatus.REVIEWED)


def month_of(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def quarter_months(day: datetime.date) -> list[datetime.date]:
    first = (day.month - 1) // 3 * 3 + 1
    return [datetime.date(day.year, first + i, 1) for i in range(3)]


def next_month(month: datetime.date) -> datetime.date:
    return datetime.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _zero() -> dict:
    return {name: 0 for name in COUNTS} | {name: Decimal("0.0") for name in SUMS}


def _meetings(filters: Q) -> list[dict]:
    """The finalised meetings that count (preparatory ones never do), with their attendance,
    upper-level attendees, task decisions and score — four queries whatever their number."""
    rows = list(
        Meeting.objects.filter(filters, status=MeetingStatus.FINALISED)
        .exclude(kind=MeetingKind.PREPARATORY)
        .values("id", "unit_id", "unit__path", "date", "kind", "score__status", "score__total",
                "score__grade_rank")
        .order_by("date", "id")
    )  # fmt: skip
    if not rows:
        return []
    ids = Meeting.objects.filter(filters, status=MeetingStatus.FINALISED).values("id")
    expected = ~Q(category=RosterCategory.AWAY) & ~Q(presence=Presence.EXEMPT_ABSENT)
    attendance = {
        r["meeting_id"]: r
        for r in Attendance.objects.filter(meeting_id__in=ids).values("meeting_id").annotate(
            expected=Count("id", filter=expected),
            present=Count("id", filter=expected & Q(presence=Presence.PRESENT)),
        ).order_by()
    }  # fmt: skip
    upper = set(Guest.objects.filter(meeting_id__in=ids, is_upper_attendee=True)
                .values_list("meeting_id", flat=True))  # fmt: skip
    reviews = {
        r["meeting_id"]: r
        for r in TaskReview.objects.filter(meeting_id__in=ids)
        .exclude(decision=ReviewDecision.UNDER_WAY).values("meeting_id")
        .annotate(n=Count("id"), done=Count("id", filter=Q(decision=ReviewDecision.DONE)))
        .order_by()
    }  # fmt: skip
    for row in rows:
        seen = attendance.get(row["id"], {})
        row["expected"], row["present"] = seen.get("expected", 0), seen.get("present", 0)
        row["upper"] = row["id"] in upper
        decided = reviews.get(row["id"], {})
        row["task_reviews"], row["tasks_done"] = decided.get("n", 0), decided.get("done", 0)
    return rows


def _figures_only(figures: dict) -> dict:
    return {name: figures[name] for name in FIELDS}


def cell_month_figures(filters: Q, months: Iterable[datetime.date]) -> dict:
    """{(cell id, month): figures (and the cell's "_path")} for the cells' finalised meetings
    in `months` (whole quarters, so a quarter's first thematic meeting is known)."""
    months = sorted(set(months))
    start, end = months[0], next_month(months[-1])
    resolve = rulebook_resolver()
    result: dict[tuple[int, datetime.date], dict] = {}
    thematic_seen: set[tuple[int, int, int]] = set()  # (cell, year, quarter)
    for m in _meetings(filters & Q(date__gte=start, date__lt=end)):
        month = month_of(m["date"])
        figures = result.setdefault((m["unit_id"], month),
                                    _zero() | {"_flags": set(), "_path": m["unit__path"]})  # fmt: skip
        flags = figures["_flags"]
        rulebook = resolve(m["unit__path"], m["date"])
        figures["meetings"] += 1
        figures["expected"] += m["expected"]
        figures["present"] += m["present"]
        figures["task_reviews"] += m["task_reviews"]
        figures["tasks_done"] += m["tasks_done"]
        if m["kind"] in THEMATIC_KINDS:
            figures["thematic_meetings"] += 1
            quarter = (m["unit_id"], month.year, (month.month - 1) // 3)
            if quarter not in thematic_seen:
                thematic_seen.add(quarter)
                flags.add("cells_thematic_first")
        if m["kind"] in REGULAR_KINDS:
            flags.add("cells_met")
            if m["date"].day <= rulebook.regular_deadline_day:
                flags.add("cells_met_on_time")
            if m["expected"] and m["present"] * 100 < rulebook.attendance_threshold * m["expected"]:
                flags.add("cells_low_attendance")
        if m["upper"]:
            flags.add("cells_upper_attended")
        if m["score__status"] in COMPLETE:
            figures["scored"] += 1
            figures["score_sum"] += m["score__total"]
            rank = min(m["score__grade_rank"] or 4, 4)
            figures[f"grade_{rank}"] += 1
    for figures in result.values():
        for flag in figures.pop("_flags"):
            figures[flag] = 1
    return result


# --- incremental ------------------------------------------------------------------------------
def _ancestors(cell: Unit) -> list[Unit]:
    """The cell and every unit above it, the province first."""
    step = Unit.steplen
    paths = [cell.path[:i] for i in range(step, len(cell.path) + 1, step)]
    return list(Unit.objects.filter(path__in=paths).order_by("depth").only("path", "depth", "kind"))


def _row(unit: Unit, province_id: int, month: datetime.date, **figures) -> UnitMonth:
    return UnitMonth(unit_id=unit.pk, province_id=province_id, month=month, path=unit.path,
                     depth=unit.depth, is_cell=unit.kind in CELL_KINDS, **figures)  # fmt: skip


@transaction.atomic
def refresh_cell(cell: Unit, day: datetime.date) -> None:
    """Bring the rows of `cell`'s quarter (the one holding `day`) and of every unit above it
    in line with the raw tables."""
    months = quarter_months(day)
    fresh = {key: _figures_only(f) for key, f in cell_month_figures(Q(unit_id=cell.pk), months).items()}
    stored = {row.month: row.figures()
              for row in UnitMonth.objects.filter(unit_id=cell.pk, month__in=months)}  # fmt: skip
    units: list[Unit] = []
    for month in months:
        new = fresh.get((cell.pk, month), _zero())
        old = stored.get(month, _zero())
        delta = {name: new[name] - old[name] for name in FIELDS if new[name] != old[name]}
        if not delta:
            continue
        units = units or _ancestors(cell)
        UnitMonth.objects.bulk_create([_row(u, units[0].pk, month) for u in units],
                                      ignore_conflicts=True)  # fmt: skip
        UnitMonth.objects.filter(unit_id__in=[u.pk for u in units], month=month).update(
            **{name: F(name) + value for name, value in delta.items()}
        )


def on_meeting_finalised(sender, *, meeting: Meeting, **kwargs) -> None:
    refresh_cell(meeting.unit, meeting.date)


def on_score_changed(sender, *, score, **kwargs) -> None:
    refresh_cell(score.meeting.unit, score.meeting.date)


# --- from scratch -----------------------------------------------------------------------------
def _quarters(first: datetime.date, last: datetime.date):
    month = quarter_months(first)[0]
    while month <= last:
        yield quarter_months(month)
        month = next_month(quarter_months(month)[-1])


@transaction.atomic
def rebuild(province: Unit | None = None, *, batch: int = 5000) -> int:
    """Recompute every row (of one province, or all) from the raw tables. Returns the number
    of rows written. Reads a quarter of meetings at a time."""
    units = Unit.objects.all() if province is None else Unit.objects.filter(path__startswith=province.path)
    rows = UnitMonth.objects.all() if province is None else UnitMonth.objects.filter(province=province)
    rows.delete()
    by_path = {u.path: u for u in units.only("path", "depth", "kind")}
    step = Unit.steplen
    scope = Q() if province is None else Q(unit__path__startswith=province.path)
    dates = Meeting.objects.filter(scope, status=MeetingStatus.FINALISED).order_by("date")
    first, last = dates.values_list("date", flat=True).first(), dates.values_list("date", flat=True).last()
    if first is None:
        return 0
    written = 0
    for months in _quarters(first, last):
        totals: dict[tuple[int, datetime.date], dict] = defaultdict(_zero)
        for (_cell_id, month), figures in cell_month_figures(scope, months).items():
            path = figures.pop("_path")
            for i in range(step, len(path) + 1, step):
                target = totals[(path[:i], month)]
                for name in FIELDS:
                    target[name] += figures[name]
        pending = []
        for (path, month), figures in totals.items():
            pending.append(_row(by_path[path], by_path[path[:step]].pk, month, **figures))
        for i in range(0, len(pending), batch):
            UnitMonth.objects.bulk_create(pending[i:i + batch])
        written += len(pending)
    return written
