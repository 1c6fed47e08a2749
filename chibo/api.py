"""The JSON API at /api/v1/ (django-ninja): authentication, error format, routers.

Authentication: an `Authorization: Bearer <key>` header (API tokens, see
`chibo.accounts.tokens`), or the browser's session cookie, which needs a CSRF token for
unsafe methods. Errors are JSON: `{"detail": "..."}`, and for invalid data (422) also
`{"errors": {field: [messages]}}`. Messages follow the request's language (LocaleMiddleware).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.security import HttpBearer
from ninja.security.apikey import APIKeyCookie
from ninja.utils import check_csrf

from chibo.accounts.api import router as accounts_router
from chibo.accounts.tokens import token_authenticate
from chibo.core.api import router as audit_router
from chibo.documents.api import router as documents_router
from chibo.followup.api import router as tasks_router
from chibo.followup.risk_api import router as members_at_risk_router
from chibo.meetings.api import router as meetings_router
from chibo.meetings.attachment_api import router as meeting_attachments_router
from chibo.meetings.template_api import router as meeting_templates_router
from chibo.notify.api import router as notify_router
from chibo.org.api import router as org_router
from chibo.quality.api import router as quality_router
from chibo.reports.api import router as reports_router
from chibo.rulebooks.api import router as rulebooks_router


class BearerAuth(HttpBearer):
    """`Authorization: Bearer <key>` with a key from /api/v1/auth/token or the API keys page."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = token_authenticate(token)
        if user is not None:
            # Code that reads request.user (audit, scope) sees the token's owner.
            request.user = user
        return user


class SessionAuth(APIKeyCookie):
    """Django's session cookie, as in the browser. Unsafe methods need the CSRF token
    (X-CSRFToken header). An anonymous request answers 401, never a CSRF 403."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        if not request.user.is_authenticated:
            return None
        if not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise HttpError(403, _("CSRF check failed. Reload the page and try again."))
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return request.user if request.user.is_authenticated else None


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {key: _without_nul(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    return value


class TextParser(Parser):
    """ninja's parser (JSON bodies, query strings, forms) without NUL characters in the texts:
    PostgreSQL can neither store nor compare them, so a name, a search or a login holding one
    would end in a server error. The services drop the other control characters when they
    store a text (`chibo.core.text.normalize`)."""

    def parse_body(self, request: HttpRequest) -> Any:
        return _without_nul(super().parse_body(request))

    def parse_querydict(self, data, list_fields, request: HttpRequest) -> Any:
        return _without_nul(super().parse_querydict(data, list_fields, request))


def _field_of(loc: tuple | list) -> str:
    """The field a ninja/pydantic error location points at: ("body", "data", "birth_date")
    → "birth_date"; ("query", "limit") → "limit"."""
    parts = [str(p) for p in loc]
    if parts and parts[0] == "body":
        parts = parts[2:] if len(parts) > 2 else parts[1:]
    elif parts and parts[0] in {"query", "path", "header", "cookie", "form"}:
        parts = parts[1:]
    return ".".join(parts) or "__all__"


def _input_error_message(error: dict[str, Any]) -> str:
    """Pydantic's messages are English-only: say the common ones through gettext."""
    kind = error.get("type", "")
    if kind == "missing":
        return _("This field is required.")
    if kind.startswith("date") or kind.startswith("datetime"):
        return _("Enter a valid date (YYYY-MM-DD).")
    if kind.startswith("time"):
        return _("Enter a valid time (HH:MM).")
    if kind.startswith("int") or kind.startswith("float"):
        return _("Enter a whole number.")
    if kind == "enum" or kind == "literal_error":
        return _("Select a valid choice.")
    if kind == "extra_forbidden":
        return _("This field cannot be changed here.")
    if kind.startswith("string") or kind == "bool_type":
        return _("Enter a valid value.")
    if kind in {"greater_than_equal", "less_than_equal", "greater_than", "less_than"}:
        return _("The value is out of range.")
    if kind == "value_error":  # raised by our own validators, already translated
        return str(error.get("ctx", {}).get("error", error.get("msg", "")))
    return str(error.get("msg", _("Enter a valid value.")))


api = NinjaAPI(
    title="chibo API",
    version="1",
    description=(
        "API of chibo, the party-cell meeting system. Authenticate with "
        "`Authorization: Bearer <key>` (POST /api/v1/auth/token, or the API keys page) "
        "or with the browser session (CSRF token required for changes). Objects outside "
        "your grants answer 404."
    ),
    urls_namespace="api",
    auth=[BearerAuth(), SessionAuth()],
    parser=TextParser(),
)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": _("Not found.")}, status=404)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request, {"detail": _("Authentication required: log in or send an API key.")}, status=401
    )


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    detail = str(exc) or _("You do not have permission to do this.")
    return api.create_response(request, {"detail": detail}, status=403)


@api.exception_handler(DjangoValidationError)
def _invalid(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    """A service refused the data: {"detail": ..., "errors": {field: [messages]}}."""
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return api.create_response(
        request,
        {"detail": _("The data is not valid."), "errors": errors},
        status=422,
    )


@api.exception_handler(NinjaValidationError)
def _invalid_input(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    """Malformed input (types, missing fields) in the same shape as a service's refusal."""
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        errors.setdefault(_field_of(error.get("loc", ())), []).append(_input_error_message(error))
    return api.create_response(
        request,
        {"detail": _("The data is not valid."), "errors": errors},
        status=422,
    )


api.add_router("/auth", accounts_router)
api.add_router("/", org_router)
api.add_router("/", meetings_router)
api.add_router("/", meeting_attachments_router)
api.add_router("/", meeting_templates_router)
api.add_router("/", tasks_router)
api.add_router("/", members_at_risk_router)
api.add_router("/", rulebooks_router)
api.add_router("/", quality_router)
api.add_router("/", reports_router)
api.add_router("/", documents_router)
api.add_router("/", notify_router)
api.add_router("/", audit_router)
