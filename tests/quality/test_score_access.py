"""Access-matrix rows for the score pages and API routes, and what the pages show."""

import re

import pytest
from django.urls import reverse

from chibo.rulebooks.models import Measure
from tests.api.conftest import API, JSON, count_queries
from tests.conftest import check_matrix
from tests.meetings.test_api import row

from ..followup.conftest import OCTOBER, finalise, recorded

pytestmark = pytest.mark.django_db

SEES_A = {"member_a", "secretary_a", "officer_c1", "admin_p"}
FOUND = 302


def page_row(ok_roles, ok=200, forbidden=frozenset()):
    return row(ok_roles, ok, forbidden) | {"anonymous": FOUND}


@pytest.fixture
def score(world):
    return finalise(world, recorded(world, OCTOBER)).score


def total(page: str) -> str:
    return re.search(r'id="score-total">([\d,.]+)<', page).group(1)


def judged(score):
    return list(score.lines.filter(criterion__measure=Measure.JUDGED).select_related("criterion"))


def test_score_pages_matrix(world, client_as, score):
    meeting = score.meeting
    responses = check_matrix(client_as, reverse("meeting_score", args=[meeting.pk]), page_row(SEES_A))
    page = responses["member_a"].content.decode()
    assert total(page) == "23" and "Thang điểm phường theo HD 42" in page
    assert "chibo tính từ biên bản" in page
    assert 'id="assign"' in responses["secretary_a"].content.decode()
    assert 'id="assign"' not in page
    # Only the secretary assigns; the others who see the meeting are refused.
    check_matrix(client_as, reverse("score_assign", args=[meeting.pk]),
                 page_row({"secretary_a"}, FOUND, forbidden=SEES_A - {"secretary_a"}),
                 method="post", data={"scorer": world.users["member_a"].pk, "version": ""})  # fmt: skip
    data = {"version": ""}
    for line in judged(score):
        data |= {f"points_{line.criterion_id}": line.criterion.points,
                 f"why_{line.criterion_id}": "Đạt yêu cầu."}  # fmt: skip
    check_matrix(client_as, reverse("score_judge", args=[meeting.pk]),
                 page_row({"member_a"}, FOUND, forbidden=SEES_A - {"member_a"}),
                 method="post", data=data)  # fmt: skip
    conduct = next(line for line in judged(score) if line.criterion.points == 25)
    # The officer adjusts; the admin's identical change then finds nothing to change (422).
    check_matrix(client_as, reverse("score_adjust", args=[meeting.pk]),
                 page_row({"officer_c1"}, FOUND, forbidden={"member_a", "secretary_a"})
                 | {"admin_p": 422},
                 method="post", data={"criterion": conduct.criterion_id, "points": "20",
                                      "reason": "Thảo luận chưa sâu.", "version": ""})  # fmt: skip
    page = client_as("secretary_b").get(reverse("meeting_score", args=[meeting.pk]))
    assert page.status_code == 404
    page = client_as("member_a").get(reverse("meeting_score", args=[meeting.pk])).content.decode()
    assert total(page) == "84" and "Khá" in page and "Thảo luận chưa sâu." in page


def test_bad_judgement_is_explained_in_vietnamese(world, client_as, score):
    meeting = score.meeting
    client_as("secretary_a").post(reverse("score_assign", args=[meeting.pk]),
                                  {"scorer": world.users["member_a"].pk})  # fmt: skip
    line = judged(score)[0]
    response = client_as("member_a").post(reverse("score_judge", args=[meeting.pk]), {
        f"points_{line.criterion_id}": line.criterion.points + 5,
        f"why_{line.criterion_id}": "Tốt"})  # fmt: skip
    assert response.status_code == 422
    assert "Tối đa" in response.content.decode()
    response = client_as("member_a").post(reverse("score_judge", args=[meeting.pk]), {
        f"points_{line.criterion_id}": 1, f"why_{line.criterion_id}": ""})  # fmt: skip
    assert response.status_code == 422
    assert "vì sao" in response.content.decode()


def test_meeting_page_shows_the_score(world, client_as, score):
    page = client_as("member_a").get(reverse("meeting_detail", args=[score.meeting.pk]))
    assert reverse("meeting_score", args=[score.meeting.pk]) in page.content.decode()


def test_api_score_matrix(world, api_client_as, score):
    url = f"{API}/meetings/{score.meeting.pk}/score"
    responses = check_matrix(api_client_as, url, row(SEES_A))
    body = responses["officer_c1"].json()
    assert body["total"] == "23.0" or float(body["total"]) == 23
    assert len(body["lines"]) == 16 and body["status"] == "awaiting"
    check_matrix(api_client_as, f"{url}/scorer",
                 row({"secretary_a"}, forbidden=SEES_A - {"secretary_a"}), method="post",
                 data={"scorer_id": world.users["member_a"].pk}, **JSON)  # fmt: skip
    judgements = [{"criterion_id": line.criterion_id, "points": str(line.criterion.points),
                   "justification": "Tốt."} for line in judged(score)]  # fmt: skip
    check_matrix(api_client_as, f"{url}/judgements",
                 row({"member_a"}, forbidden=SEES_A - {"member_a"}), method="post",
                 data={"judgements": judgements}, **JSON)  # fmt: skip
    line = judged(score)[0]
    check_matrix(api_client_as, f"{url}/adjustments",
                 row({"officer_c1"}, forbidden={"member_a", "secretary_a"}) | {"admin_p": 422},
                 method="post", data={"criterion_id": line.criterion_id, "points": "0",
                                      "reason": "Chưa đạt."}, **JSON)  # fmt: skip
    body = api_client_as("secretary_a").get(url).json()
    assert body["status"] == "reviewed" and body["grade"] == "Khá"
    adjusted = next(x for x in body["lines"] if x["criterion_id"] == line.criterion_id)
    assert adjusted["adjustments"][0]["reason"] == "Chưa đạt."


def test_api_stale_version_is_409(world, api_client_as, score):
    url = f"{API}/meetings/{score.meeting.pk}/score/scorer"
    response = api_client_as("secretary_a").post(
        url, {"scorer_id": world.users["member_a"].pk, "version": score.version + 5}, **JSON)
    assert response.status_code == 409


def test_score_reads_a_fixed_number_of_queries(world, client_as, score):
    client = client_as("officer_c1")
    url = f"{API}/meetings/{score.meeting.pk}/score"
    assert count_queries(client, url) <= 12
    page = reverse("meeting_score", args=[score.meeting.pk])
    assert count_queries(client, page) <= 16
