"""A clerk's session ends while the recording screen is open (expired on the server): the next
speech and the next autosaved field are not lost, the login page is never swapped into the
minutes, and after logging in again the page sends what was typed, once."""

import datetime

import pytest
from django.contrib.sessions.models import Session
from playwright.sync_api import expect

from chibo.meetings import services
from chibo.meetings.models import Meeting, SectionContent, Speech

from ..conftest import PASSWORD
from ..meetings.conftest import plan
from .conftest import assert_fits

pytestmark = pytest.mark.browser


def test_text_typed_after_the_session_ended_is_sent_after_logging_in_again(world, open_page, live_server):
    by = world.users["secretary_a"]
    meeting = plan(world, day=datetime.date.today())
    services.meeting_announce(meeting=meeting, by=by)
    services.meeting_start_recording(meeting=meeting, by=by)
    section = meeting.sections.filter(content=SectionContent.DISCUSSION).order_by("position")[0]
    page = open_page("secretary_a", width=390)
    page.goto(f"{live_server.url}/meetings/{meeting.pk}/record/")

    Session.objects.all().delete()  # the session ends on the server
    speech = "Đề nghị chi bộ giao chỉ tiêu vận động quỹ khuyến học."
    page.select_option(f"#speech-{section.pk}-speaker", f"m:{world.hoa.pk}")
    page.fill(f"#speech-{section.pk}-new", speech)
    page.click(f"#speech-form-{section.pk} button[type=submit]")
    notice = page.locator("#chibo-notice")
    expect(notice).to_contain_text("Phiên đăng nhập đã hết")
    # Nothing was swapped into the minutes, and the text is still in the form.
    assert page.locator(f"#speeches-{section.pk} form, #speeches-{section.pk} #id_username").count() == 0
    assert page.input_value(f"#speech-{section.pk}-new") == speech
    assert not Speech.objects.exists()

    # An autosaved field typed now says it was not saved.
    page.fill("#meeting-resolution_number", "07-NQ/CB")
    expect(page.locator("#minutes")).to_contain_text("Chưa lưu: hãy đăng nhập lại")
    page.evaluate("window.scrollTo(0, 0)")
    assert_fits(page, "session-ended")

    # Log in again through the notice's link; the page opens again and sends the field.
    page.once("dialog", lambda dialog: dialog.accept())  # "some text is not saved: leave?"
    notice.get_by_role("link").click()
    page.wait_for_url("**/accounts/login/**")
    page.fill("#id_username", "secretary_a")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**/meetings/{meeting.pk}/record/")
    page.wait_for_load_state("networkidle")
    expect(page.locator(f"#speech-{section.pk}-new")).to_have_value(speech)  # the draft is back
    page.select_option(f"#speech-{section.pk}-speaker", f"m:{world.hoa.pk}")
    page.click(f"#speech-form-{section.pk} button[type=submit]")
    page.wait_for_selector(f"#speeches-{section.pk} li")
    page.wait_for_load_state("networkidle")
    assert list(Speech.objects.values_list("text", flat=True)) == [speech]
    assert Meeting.objects.get(pk=meeting.pk).resolution_number == "07-NQ/CB"
