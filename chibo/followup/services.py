"""Writes to tasks: one transaction each, audited.

Tasks are born when minutes are finalised (`on_meeting_finalised`): one per assignment. Later
regular meetings review the tasks of earlier ones (`review_save`, part of the later minutes);
the review takes effect when those minutes are finalised — done, carried over to a new
deadline, or dropped — so nothing is carried over silently. Between meetings the people who do
a task report progress or completion (`task_report`). Callers check access through `selectors`.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from chibo.core import audit
from chibo.core.text import normalize_paragraphs
from chibo.meetings.models import OPEN_STATUSES, REGULAR_KINDS, Meeting, MeetingStatus
from chibo.meetings.services import save_versioned

from . import selectors
from .models import ReviewDecision, Task, TaskReport, TaskReview, TaskStatus

NOTE_MAX_LENGTH = 2000


def _audit(task: Task, by, action: str, **changes) -> None:
    audit.record(actor=by, action=action, obj=task, unit_path=task.cell.path,
                 changes=changes)  # fmt: skip


# --- born at finalisation ---------------------------------------------------------------------
def on_meeting_finalised(sender, *, meeting: Meeting, by, **kwargs) -> None:
    """Receiver of `meetings.signals.meeting_finalised`, inside the finalising transaction."""
    _apply_reviews(meeting, by)
    _tasks_from_assignments(meeting, by)


def _tasks_from_assignments(meeting: Meeting, by) -> None:
    for assignment in meeting.assignments.prefetch_related("assignees"):
        task = Task.objects.create(
            province_id=meeting.province_id, cell=meeting.unit, meeting=meeting,
            assignment=assignment, description=assignment.description,
            to_committee=assignment.to_committee, original_deadline=assignment.deadline,
            deadline=assignment.deadline,
        )  # fmt: skip
        assignees = list(assignment.assignees.all())
        task.assignees.set(assignees)
        _audit(task, by, "task.create", meeting=meeting.pk, deadline=task.deadline,
               assignees=[m.full_name for m in assignees], to_committee=task.to_committee)  # fmt: skip


def _apply_reviews(meeting: Meeting, by) -> None:
    reviews = meeting.task_reviews.select_related("task__cell").order_by("task_id")
    for review in reviews:
        task = Task.objects.select_for_update().select_related("cell").get(pk=review.task_id)
        before = {"status": task.status, "deadline": task.deadline}
        if review.decision == ReviewDecision.UNDER_WAY:
            continue
        if review.decision == ReviewDecision.CARRIED:
            task.status, task.deadline = TaskStatus.CARRIED, review.new_deadline
            task.times_carried += 1
            task.closed_on, task.closing_note, task.closed_by = None, "", None
        elif review.decision == ReviewDecision.DONE and task.status == TaskStatus.DONE:
            continue  # reported done between meetings; the meeting confirms it
        else:
            task.status = (
                TaskStatus.DONE if review.decision == ReviewDecision.DONE else TaskStatus.DROPPED
            )
            task.closed_on = meeting.date
            task.closing_note = review.note or task.closing_note
            task.closed_by = by if getattr(by, "is_authenticated", False) else None
        task.version += 1
        task.save()
        _audit(task, by, "task.review", meeting=meeting.pk, decision=review.decision,
               status=[before["status"], task.status],
               deadline=[before["deadline"], task.deadline])  # fmt: skip


# --- reviews in a later meeting ---------------------------------------------------------------
def _require_reviewing(meeting: Meeting) -> None:
    if meeting.status == MeetingStatus.FINALISED:
        raise ValidationError(
            _("These minutes are finalised and locked. Add a signed addendum to correct them.")
        )
    if meeting.status not in OPEN_STATUSES:
        raise ValidationError(_("This meeting was cancelled."))
    if meeting.kind not in REGULAR_KINDS:
        raise ValidationError(_("The tasks of earlier meetings are reviewed in a regular meeting."))


@transaction.atomic
def review_save(
    *, meeting: Meeting, task: Task, by, decision: str, new_deadline: datetime.date | None = None,
    note: str = "", version: int | None = None,
) -> TaskReview:  # fmt: skip
    """Record what this meeting decides about a task of an earlier meeting (refused with the
    stored review, as `EditConflict`, when someone saved it since `version`)."""
    meeting = Meeting.objects.select_for_update().select_related("unit").get(pk=meeting.pk)
    _require_reviewing(meeting)
    if not selectors.tasks_to_review(meeting).filter(pk=task.pk).exists():
        raise ValidationError(_("This task is not one this meeting reviews."))
    note = normalize_paragraphs(note)
    errors: dict[str, list[str]] = {}
    if decision not in ReviewDecision.values:
        errors["decision"] = [_("Choose what the meeting decides: done, under way, carried "
                                "over or dropped.")]  # fmt: skip
    elif decision == ReviewDecision.UNDER_WAY and task.deadline <= meeting.date:
        errors["decision"] = [_("The deadline (%(deadline)s) has passed: say whether the task "
                                "is done, carried over to a new deadline or dropped.")
                              % {"deadline": task.deadline.strftime("%d/%m/%Y")}]  # fmt: skip
    elif decision == ReviewDecision.CARRIED:
        if new_deadline is None:
            errors["new_deadline"] = [_("Enter the new deadline.")]
        elif new_deadline <= meeting.date:
            errors["new_deadline"] = [_("The new deadline must be after the meeting.")]
    elif decision == ReviewDecision.DROPPED and not note:
        errors["note"] = [_("Say why the task is dropped.")]
    if len(note) > NOTE_MAX_LENGTH:
        errors["note"] = [_("The note is too long (at most %(n)s characters).")
                          % {"n": NOTE_MAX_LENGTH}]  # fmt: skip
    if errors:
        raise ValidationError(errors)
    if decision != ReviewDecision.CARRIED:
        new_deadline = None
    fields = {"decision": decision, "new_deadline": new_deadline, "note": note}
    review = TaskReview.objects.filter(meeting=meeting, task=task).first()
    if review is None:
        review = TaskReview.objects.create(meeting=meeting, task=task, **fields)
    else:
        review.version = save_versioned(TaskReview, review.pk, version, fields)
        review.refresh_from_db()
    audit.record(actor=by, action="task.review.save", obj=review, unit_path=meeting.unit.path,
                 changes={"meeting": meeting.pk, "task": task.pk, **fields})  # fmt: skip
    return review


@transaction.atomic
def review_clear(*, review: TaskReview, by) -> None:
    meeting = Meeting.objects.select_for_update().select_related("unit").get(pk=review.meeting_id)
    _require_reviewing(meeting)
    audit.record(actor=by, action="task.review.clear", obj=review, unit_path=meeting.unit.path,
                 changes={"meeting": meeting.pk, "task": review.task_id,
                          "decision": review.decision})  # fmt: skip
    review.delete()


# --- reports between meetings -----------------------------------------------------------------
@transaction.atomic
def task_report(*, task: Task, by, note: str, done: bool = False, member=None) -> TaskReport:
    """A progress report; with `done`, the report that the task is done (the next meeting
    confirms it in its review). `member`: who reports, when not the user's own member."""
    task = Task.objects.select_for_update().select_related("cell").get(pk=task.pk)
    if not task.is_active:
        raise ValidationError(
            _("This task is closed (%(status)s).") % {"status": task.get_status_display().lower()}
        )
    note = normalize_paragraphs(note)
    if not note:
        raise ValidationError({"note": [_("Write what has been done.")]})
    if len(note) > NOTE_MAX_LENGTH:
        raise ValidationError({"note": [_("The note is too long (at most %(n)s characters).")
                                        % {"n": NOTE_MAX_LENGTH}]})  # fmt: skip
    user = by if getattr(by, "is_authenticated", False) else None
    member = member or (user.member if user is not None else None)
    report = TaskReport.objects.create(task=task, author=user, member=member, note=note, done=done)
    if done:
        Task.objects.filter(pk=task.pk).update(
            status=TaskStatus.DONE, closed_on=timezone.localdate(), closing_note=note,
            closed_by=user, version=F("version") + 1,
        )  # fmt: skip
    _audit(task, by, "task.report", report=report.pk, note=note, done=done,
           status=[task.status, TaskStatus.DONE if done else task.status])  # fmt: skip
    return report
