"""Follow-up lists at province scale: open proposals under the province, upper-level attendance
coverage, reminders and a cell's tasks, as the officers and the secretary use them.

    .venv/bin/python benchmarks/bench_followup.py                # var/bench/province.sqlite3
    .venv/bin/python benchmarks/bench_followup.py --proposals 3000
    CHIBO_DATABASE_URL=postgres://… .venv/bin/python benchmarks/bench_followup.py

The province of seed 004 is generated first when missing. Proposals are sent from the first
`--proposals` cells (through the services): a third forwarded one level up, a third answered,
the rest waiting. Each page is requested through the Django test client with the whole
middleware stack. Target (issue #4): p95 ≤ 150 ms, with a constant number of queries.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from _common import DEFAULT_SQLITE, configure, migrate, summary

TARGET_P95_MS = 150


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=DEFAULT_SQLITE, help="SQLite file")
    parser.add_argument("--proposals", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args()
    engine = configure(args.db.resolve())
    print(f"Database: {engine}")
    migrate()
    return run(args.proposals, args.requests)


def _seed_proposals(root, wanted: int) -> None:
    from chibo.accounts.models import User
    from chibo.followup import services
    from chibo.followup.models import Proposal
    from chibo.org.models import CELL_KINDS, Unit

    have = Proposal.objects.filter(province=root).count()
    if have >= wanted:
        return
    officer = User.objects.get(username="admin.tinh")
    cells = Unit.objects.filter(path__startswith=root.path, kind__in=CELL_KINDS, is_active=True)
    started = time.perf_counter()
    for i, cell in enumerate(cells.order_by("path")[: wanted - have]):
        proposal = services.proposal_send(cell=cell, by=None, title=f"Kiến nghị {i}",
                                          text="Đề nghị hỗ trợ kinh phí sửa nhà văn hóa.")  # fmt: skip
        if i % 3 == 1 and proposal.current_unit.depth > 1:
            services.proposal_forward(proposal=proposal, by=officer, note="Vượt thẩm quyền.")
        elif i % 3 == 2:
            services.proposal_answer(proposal=proposal, by=officer, answer="Đã bố trí kinh phí.")
    print(f"Proposals: {wanted - have:,} sent in {time.perf_counter() - started:.1f} s")


def run(proposals: int, requests: int) -> int:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from chibo.accounts.models import User
    from chibo.followup.models import Proposal, Task
    from chibo.org import demo
    from chibo.org.models import Unit

    root = Unit.objects.filter(code=demo.PROVINCE_CODE).first()
    if root is None:
        print("The seed-004 province is not in this database: generating it…")
        demo.generate_province(progress=lambda label, s: print(f"  {s:6.1f} s  {label}"))
        root = Unit.objects.get(code=demo.PROVINCE_CODE)
    _seed_proposals(root, proposals)
    print(f"Tables: {Proposal.objects.count():,} proposals, {Task.objects.count():,} tasks, "
          f"{Unit.objects.count():,} units")  # fmt: skip

    officer = User.objects.get(username="bantochuc.tinh")
    secretary = User.objects.get(username="bithu.tinh")
    cell = secretary.grants.get(role="secretary").unit
    pages = [
        ("open proposals under the province (page)", officer,
         f"/units/{root.pk}/proposals/?state=pending"),
        ("open proposals under the province (API)", officer,
         f"/api/v1/proposals?unit={root.pk}&state=pending"),
        ("upper-level attendance coverage of the province", officer,
         f"/units/{root.pk}/upper-attendance/"),
        ("reminders of the province officer", officer, "/reminders/"),
        ("a cell's tasks (secretary)", secretary, f"/units/{cell.pk}/tasks/"),
    ]  # fmt: skip
    failed = False
    for label, user, url in pages:
        client = Client()
        client.force_login(user)
        assert client.get(url).status_code == 200, url  # warm up
        timings = []
        for _ in range(requests):
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, url
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        p95 = sorted(timings)[int(0.95 * len(timings)) - 1]
        failed |= p95 > TARGET_P95_MS
        print(f"\n{label}: GET {url}, {len(queries)} SQL queries")
        print("  " + summary(timings))
    print(f"\nTarget p95 ≤ {TARGET_P95_MS} ms: {'missed' if failed else 'met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
