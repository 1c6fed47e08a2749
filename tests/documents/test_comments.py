"""Comments on the drafts: a member comments on a paragraph before the meeting, the secretary
sees them by paragraph and marks them taken in or not; the record stays with the meeting."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from chibo.documents import services
from chibo.documents.models import CommentDecision, DraftComment
from chibo.meetings import services as meetings
from chibo.meetings.models import Meeting
from tests.api.conftest import API, JSON
from tests.conftest import check_matrix
from tests.meetings.test_api import row

from ..meetings.conftest import plan

pytestmark = pytest.mark.django_db
FOUND = 302
SEES_A = {"member_a", "secretary_a", "officer_c1", "admin_p"}
DRAFT = "Tình hình tháng qua ổn định.\n\nChi bộ đề ra ba nhiệm vụ.\nHoàn thành đường liên thôn."


def page_row(ok_roles, ok=200, forbidden=frozenset()):
    return row(ok_roles, ok, forbidden) | {"anonymous": FOUND}


@pytest.fixture
def announced(world):
    meeting = plan(world, day=timezone.localdate() + datetime.timedelta(days=4), draft_report=DRAFT,
                   draft_resolution="Chi bộ quyết nghị.")  # fmt: skip
    meetings.meeting_announce(meeting=meeting, by=world.users["secretary_a"])
    return Meeting.objects.get(pk=meeting.pk)


def comment(world, meeting, role="member_a", part="report", paragraph=1, text="Nên nêu rõ số liệu."):
    return services.comment_add(meeting=meeting, by=world.users[role], part=part,
                                paragraph=paragraph, text=text)  # fmt: skip


def test_comment_flow_and_checks(world, announced):
    made = comment(world, announced)
    assert made.quote == "Chi bộ đề ra ba nhiệm vụ." and made.decision == CommentDecision.PENDING
    for bad in ({"paragraph": 3}, {"paragraph": -1}, {"part": "minutes"}, {"text": "  "},
                {"text": "x" * 2001}):  # fmt: skip
        with pytest.raises(ValidationError):
            comment(world, announced, **bad)
    with pytest.raises(PermissionDenied):
        services.comment_decide(comment=made, by=world.users["member_a"], decision="taken")
    decided = services.comment_decide(comment=made, by=world.users["secretary_a"], decision="taken")
    assert decided.decision == CommentDecision.TAKEN and decided.decided_by == world.users["secretary_a"]
    # The audit log names the comment and what was done with it in words, not codes.
    from chibo.core.models import AuditEntry

    entries = {e.action: e for e in AuditEntry.objects.filter(object_type="documents.draftcomment")}
    assert set(entries) == {"draft.comment", "draft.comment.decide"}
    assert entries["draft.comment"].action_label == "Góp ý dự thảo"
    assert entries["draft.comment.decide"].action_label == "Xử lý góp ý dự thảo"
    assert entries["draft.comment"].object_repr.startswith("Dự thảo ")  # the part's name
    meetings.meeting_start_recording(meeting=announced, by=world.users["secretary_a"])
    with pytest.raises(ValidationError, match="đến khi bắt đầu"):
        comment(world, Meeting.objects.get(pk=announced.pk))
    assert DraftComment.objects.filter(meeting=announced).count() == 1


def test_drafts_page_matrix_and_what_each_sees(world, client_as, announced):
    comment(world, announced)
    comment(world, announced, role="secretary_a", paragraph=0, text="Bổ sung số hộ nghèo.")
    url = reverse("meeting_drafts", args=[announced.pk])
    responses = check_matrix(client_as, url, page_row(SEES_A))
    member = responses["member_a"].content.decode()
    secretary = responses["secretary_a"].content.decode()
    # The secretary sees every comment by paragraph, with the buttons; Hoa her own.
    assert "Nên nêu rõ số liệu." in secretary and "Bổ sung số hộ nghèo." in secretary
    assert secretary.count('name="decision" value="taken"') == 2
    assert "Nên nêu rõ số liệu." in member and "Bổ sung số hộ nghèo." not in member
    assert 'name="decision"' not in member
    check_matrix(client_as, url, page_row(set(), FOUND) | {r: FOUND for r in SEES_A}, method="post",
                 data={"part": "resolution", "paragraph": 0, "text": "Đồng ý."})  # fmt: skip
    assert DraftComment.objects.filter(part="resolution").count() == 4
    bad = client_as("member_a").post(url, {"part": "report", "paragraph": 9, "text": "x"})
    assert bad.status_code == 422 and "Hãy chọn một đoạn" in bad.content.decode()


def test_decision_matrix(world, client_as, announced):
    made = comment(world, announced)
    check_matrix(client_as, reverse("comment_decide", args=[made.pk]),
                 page_row({"secretary_a"}, FOUND, forbidden={"member_a", "officer_c1", "admin_p"}),
                 method="post", data={"decision": "not_taken"})  # fmt: skip
    made.refresh_from_db()
    # Only the secretary decides; the others who see the meeting are refused (403).
    assert made.decision == CommentDecision.NOT_TAKEN and made.decided_by == world.users["secretary_a"]


def test_comment_api_matrix(world, api_client_as, announced):
    comment(world, announced)
    url = f"{API}/meetings/{announced.pk}/comments"
    responses = check_matrix(api_client_as, url, row(SEES_A))
    assert len(responses["secretary_a"].json()) == 1 and len(responses["officer_c1"].json()) == 1
    assert responses["admin_p"].json()[0]["quote"] == "Chi bộ đề ra ba nhiệm vụ."
    check_matrix(api_client_as, url, row(SEES_A, 201), method="post",
                 data={"part": "report", "paragraph": 2, "text": "Thêm thời hạn."}, **JSON)  # fmt: skip
    assert len(api_client_as("member_a").get(url).json()) == 2  # Hoa's: the fixture's and the new one
    first = DraftComment.objects.order_by("id").first()
    check_matrix(api_client_as, f"{API}/comments/{first.pk}/decision",
                 row({"secretary_a"}, forbidden={"member_a", "officer_c1", "admin_p"}), method="post",
                 data={"decision": "taken"}, **JSON)  # fmt: skip
    bad = api_client_as("member_a").post(url, {"part": "report", "paragraph": 7, "text": "x"}, **JSON)
    assert bad.status_code == 422 and "paragraph" in bad.json()["errors"]
