"""Rulebooks (issue 5, part 1): the rules in force for a unit on a date (the deepest rulebook
above it wins), and new versions issued by an organisation board that never change the rules a
past check was made under."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from chibo.core.models import AuditEntry
from chibo.rulebooks import selectors, services
from chibo.rulebooks.models import Rulebook
from tests.api.conftest import API, JSON
from tests.conftest import check_matrix
from tests.meetings.test_api import row

pytestmark = pytest.mark.django_db

OK, CREATED, FOUND, FORBIDDEN, MISSING = 200, 201, 302, 403, 404
TODAY = timezone.localdate()


def figures(**changes):
    """The model's default figures (HD 42), with `changes`."""
    defaults = Rulebook(name="x", source="x", valid_from=TODAY)
    return {name: value for name, _label, value in selectors.figures_of(defaults)} | changes


def issue(world, unit=None, **changes):
    data = {"name": "Quy định xã Hòa Bình", "source": "05-QĐ/ĐU", "valid_from": TODAY}
    data |= {k: changes.pop(k) for k in list(changes) if k in data}
    return services.rulebook_issue(unit=unit or world.c1, by=world.users["officer_c1"],
                                   **data, **figures(**changes))  # fmt: skip


def test_the_deepest_rulebook_in_force_wins(world):
    shipped = selectors.rulebook_for(world.a, TODAY)
    assert shipped.unit is None and shipped.attendance_threshold in (85, 90)
    commune = issue(world, attendance_threshold=95)
    assert selectors.rulebook_for(world.a, TODAY) == commune
    assert selectors.rulebook_for(world.d, TODAY) == shipped  # another commune
    cell = issue(world, unit=world.a, name="Chi bộ", attendance_threshold=80)
    assert selectors.rulebook_for(world.a, TODAY) == cell
    assert selectors.rulebook_for(world.b, TODAY) == commune
    # Before the commune's rules started, the shipped ones applied.
    assert selectors.rulebook_for(world.a, TODAY - datetime.timedelta(days=1)) == shipped


def test_a_new_version_ends_the_previous_one_the_day_before(world):
    first = issue(world, attendance_threshold=95)
    later = TODAY + datetime.timedelta(days=30)
    second = issue(world, valid_from=later, attendance_threshold=90)
    first.refresh_from_db()
    assert first.valid_to == later - datetime.timedelta(days=1)
    assert selectors.rulebook_for(world.a, later - datetime.timedelta(days=1)) == first
    assert selectors.rulebook_for(world.a, later) == second
    entry = AuditEntry.objects.get(action="rulebook.issue", object_id=str(second.pk))
    assert entry.changes["ended"] == [first.pk]
    # A version starting on the same day (or before) as one already issued is refused.
    with pytest.raises(ValidationError) as refused:
        issue(world, valid_from=later)
    assert "valid_from" in refused.value.message_dict


def test_past_rules_are_never_rewritten(world):
    with pytest.raises(ValidationError) as refused:
        issue(world, valid_from=TODAY - datetime.timedelta(days=1))
    assert "valid_from" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        issue(world, attendance_threshold=20, regular_deadline_day=40, name=" ")
    assert {"attendance_threshold", "regular_deadline_day", "name"} <= set(
        refused.value.message_dict
    )
    assert not Rulebook.objects.filter(unit=world.c1).exists()


def test_rules_page_matrix_and_issuing(world, client_as):
    url = reverse("unit_rules", args=[world.a.pk])
    seen = {"member_a", "secretary_a", "officer_c1", "admin_p"}
    responses = check_matrix(client_as, url, row(seen) | {"anonymous": FOUND})
    assert 'name="attendance_threshold"' in responses["officer_c1"].content.decode()
    assert 'name="attendance_threshold"' not in responses["secretary_a"].content.decode()
    data = {"name": "Quy định chi bộ", "source": "01-QĐ/CB", "valid_from": TODAY.isoformat()}
    data |= {k: str(v) for k, v in figures(attendance_threshold=92).items()}
    # The officer issues; the admin after him asks for the same first day, which is refused.
    check_matrix(client_as, url,
                 row({"officer_c1"}, FOUND, {"member_a", "secretary_a"})
                 | {"admin_p": 422, "anonymous": FOUND},
                 method="post", data=data)  # fmt: skip
    assert Rulebook.objects.get(unit=world.a).attendance_threshold == 92
    bad = client_as("officer_c1").get(url, {"date": "not-a-date"})
    assert bad.status_code == OK  # falls back to today


def test_api_rules_matrix(world, api_client_as):
    url = f"{API}/units/{world.c1.pk}/rules"
    responses = check_matrix(api_client_as, url, row({"officer_c1", "admin_p"}))
    assert responses["officer_c1"].json()["in_force"]["figures"]["attendance_threshold"] > 0
    body = {"name": "Quy định xã", "source": "05-QĐ/ĐU", "valid_from": TODAY.isoformat(),
            "figures": figures(document_lead_days=2)}  # fmt: skip
    check_matrix(api_client_as, f"{API}/units/{world.c1.pk}/rulebooks",
                 row({"officer_c1"}, CREATED) | {"admin_p": 422},
                 method="post", data=body, **JSON)  # fmt: skip
    missing = api_client_as("officer_c1").post(
        f"{API}/units/{world.a.pk}/rulebooks",
        body | {"figures": {"attendance_threshold": 90}}, **JSON,
    )  # fmt: skip
    assert missing.status_code == 422 and "regular_deadline_day" in missing.json()["errors"]
    read = api_client_as("member_a").get(f"{API}/units/{world.a.pk}/rules")
    assert read.json()["in_force"]["figures"]["document_lead_days"] == 2
