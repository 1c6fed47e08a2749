"""Scoring a finalised meeting: the computed criteria, the judged ones, the upper level's
review, grades at their edges, and scores keeping the card they were given under."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from chibo.core.models import AuditEntry
from chibo.followup.models import ReviewDecision, Task
from chibo.followup.services import review_save
from chibo.meetings.models import Meeting, MeetingKind, Presence, RosterCategory
from chibo.quality import measures, services
from chibo.quality.models import MeetingScore, ScoreAdjustment, ScoreStatus
from chibo.rulebooks import services as rulebook_services
from chibo.rulebooks.models import Criterion, Measure, Rulebook, Scorecard
from chibo.rulebooks.selectors import rulebook_for

from ..followup.conftest import NOVEMBER, OCTOBER, finalise, recorded
from .conftest import history

WARD = "Thang điểm phường theo HD 42 (2025)"
NGHE_AN = "Nghệ An 08-QĐ/TU (2021)"

A = Presence.ABSENT_EXCUSED
P = Presence.PRESENT
U = Presence.ABSENT_UNEXCUSED


def lines_by_measure(score):
    return {line.criterion.measure: line for line in score.lines.select_related("criterion")
            if not line.criterion.is_judged}  # fmt: skip


@pytest.fixture
def scored(world):
    return finalise(world, recorded(world, OCTOBER)).score


def test_shipped_cards_add_up_to_100_and_hd42_carries_the_ward_card(db):
    for name in (WARD, NGHE_AN):
        card = Scorecard.objects.get(name=name, unit__isnull=True)
        assert sum(c.points for c in card.criteria.all()) == 100
        for criterion in card.criteria.exclude(measure=Measure.JUDGED):
            assert max(b["points"] for b in criterion.bands) == criterion.points, criterion.title
    assert Rulebook.objects.get(name="HD 42 (2025)").scorecard.name == WARD
    assert Rulebook.objects.get(name="HD 12 (2018)").scorecard is None


def test_finalising_scores_every_computed_criterion(world, scored):
    assert scored.scorecard.name == WARD
    assert scored.rulebook.name == "HD 42 (2025)"
    lines = lines_by_measure(scored)
    expected = {
        Measure.HELD_BY_DEADLINE: (1.0, 2),  # day 5 ≤ 15
        Measure.STARTED_ON_TIME: (1.0, 1),
        Measure.DURATION_MET: (1.0, 2),  # 120 minutes ≥ 90
        Measure.ATTENDANCE_RATE_STRICT: (100.0, 4),
        Measure.LONG_EXCUSED_RUNS: (0.0, 1),
        Measure.PREPARATORY_HELD: (0.0, 0),
        Measure.ANNOUNCED_IN_TIME: (1.0, 3),  # 3 days before, 1 needed
        Measure.PREVIOUS_TASKS_DONE: (100.0, 10),  # nothing was due
        Measure.FINALISED_ON_TIME: (0.0, 0),  # finalised today, long after 5/10/2026
    }
    for measure, (value, points) in expected.items():
        assert (lines[measure].value, lines[measure].points) == (value, points), measure
    # Hoa alone spoke: 1 of 3 present, not above half.
    speakers = lines[Measure.SPEAKERS_SHARE]
    assert speakers.points == 0 and speakers.value == pytest.approx(100 / 3)
    assert speakers.evidence == "1/3 đảng viên có mặt phát biểu (33,3%)."
    assert scored.total == 23
    assert scored.status == ScoreStatus.AWAITING and scored.grade == ""
    judged = scored.lines.filter(criterion__measure=Measure.JUDGED)
    assert judged.count() == 6 and not judged.exclude(points=None).exists()


def test_no_scorecard_no_score(world):
    meeting = finalise(world, recorded(world, datetime.date(2025, 3, 5)))
    assert rulebook_for(world.a, meeting.date).name == "HD 12 (2018)"
    assert not MeetingScore.objects.filter(meeting=meeting).exists()


def test_previous_tasks_and_unexcused_absence(world, october):
    november = recorded(world, NOVEMBER)
    line = november.attendance.get(member=world.son)
    line.presence, line.reason = U, ""
    line.save()
    review_save(meeting=november, task=Task.objects.get(meeting=october),
                by=world.users["secretary_a"], decision=ReviewDecision.DONE, note="Xong")
    november = finalise(world, Meeting.objects.get(pk=november.pk))
    lines = lines_by_measure(november.score)
    assert lines[Measure.PREVIOUS_TASKS_DONE].value == 100.0
    assert "1" in lines[Measure.PREVIOUS_TASKS_DONE].evidence
    # Anyone absent without reason: the strict rate counts as 0 → the lowest band, 1 point.
    assert lines[Measure.ATTENDANCE_RATE_STRICT].value == 0.0
    assert lines[Measure.ATTENDANCE_RATE_STRICT].points == 1


@pytest.mark.parametrize(("value", "points"), [
    (100, 4), (90, 4), (89.99, 3), (75, 3), (74.9, 2), (65, 2), (64.99, 1), (0, 1), (None, 0),
])  # fmt: skip
def test_attendance_bands_at_their_edges(db, value, points):
    criterion = Criterion.objects.get(scorecard__name=WARD, measure=Measure.ATTENDANCE_RATE_STRICT)
    assert criterion.points_for(value) == points


@pytest.mark.parametrize(("share", "points"), [(50, 0), (50.01, 5), (100, 5), (0, 0)])
def test_more_than_half_spoke_is_strictly_more(db, share, points):
    criterion = Criterion.objects.get(scorecard__name=WARD, measure=Measure.SPEAKERS_SHARE)
    assert criterion.points_for(share) == points


@pytest.mark.parametrize(("card", "total", "grade"), [
    (WARD, 100, "Tốt"), (WARD, 90, "Tốt"), (WARD, Decimal("89.9"), "Khá"), (WARD, 70, "Khá"),
    (WARD, Decimal("69.9"), "Trung bình"), (WARD, 50, "Trung bình"), (WARD, Decimal("49.9"), "Kém"),
    (WARD, 0, "Kém"),
    (NGHE_AN, 80, "Tốt"), (NGHE_AN, Decimal("79.9"), "Khá"), (NGHE_AN, 70, "Khá"),
    (NGHE_AN, Decimal("69.9"), "Trung bình"), (NGHE_AN, 50, "Trung bình"),
    (NGHE_AN, Decimal("49.9"), "Kém"),
])  # fmt: skip
def test_grades_at_their_edges(db, card, total, grade):
    assert Scorecard.objects.get(name=card).grade_for(total)[0] == grade


# --- absences with reason in a row ------------------------------------------------------------
def runs_at(world, meeting):
    facts = measures.MeetingFacts(meeting, rulebook_for(meeting.unit, meeting.date))
    return measures.measure(Measure.LONG_EXCUSED_RUNS, facts).value


def test_four_absences_with_reason_in_a_row_count(world):
    made = history(world, world.a, world.hoa, [
        (datetime.date(2026, 1, 5), A), (datetime.date(2026, 2, 5), A),
        (datetime.date(2026, 3, 5), A), (datetime.date(2026, 4, 5), A),
    ])  # fmt: skip
    assert runs_at(world, made[2]) == 0  # three so far: at the limit, not over it
    assert runs_at(world, made[3]) == 1


def test_the_run_restarts_on_1_january(world):
    made = history(world, world.a, world.hoa, [
        (datetime.date(2025, 11, 5), A), (datetime.date(2025, 12, 5), A),
        (datetime.date(2026, 1, 5), A), (datetime.date(2026, 2, 5), A),
    ])  # fmt: skip
    assert runs_at(world, made[3]) == 0


def test_presence_breaks_the_run_and_exemption_is_skipped(world):
    made = history(world, world.a, world.hoa, [
        (datetime.date(2026, 1, 5), A), (datetime.date(2026, 2, 5), A),
        (datetime.date(2026, 3, 5), P), (datetime.date(2026, 4, 5), A),
        (datetime.date(2026, 5, 5), A), (datetime.date(2026, 6, 5), A),
    ])  # fmt: skip
    assert runs_at(world, made[-1]) == 0
    made += history(world, world.a, world.hoa, [
        (datetime.date(2026, 7, 5), Presence.EXEMPT_ABSENT, RosterCategory.EXEMPTED),
        (datetime.date(2026, 8, 5), A),
    ])  # fmt: skip
    assert runs_at(world, made[-1]) == 1  # 4, 5, 6, (7 skipped), 8


def test_absences_at_the_cell_a_member_came_from_count(world):
    """Sơn was absent with reason three times at cell B before the transfer to A."""
    history(world, world.b, world.son, [
        (datetime.date(2026, 1, 5), A), (datetime.date(2026, 2, 5), A),
        (datetime.date(2026, 3, 5), A),
    ])  # fmt: skip
    at_a = history(world, world.a, world.son, [(datetime.date(2026, 4, 5), A)])
    assert runs_at(world, at_a[0]) == 1


def test_thematic_meetings_do_not_extend_the_run(world):
    made = history(world, world.a, world.hoa, [
        (datetime.date(2026, 1, 5), A), (datetime.date(2026, 2, 5), A),
        (datetime.date(2026, 3, 5), A),
    ])  # fmt: skip
    made += history(world, world.a, world.hoa, [(datetime.date(2026, 3, 20), A)],
                    kind=MeetingKind.THEMATIC)  # fmt: skip
    assert runs_at(world, made[-1]) == 0


def test_finalised_on_time_and_late(world, scored):
    meeting = scored.meeting
    facts = measures.MeetingFacts(meeting, rulebook_for(meeting.unit, meeting.date))
    meeting.finalised_at = timezone.make_aware(datetime.datetime(2026, 10, 7, 20, 0))
    assert measures.measure(Measure.FINALISED_ON_TIME, facts).value == 1.0  # 2 days: allowed
    meeting.finalised_at = timezone.make_aware(datetime.datetime(2026, 10, 8, 8, 0))
    assert measures.measure(Measure.FINALISED_ON_TIME, facts).value == 0.0


# --- judged criteria and the review ------------------------------------------------------------
def judge_all(score, by, points=None):
    judged = score.lines.filter(criterion__measure=Measure.JUDGED).select_related("criterion")
    return services.score_judge(score=score, by=by, judgements={
        line.criterion_id: (line.criterion.points if points is None else points, "Đạt yêu cầu.")
        for line in judged})  # fmt: skip


def test_the_assigned_scorer_completes_the_score(world, scored):
    secretary, member = world.users["secretary_a"], world.users["member_a"]
    with pytest.raises(PermissionDenied):
        judge_all(scored, secretary)  # nobody assigned yet
    with pytest.raises(PermissionDenied):
        services.score_assign(score=scored, scorer=member, by=world.users["secretary_b"])
    with pytest.raises(ValidationError):
        services.score_assign(score=scored, scorer=world.users["officer_c2"], by=secretary)
    score = services.score_assign(score=scored, scorer=member, by=secretary)
    with pytest.raises(PermissionDenied):
        judge_all(score, secretary)
    score = judge_all(score, member)
    assert score.total == 23 + 66 and score.grade == "Khá" and score.grade_rank == 2
    assert score.status == ScoreStatus.SCORED and score.scored_at is not None
    line = score.lines.filter(criterion__measure=Measure.JUDGED).first()
    assert line.by == member and line.justification == "Đạt yêu cầu."
    assert AuditEntry.objects.filter(action="score.judge", object_id=score.pk).exists()
    with pytest.raises(ValidationError):
        judge_all(score, member)  # complete: only the upper level changes it now


def test_judgements_are_checked(world, scored):
    member = world.users["member_a"]
    score = services.score_assign(score=scored, scorer=member, by=world.users["secretary_a"])
    line = score.lines.filter(criterion__measure=Measure.JUDGED).select_related("criterion").first()
    computed = score.lines.exclude(criterion__measure=Measure.JUDGED).first()
    for judgement in [{line.criterion_id: (line.criterion.points + 1, "Tốt")},
                      {line.criterion_id: (-1, "Tốt")}, {line.criterion_id: ("nhiều", "Tốt")},
                      {line.criterion_id: (1, "   ")}, {computed.criterion_id: (1, "Tốt")}, {}]:  # fmt: skip
        with pytest.raises(ValidationError):
            services.score_judge(score=score, by=member, judgements=judgement)
    score.refresh_from_db()
    assert score.total == 23 and not score.lines.filter(by=member).exists()


def test_the_upper_level_adjusts_with_a_reason(world, scored):
    member, officer = world.users["member_a"], world.users["officer_c1"]
    with pytest.raises(ValidationError):  # not complete yet
        services.score_adjust(score=scored, by=officer, criterion_id=scored.lines.first().criterion_id,
                              points=0, reason="Chưa đạt")  # fmt: skip
    score = judge_all(services.score_assign(score=scored, scorer=member,
                                            by=world.users["secretary_a"]), member)  # fmt: skip
    conduct = score.lines.get(criterion__measure=Measure.JUDGED, criterion__points=25)
    for outsider in ("officer_c2", "secretary_a", "member_a", "secretary_b"):
        with pytest.raises(PermissionDenied):
            services.score_adjust(score=score, by=world.users[outsider],
                                  criterion_id=conduct.criterion_id, points=20, reason="Chưa sâu")  # fmt: skip
    with pytest.raises(ValidationError):
        services.score_adjust(score=score, by=officer, criterion_id=conduct.criterion_id,
                              points=20, reason="")  # fmt: skip
    score = services.score_adjust(score=score, by=officer, criterion_id=conduct.criterion_id,
                                  points=15, reason="Thảo luận chưa tập trung.")  # fmt: skip
    assert score.total == 89 - 10 and score.grade == "Khá" and score.status == ScoreStatus.REVIEWED
    adjustment = ScoreAdjustment.objects.get(line=conduct)
    assert (adjustment.old_points, adjustment.new_points, adjustment.by) == (25, 15, officer)
    score = services.score_adjust(score=score, by=officer, criterion_id=conduct.criterion_id,
                                  points=5, reason="Hạ thêm sau khi xem lại biên bản.")  # fmt: skip
    assert score.total == 69 and score.grade == "Trung bình"


def test_a_score_keeps_the_card_it_was_given_under(world, scored):
    """A province issues rules with the Nghệ An card from today: the October score keeps the
    ward card, and a meeting after the new version is scored under the new card."""
    today = timezone.localdate()
    figures = {name: getattr(scored.rulebook, name) for name in (
        "regular_deadline_day", "thematic_per_quarter", "min_minutes_regular",
        "min_minutes_combined", "document_lead_days", "attendance_threshold",
        "finalise_within_days", "proposal_answer_days")}  # fmt: skip
    rulebook = rulebook_services.rulebook_issue(
        unit=world.p, by=world.users["admin_p"], name="Quy định của tỉnh", source="QĐ tỉnh",
        valid_from=today, scorecard=Scorecard.objects.get(name=NGHE_AN), **figures)
    assert rulebook.scorecard.name == NGHE_AN
    scored.refresh_from_db()
    assert scored.scorecard.name == WARD and scored.total == 23
    later = recorded(world, today)
    review_save(meeting=later, task=Task.objects.get(meeting=scored.meeting),
                by=world.users["secretary_a"], decision=ReviewDecision.DONE, note="Xong")
    later = finalise(world, Meeting.objects.get(pk=later.pk))
    assert later.score.scorecard.name == NGHE_AN and later.score.rulebook == rulebook


def test_every_other_computed_measure(world, scored):
    """Each measure read from a meeting changed in memory (the finalised row is never edited)."""
    meeting = scored.meeting
    rulebook = rulebook_for(meeting.unit, meeting.date)

    def value(measure, **changes):
        for name, v in changes.items():
            setattr(meeting, name, v)
        return measures.measure(measure, measures.MeetingFacts(meeting, rulebook)).value

    assert value(Measure.DURATION_MINUTES) == 120.0
    assert value(Measure.DURATION_MET, actual_end=datetime.time(15, 29)) == 0.0  # 89 minutes
    assert value(Measure.DURATION_MET, kind=MeetingKind.COMBINED, actual_end=datetime.time(15, 59)) == 0.0
    assert value(Measure.DURATION_MET, actual_end=datetime.time(16, 0)) == 1.0  # 120 ≥ 120
    meeting.kind = MeetingKind.REGULAR
    assert value(Measure.STARTED_ON_TIME, actual_start=datetime.time(14, 5)) == 1.0
    assert value(Measure.STARTED_ON_TIME, actual_start=datetime.time(14, 6)) == 0.0
    assert value(Measure.HELD_BY_DEADLINE, date=datetime.date(2026, 10, 15)) == 1.0
    assert value(Measure.HELD_BY_DEADLINE, date=datetime.date(2026, 10, 16)) == 0.0
    assert value(Measure.HELD_BY_DEADLINE, kind=MeetingKind.THEMATIC) == 1.0  # no deadline day
    meeting.kind, meeting.date = MeetingKind.REGULAR, OCTOBER
    announced = timezone.make_aware(datetime.datetime(2026, 10, 4, 20, 0))
    assert value(Measure.ANNOUNCEMENT_LEAD_DAYS, announced_at=announced) == 1.0
    assert value(Measure.ANNOUNCED_IN_TIME) == 1.0
    assert value(Measure.ANNOUNCED_IN_TIME, announced_at=timezone.make_aware(
        datetime.datetime(2026, 10, 5, 7, 0))) == 0.0  # fmt: skip
    assert value(Measure.ANNOUNCED_IN_TIME, announced_at=None) == 0.0
    assert value(Measure.ATTENDANCE_RATE) == 100.0
    assert value(Measure.UNEXCUSED_ABSENCES) == 0.0
    assert value(Measure.UPPER_ATTENDEE_PRESENT) == 0.0
    open_minutes = recorded(world, NOVEMBER)  # guests join minutes still being recorded
    open_minutes.guests.create(name="Khách mời", is_upper_attendee=False)
    upper = measures.MeetingFacts(open_minutes, rulebook)
    assert measures.measure(Measure.UPPER_ATTENDEE_PRESENT, upper).value == 0.0
    open_minutes.guests.create(name="Bùi Quang Vinh", is_upper_attendee=True)
    assert measures.measure(Measure.UPPER_ATTENDEE_PRESENT, upper).value == 1.0
    assert value(Measure.PREPARATORY_HELD) == 0.0
    Meeting.objects.create(unit=world.a, province=world.p, kind=MeetingKind.PREPARATORY,
                           date=datetime.date(2026, 10, 1), start_time=datetime.time(8, 0),
                           place="Văn phòng", prepares=meeting)  # fmt: skip
    assert value(Measure.PREPARATORY_HELD) == 1.0


def test_attendance_counts_exempted_and_away_members_out(world, scored):
    meeting = scored.meeting
    rulebook = rulebook_for(meeting.unit, meeting.date)
    lines = list(meeting.attendance.all())
    facts = measures.MeetingFacts(meeting, rulebook)
    facts.lines = lines
    lines[0].presence = Presence.EXEMPT_ABSENT
    lines[1].presence = U
    facts.expected = [a for a in lines if a.presence != Presence.EXEMPT_ABSENT]
    assert measures.measure(Measure.ATTENDANCE_RATE, facts).value == 50.0  # 1 of 2 expected
    assert measures.measure(Measure.UNEXCUSED_ABSENCES, facts).value == 1.0
    assert measures.measure(Measure.ATTENDANCE_RATE_STRICT, facts).value == 0.0
