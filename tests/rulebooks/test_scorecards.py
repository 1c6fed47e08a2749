"""Scorecards an organisation board makes for its subtree: copied, edited (criteria, points,
measures, points by value, grades), checked, locked once they have scored a meeting; the rules
page and the API choose them for a new rulebook version."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from chibo.rulebooks import scorecards, services
from chibo.rulebooks.models import Measure, Scorecard
from tests.api.conftest import API, JSON
from tests.conftest import check_matrix
from tests.meetings.test_api import row

from ..followup.conftest import finalise, recorded
from .test_rules import figures

pytestmark = pytest.mark.django_db
FOUND = 302
WARD = "Thang điểm phường theo HD 42 (2025)"


def page_row(ok_roles, ok=200, forbidden=frozenset()):
    return row(ok_roles, ok, forbidden) | {"anonymous": FOUND}


@pytest.fixture
def copy(world):
    return scorecards.scorecard_copy(card=Scorecard.objects.get(name=WARD), unit=world.c1,
                                     by=world.users["officer_c1"])  # fmt: skip


def criteria_of(card):
    return [{"group": c.group, "title": c.title, "points": c.points, "measure": c.measure,
             "bands": scorecards.format_bands(c.bands)} for c in card.criteria.all()]  # fmt: skip


def save(world, card, **changes):
    data = {"name": card.name, "source": card.source,
            "grades": scorecards.format_grades(card.grades), "criteria": criteria_of(card)} | changes  # fmt: skip
    return scorecards.scorecard_save(card=card, by=world.users["officer_c1"], **data)


def test_bands_and_grades_read_back_as_written():
    text = "90..=4; 75..90=3; 65..75=2; ..65=1; >50=5"
    assert scorecards.parse_bands(text) == [
        {"from": 90, "points": 4}, {"from": 75, "to": 90, "points": 3},
        {"from": 65, "to": 75, "points": 2}, {"to": 65, "points": 1}, {"above": 50, "points": 5}]  # fmt: skip
    assert scorecards.format_bands(scorecards.parse_bands(text)) == text
    assert scorecards.parse_bands("82,5..=2,5") == [{"from": 82.5, "points": 2.5}]
    grades = scorecards.parse_grades("Tốt=90; Khá=70; Trung bình=50; Kém=0")
    assert grades[2] == {"name": "Trung bình", "min": 50}
    for bad in ("90=4", "từ 90: 4", "..=x"):
        with pytest.raises(ValueError, match="from..to=points"):
            scorecards.parse_bands(bad)


def test_a_copy_is_edited_and_checked(world, copy):
    assert copy.unit == world.c1 and copy.criteria.count() == 16
    rows = criteria_of(copy)
    rows[0] |= {"title": "Họp trước ngày 10 hằng tháng", "points": 3, "bands": "1..=3"}
    rows[1] |= {"points": 0.5, "bands": "1..=0,5"}
    rows.append({"group": "Đổi mới", "title": "Có ứng dụng công nghệ", "points": 0.5,
                 "measure": Measure.JUDGED, "bands": ""})  # fmt: skip
    saved = save(world, copy, criteria=rows, grades="Xuất sắc=95; Tốt=80; Đạt=50; Chưa đạt=0")
    assert saved.criteria.count() == 17 and saved.grades[0] == {"name": "Xuất sắc", "min": 95}
    assert saved.criteria.get(position=1).bands == [{"from": 1, "points": 3}]
    assert saved.grade_for(95)[0] == "Xuất sắc" and saved.grade_for(49.9)[0] == "Chưa đạt"
    bad = {
        "grades": "Tốt=70; Khá=90; Kém=0",  # not the best first
        "criteria": [],
    }
    for field, value in bad.items():
        with pytest.raises(ValidationError) as error:
            save(world, saved, **{field: value})
        assert field in error.value.message_dict
    rows = criteria_of(saved)
    rows[0]["bands"] = "1..=9"  # more than the criterion's 3 points
    with pytest.raises(ValidationError, match="không thể cho quá"):
        save(world, saved, criteria=rows)
    rows = criteria_of(saved)
    rows[0]["measure"] = "guesswork"
    with pytest.raises(ValidationError):
        save(world, saved, criteria=rows)
    with pytest.raises(ValidationError, match="Tốt=1000"[:0] or "cần"):
        save(world, saved, grades="Tốt=1000; Kém=0")
    with pytest.raises(PermissionDenied):
        scorecards.scorecard_save(card=saved, by=world.users["officer_c2"], name="x", source="x",
                                  grades="A=1; B=0", criteria=criteria_of(saved))  # fmt: skip
    saved.refresh_from_db()
    assert saved.criteria.count() == 17  # nothing stored was lost by the refusals


def test_a_card_that_scored_a_meeting_is_locked(world, copy):
    today = timezone.localdate()
    services.rulebook_issue(unit=world.c1, by=world.users["officer_c1"], name="Quy định xã",
                            source="QĐ xã", valid_from=today, scorecard=copy, **figures())  # fmt: skip
    meeting = finalise(world, recorded(world, today))
    assert meeting.score.scorecard == copy
    assert scorecards.is_locked(copy)
    with pytest.raises(ValidationError, match="sao chép"):
        save(world, copy, name="Đổi tên")
    assert Scorecard.objects.get(pk=copy.pk).name == copy.name


def test_scorecard_pages_matrix(world, client_as, copy):
    check_matrix(client_as, reverse("unit_scorecards", args=[world.c1.pk]),
                 page_row({"officer_c1", "admin_p"}))  # fmt: skip
    shipped = Scorecard.objects.get(name=WARD)
    check_matrix(client_as, reverse("scorecard_detail", args=[shipped.pk]),
                 page_row({"member_a", "secretary_a", "secretary_b", "officer_c1", "officer_c2",
                           "admin_p"}))  # fmt: skip
    responses = check_matrix(client_as, reverse("scorecard_detail", args=[copy.pk]),
                             page_row({"officer_c1", "admin_p"}))  # fmt: skip
    assert 'name="c-0-title"' in responses["officer_c1"].content.decode()
    check_matrix(client_as, reverse("scorecard_copy", args=[world.c1.pk]),
                 page_row({"officer_c1", "admin_p"}, FOUND), method="post",
                 data={"card": shipped.pk})  # fmt: skip
    assert Scorecard.objects.filter(unit=world.c1).count() == 3
    # Editing through the page: the secretary of a cell below cannot even see the C1 card.
    form = {"name": "Thang điểm xã Hòa Bình", "source": "QĐ xã", "grades": "Tốt=90; Khá=70; Kém=0",
            "c-TOTAL_FORMS": "1", "c-INITIAL_FORMS": "1",
            "c-0-group": "Chung", "c-0-title": "Sinh hoạt đạt yêu cầu", "c-0-points": "100",
            "c-0-measure": "judged", "c-0-bands": ""}  # fmt: skip
    check_matrix(client_as, reverse("scorecard_detail", args=[copy.pk]),
                 page_row({"officer_c1"}, FOUND) | {"admin_p": FOUND}, method="post", data=form)  # fmt: skip
    copy.refresh_from_db()
    assert copy.name == "Thang điểm xã Hòa Bình" and copy.criteria.count() == 1
    bad = form | {"grades": "Tốt=70; Khá=90; Kém=0"}
    response = client_as("officer_c1").post(reverse("scorecard_detail", args=[copy.pk]), bad)
    assert response.status_code == 422 and "cao nhất trước" in response.content.decode()


def test_scorecard_api_matrix(world, api_client_as, copy):
    check_matrix(api_client_as, f"{API}/units/{world.c1.pk}/scorecards", row({"officer_c1", "admin_p"}))
    check_matrix(api_client_as, f"{API}/scorecards/{copy.pk}", row({"officer_c1", "admin_p"}))
    shipped = Scorecard.objects.get(name=WARD)
    check_matrix(api_client_as, f"{API}/units/{world.c1.pk}/scorecards",
                 row({"officer_c1", "admin_p"}, 201), method="post", data={"card_id": shipped.pk},
                 **JSON)  # fmt: skip
    body = {"name": "Thang điểm mới", "source": "QĐ xã", "grades": [{"name": "Đạt", "min": 50},
                                                                    {"name": "Chưa đạt", "min": 0}],
            "criteria": [{"group": "Chung", "title": "Dự họp", "points": 100,
                          "measure": "attendance_rate", "bands": [{"from": 90, "points": 100}]}]}  # fmt: skip
    check_matrix(api_client_as, f"{API}/scorecards/{copy.pk}",
                 row({"officer_c1", "admin_p"}), method="put", data=body, **JSON)  # fmt: skip
    got = api_client_as("officer_c1").get(f"{API}/scorecards/{copy.pk}").json()
    assert got["criteria"][0]["bands"] == [{"from": 90, "points": 100}] and not got["locked"]
    bad = api_client_as("officer_c1").put(f"{API}/scorecards/{copy.pk}", body | {"grades": []}, **JSON)
    assert bad.status_code == 422 and "grades" in bad.json()["errors"]


def test_the_rules_page_chooses_the_card(world, client_as, copy):
    today = timezone.localdate() + datetime.timedelta(days=1)
    data = {"name": "Quy định xã", "source": "QĐ xã", "valid_from": today.isoformat(),
            "scorecard": copy.pk, **figures()}  # fmt: skip
    response = client_as("officer_c1").post(reverse("unit_rules", args=[world.c1.pk]), data)
    assert response.status_code == FOUND
    from chibo.rulebooks.models import Rulebook

    assert Rulebook.objects.get(unit=world.c1).scorecard == copy
    # Another committee's card is not offered, and refused if forced.
    other = scorecards.scorecard_copy(card=copy, unit=world.c2, by=world.users["officer_c2"])
    response = client_as("officer_c1").post(reverse("unit_rules", args=[world.c1.pk]),
                                            data | {"scorecard": other.pk, "valid_from": (today + datetime.timedelta(days=1)).isoformat()})  # fmt: skip
    assert response.status_code == 422


def test_the_rules_api_chooses_the_card(world, api_client_as, copy):
    client = api_client_as("officer_c1")
    day = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    body = {"name": "Quy định xã", "source": "QĐ xã", "valid_from": day, "figures": figures(),
            "scorecard_id": copy.pk}  # fmt: skip
    response = client.post(f"{API}/units/{world.c1.pk}/rulebooks", body, **JSON)
    assert response.status_code == 201 and response.json()["scorecard_id"] == copy.pk
    other = scorecards.scorecard_copy(card=copy, unit=world.c2, by=world.users["officer_c2"])
    later = (timezone.localdate() + datetime.timedelta(days=2)).isoformat()
    refused = client.post(f"{API}/units/{world.c1.pk}/rulebooks",
                          body | {"valid_from": later, "scorecard_id": other.pk}, **JSON)  # fmt: skip
    assert refused.status_code == 422 and "scorecard_id" in refused.json()["errors"]
    none = client.post(f"{API}/units/{world.c1.pk}/rulebooks",
                       body | {"valid_from": later, "scorecard_id": 0}, **JSON)  # fmt: skip
    assert none.status_code == 201 and none.json()["scorecard_id"] is None
    rules = client.get(f"{API}/units/{world.a.pk}/rules?date={later}").json()
    assert rules["in_force"]["scorecard_id"] is None


def test_a_version_with_an_end_gives_way_to_the_rules_above(world):
    from chibo.rulebooks import selectors

    start = timezone.localdate() + datetime.timedelta(days=1)
    end = start + datetime.timedelta(days=30)
    services.rulebook_issue(unit=world.c1, by=world.users["officer_c1"], name="Thí điểm",
                            source="QĐ xã", valid_from=start, valid_to=end,
                            **figures(regular_deadline_day=10))  # fmt: skip
    assert selectors.rulebook_for(world.a, end).regular_deadline_day == 10
    after = selectors.rulebook_for(world.a, end + datetime.timedelta(days=1))
    assert after.unit is None and after.regular_deadline_day == 15
    with pytest.raises(ValidationError) as error:
        services.rulebook_issue(unit=world.c2, by=world.users["officer_c2"], name="Sai",
                                source="QĐ", valid_from=end, valid_to=start, **figures())  # fmt: skip
    assert "valid_to" in error.value.message_dict
