"""A member on a phone, before the meeting: the home page, reading the draft document,
commenting on a paragraph of the draft report, asking for leave; then the secretary sees the
comment and the request, takes the comment in and approves the leave."""

import datetime

import pytest

from chibo.documents import services as documents
from chibo.documents.models import DocumentRead, DraftComment
from chibo.meetings import services as meetings
from chibo.meetings.models import LeaveRequest, LeaveStatus

from ..meetings.conftest import plan
from ..notify.conftest import run_jobs
from .conftest import assert_fits

pytestmark = pytest.mark.browser
REPORT = "Tháng qua chi bộ vận động bà con làm 300 m đường bê tông.\n\nTháng tới tập trung thu gom rác thải."


@pytest.fixture
def announced(world):
    meeting = plan(world, day=datetime.date.today() + datetime.timedelta(days=4), draft_report=REPORT,
                   draft_resolution="Chi bộ quyết nghị hoàn thành đường thôn trước 31/12.")  # fmt: skip
    meetings.meeting_announce(meeting=meeting, by=world.users["secretary_a"])
    documents.document_add_to_meeting(meeting=meeting, by=world.users["secretary_a"],
                                      title="Báo cáo tài chính quỹ đường thôn", confidentiality="normal",
                                      body="Đã thu 45 triệu đồng, đã chi 38 triệu đồng.")  # fmt: skip
    run_jobs()
    return meeting


def test_member_prepares_and_the_secretary_sees_it(world, open_page, live_server, announced):
    member = open_page("member_a", width=390)
    member.goto(f"{live_server.url}/me/")
    # Two unread, shown beside the folded menu: the meeting announced and the document added.
    assert " ".join(member.inner_text("#phone-notifications").split()) == "Thông báo 2"
    assert "Báo cáo tài chính quỹ đường thôn" in member.inner_text("#documents")
    assert_fits(member, "member-home")

    # Read the document: it is marked read.
    member.click("#documents a:has-text('Báo cáo tài chính quỹ đường thôn')")
    member.wait_for_load_state()
    assert "Đã thu 45 triệu đồng" in member.content()
    assert DocumentRead.objects.filter(user=world.users["member_a"]).count() == 1

    # Comment on the second paragraph of the draft report.
    member.goto(f"{live_server.url}/me/")
    member.click("a:has-text('Góp ý dự thảo')")
    member.wait_for_url("**/drafts/")
    paragraph = member.locator("#p-report-1")
    paragraph.locator("summary").click()
    paragraph.locator("textarea").fill("Đề nghị nêu rõ thời gian thu gom rác mỗi tuần.")
    paragraph.locator("button[type=submit]").click()
    member.wait_for_load_state()
    assert "Đề nghị nêu rõ thời gian thu gom" in member.inner_text("#p-report-1")
    assert_fits(member, "member-drafts")

    # Ask for leave from the meeting page.
    member.goto(f"{live_server.url}/meetings/{announced.pk}/#leave")
    member.fill("#leave textarea, #leave input[name=reason]", "Đi công tác tỉnh ngày hôm đó.")
    member.click("#leave button[type=submit]")
    member.wait_for_load_state()
    assert "Đi công tác tỉnh" in member.inner_text("#leave")
    assert LeaveRequest.objects.get(meeting=announced).status == LeaveStatus.PENDING
    assert_fits(member, "member-leave")

    # The secretary sees both and acts on them.
    secretary = open_page("secretary_a", width=390)
    secretary.goto(f"{live_server.url}/meetings/{announced.pk}/drafts/")
    comment = secretary.locator(".comment", has_text="thu gom rác mỗi tuần")
    comment.locator("button[value=taken]").click()
    secretary.wait_for_load_state()
    assert DraftComment.objects.get().decision == "taken"
    secretary.goto(f"{live_server.url}/meetings/{announced.pk}/")
    leave = secretary.locator("#leave li", has_text="Đặng Thị Hoa")
    assert "Đi công tác tỉnh" in leave.inner_text()
    leave.locator("button[value=approve]").click()
    secretary.wait_for_load_state()
    assert LeaveRequest.objects.get(meeting=announced).status == LeaveStatus.APPROVED

    # Back on the member's phone: the comment's fate, and the notifications.
    member.goto(f"{live_server.url}/meetings/{announced.pk}/drafts/")
    assert member.inner_text("#p-report-1 .decision") == "Đã tiếp thu"
    member.goto(f"{live_server.url}/notifications/")
    listing = member.inner_text("#notifications")
    assert "Tài liệu mới: Báo cáo tài chính quỹ đường thôn" in listing
    assert "Chi bộ thôn Ấp Đông sinh hoạt ngày" in listing
    assert_fits(member, "member-notifications")

    # Which kinds also come by e-mail: untick one and save.
    member.goto(f"{live_server.url}/notifications/choices/")
    member.uncheck("#id_documents_added__email")
    member.click("main form button[type=submit]")
    member.wait_for_load_state()
    assert not member.is_checked("#id_documents_added__email") and member.is_checked("#id_meeting_tomorrow__email")
    assert_fits(member, "member-choices")
