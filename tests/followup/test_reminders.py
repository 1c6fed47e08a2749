"""Reminders listed in the app (issue 4): tasks due soon or overdue, proposals waiting for an
answer, answers received, fixes due — each to the people who must act, in a fixed number of
queries."""

import datetime
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from chibo.accounts.access import scope_for
from chibo.followup import selectors, services
from chibo.followup.models import Proposal
from tests.conftest import check_matrix
from tests.meetings.test_api import ALL, row

from .test_inspections import plan, recorded

pytestmark = pytest.mark.django_db

# 28 October 2026, 10:00 in Hà Nội: Hoa's task (due 30 October) is due within the week.
NOW = datetime.datetime(2026, 10, 28, 3, 0, tzinfo=datetime.UTC)


def fresh(world, role):
    user = world.users[role]
    user.__dict__.pop("_chibo_scope", None)
    return scope_for(user)


def test_reminders_go_to_the_people_who_act(world, task):
    proposal = services.proposal_send(cell=world.a, by=world.users["secretary_a"],
                                      title="Đèn đường", text="Lắp 10 bóng đèn.")  # fmt: skip
    Proposal.objects.filter(pk=proposal.pk).update(due_on=datetime.date(2026, 10, 30))
    answered = services.proposal_send(cell=world.a, by=world.users["secretary_a"],
                                      title="Tài liệu", text="Cấp thêm tài liệu.")  # fmt: skip
    inspection = recorded(world, plan(world))
    services.fix_add(inspection=inspection, by=world.users["officer_c1"], description="Sửa",
                     deadline=datetime.date(2026, 10, 31))  # fmt: skip
    services.inspection_conclude(inspection=inspection, by=world.users["officer_c1"])
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        services.proposal_answer(proposal=answered, by=world.users["officer_c1"],
                                 answer="Đã gửi tài liệu.")  # fmt: skip
        member = selectors.reminders(fresh(world, "member_a"))
        secretary = selectors.reminders(fresh(world, "secretary_a"))
        officer = selectors.reminders(fresh(world, "officer_c1"))
        other = selectors.reminders(fresh(world, "officer_c2"))
    assert member.my_tasks == [task] and not member.proposals and not member.fixes
    assert secretary.answered == [answered] and [f.description for f in secretary.fixes] == ["Sửa"]
    assert not secretary.cell_tasks  # not overdue yet
    assert officer.proposals == [proposal] and len(officer.fixes) == 1
    assert other.empty
    later = datetime.datetime(2026, 11, 2, 3, 0, tzinfo=datetime.UTC)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert selectors.reminders(fresh(world, "secretary_a")).cell_tasks == [task]


def test_reminders_page_matrix_and_queries(world, client_as, task):
    check_matrix(client_as, reverse("reminders"), row(set(ALL)) | {"anonymous": 302})
    client = client_as("officer_c1")

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("reminders")).status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for i in range(5):
        services.proposal_send(cell=world.a, by=world.users["secretary_a"], title=f"Việc {i}",
                               text="Nội dung.")  # fmt: skip
    Proposal.objects.update(due_on=timezone.localdate())
    assert count() == few
