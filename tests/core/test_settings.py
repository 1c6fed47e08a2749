"""Settings come from the environment; production settings pass Django's deploy checks."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(args, env_extra, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHIBO_") and k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env |= {"CHIBO_VAR_DIR": str(tmp_path / "var"), "DJANGO_SETTINGS_MODULE": "chibo.settings"} | env_extra
    return subprocess.run([sys.executable, "-m", "chibo", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def test_production_settings_pass_deploy_checks(tmp_path):
    result = _run(
        ["check", "--deploy", "--fail-level", "WARNING"],
        {"CHIBO_SECRET_KEY": "x" * 20 + "-production-secret-key-with-enough-entropy-9f8e7d6c5b4a",
         "CHIBO_ALLOWED_HOSTS": "chibo.tinhuy.vn"},
        tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_debug_settings_fail_deploy_checks(tmp_path):
    """The check above can fail: DEBUG on is reported."""
    result = _run(["check", "--deploy", "--fail-level", "WARNING"], {"CHIBO_DEBUG": "1"}, tmp_path)
    assert result.returncode != 0
    assert "DEBUG" in result.stdout + result.stderr


def test_secret_key_is_generated_once_into_var(tmp_path):
    code = ["shell", "--no-imports", "-c", "from django.conf import settings; print(settings.SECRET_KEY)"]
    first = _run(code, {}, tmp_path)
    second = _run(code, {}, tmp_path)
    assert first.returncode == 0, first.stderr
    key_file = tmp_path / "var" / "secret_key"
    assert key_file.exists() and oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert first.stdout.strip() == second.stdout.strip() == key_file.read_text().strip()
    assert len(first.stdout.strip()) >= 50


def test_database_url_selects_the_engine(tmp_path):
    code = ["shell", "--no-imports", "-c", "from django.conf import settings; print(settings.DATABASES['default']['ENGINE'])"]
    default = _run(code, {}, tmp_path)
    assert default.stdout.strip() == "django.db.backends.sqlite3"
    pg = _run(code, {"CHIBO_DATABASE_URL": "postgres://u:p@db.example/chibo"}, tmp_path)
    assert pg.stdout.strip() == "django.db.backends.postgresql"
