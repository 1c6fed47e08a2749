"""Outside channels for notifications. E-mail ships (Django's e-mail backends: console in
development, SMTP in production); so does an HTTP webhook, which a deployment points at its SMS
or chat gateway. Channels are configured in `CHIBO_NOTIFY_CHANNELS`, a list of
{"class": dotted path, "name": ..., options...}; a deployment adds a gateway without code by
adding a webhook entry (README, "Thông báo").

A channel receives the rendered title and text only: what `content.render` writes, which never
holds the text of a confidential document."""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from .content import Rendered


class DeliveryError(Exception):
    """The channel refused or could not take the message; the delivery is tried again later."""


@dataclass(frozen=True)
class Contact:
    user_id: int
    name: str
    email: str
    phone: str


@dataclass(frozen=True)
class Outgoing:
    delivery_id: int
    idempotency_key: str
    kind: str
    rendered: Rendered
    url: str  # absolute


class Channel:
    name = ""
    label = ""
    default_on = True

    def __init__(self, *, name: str | None = None, label: str | None = None,
                 default_on: bool | None = None, kinds: list[str] | None = None) -> None:  # fmt: skip
        self.name = name or self.name
        self.label = label or self.label or self.name
        if default_on is not None:
            self.default_on = default_on
        self.kinds = set(kinds) if kinds else None

    def carries(self, kind: str) -> bool:
        return self.kinds is None or kind in self.kinds

    def address(self, contact: Contact) -> str:
        raise NotImplementedError

    def send(self, message: Outgoing, address: str, contact: Contact) -> None:
        raise NotImplementedError


class EmailChannel(Channel):
    name = "email"
    label = _("E-mail")

    def address(self, contact: Contact) -> str:
        return contact.email

    def send(self, message: Outgoing, address: str, contact: Contact) -> None:
        domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "chibo"
        body = f"{message.rendered.text}\n\n{message.url}".strip()
        email = EmailMessage(subject=message.rendered.title, body=body, to=[address],
                             headers={"Message-ID": f"<{message.idempotency_key}@{domain}>"})  # fmt: skip
        try:
            email.send()
        except OSError as exc:  # SMTP and socket errors
            raise DeliveryError(str(exc)) from exc


class WebhookChannel(Channel):
    """POSTs one JSON object per message. Headers: `Idempotency-Key` (the same on a retry, so
    the gateway can drop a copy) and, with a secret, `X-Chibo-Signature: sha256=<hex HMAC of
    the body>`. Any answer other than 2xx is a failure and is retried."""

    name = "webhook"
    label = _("Text message")
    default_on = False

    def __init__(self, *, url: str, secret: str = "", timeout: float = 10, to: str = "phone",
                 **kwargs) -> None:  # fmt: skip
        super().__init__(**kwargs)
        self.url, self.secret, self.timeout, self.to = url, secret, timeout, to

    def address(self, contact: Contact) -> str:
        return contact.phone if self.to == "phone" else contact.email

    def send(self, message: Outgoing, address: str, contact: Contact) -> None:
        body = json.dumps({
            "id": message.idempotency_key, "kind": message.kind, "to": address,
            "name": contact.name, "title": message.rendered.title, "text": message.rendered.text,
            "url": message.url,
        }, ensure_ascii=False).encode()  # fmt: skip
        headers = {"Content-Type": "application/json; charset=utf-8",
                   "Idempotency-Key": message.idempotency_key}  # fmt: skip
        if self.secret:
            digest = hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
            headers["X-Chibo-Signature"] = f"sha256={digest}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                status = response.status
        except urllib.error.HTTPError as exc:
            raise DeliveryError(f"HTTP {exc.code}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise DeliveryError(str(exc)) from exc
        if not 200 <= status < 300:
            raise DeliveryError(f"HTTP {status}")


def configured() -> list[Channel]:
    """The outside channels of this deployment, in the order of the setting."""
    found = []
    for entry in settings.CHIBO_NOTIFY_CHANNELS:
        options = dict(entry)
        cls = import_string(options.pop("class"))
        found.append(cls(**options))
    return found


def by_name() -> dict[str, Channel]:
    return {c.name: c for c in configured()}
