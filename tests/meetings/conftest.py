"""Meetings in the `world` of tests/conftest.py: cell A has Hoa (official), Ưng (official,
its secretary) and Sơn (probationary)."""

import datetime

import pytest

from chibo.meetings import services
from chibo.meetings.models import MeetingKind, Presence, SectionContent, VoteSubject

MEETING_DAY = datetime.date(2026, 11, 5)


def plan(world, *, kind=MeetingKind.REGULAR, day=MEETING_DAY, by=None, **extra):
    return services.meeting_plan(
        unit=world.a, by=by or world.users["secretary_a"], kind=kind, date=day,
        start_time=datetime.time(14, 0), place="Nhà văn hóa thôn", **extra,
    )  # fmt: skip


def record_complete(world, meeting):
    """Fill in everything a regular meeting needs to be finalised, without warnings."""
    by = world.users["secretary_a"]
    meeting.announced_at = datetime.datetime.combine(
        meeting.date - datetime.timedelta(days=3), datetime.time(8, 0), tzinfo=datetime.UTC
    )
    meeting.save(update_fields=["announced_at"])
    services.meeting_start_recording(meeting=meeting, by=by)
    for line in meeting.attendance.all():
        services.attendance_mark(line=line, by=by, presence=Presence.PRESENT)
    meeting.refresh_from_db()
    services.meeting_record_update(
        meeting=meeting, by=by, chair=world.ung, clerk=world.hoa,
        actual_start=datetime.time(14, 0), actual_end=datetime.time(16, 0),
        resolution_text="Chi bộ quyết nghị hoàn thành sửa đường liên thôn trước ngày 30/11.",
    )  # fmt: skip
    for section in meeting.sections.filter(content=SectionContent.DISCUSSION):
        services.speech_add(section=section, by=by, speaker=world.hoa,
                            text="Đề nghị huy động đoàn viên thanh niên làm đường.")  # fmt: skip
        services.section_save(
            section=section, by=by,
            conclusion="Giao đồng chí Hoa vận động thanh niên, hoàn thành trước 30/11.",
        )  # fmt: skip
    for section in meeting.sections.filter(content=SectionContent.TEXT, required=True):
        services.section_save(section=section, by=by, text="Đồng chí bí thư khai mạc.")
    services.vote_record(meeting=meeting, by=by, subject=VoteSubject.RESOLUTION, votes_for=2)
    services.vote_record(meeting=meeting, by=by, subject=VoteSubject.MINUTES, votes_for=3)
    services.assignment_add(meeting=meeting, by=by, description="Vận động thanh niên làm đường",
                            assignees=[world.hoa], deadline=meeting.date + datetime.timedelta(days=25))  # fmt: skip
    meeting.refresh_from_db()
    return meeting


@pytest.fixture
def complete_meeting(world):
    return record_complete(world, plan(world))
