"""Follow-up of what meetings decided.

Every assignment in finalised minutes becomes a `Task`: the minutes keep the assignment as it
was decided (they are locked), the task carries its life afterwards — progress reports by the
people who do it, and the decision each later regular meeting takes on it (`TaskReview`: done,
still under way, carried over to a new deadline, or dropped with a reason). A review is part of
that later meeting's minutes, so it is locked with them.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CARRIED = "carried", _("Carried over")
    DROPPED = "dropped", _("Dropped")


# A task in one of these states is still to be done; past its deadline it is overdue.
ACTIVE_STATUSES = (TaskStatus.OPEN, TaskStatus.CARRIED)


class Task(models.Model):
    province = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    cell = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, related_name="tasks", verbose_name=_("cell")
    )
    meeting = models.ForeignKey(
        "meetings.Meeting", on_delete=models.PROTECT, related_name="tasks",
        verbose_name=_("assigned at"),
    )  # fmt: skip
    assignment = models.OneToOneField(
        "meetings.Assignment", on_delete=models.PROTECT, related_name="task"
    )
    description = models.TextField(_("task"))
    assignees = models.ManyToManyField("org.Member", blank=True, related_name="tasks")
    to_committee = models.BooleanField(_("the cell committee"), default=False)
    original_deadline = models.DateField(_("deadline set at the meeting"))
    deadline = models.DateField(_("deadline"), db_index=True)
    status = models.CharField(
        _("status"), max_length=16, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    times_carried = models.PositiveSmallIntegerField(default=0)
    # When and why it was closed (done or dropped), and by whom.
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    closing_note = models.TextField(_("note"), blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["deadline", "id"]
        indexes = [models.Index(fields=["cell", "status", "deadline"], name="task_cell_status")]

    def __str__(self) -> str:
        return self.description[:80]

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    def is_overdue(self, today: datetime.date) -> bool:
        return self.is_active and self.deadline < today


class TaskReport(models.Model):
    """A progress report, or the report that the task is done, by someone doing it."""

    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="reports")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The member reporting (the author's member record, or the assignee in imported history).
    member = models.ForeignKey(
        "org.Member", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(_("note"))
    done = models.BooleanField(_("the task is done"), default=False)

    class Meta:
        ordering = ["task_id", "created_at", "id"]

    def __str__(self) -> str:
        return self.note[:80]


class ReviewDecision(models.TextChoices):
    DONE = "done", _("Done")
    UNDER_WAY = "under_way", _("Under way (deadline not reached)")
    CARRIED = "carried", _("Not done: carried over to a new deadline")
    DROPPED = "dropped", _("Dropped")


class TaskReview(models.Model):
    """What a later meeting decided about a task: part of that meeting's minutes."""

    meeting = models.ForeignKey(
        "meetings.Meeting", on_delete=models.CASCADE, related_name="task_reviews"
    )
    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="reviews")
    decision = models.CharField(_("decision"), max_length=16, choices=ReviewDecision.choices)
    new_deadline = models.DateField(_("new deadline"), null=True, blank=True)
    note = models.TextField(_("assessment"), blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["meeting_id", "task_id"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "task"], name="one_review_per_meeting")
        ]

    def __str__(self) -> str:
        return f"{self.task} — {self.get_decision_display()}"


class ProposalStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting an answer")
    ANSWERED = "answered", _("Answered")
    REJECTED = "rejected", _("Rejected")


class Proposal(models.Model):
    """A proposal (kiến nghị) a cell sends up: to its superior by default; each level answers
    it, forwards it further up with a note, or rejects it with a reason (seed 002). The path is
    kept as `ProposalStep` rows."""

    province = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    cell = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, related_name="proposals", verbose_name=_("cell")
    )
    meeting = models.ForeignKey(
        "meetings.Meeting", on_delete=models.PROTECT, null=True, blank=True,
        related_name="proposals", verbose_name=_("raised at the meeting"),
    )  # fmt: skip
    raised_by = models.ForeignKey(
        "org.Member", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("raised by"),
    )  # fmt: skip
    title = models.CharField(_("subject"), max_length=255)
    text = models.TextField(_("proposal"))
    status = models.CharField(
        _("status"), max_length=16, choices=ProposalStatus.choices, default=ProposalStatus.PENDING
    )
    # The level holding it now, and the day it should answer by.
    current_unit = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, related_name="proposals_to_answer",
        verbose_name=_("with"),
    )  # fmt: skip
    due_on = models.DateField(_("answer due by"), db_index=True)
    answer = models.TextField(_("answer"), blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "due_on"], name="proposal_status_due")]

    def __str__(self) -> str:
        return self.title


class ProposalAction(models.TextChoices):
    SENT = "sent", _("Sent")
    FORWARDED = "forwarded", _("Forwarded")
    ANSWERED = "answered", _("Answered")
    REJECTED = "rejected", _("Rejected")


class ProposalStep(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="steps")
    action = models.CharField(max_length=16, choices=ProposalAction.choices)
    from_unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    to_unit = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.TextField(blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["proposal_id", "at", "id"]

    def __str__(self) -> str:
        return f"{self.proposal} · {self.action}"


class InspectionKind(models.TextChoices):
    INSPECTION = "inspection", _("Inspection")
    SUPERVISION = "supervision", _("Supervision")


class InspectionStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    CONCLUDED = "concluded", _("Concluded")


class Inspection(models.Model):
    """One inspection or supervision of a unit under a committee, from the committee's annual
    plan (seed 003, item 6): the period looked at, the team, the findings, and the conclusion
    notice (thông báo kết luận) with the fixes it requires."""

    province = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    committee = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, related_name="inspections_made",
        verbose_name=_("committee"),
    )  # fmt: skip
    year = models.PositiveSmallIntegerField(_("plan year"), db_index=True)
    target = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, related_name="inspections",
        verbose_name=_("inspected unit"),
    )  # fmt: skip
    kind = models.CharField(pgettext_lazy("inspection", "kind"), max_length=16, choices=InspectionKind.choices)
    subject = models.CharField(_("subject"), max_length=500)
    planned_month = models.PositiveSmallIntegerField(_("planned month"))
    period_start = models.DateField(_("period inspected from"))
    period_end = models.DateField(_("period inspected until"))
    team = models.TextField(_("team"), blank=True)
    findings = models.TextField(_("findings"), blank=True)
    conclusion = models.TextField(_("conclusion"), blank=True)
    notice_number = models.CharField(_("notice number"), max_length=32, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=InspectionStatus.choices,
        default=InspectionStatus.PLANNED,
    )  # fmt: skip
    concluded_on = models.DateField(_("concluded on"), null=True, blank=True)
    content_hash = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["year", "planned_month", "id"]

    def __str__(self) -> str:
        return self.subject[:80]


class Fix(models.Model):
    """A fix the conclusion requires of the inspected unit, tracked until done."""

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="fixes")
    description = models.TextField(_("what must be fixed"))
    deadline = models.DateField(_("deadline"))
    done_on = models.DateField(_("done on"), null=True, blank=True)
    done_note = models.TextField(_("how it was fixed"), blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["inspection_id", "deadline", "id"]

    def __str__(self) -> str:
        return self.description[:80]

    def is_overdue(self, today: datetime.date) -> bool:
        return self.done_on is None and self.deadline < today
