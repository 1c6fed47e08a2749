"""Meetings in the API: the access matrix of every route (session and bearer token), and the
lifecycle through the API — plan, announce, leave, record, check, finalise, the lock, version
conflicts, and a constant number of queries for the minutes."""

import datetime
from types import SimpleNamespace

import pytest
from django.test import Client
from django.utils import timezone

from chibo.core.models import AuditEntry
from chibo.meetings import services
from chibo.meetings.models import (
    Attendance,
    LeaveRequest,
    Meeting,
    MeetingKind,
    MeetingSection,
    MeetingStatus,
    Presence,
    SectionContent,
    VoteSubject,
)
from chibo.org.models import CellType, UnitKind
from tests.api.conftest import API, JSON, count_queries, english
from tests.conftest import ROLES, check_matrix
from tests.factories import MemberFactory, make_unit, make_user

pytestmark = pytest.mark.django_db

ALL = ["member_a", "secretary_a", "secretary_b", "officer_c1", "officer_c2", "admin_p"]
# Who sees cell A's meetings: its readers always, its member once a meeting is announced.
READERS_A = {"secretary_a", "officer_c1", "admin_p"}
DAY = timezone.localdate() + datetime.timedelta(days=7)
START = datetime.time(14, 0)


def row(ok_roles: set[str], ok: int = 200, forbidden: set[str] = frozenset()) -> dict[str, int]:
    """{role: status}: `ok` for ok_roles, 403 for those who see but may not act, 404 for the
    rest, 401 for anonymous."""
    expected = {role: ok if role in ok_roles else 403 if role in forbidden else 404 for role in ALL}
    expected["anonymous"] = 401
    return expected


def secretary_only(ok: int = 200, *, member_sees: bool = True) -> dict[str, int]:
    """A write on a meeting of cell A: only its secretary; the others who see it get 403."""
    forbidden = {"officer_c1", "admin_p"} | ({"member_a"} if member_sees else set())
    return row({"secretary_a"}, ok, forbidden)


# --- building meetings through the services ---------------------------------------------------
def plan(world, *, unit=None, by=None, kind=MeetingKind.REGULAR, day=DAY, **extra) -> Meeting:
    return services.meeting_plan(
        unit=unit or world.a, by=by or world.users["secretary_a"], kind=kind, date=day,
        start_time=START, place="Nhà văn hóa thôn", **extra,
    )  # fmt: skip


def announced(world, **kwargs) -> Meeting:
    meeting = plan(world, **kwargs)
    return services.meeting_announce(meeting=meeting, by=world.users["secretary_a"])


def recording(world, **kwargs) -> Meeting:
    meeting = announced(world, **kwargs)
    return services.meeting_start_recording(meeting=meeting, by=world.users["secretary_a"])


def discussion_sections(meeting):
    return list(meeting.sections.filter(content=SectionContent.DISCUSSION))


def complete(world, meeting: Meeting) -> Meeting:
    """Record everything a regular meeting of cell A needs to be finalised without warnings."""
    by = world.users["secretary_a"]
    for line in meeting.attendance.all():
        services.attendance_mark(line=line, by=by, presence=Presence.PRESENT)
    meeting.refresh_from_db()
    services.meeting_record_update(
        meeting=meeting, by=by, chair=world.ung, clerk=world.hoa, actual_start=START,
        actual_end=datetime.time(16, 0),
        resolution_text="Chi bộ quyết nghị hoàn thành sửa đường liên thôn trước ngày 30 tháng 11.",
    )  # fmt: skip
    for section in discussion_sections(meeting):
        services.speech_add(section=section, by=by, speaker=world.hoa,
                            text="Đề nghị huy động đoàn viên thanh niên làm đường.")  # fmt: skip
        services.section_save(
            section=section, by=by,
            conclusion="Giao đồng chí Hoa vận động thanh niên, hoàn thành trước ngày 30/11.",
        )  # fmt: skip
    for section in meeting.sections.filter(content=SectionContent.TEXT, required=True):
        services.section_save(section=section, by=by, text="Đồng chí bí thư khai mạc.")
    services.vote_record(meeting=meeting, by=by, subject=VoteSubject.RESOLUTION, votes_for=2)
    services.vote_record(meeting=meeting, by=by, subject=VoteSubject.MINUTES, votes_for=3)
    services.assignment_add(
        meeting=meeting, by=by, description="Vận động thanh niên làm đường", assignees=[world.hoa],
        deadline=DAY + datetime.timedelta(days=23),
    )  # fmt: skip
    meeting.refresh_from_db()
    return meeting


def finalised(world) -> Meeting:
    meeting = complete(world, recording(world))
    return services.meeting_finalise(meeting=meeting, by=world.users["secretary_a"])


@pytest.fixture
def meetings(world):
    """Meetings of cell A in every state, and one of cell D. The recording one holds a guest,
    a speech, an assignment and a vote."""
    by = world.users["secretary_a"]
    live = recording(world)
    section = discussion_sections(live)[0]
    guest = services.guest_add(meeting=live, by=by, name="Nguyễn Văn Tỉnh", position="Đảng ủy viên")
    speech = services.speech_add(section=section, by=by, speaker=world.hoa, text="Ý kiến đầu.")
    assignment = services.assignment_add(
        meeting=live, by=by, description="Sửa đường", assignees=[world.ung],
        deadline=DAY + datetime.timedelta(days=10),
    )  # fmt: skip
    return SimpleNamespace(
        planned=plan(world),
        announced=announced(world),
        recording=live,
        section=section,
        guest=guest,
        speech=speech,
        assignment=assignment,
        line=live.attendance.get(member=world.hoa),
        complete=complete(world, recording(world)),
        finalised=finalised(world),
        in_d=plan(world, unit=world.d, by=world.users["admin_p"]),
    )


