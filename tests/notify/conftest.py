"""Notifications in the `world` of tests/conftest.py. Jobs queued by events are run in-process
with `run_jobs()`, as `chibo worker` runs them."""

import pytest

from chibo.notify import worker
from chibo.notify.models import Notification


def run_jobs() -> int:
    return worker.run_ready("test-worker")


def kinds_of(user) -> list[str]:
    return sorted(Notification.objects.filter(user=user).values_list("kind", flat=True))


@pytest.fixture
def addresses(world):
    """E-mail addresses for everyone in cell A and the officers; B's secretary has none."""
    for name in ("member_a", "secretary_a", "officer_c1", "officer_c2"):
        user = world.users[name]
        user.email = f"{name}@example.vn"
        user.save(update_fields=["email"])
    return world
