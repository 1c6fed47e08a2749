"""Account management for officers and admins: accounts and grants inside their subtree."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from chibo.org import selectors as org_selectors
from chibo.org.forms import apply_service_errors
from chibo.org.models import Unit

from . import selectors, services, two_factor
from .access import MANAGE_ROLES, scope_for
from .forms import GrantForm, SetPasswordForm, UserCreateForm


def _manager_scope(request):
    scope = scope_for(request.user)
    if not scope.can_manage_anything:
        raise PermissionDenied
    return scope


def _units(scope):
    return Unit.objects.filter(scope.units_q(MANAGE_ROLES), is_active=True)


@login_required
def user_list(request):
    scope = _manager_scope(request)
    q = request.GET.get("q", "")
    users = list(selectors.managed_users(scope, q)[:200])
    return render(request, "accounts/user_list.html", {"users": users, "q": q})


@login_required
def user_create(request):
    scope = _manager_scope(request)
    member = None
    if member_pk := request.GET.get("member") or request.POST.get("member"):
        member = org_selectors.get_member(scope, member_pk)
        if not scope.can_manage_unit(member.cell):
            raise PermissionDenied
    initial = {}
    if member is not None:
        initial = {
            "full_name": member.full_name,
            "email": member.email,
            "role": "member",
            "unit": member.cell.code,
        }
    form = UserCreateForm(request.POST or None, initial=initial, units=_units(scope))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                user = services.user_create(username=data["username"], full_name=data["full_name"],
                                            email=data["email"], member=member, by=request.user)  # fmt: skip
                services.user_set_password(user=user, password=data["password"], by=request.user)
                services.grant_create(
                    user=user, role=data["role"], unit=data["unit"], by=request.user, scope=scope
                )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Account %(name)s created.") % {"name": user.username})
            return redirect("user_detail", pk=user.pk)
    return render(request, "accounts/user_form.html", {"form": form, "member": member})


@login_required
def user_detail(request, pk: int):
    scope = _manager_scope(request)
    account = selectors.get_managed_user(scope, pk)
    grant_form = GrantForm(units=_units(scope), prefix="grant")
    password_form = SetPasswordForm(prefix="pw")
    if request.method == "POST":
        try:
            if "grant-role" in request.POST:
                grant_form = GrantForm(request.POST, units=_units(scope), prefix="grant")
                if grant_form.is_valid():
                    services.grant_create(
                        user=account, by=request.user, scope=scope, **grant_form.cleaned_data
                    )
                    messages.success(request, _("Role given."))
                    return redirect("user_detail", pk=account.pk)
            else:
                password_form = SetPasswordForm(request.POST, prefix="pw")
                if password_form.is_valid():
                    services.user_set_password(
                        user=account, by=request.user, **password_form.cleaned_data
                    )
                    messages.success(request, _("Password set."))
                    return redirect("user_detail", pk=account.pk)
        except ValidationError as error:
            apply_service_errors(
                grant_form if "grant-role" in request.POST else password_form, error
            )
    grantable = {g.pk for g in account.current_grants if services.can_grant(scope, g.role, g.unit)}
    return render(request, "accounts/user_detail.html", {
        "account": account, "grant_form": grant_form, "password_form": password_form, "grantable": grantable,
        "has_two_factor": two_factor.device_of(account) is not None,
    })  # fmt: skip


@login_required
@require_POST
def grant_revoke(request, pk: int):
    scope = _manager_scope(request)
    grant = selectors.get_managed_grant(scope, pk)
    try:
        services.grant_revoke(grant=grant, by=request.user, scope=scope)
        messages.success(request, _("Role revoked."))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("user_detail", pk=grant.user_id)