def new_meeting(**changes) -> dict:
    return {
        "kind": "regular",
        "date": DAY.isoformat(),
        "start_time": "14:00",
        "place": "Nhà văn hóa thôn",
    } | changes


# --- access matrix: reads ---------------------------------------------------------------------
def test_list_of_cell_a(world, api_client_as, meetings):
    responses = check_matrix(
        api_client_as, f"{API}/units/{world.a.pk}/meetings", row(READERS_A | {"member_a"})
    )
    counts = {role: r.json()["count"] for role, r in responses.items() if r.status_code == 200}
    # Five meetings of A; the member does not see the one still being planned.
    assert counts == {"member_a": 4, "secretary_a": 5, "officer_c1": 5, "admin_p": 5}


def test_list_of_cell_d(world, api_client_as, meetings):
    check_matrix(
        api_client_as, f"{API}/units/{world.d.pk}/meetings", row({"officer_c2", "admin_p"})
    )


def test_plan_in_cell_a(world, api_client_as):
    expected = row({"secretary_a"}, 201, {"member_a", "officer_c1", "admin_p"})
    check_matrix(
        api_client_as, f"{API}/units/{world.a.pk}/meetings", expected, method="post",
        data=new_meeting(), **JSON,
    )  # fmt: skip
    assert Meeting.objects.filter(unit=world.a).count() == 1


def test_plan_in_cell_b(world, api_client_as):
    expected = row({"secretary_b"}, 201, {"officer_c1", "admin_p"})
    check_matrix(
        api_client_as, f"{API}/units/{world.b.pk}/meetings", expected, method="post",
        data=new_meeting(), **JSON,
    )  # fmt: skip


def test_meeting_detail(world, api_client_as, meetings):
    check_matrix(api_client_as, f"{API}/meetings/{meetings.planned.pk}", row(READERS_A))
    check_matrix(
        api_client_as, f"{API}/meetings/{meetings.announced.pk}", row(READERS_A | {"member_a"})
    )
    check_matrix(
        api_client_as, f"{API}/meetings/{meetings.in_d.pk}", row({"officer_c2", "admin_p"})
    )


@pytest.mark.parametrize("part", ["minutes", "problems"])
def test_record_reads(world, api_client_as, meetings, part):
    # A member reads the minutes once finalised, not while they are written.
    check_matrix(
        api_client_as, f"{API}/meetings/{meetings.recording.pk}/{part}",
        row(READERS_A, forbidden={"member_a"}),
    )  # fmt: skip
    check_matrix(
        api_client_as, f"{API}/meetings/{meetings.finalised.pk}/{part}",
        row(READERS_A | {"member_a"}),
    )  # fmt: skip
    check_matrix(
        api_client_as, f"{API}/meetings/{meetings.in_d.pk}/{part}", row({"officer_c2", "admin_p"})
    )


@pytest.mark.parametrize(
    "url",
    [
        "/meetings/999999", "/meetings/999999/minutes", "/meetings/999999/problems",
        "/units/999999/meetings",
    ],
)  # fmt: skip
def test_unknown_is_404_for_everybody(world, api_client_as, url):
    check_matrix(api_client_as, f"{API}{url}", row(set()))


# --- access matrix: writes --------------------------------------------------------------------
# name: (method, url and body from the meetings fixture, status on success, member sees it)
WRITES = {
    "update plan": ("patch", lambda m: (f"/meetings/{m.planned.pk}",
                    {"place": "Hội trường thôn", "version": m.planned.version}), 200, False),
    "announce": ("post", lambda m: (f"/meetings/{m.planned.pk}/announce", None), 200, False),
    "postpone": ("post", lambda m: (f"/meetings/{m.announced.pk}/postpone",
                 {"to_date": (DAY + datetime.timedelta(days=2)).isoformat(), "to_time": "08:00",
                  "reason": "Trùng lịch họp xã"}), 200, True),
    "cancel": ("post", lambda m: (f"/meetings/{m.announced.pk}/cancel",
               {"reason": "Bão số 5"}), 200, True),
    "start": ("post", lambda m: (f"/meetings/{m.announced.pk}/start", None), 200, True),
    "record": ("patch", lambda m: (f"/meetings/{m.recording.pk}/record",
               {"resolution_text": "Chi bộ quyết nghị.", "version": m.recording.version}), 200,
               True),
    "attendance": ("put", lambda m: (f"/attendance/{m.line.pk}",
                   {"presence": "present", "version": m.line.version}), 200, True),
    "add guest": ("post", lambda m: (f"/meetings/{m.recording.pk}/guests",
                  {"name": "Lê Thị Khách"}), 201, True),
    "remove guest": ("delete", lambda m: (f"/guests/{m.guest.pk}", None), 204, True),
    "section": ("patch", lambda m: (f"/sections/{m.section.pk}",
                {"conclusion": "Kết luận.", "version": m.section.version}), 200, True),
    "add speech": ("post", lambda m: (f"/sections/{m.section.pk}/speeches",
                   {"speaker": m.line.member_id, "text": "Tôi nhất trí."}), 201, True),
    "update speech": ("patch", lambda m: (f"/speeches/{m.speech.pk}",
                      {"text": "Ý kiến sửa lại.", "version": m.speech.version}), 200, True),
    "delete speech": ("delete", lambda m: (f"/speeches/{m.speech.pk}", None), 204, True),
    "vote": ("put", lambda m: (f"/meetings/{m.recording.pk}/votes/resolution",
             {"votes_for": 2}), 200, True),
    "add assignment": ("post", lambda m: (f"/meetings/{m.recording.pk}/assignments",
                       {"description": "Thu đảng phí", "assignees": [m.line.member_id],
                        "deadline": (DAY + datetime.timedelta(days=5)).isoformat()}), 201, True),
    "update assignment": ("patch", lambda m: (f"/assignments/{m.assignment.pk}",
                          {"description": "Sửa đường xong", "version": m.assignment.version}),
                          200, True),
    "delete assignment": ("delete", lambda m: (f"/assignments/{m.assignment.pk}", None), 204,
                          True),
    "finalise": ("post", lambda m: (f"/meetings/{m.complete.pk}/finalise", {}), 200, True),
    "addendum": ("post", lambda m: (f"/meetings/{m.finalised.pk}/addenda",
                 {"part": "Phân công", "text": "Thời hạn là 15/12.", "reason": "Ghi nhầm"}), 201,
                 True),
}  # fmt: skip


