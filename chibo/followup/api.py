"""API routes for tasks from resolutions: list and read tasks, report progress, and record a
later meeting's decision on each task of earlier meetings.

Access: a task is visible to whoever sees the finalised minutes it comes from (404 otherwise).
Reports: the cell's secretary and clerk, the members the task is given to, and for a task of
the committee its members (403 for other readers). Decisions in a meeting: its secretary or
clerk while the minutes are open. A stale `version` answers 409 with the stored decision.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from chibo.accounts import selectors as account_selectors
from chibo.accounts import services as account_services
from chibo.accounts.access import Scope, scope_for
from chibo.accounts.models import Role
from chibo.meetings import selectors as meeting_selectors
from chibo.meetings import services as meeting_services
from chibo.meetings.api import EDIT, PersonRef, conflict_response
from chibo.meetings.models import Meeting
from chibo.meetings.services import EditConflict
from chibo.org import selectors as org_selectors
from chibo.org.api import CellRef, ErrorOut, ValidationErrorOut
from chibo.org.models import CELL_KINDS

from . import selectors, services
from .models import ReviewDecision, Task, TaskReview, TaskStatus

router = Router(tags=["tasks"])
STATES = ["active", "overdue", *TaskStatus.values]


class TaskOut(Schema):
    """A task from a resolution (nhiệm vụ được phân công) and where it stands."""

    id: int
    cell: CellRef
    meeting_id: int = Field(description="The meeting that assigned it.")
    assigned_on: datetime.date
    description: str
    assignees: list[PersonRef]
    to_committee: bool = Field(description="Given to the cell committee (chi ủy).")
    original_deadline: datetime.date = Field(description="The deadline set at the meeting.")
    deadline: datetime.date = Field(description="The deadline now (after carry-overs).")
    status: str = Field(description="Status: " + ", ".join(TaskStatus.values))
    status_label: str
    overdue: bool = Field(description="Still to be done and past its deadline (local date).")
    times_carried: int
    closed_on: datetime.date | None
    closing_note: str


class TaskPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[TaskOut]


class ReportIn(Schema):
    note: str = Field(description="What has been done.")
    done: bool = Field(False, description="The task is done (the next meeting confirms it).")


class ReportOut(Schema):
    id: int
    task: TaskOut
    note: str
    done: bool
    created_at: datetime.datetime


class ReviewOut(Schema):
    task: TaskOut
    needs_decision: bool = Field(description="Due by the meeting's date and still to be done.")
    decision: str | None = Field(description="Decision: " + ", ".join(ReviewDecision.values))
    new_deadline: datetime.date | None
    note: str
    version: int | None = Field(description="Send it with the next change of this decision.")


class ReviewIn(Schema):
    decision: ReviewDecision
    new_deadline: datetime.date | None = Field(None, description="Needed to carry over.")
    note: str = Field("", description="Assessment; the reason when the task is dropped.")
    version: int | None = Field(None, description="The version read; omit for a new decision.")


class TaskFilters(Schema):
    mine: bool = Field(False, description="Only the caller's own tasks (and their committee's).")
    cell: int | None = Field(None, description="Only this cell's tasks.")
    state: str = Field("", description="One of: " + ", ".join(STATES) + " (empty: all).")
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0)


def _task_out(task: Task, today: datetime.date) -> dict[str, Any]:
    return {
        "id": task.pk, "cell": task.cell, "meeting_id": task.meeting_id,
        "assigned_on": task.meeting.date, "description": task.description,
        "assignees": list(task.assignees.all()), "to_committee": task.to_committee,
        "original_deadline": task.original_deadline, "deadline": task.deadline,
        "status": task.status, "status_label": task.get_status_display(),
        "overdue": task.is_overdue(today), "times_carried": task.times_carried,
        "closed_on": task.closed_on, "closing_note": task.closing_note,
    }  # fmt: skip


def _task(request: HttpRequest, task_id: int) -> tuple[Scope, Task]:
    scope = scope_for(request.auth)
    return scope, selectors.get_task(scope, task_id)


@router.get("/tasks", response={200: TaskPage, 422: ValidationErrorOut}, summary="List tasks")
def task_list(request: HttpRequest, filters: Query[TaskFilters]):
    scope = scope_for(request.auth)
    if filters.state and filters.state not in STATES:
        raise ValidationError({"state": [_("Choose one of: %(states)s.")
                                         % {"states": ", ".join(STATES)}]})  # fmt: skip
    if filters.cell is not None:
        cell = org_selectors.get_unit(scope, filters.cell)
        tasks = selectors.cell_tasks(scope, cell, state=filters.state)
    else:
        tasks = selectors.my_tasks(scope) if filters.mine else selectors.visible_tasks(scope)
        tasks = selectors.filter_state(tasks, filters.state)
    if filters.mine and filters.cell is not None:
        tasks = tasks.filter(pk__in=selectors.my_tasks(scope).values("pk"))
    count = tasks.count()
    today = timezone.localdate()
    page = tasks.order_by("deadline", "id")[filters.offset : filters.offset + filters.limit]
    return {"count": count, "limit": filters.limit, "offset": filters.offset,
            "items": [_task_out(t, today) for t in page] if count else []}  # fmt: skip


@router.get("/tasks/{task_id}", response={200: TaskOut, 404: ErrorOut}, summary="Read a task")
def task_read(request: HttpRequest, task_id: int):
    _scope, task = _task(request, task_id)
    return _task_out(task, timezone.localdate())


@router.post(
    "/tasks/{task_id}/reports",
    response={201: ReportOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
    summary="Report progress on a task, or that it is done",
)
def task_report(request: HttpRequest, task_id: int, data: ReportIn):
    scope, task = _task(request, task_id)
    if not selectors.can_report(scope, task):
        raise PermissionDenied
    report = services.task_report(task=task, by=request.auth, note=data.note, done=data.done)
    _scope, task = _task(request, task_id)
    return Status(201, {"id": report.pk, "task": _task_out(task, timezone.localdate()),
                        "note": report.note, "done": report.done,
                        "created_at": report.created_at})  # fmt: skip


def _review_out(line: selectors.ReviewLine, today: datetime.date) -> dict[str, Any]:
    review = line.review
    return {
        "task": _task_out(line.task, today), "needs_decision": line.needs_decision,
        "decision": review.decision if review else None,
        "new_deadline": review.new_deadline if review else None,
        "note": review.note if review else "", "version": review.version if review else None,
    }  # fmt: skip


def _meeting(request: HttpRequest, meeting_id: int) -> tuple[Scope, Meeting]:
    scope = scope_for(request.auth)
    return scope, meeting_selectors.get_meeting(scope, meeting_id)


@router.get(
    "/meetings/{meeting_id}/task-reviews",
    response={200: list[ReviewOut], 404: ErrorOut},
    summary="The tasks of earlier meetings this meeting reviews, with its decisions",
)
def review_list(request: HttpRequest, meeting_id: int):
    _scope, meeting = _meeting(request, meeting_id)
    today = timezone.localdate()
    return [_review_out(line, today) for line in selectors.review_lines(meeting)]


def _review_line(request: HttpRequest, meeting_id: int, task_id: int):
    scope, meeting = _meeting(request, meeting_id)
    if not scope.can_record_meeting(meeting.unit):
        raise PermissionDenied
    line = next((li for li in selectors.review_lines(meeting) if li.task.pk == task_id), None)
    if line is None:
        raise Http404
    return meeting, line


@router.put(
    "/meetings/{meeting_id}/task-reviews/{task_id}",
    response={200: ReviewOut} | EDIT,
    summary="Record the meeting's decision on a task of an earlier meeting",
)
def review_put(request: HttpRequest, meeting_id: int, task_id: int, data: ReviewIn):
    """Done; under way (only before the deadline); carried over (with a new deadline after the
    meeting); or dropped (with the reason). It takes effect when the minutes are finalised."""
    meeting, line = _review_line(request, meeting_id, task_id)
    try:
        services.review_save(meeting=meeting, task=line.task, by=request.auth,
                             decision=data.decision.value, new_deadline=data.new_deadline,
                             note=data.note, version=data.version)  # fmt: skip
    except EditConflict as conflict:
        return conflict_response(conflict)
    meeting, line = _review_line(request, meeting_id, task_id)
    return _review_out(line, timezone.localdate())


@router.delete(
    "/meetings/{meeting_id}/task-reviews/{task_id}",
    response={204: None, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
    summary="Withdraw the meeting's decision on a task",
)
def review_delete(request: HttpRequest, meeting_id: int, task_id: int):
    meeting, line = _review_line(request, meeting_id, task_id)
    review = TaskReview.objects.filter(meeting=meeting, task=line.task).first()
    if review is None:
        raise Http404
    services.review_clear(review=review, by=request.auth)
    return Status(204, None)


# --- upper-level attendance -------------------------------------------------------------------
class FollowerOut(Schema):
    """A committee member following a cell (the attendee role), for a term."""

    id: int = Field(description="The grant's id.")
    username: str
    name: str
    cell: CellRef
    title: str = Field(description="Position as written in the minutes.")
    valid_until: datetime.date | None = Field(description="Last day; empty: no end.")


class FollowerIn(Schema):
    username: str
    cell: str = Field(description="The cell's code.")
    title: str = ""
    valid_until: datetime.date | None = None


class CoverageCellOut(Schema):
    cell: CellRef
    meetings_in_period: int = Field(description="Finalised meetings in the quarter.")
    covered: bool = Field(description="One of them had an upper-level attendee.")
    last_attended: datetime.date | None = Field(description="Last meeting ever attended.")


class CoverageOut(Schema):
    year: int
    quarter: int
    first: datetime.date
    last: datetime.date
    cells: int
    covered: int
    never: int
    count: int = Field(description="Cells matching `show`.")
    items: list[CoverageCellOut]


class CoverageFilters(Schema):
    year: int | None = Field(None, ge=2000, le=2100)
    quarter: int | None = Field(None, ge=1, le=4)
    show: str = Field("", description="'' (every cell), 'uncovered' or 'never'.")
    limit: int = Field(100, ge=1, le=1000)
    offset: int = Field(0, ge=0)


class FollowedCellOut(Schema):
    cell: CellRef
    title: str
    valid_until: datetime.date | None
    next_meeting_id: int | None
    next_meeting_date: datetime.date | None
    last_attended: datetime.date | None


def _managed_unit(request: HttpRequest, unit_id: int):
    scope = scope_for(request.auth)
    unit = org_selectors.get_unit(scope, unit_id)
    if not scope.can_manage_unit(unit):
        raise PermissionDenied
    return scope, unit


def _follower_out(grant) -> dict[str, Any]:
    return {"id": grant.pk, "username": grant.user.username, "name": grant.user.display_name,
            "cell": grant.unit, "title": grant.title, "valid_until": grant.valid_until}  # fmt: skip


@router.get(
    "/units/{unit_id}/followers",
    response={200: list[FollowerOut], 403: ErrorOut, 404: ErrorOut},
    summary="Who follows the cells under a unit (organisation board)",
)
def follower_list(request: HttpRequest, unit_id: int):
    _scope, unit = _managed_unit(request, unit_id)
    return [_follower_out(g) for g in selectors.followers(unit)]


@router.post(
    "/units/{unit_id}/followers",
    response={201: FollowerOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
    summary="Give a committee member a cell to follow",
)
def follower_add(request: HttpRequest, unit_id: int, data: FollowerIn):
    scope, unit = _managed_unit(request, unit_id)
    user = account_selectors.managed_users(scope).filter(username__iexact=data.username).first()
    cell = (
        org_selectors.visible_units(scope)
        .filter(
            path__startswith=unit.path,
            kind__in=CELL_KINDS,
            is_active=True,
            code=data.cell.strip().upper(),
        )  # fmt: skip
        .first()
    )
    errors = {}
    if user is None:
        errors["username"] = [_("No account with this username in your part of the tree.")]
    if cell is None:
        errors["cell"] = [_("No cell with this code under this unit.")]
    if errors:
        raise ValidationError(errors)
    grant = account_services.grant_create(user=user, role=Role.ATTENDEE, unit=cell,
                                          by=request.auth, scope=scope, title=data.title,
                                          valid_until=data.valid_until)  # fmt: skip
    return Status(201, _follower_out(grant))


@router.delete(
    "/units/{unit_id}/followers/{grant_id}",
    response={204: None, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
    summary="End a follow assignment",
)
def follower_end(request: HttpRequest, unit_id: int, grant_id: int):
    scope, unit = _managed_unit(request, unit_id)
    grant = selectors.followers(unit).filter(pk=grant_id).first()
    if grant is None:
        raise Http404
    account_services.grant_revoke(grant=grant, by=request.auth, scope=scope)
    return Status(204, None)


@router.get(
    "/units/{unit_id}/upper-attendance",
    response={200: CoverageOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
    summary="Which cells had an upper-level attendee in a quarter",
)
def coverage(request: HttpRequest, unit_id: int, filters: Query[CoverageFilters]):
    _scope, unit = _managed_unit(request, unit_id)
    if filters.show not in selectors.COVERAGE_FILTERS:
        raise ValidationError({"show": [_("Choose one of: %(states)s.")
                                        % {"states": "uncovered, never"}]})  # fmt: skip
    year, quarter = selectors.current_quarter()
    year, quarter = filters.year or year, filters.quarter or quarter
    first, last = selectors.quarter_bounds(year, quarter)
    totals = selectors.coverage_totals(unit, first=first, last=last)
    cells = selectors.coverage(unit, first=first, last=last, show=filters.show)
    count = cells.count()
    page = cells[filters.offset : filters.offset + filters.limit] if count else []
    return {
        "year": year, "quarter": quarter, "first": first, "last": last, "cells": totals.cells,
        "covered": totals.covered, "never": totals.never, "count": count,
        "items": [{"cell": c, "meetings_in_period": c.meetings_in_period or 0,
                   "covered": c.covered, "last_attended": c.last_attended} for c in page],
    }  # fmt: skip


@router.get("/attending", response=list[FollowedCellOut], summary="The cells I follow")
def attending(request: HttpRequest):
    return [
        {
            "cell": g.unit,
            "title": g.title,
            "valid_until": g.valid_until,
            "next_meeting_id": g.next_meeting.pk if g.next_meeting else None,
            "next_meeting_date": g.next_meeting.date if g.next_meeting else None,
            "last_attended": g.last_attended,
        }  # fmt: skip
        for g in selectors.followed_cells(request.auth)
    ]


@router.post(
    "/meetings/{meeting_id}/check-in",
    response={200: dict, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
    summary="The upper-level attendee records being present (on the day)",
)
def check_in(request: HttpRequest, meeting_id: int):
    scope, meeting = _meeting(request, meeting_id)
    if not scope.can_remark(meeting.unit):
        raise PermissionDenied
    guest = meeting_services.attendee_check_in(
        meeting=meeting, by=request.auth,
        position=meeting_selectors.attendee_position(request.auth, meeting.unit),
    )  # fmt: skip
    return {"guest_id": guest.pk, "name": guest.name, "position": guest.position}


# --- proposals --------------------------------------------------------------------------------
class ProposalStepOut(Schema):
    action: str = Field(description="sent, forwarded, answered or rejected")
    from_unit: CellRef
    to_unit: CellRef | None
    note: str
    at: datetime.datetime


class ProposalOut(Schema):
    """A cell's proposal (kiến nghị) and where it stands."""

    id: int
    cell: CellRef
    meeting_id: int | None
    title: str
    text: str
    status: str = Field(description="pending, answered or rejected")
    status_label: str
    current_unit: CellRef = Field(description="The level holding it (or that closed it).")
    due_on: datetime.date
    overdue: bool
    answer: str
    created_at: datetime.datetime
    version: int = Field(description="Send it with the next action.")


