"""Years of meeting history for a demo province, written in bulk so dashboards have something
true to show (`chibo demo --scale province`, the benchmarks).

Every cell gets a profile from its code (the same on every machine): how well it keeps its
meetings, whether it improves or slips year by year, whether it tends to skip thematic
meetings. Each month it holds (or skips) its regular meeting — on time or late, a combined or a
separate thematic meeting in some months of each quarter — with every member of today's roster
present or absent (with or without reason), sometimes an upper-level attendee, finalised a few
days later and scored on the scorecard in force on its date. The scores of generated meetings
carry their total and grade but no line-by-line breakdown (they stand for years scored on
paper before chibo); scores of meetings recorded in chibo always have one.

The history ends the month before the province's earliest meeting (or before this month), so
it never overlaps meetings recorded through the services; `chibo demo` writes it once
(`has_history`), a benchmark may call it again to make the history longer.
"""

from __future__ import annotations

import datetime
import random
import zlib
from collections.abc import Callable
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from chibo.meetings.models import (
    Guest,
    Meeting,
    MeetingKind,
    MeetingStatus,
    Presence,
    RosterCategory,
)
from chibo.org.models import CELL_KINDS, Member, MemberStatus, Unit
from chibo.quality.models import MeetingScore, ScoreStatus
from chibo.rulebooks.models import Rulebook, Scorecard
from chibo.rulebooks.selectors import rulebook_resolver

from . import aggregates
from .periods import add_months

PROVINCE_CARD = "Nghệ An 08-QĐ/TU (2021)"
HD42_START = datetime.date(2025, 10, 28)
PLACES = {"residential": "Nhà văn hóa thôn"}


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


PROVINCE_RULES = "Quy định của Tỉnh ủy về sinh hoạt chi bộ (mẫu)"


def install_province_rules(province: Unit, start: datetime.date) -> None:
    """Before HD 42 the demo province scored its meetings on a card like Nghệ An's 08-QĐ/TU."""
    rules = Rulebook.objects.filter(unit=province, name=PROVINCE_RULES).first()
    if rules is not None:
        if rules.valid_from > start:
            Rulebook.objects.filter(pk=rules.pk).update(valid_from=start)
        return
    Rulebook.objects.create(
        unit=province, name=PROVINCE_RULES,
        source="Theo mẫu Quy định 08-QĐ/TU của Tỉnh ủy Nghệ An", valid_from=start,
        valid_to=HD42_START - datetime.timedelta(days=1), document_lead_days=0,
        scorecard=Scorecard.objects.filter(unit__isnull=True, name=PROVINCE_CARD).first(),
    )  # fmt: skip


class _Cell:
    def __init__(self, unit_id: int, path: str, code: str, cell_type: str, members: list[tuple]):
        rng = random.Random(zlib.crc32(code.encode()) + 17)
        self.unit_id, self.path, self.members = unit_id, path, members
        self.place = PLACES.get(cell_type, "Phòng họp cơ quan")
        self.rng = rng
        self.base = rng.uniform(0.55, 0.97)
        self.trend = rng.choice([-0.07, -0.03, 0.0, 0.0, 0.0, 0.03, 0.06])  # per year
        self.skips_thematic = rng.random() < 0.2

    def quality(self, years_in: float) -> float:
        return max(0.3, min(0.99, self.base + self.trend * years_in))


def has_history(province: Unit) -> bool:
    return Rulebook.objects.filter(unit=province, name=PROVINCE_RULES).exists()


@transaction.atomic  # all or nothing: the province's rules are also the "already done" mark
def generate_history(province: Unit, *, years: int = 5, attendance: bool = True,
                     progress: Callable[[str, float], None] | None = None) -> int:  # fmt: skip
    """Write `years` of finalised meetings for every active cell of the province, ending the
    month before its earliest meeting (or before this month). Returns how many were written.
    Called again, it extends the history further back (the benchmarks use this)."""
    earliest = (Meeting.objects.filter(province=province).order_by("date")
                .values_list("date", flat=True).first())  # fmt: skip
    end = add_months((earliest or timezone.localdate()).replace(day=1), -1)
    start = add_months(end, 1 - 12 * years)
    install_province_rules(province, start)
    cells = _cells(province)
    resolve = rulebook_resolver()
    made = 0
    clock = timezone.now()
    for year_start in range(0, 12 * years, 12):
        months = [add_months(start, year_start + i) for i in range(12)]
        made += _write_year(province, cells, months, start, resolve, attendance)
        if progress:
            progress(f"{months[0]:%Y}", (timezone.now() - clock).total_seconds())
    aggregates.rebuild(province)
    return made


def _cells(province: Unit) -> list[_Cell]:
    roster: dict[int, list[tuple]] = {}
    for member_id, cell_id, status, sort_key in (
        Member.active.filter(cell__path__startswith=province.path)
        .values_list("id", "cell_id", "status", "sort_key").order_by("cell_id", "sort_key")
    ):  # fmt: skip
        roster.setdefault(cell_id, []).append((member_id, status == MemberStatus.OFFICIAL, sort_key))
    return [
        _Cell(pk, path, code, cell_type, roster.get(pk, []))
        for pk, path, code, cell_type in Unit.objects.filter(
            path__startswith=province.path, kind__in=CELL_KINDS, is_active=True
        ).values_list("id", "path", "code", "cell_type").order_by("path")
    ]  # fmt: skip


