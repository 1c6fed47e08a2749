"""A secretary on a phone: plan → announce → record → finalise refused for the missing
conclusion → fix it → finalise → download the minutes as Word."""

import datetime
import io

import pytest
from docx import Document

from chibo.meetings import services
from chibo.meetings.models import Meeting, MeetingStatus, SectionContent, VoteSubject

from .conftest import assert_fits

pytestmark = pytest.mark.browser


def _fill_the_rest(world, meeting, first_discussion):
    """What the clerk would type in the other parts, written through the services."""
    by = world.users["secretary_a"]
    services.meeting_record_update(
        meeting=meeting, by=by, clerk=world.hoa, actual_start=datetime.time(14, 0),
        actual_end=datetime.time(16, 0),
        resolution_text="Chi bộ quyết nghị hoàn thành sửa đường liên thôn trước ngày 30/11.",
    )  # fmt: skip
    for section in meeting.sections.exclude(pk=first_discussion.pk):
        if section.content == SectionContent.DISCUSSION:
            services.speech_add(section=section, by=by, speaker=world.ung,
                                text="Đề nghị phân công đảng viên phụ trách nhóm hộ.")  # fmt: skip
            services.section_save(section=section, by=by,
                                  conclusion="Giao đồng chí Ưng phân công nhóm hộ trước 20/11.")  # fmt: skip
        elif section.content == SectionContent.TEXT and section.required:
            services.section_save(section=section, by=by, text="Đồng chí bí thư khai mạc.")
    services.vote_record(meeting=meeting, by=by, subject=VoteSubject.RESOLUTION, votes_for=2)
    services.vote_record(meeting=meeting, by=by, subject=VoteSubject.MINUTES, votes_for=3)
    services.assignment_add(meeting=meeting, by=by, description="Vận động thanh niên làm đường",
                            assignees=[world.hoa], deadline=meeting.date + datetime.timedelta(25))  # fmt: skip


def test_secretary_records_and_finalises_a_meeting_on_a_phone(world, open_page, live_server):
    page = open_page("secretary_a", width=390)
    day = datetime.date.today() + datetime.timedelta(days=3)

    # Plan.
    page.goto(f"{live_server.url}/units/{world.a.pk}/meetings/new/")
    page.select_option("#id_kind", "regular")
    page.fill("#id_date", day.isoformat())
    page.fill("#id_start_time", "14:00")
    page.fill("#id_place", "Nhà văn hóa thôn Ấp Đông")
    assert_fits(page, "meeting-plan")
    page.click("form:has(#id_place) button[type=submit]")
    page.wait_for_url("**/meetings/*/")
    meeting = Meeting.objects.get(unit=world.a)
    assert meeting.status == MeetingStatus.PLANNED

    # Announce, then start recording.
    page.click("form[action$='/announce/'] button")
    page.wait_for_load_state()
    assert Meeting.objects.get(pk=meeting.pk).status == MeetingStatus.ANNOUNCED
    page.click("form[action$='/start/'] button")
    page.wait_for_url("**/record/")
    assert_fits(page, "meeting-record")

    # Everyone present; the chair chosen; one speech in the first discussion item.
    page.click("form[action$='/all-present/'] button")
    page.wait_for_load_state()
    page.select_option("#meeting-chair", str(world.ung.pk))
    page.wait_for_load_state("networkidle")
    first = meeting.sections.filter(content=SectionContent.DISCUSSION).order_by("position")[0]
    page.select_option(f"#speech-{first.pk}-speaker", f"m:{world.hoa.pk}")
    page.fill(f"#speech-{first.pk}-new", "Đề nghị huy động đoàn viên thanh niên làm đường.")
    page.click(f"#speech-form-{first.pk} button[type=submit]")
    page.wait_for_selector(f"#speeches-{first.pk} li")
    meeting.refresh_from_db()
    assert meeting.chair == world.ung
    assert first.speeches.count() == 1
    _fill_the_rest(world, meeting, first)

    # Finalising is refused: the first item has no conclusion, and the message links to it.
    page.goto(f"{live_server.url}/meetings/{meeting.pk}/finalise/")
    link = page.locator(f".problems a[href$='#section-{first.pk}']")
    assert link.count() == 1
    assert first.title in link.inner_text()
    assert_fits(page, "meeting-finalise-refused")
    link.click()
    page.wait_for_url(f"**/record/#section-{first.pk}")
    page.fill(f"#section-{first.pk}-conclusion",
              "Giao đồng chí Hoa vận động thanh niên, hoàn thành trước ngày 30/11.")  # fmt: skip
    page.wait_for_selector(
        f".autosave:has(#section-{first.pk}-conclusion) .save-state :text('✓')"
    )
    first.refresh_from_db()
    assert first.conclusion.startswith("Giao đồng chí Hoa")

    # Finalise (acknowledging any soft rule with a reason) and download the minutes.
    page.goto(f"{live_server.url}/meetings/{meeting.pk}/finalise/")
    for field in page.locator("[id^=warning-] textarea, [id^=warning-] input").all():
        field.fill("Chi bộ đã rút kinh nghiệm.")
    page.click(".card form button.btn-party[type=submit]")
    page.wait_for_url(f"**/meetings/{meeting.pk}/")
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.FINALISED
    assert meeting.content_hash in page.content()
    assert_fits(page, "meeting-finalised")
    with page.expect_download() as download:
        page.click(f"a[href$='/meetings/{meeting.pk}/export/minutes.docx']")
    document = Document(io.BytesIO(open(download.value.path(), "rb").read()))
    text = "\n".join(p.text for p in document.paragraphs)
    text += "\n".join(c.text for t in document.tables for r in t.rows for c in r.cells)
    text += "\n".join(p.text for s in document.sections for p in s.footer.paragraphs)
    assert "Giao đồng chí Hoa vận động thanh niên" in text
    assert meeting.content_hash in text
