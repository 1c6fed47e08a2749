"""The province root's meeting-quality dashboard on the five-year province history, and how its
cost grows with the length of the history.

    .venv/bin/python benchmarks/bench_dashboard.py              # a copy of var/bench/province.sqlite3
    CHIBO_DATABASE_URL=postgres://…/scratch .venv/bin/python benchmarks/bench_dashboard.py

Needs the province with its history (`chibo demo --scale province` on var/bench/province.sqlite3;
generated here when missing). SQLite: works on a copy, since it makes the history longer. On
PostgreSQL give a scratch database: it is extended in place.

For each history length (1× = 5 years, then 2× and 4×: the extra years are written without
attendance lines, which the dashboard never reads) it times over HTTP, as the organisation-board
officer `bantochuc.tinh`, the province root's dashboard page for a month and for a year and the
dashboard API for the year (p50/p95, SQL queries), and one hand-written SQL query computing the
same year's figures per child unit from the raw tables (meetings, attendance, scores, guests,
task decisions), as the reference for what the database alone costs. At 1× it also times the
province's compliance list (cells needing attention) for the month and the year. Target
(issue #5): dashboard p95 ≤ 150 ms with a constant number of queries.
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

from _common import DEFAULT_SQLITE, configure, migrate, percentile, province_copy, summary

TARGET_P95_MS = 150

REFERENCE_SQL = """
SELECT substr(u.path, 1, %(child_len)s) AS child,
       count(DISTINCT m.id) AS meetings,
       count(DISTINCT CASE WHEN m.kind IN ('regular', 'combined')
                           AND CAST(strftime('%%d', m.date) AS INTEGER) <= 15
                           THEN m.unit_id || '-' || strftime('%%m', m.date) END) AS cells_on_time,
       sum(a.expected) AS expected, sum(a.present) AS present,
       sum(CASE WHEN s.status IN ('scored', 'reviewed') THEN s.total END) AS score_sum,
       count(CASE WHEN s.status IN ('scored', 'reviewed') THEN 1 END) AS scored,
       count(DISTINCT g.meeting_id) AS upper
FROM meetings_meeting m
JOIN org_unit u ON u.id = m.unit_id
LEFT JOIN (SELECT meeting_id,
                  count(CASE WHEN category <> 'away' AND presence <> 'exempt_absent' THEN 1 END) AS expected,
                  count(CASE WHEN category <> 'away' AND presence = 'present' THEN 1 END) AS present
           FROM meetings_attendance GROUP BY meeting_id) a ON a.meeting_id = m.id
LEFT JOIN quality_meetingscore s ON s.meeting_id = m.id
LEFT JOIN meetings_guest g ON g.meeting_id = m.id AND g.is_upper_attendee
WHERE m.province_id = %(province)s AND m.status = 'finalised' AND m.kind <> 'preparatory'
  AND m.date >= %(start)s AND m.date < %(end)s
GROUP BY child
"""

# PostgreSQL spells the day of the month and string concatenation differently.
REFERENCE_SQL_PG = (REFERENCE_SQL
                    .replace("CAST(strftime('%%d', m.date) AS INTEGER)", "extract(day FROM m.date)")
                    .replace("m.unit_id || '-' || strftime('%%m', m.date)",
                             "m.unit_id::text || '-' || extract(month FROM m.date)::text"))  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=DEFAULT_SQLITE, help="SQLite file (copied)")
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args()
    tmp, path = province_copy(args.db, "chibo-bench-dash-")
    try:
        engine = configure(path)
        print(f"Database: {engine}")
        migrate()
        return run(args.requests)
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


def _time(client, url: str, n: int) -> tuple[list[float], int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times = []
    queries = 0
    for i in range(n + 2):
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            response = client.get(url)
            elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, (url, response.status_code)
        if i >= 2:  # two warm-up requests
            times.append(elapsed)
        queries = len(ctx.captured_queries)
    return times, queries


def _reference(province, year: int, runs: int = 5) -> tuple[float, int]:
    from django.db import connection

    from chibo.org.models import Unit

    sql = REFERENCE_SQL if connection.vendor == "sqlite" else REFERENCE_SQL_PG
    params = {"child_len": len(province.path) + Unit.steplen, "province": province.pk,
              "start": f"{year}-01-01", "end": f"{year + 1}-01-01"}  # fmt: skip
    best = None
    rows = 0
    for _ in range(runs):
        with connection.cursor() as cursor:
            started = time.perf_counter()
            cursor.execute(sql, params)
            rows = len(cursor.fetchall())
            elapsed = (time.perf_counter() - started) * 1000
        best = elapsed if best is None else min(best, elapsed)
    return best, rows


def run(requests: int) -> int:
    from django.test import Client

    from chibo.accounts.models import User
    from chibo.meetings.models import Meeting
    from chibo.org import demo
    from chibo.org.models import Unit
    from chibo.reports.history import generate_history, has_history
    from chibo.reports.models import UnitMonth

    province = Unit.objects.get(code=demo.PROVINCE_CODE)
    if not has_history(province):
        started = time.perf_counter()
        generate_history(province)
        print(f"History (5 years) generated in {time.perf_counter() - started:.1f} s")
    client = Client()
    client.force_login(User.objects.get(username="bantochuc.tinh"))
    last_year = Meeting.objects.filter(province=province).order_by("-date").first().date.year - 1
    latest = Meeting.objects.filter(province=province).order_by("-date").first().date
    month = f"{latest:%Y-%m}"
    worst = 0.0
    for factor, extra_years in ((1, 0), (2, 5), (4, 10)):
        if extra_years:
            started = time.perf_counter()
            made = generate_history(province, years=extra_years, attendance=False)
            print(f"\n+{extra_years} years of history ({made:,} meetings, no attendance lines) in "
                  f"{time.perf_counter() - started:.1f} s")  # fmt: skip
        meetings = Meeting.objects.filter(province=province).count()
        rows = UnitMonth.objects.filter(province=province).count()
        print(f"\n== {factor}× history: {meetings:,} meetings, {rows:,} monthly rows")
        url = f"/units/{province.pk}/dashboard/"
        for label, target in ((f"page, month {month}", f"{url}?p={month}"),
                              (f"page, year {last_year}", f"{url}?p={last_year}"),
                              (f"API, year {last_year}", f"/api/v1/units/{province.pk}/dashboard?period={last_year}")):  # fmt: skip
            times, queries = _time(client, target, requests)
            print(f"  {label:<22} {summary(times)}  queries={queries}")
            worst = max(worst, percentile(times, 95))
        if factor == 1:  # the compliance list reads the period's rows of every cell
            for label, target in ((f"compliance, month {month}", f"/units/{province.pk}/compliance/?p={month}"),
                                  (f"compliance, year {last_year}", f"/units/{province.pk}/compliance/?p={last_year}")):  # fmt: skip
                times, queries = _time(client, target, max(5, requests // 4))
                print(f"  {label:<22} {summary(times)}  queries={queries}")
        page_times, _ = _time(client, f"{url}?p={last_year}", 10)
        reference, groups = _reference(province, last_year)
        median = sorted(page_times)[len(page_times) // 2]
        print(f"  hand-written SQL over the raw tables, year {last_year}: {reference:.1f} ms "
              f"({groups} child units); dashboard page / SQL = {median / reference:.2f}")  # fmt: skip
    print(f"\nWorst p95: {worst:.1f} ms (target ≤ {TARGET_P95_MS} ms): "
          f"{'met' if worst <= TARGET_P95_MS else 'NOT met'}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
