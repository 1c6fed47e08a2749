"""API bearer tokens: create, revoke, authenticate, and the reads the UI and the API share.

The raw key is returned once by `token_create` and never stored: the database keeps its
SHA-256 (`hash_token`) and a short prefix so a user can tell their keys apart.
"""

from __future__ import annotations

import datetime
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from chibo.core import audit
from chibo.core.text import normalize

from .models import ApiToken, User, hash_token

KEY_PREFIX = "chibo_"
PREFIX_LENGTH = 12  # ApiToken.prefix: "chibo_" and six characters of the random part
MAX_DAYS = 365
DEFAULT_DAYS = 90
MAX_ACTIVE_TOKENS = 20
NAME_MAX_LENGTH = 100
# last_used_at is written at most this often, so busy clients do not write on every request.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


# --- reads -----------------------------------------------------------------------------------
def tokens_of(user: User) -> QuerySet[ApiToken]:
    """The user's own tokens, newest first (revoked and expired ones included)."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")


def get_own_token(user: User, pk: int) -> ApiToken:
    """One of the user's own tokens; anybody else's answers 404, like a missing one."""
    try:
        return tokens_of(user).get(pk=pk)
    except (ApiToken.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


# --- writes ----------------------------------------------------------------------------------
@transaction.atomic
def token_create(*, user: User, name: str, days: int) -> tuple[ApiToken, str]:
    """Create a token valid for `days` days; return it with the raw key (shown only once)."""
    name = normalize(name)
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("This field is required.")]
    elif len(name) > NAME_MAX_LENGTH:
        errors["name"] = [_("The name is too long (at most 100 characters).")]
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_DAYS:
        errors["days"] = [_("A key is valid for 1 to 365 days.")]
    now = timezone.now()
    active = ApiToken.objects.filter(user=user, revoked_at__isnull=True, expires_at__gt=now)
    if active.count() >= MAX_ACTIVE_TOKENS:
        errors.setdefault("name", []).append(
            _("You have too many active keys. Revoke one you no longer use first.")
        )
    if errors:
        raise ValidationError(errors)
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=raw[:PREFIX_LENGTH],
        key_hash=hash_token(raw),
        expires_at=now + datetime.timedelta(days=days),
    )
    audit.record(
        actor=user,
        action="token.create",
        obj=token,
        changes={"name": [None, token.name], "expires_at": [None, token.expires_at]},
    )
    return token, raw


@transaction.atomic
def token_revoke(*, token: ApiToken, by: User) -> ApiToken:
    """Revoke a token. Revoking a revoked token changes nothing and writes no audit entry."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        return token
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit.record(
        actor=by,
        action="token.revoke",
        obj=token,
        changes={"revoked_at": [None, token.revoked_at]},
    )
    return token


def token_authenticate(raw: str | None) -> User | None:
    """The active user a raw key belongs to, or None when the key is unknown, revoked or
    expired. Records the time of use, at most once a minute."""
    if not raw or not raw.startswith(KEY_PREFIX) or len(raw) > 200:
        return None
    try:
        token = ApiToken.objects.select_related("user").get(key_hash=hash_token(raw))
    except ApiToken.DoesNotExist:
        return None
    if not token.is_usable or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token.user
