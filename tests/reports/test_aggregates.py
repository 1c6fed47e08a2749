"""The monthly figures kept on finalisation and score changes equal those rebuilt from the raw
tables, and a committee's row is the sum of its cells'."""

import datetime

from django.core.management import call_command

from chibo.followup.models import ReviewDecision, Task
from chibo.followup.services import review_save
from chibo.meetings.models import Guest, MeetingKind, Presence
from chibo.quality import services as quality
from chibo.reports import aggregates
from chibo.reports.models import UnitMonth
from chibo.rulebooks.models import Measure

from ..followup.conftest import NOVEMBER, finalise, recorded
from ..quality.conftest import history

A = Presence.ABSENT_EXCUSED
P = Presence.PRESENT


def snapshot():
    return {(r.unit_id, r.month): r.figures() for r in UnitMonth.objects.all()}


def judge_all(score, by):
    judged = score.lines.filter(criterion__measure=Measure.JUDGED).select_related("criterion")
    return quality.score_judge(score=score, by=by, judgements={
        line.criterion_id: (line.criterion.points, "Tốt.") for line in judged})  # fmt: skip


def test_finalising_and_scoring_keep_the_rows(world, october):
    october_row = UnitMonth.objects.get(unit=world.a, month=datetime.date(2026, 10, 1))
    assert (october_row.meetings, october_row.cells_met, october_row.cells_met_on_time) == (1, 1, 1)
    assert (october_row.expected, october_row.present, october_row.scored) == (3, 3, 0)
    for unit in (world.c1, world.p):
        assert UnitMonth.objects.get(unit=unit, month=october_row.month).figures() == october_row.figures()
    assert not UnitMonth.objects.filter(unit__in=[world.b, world.c2, world.d]).exists()

    score = quality.score_assign(score=october.score, scorer=world.users["member_a"],
                                 by=world.users["secretary_a"])  # fmt: skip
    score = judge_all(score, world.users["member_a"])
    row = UnitMonth.objects.get(unit=world.p, month=october_row.month)
    assert (row.scored, row.score_sum, row.grade_2) == (1, score.total, 1)
    judged = score.lines.filter(criterion__measure=Measure.JUDGED).first()
    score = quality.score_adjust(score=score, by=world.users["officer_c1"], criterion_id=judged.criterion_id,
                                 points=0, reason="Chưa đạt.")  # fmt: skip
    row.refresh_from_db()
    assert row.score_sum == score.total

    incremental = snapshot()
    aggregates.rebuild()
    assert snapshot() == incremental


def test_rebuild_equals_incremental_across_cells_and_months(world, october):
    november = recorded(world, NOVEMBER)
    line = november.attendance.get(member=world.son)
    line.presence = Presence.ABSENT_UNEXCUSED
    line.save()
    Guest.objects.create(meeting=november, name="Bùi Quang Vinh", is_upper_attendee=True)
    review_save(meeting=november, task=Task.objects.get(meeting=october),
                by=world.users["secretary_a"], decision=ReviewDecision.DONE, note="Xong")
    finalise(world, november.__class__.objects.get(pk=november.pk))
    row = UnitMonth.objects.get(unit=world.c1, month=datetime.date(2026, 11, 1))
    assert (row.expected, row.present, row.cells_low_attendance) == (3, 2, 1)  # 67% < 85%
    assert (row.cells_upper_attended, row.task_reviews, row.tasks_done) == (1, 1, 1)
    # A cell elsewhere, written directly, then brought in line by refresh_cell.
    history(world, world.d, world.dung, [(datetime.date(2026, 11, 20), P)])
    aggregates.refresh_cell(world.d, datetime.date(2026, 11, 20))
    province = UnitMonth.objects.get(unit=world.p, month=datetime.date(2026, 11, 1))
    assert (province.meetings, province.cells_met, province.cells_met_on_time) == (2, 2, 1)
    incremental = snapshot()
    aggregates.rebuild()
    assert snapshot() == incremental


def test_first_thematic_meeting_of_the_quarter_counts_once(world):
    feb = history(world, world.a, world.hoa, [(datetime.date(2026, 2, 10), P)],
                  kind=MeetingKind.THEMATIC)  # fmt: skip
    aggregates.refresh_cell(world.a, feb[0].date)
    assert UnitMonth.objects.get(unit=world.a, month=datetime.date(2026, 2, 1)).cells_thematic_first == 1
    # A January thematic meeting is finalised later: the quarter's first moves to January.
    jan = history(world, world.a, world.hoa, [(datetime.date(2026, 1, 20), P)],
                  kind=MeetingKind.THEMATIC)  # fmt: skip
    aggregates.refresh_cell(world.a, jan[0].date)
    rows = {r.month.month: r.cells_thematic_first
            for r in UnitMonth.objects.filter(unit=world.p, month__year=2026)}  # fmt: skip
    assert rows == {1: 1, 2: 0}
    # Another quarter counts again.
    apr = history(world, world.a, world.hoa, [(datetime.date(2026, 4, 2), P)],
                  kind=MeetingKind.THEMATIC)  # fmt: skip
    aggregates.refresh_cell(world.a, apr[0].date)
    incremental = snapshot()
    aggregates.rebuild()
    assert snapshot() == incremental
    assert UnitMonth.objects.get(unit=world.c1, month=datetime.date(2026, 4, 1)).cells_thematic_first == 1


def test_rebuild_of_one_province_leaves_others(world, october):
    other = UnitMonth.objects.create(unit=world.d, province=world.d, month=datetime.date(2020, 1, 1),
                                     path=world.d.path, depth=world.d.depth, meetings=7)  # fmt: skip
    aggregates.rebuild(world.p)
    other.refresh_from_db()
    assert other.meetings == 7  # a row of another province (here: faked) is not touched
    assert UnitMonth.objects.filter(unit=world.a).count() == 1


def test_rebuild_command(world, october, capsys):
    call_command("rebuild-aggregates", province=world.p.code)
    assert "Đã tính lại 3 dòng" in capsys.readouterr().out
