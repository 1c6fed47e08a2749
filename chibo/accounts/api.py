"""API routes for API tokens: obtain one with a password, list and revoke one's own."""

from __future__ import annotations

import datetime

from django.contrib.auth import authenticate, user_logged_in
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from . import tokens, two_factor

router = Router(tags=["auth"])


class ErrorOut(Schema):
    detail: str = Field(description="Message for the user, in the request's language.")


class TokenRequest(Schema):
    username: str = Field(max_length=150, description="User name (tên đăng nhập).")
    password: str = Field(max_length=4096, description="Password (mật khẩu).")
    code: str = Field(
        "",
        max_length=12,
        description="The 6-digit code of the authenticator app, for accounts with two-factor "
        "login (mã xác thực hai lớp).",
    )
    name: str = Field(
        "API",
        max_length=tokens.NAME_MAX_LENGTH,
        description="A name to recognise the key by, e.g. the program using it (tên khóa).",
    )
    days: int = Field(
        tokens.DEFAULT_DAYS,
        ge=1,
        le=tokens.MAX_DAYS,
        description="How many days the key stays valid, 1 to 365 (số ngày hiệu lực).",
    )


class TokenOut(Schema):
    id: int
    name: str = Field(description="Name of the key (tên khóa).")
    prefix: str = Field(description="First characters of the key, to tell keys apart.")
    created_at: datetime.datetime
    expires_at: datetime.datetime = Field(description="End of validity (hết hạn).")
    last_used_at: datetime.datetime | None = Field(
        description="Last use, to the minute (lần dùng gần nhất)."
    )
    revoked_at: datetime.datetime | None = Field(description="When it was revoked (thu hồi).")
    is_usable: bool = Field(description="Neither revoked nor expired.")


class TokenCreatedOut(TokenOut):
    key: str = Field(
        description="The key itself. It is shown only this once: store it safely. "
        "Send it as `Authorization: Bearer <key>`."
    )


@router.post(
    "/token",
    auth=None,
    response={201: TokenCreatedOut, 401: ErrorOut, 403: ErrorOut, 429: ErrorOut},
    summary="Obtain an API key with user name and password",
)
def token_obtain(request: HttpRequest, data: TokenRequest):
    """Checks the password through Django's authentication, so repeated failures lock the
    account out for a while (django-axes) exactly as on the login page."""
    user = authenticate(request, username=data.username, password=data.password)
    if user is None:
        if getattr(request, "axes_locked_out", False):
            # Answer in JSON here instead of letting AxesMiddleware render its HTML page.
            request.axes_locked_out = False
            raise HttpError(429, _("Too many failed login attempts. Wait a while and try again."))
        raise HttpError(401, _("Wrong user name or password."))
    if two_factor.code_needed_for_key(user):
        if two_factor.device_of(user) is None:
            raise HttpError(403, _("Your role requires two-factor login: set it up on the "
                                   "website first, then ask for a key with its code."))  # fmt: skip
        try:
            two_factor.check_code(user, data.code)
        except ValidationError as error:
            raise HttpError(401, " ".join(error.messages)) from None
    # A password accepted here is a login without a session: record it as one (last_login,
    # and django-axes resets the failure count as on the login page).
    user_logged_in.send(sender=user.__class__, request=request, user=user)
    token, raw = tokens.token_create(user=user, name=data.name, days=data.days)
    return Status(201, _token_out(token) | {"key": raw})


@router.get("/tokens", response=list[TokenOut], summary="List my API keys")
def token_list(request: HttpRequest):
    return [_token_out(t) for t in tokens.tokens_of(request.auth)]


@router.delete(
    "/tokens/{token_id}",
    response={204: None, 404: ErrorOut},
    summary="Revoke one of my API keys",
)
def token_revoke(request: HttpRequest, token_id: int):
    token = tokens.get_own_token(request.auth, token_id)
    tokens.token_revoke(token=token, by=request.auth)
    return Status(204, None)


def _token_out(token) -> dict:
    return {
        "id": token.pk,
        "name": token.name,
        "prefix": token.prefix,
        "created_at": token.created_at,
        "expires_at": token.expires_at,
        "last_used_at": token.last_used_at,
        "revoked_at": token.revoked_at,
        "is_usable": token.is_usable,
    }
