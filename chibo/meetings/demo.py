"""A year of meetings for the cells of the small demo, through the services.

Most cells meet every month and finalise clean minutes; some show the defects of seed 004:
a month skipped, documents sent late, a thin attendance, minutes left unfinalised because the
chair's conclusion only says "nhất trí". The current month's meeting is planned or announced.
Deterministic: the same cells get the same history on every machine.
"""

from __future__ import annotations

import datetime
import random
import zlib
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from chibo.accounts.models import Grant, Role
from chibo.org.models import CELL_KINDS, Unit

from . import services
from .models import (
    Attendance,
    Meeting,
    MeetingKind,
    Presence,
    RosterCategory,
    SectionContent,
    VoteSubject,
)

# Apps that keep parts of the minutes (follow-up: the review of earlier tasks) fill them in
# before a demo meeting is finalised: callables (meeting, rng), registered in AppConfig.ready().
BEFORE_FINALISE: list[Callable[[Meeting, random.Random], None]] = []

SPEECHES = [
    "Đề nghị chi bộ quan tâm việc vận động bà con tham gia làm đường giao thông nông thôn.",
    "Tháng qua một số hộ còn để rác thải ra đường, cần nhắc nhở qua tổ tự quản.",
    "Tôi đề nghị phân công cụ thể đảng viên phụ trách từng nhóm hộ.",
    "Việc thu đảng phí đã hoàn thành, cần tiếp tục duy trì nộp đúng hạn.",
    "Đề nghị tăng cường tuyên truyền về phòng chống lừa đảo qua mạng cho người cao tuổi.",
    "Chi bộ cần chú ý bồi dưỡng quần chúng ưu tú để phát triển đảng viên mới.",
    "Tình hình an ninh trật tự ổn định, cần phối hợp với công an xã tuần tra ban đêm.",
]
CONCLUSIONS = [
    "Giao đồng chí {name} phối hợp trưởng thôn vận động các hộ, báo cáo kết quả tại kỳ họp tới.",
    "Chi bộ thống nhất tập trung hoàn thành thu gom rác tại các tuyến đường trước cuối tháng.",
    "Các đảng viên phụ trách nhóm hộ nắm tình hình, báo cáo chi bộ vào kỳ sinh hoạt sau.",
]
TASKS = [
    "Vận động các hộ hiến đất mở rộng đường liên thôn",
    "Tổ chức tổng vệ sinh khu dân cư",
    "Nắm tình hình tư tưởng các hộ được phân công",
    "Chuẩn bị nội dung sinh hoạt chuyên đề quý tới",
]
RESOLUTION = (
    "Chi bộ quyết nghị: hoàn thành các nhiệm vụ đã phân công trong tháng; mỗi đảng viên phụ "
    "trách nhóm hộ báo cáo kết quả tại kỳ sinh hoạt tiếp theo."
)


def _months_back(today: datetime.date, n: int) -> datetime.date:
    year, month = divmod(today.year * 12 + today.month - 1 - n, 12)
    return datetime.date(year, month + 1, 1)


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def load_meeting_history(province: Unit, *, today: datetime.date | None = None) -> int:
    """Give every cell of the province without meetings a year of them. Returns how many."""
    today = today or timezone.localdate()
    cells = Unit.objects.filter(path__startswith=province.path, kind__in=CELL_KINDS,
                                is_active=True).exclude(meetings__isnull=False)  # fmt: skip
    made = 0
    for cell in cells:
        rng = random.Random(zlib.crc32(cell.code.encode()))
        sloppy = rng.random() < 0.3  # a cell that slips
        with transaction.atomic():
            for back in range(12, 0, -1):
                month = _months_back(today, back)
                if sloppy and rng.random() < 0.15:
                    continue  # no meeting that month
                kind = MeetingKind.COMBINED if month.month % 3 == 0 else MeetingKind.REGULAR
                _past_meeting(cell, month, kind, rng, sloppy=sloppy, unfinished=back == 1,
                              slipping=SLIPPING.get(cell.code, {}).get(back, {}))  # fmt: skip
                made += 1
            upcoming = today + datetime.timedelta(days=rng.randint(2, 9))
            meeting = services.meeting_plan(unit=cell, by=None, kind=MeetingKind.REGULAR,
                                            date=upcoming, start_time=datetime.time(19, 30),
                                            place=_place(cell))  # fmt: skip
            if rng.random() < 0.6:
                services.meeting_announce(meeting=meeting, by=None)
            made += 1
    return made


