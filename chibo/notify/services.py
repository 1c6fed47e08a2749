"""Writes for notifications: creating them for many users at once (with their deliveries on
the outside channels each user wants), read marks, each user's channel choices, and sending
the deliveries that are due. Every write here can be run twice with the same effect as once."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation

from chibo.accounts.models import Grant, Role

from . import channels as channel_registry
from .channels import Contact, DeliveryError, Outgoing
from .content import render
from .models import ChannelChoice, Delivery, DeliveryStatus, Kind, Notification

# Kinds only organisation-board officers receive, so only they choose how.
OFFICER_KINDS = {Kind.CELLS_NOT_MET}
# Kinds only a cell's secretaries receive.
SECRETARY_KINDS = {Kind.LEAVE_REQUESTED, Kind.DRAFT_COMMENTED}
CHUNK = 500  # ids per IN (…) list
SEND_BATCH = 50
MAX_ATTEMPTS = 5


def chunks(items: list, size: int = CHUNK):
    """`items` in lists of `size`: one IN (…) list each."""
    for i in range(0, len(items), size):
        yield items[i : i + size]


def contacts(user_ids: Iterable[int]) -> dict[int, Contact]:
    found = {}
    for chunk in chunks(list(user_ids)):
        rows = get_user_model().objects.filter(pk__in=chunk).values_list(
            "pk", "username", "first_name", "last_name", "email", "member__full_name",
            "member__email", "member__phone")  # fmt: skip
        for pk, username, first, last, email, full_name, member_email, phone in rows:
            name = full_name or f"{last} {first}".strip() or username
            found[pk] = Contact(pk, name, email or member_email or "", phone or "")
    return found


@dataclass(frozen=True)
class Event:
    """Something to tell `user_ids`; `key` names it, once per user."""

    kind: str
    key: str
    params: dict
    url: str
    user_ids: tuple[int, ...]
    province_id: int


def _wanted(pairs: list[tuple[int, str]]) -> list[tuple[int, str, str]]:
    """For new (user, kind) pairs: (user, kind, channel) for each outside channel that carries
    the kind, on which the user has an address and has not turned it off (or turned it on,
    where the channel is off by default)."""
    outside = channel_registry.configured()
    if not outside or not pairs:
        return []
    user_ids = sorted({u for u, _kind in pairs})
    people = contacts(user_ids)
    kinds = sorted({k for _u, k in pairs})
    choices: dict[tuple[int, str, str], bool] = {}
    for chunk in chunks(user_ids):
        choices.update({(u, k, ch): on for u, k, ch, on in ChannelChoice.objects.filter(
            kind__in=kinds, user_id__in=chunk).values_list("user_id", "kind", "channel", "enabled")})  # fmt: skip
    wanted = []
    for user_id, kind in pairs:
        contact = people.get(user_id)
        for channel in outside:
            if (contact and channel.carries(kind) and channel.address(contact)
                    and choices.get((user_id, kind, channel.name), channel.default_on)):  # fmt: skip
                wanted.append((user_id, kind, channel.name))
    return wanted


@transaction.atomic
def notify_all(events: list[Event]) -> int:
    """One notification per user and event, with its deliveries, for many events at once;
    users who already have an event's notification are skipped. Returns the number of
    deliveries created."""
    users = sorted({u for e in events for u in e.user_ids})
    keys = sorted({e.key for e in events})
    have: set[tuple[int, str]] = set()
    for chunk in chunks(users):
        for key_chunk in chunks(keys):
            have.update(Notification.objects.filter(user_id__in=chunk, key__in=key_chunk)
                        .values_list("user_id", "key"))  # fmt: skip
    rows = [Notification(user_id=u, province_id=e.province_id, kind=e.kind, key=e.key, params=e.params, url=e.url)
            for e in events for u in sorted(set(e.user_ids)) if (u, e.key) not in have]  # fmt: skip
    if not rows:
        return 0
    Notification.objects.bulk_create(rows, batch_size=CHUNK)
    if any(n.pk is None for n in rows):  # a database that returns no ids from a bulk insert
        ids = {}
        for chunk in chunks(sorted({n.user_id for n in rows})):
            ids.update({(u, k): pk for u, k, pk in Notification.objects.filter(
                user_id__in=chunk, key__in=keys).values_list("user_id", "key", "pk")})  # fmt: skip
        for n in rows:
            n.pk = ids[(n.user_id, n.key)]
    by_pair: dict[tuple[int, str], list[Notification]] = {(n.user_id, n.kind): [] for n in rows}
    for n in rows:
        by_pair[(n.user_id, n.kind)].append(n)
    deliveries = [Delivery(notification_id=n.pk, province_id=n.province_id, channel=channel)
                  for user_id, kind, channel in _wanted(list(by_pair))
                  for n in by_pair[(user_id, kind)]]  # fmt: skip
    Delivery.objects.bulk_create(deliveries, batch_size=CHUNK)
    return len(deliveries)


def notify(*, user_ids: Iterable[int], kind: str, key: str, params: dict, url: str = "",
           province_id: int) -> int:  # fmt: skip
    """One event: see `notify_all`."""
    return notify_all([Event(kind, key, params, url, tuple(user_ids), province_id)])


def mark_read(*, notification: Notification) -> Notification:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at)  # fmt: skip
    return notification


def mark_all_read(*, user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())


@transaction.atomic
def choices_save(*, user, enabled: set[tuple[str, str]]) -> None:
    """`enabled`: the (kind, channel) pairs the user wants; every other pair of the user's
    choices is off."""
    for kind, channel in choices_of(user):
        ChannelChoice.objects.update_or_create(user=user, kind=kind, channel=channel,
                                               defaults={"enabled": (kind, channel) in enabled})  # fmt: skip


def choices_of(user) -> dict[tuple[str, str], bool]:
    """Every (kind, channel) pair of this deployment, with the user's choice or the default."""
    stored = {(k, ch): on for k, ch, on in user.notification_choices.values_list(
        "kind", "channel", "enabled")}  # fmt: skip
    roles = set(Grant.objects.current().filter(user=user).values_list("role", flat=True))
    kinds = [k for k in Kind.values if (k not in OFFICER_KINDS or Role.OFFICER in roles)
             and (k not in SECRETARY_KINDS or Role.SECRETARY in roles)]  # fmt: skip
    return {(kind, c.name): stored.get((kind, c.name), c.default_on)
            for c in channel_registry.configured() for kind in kinds if c.carries(kind)}  # fmt: skip