class ProposalDetailOut(ProposalOut):
    steps: list[ProposalStepOut]


class ProposalIn(Schema):
    title: str
    text: str
    meeting_id: int | None = None
    raised_by_id: int | None = Field(None, description="The member who raised it.")


class ProposalActionIn(Schema):
    text: str = Field(description="The answer, the note for the level above, or the reason.")
    version: int | None = None


class ProposalFilters(Schema):
    unit: int | None = Field(None, description="Proposals of the cells under this unit.")
    state: str = Field("", description="One of: " + ", ".join(selectors.PROPOSAL_STATES))
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0)


class ProposalPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[ProposalOut]


def _proposal_out(proposal, today: datetime.date) -> dict[str, Any]:
    return {
        "id": proposal.pk, "cell": proposal.cell, "meeting_id": proposal.meeting_id,
        "title": proposal.title, "text": proposal.text, "status": proposal.status,
        "status_label": proposal.get_status_display(), "current_unit": proposal.current_unit,
        "due_on": proposal.due_on,
        "overdue": proposal.status == "pending" and proposal.due_on < today,
        "answer": proposal.answer, "created_at": proposal.created_at, "version": proposal.version,
    }  # fmt: skip


def _proposal_detail(scope: Scope, pk: int) -> dict[str, Any]:
    proposal = selectors.get_proposal(scope, pk)
    steps = proposal.steps.select_related("from_unit", "to_unit")
    return _proposal_out(proposal, timezone.localdate()) | {
        "steps": [
            {
                "action": s.action,
                "from_unit": s.from_unit,
                "to_unit": s.to_unit,
                "note": s.note,
                "at": s.at,
            }
            for s in steps
        ]  # fmt: skip
    }


