"""Members at risk (absences without reason, absences with reason in a row) at province scale.

    .venv/bin/python benchmarks/bench_members_at_risk.py                # var/bench/province.sqlite3
    .venv/bin/python benchmarks/bench_members_at_risk.py --years 2 --explain
    CHIBO_DATABASE_URL=postgres://… .venv/bin/python benchmarks/bench_members_at_risk.py

The province of seed 004 is generated first when missing. Then every active cell gets, for each
of the last `--years` calendar years (the current one up to last month), one finalised meeting
a month (combined in the third month of a quarter) and a preparatory meeting every third month,
with a roster as the services build it (exempted members "exempt, not attending", attached
members "attached elsewhere" at home and on the host's roster) and absences drawn at random,
more in a third of the cells — written in bulk (about 50,000 meetings and 750,000 lines a year;
the services would take hours). Cells that already have meetings in a year are left alone.

Times, as the commune officer `xa.tinh` and as the province officer `bantochuc.tinh`: the
selector `members_at_risk` for the commune and for the province root, and the page and the API
route over HTTP (whole middleware stack), with the SQL queries of each.
Target (issue 4): the list under a commune p95 ≤ 150 ms.
"""

from __future__ import annotations

import argparse
import datetime
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

from _common import DEFAULT_SQLITE, configure, migrate, percentile, summary

TARGET_P95_MS = 150
PLACE = "Nhà văn hóa (benchmark: thành viên có nguy cơ)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=DEFAULT_SQLITE, help="SQLite file")
    parser.add_argument("--years", type=int, default=2, help="calendar years of meetings")
    parser.add_argument("--runs", type=int, default=30, help="timed calls per measure")
    parser.add_argument(
        "--root-runs", type=int, default=10, help="timed calls per measure at the province root"
    )
    parser.add_argument("--explain", action="store_true", help="print the query plans")
    args = parser.parse_args()
    engine = configure(args.db.resolve())
    print(f"Database: {engine}")
    migrate()
    return run(args.years, args.runs, args.root_runs, args.explain)


def _month_days(year: int, today: datetime.date) -> list[datetime.date]:
    last = 12 if year < today.year else today.month - 1
    return [datetime.date(year, m, 1) for m in range(1, last + 1)]


def load_history(root, year: int, today: datetime.date) -> tuple[int, int]:
    """A year of finalised meetings for every active cell without meetings that year (rosters
    written in bulk while the meetings are being recorded, then finalised)."""
    from django.db import transaction

    from chibo.meetings.models import (
        Attendance,
        Meeting,
        MeetingKind,
        MeetingStatus,
        Presence,
        RosterCategory,
    )
    from chibo.org.models import (
        CELL_KINDS,
        Exemption,
        Member,
        MemberStatus,
        TemporaryAttachment,
        Unit,
    )

    months = _month_days(year, today)
    if not months:
        return 0, 0
    busy = set(
        Meeting.objects.filter(province=root, date__year=year).values_list("unit_id", flat=True)
    )
    cells = [
        c
        for c in Unit.objects.filter(
            path__startswith=root.path, kind__in=CELL_KINDS, is_active=True
        )
        .order_by("path")
        .only("pk", "code")
        if c.pk not in busy
    ]
    if not cells:
        return 0, 0
    wanted = {c.pk for c in cells}
    members = defaultdict(list)
    for m in Member.active.filter(cell_id__in=wanted).only("pk", "cell_id", "status", "sort_key"):
        members[m.cell_id].append(m)
    exemptions = defaultdict(list)
    for e in Exemption.objects.filter(member__cell_id__in=wanted):
        exemptions[e.member_id].append(e)
    attachments = defaultdict(list)
    guests = defaultdict(list)  # host cell → [(member, attachment)]
    by_id = {m.pk: m for ms in members.values() for m in ms}
    for a in TemporaryAttachment.objects.all():
        attachments[a.member_id].append(a)
        if a.host_cell_id in wanted and a.member_id in by_id:
            guests[a.host_cell_id].append((by_id[a.member_id], a))

    made_meetings = made_lines = 0
    for start in range(0, len(cells), 400):
        chunk = cells[start : start + 400]
        with transaction.atomic():
            meetings = []
            for cell in chunk:
                rng = random.Random(f"{cell.code}-{year}")
                for month in months:
                    day = month + datetime.timedelta(days=rng.randint(2, 14))
                    kind = MeetingKind.COMBINED if month.month % 3 == 0 else MeetingKind.REGULAR
                    meetings.append(
                        Meeting(unit_id=cell.pk, province_id=root.pk, kind=kind, date=day,
                                status=MeetingStatus.RECORDING, start_time=datetime.time(19, 30),
                                place=PLACE)
                    )  # fmt: skip
                    if month.month % 3 == 1:
                        meetings.append(
                            Meeting(unit_id=cell.pk, province_id=root.pk, date=day - datetime.timedelta(days=1),
                                    kind=MeetingKind.PREPARATORY, status=MeetingStatus.RECORDING,
                                    start_time=datetime.time(19, 30), place=PLACE)
                        )  # fmt: skip
            Meeting.objects.bulk_create(meetings, batch_size=2000)
            lines = []
            for meeting in meetings:
                rng = random.Random(f"{meeting.unit_id}-{meeting.date}-{meeting.kind}")
                sloppy = random.Random(meeting.unit_id).random() < 0.3
                excused, unexcused = (0.18, 0.05) if sloppy else (0.06, 0.005)
                roster = [(m, False) for m in members[meeting.unit_id]]
                roster += [(m, True) for m, a in guests[meeting.unit_id] if a.covers(meeting.date)]
                for member, attached in roster:
                    away = not attached and any(
                        a.covers(meeting.date) for a in attachments[member.pk]
                    )
                    exempt = any(e.covers(meeting.date) for e in exemptions[member.pk])
                    if attached:
                        category = RosterCategory.ATTACHED
                    elif away:
                        category = RosterCategory.AWAY
                    elif exempt:
                        category = RosterCategory.EXEMPTED
                    elif member.status == MemberStatus.PROBATIONARY:
                        category = RosterCategory.PROBATIONARY
                    else:
                        category = RosterCategory.OFFICIAL
                    roll = rng.random()
                    if category == RosterCategory.AWAY:
                        presence = Presence.AWAY
                    elif category == RosterCategory.EXEMPTED:
                        presence = Presence.EXEMPT_ABSENT
                    elif roll < excused:
                        presence = Presence.ABSENT_EXCUSED
                    elif roll < excused + unexcused:
                        presence = Presence.ABSENT_UNEXCUSED
                    else:
                        presence = Presence.PRESENT
                    lines.append(
                        Attendance(meeting_id=meeting.pk, member_id=member.pk, category=category,
                                   was_official=member.status == MemberStatus.OFFICIAL,
                                   presence=presence, sort_key=f"{int(attached)}{member.sort_key}")
                    )  # fmt: skip
            Attendance.objects.bulk_create(lines, batch_size=5000)
            # Finalised once the roster is in (PostgreSQL refuses lines added to finalised minutes).
            Meeting.objects.filter(pk__in=[m.pk for m in meetings]).update(
                status=MeetingStatus.FINALISED
            )
            made_meetings += len(meetings)
            made_lines += len(lines)
    return made_meetings, made_lines


