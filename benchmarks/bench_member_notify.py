"""The member's side at province scale: the member home page, and the "meeting tomorrow"
reminders for every cell of the province meeting on the same day.

    .venv/bin/python benchmarks/bench_member_notify.py          # a copy of var/bench/province.sqlite3
    CHIBO_DATABASE_URL=postgres://…/scratch .venv/bin/python benchmarks/bench_member_notify.py

Needs the province with its five-year history (`chibo demo --scale province` on
var/bench/province.sqlite3; generated here when missing). SQLite works on a copy; on PostgreSQL
give a scratch database (it is written to).

Set-up (not timed): every active member of the province gets an account with an e-mail address
(the worst case: all 62,053 members reachable), and every active cell an announced regular
meeting tomorrow, with a draft report, and one document for the meeting.

1. Member home (`/me/`) for a sample of members spread over the cells, as each member (p50/p95
   over HTTP with Django's test client, queries per page). Target (issue #6): p95 ≤ 50 ms with
   a constant number of queries.
2. The day-before reminders (`events.meetings_tomorrow`, what the daily check runs): one in-app
   notification per member and one e-mail delivery each. Target: under a minute. Then the
   e-mails handed to Django's in-memory e-mail backend by `services.send_due` (an SMTP relay's
   own speed is outside chibo), timed separately.
"""

from __future__ import annotations

import argparse
import datetime
import random
import shutil
import time
import tracemalloc
from pathlib import Path

from _common import DEFAULT_SQLITE, configure, migrate, percentile, province_copy, summary

TARGET_HOME_P95_MS = 50
TARGET_REMINDERS_S = 60


def _setup(tomorrow: datetime.date) -> tuple[int, int]:
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from chibo.accounts.models import Grant, Role, User
    from chibo.meetings.models import Meeting, MeetingKind, MeetingStatus
    from chibo.org.models import CELL_KINDS, Member, Unit

    started = time.perf_counter()
    password = make_password("chibo-bench-2026")
    with transaction.atomic():
        have = set(User.objects.filter(member__isnull=False).values_list("member_id", flat=True))
        members = Member.active.exclude(pk__in=have).values_list("pk", "cell_id")
        users = [User(username=f"dv{pk}", password=password, member_id=pk, email=f"dv{pk}@example.vn")
                 for pk, _cell in members]  # fmt: skip
        User.objects.bulk_create(users, batch_size=2000)
        User.objects.filter(member__isnull=False, email="").update(email="demo@example.vn")
        fresh = dict(User.objects.filter(username__startswith="dv").values_list("member_id", "pk"))
        cells = dict(Member.active.values_list("pk", "cell_id"))
        Grant.objects.bulk_create([Grant(user_id=u, role=Role.MEMBER, unit_id=cells[m])
                                   for m, u in fresh.items()], batch_size=2000)  # fmt: skip
        now = datetime.datetime.now(datetime.UTC)
        roots = dict(Unit.objects.filter(depth=1).values_list("path", "pk"))
        cell_rows = [(pk, roots[path[: Unit.steplen]]) for pk, path in
                     Unit.objects.filter(kind__in=CELL_KINDS, is_active=True).values_list("pk", "path")]  # fmt: skip
        busy = set(Meeting.objects.filter(date=tomorrow).values_list("unit_id", flat=True))
        Meeting.objects.bulk_create([
            Meeting(unit_id=pk, province_id=province, kind=MeetingKind.REGULAR,
                    status=MeetingStatus.ANNOUNCED, date=tomorrow, start_time=datetime.time(19, 30),
                    place="Nhà văn hóa", announced_at=now,
                    draft_report="Tháng qua chi bộ đã…\n\nTháng tới chi bộ tập trung…")
            for pk, province in cell_rows if pk not in busy
        ], batch_size=2000)  # fmt: skip
    count = Meeting.objects.filter(date=tomorrow, status=MeetingStatus.ANNOUNCED).count()
    print(f"Set-up: {len(users):,} accounts made, {count:,} meetings announced for {tomorrow:%d/%m/%Y} "
          f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
    return len(users), count


def _home(sample: int) -> int:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from chibo.accounts.models import User

    ids = list(User.objects.filter(member__isnull=False, is_active=True).values_list("pk", flat=True))
    random.Random(6).shuffle(ids)
    times, queries = [], set()
    client = Client()
    for user in User.objects.filter(pk__in=ids[:sample]):
        client.force_login(user)
        client.get("/me/")  # warm the session and this member's pages once
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            response = client.get("/me/")
            times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200 and b"next-meeting" in response.content
        queries.add(len(ctx.captured_queries))
    p95 = percentile(times, 95)
    print(f"Member home /me/ ({sample} members):  {summary(times)}  queries={sorted(queries)}")
    ok = p95 <= TARGET_HOME_P95_MS and len(queries) == 1
    print(f"  target p95 ≤ {TARGET_HOME_P95_MS} ms, constant queries: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


def _reminders(today: datetime.date) -> int:
    from django.core import mail
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, override_settings

    from chibo.notify import events, services
    from chibo.notify.models import Delivery, Notification

    tracemalloc.start()
    with CaptureQueriesContext(connection) as ctx:
        started = time.perf_counter()
        deliveries = events.meetings_tomorrow(today)
        elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    made = Notification.objects.filter(kind="meeting_tomorrow").count()
    print(f"Day-before reminders: {made:,} notifications and {deliveries:,} e-mail deliveries "
          f"in {elapsed:.1f} s ({len(ctx.captured_queries):,} queries, Python peak {peak:.0f} MiB)")  # fmt: skip
    again = time.perf_counter()
    assert events.meetings_tomorrow(today) == 0
    print(f"  run again (a restarted worker): nothing new, {time.perf_counter() - again:.1f} s")
    ok = elapsed < TARGET_REMINDERS_S
    print(f"  target < {TARGET_REMINDERS_S} s: {'met' if ok else 'NOT met'}")

    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        mail.outbox = []
        started = time.perf_counter()
        sent = services.send_due(worker_id="bench")
        elapsed = time.perf_counter() - started
    left = Delivery.objects.exclude(status="sent").count()
    print(f"E-mails handed to the in-memory backend: {sent:,} in {elapsed:.1f} s "
          f"({sent / elapsed:,.0f}/s), {left} not sent")  # fmt: skip
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=DEFAULT_SQLITE, help="SQLite file (copied)")
    parser.add_argument("--sample", type=int, default=200, help="members whose home page is timed")
    args = parser.parse_args()
    tmp, path = province_copy(args.db, "chibo-bench-member-")
    try:
        print(f"Database: {configure(path)}")
        migrate()
        from django.utils import timezone

        today = timezone.localdate()
        _setup(today + datetime.timedelta(days=1))
        failed = _home(args.sample)
        failed |= _reminders(today)
        return failed
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