def check_matrix_acting_last(client_as, url, expected, *, method, actor="secretary_a", **kwargs):
    """`check_matrix` with `actor`'s request made last, so that a deletion that succeeds does
    not turn the answers of the roles after it into 404."""
    assert set(expected) == set(ROLES), f"list every role: missing {set(ROLES) - set(expected)}"
    got = {}
    for role in [r for r in ROLES if r != actor] + [actor]:
        got[role] = getattr(client_as(role), method)(url, **kwargs).status_code
    assert got == expected, f"{method.upper()} {url}: expected {expected}, got {got}"


@pytest.mark.parametrize("name", WRITES)
def test_write_matrix(world, api_client_as, meetings, name):
    method, build, ok, member_sees = WRITES[name]
    url, data = build(meetings)
    expected = secretary_only(ok, member_sees=member_sees)
    kwargs = {"data": data, **JSON} if data is not None else {}
    check = check_matrix_acting_last if method == "delete" else check_matrix
    check(api_client_as, f"{API}{url}", expected, method=method, **kwargs)


def test_write_on_meeting_in_d(world, api_client_as, meetings):
    # Cell D has no secretary here: its officer and the admin see the meeting but may not plan.
    expected = row(set(), forbidden={"officer_c2", "admin_p"})
    check_matrix(
        api_client_as, f"{API}/meetings/{meetings.in_d.pk}/announce", expected, method="post"
    )


def test_remarks_matrix(world, api_client_as, meetings):
    # Only an upper-level attendee writes remarks: nobody of the matrix.
    url = f"{API}/meetings/{meetings.recording.pk}/remarks"
    expected = row(set(), forbidden={"member_a", "secretary_a", "officer_c1", "admin_p"})
    data = {"remarks": "Chi bộ cần bám sát nghị quyết.", "version": meetings.recording.version}
    check_matrix(api_client_as, url, expected, method="patch", data=data, **JSON)


def test_leave_matrix(world, api_client_as, meetings):
    # For oneself only: the member and the secretary (a member of A) may; officers have no
    # member record here.
    expected = row({"member_a", "secretary_a"}, 201, {"officer_c1", "admin_p"})
    check_matrix(
        api_client_as, f"{API}/meetings/{meetings.announced.pk}/leave", expected, method="post",
        data={"reason": "Đi công tác"}, **JSON,
    )  # fmt: skip
    assert LeaveRequest.objects.filter(meeting=meetings.announced).count() == 2


def test_leave_decide_matrix(world, api_client_as, meetings):
    leave = services.leave_request(
        meeting=meetings.announced, member=world.hoa, reason="Ốm", by=world.users["member_a"]
    )
    check_matrix(
        api_client_as, f"{API}/leave/{leave.pk}/decide", secretary_only(), method="post",
        data={"approve": True}, **JSON,
    )  # fmt: skip


@pytest.mark.parametrize(
    "method, url, data",
    [
        ("patch", "/meetings/999999", {"place": "X", "version": 1}),
        ("post", "/meetings/999999/announce", None),
        ("post", "/leave/999999/decide", {"approve": True}),
        ("put", "/attendance/999999", {"presence": "present", "version": 1}),
        ("delete", "/guests/999999", None),
        ("patch", "/sections/999999", {"text": "X", "version": 1}),
        ("delete", "/speeches/999999", None),
        ("delete", "/assignments/999999", None),
        ("post", "/meetings/999999/finalise", {}),
    ],
)
def test_unknown_write_is_404_for_everybody(world, api_client_as, method, url, data):
    kwargs = {"data": data, **JSON} if data is not None else {}
    check_matrix(api_client_as, f"{API}{url}", row(set()), method=method, **kwargs)


def test_clerk_and_attendee(world, meetings):
    """The other roles of issue 3: a clerk records but does not finalise; the upper-level
    attendee reads and writes remarks only."""
    clerk = Client()
    clerk.force_login(make_user("clerk_a", role="clerk", unit=world.a))
    attendee = Client()
    attendee.force_login(make_user("attendee_a", role="attendee", unit=world.c1))
    line, live = meetings.line, meetings.recording
    data = {"presence": "present", "version": line.version}
    assert clerk.put(f"{API}/attendance/{line.pk}", data, **JSON).status_code == 200
    assert (
        clerk.post(f"{API}/meetings/{meetings.complete.pk}/finalise", {}, **JSON).status_code == 403
    )
    assert clerk.post(f"{API}/meetings/{meetings.planned.pk}/announce").status_code == 403
    assert attendee.get(f"{API}/meetings/{live.pk}/minutes").status_code == 200
    live.refresh_from_db()
    remarks = {"remarks": "Chi bộ cần cụ thể hóa nghị quyết.", "version": live.version}
    response = attendee.patch(f"{API}/meetings/{live.pk}/remarks", remarks, **JSON)
    assert response.status_code == 200, response.content
    assert response.json()["remarks"] == "Chi bộ cần cụ thể hóa nghị quyết."
    assert response.json()["version"] == live.version + 1
    record = {"resolution_text": "Thay đổi", "version": live.version + 1}
    assert attendee.patch(f"{API}/meetings/{live.pk}/record", record, **JSON).status_code == 403
    assert attendee.put(f"{API}/attendance/{line.pk}", data, **JSON).status_code == 403


