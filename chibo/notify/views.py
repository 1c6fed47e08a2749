"""The caller's notifications: the list, opening one (marks it read and goes where it points),
marking all read, and which kinds reach the caller outside chibo."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import selectors, services
from .forms import ChoicesForm

PER_PAGE = 30


@login_required
@require_GET
def notification_list(request):
    unread_only = request.GET.get("show") == "unread"
    page = Paginator(selectors.my_notifications(request.user, unread_only=unread_only),
                     PER_PAGE).get_page(request.GET.get("page"))  # fmt: skip
    return render(request, "notify/list.html", {
        "page": page, "items": selectors.rendered(page.object_list), "unread_only": unread_only,
    })  # fmt: skip


@login_required
@require_GET
def notification_open(request, pk: int):
    notification = services.mark_read(notification=selectors.get_mine(request.user, pk))
    target = notification.url
    if not target or not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect("notification_list")
    return redirect(target)


@login_required
@require_POST
def notifications_read_all(request):
    count = services.mark_all_read(user=request.user)
    messages.success(request, ngettext("%(n)s notification marked read.",
                                       "%(n)s notifications marked read.", count) % {"n": count})
    return redirect("notification_list")


@login_required
@require_http_methods(["GET", "POST"])
def notification_choices(request):
    form = ChoicesForm(request.POST or None, current=services.choices_of(request.user))
    if request.method == "POST" and form.is_valid():
        services.choices_save(user=request.user, enabled=form.enabled())
        messages.success(request, _("Your choices are saved."))
        return redirect("notification_choices")
    contact = services.contacts([request.user.pk]).get(request.user.pk)
    return render(request, "notify/choices.html", {"form": form, "contact": contact})
