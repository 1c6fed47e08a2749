"""Meeting pages: the access matrix of every URL, the recording flow from plan to finalised
minutes, autosave conflicts, and a constant number of queries on the recording screen."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from chibo.meetings import checks, services
from chibo.meetings.models import (
    Addendum,
    Guest,
    LeaveRequest,
    LeaveStatus,
    Meeting,
    MeetingKind,
    MeetingStatus,
    Presence,
    SectionContent,
    Speech,
    VoteSubject,
)

from ..conftest import check_matrix
from ..factories import MemberFactory, make_user
from .conftest import plan, record_complete

OK, FOUND, FORBIDDEN, MISSING, LOGIN = 200, 302, 403, 404, 302
HX = {"HTTP_HX_REQUEST": "true"}


def expect(**seen):
    """The matrix for a page of cell A: outside the subtree 404, anonymous to the login page."""
    base = dict(member_a=MISSING, secretary_a=MISSING, secretary_b=MISSING, officer_c1=MISSING,
                officer_c2=MISSING, admin_p=MISSING, anonymous=LOGIN)  # fmt: skip
    return base | seen


# Who may do what on a meeting of cell A, once the user can see the meeting at all.
READERS = dict(secretary_a=OK, officer_c1=OK, admin_p=OK)
PLANNER_ONLY = dict(secretary_a=OK, officer_c1=FORBIDDEN, admin_p=FORBIDDEN)


def future_day(days=7):
    return timezone.localdate() + datetime.timedelta(days=days)


def _secretary(world):
    return world.users["secretary_a"]


def _announced(world, **extra):
    meeting = plan(world, day=future_day(), **extra)
    return services.meeting_announce(meeting=meeting, by=_secretary(world))


def _recording(world, **extra):
    meeting = _announced(world, **extra)
    return services.meeting_start_recording(meeting=meeting, by=_secretary(world))


def _discussion(meeting):
    return meeting.sections.filter(content=SectionContent.DISCUSSION).first()


# --- access matrix ----------------------------------------------------------------------------
def test_cell_meetings_matrix_and_member_sees_only_announced(world, client_as):
    planned = plan(world, day=future_day(3), topic="Kế hoạch chưa công bố")
    announced = _announced(world, topic="Sinh hoạt đã thông báo")
    url = reverse("cell_meetings", args=[world.a.pk])
    responses = check_matrix(client_as, url, expect(member_a=OK, **READERS))
    member_view = responses["member_a"].content.decode()
    assert reverse("meeting_detail", args=[announced.pk]) in member_view
    assert reverse("meeting_detail", args=[planned.pk]) not in member_view
    assert reverse("meeting_detail", args=[planned.pk]) in responses["secretary_a"].content.decode()
    # Only the secretary is offered to plan.
    assert reverse("meeting_create", args=[world.a.pk]) in responses["secretary_a"].content.decode()
    assert (
        reverse("meeting_create", args=[world.a.pk]) not in responses["officer_c1"].content.decode()
    )
    # The card on the cell page, loaded by htmx.
    recent = check_matrix(client_as, url + "?part=recent", expect(member_a=OK, **READERS))
    assert "<html" not in recent["secretary_a"].content.decode()
    assert reverse("meeting_detail", args=[announced.pk]) in recent["member_a"].content.decode()


def test_cell_page_links_to_its_meetings(world, client_as):
    html = client_as("member_a").get(reverse("unit_detail", args=[world.a.pk])).content.decode()
    assert reverse("cell_meetings", args=[world.a.pk]) + "?part=recent" in html
    html = client_as("admin_p").get(reverse("unit_detail", args=[world.c1.pk])).content.decode()
    assert reverse("cell_meetings", args=[world.c1.pk]) not in html  # not a cell


def test_meetings_of_a_committee_are_404(world, client_as):
    assert client_as("admin_p").get(reverse("cell_meetings", args=[world.c1.pk])).status_code == 404


def test_plan_form_matrix(world, client_as):
    url = reverse("meeting_create", args=[world.a.pk])
    check_matrix(client_as, url, expect(member_a=FORBIDDEN, **PLANNER_ONLY))


def test_meeting_page_matrix_follows_status(world, client_as):
    meeting = plan(world, day=future_day())
    url = reverse("meeting_detail", args=[meeting.pk])
    check_matrix(client_as, url, expect(**READERS))  # planned: the member does not see it yet
    services.meeting_announce(meeting=meeting, by=_secretary(world))
    check_matrix(client_as, url, expect(member_a=OK, **READERS))
    assert client_as("admin_p").get(reverse("meeting_detail", args=[999999])).status_code == 404


@pytest.mark.parametrize("name", ["meeting_edit", "meeting_postpone", "meeting_cancel"])
def test_plan_action_pages_matrix(world, client_as, name):
    meeting = _announced(world)
    check_matrix(
        client_as, reverse(name, args=[meeting.pk]), expect(member_a=FORBIDDEN, **PLANNER_ONLY)
    )


def test_announce_matrix(world, client_as):
    meeting = plan(world, day=future_day())
    check_matrix(client_as, reverse("meeting_announce", args=[meeting.pk]),
                 expect(secretary_a=FOUND, officer_c1=FORBIDDEN, admin_p=FORBIDDEN), method="post")  # fmt: skip
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.ANNOUNCED and meeting.announced_at is not None
    # GET does nothing
    assert (
        client_as("secretary_a").get(reverse("meeting_announce", args=[meeting.pk])).status_code
        == 405
    )


def test_start_recording_matrix(world, client_as):
    meeting = _announced(world)
    responses = check_matrix(client_as, reverse("meeting_start", args=[meeting.pk]),
                             expect(member_a=FORBIDDEN, secretary_a=FOUND, officer_c1=FORBIDDEN,
                                    admin_p=FORBIDDEN), method="post")  # fmt: skip
    assert responses["secretary_a"].url == reverse("meeting_record", args=[meeting.pk])


def test_leave_request_matrix(world, client_as):
    meeting = _announced(world)
    check_matrix(client_as, reverse("leave_create", args=[meeting.pk]),
                 expect(member_a=FOUND, secretary_a=FOUND, officer_c1=FORBIDDEN, admin_p=FORBIDDEN),
                 method="post", data={"reason": "Đi công tác"})  # fmt: skip
    assert set(LeaveRequest.objects.values_list("member", flat=True)) == {
        world.hoa.pk,
        world.ung.pk,
    }


def test_leave_decide_matrix(world, client_as):
    meeting = _announced(world)
    request = services.leave_request(meeting=meeting, member=world.hoa, reason="Ốm",
                                     by=world.users["member_a"])  # fmt: skip
    check_matrix(client_as, reverse("leave_decide", args=[meeting.pk, request.pk]),
                 expect(member_a=FORBIDDEN, secretary_a=FOUND, officer_c1=FORBIDDEN,
                        admin_p=FORBIDDEN),
                 method="post", data={"decision": "approve"})  # fmt: skip
    request.refresh_from_db()
    assert request.status == LeaveStatus.APPROVED


RECORDERS = dict(member_a=FORBIDDEN, officer_c1=FORBIDDEN, admin_p=FORBIDDEN)


def _record_requests(world, meeting):
    """(url name, args, data, status for the secretary) for every write of the recording screen."""
    section = _discussion(meeting)
    text_section = meeting.sections.filter(content=SectionContent.TEXT).first()
    line = meeting.attendance.get(member=world.hoa)
    speech = services.speech_add(section=section, by=_secretary(world), speaker=world.hoa,
                                 text="Ý kiến về làm đường.")  # fmt: skip
    guest = services.guest_add(meeting=meeting, by=_secretary(world), name="Nguyễn Văn Khách")
    assignment = services.assignment_add(meeting=meeting, by=_secretary(world),
                                         description="Vận động làm đường", assignees=[world.hoa],
                                         deadline=future_day(30))  # fmt: skip
    pk = meeting.pk
    return [
        ("record_field", [pk, "remarks"], {"value": "Nhận xét", "version": meeting.version, "base": ""}, OK),
        ("section_field", [pk, text_section.pk, "text"], {"value": "Khai mạc", "version": text_section.version, "base": ""}, OK),
        ("attendance_mark", [pk, line.pk], {"presence": Presence.PRESENT, "version": line.version}, OK),
        ("attendance_all_present", [pk], {}, FOUND),
        ("guest_add", [pk], {"name": "Lê Thị Khách", "position": "Bí thư Đoàn xã"}, FOUND),
        ("guest_remove", [pk, guest.pk], {}, FOUND),
        ("speech_add", [pk, section.pk], {"speaker": f"m:{world.ung.pk}", "text": "Đồng ý, bổ sung kinh phí."}, FOUND),
        ("speech_update", [pk, speech.pk], {"value": "Ý kiến sửa lại.", "version": speech.version, "base": speech.text}, OK),
        ("speech_delete", [pk, speech.pk], {}, FOUND),
        ("vote_record", [pk, "resolution"], {"resolution-votes_for": 2, "resolution-votes_against": 0, "resolution-votes_abstain": 0}, FOUND),
        ("assignment_add", [pk], {"description": "Thu đảng phí", "assignees": [str(world.ung.pk)], "deadline": future_day(20).isoformat()}, FOUND),
        ("assignment_delete", [pk, assignment.pk], {}, FOUND),
    ]  # fmt: skip


def test_recording_screen_matrix(world, client_as):
    meeting = _recording(world)
    check_matrix(client_as, reverse("meeting_record", args=[meeting.pk]),
                 expect(secretary_a=OK, **RECORDERS))  # fmt: skip
    for name, args, data, status in _record_requests(world, meeting):
        check_matrix(client_as, reverse(name, args=args), expect(secretary_a=status, **RECORDERS),
                     method="post", data=data)  # fmt: skip


def test_recording_writes_of_another_meeting_are_404(world, client_as):
    """Ids of rows of another meeting (here: cell B's) answer 404 through this meeting's URL."""
    meeting = _recording(world)
    other = services.meeting_plan(unit=world.b, by=world.users["secretary_b"], kind="regular",
                                  date=future_day(), start_time=datetime.time(8, 0), place="Phòng họp")  # fmt: skip
    services.meeting_start_recording(meeting=other, by=world.users["secretary_b"])
    foreign_line = other.attendance.get()
    client = client_as("secretary_a")
    url = reverse("attendance_mark", args=[meeting.pk, foreign_line.pk])
    assert client.post(url, {"presence": "present"}).status_code == 404
    url = reverse("section_field", args=[meeting.pk, _discussion(other).pk, "conclusion"])
    assert client.post(url, {"value": "x"}).status_code == 404


def test_finalise_matrix(world, client_as):
    meeting = _recording(world)
    check_matrix(client_as, reverse("meeting_finalise", args=[meeting.pk]),
                 expect(member_a=FORBIDDEN, **PLANNER_ONLY))  # fmt: skip


def test_addendum_matrix(world, client_as, complete_meeting):
    services.meeting_finalise(meeting=complete_meeting, by=_secretary(world),
                              acknowledgements=_acknowledge_all(complete_meeting))  # fmt: skip
    check_matrix(client_as, reverse("meeting_detail", args=[complete_meeting.pk]),
                 expect(member_a=OK, **READERS))  # fmt: skip
    data = {"part": "Phân công nhiệm vụ", "text": "Hạn là 15/12", "reason": "Ghi nhầm ngày"}
    check_matrix(client_as, reverse("addendum_add", args=[complete_meeting.pk]),
                 expect(member_a=FORBIDDEN, secretary_a=FOUND, officer_c1=FORBIDDEN,
                        admin_p=FORBIDDEN), method="post", data=data)  # fmt: skip
    assert Addendum.objects.get().author == _secretary(world)


def test_a_clerk_records_but_does_not_plan_or_finalise(world):
    from django.test import Client

    clerk = make_user("clerk_a", role="clerk", unit=world.a, member=world.son)
    client = Client()
    client.force_login(clerk)
    meeting = _announced(world)
    assert client.get(reverse("meeting_create", args=[world.a.pk])).status_code == FORBIDDEN
    assert client.post(reverse("meeting_start", args=[meeting.pk])).status_code == FOUND
    assert client.get(reverse("meeting_record", args=[meeting.pk])).status_code == OK
    assert client.get(reverse("meeting_finalise", args=[meeting.pk])).status_code == FORBIDDEN


def test_the_upper_level_attendee_writes_remarks_only(world):
    from django.test import Client

    attendee = make_user("attendee_a", role="attendee", unit=world.a)
    client = Client()
    client.force_login(attendee)
    meeting = _recording(world)
    html = client.get(reverse("meeting_detail", args=[meeting.pk])).content.decode()
    assert reverse("record_field", args=[meeting.pk, "remarks"]) in html
    assert client.get(reverse("meeting_record", args=[meeting.pk])).status_code == FORBIDDEN
    assert _field(client, meeting, "remarks", "Chi bộ cần bám sát nghị quyết xã.").status_code == OK
    assert _field(client, meeting, "resolution_text", "Nghị quyết").status_code == FORBIDDEN
    meeting.refresh_from_db()
    assert (meeting.remarks, meeting.resolution_text) == ("Chi bộ cần bám sát nghị quyết xã.", "")


# --- flows ------------------------------------------------------------------------------------
def _acknowledge_all(meeting) -> dict[str, str]:
    return {w.code: "Đã báo cáo cấp ủy" for w in checks.problems(meeting)[1]}


def _field(client, meeting, name, value, *, version=None, base=""):
    version = Meeting.objects.get(pk=meeting.pk).version if version is None else version
    return client.post(reverse("record_field", args=[meeting.pk, name]),
                       {"value": value, "version": version, "base": base}, **HX)  # fmt: skip


def _section_field(client, section, field, value, *, base=""):
    section.refresh_from_db()
    return client.post(reverse("section_field", args=[section.meeting_id, section.pk, field]),
                       {"value": value, "version": section.version, "base": base}, **HX)  # fmt: skip


def test_plan_announce_record_finalise(world, client_as):
    client = client_as("secretary_a")
    day = future_day(10)
    response = client.post(reverse("meeting_create", args=[world.a.pk]), {
        "kind": MeetingKind.REGULAR, "date": day.isoformat(), "start_time": "14:00",
        "place": "Nhà văn hóa thôn", "draft_resolution": "Dự thảo: sửa đường liên thôn.",
    })  # fmt: skip
    assert response.status_code == FOUND, response.content.decode()[:2000]
    meeting = Meeting.objects.get()
    assert meeting.sections.exists()  # the agenda comes from the template
    detail = client.get(reverse("meeting_detail", args=[meeting.pk])).content.decode()
    assert meeting.sections.first().title in detail and "Dự thảo: sửa đường liên thôn." in detail

    assert client.post(reverse("meeting_announce", args=[meeting.pk])).status_code == FOUND
    assert client_as("member_a").get(reverse("meeting_detail", args=[meeting.pk])).status_code == OK
    response = client.post(reverse("meeting_start", args=[meeting.pk]))
    assert response.url == reverse("meeting_record", args=[meeting.pk])
    page = client.get(response.url).content.decode()
    for anchor in (
        "part-people",
        "part-attendance",
        "part-resolution",
        "part-assignments",
        "part-approval",
        *(f"section-{s.pk}" for s in meeting.sections.all()),
    ):
        assert f'id="{anchor}"' in page, anchor

    # Attendance: one tap per member; the answer updates the figures.
    for line in meeting.attendance.all():
        response = client.post(reverse("attendance_mark", args=[meeting.pk, line.pk]),
                               {"presence": Presence.PRESENT, "version": line.version}, **HX)  # fmt: skip
        assert response.status_code == OK and 'name="version"' in response.content.decode()
    assert 'id="attendance-summary"' in response.content.decode()

    # People and times, all sent with the version the page was opened with: each changes
    # another field of the meeting, so none is a conflict.
    version = Meeting.objects.get(pk=meeting.pk).version
    for name, value, base in [
        ("chair", world.ung.pk, str(world.ung.pk)),  # the secretary is proposed as chair
        ("clerk", world.hoa.pk, ""),
        ("actual_start", "14:05", "14:00"),  # the planned time, as the page showed it
        ("actual_end", "16:05", ""),
        ("resolution_text", "Chi bộ quyết nghị sửa xong đường liên thôn trong tháng tới.", ""),
        ("resolution_number", "05-NQ/CB", ""),
    ]:
        response = _field(client, meeting, name, value, version=version, base=base)
        assert response.status_code == OK, (name, response.content.decode())
    meeting.refresh_from_db()
    assert meeting.chair == world.ung and meeting.actual_end == datetime.time(16, 5)

    for section in meeting.sections.filter(content=SectionContent.TEXT, required=True):
        assert (
            _section_field(client, section, "text", "Đồng chí bí thư khai mạc.").status_code == OK
        )
    for section in meeting.sections.filter(content=SectionContent.DISCUSSION):
        response = client.post(reverse("speech_add", args=[meeting.pk, section.pk]),
                               {"speaker": f"m:{world.hoa.pk}", "text": "Đề nghị huy động thanh niên làm đường."},
                               **HX)  # fmt: skip
        assert (
            response.status_code == OK
            and "Đề nghị huy động thanh niên" in response.content.decode()
        )
    response = client.post(reverse("vote_record", args=[meeting.pk, "resolution"]),
                           {"resolution-votes_for": 2, "resolution-votes_against": 0,
                            "resolution-votes_abstain": 0}, **HX)  # fmt: skip
    assert response.status_code == OK
    client.post(reverse("vote_record", args=[meeting.pk, "minutes"]),
                {"minutes-votes_for": 3, "minutes-votes_against": 0, "minutes-votes_abstain": 0}, **HX)  # fmt: skip
    response = client.post(reverse("assignment_add", args=[meeting.pk]), {
        "description": "Vận động thanh niên làm đường", "assignees": [str(world.hoa.pk)],
        "deadline": (day + datetime.timedelta(days=20)).isoformat(),
    }, **HX)  # fmt: skip
    assert (
        response.status_code == OK and "Vận động thanh niên làm đường" in response.content.decode()
    )

    # Finalising is refused: no conclusion. The message links to the section to fix.
    url = reverse("meeting_finalise", args=[meeting.pk])
    section = _discussion(meeting)
    expected = [p for p in checks.problems(meeting)[0] if p.code == "conclusion"]
    assert expected and all(p.anchor.startswith("section-") for p in expected)
    page = client.get(url).content.decode()
    assert escape(expected[0].message) in page
    assert reverse("meeting_record", args=[meeting.pk]) + f"#section-{section.pk}" in page
    response = client.post(url, _acknowledge_all(meeting))
    assert response.status_code == OK and escape(expected[0].message) in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.RECORDING

    # A conclusion that only agrees is still refused; a real one is accepted.
    _section_field(client, section, "conclusion", "Chi bộ nhất trí cao.")
    assert "vague-conclusion" in {p.code for p in checks.problems(meeting)[0]}
    for section in meeting.sections.filter(content=SectionContent.DISCUSSION):
        response = _section_field(client, section, "conclusion",
                                  "Giao đồng chí Hoa vận động thanh niên, xong trước cuối tháng.",
                                  base=section.conclusion)  # fmt: skip
        assert response.status_code == OK, response.content.decode()
    assert checks.problems(meeting)[0] == []

    # Shorten the meeting: the rulebook's minimum duration must be acknowledged with a reason.
    assert _field(client, meeting, "actual_end", "14:30", base="16:05").status_code == OK
    meeting.refresh_from_db()
    warnings = checks.problems(meeting)[1]
    assert "short" in {w.code for w in warnings}
    response = client.post(url, {})
    assert response.status_code == OK
    assert 'name="ack_short"' in response.content.decode()
    response = client.post(url, {f"ack_{w.code}": "Mưa bão, kết thúc sớm" for w in warnings})
    assert response.status_code == FOUND, response.content.decode()[:3000]
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.FINALISED and len(meeting.content_hash) == 64
    assert {w["code"] for w in meeting.acknowledged_warnings} >= {"short"}

    # The finalised minutes, read-only, for the member too; the recording screen is closed.
    html = client_as("member_a").get(reverse("meeting_detail", args=[meeting.pk])).content.decode()
    assert meeting.content_hash in html and "Giao đồng chí Hoa vận động thanh niên" in html
    assert "Mưa bão, kết thúc sớm" in html and "addendum_add" not in html
    assert reverse("addendum_add", args=[meeting.pk]) not in html  # only the secretary adds one
    assert client.get(reverse("meeting_record", args=[meeting.pk])).status_code == FOUND
    response = _field(client, meeting, "remarks", "Sửa sau khi khóa")
    assert response.status_code == 422
    meeting.refresh_from_db()
    assert meeting.remarks == ""

    response = client.post(
        reverse("addendum_add", args=[meeting.pk]), {"part": "", "text": "x", "reason": ""}
    )
    assert response.status_code == OK and not Addendum.objects.exists()
    response = client.post(reverse("addendum_add", args=[meeting.pk]),
                           {"part": "Phân công", "text": "Hạn 15/12", "reason": "Ghi nhầm"})  # fmt: skip
    assert response.status_code == FOUND
    html = client.get(reverse("meeting_detail", args=[meeting.pk])).content.decode()
    assert "Hạn 15/12" in html and "Ghi nhầm" in html


def test_autosave_with_a_stale_version_answers_409_with_both_texts(world, client_as):
    meeting = _recording(world)
    section = _discussion(meeting)
    first, second = client_as("secretary_a"), client_as("secretary_a")
    version = section.version
    url = reverse("section_field", args=[meeting.pk, section.pk, "conclusion"])
    response = first.post(url, {"value": "Kết luận của người thứ nhất: làm đường trước Tết.",
                                "version": version, "base": ""}, **HX)  # fmt: skip
    assert response.status_code == OK
    # The second screen was opened before: same version, same (empty) text.
    response = second.post(url, {"value": "Kết luận của người thứ hai: xin thêm kinh phí.",
                                 "version": version, "base": ""}, **HX)  # fmt: skip
    assert response.status_code == 409
    html = response.content.decode()
    assert "Kết luận của người thứ nhất: làm đường trước Tết." in html
    assert "Kết luận của người thứ hai: xin thêm kinh phí." in html
    assert 'data-conflict-action="mine"' in html and 'data-conflict-action="theirs"' in html
    section.refresh_from_db()
    assert section.conclusion == "Kết luận của người thứ nhất: làm đường trước Tết."
    # Keeping one's own version: sent again on the current version, with the stored text as base.
    response = second.post(url, {"value": "Kết luận của người thứ hai: xin thêm kinh phí.",
                                 "version": section.version, "base": section.conclusion}, **HX)  # fmt: skip
    assert response.status_code == OK
    section.refresh_from_db()
    assert section.conclusion == "Kết luận của người thứ hai: xin thêm kinh phí."


def test_autosave_of_meeting_fields_conflicts_only_on_the_same_field(world, client_as):
    meeting = _recording(world)
    client = client_as("secretary_a")
    version = Meeting.objects.get(pk=meeting.pk).version
    assert (
        _field(client, meeting, "resolution_text", "Nghị quyết A", version=version).status_code
        == OK
    )
    assert _field(client, meeting, "remarks", "Nhận xét", version=version).status_code == OK
    response = _field(client, meeting, "resolution_text", "Nghị quyết B", version=version)
    assert response.status_code == 409
    assert (
        "Nghị quyết A" in response.content.decode() and "Nghị quyết B" in response.content.decode()
    )
    meeting.refresh_from_db()
    assert (meeting.resolution_text, meeting.remarks) == ("Nghị quyết A", "Nhận xét")


def test_attendance_conflict_shows_the_stored_line(world, client_as):
    meeting = _recording(world)
    line = meeting.attendance.get(member=world.hoa)
    url = reverse("attendance_mark", args=[meeting.pk, line.pk])
    client = client_as("secretary_a")
    assert (
        client.post(url, {"presence": "present", "version": line.version}, **HX).status_code == OK
    )
    response = client.post(
        url, {"presence": "absent_excused", "reason": "Ốm", "version": line.version}, **HX
    )
    assert response.status_code == 409
    assert response["HX-Retarget"] == f"#att-{line.pk}"
    assert "Ốm" in response.content.decode()
    line.refresh_from_db()
    assert line.presence == Presence.PRESENT


def test_bad_input_is_shown_on_the_field(world, client_as):
    client = client_as("secretary_a")
    response = client.post(reverse("meeting_create", args=[world.a.pk]),
                           {"kind": "thematic", "date": "1999-01-01", "start_time": "", "place": ""})  # fmt: skip
    assert response.status_code == OK and not Meeting.objects.exists()
    assert "is-invalid" in response.content.decode()
    meeting = _recording(world)
    section = _discussion(meeting)
    response = client.post(reverse("speech_add", args=[meeting.pk, section.pk]),
                           {"speaker": "", "text": "Có ý kiến"}, **HX)  # fmt: skip
    assert response.status_code == 422 and response["HX-Retarget"] == f"#speech-form-{section.pk}"
    assert "Có ý kiến" in response.content.decode()  # what was typed is kept
    response = client.post(
        reverse("assignment_add", args=[meeting.pk]), {"description": "Việc"}, **HX
    )
    assert response.status_code == 422 and "invalid-feedback" in response.content.decode()
    response = _field(client, meeting, "chair", str(world.binh.pk))  # not on the roster
    assert response.status_code == 422
    response = _field(client, meeting, "actual_start", "25:99")
    assert response.status_code == 422
    assert not Speech.objects.exists()


def test_postpone_and_cancel_need_a_reason(world, client_as):
    meeting = _announced(world)
    client = client_as("secretary_a")
    new_day = future_day(14)
    response = client.post(reverse("meeting_postpone", args=[meeting.pk]),
                           {"to_date": new_day.isoformat(), "to_time": "19:30", "reason": ""})  # fmt: skip
    assert response.status_code == OK
    response = client.post(reverse("meeting_postpone", args=[meeting.pk]),
                           {"to_date": new_day.isoformat(), "to_time": "19:30", "reason": "Trùng lịch xã"})  # fmt: skip
    assert response.status_code == FOUND
    html = client.get(reverse("meeting_detail", args=[meeting.pk])).content.decode()
    assert "Trùng lịch xã" in html and new_day.strftime("%d/%m/%Y") in html
    assert (
        client.post(reverse("meeting_cancel", args=[meeting.pk]), {"reason": ""}).status_code == OK
    )
    assert (
        client.post(reverse("meeting_cancel", args=[meeting.pk]), {"reason": "Bão"}).status_code
        == FOUND
    )
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.CANCELLED and meeting.cancel_reason == "Bão"


def test_edit_plan_of_an_announced_meeting(world, client_as):
    meeting = _announced(world, topic="Cũ")
    client = client_as("secretary_a")
    url = reverse("meeting_edit", args=[meeting.pk])
    data = {"place": "Hội trường mới", "topic": "Mới", "draft_report": "Báo cáo", "draft_resolution": "",
            "date": "2030-01-01", "start_time": "07:00", "version": meeting.version}  # fmt: skip
    assert client.post(url, data).status_code == FOUND
    meeting.refresh_from_db()
    # Date and time are not editable once announced (disabled fields keep their value).
    assert meeting.place == "Hội trường mới" and meeting.date == future_day()
    data["place"] = "Nơi khác"  # stale version: told, nothing overwritten
    response = client.post(url, data)
    assert response.status_code == OK
    meeting.refresh_from_db()
    assert meeting.place == "Hội trường mới"


def test_leave_request_approved_marks_the_roster(world, client_as):
    meeting = _announced(world)
    member = client_as("member_a")
    html = member.get(reverse("meeting_detail", args=[meeting.pk])).content.decode()
    assert reverse("leave_create", args=[meeting.pk]) in html
    assert member.post(reverse("leave_create", args=[meeting.pk]), {"reason": ""}).status_code == OK
    member.post(reverse("leave_create", args=[meeting.pk]), {"reason": "Đi viện"})
    request = LeaveRequest.objects.get()
    # The member sees only their own request; the secretary decides.
    secretary = client_as("secretary_a")
    html = secretary.get(reverse("meeting_detail", args=[meeting.pk])).content.decode()
    assert "Đi viện" in html and reverse("leave_decide", args=[meeting.pk, request.pk]) in html
    secretary.post(reverse("leave_decide", args=[meeting.pk, request.pk]), {"decision": "approve"})
    secretary.post(reverse("meeting_start", args=[meeting.pk]))
    line = Meeting.objects.get(pk=meeting.pk).attendance.get(member=world.hoa)
    assert (line.presence, line.reason) == (Presence.ABSENT_EXCUSED, "Đi viện")


def test_guest_can_speak(world, client_as):
    meeting = _recording(world)
    client = client_as("secretary_a")
    client.post(reverse("guest_add", args=[meeting.pk]),
                {"name": "Hoàng Văn Cấp", "position": "Đảng ủy viên xã", "is_upper_attendee": "on"})  # fmt: skip
    guest = Guest.objects.get()
    assert guest.is_upper_attendee
    page = client.get(reverse("meeting_record", args=[meeting.pk])).content.decode()
    assert f'value="g:{guest.pk}"' in page
    section = _discussion(meeting)
    response = client.post(reverse("speech_add", args=[meeting.pk, section.pk]),
                           {"speaker": f"g:{guest.pk}", "text": "Chỉ đạo của cấp trên."}, **HX)  # fmt: skip
    assert response.status_code == OK
    assert Speech.objects.get().guest == guest


def test_speech_with_a_speaker_not_of_this_meeting_is_refused_with_the_choices_kept(world, client_as):
    meeting = _recording(world)
    other_cell_member = MemberFactory(cell=world.b)
    section = _discussion(meeting)
    client = client_as("secretary_a")
    url = reverse("speech_add", args=[meeting.pk, section.pk])
    for speaker in (f"m:{other_cell_member.pk}", "g:1", "m:²", "m:" + "9" * 30, "x:1", "m:"):
        response = client.post(url, {"speaker": speaker, "text": "Ý kiến lạc chỗ"}, **HX)
        page = response.content.decode()
        assert response.status_code == 422, speaker
        assert "Ý kiến lạc chỗ" in page  # what was typed is kept
        # The form comes back with the roster to choose from.
        assert f'value="m:{world.hoa.pk}"' in page and "is-invalid" in page
    response = client.post(url, {"speaker": f"m:{world.hoa.pk}", "text": "Ý kiến đúng chỗ"}, **HX)
    assert response.status_code == OK
    assert list(Speech.objects.values_list("text", "speaker")) == [("Ý kiến đúng chỗ", world.hoa.pk)]


def test_a_speech_save_does_not_read_the_roster(world, client_as):
    """Saving a speech costs the same few queries with 3 or 40 members on the roster."""
    client = client_as("secretary_a")
    small = _recording(world)
    MemberFactory.create_batch(37, cell=world.a)
    large = plan(world, day=future_day(7))
    services.meeting_start_recording(meeting=large, by=_secretary(world))
    counts = []
    for meeting in (small, large):
        section = _discussion(meeting)
        speaker = meeting.attendance.order_by("-id").first().member_id
        with CaptureQueriesContext(connection) as ctx:
            response = client.post(reverse("speech_add", args=[meeting.pk, section.pk]),
                                   {"speaker": f"m:{speaker}", "text": "Nhất trí"}, **HX)  # fmt: skip
        assert response.status_code == OK
        assert not any("meetings_attendance" in q["sql"] and "LIMIT" not in q["sql"]
                       for q in ctx.captured_queries), "the whole roster was read"  # fmt: skip
        counts.append(len(ctx.captured_queries))
    assert large.attendance.count() == 40 and counts[0] == counts[1]


# --- query counts -----------------------------------------------------------------------------
RECORD_PAGE_BUDGET = 20


def _record_page_queries(client, meeting) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("meeting_record", args=[meeting.pk]))
    assert response.status_code == OK
    return len(ctx.captured_queries)


def _meeting_with_speeches(world, day, speeches):
    meeting = plan(world, day=day)
    services.meeting_start_recording(meeting=meeting, by=_secretary(world))
    lines = list(meeting.attendance.select_related("member"))
    for i in range(speeches):
        section = meeting.sections.filter(content=SectionContent.DISCUSSION)[i % 2]
        services.speech_add(section=section, by=_secretary(world), speaker=lines[i % len(lines)].member,
                            text=f"Ý kiến số {i}")  # fmt: skip
    services.guest_add(meeting=meeting, by=_secretary(world), name="Khách mời")
    for line in lines[:3]:
        services.assignment_add(meeting=meeting, by=_secretary(world), description="Việc",
                                assignees=[line.member], deadline=day + datetime.timedelta(days=9))  # fmt: skip
    services.vote_record(
        meeting=meeting, by=_secretary(world), subject=VoteSubject.RESOLUTION, votes_for=1
    )
    return meeting


def test_recording_page_queries_do_not_grow_with_members(
    world, client_as, django_assert_max_num_queries
):
    client = client_as("secretary_a")
    MemberFactory.create_batch(7, cell=world.a)  # 10 members
    small = _meeting_with_speeches(world, future_day(5), speeches=4)
    MemberFactory.create_batch(30, cell=world.a)  # 40 members
    large = _meeting_with_speeches(world, future_day(6), speeches=40)
    assert large.attendance.count() == 40
    assert _record_page_queries(client, small) == _record_page_queries(client, large)
    with django_assert_max_num_queries(RECORD_PAGE_BUDGET):
        client.get(reverse("meeting_record", args=[large.pk]))


def test_finalised_page_queries_do_not_grow_with_members(world, client_as):
    client = client_as("member_a")

    def finalised(meeting):
        meeting = record_complete(world, meeting)
        voters = checks.vote_count(list(meeting.attendance.all())).voters_present
        services.vote_record(meeting=meeting, by=_secretary(world), subject=VoteSubject.RESOLUTION,
                             votes_for=voters)  # fmt: skip
        return services.meeting_finalise(meeting=meeting, by=_secretary(world),
                                         acknowledgements=_acknowledge_all(meeting))  # fmt: skip

    def count(meeting):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("meeting_detail", args=[meeting.pk])).status_code == OK
        return len(ctx.captured_queries)

    small = finalised(plan(world, day=future_day(5)))
    MemberFactory.create_batch(37, cell=world.a)
    large = finalised(plan(world, day=future_day(6)))
    assert count(small) == count(large)


# --- editing a task in place -----------------------------------------------------------------
def _task(world, meeting):
    return services.assignment_add(meeting=meeting, by=_secretary(world),
                                   description="Vận động thanh niên làm đường",
                                   assignees=[world.hoa], deadline=future_day(30))  # fmt: skip


def _task_data(assignment, **changes):
    data = {"description": assignment.description,
            "assignees": [str(m.pk) for m in assignment.assignees.all()],
            "deadline": assignment.deadline.isoformat(), "version": assignment.version}  # fmt: skip
    return data | changes


def test_task_edit_matrix(world, client_as):
    meeting = _recording(world)
    assignment = _task(world, meeting)
    for name in ("assignment_edit", "assignment_show"):
        check_matrix(client_as, reverse(name, args=[meeting.pk, assignment.pk]),
                     expect(secretary_a=OK, **RECORDERS), **HX)  # fmt: skip
    data = _task_data(assignment, description="Vận động đoàn viên làm đường")
    check_matrix(client_as, reverse("assignment_edit", args=[meeting.pk, assignment.pk]),
                 expect(secretary_a=FOUND, **RECORDERS), method="post", data=data)  # fmt: skip
    assignment.refresh_from_db()
    assert assignment.description == "Vận động đoàn viên làm đường"


def test_task_of_another_meeting_is_404(world, client_as):
    meeting = _recording(world)
    other = _recording(world)
    assignment = _task(world, other)
    url = reverse("assignment_edit", args=[meeting.pk, assignment.pk])
    assert client_as("secretary_a").get(url, **HX).status_code == MISSING


def test_task_edit_in_place(world, client_as):
    meeting = _recording(world)
    assignment = _task(world, meeting)
    client = client_as("secretary_a")
    page = client.get(reverse("meeting_record", args=[meeting.pk])).content.decode()
    edit_url = reverse("assignment_edit", args=[meeting.pk, assignment.pk])
    assert f'hx-get="{edit_url}"' in page
    form = client.get(edit_url, **HX).content.decode()
    assert f'id="assignment-{assignment.pk}"' in form and 'name="version"' in form
    assert "Vận động thanh niên làm đường" in form
    new_day = future_day(40)
    response = client.post(edit_url, _task_data(
        assignment, description="Vận động đoàn viên", assignees=[str(world.ung.pk)],
        to_committee="on", deadline=new_day.isoformat(),
    ), **HX)  # fmt: skip
    assert response.status_code == OK
    html = response.content.decode()
    assert "Vận động đoàn viên" in html and world.ung.full_name in html
    assert 'name="description"' not in html  # back to the task as shown
    assignment.refresh_from_db()
    assert (assignment.description, assignment.deadline, assignment.to_committee) == (
        "Vận động đoàn viên", new_day, True)  # fmt: skip
    assert list(assignment.assignees.all()) == [world.ung]
    # Invalid input stays in the form with the message on the field.
    response = client.post(edit_url, _task_data(assignment, description=" "), **HX)
    assert response.status_code == 422 and "is-invalid" in response.content.decode()


def test_task_edit_with_a_stale_version_shows_the_conflict_and_keeps_the_text(world, client_as):
    meeting = _recording(world)
    assignment = _task(world, meeting)
    stale = _task_data(assignment, description="Lời của tôi: vận động cả phụ nữ")
    # Someone else saves first.
    services.assignment_update(assignment=assignment, by=_secretary(world),
                               description="Bản của người khác", assignees=[world.ung],
                               deadline=future_day(25), version=assignment.version)  # fmt: skip
    client = client_as("secretary_a")
    url = reverse("assignment_edit", args=[meeting.pk, assignment.pk])
    for extra in (HX, {}):  # the htmx answer, and the whole page without JavaScript
        response = client.post(url, stale, **extra)
        assert response.status_code == 409
        html = response.content.decode()
        with translation.override("vi"):
            message = str(services.EditConflict(current={}, version=0))
        assert escape(message) in html
        assert "Lời của tôi: vận động cả phụ nữ" in html  # what the user typed
        assert "Bản của người khác" in html  # what is stored now
        assert f'name="version" value="{assignment.version}"' in html  # the stored one
        assignment.refresh_from_db()
        assert assignment.description == "Bản của người khác"  # nothing overwritten
        assert list(assignment.assignees.all()) == [world.ung]
    # Saving again with the version shown replaces theirs knowingly.
    response = client.post(url, stale | {"version": assignment.version}, **HX)
    assert response.status_code == OK
    assignment.refresh_from_db()
    assert assignment.description == "Lời của tôi: vận động cả phụ nữ"
