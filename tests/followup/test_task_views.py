"""Task pages and API routes: the access matrix of each, the review on the recording screen
(htmx: saved, refused, conflict), reports from the task page, and constant query counts."""

import datetime
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from chibo.followup import services
from chibo.followup.models import ReviewDecision, Task, TaskReport, TaskReview, TaskStatus
from chibo.meetings import services as meeting_services
from tests.api.conftest import API, JSON
from tests.conftest import check_matrix
from tests.meetings.test_api import ALL, row

from .conftest import NOVEMBER, finalise, recorded

pytestmark = pytest.mark.django_db

OK, CREATED, FOUND, FORBIDDEN, MISSING, LOGIN = 200, 201, 302, 403, 404, 302
HX = {"HTTP_HX_REQUEST": "true"}
# Who sees cell A's finalised minutes, hence its tasks.
SEE_A = {"member_a", "secretary_a", "officer_c1", "admin_p"}


def page_row(ok_roles, ok=OK, forbidden=frozenset()):
    expected = row(ok_roles, ok, forbidden)
    expected["anonymous"] = LOGIN
    return expected


# --- pages ------------------------------------------------------------------------------------
def test_my_tasks_page_matrix(world, client_as, task):
    responses = check_matrix(client_as, reverse("my_tasks"), page_row(set(ALL)))  # fmt: skip
    assert task.description in responses["member_a"].content.decode()
    assert task.description not in responses["officer_c1"].content.decode()


def test_cell_tasks_page_matrix(world, client_as, task):
    responses = check_matrix(client_as, reverse("cell_tasks", args=[world.a.pk]), page_row(SEE_A))
    assert task.description in responses["officer_c1"].content.decode()
    # A committee is not a cell: no task page.
    check_matrix(client_as, reverse("cell_tasks", args=[world.c1.pk]), page_row(set()))


def test_cell_tasks_filter_and_bad_input(world, client_as, task):
    client = client_as("secretary_a")
    url = reverse("cell_tasks", args=[world.a.pk])
    assert task.description in client.get(url, {"state": "active"}).content.decode()
    assert task.description not in client.get(url, {"state": "done"}).content.decode()
    # Unknown filters and pages fall back to the whole list rather than failing.
    response = client.get(url, {"state": "<script>", "page": "x"})
    assert response.status_code == OK and "<script>" not in response.content.decode()


def test_task_page_matrix(world, client_as, task):
    check_matrix(client_as, reverse("task_detail", args=[task.pk]), page_row(SEE_A))


def test_reporting_on_the_task_page_matrix(world, client_as, task):
    url = reverse("task_detail", args=[task.pk])
    check_matrix(client_as, url, page_row({"member_a", "secretary_a"}, FOUND,
                                          {"officer_c1", "admin_p"}),
                 method="post", data={"note": "Đã họp tổ dân phố."})  # fmt: skip
    assert TaskReport.objects.filter(task=task).count() == 2
    # An empty note is refused with the form shown again.
    response = client_as("member_a").post(url, {"note": "  "})
    assert response.status_code == 422 and "is-invalid" in response.content.decode()
    # Reported done: closed, and no more reports.
    client_as("member_a").post(url, {"note": "Xong.", "done": "on"})
    assert Task.objects.get(pk=task.pk).status == TaskStatus.DONE
    assert client_as("member_a").post(url, {"note": "Thêm."}).status_code == FORBIDDEN


def test_review_panel_matrix(world, client_as, task):
    november = recorded(world, NOVEMBER)
    url = reverse("meeting_task_reviews", args=[november.pk])
    responses = check_matrix(client_as, url, page_row(SEE_A), **HX)
    assert task.description in responses["secretary_a"].content.decode()
    assert 'name="decision"' in responses["secretary_a"].content.decode()
    assert 'name="decision"' not in responses["officer_c1"].content.decode()  # read only


def test_review_save_matrix(world, client_as, task):
    november = recorded(world, NOVEMBER)
    url = reverse("meeting_task_review_save", args=[november.pk, task.pk])
    check_matrix(client_as, url,
                 page_row({"secretary_a"}, FOUND, {"member_a", "officer_c1", "admin_p"}),
                 method="post", data={"decision": "done", "note": "Xong."})  # fmt: skip
    assert TaskReview.objects.get(meeting=november, task=task).decision == ReviewDecision.DONE
    # A task this meeting does not review: 404.
    other = reverse("meeting_task_review_save", args=[november.pk, task.pk + 1000])
    assert client_as("secretary_a").post(other, {"decision": "done"}).status_code == MISSING


