"""Reads of notifications: always the caller's own; another user's answers 404."""

from __future__ import annotations

from django.http import Http404
from django.utils import translation

from .content import Rendered, render
from .models import Notification


def my_notifications(user, *, unread_only: bool = False):
    found = Notification.objects.filter(user=user)
    return found.filter(read_at__isnull=True) if unread_only else found


def unread_count(user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def get_mine(user, pk: int) -> Notification:
    found = Notification.objects.filter(user=user, pk=pk).first()
    if found is None:
        raise Http404
    return found


def rendered(notifications) -> list[tuple[Notification, Rendered]]:
    """Each notification with its title and text in the active language."""
    language = translation.get_language()
    with translation.override(language):
        return [(n, render(n.kind, n.params)) for n in notifications]