# --- the lifecycle through the API ------------------------------------------------------------
def ok(response, status=200):
    assert response.status_code == status, response.content
    return response.json()


def test_full_lifecycle(world, client_as):
    secretary, member = client_as("secretary_a"), client_as("member_a")

    # Plan: the sections come from the template for a residential cell.
    meeting = ok(secretary.post(f"{API}/units/{world.a.pk}/meetings", new_meeting(), **JSON), 201)
    assert (meeting["status"], meeting["kind"], meeting["version"]) == ("planned", "regular", 1)
    assert meeting["can_plan"] and meeting["can_record"] and not meeting["can_remark"]
    url = f"{API}/meetings/{meeting['id']}"
    assert member.get(url).status_code == 404  # not announced yet
    change = {"draft_resolution": "Dự thảo nghị quyết tháng 11.", "version": 1}
    meeting = ok(secretary.patch(url, change, **JSON))
    assert (meeting["draft_resolution"], meeting["version"]) == (change["draft_resolution"], 2)

    # Announce; the member sees it and asks leave, the secretary approves.
    meeting = ok(secretary.post(f"{url}/announce"))
    assert meeting["status"] == "announced" and meeting["announced_at"]
    assert ok(member.get(url))["draft_resolution"] == "Dự thảo nghị quyết tháng 11."
    leave = ok(member.post(f"{url}/leave", {"reason": "Đi khám bệnh"}, **JSON), 201)
    assert (
        ok(secretary.post(f"{API}/leave/{leave['id']}/decide", {"approve": True}, **JSON))["status"]
        == "approved"
    )

    # Record.
    meeting = ok(secretary.post(f"{url}/start"))
    assert meeting["status"] == "recording"
    minutes = ok(secretary.get(f"{url}/minutes"))
    roster = {line["member"]["full_name"]: line for line in minutes["roster"]}
    assert roster["Đặng Thị Hoa"]["presence"] == "absent_excused"
    assert roster["Đặng Thị Hoa"]["reason"] == "Đi khám bệnh"
    for name in ("Trần Văn Ưng", "Lê Văn Sơn"):
        line = roster[name]
        data = {"presence": "present", "late": name == "Lê Văn Sơn", "version": line["version"]}
        assert (
            ok(secretary.put(f"{API}/attendance/{line['id']}", data, **JSON))["presence"]
            == "present"
        )
    record = ok(secretary.patch(f"{url}/record", {
        "chair": world.ung.pk, "clerk": world.son.pk, "actual_start": "14:00",
        "actual_end": "16:00", "resolution_number": "05-NQ/CB",
        "resolution_text": "Chi bộ quyết nghị hoàn thành sửa đường liên thôn trước 30/11.",
        "version": minutes["record"]["version"],
    }, **JSON))  # fmt: skip
    assert record["chair"] == {"id": world.ung.pk, "full_name": "Trần Văn Ưng"}
    assert record["clerk"]["full_name"] == "Lê Văn Sơn"
    guest = ok(secretary.post(f"{url}/guests", {
        "name": "Nguyễn Văn Tỉnh", "position": "Đảng ủy viên xã", "is_upper_attendee": True,
    }, **JSON), 201)  # fmt: skip
    for section in minutes["sections"]:
        path = f"{API}/sections/{section['id']}"
        if section["content"] == "discussion":
            ok(secretary.post(f"{path}/speeches", {
                "speaker": world.ung.pk, "text": "Đề nghị huy động thanh niên làm đường.",
            }, **JSON), 201)  # fmt: skip
            ok(secretary.post(f"{path}/speeches", {
                "guest": guest["id"], "text": "Đảng ủy xã hỗ trợ xi măng.",
            }, **JSON), 201)  # fmt: skip
            saved = ok(secretary.patch(path, {
                "conclusion": "Giao đồng chí Ưng huy động thanh niên, xong trước 30/11.",
                "version": section["version"],
            }, **JSON))  # fmt: skip
            assert saved["version"] == section["version"] + 1
        elif section["content"] == "text" and section["required"]:
            ok(secretary.patch(path, {"text": "Đồng chí bí thư khai mạc.", "version": 1}, **JSON))
    ok(secretary.put(f"{url}/votes/resolution", {"votes_for": 1}, **JSON))
    ok(secretary.put(f"{url}/votes/minutes", {"votes_for": 2}, **JSON))
    deadline = (DAY + datetime.timedelta(days=23)).isoformat()
    task = ok(secretary.post(f"{url}/assignments", {
        "description": "Huy động thanh niên sửa đường", "assignees": [world.ung.pk],
        "deadline": deadline,
    }, **JSON), 201)  # fmt: skip
    assert task["assignees"] == [{"id": world.ung.pk, "full_name": "Trần Văn Ưng"}]

    minutes = ok(secretary.get(f"{url}/minutes"))
    summary = minutes["attendance"]
    # Hoa is absent with leave: the counted voters are Ưng alone (Sơn is probationary).
    assert (summary["total"], summary["present"], summary["counted_voters"],
            summary["voters_present"], summary["votes_needed"]) == (3, 2, 1, 1, 1)  # fmt: skip
    assert summary["absent_excused"] == [
        {"id": world.hoa.pk, "full_name": "Đặng Thị Hoa", "reason": "Đi khám bệnh"}
    ]
    assert summary["late"] == [{"id": world.son.pk, "full_name": "Lê Văn Sơn"}]
    assert minutes["votes"]["resolution"]["votes_for"] == 1
    assert minutes["guests"][0]["is_upper_attendee"] is True
    discussion = [s for s in minutes["sections"] if s["content"] == "discussion"]
    assert [sp["speaker_name"] for sp in discussion[0]["speeches"]] == [
        "Trần Văn Ưng", "Nguyễn Văn Tỉnh",
    ]  # fmt: skip

    # Check: 2 of 3 present is under the threshold, a warning to acknowledge.
    problems = ok(secretary.get(f"{url}/problems"))
    assert problems["errors"] == []
    assert [w["code"] for w in problems["warnings"]] == ["low-attendance"]
    refused = ok(secretary.post(f"{url}/finalise", {}, **JSON), 422)
    assert [p["code"] for p in refused["problems"]] == ["low-attendance"]
    assert refused["warnings"] == ["low-attendance"]
    reason = "Đồng chí Hoa ốm, đã xin phép trước."
    meeting = ok(
        secretary.post(f"{url}/finalise", {"acknowledgements": {"low-attendance": reason}}, **JSON)
    )
    assert meeting["status"] == "finalised" and len(meeting["content_hash"]) == 64

    # The member now reads the minutes; a correction is a signed addendum.
    minutes = ok(member.get(f"{url}/minutes"))
    assert minutes["meeting"]["content_hash"] == meeting["content_hash"]
    assert [(w["code"], w["reason"]) for w in minutes["record"]["acknowledged_warnings"]] == [
        ("low-attendance", reason)
    ]
    addendum = ok(secretary.post(f"{url}/addenda", {
        "part": "Phân công nhiệm vụ", "text": "Thời hạn là 15/12.", "reason": "Thư ký ghi nhầm.",
    }, **JSON), 201)  # fmt: skip
    assert addendum["author"] == "Trần Văn Ưng" and len(addendum["content_hash"]) == 64
    assert ok(member.get(f"{url}/minutes"))["addenda"][0]["text"] == "Thời hạn là 15/12."
    actions = set(
        AuditEntry.objects.filter(object_id=str(meeting["id"])).values_list("action", flat=True)
    )
    assert {"meeting.plan", "meeting.announce", "meeting.start", "meeting.finalise"} <= actions


