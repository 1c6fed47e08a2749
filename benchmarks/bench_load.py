"""Load: a realistic mix of members, clerks and officers against gunicorn, and a trivial view.

    .venv/bin/python benchmarks/bench_load.py                          # SQLite, 200 users, 60 s
    .venv/bin/python benchmarks/bench_load.py --users 20 --duration 10 # smoke test
    .venv/bin/python benchmarks/bench_load.py --database postgres      # scratch copy of chibo_bench
    .venv/bin/python benchmarks/bench_load.py --database postgres --pg-url postgres://…/db

The database is a copy of the province of seed 004 with its meeting history: on SQLite a copy of
`var/bench/province.sqlite3` (generated first when missing), on PostgreSQL a scratch database
made with `CREATE DATABASE … TEMPLATE <database of --pg-url>` (nobody may be connected to it),
dropped at the end. In that copy the script makes the load accounts (set-up, not timed):

- members: accounts for members spread over the province's cells (member grant on the cell);
  each opens their home page `/me/` again and again;
- clerks: one cell each with a regular meeting planned for today and its minutes opened for
  recording; each opens the recording screen once, then adds speeches to the discussion section
  the way the page does it (htmx POST with the page's CSRF token);
- officers: an officer grant on the province (10 %), a mid-level committee (30 %) or a grassroots
  committee (60 %); each opens the meeting-quality dashboard of their unit (the current month,
  one time in four the current year).

Every virtual user has its own session, made in the database like `django.contrib.auth.login`
(a few log in through the real login form first, `--form-logins`), and its own keep-alive
connection. Users are closed-loop: the next request leaves when the answer has arrived
(`--think-ms` adds a pause). The roles are shared out by `--mix` (default 70/15/15), so the
shares of requests follow the roles' speeds.

gunicorn serves `chibo.wsgi:application` with production settings (CHIBO_DEBUG=0, manifest
static files collected into a temporary CHIBO_VAR_DIR, a secret key, plain HTTP on loopback:
CHIBO_HTTPS=0, two-factor obligation off so officers have a password session) and the settings
module `benchmarks/load_settings.py`, whose URLconf adds `/bench/trivial` (an "ok" view through
the whole middleware stack) as the ceiling. Its configuration mirrors deploy/gunicorn.conf.py:
2 × cores + 1 gthread workers with 4 threads, keep-alive 5 s, recycling after ~2,000 requests.

Phases: form logins, warm-up (every user opens its landing page once, not counted), the mixed
workload for `--duration` seconds (or `--max-requests`), then the trivial view alone with as
many anonymous users for as long. Printed: requests, requests/s, p50/p95/p99/max latency and
errors (status ≥ 400, a redirect to the login page, timeouts, broken connections) per endpoint
and overall, the CPU seconds of gunicorn and of this client, and mixed ÷ trivial throughput.
Target (issue #7): zero errors at 200 concurrent users; mixed throughput ≥ 40 % of the trivial
view's. The client shares the machine with the server; its CPU time is printed (about 1 s per
10,000 requests: asyncio and raw HTTP/1.1, no dependency beyond the standard library).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from array import array
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from _common import (
    DEFAULT_SQLITE,
    REPO,
    configure,
    generate_province,
    migrate,
    percentile,
    working_copy,
)

PG_DEFAULT = "postgres://postgres@/chibo_bench?host=/tmp/chibo-dev-pg&port=54330"
LOAD_PASSWORD = "chibo-load-2026"  # every load account shares it (hashed once)
TARGET_RATIO = 0.40
HOST = "127.0.0.1"
ENDPOINTS = ("member home", "speech save", "officer dashboard")
SPEECHES = [
    "Đề nghị chi bộ phân công cụ thể đảng viên phụ trách vận động các hộ còn nợ quỹ.",
    "Tôi thống nhất với báo cáo; cần làm rõ tiến độ làm đường liên thôn trong quý tới.",
    "Đề nghị đưa nội dung sinh hoạt chuyên đề về chuyển đổi số vào kỳ họp sau.",
    "Chi bộ cần kiểm tra việc thực hiện nghị quyết tháng trước trước khi giao việc mới.",
    "Tôi xin nhận nhiệm vụ đôn đốc thu đảng phí của tổ và báo cáo vào cuối tháng.",
]


# --- databases -----------------------------------------------------------------------------------
def _pg_split(url: str) -> tuple[str, str, str]:
    """(server part, database, query) of a postgres:// URL."""
    base, _sep, query = url.partition("?")
    server, _sep, database = base.rpartition("/")
    return server, database, query