# --- sending ----------------------------------------------------------------------------------
def _backoff(attempts: int) -> datetime.timedelta:
    return datetime.timedelta(minutes=2 ** min(attempts, 6))


def _claim(worker_id: str, now: datetime.datetime) -> list[Delivery]:
    due = Delivery.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now), status=DeliveryStatus.PENDING
    ).order_by("id").values("pk")[:SEND_BATCH]
    # One UPDATE claims the batch: a row another worker claimed first is no longer PENDING.
    Delivery.objects.filter(pk__in=list(due.values_list("pk", flat=True)),
                            status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.SENDING, worker_id=worker_id, attempts=F("attempts") + 1)  # fmt: skip
    return list(Delivery.objects.filter(status=DeliveryStatus.SENDING, worker_id=worker_id)
                .select_related("notification").order_by("id"))  # fmt: skip


def _absolute(url: str) -> str:
    return settings.CHIBO_SITE_URL.rstrip("/") + url if url.startswith("/") else url


def send_due(*, worker_id: str) -> int:
    """Sends every due delivery; returns how many were sent. The claim is committed before
    anything leaves, and each result right after its message."""
    channels = channel_registry.by_name()
    sent = 0
    while batch := _claim(worker_id, timezone.now()):
        people = contacts({d.notification.user_id for d in batch})
        for delivery in batch:
            sent += _send_one(delivery, channels.get(delivery.channel),
                              people.get(delivery.notification.user_id))  # fmt: skip
    return sent


def _send_one(delivery: Delivery, channel, contact: Contact | None) -> int:
    rows = Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING)
    address = channel.address(contact) if channel and contact else ""
    if not address:
        rows.update(status=DeliveryStatus.FAILED, error="no channel or address")
        return 0
    notification = delivery.notification
    with translation.override(settings.LANGUAGE_CODE):
        message = Outgoing(delivery.pk, delivery.message_id, notification.kind,
                           render(notification.kind, notification.params), _absolute(notification.url))  # fmt: skip
    try:
        channel.send(message, address, contact)
    except DeliveryError as exc:
        failed = delivery.attempts >= MAX_ATTEMPTS
        rows.update(status=DeliveryStatus.FAILED if failed else DeliveryStatus.PENDING,
                    error=str(exc)[:500], next_attempt_at=timezone.now() + _backoff(delivery.attempts))  # fmt: skip
        return 0
    rows.update(status=DeliveryStatus.SENT, sent_at=timezone.now(), error="")
    return 1


def release(*, worker_ids: Iterable[str]) -> int:
    """Deliveries left SENDING by workers that are gone go back to PENDING."""
    return Delivery.objects.filter(status=DeliveryStatus.SENDING, worker_id__in=list(worker_ids)
                                   ).update(status=DeliveryStatus.PENDING)  # fmt: skip


def prune(*, today: datetime.date) -> int:
    """Notifications older than CHIBO_NOTIFICATION_DAYS go (their deliveries with them), and
    finished jobs older than a month: a province's daily reminders alone are tens of thousands
    of rows."""
    from django_tasks_db.models import DBTaskResult

    cutoff = timezone.make_aware(datetime.datetime.combine(
        today - datetime.timedelta(days=settings.CHIBO_NOTIFICATION_DAYS), datetime.time()))  # fmt: skip
    removed, _by_model = Notification.objects.filter(created_at__lt=cutoff).delete()
    jobs_cutoff = timezone.now() - datetime.timedelta(days=30)
    DBTaskResult.objects.finished().filter(finished_at__lt=jobs_cutoff).delete()
    return removed