def test_finalise_refused_lists_the_missing_conclusion(world, client_as):
    meeting = complete(world, recording(world))
    section = discussion_sections(meeting)[0]
    secretary = english(client_as("secretary_a"))
    cleared = {"conclusion": "   ", "version": section.version}
    assert ok(secretary.patch(f"{API}/sections/{section.pk}", cleared, **JSON))["conclusion"] == ""
    refused = ok(secretary.post(f"{API}/meetings/{meeting.pk}/finalise", {}, **JSON), 422)
    message = f"“{section.title}”: the chair's conclusion is missing."
    assert refused["problems"] == [
        {"code": "conclusion", "message": message, "anchor": f"section-{section.pk}"}
    ]
    assert refused["errors"] == {"__all__": [message]}
    assert refused["warnings"] == []
    assert refused["detail"]
    assert (
        ok(secretary.get(f"{API}/meetings/{meeting.pk}/problems"))["errors"] == refused["problems"]
    )
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.RECORDING and not meeting.content_hash
    # A conclusion that only says the cell agreed is refused too.
    vague = {"conclusion": "Chi bộ nhất trí cao.", "version": section.version + 1}
    ok(secretary.patch(f"{API}/sections/{section.pk}", vague, **JSON))
    refused = ok(secretary.post(f"{API}/meetings/{meeting.pk}/finalise", {}, **JSON), 422)
    assert [p["code"] for p in refused["problems"]] == ["vague-conclusion"]


def test_finalised_minutes_are_locked(world, client_as):
    by = world.users["secretary_a"]
    meeting = announced(world)
    leave = services.leave_request(meeting=meeting, member=world.hoa, reason="Ốm", by=by)
    meeting = services.meeting_start_recording(meeting=meeting, by=by)
    guest = services.guest_add(meeting=meeting, by=by, name="Khách mời")
    meeting = complete(world, meeting)
    meeting = services.meeting_finalise(meeting=meeting, by=by)
    section = discussion_sections(meeting)[0]
    speech = section.speeches.first()
    line = meeting.attendance.get(member=world.son)
    assignment = meeting.assignments.get()
    secretary, member = client_as("secretary_a"), client_as("member_a")
    attendee = Client()
    attendee.force_login(make_user("attendee_a", role="attendee", unit=world.a))
    url = f"{API}/meetings/{meeting.pk}"
    day = (DAY + datetime.timedelta(days=3)).isoformat()
    before = ok(secretary.get(f"{url}/minutes"))
    detail_before = ok(secretary.get(url))
    audit_before = AuditEntry.objects.count()

    attempts = [
        (secretary, "patch", url, {"place": "Nơi khác", "version": meeting.version}),
        (secretary, "post", f"{url}/announce", None),
        (secretary, "post", f"{url}/postpone", {"to_date": day, "to_time": "08:00", "reason": "X"}),
        (secretary, "post", f"{url}/cancel", {"reason": "Hủy"}),
        (secretary, "post", f"{url}/start", None),
        (member, "post", f"{url}/leave", {"reason": "Bận"}),
        (secretary, "post", f"{API}/leave/{leave.pk}/decide", {"approve": False}),
        (secretary, "patch", f"{url}/record", {"resolution_text": "Sửa", "version": meeting.version}),
        (attendee, "patch", f"{url}/remarks", {"remarks": "Sửa", "version": meeting.version}),
        (secretary, "put", f"{API}/attendance/{line.pk}",
         {"presence": "absent_unexcused", "version": line.version}),
        (secretary, "post", f"{url}/guests", {"name": "Khách khác"}),
        (secretary, "delete", f"{API}/guests/{guest.pk}", None),
        (secretary, "patch", f"{API}/sections/{section.pk}",
         {"conclusion": "Kết luận khác hẳn trước đây.", "version": section.version}),
        (secretary, "post", f"{API}/sections/{section.pk}/speeches",
         {"speaker": world.ung.pk, "text": "Thêm"}),
        (secretary, "patch", f"{API}/speeches/{speech.pk}", {"text": "Sửa", "version": speech.version}),
        (secretary, "delete", f"{API}/speeches/{speech.pk}", None),
        (secretary, "put", f"{url}/votes/resolution", {"votes_for": 0, "votes_against": 2}),
        (secretary, "post", f"{url}/assignments",
         {"description": "Thêm", "assignees": [world.ung.pk], "deadline": day}),
        (secretary, "patch", f"{API}/assignments/{assignment.pk}",
         {"description": "Sửa", "version": assignment.version}),
        (secretary, "delete", f"{API}/assignments/{assignment.pk}", None),
        (secretary, "post", f"{url}/finalise", {}),
    ]  # fmt: skip
    for client, method, path, data in attempts:
        kwargs = {"data": data, **JSON} if data is not None else {}
        response = getattr(client, method)(path, **kwargs)
        assert response.status_code == 422, (method, path, response.content)
        assert response.json()["detail"]

    assert ok(secretary.get(f"{url}/minutes")) == before
    assert ok(secretary.get(url)) == detail_before
    assert AuditEntry.objects.count() == audit_before
    assert LeaveRequest.objects.get(pk=leave.pk).status == "pending"


