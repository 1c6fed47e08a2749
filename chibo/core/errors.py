"""The server-error handler (`handler500`): a busy database is a "try again" page, not an error.

Concurrent writers on SQLite never fail in normal operation: every transaction starts with
BEGIN IMMEDIATE (settings: `transaction_mode`), so a writer takes the write lock before it reads
anything, and while another writer holds the lock SQLite's busy handler retries for up to
`timeout` seconds (20). A transaction never has to be restarted — it fails, if at all, at its
BEGIN or at a single autocommit statement, before it has written anything — so there is
nothing for the application to retry that the busy handler does not already retry.

Only a lock held longer than that (a very large import, a maintenance command, an operator's
sqlite3 shell) lets "database is locked" through. On PostgreSQL the like are a lock timeout,
a deadlock or a serialisation failure: the transaction was rolled back. In every such case the
user is told, in their language, that the server is busy and to try again (HTTP 503 with
Retry-After); the recording screen keeps the unsaved text and sends it again by itself.
Every other exception gets the ordinary 500 page.
"""

from __future__ import annotations

import sqlite3
import sys
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.db import OperationalError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render, resolve_url
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views import defaults

from .http import is_htmx

RETRY_AFTER_SECONDS = 10
# PostgreSQL: lock_not_available, deadlock_detected, serialization_failure.
_PG_TRANSIENT = {"55P03", "40P01", "40001"}
_SQLITE_BUSY = ("database is locked", "database table is locked")


def is_database_busy(exc: BaseException | None) -> bool:
    """The exception (or one it was raised from) says the database was busy: trying the same
    request again later can succeed, and nothing of this attempt was stored."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, OperationalError | sqlite3.OperationalError):
            if any(text in str(exc).lower() for text in _SQLITE_BUSY):
                return True
        if getattr(exc, "sqlstate", None) in _PG_TRANSIENT:
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def _on_this_site(request, url: str) -> bool:
    try:
        return url_has_allowed_host_and_scheme(
            url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    except DisallowedHost:
        return False


def _again_url(request) -> str:
    """Where "try again" leads: the page itself, or for a form the page the form was on."""
    if request.method in ("GET", "HEAD"):
        return request.get_full_path()
    referer = request.headers.get("Referer", "")
    return referer if _on_this_site(request, referer) else "/"


def busy_response(request) -> HttpResponse:
    title = _("The server is busy")
    message = _(
        "Many people are saving at the same moment, so what you just sent was not saved. "
        "Nothing was lost or saved half-way. Please try again in a few seconds."
    )
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"detail": message}, status=503)
    elif is_htmx(request):
        response = _notice(status=503, kind="busy", message=message)
    else:
        # A page of its own, like 500.html: the base template's context reads the database.
        response = HttpResponse(format_html(
            '<!doctype html><html lang="{}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            '<title>{} · chibo</title><link rel="stylesheet" href="{}"></head><body class="p-4">'
            '<h1 class="h3">{}</h1><p>{}</p><p><a class="btn btn-outline-secondary" href="{}">{}</a></p>'
            "</body></html>",
            get_language() or "vi", title, static("vendor/bootstrap/bootstrap.min.css"), title,
            message, _again_url(request), _("Try again"),
        ), status=503)  # fmt: skip
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def server_error(request) -> HttpResponse:
    """`handler500`: called by Django while the exception is being handled."""
    if is_database_busy(sys.exc_info()[1]):
        return busy_response(request)
    return defaults.server_error(request)


# --- a page left open too long ---------------------------------------------------------------
# htmx follows redirects without telling the page: a fragment asked for after the session ended
# would come back as the login page with status 200, be swapped into the page, and the
# recording screen would take it for "saved" and forget its local copy. So an htmx request
# never gets the login page: it gets 401 (session ended) or 403 (the page's CSRF token is
# stale after a new login) with a notice that chibo.js shows at the top of the page, marked by
# the NOTICE_HEADER. What the user typed stays on the phone (minutes.js) until it is saved.
NOTICE_HEADER = "X-Chibo-Notice"


def _current_page(request) -> str:
    """The page the htmx request came from (its path), if it is on this site."""
    current = request.headers.get("HX-Current-URL", "")
    if not _on_this_site(request, current):
        return "/"
    parts = urlsplit(current)
    page = parts.path + (f"?{parts.query}" if parts.query else "")
    # "https://host//evil.example/x" is on this site, but its path alone would leave it.
    return page if _on_this_site(request, page) else "/"


def _notice(*, status: int, kind: str, message: str, action: str = "", url: str = "") -> HttpResponse:
    """Rendered without the request: no context processor, no database read (a busy database
    gets one too)."""
    html = render_to_string("core/_notice.html", {"message": message, "action": action, "url": url})
    response = HttpResponse(html, status=status)
    response[NOTICE_HEADER] = kind
    response["Cache-Control"] = "no-store"
    return response


def session_ended(request) -> HttpResponse:
    page = _current_page(request)
    return _notice(
        status=401, kind="session-ended", action=_("Log in again"),
        url=f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': page})}",
        message=_("Your session has ended (or is waiting for its two-factor code). What you typed "
                  "is kept on this device: log in again and the page puts it back."),
    )  # fmt: skip


def csrf_failure(request, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: a form sent from a page opened before the last login (or kept open
    very long). Django's own page is in English and says nothing useful to a member."""
    if is_htmx(request):
        return _notice(
            status=403, kind="page-outdated", action=_("Reload the page"),
            url=_current_page(request),
            message=_("This page is out of date (you logged in again since it was opened). What "
                      "you typed is kept on this device: reload the page and it puts it back."),
        )  # fmt: skip
    return render(request, "403_csrf.html", {"again": _again_url(request)}, status=403)
