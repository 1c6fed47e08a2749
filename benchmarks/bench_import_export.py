"""Excel export of the whole province, and its import into a fresh database.

    .venv/bin/python benchmarks/bench_import_export.py                # var/bench/province.sqlite3
    .venv/bin/python benchmarks/bench_import_export.py --keep-files var/bench/io
    CHIBO_DATABASE_URL=postgres://… .venv/bin/python benchmarks/bench_import_export.py

Export: `exporting.export_members` of every member under the province root (T004), as the
province officer `bantochuc.tinh`, the way the member list's "Export" link does it.
Import: that very file (its sheet "Đơn vị" holds every unit, parents first, from the root
down) with `chibo import-members FILE` (as the system: a fresh database has neither the root
nor any user) in a child process, on a new, migrated SQLite file; then the imported units
and members are compared with the province's. The province of seed 004 is generated first
when the database does not hold it yet.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from _common import DEFAULT_SQLITE, REPO, configure, migrate

_MEMBER_FIELDS = (
    "family_name", "middle_name", "given_name", "gender", "birth_date", "card_number",
    "admission_date", "official_date", "status", "position", "community_roles",
    "fee_category", "phone", "email", "address",
)  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=DEFAULT_SQLITE, help="SQLite file")
    parser.add_argument(
        "--keep-files",
        type=Path,
        metavar="DIR",
        help="copy the exported workbook and the imported SQLite file here",
    )
    args = parser.parse_args()
    engine = configure(args.db.resolve())
    print(f"Database: {engine}")
    print(f"Machine:  {os.cpu_count()} CPUs")
    print(f"migrate: {migrate():.1f} s")
    work = Path(tempfile.mkdtemp(prefix="chibo-bench-io-"))
    try:
        return run(work, args.keep_files)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def mib(kib: int) -> str:
    return f"{kib / 1024:7.0f} MiB"  # ru_maxrss and VmHWM are in KiB on Linux


def run(work: Path, keep: Path | None) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from chibo.accounts.access import scope_for
    from chibo.accounts.models import User
    from chibo.org import demo, exporting, selectors
    from chibo.org.models import Member, Unit

    generated = False
    root = Unit.objects.filter(code=demo.PROVINCE_CODE).first()
    if root is None:
        print("The seed-004 province is not in this database: generating it…")
        started = time.perf_counter()
        demo.generate_province(progress=lambda label, s: print(f"  {s:6.1f} s  {label}"))
        print(f"  {time.perf_counter() - started:6.1f} s  TOTAL")
        root = Unit.objects.get(code=demo.PROVINCE_CODE)
        generated = True
    officer = User.objects.get(username="bantochuc.tinh")
    scope = scope_for(officer)
    n_units = Unit.objects.filter(path__startswith=root.path).count()
    print(
        f"Province {root.name}: {Member.active.filter(province=root).count():,} members, "
        f"{n_units:,} units; as {officer.username} (officer on the province)"
    )

    print(f"\nExport, exporting.export_members (unit {root.code}, the whole province):")
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    members = selectors.search_members(scope, unit=root)
    with CaptureQueriesContext(connection) as ctx:
        started = time.perf_counter()
        out, count = exporting.export_members(members, scope=scope, within=root)
        elapsed = time.perf_counter() - started
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    workbook = work / f"dang-vien-{root.code}.xlsx"
    with out, open(workbook, "wb") as fh:
        shutil.copyfileobj(out, fh)
    size = workbook.stat().st_size
    print(f"  time        {elapsed:7.1f} s  ({count / elapsed:,.0f} members/s)")
    print(f"  members     {count:7,}")
    print(f"  file        {size / 2**20:7.1f} MiB  ({size / max(count, 1):.0f} bytes/member)")
    print(f"  SQL queries {len(ctx.captured_queries):7,}")
    print(
        f"  peak RSS    {mib(rss_after)}  (before the export: {mib(rss_before).strip()}"
        f"{', including the generation' if generated else ''})"
    )

    print("\nImport, `chibo import-members FILE` into a fresh database (child process):")
    if connection.vendor != "sqlite":
        print(
            "  skipped: the import needs a fresh database and this one is not SQLite; "
            "run the benchmark on SQLite (without CHIBO_DATABASE_URL) for the import figures."
        )
        return 0
    target = work / "import.sqlite3"
    env = {**os.environ, "CHIBO_DATABASE_URL": f"sqlite:///{target}"}
    seconds, rss, _cpu, code, output = child(["migrate", "--verbosity", "0"], env, work)
    print(f"  migrate     {seconds:7.1f} s  (peak RSS {mib(rss).strip()})")
    if code != 0:
        print(output)
        return 1
    seconds, rss, cpu, code, output = child(["import-members", str(workbook)], env, work)
    lines = output.strip().splitlines()
    if code != 0:
        print(f"  FAILED (exit {code}) after {seconds:.1f} s:")
        print("\n".join(f"    {line}" for line in lines[:20]))
        return 1
    with sqlite3.connect(target) as db:
        units_in = db.execute("SELECT COUNT(*) FROM org_unit").fetchone()[0]
        members_in = db.execute("SELECT COUNT(*) FROM org_member").fetchone()[0]
    print(f"  time        {seconds:7.1f} s  ({members_in / seconds:,.0f} members/s)")
    print(f"  units       {units_in:7,}")
    print(f"  members     {members_in:7,}")
    print(f"  peak RSS    {mib(rss)}  (CPU {cpu:.1f} s)")
    print(f"  command     {lines[-1] if lines else '(no output)'}")

    same = compare(root, target)
    if keep:
        keep.mkdir(parents=True, exist_ok=True)
        shutil.copy2(workbook, keep / workbook.name)
        shutil.copy2(target, keep / target.name)
        print(f"\nKept {keep / workbook.name} and {keep / target.name}")
    return 0 if same and units_in == n_units and members_in == count else 1


# The child reports its own peak RSS (VmHWM): its rusage from wait4 or RUSAGE_CHILDREN would
# not do, since Linux carries the parent's peak over into a child's ru_maxrss across the exec.
_CHILD = """
import atexit, sys
from pathlib import Path
from chibo.__main__ import main

