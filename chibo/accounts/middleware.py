"""Holds back a session that still owes its second factor (see two_factor.py)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from . import two_factor

# What a session owing a code may still open: the code pages, logging out, the language
# switch, static files and the health check.
OPEN_URL_NAMES = ("two_factor_verify", "two_factor_setup", "logout", "set_language")
OPEN_PREFIXES = ("/static/", "/health")


class TwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self._open_paths = None

    def open_paths(self) -> set[str]:
        if self._open_paths is None:
            self._open_paths = {reverse(name) for name in OPEN_URL_NAMES}
        return self._open_paths

    def __call__(self, request):
        path = request.path_info
        if path.startswith(OPEN_PREFIXES):
            return self.get_response(request)
        if path in self.open_paths():
            # The code pages show no menu while a code is owed: its links would lead back here.
            request.two_factor_due = two_factor.code_due(request)
            return self.get_response(request)
        if two_factor.code_due(request):
            if path.startswith("/api/"):
                return JsonResponse(
                    {"detail": _("Two-factor login: enter the code from the authenticator app "
                                 "on the website first.")},
                    status=403,
                )  # fmt: skip
            target = "two_factor_verify" if two_factor.device_of(request.user) else "two_factor_setup"
            query = urlencode({"next": request.get_full_path()}) if request.method == "GET" else ""
            return redirect(reverse(target) + (f"?{query}" if query else ""))
        return self.get_response(request)