@router.get("/proposals", response={200: ProposalPage, 404: ErrorOut, 422: ValidationErrorOut},
            summary="List proposals")  # fmt: skip
def proposal_list(request: HttpRequest, filters: Query[ProposalFilters]):
    scope = scope_for(request.auth)
    if filters.state and filters.state not in selectors.PROPOSAL_STATES:
        raise ValidationError({"state": [_("Choose one of: %(states)s.")
                                         % {"states": ", ".join(selectors.PROPOSAL_STATES)}]})  # fmt: skip
    if filters.unit is not None:
        unit = org_selectors.get_unit(scope, filters.unit)
        proposals = selectors.unit_proposals(scope, unit, state=filters.state)
    else:
        proposals = selectors.visible_proposals(scope).order_by("-created_at", "-id")
    count = proposals.count()
    today = timezone.localdate()
    page = proposals[filters.offset : filters.offset + filters.limit] if count else []
    return {"count": count, "limit": filters.limit, "offset": filters.offset,
            "items": [_proposal_out(p, today) for p in page]}  # fmt: skip


@router.get("/proposals/{proposal_id}", response={200: ProposalDetailOut, 404: ErrorOut},
            summary="Read a proposal with its path")  # fmt: skip
def proposal_read(request: HttpRequest, proposal_id: int):
    return _proposal_detail(scope_for(request.auth), proposal_id)


