"""Two-factor login with a time-based one-time code (TOTP, django-otp).

Anyone may turn it on for their own account. Holders of the roles in
`settings.CHIBO_TWO_FACTOR_ROLES` (officer and admin by default) must: until their session is
verified with a code, `middleware.TwoFactorMiddleware` lets them reach only the pages to set
up or enter a code, and to log out.

After the password, the session is logged in but not verified. `login_started` (on Django's
user_logged_in signal) notes in the session whether a code is still due. The note saves a
device look-up on every request. A grant given during a session is caught by the role check,
which reads the scope the request reads anyway.
"""

from __future__ import annotations

import segno
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp import DEVICE_ID_SESSION_KEY, user_has_device
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from chibo.core import audit

from .access import MANAGE_ROLES, Scope, scope_for
from .models import User

# Session key: set at login when the account has a device, so a code is due.
CODE_DUE_SESSION_KEY = "chibo_two_factor_due"
DEVICE_NAME = "chibo"


# --- reads -----------------------------------------------------------------------------------
def required_for(user) -> bool:
    """Whether the user's roles oblige them to use a second factor."""
    roles = set(settings.CHIBO_TWO_FACTOR_ROLES)
    if not roles or not getattr(user, "is_authenticated", False):
        return False
    scope = scope_for(user)
    return any(g.role in roles for g in scope.grants) or (user.is_superuser and "admin" in roles)


def device_of(user) -> TOTPDevice | None:
    """The user's confirmed device, if they set one up."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-id").first()


def pending_device_of(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()


def is_verified(request) -> bool:
    verified = getattr(request.user, "is_verified", None)
    return bool(verified and verified())


def qr_code_data_uri(device: TOTPDevice) -> str:
    """The otpauth:// address as a QR code picture for the authenticator app (an SVG data URI,
    which the Content-Security-Policy allows as an image)."""
    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2)


def secret_for_typing(device: TOTPDevice) -> str:
    """The key in base32, in groups of four, for apps that cannot scan a QR code."""
    from base64 import b32encode

    key = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


# --- login -----------------------------------------------------------------------------------
def login_started(sender, request, user, **kwargs) -> None:
    """Receiver of user_logged_in: a code is due when the account has a device. (An API key
    obtained with a password sends the signal too, without a session login: nothing to note.)"""
    if request is not None and hasattr(request, "session") and getattr(request, "user", user) == user:
        if user_has_device(user, confirmed=True):
            request.session[CODE_DUE_SESSION_KEY] = True
        else:
            request.session.pop(CODE_DUE_SESSION_KEY, None)


def code_due(request) -> bool:
    """A logged-in session that must still give a code (or set up a device first)."""
    user = request.user
    if not user.is_authenticated or is_verified(request):
        return False
    return bool(request.session.get(CODE_DUE_SESSION_KEY)) or required_for(user)


def _clean(code: str) -> str:
    code = "".join((code or "").split())
    if not code.isdigit() or len(code) != 6:
        raise ValidationError({"code": [_("Enter the 6 digits shown by the authenticator app.")]})
    return code


def check_code(user, code: str) -> TOTPDevice:
    """The user's device if it accepts the code (each code once; wrong codes slow the next
    tries down, django-otp's throttling)."""
    code = _clean(code)
    device = device_of(user)
    if device is None:
        raise ValidationError({"code": [_("This account has no authenticator app set up yet.")]})
    allowed, _info = device.verify_is_allowed()
    if not allowed:
        raise ValidationError({"code": [
            _("Too many wrong codes. Wait a little, then enter the code now shown by the app.")
        ]})  # fmt: skip
    if not device.verify_token(code):
        raise ValidationError({"code": [_("Wrong or expired code. Enter the code now shown.")]})
    return device


def verify(request, code: str) -> TOTPDevice:
    """Check a code and mark the session verified."""
    device = check_code(request.user, code)
    otp_login(request, device)
    request.session.pop(CODE_DUE_SESSION_KEY, None)
    return device


def code_needed_for_key(user) -> bool:
    """Obtaining an API key with the password alone would go round the second factor."""
    return required_for(user) or device_of(user) is not None


# --- set up, turn off, reset -----------------------------------------------------------------
@transaction.atomic
def setup_start(user: User) -> TOTPDevice:
    """A new key waiting for its first code (an earlier unconfirmed one is dropped)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


@transaction.atomic
def setup_confirm(request, code: str) -> TOTPDevice:
    """The first code from the app confirms the new key; it replaces any older device."""
    code = _clean(code)
    user = request.user
    device = pending_device_of(user)
    if device is None:
        raise ValidationError({"code": [_("Start the set-up again: no key is waiting.")]})
    if not device.verify_token(code):
        raise ValidationError({"code": [
            _("Wrong code. Check the phone's clock and enter the code now shown.")
        ]})  # fmt: skip
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    otp_login(request, device)
    request.session.pop(CODE_DUE_SESSION_KEY, None)
    audit.record(actor=user, action="two_factor.enable", obj=user)
    return device


@transaction.atomic
def turn_off(request, code: str) -> None:
    """The user turns off their own second factor, with a current code; not allowed to those
    whose roles require it."""
    user = request.user
    if required_for(user):
        raise ValidationError({"code": [_("Your role requires two-factor login; it cannot be turned off.")]})
    verify(request, code)
    TOTPDevice.objects.filter(user=user).delete()
    request.session.pop(DEVICE_ID_SESSION_KEY, None)
    audit.record(actor=user, action="two_factor.disable", obj=user)


@transaction.atomic
def reset(*, account: User, by, scope: Scope) -> int:
    """An officer or admin over the account's units removes its device (a lost phone): the
    account sets up a new one at its next login, if its role requires it."""
    units = {g.unit.path for g in account.grants.current()}
    if account.member_id:
        units.add(account.member.cell.path)
    if not units or not all(scope.covers(path, MANAGE_ROLES) for path in units):
        raise PermissionDenied
    removed, _by_model = TOTPDevice.objects.filter(user=account).delete()
    if removed:
        audit.record(actor=by, action="two_factor.reset", obj=account)
    return removed
