"""`chibo worker`: runs the queued jobs (notifications and their deliveries) and the daily
checks (meetings tomorrow, task deadlines, cells that have not met). Stop it with SIGTERM or
Ctrl+C: it finishes the job in hand first."""

from __future__ import annotations

import datetime
import logging
import signal
import socket
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from chibo.notify import worker


class Command(BaseCommand):
    help = "Run queued jobs and the daily checks (notifications, reminders)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--worker-id", default=socket.gethostname()[:64],
                            help="Unique in the pool and the same across restarts (default: host name).")
        parser.add_argument("--interval", type=float, default=5.0,
                            help="Seconds between passes when there is nothing to do.")
        parser.add_argument("--stale-after", type=float, default=120.0,
                            help="Seconds without a heartbeat after which a worker counts as gone.")
        parser.add_argument("--once", action="store_true", help="One pass, then exit.")

    def handle(self, *, worker_id: str, interval: float, stale_after: float, once: bool,
               verbosity: int, **options) -> None:  # fmt: skip
        if not worker_id or interval < 0 or stale_after <= 0:
            raise CommandError("--worker-id must be set, --interval ≥ 0, --stale-after > 0")
        logging.basicConfig(level=logging.INFO if verbosity else logging.WARNING,
                            format="%(asctime)s %(name)s %(levelname)s %(message)s")  # fmt: skip
        stop = {"asked": False}

        def ask_stop(signum, frame) -> None:
            stop["asked"] = True

        signal.signal(signal.SIGTERM, ask_stop)
        signal.signal(signal.SIGINT, ask_stop)
        stale = datetime.timedelta(seconds=stale_after)
        starting = True
        while not stop["asked"]:
            close_old_connections()
            done = worker.one_pass(worker_id, stale_after=stale, starting=starting,
                                   should_stop=lambda: stop["asked"])  # fmt: skip
            starting = False
            if verbosity > 1 and done:
                self.stdout.write(f"{done} job(s) run")
            if once:
                break
            slept = 0.0
            while slept < interval and not stop["asked"]:
                time.sleep(min(0.2, interval))
                slept += 0.2
