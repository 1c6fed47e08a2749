"""Versioned rulebooks: the meeting rules that apply to a subtree for a period.

Rules are data (DOMAIN.md): every figure carries the document it comes from and the dates it
is valid for. A scorecard (criteria, points, how each is measured, grade thresholds) is data
too: a rulebook version points at one, and a scorecard that has scored a meeting is never
changed again (a province changes its card by copying it), so every score keeps the card it
was given under.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Rulebook(models.Model):
    name = models.CharField(_("name"), max_length=200)
    source = models.CharField(_("source document"), max_length=255)
    # None: applies everywhere; otherwise to the unit's subtree (the deepest match wins).
    unit = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("applies to"),
    )  # fmt: skip
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid until"), null=True, blank=True)

    regular_deadline_day = models.PositiveSmallIntegerField(
        _("regular meeting by day of the month"), default=15
    )
    thematic_per_quarter = models.PositiveSmallIntegerField(
        _("thematic meetings per quarter"), default=1
    )
    min_minutes_regular = models.PositiveSmallIntegerField(
        _("minimum duration of a regular meeting (minutes)"), default=90
    )
    min_minutes_combined = models.PositiveSmallIntegerField(
        _("minimum duration with a thematic meeting in the same session (minutes)"), default=120
    )
    document_lead_days = models.PositiveSmallIntegerField(
        _("documents sent at least this many days before"), default=1
    )
    attendance_threshold = models.PositiveSmallIntegerField(
        _("attendance threshold (%)"), default=85
    )
    finalise_within_days = models.PositiveSmallIntegerField(
        _("minutes finalised within (days)"), default=2
    )
    # A level answers (or forwards) a cell's proposal within this many days of receiving it.
    proposal_answer_days = models.PositiveSmallIntegerField(
        _("proposals answered within (days)"), default=30
    )
    scorecard = models.ForeignKey(
        "Scorecard", on_delete=models.PROTECT, null=True, blank=True, related_name="rulebooks",
        verbose_name=_("scorecard"),
    )  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("rulebook")
        verbose_name_plural = _("rulebooks")
        ordering = ["-valid_from", "id"]

    def __str__(self) -> str:
        return self.name


class Measure(models.TextChoices):
    """How a criterion is measured: judged by a person, or computed by chibo from the record.
    The computations live in `chibo.quality.measures`; which a card uses, and the points each
    value earns, are data."""

    JUDGED = "judged", _("Judged by the scorer")
    HELD_BY_DEADLINE = "held_by_deadline", _("Held by the deadline day of the month (1 = yes)")
    STARTED_ON_TIME = "started_on_time", _("Started at the announced time (1 = yes)")
    DURATION_MINUTES = "duration_minutes", _("Duration (minutes)")
    DURATION_MET = "duration_met", _("Lasted at least the minimum duration (1 = yes)")
    ATTENDANCE_RATE = "attendance_rate", _("Attendance rate (%)")
    ATTENDANCE_RATE_STRICT = "attendance_rate_strict", _(
        "Attendance rate (%), counted as 0 when anyone was absent without reason"
    )
    UNEXCUSED_ABSENCES = "unexcused_absences", _("Members absent without reason")
    LONG_EXCUSED_RUNS = "long_excused_runs", _(
        "Members absent with reason more than 3 times in a row this year"
    )
    SPEAKERS_SHARE = "speakers_share", _("Share of members present who spoke (%)")
    ANNOUNCEMENT_LEAD_DAYS = "announcement_lead_days", _("Days between announcement and meeting")
    ANNOUNCED_IN_TIME = "announced_in_time", _(
        "Announced with its documents at least the rulebook's lead time before (1 = yes)"
    )
    PREPARATORY_HELD = "preparatory_held", _("The committee held a preparatory meeting (1 = yes)")
    PREVIOUS_TASKS_DONE = "previous_tasks_done", _(
        "Tasks of earlier meetings due by this one that are done (%)"
    )
    UPPER_ATTENDEE_PRESENT = "upper_attendee_present", _(
        "An upper-level attendee was present (1 = yes)"
    )
    FINALISED_ON_TIME = "finalised_on_time", _("Minutes finalised within the deadline (1 = yes)")


class Scorecard(models.Model):
    name = models.CharField(_("name"), max_length=200)
    source = models.CharField(_("source document"), max_length=255)
    # None: shipped with chibo; otherwise the subtree whose organisation board owns it.
    unit = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("owned by"),
    )  # fmt: skip
    copied_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Grades from the best down: [{"name": "Tốt", "min": 90}, …, {"name": "Kém", "min": 0}].
    grades = models.JSONField(_("grades"), default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("scorecard")
        verbose_name_plural = _("scorecards")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def grade_for(self, total) -> tuple[str, int]:
        """(grade name, rank from 1 = best) for a total: the first grade whose minimum it
        reaches."""
        for rank, grade in enumerate(self.grades, start=1):
            if total >= grade["min"]:
                return grade["name"], rank
        return self.grades[-1]["name"], len(self.grades)


class Criterion(models.Model):
    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="criteria")
    position = models.PositiveSmallIntegerField()
    group = models.CharField(_("group"), max_length=120)
    title = models.CharField(_("criterion"), max_length=300)
    points = models.DecimalField(_("points"), max_digits=5, decimal_places=1)
    measure = models.CharField(_("measured by"), max_length=32, choices=Measure.choices)
    # For a computed measure: [{"from": 90, "points": 4}, {"from": 75, "to": 90, "points": 3},
    # {"above": 50, "points": 5}, …]: the first band holding the value gives the points, none
    # gives 0. "from" is inclusive, "above" exclusive, "to" exclusive.
    bands = models.JSONField(_("points by value"), default=list, blank=True)

    class Meta:
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        ordering = ["scorecard_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["scorecard", "position"], name="one_criterion_per_position")
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_judged(self) -> bool:
        return self.measure == Measure.JUDGED

    def points_for(self, value: float | None):
        if value is None:
            return 0
        for band in self.bands:
            low, above, high = band.get("from"), band.get("above"), band.get("to")
            if ((low is None or value >= low) and (above is None or value > above)
                    and (high is None or value < high)):  # fmt: skip
                return band["points"]
        return 0