@router.post(
    "/units/{unit_id}/proposals",
    response={201: ProposalDetailOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
    summary="Send a cell's proposal to the level above (the cell's secretary)",
)
def proposal_send(request: HttpRequest, unit_id: int, data: ProposalIn):
    scope = scope_for(request.auth)
    cell = org_selectors.get_unit(scope, unit_id)
    if not (cell.holds_members and scope.can_plan_meetings(cell)):
        raise PermissionDenied
    meeting = cell.meetings.filter(pk=data.meeting_id).first() if data.meeting_id else None
    raised_by = cell.members.filter(pk=data.raised_by_id).first() if data.raised_by_id else None
    if (data.meeting_id and meeting is None) or (data.raised_by_id and raised_by is None):
        raise ValidationError({"meeting_id" if data.meeting_id and meeting is None
                               else "raised_by_id": [_("Choose one of this cell's.")]})  # fmt: skip
    proposal = services.proposal_send(cell=cell, by=request.auth, title=data.title,
                                      text=data.text, meeting=meeting, raised_by=raised_by)  # fmt: skip
    return Status(201, _proposal_detail(scope, proposal.pk))


def _act(request: HttpRequest, proposal_id: int, action, field: str, data: ProposalActionIn):
    scope = scope_for(request.auth)
    proposal = selectors.get_proposal(scope, proposal_id)
    if not selectors.can_act_on_proposal(scope, proposal):
        raise PermissionDenied
    action(proposal=proposal, by=request.auth, version=data.version, **{field: data.text})
    return _proposal_detail(scope, proposal_id)


ACT = {200: ProposalDetailOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut}


@router.post("/proposals/{proposal_id}/answer", response=ACT, summary="Answer a proposal")
def proposal_answer(request: HttpRequest, proposal_id: int, data: ProposalActionIn):
    return _act(request, proposal_id, services.proposal_answer, "answer", data)


@router.post("/proposals/{proposal_id}/forward", response=ACT,
             summary="Forward a proposal to the level above, with a note")  # fmt: skip
def proposal_forward(request: HttpRequest, proposal_id: int, data: ProposalActionIn):
    return _act(request, proposal_id, services.proposal_forward, "note", data)


@router.post("/proposals/{proposal_id}/reject", response=ACT,
             summary="Reject a proposal, with the reason")  # fmt: skip
def proposal_reject(request: HttpRequest, proposal_id: int, data: ProposalActionIn):
    return _act(request, proposal_id, services.proposal_reject, "reason", data)


# --- inspections ------------------------------------------------------------------------------
class FixOut(Schema):
    id: int
    description: str
    deadline: datetime.date
    overdue: bool
    done_on: datetime.date | None
    done_note: str


class InspectionOut(Schema):
    """An inspection or supervision from a committee's annual plan."""

    id: int
    committee: CellRef
    target: CellRef = Field(description="The unit inspected.")
    year: int
    planned_month: int
    kind: str = Field(description="inspection or supervision")
    subject: str
    period_start: datetime.date
    period_end: datetime.date
    team: str
    findings: str
    conclusion: str
    notice_number: str
    status: str = Field(description="planned or concluded")
    concluded_on: datetime.date | None
    content_hash: str
    version: int
    fixes: list[FixOut]


class InspectionIn(Schema):
    target: str = Field(description="The code of the unit inspected.")
    kind: str = Field(description="inspection or supervision")
    subject: str
    planned_month: int = Field(ge=1, le=12)
    period_start: datetime.date
    period_end: datetime.date
    team: str = ""
    year: int | None = Field(None, ge=2000, le=2100, description="Plan year (default: this).")


class InspectionPatch(Schema):
    version: int
    team: str | None = None
    findings: str | None = None
    conclusion: str | None = None
    notice_number: str | None = None


class FixIn(Schema):
    description: str
    deadline: datetime.date


class FixDoneIn(Schema):
    note: str


def _inspection_out(scope: Scope, pk: int) -> dict[str, Any]:
    inspection = selectors.get_inspection(scope, pk)
    today = timezone.localdate()
    return {
        **{name: getattr(inspection, name) for name in (
            "committee", "target", "year", "planned_month", "kind", "subject", "period_start",
            "period_end", "team", "findings", "conclusion", "notice_number", "status",
            "concluded_on", "content_hash", "version")},
        "id": inspection.pk,
        "fixes": [{"id": f.pk, "description": f.description, "deadline": f.deadline,
                   "overdue": f.is_overdue(today), "done_on": f.done_on,
                   "done_note": f.done_note} for f in inspection.fixes.all()],
    }  # fmt: skip


INSPECTION_WRITE = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ValidationErrorOut}