def peak(out=Path(sys.argv[1])):
    status = Path("/proc/self/status").read_text().splitlines()
    out.write_text(next(line.split()[1] for line in status if line.startswith("VmHWM:")))

atexit.register(peak)
sys.argv = ["chibo", *sys.argv[2:]]
main()
"""


def child(arguments: list[str], env: dict[str, str], work: Path):
    """Run `chibo ARGUMENTS` in a child process; (seconds, peak RSS in KiB, CPU seconds, exit
    code, output)."""
    peak = work / "child.peak"
    peak.unlink(missing_ok=True)
    with open(work / "child.log", "w+") as log:
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-c", _CHILD, str(peak), *arguments], cwd=REPO, env=env,
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        _pid, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        log.seek(0)
        output = log.read()
    rss = int(peak.read_text()) if peak.exists() else 0  # 0: the child died before telling
    return seconds, rss, usage.ru_utime + usage.ru_stime, process.returncode, output


def compare(root, target: Path) -> bool:
    """The imported units and members against the province's (the fields a file carries)."""
    from chibo.org.models import Member, Unit

    def unit_rows(rows) -> Counter:
        code_of = {path: code for code, path, *_ in rows}
        return Counter(
            (code, name, code_of.get(path[: -Unit.steplen]), kind, cell_type)
            for code, path, name, kind, cell_type in rows
        )

    def text(value) -> str:
        return "" if value is None else str(value)  # dates as yyyy-mm-dd, None as ""

    source_units = unit_rows(
        Unit.objects.filter(path__startswith=root.path).values_list(
            "code", "path", "name", "kind", "cell_type"
        )
    )
    source_members = Counter(
        tuple(text(v) for v in row)
        for row in Member.active.filter(province=root).values_list(*_MEMBER_FIELDS, "cell__code")
    )
    columns = ", ".join(f"m.{f}" for f in _MEMBER_FIELDS)
    with sqlite3.connect(target) as db:
        target_units = unit_rows(
            db.execute("SELECT code, path, name, kind, cell_type FROM org_unit").fetchall()
        )
        target_members = Counter(
            tuple(text(v) for v in row)
            for row in db.execute(
                f"SELECT {columns}, u.code FROM org_member m JOIN org_unit u ON u.id = m.cell_id"
            )
        )
    print("\nRound trip (code, name, parent, kind, cell type; every field of the member sheet):")
    ok = True
    for label, source, imported in (
        ("units", source_units, target_units),
        ("members", source_members, target_members),
    ):
        lost, extra = source - imported, imported - source
        same = sum((source & imported).values())
        print(f"  {label:<8} {same:7,} identical, {sum(lost.values()):,} missing or changed, {sum(extra.values()):,} extra")  # fmt: skip
        for row in list(lost)[:3]:
            print(f"    province: {row}")
        for row in list(extra)[:3]:
            print(f"    imported: {row}")
        ok = ok and not lost and not extra
    return ok


if __name__ == "__main__":
    sys.exit(main())
