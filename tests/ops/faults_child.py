"""The other side of tests/ops/test_faults.py: `python -m tests.ops.faults_child COMMAND ARGS…`,
run in a child process with an installation's environment and chibo's real settings.

The kill commands run a real operation the way the server (or `chibo backup`) runs it, with one
pause point patched in: when the operation reaches it, the child writes the file named by
CHIBO_FAULT_PAUSED and sleeps until the test SIGKILLs it. Product code has no test hooks.
Every command prints what it found as one JSON line on stdout."""

from __future__ import annotations

import datetime
import json
import os
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import django

MEETING_DAY = datetime.date(2026, 11, 5)
CARDS = "7707"  # the card numbers of the members in the imported file start with this


def pause() -> None:
    """Tell the test we are at the pause point, then wait to be killed."""
    marker = Path(os.environ["CHIBO_FAULT_PAUSED"])
    marker.with_suffix(".tmp").write_text(str(os.getpid()))
    os.replace(marker.with_suffix(".tmp"), marker)
    time.sleep(120)
    os._exit(3)  # the kill never came: fail loudly


def wait_for_go() -> None:
    """With CHIBO_FAULT_READY and CHIBO_FAULT_GO: say we are ready, wait for the go."""
    if os.environ.get("CHIBO_FAULT_READY"):
        Path(os.environ["CHIBO_FAULT_READY"]).write_text("ready")
        deadline = time.monotonic() + 60
        while not Path(os.environ["CHIBO_FAULT_GO"]).exists() and time.monotonic() < deadline:
            time.sleep(0.005)


def say(data) -> None:
    print(json.dumps(data, ensure_ascii=False, default=str), flush=True)


def client_for(username: str):
    from django.test import Client

    from chibo.accounts.models import User

    client = Client(raise_request_exception=False)
    client.force_login(User.objects.get(username=username))
    return client


# --- the installation -------------------------------------------------------------------------
def setup() -> None:
    """Province P → commune C1 → cell C1-A with three members, its secretary (Ưng), the
    commune's officer, a meeting of C1-A recorded completely and ready to be finalised, and
    one uploaded document (so that a backup has files to write after the database)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from chibo.documents.services import document_publish
    from chibo.org.models import CellType, MemberStatus, UnitKind
    from tests.factories import MemberFactory, make_unit, make_user
    from tests.meetings.conftest import plan, record_complete

    p = make_unit(None, "P", "Tỉnh ủy Thử", UnitKind.PROVINCE_COMMITTEE)
    c1 = make_unit(p, "C1", "Đảng ủy xã Hòa Bình", UnitKind.GRASSROOTS_COMMITTEE)
    a = make_unit(c1, "C1-A", "Chi bộ thôn Ấp Đông", UnitKind.CELL, CellType.RESIDENTIAL)
    hoa = MemberFactory(
        cell=a, family_name="Đặng", middle_name="Thị", given_name="Hoa", gender="female"
    )
    ung = MemberFactory(cell=a, family_name="Trần", middle_name="Văn", given_name="Ưng")
    MemberFactory(cell=a, family_name="Lê", middle_name="Văn", given_name="Sơn",
                  status=MemberStatus.PROBATIONARY, official_date=None,
                  admission_date=datetime.date(2026, 3, 1))  # fmt: skip
    users = {"secretary_a": make_user("secretary_a", role="secretary", unit=a, member=ung),
             "officer_c1": make_user("officer_c1", role="officer", unit=c1)}  # fmt: skip
    world = SimpleNamespace(a=a, hoa=hoa, ung=ung, users=users)
    meeting = record_complete(world, plan(world, day=MEETING_DAY))
    document_publish(unit=c1, by=users["officer_c1"], kind="directive", title="Chỉ thị (bản chụp)",
                     confidentiality="normal",
                     file=SimpleUploadedFile("chi-thi.pdf", b"%PDF-1.4 " + os.urandom(300_000)))  # fmt: skip
    section = meeting.sections.filter(content="discussion").first()
    say({"meeting": meeting.pk, "section": section.pk, "speaker": f"m:{hoa.pk}",
         "speeches": meeting.speeches.count(), "org": _org_report(),
         "minutes": _meeting_report(meeting.pk)})  # fmt: skip


# --- import -------------------------------------------------------------------------------------
def _org_report(job_id: str = "") -> dict:
    from chibo.core.models import AuditEntry
    from chibo.org import importing
    from chibo.org.models import Member, MemberEvent, Unit

    members = Member.objects.filter(card_number__startswith=CARDS)
    report = {
        "members": members.count(),
        "distinct_cards": members.values("card_number").distinct().count(),
        "events": MemberEvent.objects.filter(kind="imported").count(),
        "imports_audited": AuditEntry.objects.filter(action="org.import").count(),
        "new_unit": Unit.objects.filter(code="C1-N").count(),
        "units": Unit.objects.count(),
        "c1_children": Unit.objects.get(code="C1").numchild,
    }  # fmt: skip
    if job_id:
        from unittest import mock

        from django.utils import timezone

        report["job"] = importing.read_job(job_id)
        # …and what the status page says once the job has been silent longer than STALE_AFTER.
        later = timezone.now() + importing.STALE_AFTER * 2
        with mock.patch.object(timezone, "now", return_value=later):
            report["job_later"] = importing.read_job(job_id)
    return report


def _stall_the_import_before_its_commit() -> None:
    """The import stops inside its one transaction once every unit, member and event is
    written and the audit entry added: just before the commit."""
    from chibo.org import importing

    audit = importing.audit

    class Stalling:
        def record(self, **kwargs):
            audit.record(**kwargs)
            pause()

    importing.audit = Stalling()


def import_file(path: str, stall: str) -> None:
    """Upload the workbook as C1's officer, as a browser does (the page queues the job), then
    run one pass of the worker `w1`, which imports it; with stall="yes" the worker stops just
    before the import's commit."""
    import datetime

    from django.urls import reverse

    from chibo.notify import worker

    client = client_for("officer_c1")
    with open(path, "rb") as fh:
        response = client.post(reverse("import_upload"), {"file": fh})
    assert response.status_code == 302, response.status_code
    job_id = response["Location"].rstrip("/").split("/")[-1]
    if stall == "yes":
        _stall_the_import_before_its_commit()
    worker.one_pass("w1", stale_after=datetime.timedelta(minutes=2), starting=True)
    say(_org_report(job_id))


