"""Faults: the server killed in the middle of a member import, a finalisation or a backup leaves
nothing half-done; concurrent writers never see "database is locked"; a lock held too long is a
clear "busy, try again" page, never a 500.

Each kill test runs the real operation in a child process (tests/ops/faults_child.py) with
chibo's real settings on an installation of its own — a SQLite file, or on the PostgreSQL pass
a scratch database — lets it reach a pause point patched in at the worst moment (every row
written, the transaction not yet committed; the database in the archive, the files not yet),
SIGKILLs it, and looks at the database and the files from another process. The worker killed
mid-job is tests/notify/test_worker_process.py.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tarfile
import time
import uuid
from pathlib import Path

import pytest
from django.db import OperationalError

from chibo.core import views as core_views
from chibo.core.errors import is_database_busy

from ..org.test_import import make_xlsx, member_row, unit_row
from .faults_child import CARDS

ROOT = Path(__file__).resolve().parents[2]
URL = os.environ.get("CHIBO_DATABASE_URL", "")
ON_POSTGRES = URL.startswith("postgres")


def run(env, *args, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, check=False,
                          capture_output=True, text=True, timeout=timeout)  # fmt: skip


def child(env, *args) -> dict:
    """Run a faults_child command to its end; what it printed."""
    done = run(env, "-m", "tests.ops.faults_child", *args)
    assert done.returncode == 0, f"{args}: {done.stderr[-3000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def chibo(env, *args, check=True) -> subprocess.CompletedProcess:
    done = run(env, "-m", "chibo", *args, timeout=300)
    if check:
        assert done.returncode == 0, f"chibo {args}: {done.stderr[-3000:]}"
    return done


def start(env, *args, **extra_env) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tests.ops.faults_child", *args], cwd=ROOT,
                            env={**env, **extra_env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)  # fmt: skip


def finish(proc: subprocess.Popen, *, locked_is_logged: bool = False) -> dict:
    try:
        out, err = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert proc.returncode == 0, err[-3000:]
    assert locked_is_logged or "database is locked" not in err
    return json.loads(out.strip().splitlines()[-1])


def wait_for(path: Path, proc: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + 60
    while not path.exists():
        if proc.poll() is not None:
            pytest.fail(f"{what} ended first:\n{proc.communicate()[1][-3000:]}")
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: nothing after 60 s")
        time.sleep(0.01)


def kill_at_pause(env, *args) -> None:
    """Run a faults_child command until it reaches its pause point, then SIGKILL it."""
    marker = Path(env["CHIBO_VAR_DIR"]) / f"paused-{uuid.uuid4().hex[:6]}"
    proc = start(env, *args, CHIBO_FAULT_PAUSED=str(marker))
    try:
        wait_for(marker, proc, f"{args} before its pause point")
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(10) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        proc.communicate()


# --- installations ------------------------------------------------------------------------------
def environment(var: Path, database_url: str) -> dict:
    (var / "tmp").mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "CHIBO_VAR_DIR": str(var), "CHIBO_DATABASE_URL": database_url,
           "CHIBO_HTTPS": "0", "DJANGO_SETTINGS_MODULE": "chibo.settings",
           "CHIBO_ALLOWED_HOSTS": "testserver",  # the test client's host
           "CHIBO_TWO_FACTOR_ROLES": "",  # the officer imports without a one-time code
           # Given, not generated: processes starting together on a new var/ race to write it.
           "CHIBO_SECRET_KEY": f"faults-{uuid.uuid4().hex}",
           "TMPDIR": str(var / "tmp")}  # fmt: skip
    env.pop("CHIBO_NOTIFY_WEBHOOKS", None)
    return env


class Installations:
    """One migrated installation with the world of faults_child.setup, copied for each test:
    a copy of the file (SQLite) or CREATE DATABASE … TEMPLATE (PostgreSQL), and the media."""

    def __init__(self, root: Path):
        self.root = root
        self.databases: list[str] = []
        if ON_POSTGRES:
            base, _, self.query = URL.partition("?")
            self.server = base.rsplit("/", 1)[0]

    def build(self) -> None:
        self.template = self._database("template")
        env = environment(self.root / "template", self._url(self.template))
        chibo(env, "migrate", "--noinput", "-v", "0")
        self.world = child(env, "setup")

    def _admin(self):
        import psycopg

        return psycopg.connect(f"{self.server}/postgres?{self.query}", autocommit=True)

    def _url(self, database: str) -> str:
        return f"{self.server}/{database}?{self.query}" if ON_POSTGRES else f"sqlite:///{database}"

    def _database(self, name: str, *, template: str | None = None) -> str:
        """A new database: its name on PostgreSQL, its file on SQLite."""
        if not ON_POSTGRES:
            path = self.root / name / "chibo.sqlite3"
            path.parent.mkdir(parents=True, exist_ok=True)
            for suffix in ("", "-wal") if template else ():
                if Path(template + suffix).exists():
                    shutil.copyfile(template + suffix, str(path) + suffix)
            return str(path)
        database = f"chibo_faults_{uuid.uuid4().hex[:8]}_{name}"
        with self._admin() as admin:
            admin.execute(
                f'CREATE DATABASE "{database}"' + (f' TEMPLATE "{template}"' if template else "")
            )
        self.databases.append(database)
        return database

    def new(self, name: str, *, empty: bool = False) -> dict:
        """A copy of the installation (or, `empty`, one without even the tables)."""
        name = f"{name}-{uuid.uuid4().hex[:6]}"
        database = self._database(name, template=None if empty else self.template)
        if not empty:
            shutil.copytree(self.root / "template" / "media", self.root / name / "media")
        return environment(self.root / name, self._url(database))

    def drop(self) -> None:
        if ON_POSTGRES and self.databases:
            with self._admin() as admin:
                for database in self.databases:
                    admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


@pytest.fixture(scope="module")
def installations(tmp_path_factory):
    made = Installations(tmp_path_factory.mktemp("faults"))
    try:
        made.build()
        yield made
    finally:
        made.drop()


# --- a member import ---------------------------------------------------------------------------
IMPORT_COUNTS = ("members", "events", "imports_audited", "new_unit", "units", "c1_children")


def test_a_worker_killed_mid_import_keeps_nothing_and_runs_it_again_whole(installations, tmp_path):
    env = installations.new("import")
    before = installations.world["org"]
    members = [member_row(family_name="Hoàng", middle_name="Văn", given_name=f"Thử {i}",
                          card_number=f"{CARDS}{i:04d}", cell="C1-N" if i % 2 else "C1-A")
               for i in range(40)]  # fmt: skip
    workbook = tmp_path / "dang-vien.xlsx"
    workbook.write_bytes(make_xlsx([unit_row("C1-N", "Chi bộ thôn Mới", "C1")], members).getvalue())

    kill_at_pause(env, "import", str(workbook), "yes")

    jobs = list((Path(env["CHIBO_VAR_DIR"]) / "imports").glob("*.json"))
    assert len(jobs) == 1
    job_id = jobs[0].stem
    after = child(env, "import-report", job_id)
    # Nothing of the file: no member, event, unit, parent's child count or audit entry.
    assert {k: after[k] for k in IMPORT_COUNTS} == {k: before[k] for k in IMPORT_COUNTS}
    assert after["members"] == after["new_unit"] == 0
    # The job never claims success: "running", and once silent too long "interrupted" (it will
    # run again when the worker is back), never "failed" (the user would upload it again).
    assert after["job"]["state"] == "running" and not after["job"]["result"]
    assert not after["job"]["interrupted"]
    assert after["job_later"]["state"] == "running" and after["job_later"]["interrupted"]

    # The worker started again takes its job back and imports the file whole, once.
    final = child(env, "worker-restart", job_id)
    assert final["job"]["state"] == "done", final["job"]
    assert final["members"] == final["distinct_cards"] == 40 and final["new_unit"] == 1
    assert final["events"] == before["events"] + 40
    assert final["imports_audited"] == before["imports_audited"] + 1
    assert final["c1_children"] == before["c1_children"] + 1


# --- a finalisation ------------------------------------------------------------------------------
def test_a_server_killed_mid_finalisation_leaves_the_minutes_open(installations):
    env = installations.new("finalise")
    meeting, before = str(installations.world["meeting"]), installations.world["minutes"]
    assert before["status"] == "recording" and before["hash"] == "" and before["tasks"] == 0

    kill_at_pause(env, "finalise", meeting, "yes")

    # Not finalised: no state, hash, time, author or version change, no audit entry, no
    # follow-up task, score, aggregate or notification job.
    assert child(env, "meeting-report", meeting) == before

    # Finalising again afterwards works, once.
    done = child(env, "finalise", meeting, "no")
    assert done["status"] == 302 and done["location"].rstrip("/").endswith(f"/{meeting}"), done
    final = done["minutes"]
    assert final["status"] == "finalised" and final["hash"] == final["recomputed_hash"]
    assert final["finalised_at"] and final["version"] == before["version"] + 1
    assert final["audit"] == before["audit"] + 1 and final["tasks"] == 1


# --- a backup ------------------------------------------------------------------------------------
def checked_members(archive: Path) -> list[str]:
    """The archive's members, after checking each against the manifest."""
    with tarfile.open(archive, "r:gz") as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
        for name, digest in manifest["members"].items():
            assert hashlib.sha256(tar.extractfile(name).read()).hexdigest() == digest, name
    return sorted(manifest["members"])


