"""The "API keys" page: a user lists, creates and revokes their own API tokens."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from . import tokens

# The raw key of a token just created waits here until the next page view shows it, once.
NEW_KEY_SESSION = "chibo_new_api_key"


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=tokens.NAME_MAX_LENGTH,
        help_text=gettext_lazy("To recognise the key later, e.g. the program that uses it."),
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
    )
    days = forms.IntegerField(
        label=gettext_lazy("Valid for (days)"),
        min_value=1,
        max_value=tokens.MAX_DAYS,
        initial=tokens.DEFAULT_DAYS,
        widget=forms.NumberInput(attrs={"class": "form-control"}),
    )


def _page(request: HttpRequest, form: TokenCreateForm, *, status: int = 200) -> HttpResponse:
    new_key = request.session.pop(NEW_KEY_SESSION, None)
    context = {
        "tokens": list(tokens.tokens_of(request.user)),
        "form": form,
        "new_key": new_key,
        "max_days": tokens.MAX_DAYS,
    }
    return render(request, "accounts/tokens.html", context, status=status)


@login_required
@require_GET
def token_list(request: HttpRequest) -> HttpResponse:
    return _page(request, TokenCreateForm())


@login_required
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    form = TokenCreateForm(request.POST)
    if form.is_valid():
        try:
            token, raw = tokens.token_create(
                user=request.user, name=form.cleaned_data["name"], days=form.cleaned_data["days"]
            )
        except ValidationError as error:
            for field, field_errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, field_errors)
        else:
            request.session[NEW_KEY_SESSION] = {"id": token.pk, "name": token.name, "key": raw}
            return redirect("token_list")
    return _page(request, form)


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = tokens.get_own_token(request.user, pk)
    tokens.token_revoke(token=token, by=request.user)
    messages.success(request, _("The key “%(name)s” has been revoked.") % {"name": token.name})
    return redirect("token_list")
