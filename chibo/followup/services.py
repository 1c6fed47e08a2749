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
from chibo.core.text import normalize, normalize_paragraphs
from chibo.meetings import services as meeting_services
from chibo.meetings.models import OPEN_STATUSES, REGULAR_KINDS, Meeting, MeetingStatus
from chibo.meetings.services import save_versioned
from chibo.org.models import Member, Unit
from chibo.org.services import province_of
from chibo.rulebooks.selectors import rulebook_for

from . import selectors
from .models import (
    Fix,
    Inspection,
    InspectionKind,
    InspectionStatus,
    Proposal,
    ProposalAction,
    ProposalStatus,
    ProposalStep,
    ReviewDecision,
    Task,
    TaskReport,
    TaskReview,
    TaskStatus,
)
from .signals import proposal_closed

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


# --- proposals (kiến nghị) --------------------------------------------------------------------
PROPOSAL_TITLE_MAX = 255
PROPOSAL_TEXT_MAX = 10_000


def _due(unit, today: datetime.date) -> datetime.date:
    return today + datetime.timedelta(days=rulebook_for(unit, today).proposal_answer_days)


def _proposal_audit(proposal: Proposal, by, action: str, **changes) -> None:
    audit.record(actor=by, action=action, obj=proposal, unit_path=proposal.cell.path,
                 changes=changes)  # fmt: skip


def _user(by):
    return by if getattr(by, "is_authenticated", False) else None


@transaction.atomic
def proposal_send(*, cell: Unit, by, title: str, text: str, meeting: Meeting | None = None,
                  raised_by: Member | None = None) -> Proposal:  # fmt: skip
    """A cell's proposal, sent to the level above it."""
    title, text = normalize(title), normalize_paragraphs(text)
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = [_("Give the proposal a short subject.")]
    elif len(title) > PROPOSAL_TITLE_MAX:
        errors["title"] = [_("The subject is too long (at most %(n)s characters).")
                           % {"n": PROPOSAL_TITLE_MAX}]  # fmt: skip
    if not text:
        errors["text"] = [_("Write the proposal.")]
    elif len(text) > PROPOSAL_TEXT_MAX:
        errors["text"] = [_("The proposal is too long (at most %(n)s characters).")
                          % {"n": PROPOSAL_TEXT_MAX}]  # fmt: skip
    if meeting is not None and meeting.unit_id != cell.pk:
        errors["meeting"] = [_("Choose a meeting of this cell.")]
    if raised_by is not None and raised_by.cell_id != cell.pk:
        errors["raised_by"] = [_("Choose a member of this cell.")]
    parent = Unit.objects.get_parent(cell)
    if parent is None:
        errors["__all__"] = [_("This unit has no level above to send a proposal to.")]
    if errors:
        raise ValidationError(errors)
    today = timezone.localdate()
    proposal = Proposal.objects.create(
        province=province_of(cell), cell=cell, meeting=meeting, raised_by=raised_by,
        title=title, text=text, current_unit=parent, due_on=_due(parent, today),
        created_by=_user(by),
    )  # fmt: skip
    ProposalStep.objects.create(proposal=proposal, action=ProposalAction.SENT, from_unit=cell,
                                to_unit=parent, by=_user(by))  # fmt: skip
    _proposal_audit(proposal, by, "proposal.send", title=title, to=parent.code,
                    due_on=proposal.due_on)  # fmt: skip
    return proposal


def _pending(proposal: Proposal, version: int | None) -> Proposal:
    locked = (
        Proposal.objects.select_for_update().select_related("cell", "current_unit")
        .get(pk=proposal.pk)
    )  # fmt: skip
    if locked.status != ProposalStatus.PENDING:
        raise ValidationError(_("This proposal is already closed (%(status)s).")
                              % {"status": locked.get_status_display().lower()})  # fmt: skip
    if version is not None and locked.version != version:
        raise ValidationError(_("Someone else acted on this proposal meanwhile. Reload the page "
                                "to see what changed."))  # fmt: skip
    return locked


def _required(value: str, field: str, message: str) -> str:
    value = normalize_paragraphs(value)
    if not value:
        raise ValidationError({field: [message]})
    if len(value) > PROPOSAL_TEXT_MAX:
        raise ValidationError({field: [_("The text is too long (at most %(n)s characters).")
                                       % {"n": PROPOSAL_TEXT_MAX}]})  # fmt: skip
    return value