def _write_year(province, cells, months, start, resolve, attendance: bool) -> int:
    meetings, plans = [], []
    for cell in cells:
        if len(cell.members) < 3:
            continue
        for month in months:
            for plan in _plans(cell, month, (month - start).days / 365.25):
                meetings.append(Meeting(
                    unit_id=cell.unit_id, province_id=province.pk, kind=plan["kind"],
                    status=MeetingStatus.RECORDING, date=plan["day"], start_time=datetime.time(19, 30),
                    place=cell.place, announced_at=_at(plan["day"] - datetime.timedelta(plan["lead"]), 8),
                    actual_start=datetime.time(19, 30 + plan["late"]),
                    actual_end=(datetime.datetime(2000, 1, 1, 19, 30)
                                + datetime.timedelta(minutes=plan["minutes"])).time(),
                    finalised_at=_at(plan["day"] + datetime.timedelta(plan["finalise"]), 21),
                    content_hash="", version=2,
                    topic="Nâng cao chất lượng sinh hoạt chi bộ" if plan["kind"] != MeetingKind.REGULAR else "",
                ))  # fmt: skip
                plans.append((cell, plan))
    Meeting.objects.bulk_create(meetings, batch_size=2000)
    scores, guests, lines = [], [], []
    for meeting, (cell, plan) in zip(meetings, plans, strict=True):
        rulebook = resolve(cell.path, meeting.date)
        if rulebook.scorecard_id:
            total = Decimal(str(plan["score"]))
            grade, rank = rulebook.scorecard.grade_for(total)
            scores.append(MeetingScore(
                meeting_id=meeting.pk, province_id=province.pk, unit_id=cell.unit_id,
                rulebook_id=rulebook.pk, scorecard_id=rulebook.scorecard_id,
                status=ScoreStatus.SCORED, total=total, grade=grade, grade_rank=rank,
                scored_at=meeting.finalised_at,
            ))  # fmt: skip
        if plan["upper"]:
            guests.append(Guest(meeting_id=meeting.pk, name="Cấp ủy viên cấp trên",
                                position="Đảng ủy viên", is_upper_attendee=True))  # fmt: skip
        if attendance:
            for member_id, official, sort_key in cell.members:
                roll = cell.rng.random()
                presence = (Presence.PRESENT if roll < plan["present"] else
                            Presence.ABSENT_UNEXCUSED if roll > 1 - plan["unexcused"] else
                            Presence.ABSENT_EXCUSED)  # fmt: skip
                lines.append((meeting.pk, member_id,
                              RosterCategory.OFFICIAL if official else RosterCategory.PROBATIONARY,
                              official, presence, "Việc gia đình" if presence == Presence.ABSENT_EXCUSED else "",
                              False, f"0{sort_key}", 1))  # fmt: skip
    MeetingScore.objects.bulk_create(scores, batch_size=2000)
    Guest.objects.bulk_create(guests, batch_size=2000)
    with connection.cursor() as cursor:
        for i in range(0, len(lines), 20000):
            cursor.executemany(
                "INSERT INTO meetings_attendance (meeting_id, member_id, category, was_official, "
                "presence, reason, late, sort_key, version) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                lines[i:i + 20000],
            )  # fmt: skip
    # Finalised last: PostgreSQL's trigger refuses rows added to finalised minutes.
    ids = [m.pk for m in meetings]
    for i in range(0, len(ids), 5000):
        Meeting.objects.filter(pk__in=ids[i:i + 5000]).update(status=MeetingStatus.FINALISED)
    return len(meetings)


def _plans(cell: _Cell, month: datetime.date, years_in: float) -> list[dict]:
    rng, q = cell.rng, cell.quality(years_in)
    quarter_month = (month.month - 1) % 3  # 0, 1, 2
    plans = []
    thematic_here = quarter_month == 2 and not (cell.skips_thematic and rng.random() < 0.6) \
        and rng.random() < 0.6 + 0.4 * q
    if rng.random() < 0.55 + 0.45 * q:
        plans.append(_plan(rng, q, month, MeetingKind.COMBINED if thematic_here else MeetingKind.REGULAR))
    elif thematic_here:
        plans.append(_plan(rng, q, month, MeetingKind.THEMATIC))
    return plans


def _plan(rng: random.Random, q: float, month: datetime.date, kind: str) -> dict:
    on_time = rng.random() < 0.35 + 0.65 * q
    day = month.replace(day=rng.randint(2, 15) if on_time else rng.randint(16, 27))
    score = max(25.0, min(100.0, round(rng.gauss(40 + 55 * q, 6))))
    return {
        "kind": kind, "day": day, "lead": rng.randint(0, 5) if q < 0.7 else rng.randint(1, 5),
        "late": 0 if rng.random() < q else rng.randint(5, 25),
        "minutes": (rng.randint(115, 140) if kind == MeetingKind.COMBINED else rng.randint(70, 120)),
        "finalise": rng.randint(0, 2) if rng.random() < q else rng.randint(3, 9),
        "present": 0.7 + 0.28 * q, "unexcused": (1 - q) * 0.08,
        "upper": rng.random() < 0.15 + 0.25 * q, "score": score,
    }  # fmt: skip