@router.get("/units/{unit_id}/inspections", response={200: list[InspectionOut], 404: ErrorOut},
            summary="A committee's plan of inspections (and those of the unit itself)")  # fmt: skip
def inspection_list(request: HttpRequest, unit_id: int, year: int | None = None):
    scope = scope_for(request.auth)
    unit = org_selectors.get_unit(scope, unit_id)
    return [_inspection_out(scope, i.pk)
            for i in selectors.unit_inspections(scope, unit, year=year)]  # fmt: skip


@router.get("/inspections/{inspection_id}", response={200: InspectionOut, 404: ErrorOut},
            summary="Read an inspection")  # fmt: skip
def inspection_read(request: HttpRequest, inspection_id: int):
    return _inspection_out(scope_for(request.auth), inspection_id)


@router.post("/units/{unit_id}/inspections", response={201: InspectionOut} | INSPECTION_WRITE,
             summary="Add an inspection to a committee's plan (organisation board)")  # fmt: skip
def inspection_plan(request: HttpRequest, unit_id: int, data: InspectionIn):
    scope = scope_for(request.auth)
    committee = org_selectors.get_unit(scope, unit_id)
    if committee.holds_members or not scope.can_manage_unit(committee):
        raise PermissionDenied
    target = (org_selectors.visible_units(scope)
              .filter(code=data.target.strip().upper(), is_active=True).first())  # fmt: skip
    if target is None:
        raise ValidationError({"target": [_("No unit with this code under this committee.")]})
    fields = data.model_dump(exclude={"target", "year"})
    inspection = services.inspection_plan(committee=committee, by=request.auth, target=target,
                                          year=data.year or timezone.localdate().year, **fields)  # fmt: skip
    return Status(201, _inspection_out(scope, inspection.pk))


