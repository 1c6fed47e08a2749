"""The production settings, as an installation following deploy/chibo.env.example gets them:
`chibo check --deploy` finds nothing, and the answers carry HSTS, the CSP and secure cookies.

Run in subprocesses, because the test settings switch HTTPS off."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# In a subprocess with the production settings: a login page over HTTP and over HTTPS (as
# nginx forwards it), then a login, and what they answer.
PROBE = """
import json
from django.test import Client
from django.conf import settings
from django.core.management import call_command
call_command("migrate", verbosity=0)
call_command("collectstatic", interactive=False, verbosity=0)
from chibo.accounts.models import User
User.objects.create_user("kiemtra", password="Mat-khau-kiem-tra-2026")
plain = Client(HTTP_HOST="chibo.example.vn").get("/accounts/login/")
client = Client(HTTP_X_FORWARDED_PROTO="https", HTTP_HOST="chibo.example.vn")
page = client.get("/accounts/login/")
login = client.post("/accounts/login/", {"username": "kiemtra", "password": "Mat-khau-kiem-tra-2026"})
cookies = {name: {k: str(v) for k, v in morsel.items() if v} for name, morsel in client.cookies.items()}
print(json.dumps({
    "plain": [plain.status_code, plain.get("Location", "")],
    "page": page.status_code,
    "headers": dict(page.headers),
    "login": login.status_code,
    "cookies": cookies,
    "two_factor_roles": settings.CHIBO_TWO_FACTOR_ROLES,
}))
"""


@pytest.fixture
def production_env(tmp_path):
    # Nothing of the test process's own set-up (CHIBO_HTTPS=0, the browser tests'
    # DJANGO_ALLOW_ASYNC_UNSAFE…) may leak into the production process.
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("CHIBO_", "DJANGO_"))}  # fmt: skip
    env.update({
        "DJANGO_SETTINGS_MODULE": "chibo.settings",
        "CHIBO_VAR_DIR": str(tmp_path),
        "CHIBO_DATABASE_URL": f"sqlite:///{tmp_path / 'chibo.sqlite3'}",
        "CHIBO_SECRET_KEY": secrets.token_urlsafe(50),
        "CHIBO_ALLOWED_HOSTS": "chibo.example.vn",
        "CHIBO_CSRF_TRUSTED_ORIGINS": "https://chibo.example.vn",
        "CHIBO_SITE_URL": "https://chibo.example.vn",
    })  # fmt: skip
    return env


def chibo(env, *args):
    return subprocess.run([sys.executable, "-m", "chibo", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=180)  # fmt: skip


def test_check_deploy_is_clean(production_env):
    result = chibo(production_env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_catches_an_unsafe_setting(production_env):
    """The check above can fail: debug on is reported."""
    result = chibo(production_env | {"CHIBO_DEBUG": "1"}, "check", "--deploy",
                   "--fail-level", "WARNING")  # fmt: skip
    assert result.returncode != 0
    assert "security.W018" in result.stdout + result.stderr


def test_production_answers_are_hardened(production_env):
    result = chibo(production_env, "shell", "-v", "0", "-c", PROBE)
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout.strip().splitlines()[-1])
    assert got["plain"] == [301, "https://chibo.example.vn/accounts/login/"]  # HTTP goes to HTTPS
    assert got["page"] == 200
    headers = got["headers"]
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert got["login"] == 302
    session, csrf = got["cookies"]["sessionid"], got["cookies"]["csrftoken"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"
    assert csrf["secure"]
    assert got["two_factor_roles"] == ["officer", "admin"]  # required unless switched off


def test_processes_starting_together_agree_on_the_generated_secret_key(tmp_path):
    """Without CHIBO_SECRET_KEY, the first start writes var/secret_key; gunicorn workers and the
    worker starting at the same moment must not read it half-written."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CHIBO_")}
    env["CHIBO_VAR_DIR"] = str(tmp_path)
    code = "import chibo.settings as s; print(repr(s.SECRET_KEY))"
    processes = [subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env,
                                  stdout=subprocess.PIPE, text=True) for _ in range(12)]  # fmt: skip
    keys = {process.communicate(timeout=120)[0].strip() for process in processes}
    assert len(keys) == 1 and len(keys.pop()) > 40
    assert [p.name for p in tmp_path.iterdir() if "secret" in p.name] == ["secret_key"]