def test_stale_version_answers_409_with_the_stored_values(world, client_as):
    meeting = recording(world)
    section = discussion_sections(meeting)[0]
    clerk, secretary = client_as("secretary_a"), english(client_as("secretary_a"))
    path = f"{API}/sections/{section.pk}"
    first = ok(clerk.patch(path, {"text": "Ý kiến của người thứ nhất.", "version": 1}, **JSON))
    assert first["version"] == 2

    # The second writer still holds version 1: told, with the stored text; nothing lost.
    response = secretary.patch(path, {"text": "Ghi đè mất dữ liệu.", "version": 1}, **JSON)
    assert response.status_code == 409
    assert response.json() == {
        "detail": "Someone else changed this part while you were editing.",
        "current": {"text": "Ý kiến của người thứ nhất."},
        "version": 2,
    }
    assert MeetingSection.objects.get(pk=section.pk).text == "Ý kiến của người thứ nhất."
    retry = {"text": "Ý kiến của người thứ nhất. Bổ sung.", "version": 2}
    assert ok(secretary.patch(path, retry, **JSON))["version"] == 3

    # The same on the meeting's own fields (people as ids) and on a speech.
    url = f"{API}/meetings/{meeting.pk}"
    version = meeting.version
    ok(clerk.patch(f"{url}/record", {"chair": world.ung.pk, "version": version}, **JSON))
    stale = secretary.patch(f"{url}/record", {"chair": world.hoa.pk, "version": version}, **JSON)
    assert stale.status_code == 409
    assert stale.json()["current"] == {"chair": world.ung.pk}
    assert stale.json()["version"] == version + 1
    stale = secretary.patch(url, {"topic": "Chuyên đề", "version": version}, **JSON)
    assert stale.status_code == 409 and stale.json()["current"] == {"topic": ""}
    speech = services.speech_add(section=section, by=world.users["secretary_a"],
                                 speaker=world.hoa, text="Bản đầu.")  # fmt: skip
    ok(clerk.patch(f"{API}/speeches/{speech.pk}", {"text": "Bản hai.", "version": 1}, **JSON))
    stale = secretary.patch(
        f"{API}/speeches/{speech.pk}", {"text": "Bản ba.", "version": 1}, **JSON
    )
    assert stale.status_code == 409 and stale.json()["current"] == {"text": "Bản hai."}
    line = meeting.attendance.get(member=world.hoa)
    put = {"presence": "present", "version": line.version}
    ok(clerk.put(f"{API}/attendance/{line.pk}", put, **JSON))
    stale = secretary.put(
        f"{API}/attendance/{line.pk}", put | {"presence": "absent_unexcused"}, **JSON
    )
    assert stale.status_code == 409
    assert stale.json()["current"] == {"presence": "present", "reason": "", "late": False}


