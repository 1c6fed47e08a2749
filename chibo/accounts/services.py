"""Accounts and grants: created and revoked by officers and admins inside their subtree."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chibo.core import audit
from chibo.core.text import normalize

from .access import Scope
from .models import Grant, Role, User

# Which roles a grant of each kind may hand out (inside its own subtree).
GRANTABLE_BY = {
    Role.ADMIN: set(Role.values),
    Role.OFFICER: {Role.MEMBER, Role.CLERK, Role.SECRETARY, Role.ATTENDEE},
}
CELL_ROLES = {Role.MEMBER, Role.CLERK, Role.SECRETARY, Role.ATTENDEE}
TITLE_MAX_LENGTH = 255


def can_grant(scope: Scope, role: str, unit) -> bool:
    if scope.is_superuser:
        return True
    return any(
        role in GRANTABLE_BY.get(g.role, set()) and unit.path.startswith(g.path)
        for g in scope.grants
    )


@transaction.atomic
def user_create(*, username: str, full_name: str, email: str = "", member=None, by) -> User:
    username = normalize(username).lower()
    errors: dict[str, list[str]] = {}
    if not username:
        errors["username"] = [_("This field is required.")]
    elif User.objects.filter(username__iexact=username).exists():
        errors["username"] = [_("This username is taken.")]
    if member is not None and User.objects.filter(member=member).exists():
        errors["member"] = [_("This member already has an account.")]
    if errors:
        raise ValidationError(errors)
    family, _sep, given = normalize(full_name).rpartition(" ")
    user = User(username=username, email=normalize(email), member=member,
                first_name=given, last_name=family)  # fmt: skip
    user.set_unusable_password()
    user.save()
    audit.record(actor=by, action="user.create", obj=user,
                 unit_path=member.cell.path if member else "", changes={"username": [None, username]})  # fmt: skip
    return user


@transaction.atomic
def grant_create(*, user: User, role: str, unit, by, scope: Scope,
                 valid_until=None, title: str = "") -> Grant:  # fmt: skip
    errors: dict[str, list[str]] = {}
    title = normalize(title)
    if valid_until is not None and valid_until < timezone.localdate():
        errors["valid_until"] = [_("The last day cannot be in the past.")]
    if len(title) > TITLE_MAX_LENGTH:
        errors["title"] = [_("The position is too long (at most %(n)s characters).")
                           % {"n": TITLE_MAX_LENGTH}]  # fmt: skip
    if role not in Role.values:
        errors["role"] = [_("Unknown role.")]
    elif not can_grant(scope, role, unit):
        errors["role"] = [_("You cannot give this role on this unit.")]
    elif role in CELL_ROLES and not unit.holds_members:
        errors["unit"] = [_("This role is given on a cell.")]
    elif role in (Role.OFFICER,) and unit.holds_members:
        errors["unit"] = [_("This role is given on a committee, not a cell.")]
    if not unit.is_active:
        errors["unit"] = [_("The unit has been dissolved.")]
    if not errors and Grant.objects.current().filter(user=user, role=role, unit=unit).exists():
        errors["role"] = [_("The account already has this role on this unit.")]
    if errors:
        raise ValidationError(errors)
    grant = Grant.objects.create(user=user, role=role, unit=unit, created_by=by,
                                 valid_until=valid_until, title=title)  # fmt: skip
    audit.record(actor=by, action="grant.create", obj=grant, unit_path=unit.path,
                 changes={"grant": [None, f"{user.username} · {role} · {unit.code}"],
                          "valid_until": valid_until, "title": title})  # fmt: skip
    return grant


@transaction.atomic
def grant_revoke(*, grant: Grant, by, scope: Scope) -> Grant:
    if not can_grant(scope, grant.role, grant.unit):
        raise ValidationError(_("You cannot revoke this role."))
    if grant.revoked_at is None:
        grant.revoked_at = timezone.now()
        grant.save(update_fields=["revoked_at"])
        audit.record(actor=by, action="grant.revoke", obj=grant, unit_path=grant.unit.path,
                     changes={"grant": [f"{grant.user.username} · {grant.role} · {grant.unit.code}", None]})  # fmt: skip
    return grant


@transaction.atomic
def user_set_password(*, user: User, password: str, by) -> User:
    """An officer sets a first or new password (the user should change it after logging in)."""
    from django.contrib.auth.password_validation import validate_password

    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"password": error.messages}) from None
    user.set_password(password)
    user.save(update_fields=["password"])
    audit.record(actor=by, action="user.set_password", obj=user)
    return user
