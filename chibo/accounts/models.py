"""Users, scoped grants and API tokens."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    member = models.OneToOneField(
        "org.Member",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="user",
        verbose_name=_("party member"),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @property
    def display_name(self) -> str:
        if self.member_id:
            return self.member.full_name
        # Vietnamese order: family and middle names (last_name) before the given name.
        return f"{self.last_name} {self.first_name}".strip() or self.username


class Role(models.TextChoices):
    MEMBER = "member", _("Member")
    CLERK = "clerk", _("Minutes clerk")
    SECRETARY = "secretary", _("Cell secretary")
    ATTENDEE = "attendee", _("Upper-level attendee")
    OFFICER = "officer", _("Organisation-board officer")
    ADMIN = "admin", _("Administrator")


class GrantQuerySet(models.QuerySet):
    def current(self):
        """Not revoked, and not past the last day it was given for (the local date)."""
        today = timezone.localdate()
        return self.filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=today), revoked_at__isnull=True
        ).select_related("unit")


class Grant(models.Model):
    """A role on a unit; it covers the unit and everything under it."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="grants")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    unit = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, related_name="grants", verbose_name=_("unit")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    # A grant given for a period (an upper-level attendee following a cell for a term) lapses
    # after this day without anyone revoking it.
    valid_until = models.DateField(_("until"), null=True, blank=True)
    # The holder's position as written in minutes ("Phó Bí thư Đảng ủy xã").
    title = models.CharField(_("position"), max_length=255, blank=True)

    objects = GrantQuerySet.as_manager()

    class Meta:
        verbose_name = _("grant")
        verbose_name_plural = _("grants")

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.unit}"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for API clients. Only its hash is stored; the raw key is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()