def worker_restart(job_id: str) -> None:
    """`chibo worker` started again as w1: it takes back its own unfinished job and runs it."""
    import datetime

    from chibo.notify import worker

    worker.one_pass("w1", stale_after=datetime.timedelta(minutes=2), starting=True)
    say(_org_report(job_id))


def import_report(job_id: str = "") -> None:
    say(_org_report(job_id))


# --- finalisation -----------------------------------------------------------------------------
def _meeting_report(meeting_id) -> dict:
    """Everything a finalisation writes: the meeting's state, hash and version, its audit
    entry, the follow-up tasks, the score, the monthly aggregates, the notification job."""
    from django_tasks_db.models import DBTaskResult

    from chibo.core.models import AuditEntry
    from chibo.followup.models import Task
    from chibo.meetings import services
    from chibo.meetings.models import Meeting
    from chibo.quality.models import MeetingScore
    from chibo.reports.models import UnitMonth

    meeting = Meeting.objects.get(pk=meeting_id)
    return {
        "status": meeting.status, "hash": meeting.content_hash,
        "recomputed_hash": services.content_hash(services.minutes_content(meeting)),
        "finalised_at": meeting.finalised_at, "finalised_by": meeting.finalised_by_id,
        "acknowledged": meeting.acknowledged_warnings, "version": meeting.version,
        "audit": AuditEntry.objects.filter(action="meeting.finalise").count(),
        "tasks": Task.objects.filter(meeting=meeting).count(),
        "scores": MeetingScore.objects.filter(meeting=meeting).count(),
        "month_meetings": sum(UnitMonth.objects.filter(unit=meeting.unit).values_list("meetings", flat=True)),
        "jobs": DBTaskResult.objects.count(),
    }  # fmt: skip


def finalise(meeting_id: str, stall: str) -> None:
    """Finalise the minutes through the page, as the cell's secretary. With stall="yes" the
    request stops after every receiver of `meeting_finalised` has run (tasks, score,
    aggregates, the notification job): everything written, nothing committed."""
    from django.urls import reverse

    from chibo.meetings import checks, signals
    from chibo.meetings.models import Meeting

    if stall == "yes":
        signals.meeting_finalised.connect(
            lambda **kwargs: pause(), weak=False, dispatch_uid="stall"
        )
    meeting = Meeting.objects.get(pk=meeting_id)
    _errors, warnings = checks.problems(meeting)
    data = {"go": "1", **{f"ack_{w.code}": "Chi bộ đã thống nhất." for w in warnings}}
    response = client_for("secretary_a").post(reverse("meeting_finalise", args=[meeting.pk]), data)
    say({"status": response.status_code, "location": response.get("Location", ""),
         "minutes": _meeting_report(meeting_id)})  # fmt: skip


def meeting_report(meeting_id: str) -> None:
    say(_meeting_report(meeting_id))


