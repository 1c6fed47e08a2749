"""`chibo worker` as a real process, killed with SIGKILL in the middle of sending and started
again: everything is sent, and nothing the gateway acknowledged is sent twice. The one message
in flight at the kill — received, never answered — is sent again under the same
Idempotency-Key, so the gateway can drop the copy. Runs on its own SQLite file, since the
worker is another process."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .webhook import Gateway

ROOT = Path(__file__).resolve().parents[2]
PEOPLE = 12

SETUP = f"""
from chibo.accounts.models import User
from chibo.notify import services, tasks
from chibo.org.models import Member, Unit, UnitKind
import datetime
root = Unit.add_root(code="W", name="Tỉnh ủy Thử", kind=UnitKind.PROVINCE_COMMITTEE)
cell = root.add_child(code="W-A", name="Chi bộ thôn Thử", kind=UnitKind.CELL, cell_type="residential")
ids = []
for i in range({PEOPLE}):
    m = Member.objects.create(family_name="Nguyễn", middle_name="Văn", given_name=f"Thử {{i}}",
        gender="male", birth_date=datetime.date(1980, 1, 1), admission_date=datetime.date(2010, 1, 1),
        status="official", cell=cell, phone=f"09000000{{i:02d}}")
    ids.append(User.objects.create_user(username=f"u{{i}}", password="x", member=m).pk)
services.notify(user_ids=ids, kind="meeting_tomorrow", key="meeting:1:tomorrow:2026-12-06",
    params={{"meeting_id": 1, "cell": cell.name, "date": "2026-12-06", "time": "19:30",
             "place": "Nhà văn hóa", "topic": "", "resolution_number": ""}}, url="/meetings/1/",
    province_id=root.pk)
tasks.deliver.enqueue()
"""

REPORT = """
import json
from chibo.notify.models import Delivery
from django_tasks_db.models import DBTaskResult
print(json.dumps({"deliveries": sorted(Delivery.objects.values_list("status", flat=True)),
                  "keys": sorted(d.message_id for d in Delivery.objects.all()),
                  "jobs": sorted(DBTaskResult.objects.values_list("status", flat=True))}))
"""


def chibo(env, *args, **kwargs):
    return subprocess.run([sys.executable, "-m", "chibo", *args], cwd=ROOT, env=env, check=True,
                          capture_output=True, text=True, timeout=300, **kwargs)  # fmt: skip


def kill_while_sending(env, gateway, *, hang_on: int) -> None:
    """Start worker w1, and SIGKILL it while the gateway holds its `hang_on`-th message."""
    gateway.hang_on = hang_on
    worker = subprocess.Popen([sys.executable, "-m", "chibo", "worker", "--worker-id", "w1",
                               "--interval", "0.2"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        assert gateway.hanging.wait(60), "the worker never reached the gateway"
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
    gateway.release.set()


@pytest.fixture
def installation(tmp_path):
    env = {**os.environ, "CHIBO_DATABASE_URL": f"sqlite:///{tmp_path / 'worker.sqlite3'}",
           "CHIBO_VAR_DIR": str(tmp_path), "CHIBO_HTTPS": "0", "DJANGO_SETTINGS_MODULE": "chibo.settings",
           "CHIBO_REMINDER_HOUR": "24"}  # no daily checks: only the queued delivery  # fmt: skip
    env.pop("CHIBO_NOTIFY_WEBHOOKS", None)
    chibo(env, "migrate", "--noinput", "-v", "0")
    return env


def test_a_worker_killed_mid_send_and_restarted_sends_everything_once(installation):
    with Gateway() as gateway:
        env = {**installation, "CHIBO_NOTIFY_WEBHOOKS": json.dumps(
            [{"name": "sms", "url": gateway.url, "default_on": True}])}  # fmt: skip
        chibo(env, "shell", "-v", "0", "-c", SETUP)
        kill_while_sending(env, gateway, hang_on=5)  # the 5th message is received, never answered
        assert len(gateway.acknowledged) == 4
        before = json.loads(chibo(env, "shell", "-v", "0", "-c", REPORT).stdout)
        assert before["jobs"] == ["RUNNING"]  # the killed worker's job is left claimed
        assert before["deliveries"].count("sending") >= 1

        chibo(env, "worker", "--worker-id", "w1", "--once")  # the same worker, restarted
        after = json.loads(chibo(env, "shell", "-v", "0", "-c", REPORT).stdout)

    assert after["deliveries"] == ["sent"] * PEOPLE
    assert after["jobs"] == ["SUCCESSFUL"]
    assert sorted(gateway.acknowledged) == after["keys"]  # every message acknowledged exactly once
    received = [r["json"]["id"] for r in gateway.received]
    assert len(received) == PEOPLE + 1  # the unanswered one went out again…
    held = gateway.received[4]["json"]["id"]
    assert received.count(held) == 2  # …under the same key


def test_another_worker_takes_over_when_the_dead_ones_heartbeat_is_stale(installation):
    with Gateway() as gateway:
        env = {**installation, "CHIBO_NOTIFY_WEBHOOKS": json.dumps(
            [{"name": "sms", "url": gateway.url, "default_on": True}])}  # fmt: skip
        chibo(env, "shell", "-v", "0", "-c", SETUP)
        kill_while_sending(env, gateway, hang_on=2)
        # While w1's heartbeat is fresh, another worker leaves w1's job and claimed messages alone…
        chibo(env, "worker", "--worker-id", "w2", "--once", "--stale-after", "60")
        middle = json.loads(chibo(env, "shell", "-v", "0", "-c", REPORT).stdout)
        assert "RUNNING" in middle["jobs"] and "sending" in middle["deliveries"]
        time.sleep(1.5)
        # …until w1 has been silent longer than --stale-after.
        chibo(env, "worker", "--worker-id", "w2", "--once", "--stale-after", "1")
        after = json.loads(chibo(env, "shell", "-v", "0", "-c", REPORT).stdout)
    assert after["deliveries"] == ["sent"] * PEOPLE and set(after["jobs"]) == {"SUCCESSFUL"}
    assert sorted(gateway.acknowledged) == after["keys"]
