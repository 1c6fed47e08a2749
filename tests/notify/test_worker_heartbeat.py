"""A worker busy with one long job (a whole province's import) must still look alive: to /health,
and to the other workers of a pool, which take back the jobs of a worker that looks gone."""

import time

import pytest

from chibo.notify import worker
from chibo.notify.models import WorkerHeartbeat


@pytest.mark.django_db(transaction=True)  # the keeper writes from its own thread and connection
def test_the_heartbeat_goes_on_while_a_long_job_runs():
    worker.heartbeat("w1", starting=True)
    started = WorkerHeartbeat.objects.get(worker_id="w1").seen_at
    with worker.heartbeat_while_busy("w1", every=0.05):
        time.sleep(0.5)  # the long job
        during = WorkerHeartbeat.objects.get(worker_id="w1").seen_at
    assert during > started
    ended = WorkerHeartbeat.objects.get(worker_id="w1").seen_at
    time.sleep(0.2)
    assert WorkerHeartbeat.objects.get(worker_id="w1").seen_at == ended  # the keeper stopped
