"""Tasks from resolutions (issue 4, part 1): born when minutes are finalised, reviewed by the
next regular meeting (done, carried over, dropped — never silently), reported on by the people
who do them, overdue by the local date, counted per month."""

import datetime
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from chibo.core.models import AuditEntry
from chibo.followup import selectors, services
from chibo.followup.models import ReviewDecision, Task, TaskStatus
from chibo.meetings import checks, exporting
from chibo.meetings import services as meeting_services
from chibo.meetings.models import MeetingKind
from chibo.org.models import Position

from ..meetings.conftest import plan
from .conftest import DECEMBER, NOVEMBER, OCTOBER, finalise, recorded

pytestmark = pytest.mark.django_db


def secretary(world):
    return world.users["secretary_a"]


def review(world, meeting, task, decision, **extra):
    return services.review_save(meeting=meeting, task=task, by=secretary(world),
                                decision=decision, **extra)  # fmt: skip


def codes(meeting):
    return [p.code for p in checks.problems(meeting)[0]]


def messages_of(error: ValidationError) -> str:
    return " ".join(error.messages)


# --- born at finalisation ---------------------------------------------------------------------
def test_finalising_turns_every_assignment_into_a_task(world, october):
    tasks = list(Task.objects.filter(meeting=october))
    assignments = list(october.assignments.all())
    assert len(tasks) == len(assignments) == 1
    task = tasks[0]
    assert task.assignment == assignments[0]
    assert task.description == "Vận động thanh niên làm đường"
    assert list(task.assignees.all()) == [world.hoa]
    assert task.cell == world.a and task.province == world.p
    assert task.deadline == task.original_deadline == datetime.date(2026, 10, 30)
    assert task.status == TaskStatus.OPEN
    entry = AuditEntry.objects.get(action="task.create", object_id=str(task.pk))
    assert entry.unit_path == world.a.path and entry.changes["assignees"] == ["Đặng Thị Hoa"]


def test_unfinalised_minutes_make_no_task(world):
    recorded(world, OCTOBER)
    assert not Task.objects.exists()


# --- the next meeting reviews it --------------------------------------------------------------
def test_the_next_regular_meeting_cannot_be_finalised_without_a_decision(world, task):
    november = recorded(world, NOVEMBER)
    problem = next(p for p in checks.problems(november)[0] if p.code == "task-review")
    assert "Vận động thanh niên làm đường" in problem.message
    assert problem.anchor == "part-task-review"
    with pytest.raises(meeting_services.FinaliseRefused):
        finalise(world, november)
    assert Task.objects.get(pk=task.pk).status == TaskStatus.OPEN


def test_a_decision_of_done_closes_the_task_on_the_meetings_date(world, task):
    november = recorded(world, NOVEMBER)
    review(world, november, task, ReviewDecision.DONE, note="Đã làm xong 2 km đường.")
    assert "task-review" not in codes(november)
    assert Task.objects.get(pk=task.pk).status == TaskStatus.OPEN  # only once finalised
    finalise(world, november)
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE and task.closed_on == NOVEMBER
    assert task.closing_note == "Đã làm xong 2 km đường."
    entry = AuditEntry.objects.get(action="task.review", object_id=str(task.pk))
    assert entry.changes["status"] == ["open", "done"]
    # The task given in November is the one December reviews now.
    december = recorded(world, DECEMBER)
    assert [t.description for t in selectors.tasks_to_review(december)] == [
        "Vận động thanh niên làm đường"
    ]
    assert selectors.tasks_to_review(december).get().meeting_id == november.pk


