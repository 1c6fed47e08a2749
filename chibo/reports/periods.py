"""The period a dashboard shows: a month ("2026-11"), a quarter ("2026-Q4") or a year ("2026")."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
FIRST_YEAR = 2000


@dataclass(frozen=True)
class Period:
    kind: str  # month, quarter or year
    start: datetime.date  # first day of the first month
    months: int

    @property
    def end(self) -> datetime.date:
        """First day of the last month."""
        return add_months(self.start, self.months - 1)

    @property
    def after(self) -> datetime.date:
        return add_months(self.start, self.months)

    @property
    def month_list(self) -> list[datetime.date]:
        return [add_months(self.start, i) for i in range(self.months)]

    @property
    def code(self) -> str:
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return str(self.start.year)

    @property
    def label(self) -> str:
        if self.kind == "month":
            return _("Month %(month)s") % {"month": f"{self.start:%m/%Y}"}
        if self.kind == "quarter":
            return _("Quarter %(q)s/%(year)s") % {
                "q": ROMAN[(self.start.month - 1) // 3 + 1], "year": self.start.year}  # fmt: skip
        return _("Year %(year)s") % {"year": self.start.year}

    @property
    def thematic_window(self) -> tuple[datetime.date, int]:
        """(first month, number of quarters) over which thematic coverage is counted: a month
        is judged on its quarter so far."""
        if self.kind == "month":
            return quarter_start(self.start), 1
        return self.start, self.months // 3

    def shifted(self, step: int) -> Period:
        return Period(self.kind, add_months(self.start, step * self.months), self.months)

    def as_kind(self, kind: str) -> Period:
        if kind == "year":
            return Period("year", datetime.date(self.start.year, 1, 1), 12)
        if kind == "quarter":
            return Period("quarter", quarter_start(self.start), 3)
        return Period("month", self.start, 1)


def add_months(day: datetime.date, n: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + n
    return datetime.date(index // 12, index % 12 + 1, 1)


def quarter_start(day: datetime.date) -> datetime.date:
    return datetime.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def parse_period(value: str | None, *, today: datetime.date) -> Period:
    """A Period from its code; the current month when empty. ValueError with a message for
    anything else."""
    value = (value or "").strip().upper()
    if not value:
        return Period("month", today.replace(day=1), 1)
    if match := re.fullmatch(r"(\d{4})-(\d{1,2})", value):
        year, month = int(match[1]), int(match[2])
        if not 1 <= month <= 12:
            raise ValueError(period_error(today))
        period = Period("month", datetime.date(year, month, 1), 1)
    elif match := re.fullmatch(r"(\d{4})-Q([1-4])", value):
        period = Period("quarter", datetime.date(int(match[1]), (int(match[2]) - 1) * 3 + 1, 1), 3)
    elif re.fullmatch(r"\d{4}", value):
        period = Period("year", datetime.date(int(value), 1, 1), 12)
    else:
        raise ValueError(period_error(today))
    if not FIRST_YEAR <= period.start.year <= today.year + 1:
        raise ValueError(period_error(today))
    return period


def period_error(today: datetime.date) -> str:
    return _("Choose a month (%(month)s), a quarter (%(quarter)s) or a year (%(year)s) from "
             "%(first)s to %(last)s.") % {
        "month": f"{today:%Y-%m}", "quarter": f"{today.year}-Q{(today.month - 1) // 3 + 1}",
        "year": today.year, "first": FIRST_YEAR, "last": today.year + 1}  # fmt: skip