def test_review_row_in_place_saved_refused_and_conflict(world, client_as, task):
    november = recorded(world, NOVEMBER)
    client = client_as("secretary_a")
    url = reverse("meeting_task_review_save", args=[november.pk, task.pk])
    refused = client.post(url, {"decision": "carried", "new_deadline": ""}, **HX)
    assert refused.status_code == 422
    assert f'id="task-review-{task.pk}"' in refused.content.decode()
    assert "invalid-feedback" in refused.content.decode()
    saved = client.post(url, {"decision": "carried", "new_deadline": "2026-11-30",
                              "note": "Mưa nhiều."}, **HX)  # fmt: skip
    assert saved.status_code == OK and "30/11/2026" in saved.content.decode()
    stored = TaskReview.objects.get(meeting=november, task=task)
    services.review_save(meeting=november, task=task, by=world.users["secretary_a"],
                         decision="dropped", note="Xã thôi làm.", version=stored.version)  # fmt: skip
    stale = client.post(url, {"decision": "done", "note": "Bản của tôi",
                              "version": stored.version}, **HX)  # fmt: skip
    body = stale.content.decode()
    assert stale.status_code == 409 and "Bản của tôi" in body  # what this user typed is kept
    assert TaskReview.objects.get(pk=stored.pk).decision == ReviewDecision.DROPPED
    # Saving again with the version the conflict gave replaces it knowingly.
    again = client.post(url, {"decision": "done", "note": "Bản của tôi",
                              "version": stored.version + 1}, **HX)  # fmt: skip
    assert again.status_code == OK
    assert TaskReview.objects.get(pk=stored.pk).decision == ReviewDecision.DONE


def test_recording_screen_loads_the_panel_in_the_evaluation_section(world, client_as, task):
    november = recorded(world, NOVEMBER)
    meeting_services.meeting_record_update(meeting=november, by=world.users["secretary_a"])
    body = client_as("secretary_a").get(reverse("meeting_record", args=[november.pk])).content
    panel = reverse("meeting_task_reviews", args=[november.pk])
    evaluation = november.sections.get(title__startswith="Đánh giá")
    text = body.decode()
    assert panel in text
    assert text.index(f'id="section-{evaluation.pk}"') < text.index(panel)


def test_the_finalised_minutes_show_the_decisions(world, client_as, task):
    november = recorded(world, NOVEMBER)
    services.review_save(meeting=november, task=task, by=world.users["secretary_a"],
                         decision="done", note="Làm xong 2 km.")  # fmt: skip
    finalise(world, november)
    body = client_as("member_a").get(reverse("meeting_detail", args=[november.pk])).content
    assert "Làm xong 2 km." in body.decode()


def _more_tasks(world, n):
    """Another finalised meeting of cell A whose minutes give `n` more tasks."""
    meeting = recorded(world, datetime.date(2026, 10, 20))
    for i in range(n):
        meeting_services.assignment_add(meeting=meeting, by=world.users["secretary_a"],
                                        description=f"Việc thêm {i}", assignees=[world.hoa, world.ung],
                                        deadline=datetime.date(2026, 10, 31))  # fmt: skip
    return finalise(world, meeting)


@pytest.mark.parametrize("page", ["my_tasks", "cell_tasks", "reviews"])
def test_task_pages_issue_a_constant_number_of_queries(world, client_as, task, page):
    client = client_as("member_a")
    november = recorded(world, NOVEMBER)
    url = {"my_tasks": reverse("my_tasks"), "cell_tasks": reverse("cell_tasks", args=[world.a.pk]),
           "reviews": reverse("meeting_task_reviews", args=[november.pk])}[page]  # fmt: skip

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url, **HX).status_code == OK
        return len(ctx.captured_queries)

    few = count()
    _more_tasks(world, 12)
    assert count() == few