def test_carrying_over_needs_a_new_deadline_after_the_meeting(world, task):
    november = recorded(world, NOVEMBER)
    with pytest.raises(ValidationError) as refused:
        review(world, november, task, ReviewDecision.CARRIED)
    assert "new_deadline" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        review(world, november, task, ReviewDecision.CARRIED, new_deadline=NOVEMBER)
    assert "new_deadline" in refused.value.message_dict
    review(world, november, task, ReviewDecision.CARRIED, new_deadline=datetime.date(2026, 11, 30),
           note="Chưa xong do mưa.")  # fmt: skip
    finalise(world, november)
    task.refresh_from_db()
    assert task.status == TaskStatus.CARRIED and task.times_carried == 1
    assert task.deadline == datetime.date(2026, 11, 30)
    assert task.original_deadline == datetime.date(2026, 10, 30)
    # Due again by December: December must decide again.
    december = recorded(world, DECEMBER)
    assert "task-review" in codes(december)
    assert task in selectors.unreviewed_due(december)


def test_dropping_needs_the_reason(world, task):
    november = recorded(world, NOVEMBER)
    with pytest.raises(ValidationError) as refused:
        review(world, november, task, ReviewDecision.DROPPED, note="   ")
    assert "note" in refused.value.message_dict
    review(world, november, task, ReviewDecision.DROPPED, note="Xã đã giao cho đoàn thanh niên.")
    finalise(world, november)
    task.refresh_from_db()
    assert task.status == TaskStatus.DROPPED and task.closing_note.startswith("Xã đã giao")


def test_under_way_only_before_the_deadline(world, task):
    november = recorded(world, NOVEMBER)
    with pytest.raises(ValidationError) as refused:
        review(world, november, task, ReviewDecision.UNDER_WAY)
    assert "30/10/2026" in messages_of(refused.value)
    # A task not yet due needs no decision, and "under way" is accepted for it.
    task.deadline = datetime.date(2026, 11, 20)
    task.save()
    assert "task-review" not in codes(november)
    review(world, november, task, ReviewDecision.UNDER_WAY, note="Đạt một nửa.")
    finalise(world, november)
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN and task.deadline == datetime.date(2026, 11, 20)


def test_a_thematic_meeting_reviews_nothing(world, task):
    thematic = plan(world, kind=MeetingKind.THEMATIC, day=NOVEMBER, topic="Học tập Bác")
    assert not selectors.tasks_to_review(thematic).exists()
    with pytest.raises(ValidationError):
        review(world, thematic, task, ReviewDecision.DONE)


def test_a_meeting_reviews_only_its_own_cells_earlier_tasks(world, task):
    other_cell = meeting_services.meeting_plan(
        unit=world.b, by=world.users["secretary_b"], kind=MeetingKind.REGULAR, date=NOVEMBER,
        start_time=datetime.time(8, 0), place="Hội trường",
    )  # fmt: skip
    with pytest.raises(ValidationError):
        services.review_save(meeting=other_cell, task=task, by=world.users["secretary_b"],
                             decision=ReviewDecision.DONE)  # fmt: skip
    earlier = plan(world, day=datetime.date(2026, 9, 20))  # before the task was given
    with pytest.raises(ValidationError):
        review(world, earlier, task, ReviewDecision.DONE)


def test_a_stale_version_is_refused_with_the_stored_decision(world, task):
    november = recorded(world, NOVEMBER)
    first = review(world, november, task, ReviewDecision.DONE)
    review(world, november, task, ReviewDecision.DROPPED, note="Không còn phù hợp.",
           version=first.version)  # fmt: skip
    with pytest.raises(meeting_services.EditConflict) as stale:
        review(world, november, task, ReviewDecision.DONE, version=first.version)
    assert stale.value.current["decision"] == ReviewDecision.DROPPED


def test_decisions_are_locked_with_the_minutes(world, task):
    november = recorded(world, NOVEMBER)
    saved = review(world, november, task, ReviewDecision.DONE)
    finalise(world, november)
    with pytest.raises(ValidationError) as refused:
        review(world, november, task, ReviewDecision.DROPPED, note="Muộn.")
    assert "finalised" in messages_of(refused.value) or "chốt" in messages_of(refused.value)
    with pytest.raises(ValidationError):
        services.review_clear(review=saved, by=secretary(world))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_postgresql_refuses_raw_sql_on_the_decisions_of_finalised_minutes(world, task):
    from django.db import IntegrityError, transaction

    november = recorded(world, NOVEMBER)
    saved = review(world, november, task, ReviewDecision.DONE)
    finalise(world, november)
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE followup_taskreview SET note = 'x' WHERE id = %s", [saved.pk])