def tables(env) -> int:
    """How many tables the installation's database has."""
    url = env["CHIBO_DATABASE_URL"]
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        if not path.exists():
            return 0
        query = "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
        with sqlite3.connect(path) as db:
            return db.execute(query).fetchone()[0]
    import psycopg

    with psycopg.connect(url) as db:
        query = "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
        return db.execute(query).fetchone()[0]


def test_a_backup_killed_midway_leaves_no_archive_and_the_next_one_is_whole(installations):
    env = installations.new("backup")
    output = Path(env["CHIBO_VAR_DIR"]) / "backups" / "chibo.tar.gz"
    partial = output.with_name(output.name + ".partial")

    kill_at_pause(env, "backup", str(output))

    # Nothing that looks like a backup, only the .partial (chibo-backup.service deletes those
    # after a day; its PrivateTmp= removes the killed run's working copy in TMPDIR).
    assert list(output.parent.iterdir()) == [partial] and partial.stat().st_size > 0
    # Restoring the leftover is refused before anything changes.
    target = installations.new("restored", empty=True)
    refused = chibo(target, "restore", str(partial), check=False)
    assert refused.returncode != 0
    said = refused.stderr
    assert "Không đọc được tệp sao lưu" in said or "bị hỏng" in said, said
    assert tables(target) == 0 and not list((Path(target["CHIBO_VAR_DIR"]) / "media").rglob("*.*"))

    # The next backup to the same place is whole and takes the leftover's place.
    said = chibo(env, "backup", "--output", str(output)).stdout
    assert "Đã sao lưu" in said and "1 tệp tải lên" in said
    assert output.exists() and not partial.exists()
    members = checked_members(output)
    assert len(members) == 2 and members[1].startswith("media/documents/")