# --- backup -------------------------------------------------------------------------------------
def backup(output: str) -> None:
    """`chibo backup --output OUTPUT`, stopped once the database is in the archive, before the
    uploaded files."""
    import tarfile

    from django.core.management import execute_from_command_line

    add = tarfile.TarFile.add

    def stalling_add(self, name, arcname=None, *args, **kwargs):
        add(self, name, arcname, *args, **kwargs)
        if (arcname or "").startswith("database."):
            pause()

    tarfile.TarFile.add = stalling_add
    execute_from_command_line(["chibo", "backup", "--output", output])


# --- concurrent writers -------------------------------------------------------------------------
def write_speeches(
    meeting_id: str, section_id: str, speaker: str, count: str, tag: str, threads: str
) -> None:
    """Save `count` speeches through the recording screen (htmx) in each of `threads` threads
    — each with its own session and database connection, like a threaded server — one after
    the other as fast as the server answers, once all writers are ready (wait_for_go). Every
    request also saves the session. Prints the statuses and, at the end, how many speeches
    the minutes hold."""
    from django.db import connection
    from django.urls import reverse

    from chibo.meetings.models import Speech

    url = reverse("speech_add", args=[meeting_id, section_id])
    clients = [client_for("secretary_a") for _ in range(int(threads))]
    statuses: list[list[int]] = [[] for _ in clients]
    slowest = [0.0]

    def write(n: int) -> None:
        try:
            go.wait(60)
            for i in range(int(count)):
                started = time.monotonic()
                response = clients[n].post(url, {"speaker": speaker, "text": f"{tag}.{n} lượt {i}"},
                                           HTTP_HX_REQUEST="true")  # fmt: skip
                slowest[0] = max(slowest[0], time.monotonic() - started)
                statuses[n].append(response.status_code)
        finally:
            connection.close()

    go = threading.Event()
    workers = [threading.Thread(target=write, args=(n,)) for n in range(len(clients))]
    for worker in workers:
        worker.start()
    connection.close()
    wait_for_go()
    begun = time.monotonic()
    go.set()
    for worker in workers:
        worker.join(120)
    say({"statuses": statuses, "slowest": round(slowest[0], 3), "elapsed": round(time.monotonic() - begun, 2),
         "speeches": Speech.objects.filter(meeting_id=meeting_id).count()})  # fmt: skip


def busy_writes(meeting_id: str, section_id: str, speaker: str, timeout: str) -> None:
    """Save a speech through the page, the htmx call and the API, with the SQLite busy timeout
    set to `timeout` seconds, once the test has taken its lock (wait_for_go)."""
    from django.conf import settings
    from django.db import connection
    from django.urls import reverse

    from chibo.meetings.models import Speech

    client = client_for("secretary_a")
    client.get(f"/api/v1/meetings/{meeting_id}")  # everything imported and warm
    url = reverse("speech_add", args=[meeting_id, section_id])
    requests = {
        "page": lambda: client.post(url, {"speaker": speaker, "text": "Phát biểu (trang)"},
                                    HTTP_REFERER=f"http://testserver/meetings/{meeting_id}/record/"),
        "htmx": lambda: client.post(url, {"speaker": speaker, "text": "Phát biểu (htmx)"},
                                    HTTP_HX_REQUEST="true"),
        "api": lambda: client.post(f"/api/v1/sections/{section_id}/speeches",
                                   {"speaker": int(speaker[2:]), "text": "Phát biểu (API)"},
                                   content_type="application/json"),
    }  # fmt: skip
    settings.DATABASES["default"]["OPTIONS"]["timeout"] = float(timeout)
    connection.close()  # the next connection opens with the timeout above
    wait_for_go()
    results = {}
    for name, send in requests.items():
        started = time.monotonic()
        response = send()
        results[name] = {"status": response.status_code, "body": response.content.decode(),
                         "seconds": round(time.monotonic() - started, 2),
                         "retry_after": response.get("Retry-After")}  # fmt: skip
    connection.close()
    settings.DATABASES["default"]["OPTIONS"]["timeout"] = 20
    results["speeches"] = Speech.objects.filter(meeting_id=meeting_id).count()
    say(results)


COMMANDS = {
    "setup": setup, "import": import_file, "import-report": import_report,
    "worker-restart": worker_restart,
    "finalise": finalise, "meeting-report": meeting_report, "backup": backup,
    "write-speeches": write_speeches, "busy-writes": busy_writes,
}  # fmt: skip

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chibo.settings")
    from django.conf import settings

    # Static files from the finders, as in the tests: no collectstatic manifest needed.
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # fmt: skip
    django.setup()
    COMMANDS[sys.argv[1]](*sys.argv[2:])