def _editable(request: HttpRequest, inspection_id: int):
    scope = scope_for(request.auth)
    inspection = selectors.get_inspection(scope, inspection_id)
    if not selectors.can_edit_inspection(scope, inspection):
        raise PermissionDenied
    return scope, inspection


@router.patch("/inspections/{inspection_id}", response={200: InspectionOut} | INSPECTION_WRITE,
              summary="Record the team, findings, conclusion and notice number")  # fmt: skip
def inspection_update(request: HttpRequest, inspection_id: int, data: InspectionPatch):
    scope, inspection = _editable(request, inspection_id)
    fields = {k: v for k, v in data.model_dump(exclude={"version"}).items() if v is not None}
    try:
        services.inspection_update(inspection=inspection, by=request.auth, version=data.version,
                                   **fields)  # fmt: skip
    except EditConflict as conflict:
        return Status(409, {"detail": str(conflict)})
    return _inspection_out(scope, inspection_id)


@router.post("/inspections/{inspection_id}/fixes", response={201: InspectionOut} | INSPECTION_WRITE,
             summary="Add a fix the conclusion requires")  # fmt: skip
def fix_add(request: HttpRequest, inspection_id: int, data: FixIn):
    scope, inspection = _editable(request, inspection_id)
    services.fix_add(inspection=inspection, by=request.auth, description=data.description,
                     deadline=data.deadline)  # fmt: skip
    return Status(201, _inspection_out(scope, inspection_id))


@router.post("/inspections/{inspection_id}/conclude",
             response={200: InspectionOut} | INSPECTION_WRITE,
             summary="Issue the conclusion notice (locks the record)")  # fmt: skip
def inspection_conclude(request: HttpRequest, inspection_id: int):
    scope, inspection = _editable(request, inspection_id)
    services.inspection_conclude(inspection=inspection, by=request.auth)
    return _inspection_out(scope, inspection_id)


@router.post("/inspections/{inspection_id}/fixes/{fix_id}/done",
             response={200: InspectionOut} | INSPECTION_WRITE,
             summary="Report a required fix done (the inspected unit's secretary)")  # fmt: skip
def fix_done(request: HttpRequest, inspection_id: int, fix_id: int, data: FixDoneIn):
    scope = scope_for(request.auth)
    inspection = selectors.get_inspection(scope, inspection_id)
    if not selectors.can_report_fix(scope, inspection):
        raise PermissionDenied
    fix = inspection.fixes.filter(pk=fix_id).first()
    if fix is None:
        raise Http404
    services.fix_done(fix=fix, by=request.auth, note=data.note)
    return _inspection_out(scope, inspection_id)
