"""Notifications: one row per user and event (the in-app list), one delivery per outside
channel that the user wants it on (e-mail, a configured webhook), and what the worker needs to
be restarted safely (its heartbeat, the periodic checks already run).

A notification stores its parameters, not its text: the text is written when it is shown or
sent, in the reader's language. A document's parameters never hold the text of a confidential
document (see `content.document_params`)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    MEETING_ANNOUNCED = "meeting_announced", _("A meeting is announced or moved")
    MEETING_TOMORROW = "meeting_tomorrow", _("A meeting tomorrow")
    DOCUMENTS_ADDED = "documents_added", _("New documents to read")
    MINUTES_FINALISED = "minutes_finalised", _("Minutes finalised")
    TASK_ASSIGNED = "task_assigned", _("A task assigned to me")
    TASK_DUE_SOON = "task_due_soon", _("A task's deadline is near")
    TASK_OVERDUE = "task_overdue", _("A task's deadline has passed")
    PROPOSAL_ANSWERED = "proposal_answered", _("A proposal answered")
    LEAVE_REQUESTED = "leave_requested", _("A member asks for leave (secretaries)")
    LEAVE_DECIDED = "leave_decided", _("My leave request decided")
    DRAFT_COMMENTED = "draft_commented", _("A comment on the drafts (secretaries)")
    CELLS_NOT_MET = "cells_not_met", _("Cells that have not met by the deadline day")


class Notification(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="notifications")  # fmt: skip
    # The province the event happened in: every big table carries it, to be sharded by it.
    province = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    # What the notification is about, unique per user: a job that runs twice (a worker killed
    # and restarted) finds the row and creates nothing.
    key = models.CharField(max_length=120)
    params = models.JSONField(default=dict)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="one_notification_per_event")]
        indexes = [models.Index(fields=["user", "-created_at"], name="notification_user_new")]

    def __str__(self) -> str:
        return f"{self.kind} → {self.user_id}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("waiting")
    SENDING = "sending", _("being sent")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")


class Delivery(models.Model):
    """A notification on an outside channel. SENDING is written and committed before the
    message leaves; a worker killed after that point leaves the row SENDING, and the restarted
    worker sends it again under the same id (e-mail Message-ID, webhook Idempotency-Key) so the
    receiving side can drop the copy. A SENT row is never sent again."""

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    province = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=32)
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.PENDING)  # fmt: skip
    attempts = models.PositiveSmallIntegerField(default=0)
    worker_id = models.CharField(max_length=64, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["notification", "channel"], name="one_delivery_per_channel")]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")]

    def __str__(self) -> str:
        return f"{self.channel}: {self.status}"

    @property
    def message_id(self) -> str:
        return f"chibo-delivery-{self.pk}"


class ChannelChoice(models.Model):
    """A user's choice for one kind on one outside channel; without a row the channel's
    default applies (on)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="notification_choices")  # fmt: skip
    kind = models.CharField(max_length=32, choices=Kind.choices)
    channel = models.CharField(max_length=32)
    enabled = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind", "channel"], name="one_choice_per_kind_channel")]

    def __str__(self) -> str:
        return f"{self.kind} / {self.channel}: {self.enabled}"


class WorkerHeartbeat(models.Model):
    worker_id = models.CharField(max_length=64, unique=True)
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.worker_id


class PeriodicRun(models.Model):
    """A periodic check that has been queued for its slot (a day): queued once, whichever
    worker gets there first."""

    job = models.CharField(max_length=64)
    slot = models.CharField(max_length=32)
    queued_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "slot"], name="one_run_per_slot")]

    def __str__(self) -> str:
        return f"{self.job} {self.slot}"
