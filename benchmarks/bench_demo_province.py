"""Time `chibo demo --scale province` (the province of seed 004) on a fresh database.

    .venv/bin/python benchmarks/bench_demo_province.py            # SQLite in a temp dir
    .venv/bin/python benchmarks/bench_demo_province.py --keep var/bench/province.sqlite3
    CHIBO_DATABASE_URL=postgres://… .venv/bin/python benchmarks/bench_demo_province.py

Target (issue #2): at most 3 minutes on SQLite on the 2-core development machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from _common import configure, migrate

TARGET_SECONDS = 180


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fraction", type=float, default=1.0, help="scale every count (0–1]")
    parser.add_argument(
        "--keep",
        type=Path,
        help="SQLite only: write the database here and keep it (must not exist)",
    )
    args = parser.parse_args()

    tmp = None
    if "CHIBO_DATABASE_URL" in os.environ:
        path = None
    elif args.keep:
        path = args.keep.resolve()
        if path.exists():
            sys.exit(f"{path} exists; remove it first (the benchmark needs a fresh database).")
    else:
        tmp = tempfile.mkdtemp(prefix="chibo-bench-")
        path = Path(tmp) / "province.sqlite3"
    try:
        return run(configure(path), args.fraction, path)
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


def run(engine: str, fraction: float, path: Path | None) -> int:
    from chibo.org import demo
    from chibo.org.models import Exemption, Member, MemberEvent, TemporaryAttachment, Unit

    print(f"Database: {engine}")
    print(f"Machine:  {os.cpu_count()} CPUs")
    print(f"migrate: {migrate():.1f} s")
    if Unit.objects.filter(code=demo.PROVINCE_CODE).exists():
        sys.exit(
            f"The province {demo.PROVINCE_CODE} already exists in this database; "
            "give the benchmark a fresh one (dropdb/createdb)."
        )
    print(f"Generating the seed-004 province (fraction {fraction})…")
    started = time.perf_counter()
    result = demo.generate_province(
        scale=fraction, progress=lambda label, s: print(f"  {s:6.1f} s  {label}")
    )
    total = time.perf_counter() - started
    print(f"  {total:6.1f} s  TOTAL (target ≤ {TARGET_SECONDS} s at full scale)")
    print("Rows:")
    for model in (Unit, Member, Exemption, TemporaryAttachment, MemberEvent):
        print(f"  {model.__name__:<20} {model.objects.count():>8,}")
    print("Province:", ", ".join(f"{k}={v:,}" for k, v in result.counts.items()))
    if path is not None:
        print(f"SQLite file: {path.stat().st_size / 2**20:.1f} MiB")
    return 0 if fraction < 1 or total <= TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
