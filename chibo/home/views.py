"""The member's home page. Thin: read the selector, render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from chibo.accounts.access import scope_for

from . import selectors


@login_required
@require_GET
def member_home(request):
    today = timezone.localdate()
    home = selectors.member_home(scope_for(request.user), today=today)
    return render(request, "home/member_home.html", {"home": home, "today": today})
