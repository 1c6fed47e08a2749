"""The score of a finalised meeting against the scorecard of the rulebook in force on its date.

Every point can be traced: a computed line keeps the measured value and the evidence it was
read from; a judged line keeps who judged it and why; an upper level's change keeps the old and
new points, who and why (`ScoreAdjustment`). The score keeps the rulebook and the scorecard it
was given under; both are never edited once a score uses them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ScoreStatus(models.TextChoices):
    AWAITING = "awaiting", _("Awaiting the judged criteria")
    SCORED = "scored", _("Scored")
    REVIEWED = "reviewed", _("Reviewed by the upper level")


class MeetingScore(models.Model):
    meeting = models.OneToOneField(
        "meetings.Meeting", on_delete=models.PROTECT, related_name="score"
    )
    province = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    rulebook = models.ForeignKey(
        "rulebooks.Rulebook", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    scorecard = models.ForeignKey("rulebooks.Scorecard", on_delete=models.PROTECT, related_name="+")
    scorer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("scorer"),
    )  # fmt: skip
    status = models.CharField(
        _("status"), max_length=16, choices=ScoreStatus.choices, default=ScoreStatus.AWAITING
    )
    # Points so far (computed criteria, judged ones once given); the grade once all are given.
    total = models.DecimalField(_("total"), max_digits=6, decimal_places=1, default=0)
    grade = models.CharField(_("grade"), max_length=60, blank=True)
    grade_rank = models.PositiveSmallIntegerField(null=True, blank=True)  # 1 = the best grade
    computed_at = models.DateTimeField(auto_now_add=True)
    scored_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("meeting score")
        verbose_name_plural = _("meeting scores")
        indexes = [models.Index(fields=["unit", "status"])]

    def __str__(self) -> str:
        return f"{self.meeting_id}: {self.total} {self.grade}"

    @property
    def is_complete(self) -> bool:
        return self.status != ScoreStatus.AWAITING


class CriterionScore(models.Model):
    score = models.ForeignKey(MeetingScore, on_delete=models.CASCADE, related_name="lines")
    criterion = models.ForeignKey("rulebooks.Criterion", on_delete=models.PROTECT, related_name="+")
    value = models.FloatField(null=True, blank=True)  # what a computed measure found
    evidence = models.CharField(_("evidence"), max_length=500, blank=True)
    points = models.DecimalField(
        _("points"), max_digits=5, decimal_places=1, null=True, blank=True
    )  # None: a judged criterion not judged yet
    justification = models.TextField(_("justification"), blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )  # None: computed by chibo
    at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["score_id", "criterion__position"]
        constraints = [
            models.UniqueConstraint(fields=["score", "criterion"], name="one_line_per_criterion")
        ]

    def __str__(self) -> str:
        return f"{self.criterion_id}: {self.points}"


class ScoreAdjustment(models.Model):
    """An upper level's change to one line of a score, with its reason. Never deleted."""

    line = models.ForeignKey(CriterionScore, on_delete=models.PROTECT, related_name="adjustments")
    old_points = models.DecimalField(max_digits=5, decimal_places=1, null=True)
    new_points = models.DecimalField(max_digits=5, decimal_places=1)
    reason = models.TextField(_("reason"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.old_points} → {self.new_points}"
