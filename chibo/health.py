"""GET /health: for the load balancer and the operators' monitoring. It answers 200 when the
database answers and a worker has been seen lately, 503 otherwise, with what failed. It says
nothing else about the installation and needs no login."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from chibo.notify.models import WorkerHeartbeat


def _database() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except DatabaseError:
        return False


def _worker() -> dict:
    try:
        seen = WorkerHeartbeat.objects.order_by("-seen_at").values_list("seen_at", flat=True).first()
    except DatabaseError:
        return {"status": "unknown", "last_seen": None}
    if seen is None:
        return {"status": "missing", "last_seen": None}
    limit = datetime.timedelta(seconds=settings.CHIBO_HEALTH_WORKER_SECONDS)
    return {"status": "ok" if timezone.now() - seen <= limit else "stale", "last_seen": seen.isoformat()}


@never_cache
@require_GET
def health(request):
    database = _database()
    worker = _worker() if database else {"status": "unknown", "last_seen": None}
    healthy = database and worker["status"] == "ok"
    return JsonResponse({"status": "ok" if healthy else "failing", "database": "ok" if database else "failing",
                         "worker": worker}, status=200 if healthy else 503)  # fmt: skip