@transaction.atomic
def proposal_forward(*, proposal: Proposal, by, note: str, version: int | None = None) -> Proposal:
    """Beyond this level's authority: "tiếp thu, ghi nhận … báo cáo cấp có thẩm quyền"."""
    proposal = _pending(proposal, version)
    note = _required(note, "note", _("Say why it goes up and what this level has done."))
    to = Unit.objects.get_parent(proposal.current_unit)
    if to is None:
        raise ValidationError(_("There is no level above: answer the proposal or reject it."))
    step_from = proposal.current_unit
    proposal.current_unit, proposal.due_on = to, _due(to, timezone.localdate())
    proposal.version += 1
    proposal.save(update_fields=["current_unit", "due_on", "version"])
    ProposalStep.objects.create(proposal=proposal, action=ProposalAction.FORWARDED,
                                from_unit=step_from, to_unit=to, note=note, by=_user(by))  # fmt: skip
    _proposal_audit(proposal, by, "proposal.forward", current_unit=[step_from.code, to.code],
                    note=note, due_on=proposal.due_on)  # fmt: skip
    return proposal


def _close(proposal: Proposal, by, status: str, action: str, text: str) -> Proposal:
    proposal.status, proposal.answer, proposal.closed_at = status, text, timezone.now()
    proposal.version += 1
    proposal.save(update_fields=["status", "answer", "closed_at", "version"])
    ProposalStep.objects.create(proposal=proposal, action=action,
                                from_unit=proposal.current_unit, note=text, by=_user(by))  # fmt: skip
    _proposal_audit(proposal, by, f"proposal.{action}", status=["pending", status], answer=text)
    proposal_closed.send(sender=Proposal, proposal=proposal)
    return proposal


@transaction.atomic
def proposal_answer(*, proposal: Proposal, by, answer: str, version: int | None = None
                    ) -> Proposal:  # fmt: skip
    proposal = _pending(proposal, version)
    answer = _required(answer, "answer", _("Write the answer."))
    return _close(proposal, by, ProposalStatus.ANSWERED, ProposalAction.ANSWERED, answer)


@transaction.atomic
def proposal_reject(*, proposal: Proposal, by, reason: str, version: int | None = None
                    ) -> Proposal:  # fmt: skip
    proposal = _pending(proposal, version)
    reason = _required(reason, "reason", _("Give the reason for rejecting it."))
    return _close(proposal, by, ProposalStatus.REJECTED, ProposalAction.REJECTED, reason)


# --- inspections ------------------------------------------------------------------------------
INSPECTION_FIELDS = ("subject", "planned_month", "period_start", "period_end", "team",
                     "findings", "conclusion", "notice_number")  # fmt: skip


def _inspection_audit(inspection: Inspection, by, action: str, **changes) -> None:
    audit.record(actor=by, action=action, obj=inspection, unit_path=inspection.target.path,
                 changes=changes)  # fmt: skip


def _check_inspection(data: dict) -> dict:
    errors: dict[str, list[str]] = {}
    for name in ("subject", "notice_number"):
        if name in data:
            data[name] = normalize(data[name])
    for name in ("team", "findings", "conclusion"):
        if name in data:
            data[name] = normalize_paragraphs(data[name])
    if "subject" in data and not data["subject"]:
        errors["subject"] = [_("Say what is inspected or supervised.")]
    month = data.get("planned_month")
    if month is not None and not 1 <= month <= 12:
        errors["planned_month"] = [_("Choose a month from 1 to 12.")]
    start, end = data.get("period_start"), data.get("period_end")
    if start and end and start > end:
        errors["period_end"] = [_("The period cannot end before it starts.")]
    if errors:
        raise ValidationError(errors)
    return data


@transaction.atomic
def inspection_plan(*, committee: Unit, by, year: int, target: Unit, kind: str, subject: str,
                    planned_month: int, period_start: datetime.date, period_end: datetime.date,
                    team: str = "") -> Inspection:  # fmt: skip
    """Add an inspection or supervision to the committee's plan for the year."""
    errors: dict[str, list[str]] = {}
    if committee.holds_members:
        errors["__all__"] = [_("A committee keeps the plan of inspections, not a cell.")]
    if not (target.path.startswith(committee.path) and target.pk != committee.pk):
        errors["target"] = [_("Choose a unit under %(committee)s.") % {"committee": committee.name}]
    if kind not in InspectionKind.values:
        errors["kind"] = [_("Choose inspection or supervision.")]
    if errors:
        raise ValidationError(errors)
    data = _check_inspection({"subject": subject, "planned_month": planned_month,
                              "period_start": period_start, "period_end": period_end,
                              "team": team})  # fmt: skip
    inspection = Inspection.objects.create(province=province_of(committee), committee=committee,
                                           year=year, target=target, kind=kind,
                                           created_by=_user(by), **data)  # fmt: skip
    _inspection_audit(inspection, by, "inspection.plan", year=year, target=target.code,
                      kind=kind, subject=data["subject"])  # fmt: skip
    return inspection