def _place(cell: Unit) -> str:
    return "Nhà văn hóa thôn" if cell.cell_type == "residential" else "Phòng họp cơ quan"


# The featured village cell shows members slipping away (issue 4), by months back (1 = last
# month, whose minutes stay open): the official members counted from the end of the roster
# (0 = last) and how they are marked. The last one reaches QĐ 24's limit (3 months without
# reason), the next is one month short, the third misses three meetings in a row with reason.
SLIPPING: dict[str, dict[int, dict[int, str]]] = {
    "DEMO-HB-02": {
        2: {0: Presence.ABSENT_UNEXCUSED, 2: Presence.ABSENT_EXCUSED},
        3: {2: Presence.ABSENT_EXCUSED},
        4: {2: Presence.ABSENT_EXCUSED},
        5: {0: Presence.ABSENT_UNEXCUSED, 1: Presence.ABSENT_UNEXCUSED},
        8: {0: Presence.ABSENT_UNEXCUSED, 1: Presence.ABSENT_UNEXCUSED},
    },
}

UPPER_ATTENDEES = [
    ("Ngô Văn Toàn", "Phó Bí thư Thường trực Đảng ủy xã"),
    ("Hoàng Thị Mai", "Ủy viên Ban Thường vụ, Trưởng Ban Xây dựng Đảng"),
    ("Đinh Công Lý", "Đảng ủy viên, Chủ tịch Ủy ban MTTQ xã"),
]
REMARKS = "Chi bộ chuẩn bị chu đáo; đề nghị phân công cụ thể hơn và kiểm tra kết quả hằng tháng."


def _upper_attendee(meeting: Meeting, rng: random.Random, *, sloppy: bool) -> None:
    """A committee member above attends some meetings: the one following the cell, when the
    demo has an account for it, or one of the commune's leaders."""
    if rng.random() >= (0.15 if sloppy else 0.45):
        return
    grant = (
        Grant.objects.current()
        .filter(role=Role.ATTENDEE, unit=meeting.unit)
        .select_related("user__member")
        .first()
    )
    if grant is not None:
        name, position, user = grant.user.display_name, grant.title, grant.user
    else:
        (name, position), user = rng.choice(UPPER_ATTENDEES), None
    services.guest_add(meeting=meeting, by=None, name=name, position=position,
                       is_upper_attendee=True, user=user)  # fmt: skip
    Meeting.objects.filter(pk=meeting.pk).update(remarks=REMARKS)