# --- API --------------------------------------------------------------------------------------
def test_api_task_list_matrix_and_filters(world, api_client_as, task):
    responses = check_matrix(api_client_as, f"{API}/tasks", row(set(ALL)))
    seen = {role: [t["id"] for t in r.json()["items"]] for role, r in responses.items()
            if role != "anonymous"}  # fmt: skip
    assert seen == {"member_a": [task.pk], "secretary_a": [task.pk], "secretary_b": [],
                    "officer_c1": [task.pk], "officer_c2": [], "admin_p": [task.pk]}  # fmt: skip
    client = api_client_as("officer_c1")
    assert client.get(f"{API}/tasks", {"mine": "true"}).json()["count"] == 0
    assert client.get(f"{API}/tasks", {"cell": world.a.pk, "state": "done"}).json()["count"] == 0
    assert client.get(f"{API}/tasks", {"cell": world.d.pk}).status_code == MISSING
    bad = client.get(f"{API}/tasks", {"state": "soon"})
    assert bad.status_code == 422 and "state" in bad.json()["errors"]
    item = api_client_as("member_a").get(f"{API}/tasks", {"mine": "true"}).json()["items"][0]
    assert item["assignees"][0]["full_name"] == "Đặng Thị Hoa"
    assert item["original_deadline"] == "2026-10-30" and item["status"] == "open"


def test_api_task_read_matrix(world, api_client_as, task):
    check_matrix(api_client_as, f"{API}/tasks/{task.pk}", row(SEE_A))


def test_api_report_matrix(world, api_client_as, task):
    check_matrix(api_client_as, f"{API}/tasks/{task.pk}/reports",
                 row({"member_a", "secretary_a"}, CREATED, {"officer_c1", "admin_p"}),
                 method="post", data={"note": "Đang làm."}, **JSON)  # fmt: skip
    response = api_client_as("member_a").post(f"{API}/tasks/{task.pk}/reports",
                                              {"note": "Xong.", "done": True}, **JSON)  # fmt: skip
    assert response.status_code == CREATED and response.json()["task"]["status"] == "done"
    refused = api_client_as("member_a").post(f"{API}/tasks/{task.pk}/reports", {"note": "Nữa."},
                                             **JSON)  # fmt: skip
    assert refused.status_code == FORBIDDEN  # closed: nothing more to report


def test_api_reviews_matrix_and_flow(world, api_client_as, task):
    november = recorded(world, NOVEMBER)
    url = f"{API}/meetings/{november.pk}/task-reviews"
    responses = check_matrix(api_client_as, url, row(SEE_A))
    assert responses["secretary_a"].json()[0]["needs_decision"] is True
    put = f"{url}/{task.pk}"
    check_matrix(api_client_as, put,
                 row({"secretary_a"}, OK, {"member_a", "officer_c1", "admin_p"}),
                 method="put", data={"decision": "carried", "new_deadline": "2026-11-28"},
                 **JSON)  # fmt: skip
    client = api_client_as("secretary_a")
    stored = client.get(url).json()[0]
    assert stored["decision"] == "carried" and stored["new_deadline"] == "2026-11-28"
    stale = client.put(put, {"decision": "done", "version": stored["version"] - 1}, **JSON)
    assert stale.status_code == 409 and stale.json()["current"]["decision"] == "carried"
    refused = client.put(put, {"decision": "dropped", "version": stored["version"]}, **JSON)
    assert refused.status_code == 422 and "note" in refused.json()["errors"]
    check_matrix(api_client_as, put,
                 row({"secretary_a"}, 204, {"member_a", "officer_c1", "admin_p"}),
                 method="delete")  # fmt: skip
    assert not TaskReview.objects.filter(meeting=november).exists()
    assert client.delete(put).status_code == MISSING  # nothing left to withdraw


def test_api_reviews_refused_once_the_minutes_are_locked(world, api_client_as, task):
    meeting = finalise(world, _reviewed(world, task))
    response = api_client_as("secretary_a").put(
        f"{API}/meetings/{meeting.pk}/task-reviews/{task.pk}", {"decision": "done"}, **JSON
    )
    assert response.status_code == 422


def _reviewed(world, task):
    november = recorded(world, NOVEMBER)
    services.review_save(meeting=november, task=task, by=world.users["secretary_a"],
                         decision="done")  # fmt: skip
    return november


def test_the_cell_page_loads_the_completion_per_month(world, client_as, task):
    page = client_as("member_a").get(reverse("unit_detail", args=[world.a.pk])).content.decode()
    panel = reverse("cell_tasks", args=[world.a.pk]) + "?part=completion"
    assert panel in page
    services.task_report(task=task, by=world.users["member_a"], note="Xong.", done=True)
    client = client_as("member_a")
    mid_november = datetime.datetime(2026, 11, 15, 3, 0, tzinfo=datetime.UTC)
    with mock.patch("django.utils.timezone.now", return_value=mid_november):
        body = client.get(panel).content.decode()
    assert "10/26" in body and "100%" in body and "06/26" in body  # six months, this one last