def test_member_leave_request(world, client_as):
    meeting = announced(world)
    member, secretary = client_as("member_a"), client_as("secretary_a")
    url = f"{API}/meetings/{meeting.pk}"
    leave = ok(member.post(f"{url}/leave", {"reason": "  Đi công tác tỉnh  "}, **JSON), 201)
    assert leave["member"] == {"id": world.hoa.pk, "full_name": "Đặng Thị Hoa"}
    assert (leave["reason"], leave["status"]) == ("Đi công tác tỉnh", "pending")
    assert LeaveRequest.objects.get(pk=leave["id"]).member == world.hoa
    services.leave_request(meeting=meeting, member=world.ung, reason="Họp huyện",
                           by=world.users["secretary_a"])  # fmt: skip
    # A member sees their own request only; the secretary sees all of them.
    assert [r["member"]["id"] for r in ok(member.get(url))["leave_requests"]] == [world.hoa.pk]
    assert len(ok(secretary.get(url))["leave_requests"]) == 2

    assert (
        member.post(f"{API}/leave/{leave['id']}/decide", {"approve": True}, **JSON).status_code
        == 403
    )
    decided = ok(secretary.post(f"{API}/leave/{leave['id']}/decide", {"approve": True}, **JSON))
    assert decided["status"] == "approved" and decided["decided_at"]
    ok(secretary.post(f"{url}/start"))
    line = Attendance.objects.get(meeting=meeting, member=world.hoa)
    assert (line.presence, line.reason) == (Presence.ABSENT_EXCUSED, "Đi công tác tỉnh")

    # Leave is asked before the meeting, with a reason, for oneself.
    late = english(member).post(f"{url}/leave", {"reason": "Ốm"}, **JSON)
    assert late.status_code == 422
    other = announced(world)
    empty = english(member).post(f"{API}/meetings/{other.pk}/leave", {"reason": "  "}, **JSON)
    assert empty.status_code == 422 and empty.json()["errors"] == {"reason": ["Give the reason."]}
    officer = english(client_as("officer_c1")).post(
        f"{API}/meetings/{other.pk}/leave", {"reason": "Ốm"}, **JSON
    )
    assert officer.status_code == 403
    assert officer.json()["detail"] == (
        "You may ask leave only for yourself, from your own cell's meeting."
    )
    # A planned meeting is not shown to the member at all.
    assert (
        member.post(f"{API}/meetings/{plan(world).pk}/leave", {"reason": "Ốm"}, **JSON).status_code
        == 404
    )


# --- more behaviour --------------------------------------------------------------------------
def test_list_pagination_and_filter(world, client_as):
    for offset in range(6):
        announced(world, day=DAY + datetime.timedelta(days=offset))
    plan(world, day=DAY + datetime.timedelta(days=30))
    client = client_as("secretary_a")
    url = f"{API}/units/{world.a.pk}/meetings"
    pages = [ok(client.get(url, {"limit": 3, "offset": o})) for o in (0, 3, 6)]
    assert [p["count"] for p in pages] == [7, 7, 7]
    dates = [m["date"] for p in pages for m in p["items"]]
    assert dates == sorted(dates, reverse=True) and len(dates) == 7
    assert ok(client.get(url, {"status": "planned"}))["count"] == 1
    assert ok(client_as("member_a").get(url))["count"] == 6
    for bad in ({"limit": 0}, {"limit": 501}, {"offset": -1}, {"status": "done"}):
        response = client.get(url, bad)
        assert response.status_code == 422, bad
        assert set(response.json()["errors"]) == set(bad)


def test_plan_validation_errors(world, client_as):
    client = english(client_as("secretary_a"))
    url = f"{API}/units/{world.a.pk}/meetings"
    response = client.post(url, new_meeting(place="  ", topic_group=9), **JSON)
    assert response.status_code == 422
    assert response.json()["errors"] == {
        "place": ["Enter the place."],
        "topic_group": ["Choose one of the five topic groups."],
    }
    response = client.post(url, new_meeting(kind="monthly", date="05/11/2026"), **JSON)
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"kind", "date"}
    # A committee holds no meetings here; its officer may not plan for a cell anyway.
    assert (
        client_as("officer_c1")
        .post(f"{API}/units/{world.c1.pk}/meetings", new_meeting(), **JSON)
        .status_code
        == 403
    )


def test_thematic_plan_and_postpone(world, client_as):
    client = client_as("secretary_a")
    data = new_meeting(kind="thematic", topic_group=2, topic="Cải cách hành chính ở xã")
    meeting = ok(client.post(f"{API}/units/{world.a.pk}/meetings", data, **JSON), 201)
    assert (meeting["topic_group"], meeting["topic"]) == (2, "Cải cách hành chính ở xã")
    assert meeting["topic_group_label"]
    url = f"{API}/meetings/{meeting['id']}"
    ok(client.post(f"{url}/announce"))
    # An announced meeting changes its date only by postponing, with a reason.
    moved = client.patch(
        url, {"date": (DAY + datetime.timedelta(days=1)).isoformat(), "version": 1}, **JSON
    )
    assert moved.status_code == 422
    new_day = (DAY + datetime.timedelta(days=4)).isoformat()
    postponed = ok(
        client.post(
            f"{url}/postpone", {"to_date": new_day, "to_time": "08:00", "reason": "Mưa lớn"}, **JSON
        )
    )
    assert (postponed["date"], postponed["start_time"]) == (new_day, "08:00:00")
    assert postponed["postponements"][0]["reason"] == "Mưa lớn"
    no_reason = client.post(f"{url}/cancel", {"reason": " "}, **JSON)
    assert no_reason.status_code == 422 and set(no_reason.json()["errors"]) == {"reason"}
    cancelled = ok(client.post(f"{url}/cancel", {"reason": "Bão"}, **JSON))
    assert (cancelled["status"], cancelled["cancel_reason"]) == ("cancelled", "Bão")


