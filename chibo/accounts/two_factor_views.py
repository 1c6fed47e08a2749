"""Pages of two-factor login: enter a code after the password, set up or turn off the app,
and an officer's reset for a lost phone."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from chibo.org.forms import apply_service_errors

from . import selectors, two_factor
from .views import _manager_scope


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code from the app"),
        max_length=12,
        widget=forms.TextInput(attrs={
            "class": "form-control form-control-lg text-center", "inputmode": "numeric",
            "autocomplete": "one-time-code", "autofocus": True, "pattern": "[0-9 ]*",
        }),  # fmt: skip
    )


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return "/"


@login_required
def verify(request):
    if two_factor.is_verified(request):
        return redirect(_next_url(request))
    if two_factor.device_of(request.user) is None:
        return redirect("two_factor_setup")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            two_factor.verify(request, form.cleaned_data["code"])
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            return redirect(_next_url(request))
    return render(request, "accounts/two_factor_verify.html",
                  {"form": form, "next": _next_url(request)},
                  status=422 if form.errors else 200)  # fmt: skip


@login_required
def setup(request):
    """Status and set-up. POST action=start makes a new key; a code confirms it; action=off
    turns it off with a current code."""
    user = request.user
    device = two_factor.device_of(user)
    verified = two_factor.is_verified(request)
    form = CodeForm(request.POST or None)
    action = request.POST.get("action", "")
    if request.method == "POST":
        if device is not None and not verified:
            return redirect("two_factor_verify")  # changing a working device needs a code first
        if action == "start":
            two_factor.setup_start(user)
            return redirect("two_factor_setup")
        if form.is_valid():
            try:
                if action == "off":
                    two_factor.turn_off(request, form.cleaned_data["code"])
                    messages.success(request, _("Two-factor login is off."))
                    return redirect("two_factor_setup")
                two_factor.setup_confirm(request, form.cleaned_data["code"])
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(request, _("Two-factor login is on. From now on, each login "
                                            "asks for the code shown by the app."))  # fmt: skip
                return redirect(_next_url(request))
    pending = two_factor.pending_device_of(user)
    context = {
        "form": form,
        "device": device,
        "pending": pending,
        "qr_code": two_factor.qr_code_data_uri(pending) if pending else "",
        "secret": two_factor.secret_for_typing(pending) if pending else "",
        "required": two_factor.required_for(user),
        "next": _next_url(request),
    }
    return render(request, "accounts/two_factor.html", context,
                  status=422 if form.errors else 200)  # fmt: skip


@login_required
@require_POST
def reset(request, pk: int):
    scope = _manager_scope(request)
    account = selectors.get_managed_user(scope, pk)
    if two_factor.reset(account=account, by=request.user, scope=scope):
        messages.success(request, _("The authenticator app of %(name)s was removed; a new one "
                                    "is set up at the next login.") % {"name": account.username})  # fmt: skip
    else:
        messages.info(request, _("This account has no authenticator app."))
    return redirect("user_detail", pk=account.pk)
