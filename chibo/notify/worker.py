"""What `chibo worker` does on each pass: say it is alive, take back the work of workers that
are gone, queue the day's periodic checks once, and run the ready jobs.

A worker killed mid-job leaves its job RUNNING and maybe deliveries SENDING under its id. A
worker restarted with the same id (the default is the host name; give each worker of a pool
its own `--worker-id`) takes its own leftovers back at once; another worker takes them back
when the dead one's heartbeat is older than `stale_after`. Jobs then run again from the start:
each is idempotent (notification keys, and deliveries SENT are never sent again)."""

from __future__ import annotations

import datetime
import logging
import threading
from contextlib import contextmanager

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction

from . import services, tasks
from .models import PeriodicRun, WorkerHeartbeat

logger = logging.getLogger("chibo.worker")


def heartbeat(worker_id: str, *, starting: bool = False) -> None:
    now = timezone.now()
    defaults = {"seen_at": now, **({"started_at": now} if starting else {})}
    WorkerHeartbeat.objects.update_or_create(worker_id=worker_id, defaults=defaults,
                                             create_defaults={"started_at": now, "seen_at": now})  # fmt: skip


def gone_workers(worker_id: str, *, stale_after: datetime.timedelta, starting: bool) -> set[str]:
    cutoff = timezone.now() - stale_after
    gone = set(WorkerHeartbeat.objects.filter(seen_at__lt=cutoff).exclude(worker_id=worker_id)
               .values_list("worker_id", flat=True))  # fmt: skip
    if starting:
        gone.add(worker_id)  # our own previous run
    return gone


def release(gone: set[str]) -> tuple[int, int]:
    """Jobs and deliveries claimed by workers that are gone become ready again."""
    jobs = 0
    if gone:
        with transaction.atomic():
            for result in DBTaskResult.objects.running().select_for_update():
                if result.worker_ids and result.worker_ids[-1] in gone:
                    DBTaskResult.objects.filter(pk=result.pk).update(status="READY", started_at=None)
                    jobs += 1
    deliveries = services.release(worker_ids=gone)
    if jobs or deliveries:
        logger.warning("Took back %s job(s) and %s delivery(ies) of %s", jobs, deliveries, sorted(gone))
    return jobs, deliveries


def queue_periodic(now: datetime.datetime | None = None) -> list[str]:
    """Queue each periodic check once a day, from CHIBO_REMINDER_HOUR (local time) on."""
    local = timezone.localtime(now or timezone.now())
    if local.hour < settings.CHIBO_REMINDER_HOUR:
        return []
    slot = local.date().isoformat()
    queued = []
    for name, job in tasks.PERIODIC.items():
        try:
            with transaction.atomic():
                PeriodicRun.objects.create(job=name, slot=slot)
                job.enqueue(slot)
        except IntegrityError:
            continue  # this worker or another one queued it already
        queued.append(name)
    return queued


# How often a worker busy with one long job (a whole province's import) still says it is alive.
BUSY_HEARTBEAT_SECONDS = 30.0


@contextmanager
def heartbeat_while_busy(worker_id: str, every: float = BUSY_HEARTBEAT_SECONDS):
    """While a job runs, a thread with its own database connection keeps the worker's heartbeat
    fresh: otherwise a long job makes the worker look gone to /health, and to the other
    workers of a pool, which would take the job back and run it a second time at once."""
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(every):
                try:
                    heartbeat(worker_id)
                except DatabaseError as error:  # SQLite: the job holds the write lock; next time
                    logger.warning("Heartbeat of %s not written: %s", worker_id, error)
        finally:
            connection.close()  # this thread's own connection

    keeper = threading.Thread(target=beat, name=f"heartbeat-{worker_id}", daemon=True)
    keeper.start()
    try:
        yield
    finally:
        stop.set()
        keeper.join()


def run_ready(worker_id: str, *, should_stop=lambda: False) -> int:
    """Run the ready jobs one by one until none is left (or asked to stop)."""
    runner = Worker(queue_names=["*"], interval=0, batch=True, backend_name="default",
                    startup_delay=False, max_tasks=None, worker_id=worker_id,
                    excluded_queue_names=[])  # fmt: skip
    done = 0
    while not should_stop():
        with exclusive_transaction(DBTaskResult.objects.db):
            result = DBTaskResult.objects.ready().get_locked()
            if result is None:
                break
            result.claim(worker_id)
        with heartbeat_while_busy(worker_id):
            runner.run_task(result)
        heartbeat(worker_id)  # a long queue must not look like a dead worker to /health
        if result.status == "FAILED":
            logger.error("Job %s (%s) failed:\n%s", result.pk, result.task_path, result.traceback)
        done += 1
    return done


def one_pass(worker_id: str, *, stale_after: datetime.timedelta, starting: bool = False,
             should_stop=lambda: False) -> int:  # fmt: skip
    heartbeat(worker_id, starting=starting)
    release(gone_workers(worker_id, stale_after=stale_after, starting=starting))
    queue_periodic()
    tasks.queue_delivery()  # retries that have come due
    return run_ready(worker_id, should_stop=should_stop)