def test_recording_refuses_people_off_the_roster(world, client_as):
    meeting = recording(world)
    client = english(client_as("secretary_a"))
    url = f"{API}/meetings/{meeting.pk}"
    for person in (world.binh.pk, 999999):
        response = client.patch(
            f"{url}/record", {"chair": person, "version": meeting.version}, **JSON
        )
        assert response.status_code == 422
        assert response.json()["errors"] == {"chair": ["Choose a member on the roster."]}
    section = discussion_sections(meeting)[0]
    speech = client.post(
        f"{API}/sections/{section.pk}/speeches", {"speaker": world.binh.pk, "text": "X"}, **JSON
    )
    assert speech.json()["errors"] == {"speaker": ["Choose a member on the roster."]}
    other = services.guest_add(
        meeting=recording(world), by=world.users["secretary_a"], name="Khách"
    )
    speech = client.post(
        f"{API}/sections/{section.pk}/speeches", {"guest": other.pk, "text": "X"}, **JSON
    )
    assert speech.json()["errors"] == {"speaker": ["Choose a guest of this meeting."]}
    task = client.post(f"{url}/assignments", {
        "description": "Việc", "assignees": [world.dung.pk], "deadline": DAY.isoformat(),
    }, **JSON)  # fmt: skip
    assert task.json()["errors"] == {"assignees": ["Choose members on the roster."]}
    vote = client.put(f"{url}/votes/budget", {"votes_for": 1}, **JSON)
    assert vote.status_code == 422 and set(vote.json()["errors"]) == {"subject"}
    # The guest who spoke stays until the speech goes.
    guest = services.guest_add(meeting=meeting, by=world.users["secretary_a"], name="Khách mời")
    ok(
        client.post(
            f"{API}/sections/{section.pk}/speeches", {"guest": guest.pk, "text": "Chào"}, **JSON
        ),
        201,
    )
    assert client.delete(f"{API}/guests/{guest.pk}").status_code == 422


def test_assignment_update_keeps_fields_left_out(world, client_as):
    meeting = recording(world)
    by = world.users["secretary_a"]
    deadline = DAY + datetime.timedelta(days=9)
    assignment = services.assignment_add(meeting=meeting, by=by, description="Thu đảng phí",
                                         assignees=[world.ung, world.hoa], deadline=deadline)  # fmt: skip
    client = client_as("secretary_a")
    changed = ok(
        client.patch(
            f"{API}/assignments/{assignment.pk}",
            {"description": "Thu đảng phí quý IV", "version": 1},
            **JSON,
        )
    )
    assert changed["description"] == "Thu đảng phí quý IV"
    assert changed["deadline"] == deadline.isoformat() and changed["version"] == 2
    assert {p["id"] for p in changed["assignees"]} == {world.ung.pk, world.hoa.pk}
    changed = ok(
        client.patch(
            f"{API}/assignments/{assignment.pk}",
            {"assignees": [world.hoa.pk], "version": 2},
            **JSON,
        )
    )
    assert [p["id"] for p in changed["assignees"]] == [world.hoa.pk]
    assert changed["description"] == "Thu đảng phí quý IV"
    assert client.delete(f"{API}/assignments/{assignment.pk}").status_code == 204
    assert not meeting.assignments.exists()


# --- queries ---------------------------------------------------------------------------------
def _cell_with_a_recorded_meeting(world, code: str, size: int) -> Meeting:
    cell = make_unit(world.c1, code, f"Chi bộ {code}", UnitKind.CELL, CellType.RESIDENTIAL)
    members = MemberFactory.create_batch(size, cell=cell)
    by = world.users["admin_p"]
    meeting = plan(world, unit=cell, by=by)
    meeting = services.meeting_start_recording(meeting=meeting, by=by)
    for i, line in enumerate(meeting.attendance.all()):
        presence = Presence.ABSENT_EXCUSED if i % 5 == 0 else Presence.PRESENT
        services.attendance_mark(line=line, by=by, presence=presence, reason="Ốm", late=i % 7 == 0)
    meeting.refresh_from_db()
    services.meeting_record_update(meeting=meeting, by=by, chair=members[0], clerk=members[1],
                                   version=meeting.version)  # fmt: skip
    guest = services.guest_add(meeting=meeting, by=by, name="Khách mời", is_upper_attendee=True)
    sections = discussion_sections(meeting)
    for i, member in enumerate(members):
        services.speech_add(
            section=sections[i % len(sections)], by=by, speaker=member, text="Ý kiến."
        )
        if i % 4 == 0:
            services.assignment_add(meeting=meeting, by=by, description=f"Việc {i}",
                                    assignees=members[i : i + 3], deadline=DAY)  # fmt: skip
    services.speech_add(section=sections[0], by=by, guest=guest, text="Ý kiến cấp trên.")
    services.vote_record(
        meeting=meeting, by=by, subject=VoteSubject.RESOLUTION, votes_for=size // 2
    )
    return meeting


@pytest.mark.parametrize("part, budget", [("minutes", 15), ("problems", 17), ("", 9)])
def test_minutes_query_count_does_not_grow(
    world, client_as, django_assert_max_num_queries, part, budget
):
    client = client_as("admin_p")
    small = _cell_with_a_recorded_meeting(world, "X10", 10)
    big = _cell_with_a_recorded_meeting(world, "X40", 40)
    suffix = f"/{part}" if part else ""
    small_count = count_queries(client, f"{API}/meetings/{small.pk}{suffix}")
    big_count = count_queries(client, f"{API}/meetings/{big.pk}{suffix}")
    assert big_count == small_count
    # Session, user, grants and the session save (3) are 6 of them; the rest is the route.
    with django_assert_max_num_queries(budget):
        assert client.get(f"{API}/meetings/{big.pk}{suffix}").status_code == 200


def test_list_query_count_does_not_grow(world, client_as):
    client = client_as("officer_c1")
    url = f"{API}/units/{world.a.pk}/meetings"
    announced(world)
    small = count_queries(client, url)
    for offset in range(1, 12):
        announced(world, day=DAY + datetime.timedelta(days=offset))
    assert count_queries(client, url) == small


def test_openapi_lists_the_meeting_routes(world, client):
    paths = ok(client.get(f"{API}/openapi.json"))["paths"]
    for path in ("/units/{unit_id}/meetings", "/meetings/{meeting_id}/minutes",
                 "/meetings/{meeting_id}/finalise", "/sections/{section_id}/speeches",
                 "/meetings/{meeting_id}/votes/{subject}", "/leave/{leave_id}/decide"):  # fmt: skip
        assert f"{API}{path}" in paths
    assert client.get(f"{API}/docs").status_code == 200