def _require_planned(inspection: Inspection) -> None:
    if inspection.status == InspectionStatus.CONCLUDED:
        raise ValidationError(_("The conclusion has been issued: it can no longer be changed."))


@transaction.atomic
def inspection_update(*, inspection: Inspection, by, version: int | None = None, **fields
                      ) -> Inspection:  # fmt: skip
    """Record the team, the findings, the conclusion and the notice number as the work goes."""
    _require_planned(inspection)
    unknown = set(fields) - set(INSPECTION_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    data = _check_inspection(dict(fields))
    merged = {n: data.get(n, getattr(inspection, n)) for n in ("period_start", "period_end")}
    _check_inspection(merged)
    inspection.version = save_versioned(Inspection, inspection.pk, version, data)
    for name, value in data.items():
        setattr(inspection, name, value)
    _inspection_audit(inspection, by, "inspection.update", **data)
    return inspection


@transaction.atomic
def fix_add(*, inspection: Inspection, by, description: str, deadline: datetime.date) -> Fix:
    _require_planned(inspection)
    description = normalize_paragraphs(description)
    errors = {}
    if not description:
        errors["description"] = [_("Say what must be fixed.")]
    if deadline is None:
        errors["deadline"] = [_("Enter the deadline.")]
    elif deadline < inspection.period_end:
        errors["deadline"] = [_("The deadline cannot be before the end of the period inspected.")]
    if errors:
        raise ValidationError(errors)
    fix = Fix.objects.create(inspection=inspection, description=description, deadline=deadline)
    _inspection_audit(inspection, by, "inspection.fix_add", fix=fix.pk, description=description,
                      deadline=deadline)  # fmt: skip
    return fix


@transaction.atomic
def fix_remove(*, fix: Fix, by) -> None:
    _require_planned(fix.inspection)
    _inspection_audit(fix.inspection, by, "inspection.fix_remove", description=fix.description)
    fix.delete()


def notice_content(inspection: Inspection) -> dict:
    """What the conclusion notice says, as plain data: what its content hash covers."""
    return {
        "inspection": inspection.pk, "committee": inspection.committee.code,
        "target": inspection.target.code, "kind": inspection.kind,
        "number": inspection.notice_number, "subject": inspection.subject,
        "period": [inspection.period_start.isoformat(), inspection.period_end.isoformat()],
        "team": inspection.team, "findings": inspection.findings,
        "conclusion": inspection.conclusion,
        "fixes": [[f.description, f.deadline.isoformat()] for f in inspection.fixes.all()],
        "concluded_on": inspection.concluded_on.isoformat() if inspection.concluded_on else None,
    }  # fmt: skip


@transaction.atomic
def inspection_conclude(*, inspection: Inspection, by) -> Inspection:
    """Issue the conclusion notice: the record is locked and carries a content hash; the fixes
    it requires are tracked from now on."""
    inspection = Inspection.objects.select_for_update().select_related(
        "committee", "target").get(pk=inspection.pk)  # fmt: skip
    _require_planned(inspection)
    missing = {
        "team": _("Record the team."),
        "findings": _("Record the findings."),
        "conclusion": _("Write the conclusion."),
        "notice_number": _("Enter the number of the notice (for example 05-TB/ĐU)."),
    }
    errors = {name: [message] for name, message in missing.items()
              if not getattr(inspection, name).strip()}  # fmt: skip
    if errors:
        raise ValidationError(errors)
    inspection.status = InspectionStatus.CONCLUDED
    inspection.concluded_on = timezone.localdate()
    inspection.content_hash = meeting_services.content_hash(notice_content(inspection))
    inspection.version += 1
    inspection.save()
    _inspection_audit(inspection, by, "inspection.conclude", number=inspection.notice_number,
                      hash=inspection.content_hash)  # fmt: skip
    return inspection


@transaction.atomic
def fix_done(*, fix: Fix, by, note: str) -> Fix:
    fix = Fix.objects.select_for_update().select_related("inspection__target").get(pk=fix.pk)
    if fix.inspection.status != InspectionStatus.CONCLUDED:
        raise ValidationError(_("Fixes are reported once the conclusion has been issued."))
    if fix.done_on is not None:
        raise ValidationError(_("This fix is already reported done."))
    note = normalize_paragraphs(note)
    if not note:
        raise ValidationError({"note": [_("Say how it was fixed.")]})
    fix.done_on, fix.done_note, fix.done_by = timezone.localdate(), note, _user(by)
    fix.save(update_fields=["done_on", "done_note", "done_by"])
    _inspection_audit(fix.inspection, by, "inspection.fix_done", fix=fix.pk, note=note)
    return fix