def pg_scratch(url: str) -> tuple[str, str]:
    """CREATE DATABASE chibo_load_… TEMPLATE <the URL's database>. Returns its URL and name."""
    import psycopg

    server, template, query = _pg_split(url)
    name = f"chibo_load_{uuid.uuid4().hex[:8]}"
    started = time.perf_counter()
    with psycopg.connect(f"{server}/postgres?{query}", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
        size = admin.execute("SELECT pg_size_pretty(pg_database_size(%s))", [name]).fetchone()[0]
    print(f"PostgreSQL: {name} copied from {template} ({size}) in "
          f"{time.perf_counter() - started:.1f} s")  # fmt: skip
    return f"{server}/{name}?{query}", name


def pg_drop(url: str) -> None:
    import psycopg

    server, name, query = _pg_split(url)
    with psycopg.connect(f"{server}/postgres?{query}", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(f"PostgreSQL: {name} dropped")


# --- set-up in the copied database (Django in this process) --------------------------------------
@dataclass
class User:
    role: str  # member | clerk | officer
    username: str
    pk: int
    session: str = ""
    landing: str = ""  # the page opened once in the warm-up
    unit: int = 0  # officers: the dashboard's unit
    meeting: int = 0  # clerks: the meeting being recorded
    section: int = 0  # clerks: its discussion section
    speakers: list[int] = field(default_factory=list)  # clerks: members on the roster


def roles_for(users: int, mix: list[int]) -> dict[str, int]:
    total = sum(mix)
    counts = {
        role: (users * weight) // total
        for role, weight in zip(("member", "clerk", "officer"), mix, strict=True)
    }
    for role, weight in zip(("clerk", "officer"), mix[1:], strict=True):
        if weight and not counts[role]:
            counts[role] = 1
    counts["member"] = users - counts["clerk"] - counts["officer"]
    return counts


def setup(counts: dict[str, int], seed: int) -> list[User]:
    from django.contrib.auth.hashers import make_password
    from django.core.exceptions import ValidationError
    from django.db import transaction

    from chibo.accounts.models import Grant, Role
    from chibo.accounts.models import User as Account
    from chibo.meetings import services
    from chibo.meetings.models import OPEN_STATUSES, Meeting, MeetingKind, SectionContent
    from chibo.org.models import CELL_KINDS, Member, Unit

    started = time.perf_counter()
    rng = random.Random(seed)
    root = Unit.objects.get(depth=1)
    password = make_password(LOAD_PASSWORD)
    tag = uuid.uuid4().hex[:4]  # usernames never collide with an earlier run on the same data
    linked = set(Account.objects.filter(member__isnull=False).values_list("member_id", flat=True))
    people = [(pk, cell) for pk, cell in Member.active.filter(province=root)
              .values_list("pk", "cell_id").order_by("pk") if pk not in linked]  # fmt: skip
    rng.shuffle(people)
    by_cell: dict[int, list[int]] = {}
    for pk, cell in people:
        by_cell.setdefault(cell, []).append(pk)
    taken: set[int] = set()
    users: list[User] = []

    # Clerks: a cell each (at least 5 members, no open meeting), a meeting opened for recording.
    busy = set(Meeting.objects.filter(status__in=OPEN_STATUSES).values_list("unit_id", flat=True))
    cells = [pk for pk in Unit.objects.filter(path__startswith=root.path, kind__in=CELL_KINDS,
                                               is_active=True).order_by("pk").values_list("pk", flat=True)
             if pk not in busy and len(by_cell.get(pk, ())) >= 5]  # fmt: skip
    rng.shuffle(cells)
    today = datetime.date.today()
    for cell_pk in cells:
        if sum(u.role == "clerk" for u in users) >= counts["clerk"]:
            break
        member_pk = by_cell[cell_pk][0]
        with transaction.atomic():
            account = Account.objects.create(username=f"load{tag}.tk{cell_pk}", password=password,
                                             member_id=member_pk)  # fmt: skip
            Grant.objects.create(user=account, role=Role.CLERK, unit_id=cell_pk, title="Thư ký")
            try:
                meeting = services.meeting_plan(
                    unit=Unit.objects.get(pk=cell_pk), by=account, kind=MeetingKind.REGULAR,
                    date=today, start_time=datetime.time(19, 30), place="Nhà văn hóa (tải thử)",
                )  # fmt: skip
                services.meeting_start_recording(meeting=meeting, by=account)
            except ValidationError:
                transaction.set_rollback(True)
                continue
        taken.add(member_pk)
        section = meeting.sections.filter(content=SectionContent.DISCUSSION).first()
        if section is None:
            raise RuntimeError(f"meeting #{meeting.pk} has no discussion section")
        speakers = list(meeting.attendance.values_list("member_id", flat=True))
        users.append(User("clerk", account.username, account.pk, meeting=meeting.pk,
                          section=section.pk, speakers=speakers,
                          landing=f"/meetings/{meeting.pk}/record/"))  # fmt: skip

    # Members: spread over the province (a random sample of active members without an account).
    chosen = [(pk, cell) for pk, cell in people if pk not in taken][: counts["member"]]
    accounts = Account.objects.bulk_create([
        Account(username=f"load{tag}.dv{pk}", password=password, member_id=pk) for pk, _cell in chosen
    ])  # fmt: skip
    accounts = list(
        Account.objects.filter(username__in=[a.username for a in accounts]).order_by("pk")
    )
    cell_of = dict(chosen)
    Grant.objects.bulk_create([Grant(user=a, role=Role.MEMBER, unit_id=cell_of[a.member_id])
                               for a in accounts])  # fmt: skip
    users += [User("member", a.username, a.pk, landing="/me/") for a in accounts]

    # Officers: the province, a mid-level committee or a grassroots committee.
    levels = [
        [root.pk],
        list(Unit.objects.filter(depth=2, numchild__gt=0).values_list("pk", flat=True)),
        list(Unit.objects.filter(depth=3, numchild__gt=0).values_list("pk", flat=True)),
    ]
    weighted = [
        (weight, units) for weight, units in zip((10, 30, 60), levels, strict=True) if units
    ]
    officers = []
    for i in range(counts["officer"]):
        units = rng.choices([u for _w, u in weighted], weights=[w for w, _u in weighted])[0]
        unit = rng.choice(units)
        officers.append((Account(username=f"load{tag}.cb{i}", password=password,
                                 first_name="Cán bộ tải thử"), unit))  # fmt: skip
    Account.objects.bulk_create([a for a, _unit in officers])
    made = {
        a.username: a
        for a in Account.objects.filter(username__in=[a.username for a, _u in officers])
    }
    Grant.objects.bulk_create([Grant(user=made[a.username], role=Role.OFFICER, unit_id=unit)
                               for a, unit in officers])  # fmt: skip
    users += [User("officer", a.username, made[a.username].pk, unit=unit,
                   landing=f"/units/{unit}/dashboard/") for a, unit in officers]  # fmt: skip

    make_sessions(users)
    roles = Counter(u.role for u in users)
    print(f"Set-up: {roles['member']} members, {roles['clerk']} clerks (a meeting being recorded "
          f"each), {roles['officer']} officers, each with a session, in "
          f"{time.perf_counter() - started:.1f} s")  # fmt: skip
    if roles["clerk"] < counts["clerk"]:
        print(f"  only {roles['clerk']} cells could take a meeting (asked for {counts['clerk']})")
    return users


def make_sessions(users: list[User]) -> None:
    """A logged-in session for each user, as `django.contrib.auth.login` stores it."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from chibo.accounts.models import User as Account

    accounts = Account.objects.in_bulk([u.pk for u in users])
    for user in users:
        account = accounts[user.pk]
        store = SessionStore()
        store[SESSION_KEY] = account._meta.pk.value_to_string(account)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = account.get_session_auth_hash()
        store.create()
        user.session = store.session_key


def collect_static(var_dir: Path, env: dict, cache: Path) -> None:
    """`collectstatic` into the server's CHIBO_VAR_DIR (manifest and compressed files, as in
    production). It takes about a minute (brotli), so the result is kept in `cache` and reused
    while the static files found by Django's finders have the same names, sizes and times."""
    import hashlib

    from django.contrib.staticfiles.finders import get_finders

    started = time.perf_counter()
    digest = hashlib.sha256()
    for finder in get_finders():
        for name, storage in sorted(finder.list(["CVS", ".*", "*~"]), key=lambda f: f[0]):
            stat = os.stat(storage.path(name))
            digest.update(f"{name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    key = digest.hexdigest()
    target = var_dir / "static"
    if (cache / "KEY").is_file() and (cache / "KEY").read_text() == key:
        shutil.copytree(cache / "static", target)
        print(f"Static files: collected earlier, copied from {cache} in "
              f"{time.perf_counter() - started:.1f} s")  # fmt: skip
        return
    chibo = str(Path(sys.executable).with_name("chibo"))
    subprocess.run([chibo, "collectstatic", "--noinput", "-v0"], check=True, cwd=REPO,
                   env={**env, "DJANGO_SETTINGS_MODULE": "chibo.settings"})  # fmt: skip
    shutil.rmtree(cache, ignore_errors=True)
    shutil.copytree(target, cache / "static")
    (cache / "KEY").write_text(key)
    print(f"Static files: collectstatic into {target} in {time.perf_counter() - started:.1f} s "
          f"(kept in {cache} for the next run)")  # fmt: skip


def check_speeches(users: list[User], answered: int) -> None:
    """Every speech answered 200 (in any phase) is in the database, and nothing else."""
    from django.db import connections

    from chibo.meetings.models import Speech

    meetings = [u.meeting for u in users if u.role == "clerk"]
    stored = Speech.objects.filter(meeting_id__in=meetings).count()
    verdict = "as answered" if stored == answered else "MISMATCH"
    print(f"Speeches stored in the clerks' meetings: {stored:,}, saves answered 200: "
          f"{answered:,} ({verdict})")  # fmt: skip
    connections.close_all()


# --- gunicorn ------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when this script dies, even by SIGKILL (Linux)."""
    import ctypes

    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class Gunicorn:
    """gunicorn in its own process group; `stop` ends the whole group (TERM, then KILL)."""

    def __init__(self, args, env: dict, log: Path):
        self.port = free_port()
        self.log = log
        self.command = [
            str(Path(sys.executable).with_name("gunicorn")), "chibo.wsgi:application",
            "--bind", f"{HOST}:{self.port}", "--chdir", str(REPO),
            "--pythonpath", str(REPO / "benchmarks"),
            "--workers", str(args.workers), "--worker-class", args.worker_class,
            "--threads", str(args.threads), "--timeout", "120", "--graceful-timeout", "10",
            "--keep-alive", "5", "--max-requests", str(args.recycle),
            "--max-requests-jitter", str(args.recycle // 2), "--worker-tmp-dir", "/dev/shm",
            "--no-control-socket", "--error-logfile", "-", "--log-level", "info",
        ]  # fmt: skip
        self.env = env
        self.proc: subprocess.Popen | None = None

    def describe(self, args) -> str:
        threads = f" × {args.threads} threads" if args.worker_class == "gthread" else ""
        recycle = (f"recycled after {args.recycle}+0..{args.recycle // 2} requests" if args.recycle
                   else "never recycled")  # fmt: skip
        return (f"gunicorn {args.workers} {args.worker_class} workers{threads}, keep-alive 5 s, "
                f"{recycle}, on {HOST}:{self.port}; "
                f"CHIBO_DB_CONN_MAX_AGE={self.env['CHIBO_DB_CONN_MAX_AGE']}")  # fmt: skip

    def start(self) -> None:
        out = open(self.log, "ab")  # noqa: SIM115 (kept open for the child)
        try:
            self.proc = subprocess.Popen(self.command, env=self.env, stdout=out, stderr=out,
                                         stdin=subprocess.DEVNULL, start_new_session=True,
                                         preexec_fn=_die_with_parent)  # fmt: skip
        finally:
            out.close()
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}:\n{self.tail()}")
            try:
                with socket.create_connection((HOST, self.port), timeout=2) as sock:
                    sock.sendall(f"GET /bench/trivial HTTP/1.1\r\nHost: {HOST}:{self.port}\r\n"
                                 "Connection: close\r\n\r\n".encode())  # fmt: skip
                    if sock.recv(64).startswith(b"HTTP/1.1 200"):
                        return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not answer within 90 s:\n{self.tail()}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        pgid = self.proc.pid  # start_new_session: the group is the master's pid
        try:
            os.killpg(pgid, signal.SIGTERM)
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(pgid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        except ProcessLookupError:
            pass
        # Workers that outlived the master (they share its group).
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def cpu_seconds(self) -> float:
        """CPU time of the master, its live workers and the workers it has reaped."""
        if self.proc is None:
            return 0.0
        tick = os.sysconf("SC_CLK_TCK")

        def fields(pid: int) -> list[str]:
            return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()

        try:
            master = fields(self.proc.pid)
        except OSError:
            return 0.0
        total = sum(int(v) for v in master[11:15])  # utime stime cutime cstime
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                try:
                    stat = fields(int(entry.name))
                except OSError:
                    continue
                if int(stat[1]) == self.proc.pid:
                    total += int(stat[11]) + int(stat[12])
        return total / tick

    def _lines(self) -> list[str]:
        try:
            return self.log.read_text(errors="replace").splitlines()
        except OSError:
            return []

    def boots(self) -> int:
        """Workers started so far (the first ones, then one per recycled or crashed worker)."""
        return sum("Booting worker" in line for line in self._lines())

    def tail(self, lines: int = 25) -> str:
        """The last lines of the log that are not gunicorn's own INFO lines."""
        return "\n".join([x for x in self._lines() if "] [INFO] " not in x][-lines:])


# --- a minimal HTTP/1.1 keep-alive client ---------------------------------------------------------
class Stale(Exception):
    """A kept-alive connection was closed by the server before it answered: send again."""


class Connection:
    def __init__(self, port: int):
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.served = 0

    async def request(self, method: str, path: str, headers: list[tuple[str, str]],
                      body: bytes = b"") -> tuple[int, list[tuple[str, str]], bytes]:  # fmt: skip
        for attempt in (1, 2):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
                self.served = 0
            try:
                return await self._exchange(method, path, headers, body)
            except Stale:
                self.close()
                if attempt == 2:
                    raise ConnectionResetError("closed before answering") from None
        raise AssertionError("unreachable")

    async def _exchange(self, method, path, headers, body):
        head = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{self.port}",
                "User-Agent: chibo-bench-load", "Accept-Language: vi"]  # fmt: skip
        head += [f"{k}: {v}" for k, v in headers]
        if body or method == "POST":
            head.append(f"Content-Length: {len(body)}")
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
        reused = self.served > 0
        try:
            await self.writer.drain()
            raw = await self.reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionResetError, BrokenPipeError) as problem:
            partial = getattr(problem, "partial", b"")
            if reused and not partial:
                raise Stale from problem
            raise
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        answer = []
        for line in lines[1:]:
            if line:
                name, _sep, value = line.partition(":")
                answer.append((name.strip().lower(), value.strip()))
        heads = dict(answer)
        if status in (204, 304) or method == "HEAD":
            data = b""
        elif "content-length" in heads:
            data = await self.reader.readexactly(int(heads["content-length"]))
        elif heads.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                chunk = await self.reader.readexactly(size + 2)
                if not size:
                    break
                parts.append(chunk[:-2])
            data = b"".join(parts)
        else:
            data = await self.reader.read()
            self.close()
            return status, answer, data
        self.served += 1
        if heads.get("connection", "").lower() == "close":
            self.close()
        return status, answer, data

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


# --- virtual users -------------------------------------------------------------------------------
class Client:
    """One virtual user: a connection, cookies, and what it asks for next."""

    def __init__(self, user: User | None, port: int, rng: random.Random, year: int):
        self.user, self.port, self.rng, self.year = user, port, rng, year
        self.conn = Connection(port)
        self.cookies: dict[str, str] = {"sessionid": user.session} if user else {}
        self.csrf = ""  # the page's masked token, sent as X-CSRFToken like htmx does
        self.count = 0

    def headers(self, extra: list[tuple[str, str]] | None = None) -> list[tuple[str, str]]:
        out = list(extra or [])
        if self.cookies:
            out.append(("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items())))
        return out

    def keep_cookies(self, answer: list[tuple[str, str]]) -> None:
        for name, value in answer:
            if name == "set-cookie":
                pair = value.split(";", 1)[0]
                key, _sep, val = pair.partition("=")
                if val and "max-age=0" not in value.lower():
                    self.cookies[key.strip()] = val.strip()
                else:
                    self.cookies.pop(key.strip(), None)

    def next_request(self) -> tuple[str, str, str, list[tuple[str, str]], bytes]:
        """(endpoint, method, path, headers, body) of this user's next request."""
        user = self.user
        self.count += 1
        if user is None:
            return "trivial view", "GET", "/bench/trivial", self.headers(), b""
        if user.role == "member":
            return "member home", "GET", "/me/", self.headers(), b""
        if user.role == "officer":
            query = f"?p={self.year}" if self.rng.random() < 0.25 else ""
            return ("officer dashboard", "GET", f"/units/{user.unit}/dashboard/{query}",
                    self.headers(), b"")  # fmt: skip
        speaker = user.speakers[self.count % len(user.speakers)]
        text = f"{self.rng.choice(SPEECHES)} (ý kiến {self.count})"
        body = urlencode({"speaker": f"m:{speaker}", "text": text}).encode()
        record = f"/meetings/{user.meeting}/record/"
        extra = [("Content-Type", "application/x-www-form-urlencoded"), ("HX-Request", "true"),
                 ("HX-Current-URL", f"http://{HOST}:{self.port}{record}"),
                 ("HX-Target", f"speeches-{user.section}"), ("X-CSRFToken", self.csrf),
                 ("Origin", f"http://{HOST}:{self.port}"), ("Referer", f"http://{HOST}:{self.port}{record}")]  # fmt: skip
        path = f"{record}sections/{user.section}/speeches/"
        return "speech save", "POST", path, self.headers(extra), body


class Stats:
    """Latencies, completion times (both bounded by --max-requests) and outcomes per endpoint.

    Throughput counts what completed inside the window (from the start until the deadline or
    the last request allowed by --max-requests); the requests still in flight then are waited
    for (the drain) and count in the latencies and errors, not in requests/s."""

    def __init__(self):
        self.latency: dict[str, array] = {}
        self.done: dict[str, array] = {}  # time.monotonic() when each request ended
        self.errors: dict[str, Counter] = {}
        self.ok: Counter = Counter()  # answers without a problem, per endpoint
        self.started = self.closed = 0.0  # the window, time.monotonic()
        self.elapsed = 0.0  # window and drain
        self.server_cpu = 0.0
        self.client_cpu = 0.0
        self.restarts = 0  # gunicorn workers started during the phase

    def add(self, endpoint: str, ms: float | None, problem: str | None) -> None:
        self.latency.setdefault(endpoint, array("d"))
        self.done.setdefault(endpoint, array("d")).append(time.monotonic())
        self.errors.setdefault(endpoint, Counter())
        if ms is not None:
            self.latency[endpoint].append(ms)
        if problem:
            self.errors[endpoint][problem] += 1
        else:
            self.ok[endpoint] += 1

    def requests(self, endpoint: str) -> int:
        return len(self.done.get(endpoint, ()))

    @property
    def completed(self) -> int:
        """Every request answered in the phase, drain included (what the CPU time was spent on)."""
        return sum(len(times) for times in self.done.values())

    @property
    def window(self) -> float:
        return self.closed - self.started

    def rate(self, endpoint: str) -> float:
        """Requests per second completed inside the window."""
        return sum(1 for t in self.done[endpoint] if t <= self.closed) / self.window


def outcome(status: int, answer: list[tuple[str, str]]) -> str | None:
    if status >= 400:
        return f"HTTP {status}"
    if 300 <= status < 400:
        location = dict(answer).get("location", "")
        if "/accounts/login" in location or "/two-factor" in location:
            return "redirect to login"
    return None


async def timed(
    client: Client, timeout: float, request
) -> tuple[float | None, int, list, bytes, str | None]:
    """Send one request; (ms or None, status, headers, body, problem)."""
    _endpoint, method, path, headers, body = request
    started = time.perf_counter()
    try:
        async with asyncio.timeout(timeout):
            status, answer, data = await client.conn.request(method, path, headers, body)
    except TimeoutError:
        client.conn.close()
        return None, 0, [], b"", "timeout"
    except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
        client.conn.close()
        return None, 0, [], b"", "connection"
    ms = (time.perf_counter() - started) * 1000
    client.keep_cookies(answer)
    return ms, status, answer, data, outcome(status, answer)


class Budget:
    """Requests may leave until the deadline, at most `max_requests` of them."""

    def __init__(self, duration: float, max_requests: int):
        self.deadline = time.monotonic() + duration
        self.left = max_requests
        self.closed = self.deadline  # earlier when the count runs out

    def take(self) -> bool:
        now = time.monotonic()
        if self.left <= 0 or now >= self.deadline:
            return False
        self.left -= 1
        if not self.left:
            self.closed = now
        return True


async def run_phase(clients: list[Client], args, server: Gunicorn) -> Stats:
    stats = Stats()
    think = args.think_ms / 1000

    async def loop(client: Client) -> None:
        while budget.take():
            request = client.next_request()
            ms, _status, _answer, _data, problem = await timed(client, args.timeout, request)
            stats.add(request[0], ms, problem)
            if problem == "connection":
                await asyncio.sleep(0.05)
            if think:
                await asyncio.sleep(client.rng.expovariate(1 / think))

    cpu, boots = (server.cpu_seconds(), time.process_time()), server.boots()
    stats.started = time.monotonic()
    budget = Budget(args.duration, args.max_requests)
    await asyncio.gather(*(loop(c) for c in clients))
    stats.closed = budget.closed
    stats.elapsed = time.monotonic() - stats.started
    stats.server_cpu = server.cpu_seconds() - cpu[0]
    stats.restarts = server.boots() - boots
    stats.client_cpu = time.process_time() - cpu[1]
    return stats


async def form_login(client: Client, timeout: float) -> float:
    """Log in through /accounts/login/ (GET the form, POST it with its CSRF token). Returns ms."""
    user = client.user
    client.cookies.clear()
    started = time.perf_counter()
    async with asyncio.timeout(timeout):
        status, answer, data = await client.conn.request(
            "GET", "/accounts/login/", client.headers()
        )
    client.keep_cookies(answer)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', data)
    if status != 200 or token is None:
        raise RuntimeError(f"login form: HTTP {status}, no CSRF token")
    body = urlencode({"username": user.username, "password": LOAD_PASSWORD,
                      "csrfmiddlewaretoken": token[1].decode(), "next": user.landing}).encode()  # fmt: skip
    extra = [("Content-Type", "application/x-www-form-urlencoded"),
             ("Origin", f"http://{HOST}:{client.port}"),
             ("Referer", f"http://{HOST}:{client.port}/accounts/login/")]  # fmt: skip
    async with asyncio.timeout(timeout):
        status, answer, _data = await client.conn.request(
            "POST", "/accounts/login/", client.headers(extra), body
        )
    client.keep_cookies(answer)
    if status != 302 or "sessionid" not in client.cookies:
        raise RuntimeError(
            f"login of {user.username}: HTTP {status} {dict(answer).get('location', '')}"
        )
    return (time.perf_counter() - started) * 1000


async def warm_up(client: Client, timeout: float) -> str | None:
    """Open the user's landing page once; clerks keep the page's CSRF token. A problem or None."""
    user = client.user
    request = ("warm-up", "GET", user.landing, client.headers(), b"")
    ms, status, answer, data, problem = await timed(client, timeout, request)
    if problem or ms is None or status != 200:
        return f"{user.username} {user.landing}: {problem or f'HTTP {status}'}"
    if user.role == "clerk":
        token = re.search(rb'"X-CSRFToken": "([^"]+)"', data)
        if token is None or "csrftoken" not in client.cookies:
            return f"{user.username}: no CSRF token on the recording screen"
        client.csrf = token[1].decode()
    return None


async def drive(users: list[User], args, server: Gunicorn) -> tuple[Stats, dict[str, Stats], Stats]:
    rng = random.Random(args.seed)
    year = datetime.date.today().year
    clients = [Client(u, server.port, random.Random(rng.random()), year) for u in users]
    try:
        if args.form_logins:
            by_role: dict[str, list[Client]] = {}
            for c in clients:
                by_role.setdefault(c.user.role, []).append(c)
            # Round robin over the roles: a member, a clerk, an officer, a member…
            rounds = max(len(group) for group in by_role.values())
            chosen = [group[i] for i in range(rounds) for group in by_role.values()
                      if i < len(group)][: args.form_logins]  # fmt: skip
            times = [await form_login(c, args.timeout) for c in chosen]
            print(f"Login through the form (GET + POST, password hashing): {len(times)} users, "
                  f"p50 {percentile(times, 50):.0f} ms, max {max(times):.0f} ms")  # fmt: skip
        started = time.perf_counter()
        problems = [
            p for p in await asyncio.gather(*(warm_up(c, args.timeout) for c in clients)) if p
        ]
        print(f"Warm-up: every user opened its landing page once in {time.perf_counter() - started:.1f} s"
              + (f", {len(problems)} failed" if problems else ""))  # fmt: skip
        if problems:
            for p in problems[:10]:
                print("  " + p)
            raise RuntimeError("the warm-up failed: sessions or set-up are not right")

        print(
            f"\nMixed workload: {len(clients)} users, {args.duration:g} s or {args.max_requests:,} requests…"
        )
        mixed = await run_phase(clients, args, server)
        costs = await cost_phases(clients, args, server)
    finally:
        for c in clients:
            c.conn.close()
    anonymous = args.trivial_sessions is False
    trivial_clients = [Client(None, server.port, random.Random(i), year) for i in range(len(users))]
    if not anonymous:
        for t, c in zip(trivial_clients, clients, strict=True):
            t.cookies = dict(c.cookies)
    print(f"Trivial view alone: {len(trivial_clients)} {'anonymous ' if anonymous else 'logged-in '}"
          f"users, {args.duration:g} s or {args.max_requests:,} requests…")  # fmt: skip
    try:
        trivial = await run_phase(trivial_clients, args, server)
    finally:
        for c in trivial_clients:
            c.conn.close()
    return mixed, costs, trivial


ROLE_ENDPOINT = {"member": "member home", "clerk": "speech save", "officer": "officer dashboard"}


async def cost_phases(clients: list[Client], args, server: Gunicorn) -> dict[str, Stats]:
    """Each role alone for --costs seconds: what one request of each endpoint costs gunicorn in
    CPU time (in the mixed phase the costs cannot be told apart)."""
    if not args.costs:
        return {}
    alone = argparse.Namespace(**{**vars(args), "duration": args.costs})
    costs = {}
    for role, endpoint in ROLE_ENDPOINT.items():
        group = [c for c in clients if c.user.role == role]
        if group:
            print(f"{endpoint.capitalize()} alone: {len(group)} users, {args.costs:g} s…")
            costs[endpoint] = await run_phase(group, alone, server)
    return costs


# --- report ----------------------------------------------------------------------------------------
def table(title: str, stats: Stats, cores: int) -> tuple[int, int, float]:
    """Print the phase's table; returns (requests, errors, requests/s)."""
    print(f"\n{title} ({stats.window:.1f} s, then {stats.elapsed - stats.window:.1f} s for the "
          f"requests in flight; CPU: gunicorn {stats.server_cpu:.1f} s, "
          f"this client {stats.client_cpu:.1f} s, of {cores * stats.elapsed:.0f} core-seconds; "
          f"{stats.restarts} gunicorn workers restarted)")  # fmt: skip
    print(f"  {'endpoint':<19} {'requests':>8} {'share':>6} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
          f"{'p99 ms':>8} {'max ms':>8} {'errors':>7}")  # fmt: skip
    names = [n for n in (*ENDPOINTS, "trivial view") if n in stats.latency]
    total = sum(stats.requests(n) for n in names)
    overall = sum(stats.rate(n) for n in names)
    every = array("d")
    errors_total = 0
    for name in [*names, "all"]:
        if name == "all":
            if len(names) < 2:
                break
            values, count, rate = every, total, overall
            errors = sum((stats.errors[n] for n in names), Counter())
        else:
            values, count, errors = stats.latency[name], stats.requests(name), stats.errors[name]
            rate = stats.rate(name)
            every.extend(values)
            errors_total += sum(errors.values())
        line = f"  {name:<19} {count:>8,} {count / max(total, 1):>6.0%} {rate:>8.1f}"
        if values:
            line += "".join(f" {percentile(list(values), p):>8.1f}" for p in (50, 95, 99))
            line += f" {max(values):>8.1f}"
        else:
            line += f" {'—':>8}" * 4
        line += f" {sum(errors.values()):>7,}"
        print(line)
        if errors:
            print("      " + ", ".join(f"{k} × {v}" for k, v in errors.most_common(6)))
    return total, errors_total, overall


def cpu_ms(stats: Stats) -> float:
    """gunicorn's CPU time per request answered in the phase, in ms."""
    return stats.server_cpu * 1000 / max(stats.completed, 1)


def cost_table(mixed: Stats, costs: dict[str, Stats], trivial: Stats) -> None:
    """What each endpoint costs the server, and the mixed ÷ trivial ratio those costs allow
    (at saturation the throughput of a phase is the CPU it gets divided by its cost)."""
    if not costs:
        return
    floor = cpu_ms(trivial)
    print("\nServer CPU per request (gunicorn CPU time ÷ requests, each endpoint alone)")
    print(f"  {'endpoint':<19} {'requests':>8} {'CPU ms':>8} {'× trivial':>10} {'mixed share':>12}")
    total = sum(mixed.requests(n) for n in costs) or 1
    weighted = 0.0
    for name, stats in costs.items():
        share = mixed.requests(name) / total
        weighted += share * cpu_ms(stats)
        print(f"  {name:<19} {stats.completed:>8,} {cpu_ms(stats):>8.1f} "
              f"{cpu_ms(stats) / floor:>10.1f} {share:>12.0%}")  # fmt: skip
    print(f"  {'trivial view':<19} {trivial.completed:>8,} {floor:>8.1f} {1:>10.1f}")
    print(f"  mixed (by share)    {'':>8} {weighted:>8.1f} {weighted / floor:>10.1f}   "
          f"→ allows mixed ÷ trivial ≈ {floor / weighted:.0%}")  # fmt: skip


def pg_default() -> str:
    url = os.environ.get("CHIBO_DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else PG_DEFAULT


def parse_args():
    cores = os.cpu_count() or 1
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--db", type=Path, default=DEFAULT_SQLITE, help="SQLite file to copy")
    parser.add_argument("--pg-url", default=pg_default(),
                        help="PostgreSQL database holding the province, copied as a template")  # fmt: skip
    parser.add_argument("--users", type=int, default=200, help="concurrent virtual users")
    parser.add_argument("--duration", type=float, default=60, help="seconds per phase")
    parser.add_argument("--max-requests", type=int, default=500_000, help="per phase")
    parser.add_argument("--mix", default="70,15,15", help="members,clerks,officers (weights)")
    parser.add_argument("--workers", type=int, default=min(2 * cores + 1, 9))
    parser.add_argument("--worker-class", choices=("gthread", "sync"), default="gthread")
    parser.add_argument("--threads", type=int, default=4, help="per gthread worker")
    parser.add_argument("--recycle", type=int, default=5000, help="gunicorn --max-requests")
    parser.add_argument("--conn-max-age", type=int, default=60, help="CHIBO_DB_CONN_MAX_AGE")
    parser.add_argument("--timeout", type=float, default=30, help="seconds per request")
    parser.add_argument("--think-ms", type=float, default=0, help="mean pause between requests")
    parser.add_argument("--form-logins", type=int, default=6,
                        help="users who log in through the login form (the rest get a session)")  # fmt: skip
    parser.add_argument("--trivial-sessions", action="store_true",
                        help="the trivial view with the users' session cookies (default: anonymous)")  # fmt: skip
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--costs", type=float, default=15,
                        help="seconds of each endpoint alone after the mix, to measure its CPU cost (0: skip)")  # fmt: skip
    args = parser.parse_args()
    args.mix = [int(x) for x in args.mix.split(",")]
    if len(args.mix) != 3 or min(args.mix) < 0 or not sum(args.mix):
        parser.error("--mix takes three weights: members,clerks,officers")
    if args.users < 1 or args.duration <= 0 or args.max_requests < 1:
        parser.error("--users, --duration and --max-requests must be positive")
    return args


def main() -> int:
    args = parse_args()
    cores = os.cpu_count() or 1
    static_cache = Path(tempfile.gettempdir()) / "chibo-load-static"
    var_dir = Path(tempfile.mkdtemp(prefix="chibo-load-var-"))
    copy_folder: str | None = None
    pg_url: str | None = None
    server: Gunicorn | None = None

    def terminate(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, terminate)
    try:
        if args.database == "sqlite":
            db = args.db.resolve()
            if not db.exists():
                generate_province(db)
            copy_folder, path = working_copy(db, "chibo-load-")
            url = f"sqlite:///{path}"
        else:
            url = pg_url = pg_scratch(args.pg_url)[0]
        env = {
            "CHIBO_DATABASE_URL": url, "CHIBO_VAR_DIR": str(var_dir),
            "CHIBO_SECRET_KEY": secrets.token_urlsafe(50), "CHIBO_DEBUG": "0", "CHIBO_HTTPS": "0",
            "CHIBO_TWO_FACTOR_ROLES": "", "CHIBO_ALLOWED_HOSTS": f"{HOST},localhost",
            "CHIBO_DB_CONN_MAX_AGE": str(args.conn_max_age), "CHIBO_LOG_LEVEL": "WARNING",
            "CHIBO_SITE_URL": f"http://{HOST}", "TMPDIR": str(var_dir),
        }  # fmt: skip
        for name in ("CHIBO_NOTIFY_WEBHOOKS", "CHIBO_EMAIL_HOST", "DJANGO_SETTINGS_MODULE"):
            os.environ.pop(name, None)
        os.environ.update(env)
        server_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "load_settings"}

        print(f"Database: {configure(None)}")
        print(f"Migrations: {migrate():.1f} s")
        users = setup(roles_for(args.users, args.mix), args.seed)
        from django.db import connections

        connections.close_all()  # the server has the database to itself
        collect_static(var_dir, server_env, static_cache)

        server = Gunicorn(args, server_env, var_dir / "gunicorn.log")
        print(
            f"Server: {server.describe(args)}; CHIBO_DEBUG=0, CHIBO_HTTPS=0, manifest static files"
        )
        started = time.perf_counter()
        server.start()
        print(f"  answering after {time.perf_counter() - started:.1f} s; load average "
              f"{' '.join(f'{x:.1f}' for x in os.getloadavg())} on {cores} cores")  # fmt: skip
        mixed, costs, trivial = asyncio.run(drive(users, args, server))
        check_speeches(users, sum(st.ok.get("speech save", 0) for st in (mixed, *costs.values())))
    finally:
        if server is not None:
            server.stop()
            log = server.tail(15)
            if log.strip():
                print(f"\nLast lines of gunicorn's log (warnings and errors):\n{log}")
        if pg_url:
            from django.db import connections

            connections.close_all()
            pg_drop(pg_url)
        if copy_folder:
            shutil.rmtree(copy_folder, ignore_errors=True)
        shutil.rmtree(var_dir, ignore_errors=True)

    _total, mixed_errors, mixed_rps = table("Mixed workload", mixed, cores)
    _total, trivial_errors, trivial_rps = table("Trivial view (ceiling)", trivial, cores)
    ratio = mixed_rps / trivial_rps if trivial_rps else 0.0
    cost_table(mixed, costs, trivial)
    print(f"\nMixed {mixed_rps:.1f} req/s ÷ trivial {trivial_rps:.1f} req/s = {ratio:.0%} "
          f"(target ≥ {TARGET_RATIO:.0%}): {'met' if ratio >= TARGET_RATIO else 'NOT met'}")  # fmt: skip
    errors = mixed_errors + trivial_errors
    print(f"Errors at {args.users} concurrent users: {errors} (target 0): "
          f"{'met' if errors == 0 else 'NOT met'}")  # fmt: skip
    return 0 if errors == 0 and ratio >= TARGET_RATIO else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\nInterrupted: gunicorn stopped, the copied database and CHIBO_VAR_DIR removed.")
        sys.exit(130)
