"""Monthly figures per unit, kept up to date so a dashboard reads a few rows per unit shown
whatever the number of meetings behind them (DESIGN.md, "Scale targets").

A row holds additive counts for one unit and one calendar month: a cell's row counts its own
finalised meetings; a committee's row is the sum of the rows of the cells under it. Counts
"of cells" are counted once per cell: `cells_met` is 1 in a cell's row when it held a regular
meeting that month; `cells_thematic_first` is 1 in the month of its first thematic meeting of
the quarter, so a quarter's sum is the number of cells that held one.
`chibo.reports.aggregates` keeps them (on finalisation and on every score change) and rebuilds
them from scratch (`chibo rebuild-aggregates`).
"""

from __future__ import annotations

from django.db import models

COUNTS = (
    "meetings", "thematic_meetings", "cells_met", "cells_met_on_time", "cells_thematic_first",
    "cells_low_attendance", "cells_upper_attended", "expected", "present", "task_reviews",
    "tasks_done", "scored", "grade_1", "grade_2", "grade_3", "grade_4",
)  # fmt: skip
SUMS = ("score_sum",)


class UnitMonth(models.Model):
    unit = models.ForeignKey("org.Unit", on_delete=models.CASCADE, related_name="+")
    province = models.ForeignKey("org.Unit", on_delete=models.CASCADE, related_name="+")
    month = models.DateField()  # the first day of the month
    # Copied from the unit so a dashboard filters a subtree without a join (rebuild after
    # moving units in the tree).
    path = models.CharField(max_length=255)
    depth = models.PositiveSmallIntegerField()
    is_cell = models.BooleanField(default=False)
    meetings = models.IntegerField(default=0)  # finalised, preparatory meetings left out
    thematic_meetings = models.IntegerField(default=0)
    cells_met = models.IntegerField(default=0)  # held a regular (or combined) meeting
    cells_met_on_time = models.IntegerField(default=0)  # …by the rulebook's deadline day
    cells_thematic_first = models.IntegerField(default=0)
    cells_low_attendance = models.IntegerField(default=0)  # a regular meeting under threshold
    cells_upper_attended = models.IntegerField(default=0)  # an upper-level attendee came
    expected = models.IntegerField(default=0)  # attendance lines expected, regular meetings
    present = models.IntegerField(default=0)
    task_reviews = models.IntegerField(default=0)  # decisions on due tasks (under way left out)
    tasks_done = models.IntegerField(default=0)
    scored = models.IntegerField(default=0)  # meetings with a complete score
    score_sum = models.DecimalField(max_digits=12, decimal_places=1, default=0)
    grade_1 = models.IntegerField(default=0)  # the card's best grade (Tốt)
    grade_2 = models.IntegerField(default=0)
    grade_3 = models.IntegerField(default=0)
    grade_4 = models.IntegerField(default=0)  # the fourth grade and below (Kém)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit", "month"], name="one_row_per_unit_month")]
        indexes = [models.Index(fields=["path", "month"]), models.Index(fields=["month", "path"])]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.month:%m/%Y}"

    def figures(self) -> dict:
        return {name: getattr(self, name) for name in (*COUNTS, *SUMS)}