def test_the_decisions_are_in_the_hash_and_the_printout(world, task):
    november = recorded(world, NOVEMBER)
    review(world, november, task, ReviewDecision.CARRIED, new_deadline=datetime.date(2026, 11, 30),
           note="Chưa xong do mưa.")  # fmt: skip
    november = finalise(world, november)
    content = meeting_services.minutes_content(november)
    assert content["parts"][0][0] == "task_reviews"
    assert "Vận động thanh niên làm đường" in content["parts"][0][2][0]
    # The hash still matches once the task moved on (its deadline changed, it was closed).
    services.task_report(task=Task.objects.get(pk=task.pk), by=secretary(world), note="Xong.",
                         done=True)  # fmt: skip
    assert november.content_hash == meeting_services.content_hash(
        meeting_services.minutes_content(november)
    )
    printed = exporting.export_context(november)
    evaluation = next(s for s in printed["sections"] if s["title"].startswith("Đánh giá"))
    assert "Vận động thanh niên làm đường" in evaluation["text"]
    assert "30/11/2026" in evaluation["text"] and "Chưa xong do mưa." in evaluation["text"]


# --- reports between meetings -----------------------------------------------------------------
def test_a_member_reports_the_task_done_and_the_next_meeting_confirms_it(world, task):
    report = services.task_report(task=task, by=world.users["member_a"], note="Đã vận động 12 "
                                  "đoàn viên tham gia.", done=True)  # fmt: skip
    task.refresh_from_db()
    assert report.done and task.status == TaskStatus.DONE and task.closed_on is not None
    november = recorded(world, NOVEMBER)
    # Shown to the meeting, without being required.
    assert task in selectors.tasks_to_review(november)
    assert "task-review" not in codes(november)
    review(world, november, task, ReviewDecision.DONE)
    finalise(world, november)
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE and task.closed_by == world.users["member_a"]


def test_the_meeting_can_reopen_a_task_reported_done(world, task):
    services.task_report(task=task, by=world.users["member_a"], note="Xong.", done=True)
    november = recorded(world, NOVEMBER)
    review(world, november, task, ReviewDecision.CARRIED, new_deadline=datetime.date(2026, 12, 1),
           note="Mới xong một nửa.")  # fmt: skip
    finalise(world, november)
    task.refresh_from_db()
    assert task.status == TaskStatus.CARRIED and task.closed_on is None


def test_reports_need_a_note_and_an_open_task(world, task):
    with pytest.raises(ValidationError) as refused:
        services.task_report(task=task, by=world.users["member_a"], note="  \n ")
    assert "note" in refused.value.message_dict
    services.task_report(task=task, by=world.users["member_a"], note="Đang làm.")
    assert Task.objects.get(pk=task.pk).status == TaskStatus.OPEN
    services.task_report(task=task, by=world.users["member_a"], note="Xong.", done=True)
    with pytest.raises(ValidationError):
        services.task_report(task=task, by=world.users["member_a"], note="Thêm.")
    assert AuditEntry.objects.filter(action="task.report", object_id=str(task.pk)).count() == 2


# --- overdue, mine, per month -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("utc", "overdue"),
    [
        # 30 Oct 23:59 in Hà Nội (UTC+7) is 16:59 UTC: the deadline day is not over.
        (datetime.datetime(2026, 10, 30, 16, 59, tzinfo=datetime.UTC), False),
        # 31 Oct 00:01 in Hà Nội is still 30 Oct in UTC: overdue already.
        (datetime.datetime(2026, 10, 30, 17, 1, tzinfo=datetime.UTC), True),
        # Across a month end.
        (datetime.datetime(2026, 11, 1, 0, 0, tzinfo=datetime.UTC), True),
    ],
)
def test_overdue_follows_the_local_date(world, task, utc, overdue):
    with mock.patch("django.utils.timezone.now", return_value=utc):
        from django.utils import timezone

        today = timezone.localdate()
        found = selectors.filter_state(Task.objects.all(), "overdue").exists()
    assert task.is_overdue(today) is overdue and found is overdue


