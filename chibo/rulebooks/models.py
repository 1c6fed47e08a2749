"""Versioned rulebooks: the meeting rules that apply to a subtree for a period.

Rules are data (DOMAIN.md): every figure carries the document it comes from and the dates it
is valid for. Scorecards join this app with the meeting-quality issue.
"""

from __future__ import annotations

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
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("rulebook")
        verbose_name_plural = _("rulebooks")
        ordering = ["-valid_from", "id"]

    def __str__(self) -> str:
        return self.name
