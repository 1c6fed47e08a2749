"""/health: the database and the worker's last heartbeat; open to anyone, says nothing else."""

import datetime

import pytest
from django.db import DatabaseError
from django.utils import timezone

from chibo.notify import worker
from chibo.notify.models import WorkerHeartbeat
from tests.conftest import ROLES, check_matrix

pytestmark = pytest.mark.django_db


def test_healthy_with_a_recent_worker_for_everyone(world, client_as):
    worker.heartbeat("w1", starting=True)
    responses = check_matrix(client_as, "/health", dict.fromkeys(ROLES, 200))
    body = responses["anonymous"].json()
    assert body["status"] == "ok" and body["database"] == "ok" and body["worker"]["status"] == "ok"
    assert set(body) == {"status", "database", "worker"}
    assert "no-cache" in responses["anonymous"]["Cache-Control"]


def test_failing_without_a_worker_or_with_a_silent_one(world, client, settings):
    settings.CHIBO_HEALTH_WORKER_SECONDS = 300
    response = client.get("/health")
    assert response.status_code == 503 and response.json()["worker"] == {"status": "missing", "last_seen": None}
    worker.heartbeat("w1", starting=True)
    WorkerHeartbeat.objects.update(seen_at=timezone.now() - datetime.timedelta(seconds=301))
    response = client.get("/health")
    assert response.status_code == 503 and response.json()["worker"]["status"] == "stale"
    worker.heartbeat("w2", starting=True)  # another worker is alive: healthy again
    assert client.get("/health").status_code == 200


def test_failing_when_the_database_does_not_answer(world, client, monkeypatch):
    from chibo import health

    class Refusing:
        def cursor(self):
            raise DatabaseError("connection refused")

    monkeypatch.setattr(health, "connection", Refusing())
    assert health._database() is False
    monkeypatch.setattr(health, "_database", lambda: False)
    response = client.get("/health")
    assert response.status_code == 503
    assert response.json() == {"status": "failing", "database": "failing",
                               "worker": {"status": "unknown", "last_seen": None}}  # fmt: skip


def test_only_get(world, client):
    assert client.post("/health").status_code == 405