def _past_meeting(cell, month, kind, rng, *, sloppy: bool, unfinished: bool,
                  slipping: dict[int, str]) -> Meeting:  # fmt: skip
    day = month + datetime.timedelta(days=rng.randint(2, 14))
    meeting = services.meeting_plan(
        unit=cell, by=None, kind=kind, date=day, start_time=datetime.time(19, 30),
        place=_place(cell),
        topic="Nâng cao chất lượng sinh hoạt chi bộ" if kind == MeetingKind.COMBINED else "",
        topic_group=5 if kind == MeetingKind.COMBINED else None,
        draft_resolution=RESOLUTION,
    )  # fmt: skip
    services.meeting_announce(meeting=meeting, by=None)
    lead = 0 if sloppy and rng.random() < 0.4 else rng.randint(2, 5)
    Meeting.objects.filter(pk=meeting.pk).update(
        announced_at=_at(day - datetime.timedelta(lead), 8)
    )
    meeting.refresh_from_db()
    services.meeting_start_recording(meeting=meeting, by=None)
    lines = list(meeting.attendance.select_related("member"))
    absent_rate = 0.25 if sloppy else 0.06
    present = []
    voters = [line for line in lines if line.category == RosterCategory.OFFICIAL]
    for position, presence in slipping.items():
        if position < len(voters) and voters[-1 - position].presence == Presence.UNMARKED:
            line = voters[-1 - position]
            line.presence = presence
            line.reason = "Đi làm ăn xa" if presence == Presence.ABSENT_EXCUSED else ""
    for line in lines:
        if line.presence != Presence.UNMARKED:
            continue
        roll = rng.random()
        if roll < absent_rate:
            line.presence = Presence.ABSENT_EXCUSED
            line.reason = rng.choice(["Ốm", "Đi làm ăn xa", "Việc gia đình", "Đi công tác"])
        elif roll < absent_rate + (0.05 if sloppy else 0.0):
            line.presence = Presence.ABSENT_UNEXCUSED
        else:
            line.presence = Presence.PRESENT
            present.append(line)
    # Demo shortcut: one write for the roster instead of one audited call per member.
    Attendance.objects.bulk_update(lines, ["presence", "reason"])
    if len(present) < 2:
        return meeting  # too few to hold the meeting: it stays open
    chair, clerk = present[0].member, present[1].member
    _upper_attendee(meeting, rng, sloppy=sloppy)
    minutes = rng.choice([120, 125, 130]) if kind == MeetingKind.COMBINED else rng.randint(80, 120)
    end = (datetime.datetime.combine(day, datetime.time(19, 30))
           + datetime.timedelta(minutes=minutes)).time()  # fmt: skip
    services.meeting_record_update(
        meeting=meeting, by=None, chair=chair, clerk=clerk, actual_start=datetime.time(19, 30),
        actual_end=end, resolution_number=f"{month.month:02d}-NQ/CB", resolution_text=RESOLUTION,
    )  # fmt: skip
    vague = unfinished and sloppy
    for section in meeting.sections.all():
        if section.content == SectionContent.DISCUSSION:
            for line in rng.sample(present, k=min(len(present), rng.randint(1, 3))):
                services.speech_add(section=section, by=None, speaker=line.member,
                                    text=rng.choice(SPEECHES))  # fmt: skip
            conclusion = "Chi bộ nhất trí cao." if vague else rng.choice(CONCLUSIONS).format(
                name=rng.choice(present).member.full_name)  # fmt: skip
            services.section_save(section=section, by=None, conclusion=conclusion)
        elif section.content == SectionContent.TEXT and section.required:
            services.section_save(section=section, by=None, text=(
                f"Đồng chí {chair.full_name} chủ trì, nêu mục đích, yêu cầu buổi sinh hoạt."))  # fmt: skip
    voters = services.checks.vote_count(lines).voters_present
    services.vote_record(meeting=meeting, by=None, subject=VoteSubject.RESOLUTION,
                         votes_for=voters)  # fmt: skip
    services.vote_record(meeting=meeting, by=None, subject=VoteSubject.MINUTES,
                         votes_for=len(present))  # fmt: skip
    for _ in range(rng.randint(1, 3)):
        services.assignment_add(
            meeting=meeting, by=None, description=rng.choice(TASKS),
            assignees=[rng.choice(present).member],
            deadline=day + datetime.timedelta(days=rng.randint(14, 30)),
        )  # fmt: skip
    if unfinished:
        return meeting  # last month's minutes: still being completed
    for fill_in in BEFORE_FINALISE:
        fill_in(meeting, rng)
    meeting.refresh_from_db()
    _errors, warnings = services.checks.problems(meeting)
    acknowledgements = {w.code: "Chi bộ đã rút kinh nghiệm." for w in warnings}
    try:
        services.meeting_finalise(meeting=meeting, by=None, acknowledgements=acknowledgements)
    except services.FinaliseRefused:
        pass  # the record has a defect the demo keeps visible: minutes left open
    return meeting
