"""Who is told: user ids, read in one or two queries whatever the number of people."""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from chibo.accounts.models import Grant, Role
from chibo.org.models import TemporaryAttachment, Unit

from .services import chunks


def _active_users(q: Q) -> list[int]:
    return list(get_user_model().objects.filter(q, is_active=True).values_list("pk", flat=True))


def cells_members(cell_ids: list[int], *, today: datetime.date | None = None) -> dict[int, list[int]]:
    """{cell: the users of its members and of members attached to it for a while}, in two
    indexed queries per chunk of cells."""
    today = today or timezone.localdate()
    found: dict[int, list[int]] = {cell: [] for cell in cell_ids}
    users = get_user_model().objects.filter(is_active=True)
    for chunk in chunks(cell_ids):
        for user_id, cell_id in users.filter(member__cell_id__in=chunk, member__departed_on__isnull=True
                                             ).values_list("pk", "member__cell_id"):  # fmt: skip
            found[cell_id].append(user_id)
        attached = dict(TemporaryAttachment.objects.covering(today).filter(host_cell_id__in=chunk)
                        .values_list("member_id", "host_cell_id"))  # fmt: skip
        if attached:
            for user_id, member_id in users.filter(member__in=list(attached)).values_list("pk", "member_id"):
                found[attached[member_id]].append(user_id)
    return found


def cell_members(cell_id: int, *, today: datetime.date | None = None) -> list[int]:
    return cells_members([cell_id], today=today)[cell_id]


def subtree_members(unit: Unit) -> list[int]:
    return _active_users(Q(member__cell__path__startswith=unit.path, member__departed_on__isnull=True))


def members(member_ids) -> list[int]:
    return _active_users(Q(member__in=list(member_ids)))


def cell_secretaries(cell_id: int) -> list[int]:
    return list(Grant.objects.current().filter(role=Role.SECRETARY, unit_id=cell_id)
                .values_list("user_id", flat=True).distinct())  # fmt: skip