def test_my_tasks_include_the_committees_for_its_members(world, october):
    meeting = recorded(world, NOVEMBER)
    committee_task = meeting_services.assignment_add(
        meeting=meeting, by=secretary(world), description="Chi ủy xây dựng kế hoạch quý I",
        assignees=[], deadline=datetime.date(2026, 12, 15), to_committee=True,
    )  # fmt: skip
    task = Task.objects.get(meeting=october)
    review(world, meeting, task, ReviewDecision.DONE)
    finalise(world, meeting)
    hoa_scope = _scope(world, "member_a")
    assert {t.description for t in selectors.my_tasks(hoa_scope)} == {
        "Vận động thanh niên làm đường"
    }
    world.ung.position = Position.SECRETARY
    world.ung.save()
    ung_scope = _scope(world, "secretary_a")
    assert committee_task.description in {t.description for t in selectors.my_tasks(ung_scope)}
    assert not selectors.my_tasks(_scope(world, "officer_c1")).exists()


def _scope(world, role):
    from chibo.accounts.access import scope_for

    user = world.users[role]
    user.__dict__.pop("_chibo_scope", None)
    return scope_for(user)


def test_completion_per_month_counts_by_the_deadline_set_at_the_meeting(world, october):
    november = recorded(world, NOVEMBER)
    # Decided in December: Việc 0 done, Việc 1 dropped, Việc 2 carried over, Việc 3 done.
    deadlines = [
        datetime.date(2026, 11, 30),  # last day of November
        datetime.date(2026, 11, 6),
        datetime.date(2026, 11, 15),
        datetime.date(2026, 12, 1),  # first day of December
    ]
    for i, deadline in enumerate(deadlines):
        meeting_services.assignment_add(meeting=november, by=secretary(world),
                                        description=f"Việc {i}", assignees=[world.hoa],
                                        deadline=deadline)  # fmt: skip
    review(world, november, Task.objects.get(meeting=october), ReviewDecision.DONE)
    finalise(world, november)
    december = recorded(world, DECEMBER)
    for task in selectors.tasks_to_review(december):
        decision = {"Việc 0": ReviewDecision.DONE, "Việc 1": ReviewDecision.DROPPED,
                    "Việc 3": ReviewDecision.DONE}.get(task.description)  # fmt: skip
        if decision:
            review(world, december, task, decision, note="Lý do: xã điều chỉnh kế hoạch.")
        else:  # Việc 2 and the task the November minutes gave Hoa
            review(world, december, task, ReviewDecision.CARRIED,
                   new_deadline=datetime.date(2026, 12, 31))  # fmt: skip
    finalise(world, december)
    months = {m.month: m for m in selectors.completion_by_month(
        world.a, months=3, today=datetime.date(2026, 12, 20))}  # fmt: skip
    assert list(months) == [datetime.date(2026, 10, 1), datetime.date(2026, 11, 1),
                            datetime.date(2026, 12, 1)]  # fmt: skip
    october_row, november_row, december_row = months.values()
    assert (october_row.due, october_row.done, october_row.done_on_time) == (1, 1, 0)
    # November: the original task of the November meeting (deadline 30/11), Việc 0, 1, 2.
    assert (november_row.due, november_row.done, november_row.dropped) == (4, 1, 1)
    assert november_row.rate == pytest.approx(1 / 3)
    assert (december_row.due, december_row.done) == (1, 1)
    assert december_row.done_on_time == 0  # closed on 7 December, after its 1 December
