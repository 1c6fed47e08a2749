import time
from urllib.parse import urlsplit

from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils import translation

from .errors import session_ended
from .http import is_htmx


class LanguageMiddleware:
    """Vietnamese unless the user chose another language (the language cookie).

    Unlike Django's LocaleMiddleware this ignores Accept-Language: many phones in Vietnam
    run with an English system language, and their users still expect chibo in Vietnamese.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.available = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.available else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class SessionRefreshMiddleware:
    """A session ends after SESSION_COOKIE_AGE without a request (inactivity), to within
    REFRESH_SECONDS. Django's SESSION_SAVE_EVERY_REQUEST gives the same by writing the session
    on every request; this writes it at most once per REFRESH_SECONDS, so reading pages does not
    take the database's write lock each time. Placed after SessionMiddleware, which saves the
    marked session and renews its cookie on the way out."""

    REFRESH_SECONDS = 300
    KEY = "chibo_refreshed"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = int(time.time())
            if now - request.session.get(self.KEY, 0) >= self.REFRESH_SECONDS:
                request.session[self.KEY] = now
        return response


def session_started(sender, request, user, **kwargs) -> None:
    """Receiver of user_logged_in: a new session is fresh, its first renewal is due later."""
    session = getattr(request, "session", None)
    if session is not None and getattr(request, "user", user) == user:  # not an API key request
        session[SessionRefreshMiddleware.KEY] = int(time.time())


class HtmxLoginMiddleware:
    """For an htmx request, a redirect to the login or two-factor pages becomes a 401 notice
    (see errors.session_ended: htmx would swap the login page in and call it a success)."""

    LOGIN_PAGES = ("two_factor_verify", "two_factor_setup")

    def __init__(self, get_response):
        self.get_response = get_response
        self._paths: set[str] | None = None

    def login_paths(self) -> set[str]:
        if self._paths is None:
            self._paths = {resolve_url(settings.LOGIN_URL), *map(reverse, self.LOGIN_PAGES)}
        return self._paths

    def __call__(self, request):
        response = self.get_response(request)
        if (is_htmx(request) and response.status_code in (301, 302)
                and urlsplit(response.get("Location", "")).path in self.login_paths()):  # fmt: skip
            return session_ended(request)
        return response