def _timed(call, runs: int) -> tuple[list[float], object]:
    call()  # warm up
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = call()
        times.append((time.perf_counter() - started) * 1000)
    return times, result


def run(years: int, runs: int, root_runs: int, explain: bool) -> int:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from chibo.accounts.access import scope_for
    from chibo.accounts.models import User
    from chibo.followup import risk
    from chibo.meetings.models import Attendance, Meeting, MeetingStatus
    from chibo.org import demo
    from chibo.org.models import Unit

    root = Unit.objects.filter(code=demo.PROVINCE_CODE).first()
    if root is None:
        print("The seed-004 province is not in this database: generating it…")
        demo.generate_province(progress=lambda label, s: print(f"  {s:6.1f} s  {label}"))
        root = Unit.objects.get(code=demo.PROVINCE_CODE)
    today = datetime.date.today()
    for year in range(today.year - years + 1, today.year + 1):
        started = time.perf_counter()
        made, lines = load_history(root, year, today)
        if made:
            print(f"History {year}: {made:,} meetings, {lines:,} attendance lines "
                  f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # fresh statistics after the bulk load (both engines)
    year = today.year - 1  # the last full year
    finalised = Meeting.objects.filter(province=root, status=MeetingStatus.FINALISED)
    print(
        f"Tables: {Meeting.objects.count():,} meetings ({finalised.filter(date__year=year).count():,} "
        f"finalised in {year}), {Attendance.objects.count():,} attendance lines"
    )

    commune_officer = User.objects.get(username="xa.tinh")
    province_officer = User.objects.get(username="bantochuc.tinh")
    district_officer = User.objects.get(username="huyen.tinh")
    commune = commune_officer.grants.get(role="officer").unit
    district = district_officer.grants.get(role="officer").unit
    measures = [
        (f"commune {commune.name} as xa.tinh", commune_officer, commune),
        (f"mid-level committee {district.name} as huyen.tinh", district_officer, district),
        (f"province root {root.name} as bantochuc.tinh", province_officer, root),
    ]
    results = {}
    for label, user, unit in measures:
        n = root_runs if unit.pk == root.pk else runs
        user = User.objects.get(pk=user.pk)  # a fresh scope per measure
        scope = scope_for(user)
        with CaptureQueriesContext(connection) as ctx:
            rows = risk.members_at_risk(scope, unit, year)
        queries = len(ctx.captured_queries)
        levels = [r.level for r in rows]
        print(f"\n{label}, {year}: {len(rows):,} members listed "
              f"({levels.count(risk.RiskLevel.OVER_LIMIT):,} limit reached, "
              f"{levels.count(risk.RiskLevel.AT_RISK):,} at risk)")  # fmt: skip
        if explain:
            for q in ctx.captured_queries:
                with connection.cursor() as cursor:
                    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
                    cursor.execute(prefix + q["sql"])
                    print("  " + q["sql"][:300])
                    for row in cursor.fetchall():
                        print("     ", row)
        times, _ = _timed(lambda scope=scope, unit=unit: risk.members_at_risk(scope, unit, year), n)
        print(f"  selector members_at_risk, {queries} SQL queries:")
        print("    " + summary(times))
        client = Client()
        client.force_login(user)
        for name, url in (
            ("page", reverse("members_at_risk", args=[unit.pk]) + f"?year={year}"),
            ("API", f"/api/v1/units/{unit.pk}/members-at-risk?year={year}"),
        ):
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(url)
            assert response.status_code == 200, response.content[:500]
            queries = len(ctx.captured_queries)  # before the next request resets the log
            times, _ = _timed(lambda url=url, client=client: client.get(url), n)
            print(f"  GET {url} ({name}), {queries} SQL queries:")
            print("    " + summary(times))
            results[(unit.pk, name)] = times
    p95 = max(percentile(results[(commune.pk, name)], 95) for name in ("page", "API"))
    verdict = "meets" if p95 <= TARGET_P95_MS else "MISSES"
    print(f"\nThe list under a commune over HTTP: p95 {p95:.1f} ms {verdict} the target of "
          f"{TARGET_P95_MS} ms.")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
