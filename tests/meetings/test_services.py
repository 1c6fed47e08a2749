"""The meeting's state machine, roster, finalisation rules, lock, hash and addenda."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from chibo.core.models import AuditEntry
from chibo.meetings import checks, services
from chibo.meetings.models import (
    Meeting,
    MeetingKind,
    MeetingStatus,
    Presence,
    RosterCategory,
    SectionContent,
    VoteSubject,
)
from chibo.org import services as org_services
from chibo.rulebooks.models import Rulebook
from chibo.rulebooks.selectors import rulebook_for

from .conftest import MEETING_DAY, plan, record_complete


def _codes(exc_info) -> set[str]:
    return {p.code for p in exc_info.value.problems}


# --- planning -----------------------------------------------------------------------------------
def test_plan_copies_the_template_for_the_cell_type(world):
    meeting = plan(world)
    sections = list(meeting.sections.all())
    assert meeting.status == MeetingStatus.PLANNED
    assert meeting.province == world.p
    assert sections[0].title == "Khai mạc"
    # Cell A is residential: its plan section speaks of mobilising residents.
    plan_section = next(s for s in sections if s.title == "Phương hướng, nhiệm vụ tháng tới")
    assert "nông thôn mới" in plan_section.guidance
    other = services.meeting_plan(unit=world.b, by=world.users["secretary_b"], kind="regular",
                                  date=MEETING_DAY, start_time=datetime.time(8), place="Phòng họp")  # fmt: skip
    other_plan = other.sections.get(title="Phương hướng, nhiệm vụ tháng tới")
    assert "cải cách hành chính" in other_plan.guidance


def test_plan_refuses_bad_input_with_vietnamese_field_messages(world):
    with pytest.raises(ValidationError) as exc:
        services.meeting_plan(unit=world.a, by=world.users["secretary_a"], kind="party",
                              date=None, start_time=None, place="  ")  # fmt: skip
    assert set(exc.value.message_dict) == {"kind", "date", "start_time", "place"}


def test_a_committee_cannot_hold_a_cell_meeting(world):
    with pytest.raises(ValidationError):
        services.meeting_plan(unit=world.c1, by=world.users["officer_c1"], kind="regular",
                              date=MEETING_DAY, start_time=datetime.time(8), place="Hội trường")  # fmt: skip


def test_announce_postpone_cancel_state_machine(world):
    by = world.users["secretary_a"]
    meeting = plan(world)
    services.meeting_announce(meeting=meeting, by=by)
    assert meeting.status == MeetingStatus.ANNOUNCED and meeting.announced_at
    with pytest.raises(ValidationError):
        services.meeting_announce(meeting=meeting, by=by)
    with pytest.raises(ValidationError) as exc:
        services.meeting_postpone(meeting=meeting, by=by, to_date=MEETING_DAY,
                                  to_time=datetime.time(19), reason="   ")  # fmt: skip
    assert "reason" in exc.value.message_dict
    services.meeting_postpone(meeting=meeting, by=by, to_date=datetime.date(2026, 11, 8),
                              to_time=datetime.time(19), reason="Trùng lịch họp dân")  # fmt: skip
    meeting.refresh_from_db()
    assert meeting.date == datetime.date(2026, 11, 8)
    assert meeting.postponements.get().from_date == MEETING_DAY
    # An announced meeting changes date only by postponing.
    with pytest.raises(ValidationError):
        services.meeting_update_plan(meeting=meeting, by=by, date=datetime.date(2026, 11, 9))
    with pytest.raises(ValidationError):
        services.meeting_cancel(meeting=meeting, by=by, reason="")
    services.meeting_cancel(meeting=meeting, by=by, reason="Bão lớn")
    assert meeting.status == MeetingStatus.CANCELLED
    with pytest.raises(ValidationError):
        services.meeting_start_recording(meeting=meeting, by=by)
    actions = list(
        AuditEntry.objects.filter(object_type="meetings.meeting", object_id=str(meeting.pk))
        .order_by("id").values_list("action", flat=True)
    )  # fmt: skip
    assert actions == ["meeting.plan", "meeting.announce", "meeting.postpone", "meeting.cancel"]


# --- roster -------------------------------------------------------------------------------------
def test_roster_is_the_cell_on_the_meeting_day(world):
    by = world.users["officer_c1"]
    org_services.member_exempt(member=world.hoa, by=by, start=datetime.date(2026, 1, 1), end=None,
                               reason="Tuổi cao", decision_ref="")  # fmt: skip
    org_services.member_attach(member=world.binh, by=by, host_cell=world.a,
                               start=datetime.date(2026, 10, 1), end=None, reason="Đi làm xa",
                               decision_ref="")  # fmt: skip
    meeting = plan(world)
    services.leave_request(meeting=meeting, member=world.son, reason="Đi công tác",
                           by=world.users["secretary_a"])  # fmt: skip
    services.leave_decide(request=meeting.leave_requests.get(), approve=True,
                          by=world.users["secretary_a"])  # fmt: skip
    services.meeting_start_recording(meeting=meeting, by=world.users["secretary_a"])
    lines = {a.member: a for a in meeting.attendance.all()}
    assert lines[world.hoa].category == RosterCategory.EXEMPTED
    assert lines[world.hoa].presence == Presence.EXEMPT_ABSENT
    assert lines[world.son].category == RosterCategory.PROBATIONARY
    assert lines[world.son].presence == Presence.ABSENT_EXCUSED
    assert lines[world.son].reason == "Đi công tác"
    assert lines[world.binh].category == RosterCategory.ATTACHED
    assert lines[world.ung].presence == Presence.UNMARKED
    # In cell B, Bình is listed as attached elsewhere.
    other = services.meeting_plan(unit=world.b, by=world.users["secretary_b"], kind="regular",
                                  date=MEETING_DAY, start_time=datetime.time(8), place="Phòng họp")  # fmt: skip
    services.meeting_start_recording(meeting=other, by=world.users["secretary_b"])
    away = other.attendance.get(member=world.binh)
    assert (away.category, away.presence) == (RosterCategory.AWAY, Presence.AWAY)


# --- vote arithmetic ------------------------------------------------------------------------------
def _line(category, presence, official=True):
    from chibo.meetings.models import Attendance

    return Attendance(category=category, presence=presence, was_official=official)


OFF, PROB, EXE = RosterCategory.OFFICIAL, RosterCategory.PROBATIONARY, RosterCategory.EXEMPTED


@pytest.mark.parametrize(
    ("lines", "counted", "needed"),
    [
        # Four officials present: counted 4, more than half = 3.
        ([(OFF, Presence.PRESENT)] * 4, 4, 3),
        # Probationary members never count, present or not.
        ([(OFF, Presence.PRESENT)] * 3 + [(PROB, Presence.PRESENT, False)] * 5, 3, 2),
        # Absent with an accepted reason: not counted; without reason: counted.
        ([(OFF, Presence.PRESENT)] * 2 + [(OFF, Presence.ABSENT_EXCUSED), (OFF, Presence.ABSENT_UNEXCUSED)],
         3, 2),
        # An exempted member who attends may vote; one who stays away is not counted.
        ([(OFF, Presence.PRESENT), (EXE, Presence.PRESENT), (EXE, Presence.EXEMPT_ABSENT)], 2, 2),
        # Attached here or attached elsewhere: never counted.
        ([(OFF, Presence.PRESENT), (RosterCategory.ATTACHED, Presence.PRESENT),
          (RosterCategory.AWAY, Presence.AWAY)], 1, 1),
    ],
)  # fmt: skip
def test_counted_members_and_votes_needed(lines, counted, needed):
    count = checks.vote_count([_line(*spec) for spec in lines])
    assert (count.counted, count.needed) == (counted, needed)


def test_a_tie_does_not_pass(world, complete_meeting):
    by = world.users["secretary_a"]
    # Two counted officials: 1 for and 1 against is a tie, not "more than half".
    services.vote_record(meeting=complete_meeting, by=by, subject=VoteSubject.RESOLUTION,
                         votes_for=1, votes_against=1)  # fmt: skip
    with pytest.raises(services.FinaliseRefused) as exc:
        services.meeting_finalise(meeting=complete_meeting, by=by)
    assert _codes(exc) == {"vote-fails"}


def test_more_votes_than_voters_present_is_refused(world, complete_meeting):
    by = world.users["secretary_a"]
    services.vote_record(meeting=complete_meeting, by=by, subject=VoteSubject.RESOLUTION,
                         votes_for=3)  # fmt: skip
    with pytest.raises(services.FinaliseRefused) as exc:
        services.meeting_finalise(meeting=complete_meeting, by=by)
    assert _codes(exc) == {"vote-too-many"}


# --- finalisation rules -----------------------------------------------------------------------------
def test_complete_minutes_finalise_and_lock(world, complete_meeting):
    by = world.users["secretary_a"]
    meeting = services.meeting_finalise(meeting=complete_meeting, by=by)
    assert meeting.status == MeetingStatus.FINALISED
    assert len(meeting.content_hash) == 64
    assert meeting.content_hash == services.content_hash(services.minutes_content(meeting))
    section = meeting.sections.filter(content=SectionContent.DISCUSSION).first()
    line = meeting.attendance.first()
    refused = [
        lambda: services.section_save(section=section, by=by, conclusion="Sửa sau khi chốt"),
        lambda: services.speech_add(section=section, by=by, speaker=world.hoa, text="Thêm"),
        lambda: services.attendance_mark(line=line, by=by, presence=Presence.ABSENT_UNEXCUSED),
        lambda: services.vote_record(meeting=meeting, by=by, subject="resolution", votes_for=1),
        lambda: services.meeting_record_update(meeting=meeting, by=by, remarks="Thêm ý kiến"),
        lambda: services.meeting_update_plan(meeting=meeting, by=by, place="Nơi khác"),
        lambda: services.guest_add(meeting=meeting, by=by, name="Khách"),
        lambda: services.meeting_finalise(meeting=meeting, by=by),
    ]
    for attempt in refused:
        with pytest.raises(ValidationError):
            attempt()
    meeting.refresh_from_db()
    assert meeting.content_hash == services.content_hash(services.minutes_content(meeting))


def test_missing_conclusion_is_refused_with_the_section_named(world, complete_meeting):
    by = world.users["secretary_a"]
    section = complete_meeting.sections.filter(content=SectionContent.DISCUSSION).first()
    services.section_save(section=section, by=by, conclusion="")
    with pytest.raises(services.FinaliseRefused) as exc:
        services.meeting_finalise(meeting=complete_meeting, by=by)
    (problem,) = exc.value.problems
    assert problem.code == "conclusion"
    assert section.title in problem.message
    assert problem.anchor == f"section-{section.pk}"
    assert Meeting.objects.get(pk=complete_meeting.pk).status == MeetingStatus.RECORDING


@pytest.mark.parametrize(
    "conclusion",
    ["Nhất trí.", "Chi bộ thống nhất cao.", "Các đồng chí nhất trí hoàn toàn với dự thảo nghị quyết",
     "Đồng ý, tán thành!"],
)  # fmt: skip
def test_boilerplate_conclusion_is_refused(world, complete_meeting, conclusion):
    by = world.users["secretary_a"]
    section = complete_meeting.sections.filter(content=SectionContent.DISCUSSION).first()
    services.section_save(section=section, by=by, conclusion=conclusion)
    with pytest.raises(services.FinaliseRefused) as exc:
        services.meeting_finalise(meeting=complete_meeting, by=by)
    assert _codes(exc) == {"vague-conclusion"}


def test_each_missing_part_is_named(world):
    """A meeting recorded with nothing: every rule speaks, none is silent."""
    by = world.users["secretary_a"]
    meeting = plan(world, kind=MeetingKind.COMBINED)
    services.meeting_start_recording(meeting=meeting, by=by)
    meeting.refresh_from_db()
    with pytest.raises(services.FinaliseRefused) as exc:
        services.meeting_finalise(meeting=meeting, by=by)
    assert {"clerk", "times", "topic", "attendance", "speech", "conclusion", "resolution",
            "resolution-vote", "assignment", "approval", "section-empty"} <= _codes(exc)  # fmt: skip
    assert all(p.message for p in exc.value.problems)


def test_task_without_named_member_does_not_count(world, complete_meeting):
    by = world.users["secretary_a"]
    complete_meeting.assignments.all().delete()
    services.assignment_add(meeting=complete_meeting, by=by, description="Chi ủy theo dõi",
                            assignees=[], to_committee=True,
                            deadline=datetime.date(2026, 12, 1))  # fmt: skip
    with pytest.raises(services.FinaliseRefused) as exc:
        services.meeting_finalise(meeting=complete_meeting, by=by)
    assert _codes(exc) == {"assignment"}
    with pytest.raises(ValidationError) as bad:
        services.assignment_add(meeting=complete_meeting, by=by, description="Việc",
                                assignees=[world.hoa], deadline=None)  # fmt: skip
    assert "deadline" in bad.value.message_dict


def test_a_thematic_meeting_needs_no_assignment_but_a_topic(world):
    meeting = record_complete(world, plan(world, kind=MeetingKind.THEMATIC))
    meeting.assignments.all().delete()
    with pytest.raises(services.FinaliseRefused) as exc:
        services.meeting_finalise(meeting=meeting, by=world.users["secretary_a"])
    assert _codes(exc) == {"topic"}
    services.meeting_update_plan(meeting=meeting, by=world.users["secretary_a"],
                                 topic="Nâng cao chất lượng đảng viên", topic_group=4)  # fmt: skip
    services.meeting_finalise(meeting=meeting, by=world.users["secretary_a"])


def test_unmarked_member_and_minutes_not_approved(world, complete_meeting):
    by = world.users["secretary_a"]
    complete_meeting.attendance.filter(member=world.son).update(presence=Presence.UNMARKED)
    complete_meeting.votes.filter(subject=VoteSubject.MINUTES).delete()
    with pytest.raises(services.FinaliseRefused) as exc:
        services.meeting_finalise(meeting=complete_meeting, by=by)
    # The unmarked member also lowers the attendance rate: a warning besides the two errors.
    assert _codes(exc) == {"attendance", "approval", "low-attendance"}
    attendance = next(p for p in exc.value.problems if p.code == "attendance")
    assert "Lê Văn Sơn" in attendance.message


# --- warnings --------------------------------------------------------------------------------
def test_soft_rules_need_an_acknowledged_reason_which_is_kept(world, complete_meeting):
    by = world.users["secretary_a"]
    services.meeting_record_update(meeting=complete_meeting, by=by,
                                   actual_end=datetime.time(15, 0))  # 60 minutes  # fmt: skip
    # The probationary member stays away: attendance 2/3, the vote (officials only) still passes.
    line = complete_meeting.attendance.get(member=world.son)
    services.attendance_mark(line=line, by=by, presence=Presence.ABSENT_UNEXCUSED)
    with pytest.raises(services.FinaliseRefused) as exc:
        services.meeting_finalise(meeting=complete_meeting, by=by)
    assert _codes(exc) == {"short", "low-attendance"}
    with pytest.raises(services.FinaliseRefused):
        services.meeting_finalise(meeting=complete_meeting, by=by,
                                  acknowledgements={"short": "Mất điện"})  # fmt: skip
    meeting = services.meeting_finalise(
        meeting=complete_meeting, by=by,
        acknowledgements={"short": "Mất điện", "low-attendance": "Mùa gặt"},
    )  # fmt: skip
    kept = {w["code"]: w["reason"] for w in meeting.acknowledged_warnings}
    assert kept == {"short": "Mất điện", "low-attendance": "Mùa gặt"}


def test_late_announcement_is_a_warning(world, complete_meeting):
    complete_meeting.announced_at = datetime.datetime(2026, 11, 5, 1, 0, tzinfo=datetime.UTC)
    complete_meeting.save(update_fields=["announced_at"])
    errors, warnings = checks.problems(complete_meeting)
    assert errors == []
    assert [w.code for w in warnings] == ["late-announcement"]


# --- concurrency, addenda, rulebooks ------------------------------------------------------------------
def test_stale_version_is_a_conflict_and_keeps_the_stored_text(world, complete_meeting):
    by = world.users["secretary_a"]
    section = complete_meeting.sections.filter(content=SectionContent.TEXT).first()
    seen = section.version
    services.section_save(section=section, by=by, version=seen, text="Bản của thư ký")
    with pytest.raises(services.EditConflict) as exc:
        services.section_save(section=section, by=by, version=seen, text="Bản của bí thư")
    assert exc.value.current == {"text": "Bản của thư ký"}
    section.refresh_from_db()
    assert section.text == "Bản của thư ký"


def test_addendum_only_on_finalised_minutes(world, complete_meeting):
    by = world.users["secretary_a"]
    with pytest.raises(ValidationError):
        services.addendum_add(meeting=complete_meeting, by=by, part="Điểm danh", text="x",
                              reason="y")  # fmt: skip
    meeting = services.meeting_finalise(meeting=complete_meeting, by=by)
    with pytest.raises(ValidationError) as exc:
        services.addendum_add(meeting=meeting, by=by, part="", text="", reason="")
    assert set(exc.value.message_dict) == {"part", "text", "reason"}
    addendum = services.addendum_add(meeting=meeting, by=by, part="Điểm danh",
                                     text="Đồng chí Sơn đến muộn 10 phút.",
                                     reason="Thư ký ghi sót")  # fmt: skip
    assert len(addendum.content_hash) == 64 and addendum.author == by


def test_rulebook_for_prefers_the_deepest_and_the_date(world):
    assert rulebook_for(world.a, datetime.date(2024, 1, 1)).name == "HD 12 (2018)"
    assert rulebook_for(world.a, MEETING_DAY).name == "HD 42 (2025)"
    Rulebook.objects.create(name="Quy định xã", source="QĐ 1", unit=world.c1,
                            valid_from=datetime.date(2026, 1, 1), attendance_threshold=90)  # fmt: skip
    assert rulebook_for(world.a, MEETING_DAY).name == "Quy định xã"
    assert rulebook_for(world.d, MEETING_DAY).name == "HD 42 (2025)"


def test_admin_cannot_change_or_delete_finalised_minutes(world, complete_meeting, rf):
    from django.contrib.admin.sites import site

    meeting = services.meeting_finalise(meeting=complete_meeting, by=world.users["secretary_a"])
    request = rf.get("/")
    request.user = world.users["admin_p"]
    request.user.is_superuser = True
    model_admin = site._registry[Meeting]
    assert not model_admin.has_change_permission(request, meeting)
    assert not model_admin.has_delete_permission(request, meeting)


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the trigger is PostgreSQL's (DESIGN.md)"
)
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE meetings_meeting SET place = 'x' WHERE id = %(m)s",
        "DELETE FROM meetings_meeting WHERE id = %(m)s",
        "UPDATE meetings_meetingsection SET conclusion = 'x' WHERE meeting_id = %(m)s",
        "DELETE FROM meetings_speech WHERE meeting_id = %(m)s",
        "UPDATE meetings_attendance SET presence = 'present' WHERE meeting_id = %(m)s",
        "UPDATE meetings_vote SET votes_for = 0 WHERE meeting_id = %(m)s",
        "INSERT INTO meetings_guest (meeting_id, name, position, is_upper_attendee) "
        "VALUES (%(m)s, 'x', '', false)",
    ],
)
def test_postgresql_refuses_raw_sql_on_finalised_minutes(world, complete_meeting, sql):
    from django.db import IntegrityError, transaction

    services.meeting_finalise(meeting=complete_meeting, by=world.users["secretary_a"])
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, {"m": complete_meeting.pk})
    assert Meeting.objects.get(pk=complete_meeting.pk).place == "Nhà văn hóa thôn"


def test_postgresql_trigger_leaves_open_minutes_writable(world, complete_meeting):
    """The trigger must not block ordinary recording (runs on both databases)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE meetings_meeting SET place = 'Hội trường' WHERE id = %s", [complete_meeting.pk]
        )
    assert Meeting.objects.get(pk=complete_meeting.pk).place == "Hội trường"


