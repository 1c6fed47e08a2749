"""Proposals (issue 4, part 3): a cell's proposal goes to the level above; each level answers it,
forwards it further up with a note, or rejects it with a reason; due dates come from the
rulebook; the path is kept; the cell and the levels above see it, nobody else."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from chibo.accounts.access import scope_for
from chibo.core.models import AuditEntry
from chibo.followup import selectors, services
from chibo.followup.models import Proposal, ProposalAction, ProposalStatus
from chibo.rulebooks.models import Rulebook
from tests.api.conftest import API, JSON
from tests.conftest import check_matrix
from tests.factories import make_unit
from tests.meetings.test_api import ALL, row

from .conftest import OCTOBER, finalise, recorded

pytestmark = pytest.mark.django_db

OK, CREATED, FOUND, FORBIDDEN, MISSING = 200, 201, 302, 403, 404
SEE_A = {"member_a", "secretary_a", "officer_c1", "admin_p"}


def page_row(ok_roles, ok=OK, forbidden=frozenset()):
    return row(ok_roles, ok, forbidden) | {"anonymous": FOUND}


def send(world, **extra):
    return services.proposal_send(
        cell=world.a, by=world.users["secretary_a"], title="Sửa đường liên thôn",
        text="Đề nghị xã hỗ trợ xi măng để nhân dân làm 1,2 km đường.", **extra,
    )  # fmt: skip


@pytest.fixture
def proposal(world):
    return send(world)


def days_from_today(n):
    return timezone.localdate() + datetime.timedelta(days=n)


# --- the path ---------------------------------------------------------------------------------
def test_a_proposal_goes_to_the_level_above_with_the_rulebooks_due_date(world):
    base = Rulebook.objects.filter(unit__isnull=True).order_by("-valid_from").first()
    base.pk, base.unit, base.name, base.proposal_answer_days = None, world.c1, "Xã Hòa Bình", 15
    base.save()
    proposal = send(world)
    assert proposal.current_unit == world.c1 and proposal.status == ProposalStatus.PENDING
    assert proposal.due_on == days_from_today(15)
    step = proposal.steps.get()
    assert (step.action, step.from_unit, step.to_unit) == (ProposalAction.SENT, world.a, world.c1)
    assert AuditEntry.objects.filter(action="proposal.send", object_id=str(proposal.pk)).exists()


def test_forwarding_chain_up_to_the_province_which_answers(world, proposal):
    officer, admin = world.users["officer_c1"], world.users["admin_p"]
    forwarded = services.proposal_forward(proposal=proposal, by=officer,
                                          note="Vượt thẩm quyền về kinh phí; đã tiếp thu.")  # fmt: skip
    assert forwarded.current_unit == world.p and forwarded.due_on == days_from_today(30)
    # The commune no longer holds it; the province does.
    assert not selectors.can_act_on_proposal(scope_for(officer), forwarded)
    assert selectors.can_act_on_proposal(scope_for(admin), forwarded)
    with pytest.raises(ValidationError):  # nothing above the province
        services.proposal_forward(proposal=forwarded, by=admin, note="Lên nữa.")
    answered = services.proposal_answer(proposal=forwarded, by=admin,
                                        answer="Tỉnh hỗ trợ 50 tấn xi măng trong quý I.")  # fmt: skip
    assert answered.status == ProposalStatus.ANSWERED and answered.closed_at is not None
    path = [(s.action, s.from_unit.code, s.to_unit.code if s.to_unit else None)
            for s in answered.steps.all()]  # fmt: skip
    assert path == [("sent", "C1-A", "C1"), ("forwarded", "C1", "P"), ("answered", "P", None)]
    assert answered.steps.get(action="forwarded").note.startswith("Vượt thẩm quyền")
    with pytest.raises(ValidationError):  # closed
        services.proposal_reject(proposal=answered, by=admin, reason="Muộn.")


def test_each_action_needs_its_text_and_a_current_version(world, proposal):
    officer = world.users["officer_c1"]
    for action, field in ((services.proposal_answer, "answer"),
                          (services.proposal_forward, "note"),
                          (services.proposal_reject, "reason")):  # fmt: skip
        with pytest.raises(ValidationError) as refused:
            action(proposal=proposal, by=officer, **{field: "  "})
        assert field in refused.value.message_dict
    with pytest.raises(ValidationError):
        services.proposal_answer(proposal=proposal, by=officer, answer="Đồng ý.",
                                 version=proposal.version + 1)  # fmt: skip
    rejected = services.proposal_reject(proposal=proposal, by=officer,
                                        reason="Đã có trong kế hoạch năm của xã.")  # fmt: skip
    assert rejected.status == ProposalStatus.REJECTED and rejected.answer.startswith("Đã có")


def test_sending_checks_its_input(world):
    with pytest.raises(ValidationError) as refused:
        services.proposal_send(cell=world.a, by=world.users["secretary_a"], title=" ", text="")
    assert set(refused.value.message_dict) == {"title", "text"}
    other_cell_meeting = finalise(world, recorded(world, OCTOBER))
    with pytest.raises(ValidationError) as refused:
        services.proposal_send(cell=world.b, by=world.users["secretary_b"], title="Việc",
                               text="Nội dung", meeting=other_cell_meeting,
                               raised_by=world.hoa)  # fmt: skip
    assert set(refused.value.message_dict) == {"meeting", "raised_by"}


# --- what officers see ------------------------------------------------------------------------
def test_open_proposals_by_unit_and_age(world, proposal):
    old = send(world)
    Proposal.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=70), due_on=days_from_today(-40)
    )
    middle = send(world)
    Proposal.objects.filter(pk=middle.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=45)
    )
    answered = send(world)
    services.proposal_answer(proposal=answered, by=world.users["officer_c1"], answer="Đã làm.")
    rows = {r.unit.code: r for r in selectors.open_proposals_by_child(
        scope_for(world.users["admin_p"]), world.p)}  # fmt: skip
    assert set(rows) == {"C1", "C2"}
    assert (rows["C1"].total, rows["C1"].overdue, rows["C1"].by_age) == (3, 1, (1, 1, 1))
    assert rows["C2"].total == 0
    # Oldest first when waiting.
    waiting = selectors.unit_proposals(scope_for(world.users["officer_c1"]), world.c1,
                                       state="waiting")  # fmt: skip
    assert list(waiting) == [old, middle, proposal]
    overdue = selectors.unit_proposals(scope_for(world.users["officer_c1"]), world.c1,
                                       state="overdue")  # fmt: skip
    assert list(overdue) == [old]


def test_proposals_page_queries_do_not_grow(world, client_as, proposal):
    client = client_as("admin_p")
    url = reverse("unit_proposals", args=[world.p.pk])

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == OK
        return len(ctx.captured_queries)

    few = count()
    for i in range(6):
        make_unit(world.c2, f"C2-N{i}", f"Chi bộ mới {i}", "cell", "residential")
        send(world)
    assert count() == few


# --- pages ------------------------------------------------------------------------------------
def test_proposal_page_matrix(world, client_as, proposal):
    check_matrix(client_as, reverse("proposal_detail", args=[proposal.pk]), page_row(SEE_A))


def test_proposal_action_matrix(world, client_as, proposal):
    url = reverse("proposal_detail", args=[proposal.pk])
    data = {"action": "forward", "text": "Vượt thẩm quyền.", "version": proposal.version}
    # The officer forwards it to the province; after that only the province may act (the
    # admin answers below), so the admin's turn in the matrix is the answer's version conflict.
    check_matrix(client_as, url,
                 page_row({"officer_c1"}, FOUND, {"member_a", "secretary_a"}) | {"admin_p": 422},
                 method="post", data=data)  # fmt: skip
    proposal.refresh_from_db()
    assert proposal.current_unit == world.p
    answer = client_as("admin_p").post(url, {"action": "answer", "text": "Tỉnh hỗ trợ.",
                                             "version": proposal.version})  # fmt: skip
    assert answer.status_code == FOUND
    assert Proposal.objects.get(pk=proposal.pk).status == ProposalStatus.ANSWERED
    refused = client_as("admin_p").post(url, {"action": "reject", "text": "x", "version": 9})
    assert refused.status_code == FORBIDDEN  # closed: nobody acts any more


def test_unit_proposals_page_matrix_and_sending(world, client_as):
    check_matrix(client_as, reverse("unit_proposals", args=[world.a.pk]), page_row(SEE_A))
    check_matrix(client_as, reverse("unit_proposals", args=[world.c1.pk]),
                 page_row({"officer_c1", "admin_p"}))  # fmt: skip
    url = reverse("unit_proposals", args=[world.a.pk])
    check_matrix(client_as, url,
                 page_row({"secretary_a"}, FOUND, {"member_a", "officer_c1", "admin_p"}),
                 method="post", data={"title": "Đèn đường", "text": "Lắp 10 bóng đèn."})  # fmt: skip
    assert Proposal.objects.get().title == "Đèn đường"
    refused = client_as("secretary_a").post(url, {"title": "", "text": ""})
    assert refused.status_code == 422 and "invalid-feedback" in refused.content.decode()


# --- API --------------------------------------------------------------------------------------
def test_api_proposal_routes(world, api_client_as):
    sent = check_matrix(
        api_client_as, f"{API}/units/{world.a.pk}/proposals",
        row({"secretary_a"}, CREATED, {"member_a", "officer_c1", "admin_p"}),
        method="post", data={"title": "Đèn đường", "text": "Lắp 10 bóng đèn."}, **JSON,
    )  # fmt: skip
    proposal_id = sent["secretary_a"].json()["id"]
    assert sent["secretary_a"].json()["current_unit"]["code"] == "C1"
    responses = check_matrix(api_client_as, f"{API}/proposals", row(set(ALL)))
    assert responses["officer_c2"].json()["count"] == 0
    assert responses["member_a"].json()["count"] == 1
    check_matrix(api_client_as, f"{API}/proposals/{proposal_id}", row(SEE_A))
    bad = api_client_as("officer_c1").get(f"{API}/proposals", {"state": "soon"})
    assert bad.status_code == 422
    check_matrix(api_client_as, f"{API}/proposals/{proposal_id}/forward",
                 row({"officer_c1"}, OK, {"member_a", "secretary_a"}) | {"admin_p": 422},
                 method="post", data={"text": "Vượt thẩm quyền.", "version": 1}, **JSON)  # fmt: skip
    answered = api_client_as("admin_p").post(f"{API}/proposals/{proposal_id}/answer",
                                             {"text": "Tỉnh hỗ trợ."}, **JSON)  # fmt: skip
    assert answered.status_code == OK and answered.json()["status"] == "answered"
    assert [s["action"] for s in answered.json()["steps"]] == ["sent", "forwarded", "answered"]
    rejected = api_client_as("admin_p").post(f"{API}/proposals/{proposal_id}/reject",
                                             {"text": "x"}, **JSON)  # fmt: skip
    assert rejected.status_code == FORBIDDEN
