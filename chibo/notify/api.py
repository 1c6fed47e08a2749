"""API routes for the caller's notifications: the list (with the unread count), marking one or
all read, and the caller's choices of outside channels per kind."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema

from chibo.org.api import ErrorOut, ValidationErrorOut

from . import selectors, services

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    text: str
    url: str
    created_at: datetime.datetime
    read_at: datetime.datetime | None


class NotificationsOut(Schema):
    unread: int
    items: list[NotificationOut]


class ChoiceOut(Schema):
    kind: str
    channel: str
    enabled: bool


class ChoicesIn(Schema):
    enabled: list[ChoiceOut]


def _out(notification, rendered) -> dict:
    return {"id": notification.pk, "kind": notification.kind, "title": rendered.title,
            "text": rendered.text, "url": notification.url, "created_at": notification.created_at,
            "read_at": notification.read_at}  # fmt: skip


@router.get("/notifications", response=NotificationsOut, summary="The caller's notifications, newest first")
def notifications(request: HttpRequest, unread: bool = False, limit: int = 50):
    found = selectors.my_notifications(request.auth, unread_only=unread)[: max(1, min(limit, 200))]
    return {"unread": selectors.unread_count(request.auth),
            "items": [_out(n, r) for n, r in selectors.rendered(found)]}  # fmt: skip


@router.post("/notifications/read-all", response={200: dict}, summary="Mark all the caller's notifications read")
def notifications_read_all(request: HttpRequest):
    return {"marked": services.mark_all_read(user=request.auth)}


@router.post("/notifications/{notification_id}/read", response={200: NotificationOut, 404: ErrorOut},
             summary="Mark one of the caller's notifications read")  # fmt: skip
def notification_read(request: HttpRequest, notification_id: int):
    found = services.mark_read(notification=selectors.get_mine(request.auth, notification_id))
    return _out(*selectors.rendered([found])[0])


@router.get("/notifications/choices", response=list[ChoiceOut],
            summary="Which kinds reach the caller on each outside channel")  # fmt: skip
def choices(request: HttpRequest):
    return [{"kind": k, "channel": ch, "enabled": on}
            for (k, ch), on in services.choices_of(request.auth).items()]  # fmt: skip


@router.put("/notifications/choices", response={200: list[ChoiceOut], 422: ValidationErrorOut},
            summary="Set the caller's choices; pairs not listed keep their value")  # fmt: skip
def choices_save(request: HttpRequest, data: ChoicesIn):
    current = services.choices_of(request.auth)
    unknown = [f"{c.kind}/{c.channel}" for c in data.enabled if (c.kind, c.channel) not in current]
    if unknown:
        raise ValidationError({"enabled": [_("Unknown kind or channel: %(pairs)s.") % {"pairs": ", ".join(unknown)}]})
    for choice in data.enabled:
        current[(choice.kind, choice.channel)] = choice.enabled
    services.choices_save(user=request.auth, enabled={pair for pair, on in current.items() if on})
    return choices(request)
