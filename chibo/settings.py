"""Settings, read from environment variables (see README, "Cấu hình")."""

import json
import os
import secrets
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("CHIBO_VAR_DIR", BASE_DIR.parent / "var")).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    """CHIBO_SECRET_KEY, or a key generated once into var/secret_key. Processes starting
    together on a new var/ must agree: the key is written whole to a file of this process and
    linked into place, so nobody reads a half-written file, and the first link wins."""
    if key := os.environ.get("CHIBO_SECRET_KEY"):
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        mine = VAR_DIR / f".secret_key.{os.getpid()}"
        fd = os.open(mine, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(50))
        try:
            os.link(mine, path)
        except FileExistsError:
            pass
        finally:
            mine.unlink()
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = _env_bool("CHIBO_DEBUG")
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("CHIBO_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CHIBO_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "treebeard",
    "ninja",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    "chibo.core",
    "chibo.org",
    "chibo.accounts",
    "chibo.rulebooks",
    "chibo.meetings",
    "chibo.followup",
    "chibo.quality",
    "chibo.reports",
    "chibo.documents",
    "chibo.notify",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "chibo.core.middleware.SessionRefreshMiddleware",
    "chibo.core.middleware.LanguageMiddleware",
    "chibo.core.middleware.HtmxLoginMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "chibo.accounts.middleware.TwoFactorMiddleware",
]

ROOT_URLCONF = "chibo.urls"
WSGI_APPLICATION = "chibo.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "chibo.accounts.context.scope",
                "chibo.notify.context.unread",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("CHIBO_DATABASE_URL", f"sqlite:///{VAR_DIR / 'chibo.sqlite3'}"),
        conn_max_age=int(os.environ.get("CHIBO_DB_CONN_MAX_AGE", "0")),
        conn_health_checks=True,  # a kept connection the server closed is replaced, not an error
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout: readers never block the writer, and a writer waits
    # for another instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "chibo.accounts.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Two-factor login (TOTP, django-otp): anyone may turn it on; holders of these roles must.
# An empty value turns the obligation off (the local demo of ./run does).
CHIBO_TWO_FACTOR_ROLES = [
    r.strip() for r in os.environ.get("CHIBO_TWO_FACTOR_ROLES", "officer,admin").split(",")
    if r.strip()
]
OTP_TOTP_ISSUER = os.environ.get("CHIBO_TWO_FACTOR_ISSUER", "chibo")

# Lock-out after repeated failed logins (django-axes).
AXES_FAILURE_LIMIT = int(os.environ.get("CHIBO_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.5  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
# Behind a reverse proxy the client's address is in X-Real-IP, believed only from these
# addresses (deploy: 127.0.0.1,::1); otherwise every client would share the proxy's lock-out.
CHIBO_TRUSTED_PROXIES = [
    p.strip() for p in os.environ.get("CHIBO_TRUSTED_PROXIES", "").split(",") if p.strip()
]
AXES_CLIENT_IP_CALLABLE = "chibo.core.net.client_ip"

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["chibo.formats"]

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(VAR_DIR / "cache"),
    }
}

DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
CHIBO_IMPORT_MAX_BYTES = int(os.environ.get("CHIBO_IMPORT_MAX_BYTES", str(20 * 1024 * 1024)))

# E-mail: console in development, SMTP when CHIBO_EMAIL_HOST is set.
EMAIL_HOST = os.environ.get("CHIBO_EMAIL_HOST", "")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = int(os.environ.get("CHIBO_EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("CHIBO_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("CHIBO_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = _env_bool("CHIBO_EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = os.environ.get("CHIBO_EMAIL_FROM", "chibo@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Notifications. Links in e-mails and messages start with CHIBO_SITE_URL. Outside channels:
# e-mail always; CHIBO_NOTIFY_WEBHOOKS adds gateways, a JSON list of {"name", "label", "url",
# "secret", "to": "phone"|"email", "default_on", "kinds"} (README, "Thông báo").
CHIBO_SITE_URL = os.environ.get("CHIBO_SITE_URL", "http://127.0.0.1:8000")
CHIBO_REMINDER_HOUR = int(os.environ.get("CHIBO_REMINDER_HOUR", "7"))  # daily checks from this hour
# /health fails when no worker has been seen for this long (a pass is every few seconds).
CHIBO_HEALTH_WORKER_SECONDS = int(os.environ.get("CHIBO_HEALTH_WORKER_SECONDS", "300"))
CHIBO_NOTIFICATION_DAYS = int(os.environ.get("CHIBO_NOTIFICATION_DAYS", "365"))  # kept this long
CHIBO_NOTIFY_CHANNELS = [
    {"class": "chibo.notify.channels.EmailChannel"},
    *({"class": "chibo.notify.channels.WebhookChannel", **hook}
      for hook in json.loads(os.environ.get("CHIBO_NOTIFY_WEBHOOKS") or "[]")),
]
# Background jobs: queued in the database, run by `chibo worker`.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

SESSION_COOKIE_AGE = int(os.environ.get("CHIBO_SESSION_SECONDS", str(8 * 3600)))
# The age counts from the last request (expiry on inactivity): chibo.core.middleware.
# SessionRefreshMiddleware renews it at most every 5 minutes instead of on every request.
SESSION_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "chibo.core.errors.csrf_failure"
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy (django-csp): scripts and styles only from chibo's own static files,
# no inline script, event-handler attribute or style attribute (behaviour lives in
# static/chibo/chibo.js as data attributes). Downloads of stored files set a stricter one.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

if not DEBUG:
    _https = _env_bool("CHIBO_HTTPS", True)
    SESSION_COOKIE_SECURE = _https
    CSRF_COOKIE_SECURE = _https
    SECURE_SSL_REDIRECT = _https and _env_bool("CHIBO_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("CHIBO_HSTS_SECONDS", "31536000")) if _https else 0
    SECURE_HSTS_INCLUDE_SUBDOMAINS = _https
    SECURE_HSTS_PRELOAD = _https
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("CHIBO_LOG_LEVEL", "WARNING")},
}

NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_LIMIT = 500
