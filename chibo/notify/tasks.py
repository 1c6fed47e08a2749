"""Background jobs (django-tasks, database backend). An event's job is queued in the same
transaction as the change that caused it, so a change rolled back queues nothing; the job runs
after the commit, in `chibo worker`. Every job can run twice: a worker killed mid-job runs it
again from the start after its restart (see `worker.py`)."""

from __future__ import annotations

import datetime

from django_tasks import task
from django_tasks_db.models import DBTaskResult

from . import events, services
from .models import Delivery, DeliveryStatus


def queue_delivery() -> None:
    """Queue a `deliver` job when deliveries wait and none is queued."""
    waiting = DBTaskResult.objects.ready().filter(task_path=deliver.module_path).exists()
    if not waiting and Delivery.objects.filter(status=DeliveryStatus.PENDING).exists():
        deliver.enqueue()


@task(takes_context=True)
def deliver(context) -> int:
    return services.send_due(worker_id=context.task_result.worker_ids[-1])


def _then_deliver(count: int) -> int:
    if count:
        queue_delivery()
    return count


@task()
def meeting_announced(meeting_id: int) -> int:
    return _then_deliver(events.meeting_announced(meeting_id))


@task()
def minutes_finalised(meeting_id: int) -> int:
    return _then_deliver(events.minutes_finalised(meeting_id))


@task()
def document_added(document_id: int) -> int:
    return _then_deliver(events.document_added(document_id))


@task()
def proposal_closed(proposal_id: int) -> int:
    return _then_deliver(events.proposal_closed(proposal_id))


@task()
def leave_requested(request_id: int) -> int:
    return _then_deliver(events.leave_requested(request_id))


@task()
def leave_decided(request_id: int) -> int:
    return _then_deliver(events.leave_decided(request_id))


@task()
def draft_commented(comment_id: int) -> int:
    return _then_deliver(events.draft_commented(comment_id))


# Periodic checks, queued once a day by the worker (`worker.queue_periodic`).
@task()
def meetings_tomorrow(day: str) -> int:
    return _then_deliver(events.meetings_tomorrow(datetime.date.fromisoformat(day)))


@task()
def task_deadlines(day: str) -> int:
    return _then_deliver(events.task_deadlines(datetime.date.fromisoformat(day)))


@task()
def cells_not_met(day: str) -> int:
    return _then_deliver(events.cells_not_met(datetime.date.fromisoformat(day)))


@task()
def prune(day: str) -> int:
    return services.prune(today=datetime.date.fromisoformat(day))


PERIODIC = {"meetings_tomorrow": meetings_tomorrow, "task_deadlines": task_deadlines,
            "cells_not_met": cells_not_met, "prune": prune}  # fmt: skip
