"""Who is told: user ids, read in one or two queries whatever the number of people."""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from chibo.accounts.models import Grant, Role
from chibo.org.models import TemporaryAttachment, Unit


def _active_users(q: Q) -> list[int]:
    return list(get_user_model().objects.filter(q, is_active=True).values_list("pk", flat=True))


def cell_members(cell_id: int, *, today: datetime.date | None = None) -> list[int]:
    """The users of the cell's members, and of members attached to it for a while."""
    today = today or timezone.localdate()
    attached = TemporaryAttachment.objects.covering(today).filter(host_cell_id=cell_id)
    return _active_users(
        Q(member__cell_id=cell_id, member__departed_on__isnull=True)
        | Q(member__in=attached.values("member_id"))
    )


def subtree_members(unit: Unit) -> list[int]:
    return _active_users(Q(member__cell__path__startswith=unit.path, member__departed_on__isnull=True))


def members(member_ids) -> list[int]:
    return _active_users(Q(member__in=list(member_ids)))


def cell_secretaries(cell_id: int) -> list[int]:
    return list(Grant.objects.current().filter(role=Role.SECRETARY, unit_id=cell_id)
                .values_list("user_id", flat=True).distinct())  # fmt: skip