# --- concurrent writers --------------------------------------------------------------------------
PROCESSES, THREADS, EACH = 2, 3, 8


def test_concurrent_writers_all_succeed_and_every_write_is_kept(installations):
    """Two server processes of three threads each save speeches into the same minutes at the
    same moment, each request also saving its session: no request fails, every speech is
    stored."""
    env, world = installations.new("writers"), installations.world
    var = Path(env["CHIBO_VAR_DIR"])
    go = var / "go"
    procs, ready = [], []
    try:
        for n in range(PROCESSES):
            ready.append(var / f"ready-{n}")
            procs.append(start(env, "write-speeches", str(world["meeting"]), str(world["section"]),
                               world["speaker"], str(EACH), f"Người ghi {n}", str(THREADS),
                               CHIBO_FAULT_READY=str(ready[-1]), CHIBO_FAULT_GO=str(go)))  # fmt: skip
        for n, proc in enumerate(procs):
            wait_for(ready[n], proc, f"writer {n}")
        go.touch()  # all together
        results = [finish(proc) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
    assert [r["statuses"] for r in results] == [[[200] * EACH] * THREADS] * PROCESSES
    assert max(r["speeches"] for r in results) == world["speeches"] + PROCESSES * THREADS * EACH


# --- a lock held by another writer -----------------------------------------------------------------
@pytest.fixture
def sqlite_installation(installations):
    if ON_POSTGRES:
        pytest.skip("SQLite's write lock; the suite runs this case in the SQLite pass")
    return installations.new("locked")


def busy_writes(env, world, *, timeout: float, hold: float | None = None) -> dict:
    """faults_child busy-writes (a page, an htmx and an API request, each saving a speech)
    while this process holds SQLite's write lock: throughout (`hold` None), or `hold` seconds."""
    var = Path(env["CHIBO_VAR_DIR"])
    ready, go = var / "ready", var / "go"
    proc = start(env, "busy-writes", str(world["meeting"]), str(world["section"]), world["speaker"],
                 str(timeout), CHIBO_FAULT_READY=str(ready), CHIBO_FAULT_GO=str(go))  # fmt: skip
    path, meeting = env["CHIBO_DATABASE_URL"].removeprefix("sqlite:///"), world["meeting"]
    lock = sqlite3.connect(path, isolation_level=None)
    try:
        wait_for(ready, proc, "busy-writes")
        # Another writer (a very large import, an operator's sqlite3 shell…) takes the lock.
        lock.execute("BEGIN IMMEDIATE")
        lock.execute("UPDATE meetings_meeting SET remarks = remarks WHERE id = ?", [meeting])
        go.touch()
        if hold is not None:
            time.sleep(hold)
            lock.execute("ROLLBACK")
        return finish(proc, locked_is_logged=True)  # the busy page is logged as an error
    finally:
        lock.close()


def test_a_lock_held_longer_than_the_busy_timeout_is_a_clear_busy_page(
    sqlite_installation, installations
):
    """Held for longer than the busy timeout (shortened here to 0.3 s): a clear "server busy,
    try again" in Vietnamese, 503 with Retry-After, nothing stored; never a 500 or a traceback."""
    world = installations.world
    busy = busy_writes(sqlite_installation, world, timeout=0.3)
    busy["api"]["body"] = json.loads(busy["api"]["body"])["detail"]
    for name in ("page", "htmx", "api"):
        assert busy[name]["status"] == 503 and busy[name]["retry_after"], (name, busy[name])
        assert "Vui lòng thử lại sau" in busy[name]["body"], busy[name]["body"]
    assert 'id="chibo-notice"' in busy["htmx"]["body"]  # shown at the top of the page (chibo.js)
    page = busy["page"]["body"]
    assert "Máy chủ đang bận" in page and "Traceback" not in page and "OperationalError" not in page
    back = f"http://testserver/meetings/{world['meeting']}/record/"
    assert f'href="{back}"' in page  # "try again" leads back to the form
    assert busy["speeches"] == world["speeches"]


def test_a_writer_waits_for_a_lock_held_less_than_the_busy_timeout(
    sqlite_installation, installations
):
    """Held for a second, less than the real busy timeout (20 s): SQLite's busy handler retries
    BEGIN IMMEDIATE until the lock is free, and the request is saved as usual."""
    world = installations.world
    waited = busy_writes(sqlite_installation, world, timeout=20, hold=1.0)
    assert [waited[k]["status"] for k in ("page", "htmx", "api")] == [302, 200, 201], waited
    assert waited["page"]["seconds"] >= 0.9
    assert waited["speeches"] == world["speeches"] + 3


# --- the handler, in process --------------------------------------------------------------------
class _PgError(Exception):
    def __init__(self, sqlstate):
        super().__init__("could not obtain lock")
        self.sqlstate = sqlstate


def _raised_from(cause: BaseException) -> BaseException:
    try:
        try:
            raise cause
        except BaseException as exc:
            raise ValueError("while saving") from exc
    except ValueError as outer:
        return outer


@pytest.mark.parametrize(("exc", "busy"), [
    (OperationalError("database is locked"), True),
    (sqlite3.OperationalError("database table is locked"), True),
    (_raised_from(sqlite3.OperationalError("database is locked")), True),
    (_PgError("55P03"), True),  # lock_not_available
    (_PgError("40P01"), True),  # deadlock_detected
    (_PgError("23505"), False),  # unique_violation: a bug, not a busy server
    (OperationalError("no such table: meetings_meeting"), False),
    (ValueError("database is locked"), False),
    (None, False),
])  # fmt: skip
def test_which_failures_are_a_busy_database(exc, busy):
    assert is_database_busy(exc) is busy


def test_the_error_handler_answers_a_busy_database_with_503_and_anything_else_with_500(
    client_as, world, monkeypatch
):  # fmt: skip
    url = f"/units/{world.c1.pk}/audit/"
    client = client_as("officer_c1")
    client.raise_request_exception = False

    def locked(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(core_views.selectors, "audit_entries", locked)
    response = client.get(url)
    assert response.status_code == 503 and response["Retry-After"]
    page = response.content.decode()
    assert "Máy chủ đang bận" in page and f'href="{url}"' in page  # "try again" reloads the page

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(core_views.selectors, "audit_entries", broken)
    response = client.get(url)
    assert response.status_code == 500 and "Máy chủ đang bận" not in response.content.decode()
