"""Shared set-up for the benchmark scripts: choose the database *before* Django starts."""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE = REPO / "var" / "bench" / "province.sqlite3"


def configure(sqlite_path: Path | None) -> str:
    """Point chibo at the benchmark database and start Django. Returns a short description.

    CHIBO_DATABASE_URL wins when set (e.g. PostgreSQL); otherwise the SQLite file at
    `sqlite_path`. CHIBO_VAR_DIR goes to a temporary directory so the benchmark never touches
    the developer's var/ (secret key, cache)."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    if "CHIBO_DATABASE_URL" not in os.environ:
        assert sqlite_path is not None
        sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        os.environ["CHIBO_DATABASE_URL"] = f"sqlite:///{sqlite_path}"
    os.environ.setdefault("CHIBO_VAR_DIR", tempfile.mkdtemp(prefix="chibo-bench-var-"))
    os.environ.setdefault("CHIBO_HTTPS", "0")  # the Django test client speaks plain HTTP
    os.environ.setdefault("CHIBO_ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chibo.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import override_settings

    # Pages render without `collectstatic`: plain static storage, no manifest.
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    override_settings(STORAGES=storages).enable()

    if connection.vendor == "sqlite":
        return f"SQLite {connection.Database.sqlite_version} ({connection.settings_dict['NAME']})"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    return f"PostgreSQL {version} (database {connection.settings_dict['NAME']})"


def migrate() -> float:
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    return time.perf_counter() - started


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    ordered = sorted(values)
    rank = max(1, round(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def summary(values_ms: list[float]) -> str:
    return (
        f"n={len(values_ms):4d}  p50={percentile(values_ms, 50):7.1f} ms  "
        f"p95={percentile(values_ms, 95):7.1f} ms  max={max(values_ms):7.1f} ms  "
        f"mean={statistics.fmean(values_ms):7.1f} ms"
    )


def working_copy(db: Path, prefix: str) -> tuple[str, Path]:
    """A copy of the SQLite file `db` in a new temporary folder (the benchmark writes to it).
    Returns the folder, to remove afterwards, and the copy."""
    import shutil

    folder = tempfile.mkdtemp(prefix=prefix)
    path = Path(folder) / db.name
    started = time.perf_counter()
    shutil.copyfile(db, path)
    print(f"Copied {db} ({db.stat().st_size / 2**20:.0f} MiB) in {time.perf_counter() - started:.1f} s")
    return folder, path


def generate_province(path: Path) -> None:
    """`chibo demo --scale province` (five years of history) into the SQLite file `path`."""
    import subprocess

    env = dict(os.environ, CHIBO_DATABASE_URL=f"sqlite:///{path}", CHIBO_HTTPS="0")
    chibo = Path(sys.executable).with_name("chibo")
    print("Generating the province with five years of meetings (several minutes)…")
    subprocess.run([str(chibo), "migrate", "-v0"], env=env, check=True)
    subprocess.run([str(chibo), "demo", "--scale", "province"], env=env, check=True)


def province_copy(db: Path, prefix: str) -> tuple[str | None, Path | None]:
    """Unless CHIBO_DATABASE_URL is set: a working copy of the province file `db`, generated
    first when missing. Returns the folder to remove afterwards and the copy (None, None when
    the benchmark runs on the given database)."""
    if "CHIBO_DATABASE_URL" in os.environ:
        return None, None
    if not db.exists():
        generate_province(db.resolve())
    return working_copy(db, prefix)
