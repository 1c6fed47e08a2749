"""The API inputs the fuzzing of `test_api_fuzz.py` found answering 500, kept as plain cases:
scorecards given as data (bands without points, NaN, grades that are not {name, min}), meeting
times with a time zone, NUL characters (PostgreSQL refuses them) and other control characters."""

from __future__ import annotations

import datetime
import json

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from chibo.documents.models import DraftComment
from chibo.rulebooks import scorecards
from chibo.rulebooks.models import Scorecard
from tests.api.conftest import API, JSON, english

pytestmark = pytest.mark.django_db


@pytest.fixture
def card(world):
    shipped = Scorecard.objects.filter(unit__isnull=True).first()
    return scorecards.scorecard_copy(card=shipped, unit=world.c1, by=world.users["officer_c1"])


def _card_body(**changes) -> dict:
    body = {"name": "Thang điểm xã", "source": "Hướng dẫn 42", "grades": [{"name": "Tốt", "min": 5},
            {"name": "Kém", "min": 0}],
            "criteria": [{"group": "Chuẩn bị", "title": "Gửi tài liệu", "points": 10,
                          "measure": "judged", "bands": []}]}  # fmt: skip
    body.update(changes)
    return body


def _criterion(**changes) -> dict:
    return {"group": "Chuẩn bị", "title": "Tỉ lệ dự họp", "points": 10, "measure": "attendance_rate",
            "bands": [{"from": 90, "points": 10}], **changes}  # fmt: skip


@pytest.mark.parametrize("body", [
    _card_body(criteria=[_criterion(bands=[{"from": 90}])]),  # a band without its points
    _card_body(criteria=[_criterion(bands=[{"from": 90, "points": 4, "colour": 1}])]),
    _card_body(grades=[{"name": "Tốt"}, {"name": "Kém", "min": 0}]),  # a grade without its minimum
    _card_body(grades=[{"name": "Tốt", "min": "chín mươi"}, {"name": "Kém", "min": 0}]),
    _card_body(grades=[{"min": 5}, {"name": "Kém", "min": 0}]),
    _card_body(grades=[{"name": "", "min": 5}, {"name": "Kém", "min": 0}]),
])  # fmt: skip
def test_a_scorecard_given_as_data_is_checked_like_one_typed_in(world, bearer_for, card, body):
    client = Client(**bearer_for("officer_c1"))
    response = client.put(f"{API}/scorecards/{card.pk}", body, **JSON)
    assert response.status_code == 422, response.content
    errors = response.json()["errors"]
    assert errors and all(not m.isascii() for messages in errors.values() for m in messages)
    assert Scorecard.objects.get(pk=card.pk).name == card.name


def test_not_a_number_is_not_a_number_of_points(world, bearer_for, card):
    """Python's JSON reader takes NaN and Infinity: they are refused, not compared."""
    body = json.dumps(_card_body(criteria=[_criterion(points=1)])).replace(
        '"points": 1,', '"points": NaN,'
    )
    body = body.replace('"from": 90', '"from": Infinity')
    response = Client(**bearer_for("officer_c1")).put(
        f"{API}/scorecards/{card.pk}", body, content_type="application/json"
    )  # fmt: skip
    assert response.status_code == 422
    assert {"criteria.0.points", "criteria.0.bands"} <= set(response.json()["errors"])


def test_a_grade_of_infinity_typed_in_is_refused(world, card):
    with pytest.raises(ValidationError) as refused:
        scorecards.scorecard_save(card=card, by=world.users["officer_c1"], name="Thang điểm",
                                  source="HD 42", grades="Tốt=inf; Kém=0",
                                  criteria=[{"group": "A", "title": "B", "points": 10,
                                             "measure": "judged", "bands": ""}])  # fmt: skip
    assert "grades" in refused.value.message_dict


@pytest.mark.parametrize("value", ["14:00Z", "14:00:00+07:00", "25:61", "hai giờ"])
def test_a_meeting_time_is_a_local_time(world, bearer_for, value):
    client = english(Client(**bearer_for("secretary_a")))
    day = (timezone.localdate() + datetime.timedelta(days=9)).isoformat()
    response = client.post(f"{API}/units/{world.a.pk}/meetings",
                           {"kind": "regular", "date": day, "start_time": value, "place": "Hội trường"},
                           **JSON)  # fmt: skip
    assert response.status_code == 422
    assert response.json()["errors"] == {"start_time": ["Enter a valid time (HH:MM)."]}


@pytest.fixture
def announced(announced_meeting):
    return announced_meeting


def test_nul_and_control_characters_never_reach_the_database(world, bearer_for, announced):
    """PostgreSQL refuses NUL in a text (a server error before); other control characters are
    invisible and break the XML of Word and Excel files. Both are dropped on the way in."""
    client = Client(**bearer_for("member_a"))
    response = client.post(f"{API}/meetings/{announced.pk}/comments",
                           {"part": "report", "paragraph": 0, "text": "Góp\x00 ý\x01 thêm\x7f"}, **JSON)  # fmt: skip
    assert response.status_code == 201, response.content
    assert DraftComment.objects.get().text == "Góp ý thêm"
    assert client.get(f"{API}/members", {"q": "Hoa\x00"}).status_code == 200
    login = Client().post(
        f"{API}/auth/token", {"username": "member_a\x00", "password": "x\x00"}, **JSON
    )
    assert login.status_code == 401