def test_changing_the_kind_rebuilds_the_sections(world):
    meeting = plan(world)
    services.meeting_update_plan(meeting=meeting, by=world.users["secretary_a"],
                                 kind=MeetingKind.EXTRAORDINARY)  # fmt: skip
    titles = list(meeting.sections.values_list("title", flat=True))
    assert "Nội dung sinh hoạt bất thường" in titles
    assert "Phương hướng, nhiệm vụ tháng tới" not in titles


def test_declining_leave_after_approving_puts_the_member_back(world):
    by = world.users["secretary_a"]
    meeting = plan(world)
    request = services.leave_request(meeting=meeting, member=world.hoa, reason="Ốm", by=by)
    services.meeting_start_recording(meeting=meeting, by=by)
    services.leave_decide(request=request, approve=True, by=by)
    assert meeting.attendance.get(member=world.hoa).presence == Presence.ABSENT_EXCUSED
    services.leave_decide(request=request, approve=False, by=by)
    assert meeting.attendance.get(member=world.hoa).presence == Presence.UNMARKED


def test_a_member_never_sees_a_meeting_cancelled_before_it_was_announced(world):
    from chibo.accounts.access import scope_for
    from chibo.meetings.selectors import visible_meetings

    by = world.users["secretary_a"]
    quiet, told = plan(world), plan(world)
    services.meeting_cancel(meeting=quiet, by=by, reason="Trùng lịch")
    services.meeting_announce(meeting=told, by=by)
    services.meeting_cancel(meeting=told, by=by, reason="Bão")
    seen = set(visible_meetings(scope_for(world.users["member_a"])))
    assert seen == {told}
    assert set(visible_meetings(scope_for(by))) == {quiet, told}


def test_a_topic_group_is_enough_for_a_thematic_meeting(world):
    meeting = record_complete(world, plan(world, kind=MeetingKind.THEMATIC, topic_group=4))
    services.meeting_finalise(meeting=meeting, by=world.users["secretary_a"])


def test_long_texts_keep_their_paragraphs(world, complete_meeting):
    by = world.users["secretary_a"]
    section = complete_meeting.sections.filter(content=SectionContent.DISCUSSION).first()
    services.section_save(section=section, by=by,
                          conclusion="1. Giao đồng chí Hoa  vận động.\n2. Báo cáo ngày 30/11.")  # fmt: skip
    section.refresh_from_db()
    assert section.conclusion == "1. Giao đồng chí Hoa vận động.\n2. Báo cáo ngày 30/11."
    services.meeting_update_plan(meeting=complete_meeting, by=by, topic="Chuyên đề \n  quý IV")
    assert Meeting.objects.get(pk=complete_meeting.pk).topic == "Chuyên đề quý IV"
