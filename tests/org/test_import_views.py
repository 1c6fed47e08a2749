"""Import and export pages: the access matrix, upload → progress → result, the error report."""

import io
import json
import os
import uuid

import openpyxl
import pytest
from django.urls import reverse

from chibo.org import importing
from chibo.org.models import Member, Unit

from ..conftest import check_matrix
from .test_import import make_xlsx, member_row, unit_row

MANAGERS_ONLY = {
    "member_a": 403, "secretary_a": 403, "secretary_b": 403,
    "officer_c1": 200, "officer_c2": 200, "admin_p": 200, "anonymous": 302,
}  # fmt: skip
EVERYONE = {role: 200 for role in MANAGERS_ONLY} | {"anonymous": 302}
OWNER_ONLY = {role: 404 for role in MANAGERS_ONLY} | {"officer_c1": 200, "anonymous": 302}


@pytest.fixture(autouse=True)
def import_settings(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.CHIBO_IMPORT_SYNC = True  # imported inside the request; the worker tests say otherwise
    return settings


class Upload:
    """A file the test client can send again and again (check_matrix posts it once per role)."""

    def __init__(self, content: bytes, name: str = "dang-vien.xlsx"):
        self.content, self.name = content, name

    def read(self) -> bytes:
        return self.content


def xlsx_bytes(units=None, members=None) -> bytes:
    return make_xlsx(units, members).getvalue()


def upload(client, content: bytes, name="dang-vien.xlsx"):
    return client.post(reverse("import_upload"), {"file": Upload(content, name)})


def job_of(response) -> str:
    assert response.status_code == 302, response.status_code
    return response["Location"].rstrip("/").split("/")[-1]


def cards(response) -> set:
    """The card numbers in an exported workbook."""
    ws = workbook(response)["Đảng viên"]
    return {row[5] for row in list(ws.iter_rows(values_only=True))[1:]}


def workbook(response) -> openpyxl.Workbook:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return openpyxl.load_workbook(io.BytesIO(body))


# --- access matrix ------------------------------------------------------------------------------
def test_matrix_upload_page(client_as):
    responses = check_matrix(client_as, reverse("import_upload"), MANAGERS_ONLY)
    assert "/accounts/login/" in responses["anonymous"]["Location"]
    assert b'enctype="multipart/form-data"' in responses["officer_c1"].content
    assert reverse("import_template").encode() in responses["officer_c1"].content


def test_matrix_template_download(client_as):
    responses = check_matrix(client_as, reverse("import_template"), MANAGERS_ONLY)
    wb = workbook(responses["officer_c2"])
    assert "Đảng viên" in wb.sheetnames and "Đơn vị" in wb.sheetnames
    assert "attachment" in responses["officer_c2"]["Content-Disposition"]


def test_matrix_upload_post(client_as, world):
    content = xlsx_bytes(None, [member_row(cell="C1-A", card_number=None)])
    expected = MANAGERS_ONLY | {"officer_c1": 302, "officer_c2": 302, "admin_p": 302}
    responses = check_matrix(client_as, reverse("import_upload"), expected, method="post",
                             data={"file": Upload(content)})  # fmt: skip
    assert "/accounts/login/" in responses["anonymous"]["Location"]
    # the officer of C1 and the admin imported the row; C2's officer may not touch cell A
    assert Member.objects.filter(cell=world.a, card_number=None).count() == 2
    failed = importing.read_job(job_of(responses["officer_c2"]))
    assert failed["state"] == "failed" and failed["result"]["errors"][0]["column"] == "Mã chi bộ"


def test_matrix_status_page(client_as, world):
    job = job_of(upload(client_as("officer_c1"), xlsx_bytes(None, [member_row(card_number="01.999999")])))  # fmt: skip
    url = reverse("import_status", args=[job])
    responses = check_matrix(client_as, url, OWNER_ONLY)
    assert b"01.999999" not in responses["officer_c2"].content
    check_matrix(client_as, url, OWNER_ONLY, HTTP_HX_REQUEST="true")
    # an unknown job reads the same as someone else's
    check_matrix(client_as, reverse("import_status", args=[uuid.uuid4()]),
                 OWNER_ONLY | {"officer_c1": 404})  # fmt: skip


def test_matrix_error_report(client_as, world):
    job = job_of(upload(client_as("officer_c1"), xlsx_bytes(None, [member_row(cell="NOPE")])))
    responses = check_matrix(client_as, reverse("import_report", args=[job]), OWNER_ONLY)
    ws = workbook(responses["officer_c1"]).active
    assert [c.value for c in ws[2]][:4] == ["Đảng viên", 2, "Mã chi bộ", "NOPE"]


def test_matrix_member_export(client_as, world):
    url = reverse("member_export")
    responses = check_matrix(client_as, url, EVERYONE)
    assert "/accounts/login/" in responses["anonymous"]["Location"]
    roster_a = {world.hoa.card_number, world.ung.card_number, world.son.card_number}
    assert cards(responses["member_a"]) == roster_a
    assert cards(responses["secretary_b"]) == {world.binh.card_number}
    assert cards(responses["officer_c2"]) == {world.dung.card_number}
    assert len(cards(responses["admin_p"])) == 5
    # a unit outside the user's grants answers 404, as if it did not exist
    responses = check_matrix(client_as, f"{url}?unit={world.a.pk}", {
        "member_a": 200, "secretary_a": 200, "secretary_b": 404, "officer_c1": 200,
        "officer_c2": 404, "admin_p": 200, "anonymous": 302,
    })  # fmt: skip
    assert cards(responses["officer_c1"]) == roster_a
    check_matrix(client_as, f"{url}?unit=999999", EVERYONE | {r: 404 for r in MANAGERS_ONLY if r != "anonymous"})  # fmt: skip
    check_matrix(client_as, f"{url}?unit=abc", EVERYONE | {r: 404 for r in MANAGERS_ONLY if r != "anonymous"})  # fmt: skip


def test_member_export_filters_like_the_member_list(client_as, world):
    client = client_as("officer_c1")
    response = client.get(reverse("member_export"), {"q": "dang thi hoa", "unit": world.c1.pk})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="dang-vien-C1-')
    members = list(workbook(response)["Đảng viên"].iter_rows(values_only=True))[1:]
    assert [(m[0], m[2]) for m in members] == [("Đặng", "Hoa")]
    response = client.get(reverse("member_export"), {"status": "probationary"})
    assert [m[2] for m in list(workbook(response)["Đảng viên"].iter_rows(values_only=True))[1:]] == ["Sơn"]  # fmt: skip


# --- upload → result --------------------------------------------------------------------------------
def test_good_upload_shows_the_result(client_as, world):
    client = client_as("admin_p")
    content = xlsx_bytes(
        [unit_row("C3", "Đảng ủy xã Đồng Tâm", "P", "Đảng bộ cơ sở", ""),
         unit_row("C3-A", "Chi bộ thôn Thượng Ơn", "C3")],
        [member_row(family_name="Đặng", given_name="Ưng", cell="C3-A", card_number="03.000001"),
         member_row(family_name="Vương", given_name="Ơn", cell="C3-A", card_number="03.000002")],
    )  # fmt: skip
    response = upload(client, content, "Danh sách Đồng Tâm.xlsx")
    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert "alert-success" in html and "Danh sách Đồng Tâm.xlsx" in html
    assert 'hx-trigger="every 1s"' not in html  # finished: no more polling
    assert Member.objects.get(card_number="03.000002").cell.code == "C3-A"
    assert Unit.objects.get_parent(Unit.objects.get(code="C3")) == world.p
    # the uploaded file is removed once imported; the status stays for the result page
    assert not list(importing.jobs_dir().glob("*.xlsx"))


def test_bad_upload_shows_every_problem_in_a_table(client_as, world):
    client = client_as("officer_c1")
    rows = [member_row(card_number="04.000001"), member_row(cell="NOPE"),
            member_row(birth_date="31/02/1980"), member_row(card_number="04.000001")]  # fmt: skip
    before = Member.objects.count()
    response = upload(client, xlsx_bytes(None, rows))
    html = client.get(response["Location"]).content.decode()
    assert Member.objects.count() == before
    assert "alert-danger" in html and "<table" in html
    assert "NOPE" in html and "31/02/1980" in html
    assert html.count("<tr>") == 1 + 3  # header + one line per problem
    partial = client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert partial.lstrip().startswith('<div id="import-status"') and "<html" not in partial
    assert reverse("import_report", args=[job_of(response)]) in html


def test_running_job_polls_every_second(client_as, world):
    client = client_as("officer_c1")
    job = str(uuid.uuid4())
    importing._write_status(job, {"id": job, "owner": world.users["officer_c1"].pk,
                                  "filename": "lớn.xlsx", "state": "running", "done": 30,
                                  "total": 120, "result": None})  # fmt: skip
    url = reverse("import_status", args=[job])
    html = client.get(url).content.decode()
    assert 'hx-trigger="every 1s"' in html and f'hx-get="{url}"' in html
    assert 'aria-valuenow="25"' in html and "25%" in html
    assert client.get(reverse("import_report", args=[job])).status_code == 404  # no report yet


def test_old_jobs_are_forgotten(client_as, world):
    old = importing.jobs_dir() / f"{uuid.uuid4()}.json"
    old.write_text("{}")
    os.utime(old, (0, 0))
    upload(client_as("officer_c1"), xlsx_bytes(None, [member_row()]))
    assert not old.exists() and len(list(importing.jobs_dir().glob("*.json"))) == 1


def test_stale_job_is_reported_as_interrupted(client_as, world, settings):
    job = str(uuid.uuid4())
    status = {"id": job, "owner": world.users["officer_c1"].pk, "filename": "x.xlsx",
              "state": "running", "done": 1, "total": 10, "result": None}  # fmt: skip
    importing._write_status(job, status)
    path = importing.jobs_dir() / f"{job}.json"
    data = json.loads(path.read_text())
    data["updated"] = "2000-01-01T00:00:00+00:00"
    path.write_text(json.dumps(data))
    html = client_as("officer_c1").get(reverse("import_status", args=[job])).content.decode()
    # Not "failed": the worker runs the job again when it is back; the page keeps watching.
    assert 'id="import-interrupted"' in html and "không tải tệp lên lần nữa" in html
    assert "every 1s" in html and "alert-danger" not in html
    assert importing.read_job(job)["state"] == "running" and importing.read_job(job)["interrupted"]


def test_a_file_without_the_xlsx_extension_is_refused_at_once(client_as, world):
    response = upload(client_as("officer_c1"), b"Ho,Ten\n", "dang-vien.csv")
    assert response.status_code == 400 and b"is-invalid" in response.content
    assert not list(importing.jobs_dir().glob("*"))


@pytest.mark.parametrize("content", [b"not a zip", b"PK\x03\x04" + b"\0" * 100, b""])
def test_damaged_or_empty_xlsx_fails_with_a_message(client_as, world, content):
    client = client_as("officer_c1")
    response = upload(client, content, "dang-vien.xlsx")
    job = importing.read_job(job_of(response))
    assert job["state"] == "failed" and job["result"]["message"] and not job["result"]["errors"]
    assert "alert-danger" in client.get(response["Location"]).content.decode()


def test_oversize_upload_is_refused(client_as, world, settings):
    settings.CHIBO_IMPORT_MAX_BYTES = 2000
    response = upload(client_as("officer_c1"), xlsx_bytes(None, [member_row()]))
    assert response.status_code == 400 and b"MB" in response.content
    assert not list(importing.jobs_dir().glob("*"))


def test_no_file_chosen(client_as, world):
    response = client_as("officer_c1").post(reverse("import_upload"), {})
    assert response.status_code == 400 and b"is-invalid" in response.content


def test_outside_tests_the_worker_imports_the_file(client_as, world, settings):
    """The upload only queues the job; `chibo worker` imports it (not a thread of the web
    server, which dies when gunicorn recycles or restarts its worker)."""
    from django_tasks_db.models import DBTaskResult

    from chibo.notify import worker
    from chibo.org.tasks import run_import

    settings.CHIBO_IMPORT_SYNC = False
    before = Member.objects.count()
    response = upload(client_as("officer_c1"), xlsx_bytes(None, [member_row()]))
    job = job_of(response)
    queued = DBTaskResult.objects.get(task_path=run_import.module_path)
    assert queued.status == "READY" and queued.args_kwargs["args"][:2] == [job, world.users["officer_c1"].pk]
    assert importing.read_job(job)["state"] == "queued" and Member.objects.count() == before
    html = client_as("officer_c1").get(response["Location"]).content.decode()
    assert 'hx-trigger="every 1s"' in html and "import-waiting-long" not in html

    assert worker.run_ready("w1") == 1
    assert importing.read_job(job)["state"] == "done" and Member.objects.count() == before + 1
    assert not (importing.jobs_dir() / f"{job}.xlsx").exists()
    # Run again (as by a second worker), a finished job imports nothing twice.
    assert run_import.call(job, world.users["officer_c1"].pk, "vi") == "done"
    assert Member.objects.count() == before + 1


def test_a_job_waiting_long_for_the_worker_says_so(client_as, world, settings):
    import datetime

    from django.utils import timezone

    settings.CHIBO_IMPORT_SYNC = False
    response = upload(client_as("officer_c1"), xlsx_bytes(None, [member_row()]))
    job = job_of(response)
    path = importing.jobs_dir() / f"{job}.json"
    status = json.loads(path.read_text())
    status["created"] = (timezone.now() - datetime.timedelta(minutes=5)).isoformat()
    path.write_text(json.dumps(status))
    html = client_as("officer_c1").get(response["Location"]).content.decode()
    assert 'id="import-waiting-long"' in html and "chibo worker" in html
    assert importing.read_job(job)["state"] == "queued"  # waiting is not failing


def test_a_job_killed_after_its_commit_is_not_imported_again(client_as, world, settings):
    """The worker died between the import's commit and writing "done": run again, the job
    finds its own audit entry (written in the import's transaction) and imports nothing."""
    from chibo.notify import worker
    from chibo.org.tasks import run_import

    settings.CHIBO_IMPORT_SYNC = False
    content = xlsx_bytes(None, [member_row()])
    response = upload(client_as("officer_c1"), content)
    job = job_of(response)
    worker.run_ready("w1")
    before = Member.objects.count()
    path = importing.jobs_dir() / f"{job}.json"
    status = json.loads(path.read_text())
    status.update(state="running", result=None)  # as if killed before writing the outcome
    path.write_text(json.dumps(status))
    (importing.jobs_dir() / f"{job}.xlsx").write_bytes(content)
    assert run_import.call(job, world.users["officer_c1"].pk, "vi") == "done"
    assert Member.objects.count() == before
    assert importing.read_job(job)["result"]["members_created"] == 1
    assert not (importing.jobs_dir() / f"{job}.xlsx").exists()


def test_uploads_waiting_for_the_worker_are_kept_and_a_lost_one_is_said(client_as, world, settings):
    from chibo.org.tasks import run_import

    settings.CHIBO_IMPORT_SYNC = False
    waiting = job_of(upload(client_as("officer_c1"), xlsx_bytes(None, [member_row()])))
    upload_path = importing.jobs_dir() / f"{waiting}.xlsx"
    os.utime(upload_path, (0, 0))  # two days old: the worker has been down
    importing._prune_jobs()
    assert upload_path.exists()  # still to be imported when the worker is back
    upload_path.unlink()  # lost anyway (deleted by hand)
    assert run_import.call(waiting, world.users["officer_c1"].pk, "vi") == "failed"
    job = importing.read_job(waiting)
    assert job["state"] == "failed" and "tải lên lại" in job["result"]["message"]
