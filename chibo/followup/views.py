"""Pages of tasks: the member's own, a cell's (with completion per month), one task with its
history and the report form, and the review of earlier tasks on a meeting's recording screen.
Thin: parse, call a selector or a service, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chibo.accounts import selectors as account_selectors
from chibo.accounts import services as account_services
from chibo.accounts.access import scope_for
from chibo.accounts.models import Role
from chibo.meetings import selectors as meeting_selectors
from chibo.meetings.models import OPEN_STATUSES, MeetingStatus
from chibo.meetings.services import EditConflict
from chibo.org import selectors as org_selectors
from chibo.org.forms import apply_service_errors, run_form
from chibo.org.models import CELL_KINDS, Member

from . import selectors, services
from .forms import (
    CoverageForm,
    FollowerForm,
    ProposalActionForm,
    ProposalFilterForm,
    ProposalForm,
    ReportForm,
    ReviewForm,
    TaskFilterForm,
)
from .models import TaskReview

TASKS_PER_PAGE = 50


def _htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


# --- tasks ------------------------------------------------------------------------------------
@login_required
@require_GET
def my_tasks(request):
    scope = scope_for(request.user)
    tasks = list(selectors.my_tasks(scope))
    active = [t for t in tasks if t.is_active]
    closed = sorted((t for t in tasks if not t.is_active),
                    key=lambda t: (t.closed_on or t.deadline), reverse=True)  # fmt: skip
    return render(request, "followup/my_tasks.html", {
        "active": active, "closed": closed[:20], "today": timezone.localdate(),
        "has_member": scope.member_id is not None,
    })  # fmt: skip


@login_required
@require_GET
def cell_tasks(request, pk: int):
    scope = scope_for(request.user)
    cell = org_selectors.get_unit(scope, pk)
    if not cell.holds_members:
        raise Http404
    form = TaskFilterForm(request.GET or None)
    state = form.cleaned_data["state"] if form.is_valid() else ""
    page = Paginator(selectors.cell_tasks(scope, cell, state=state), TASKS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "followup/cell_tasks.html", {
        "unit": cell, "form": form, "state": state, "page": page, "today": timezone.localdate(),
        "completion": selectors.completion_by_month(cell),
        "ancestors": [*org_selectors.visible_ancestors(scope, cell), cell],
    })  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def task_detail(request, pk: int):
    scope = scope_for(request.user)
    task = selectors.get_task(scope, pk)
    can_report = selectors.can_report(scope, task)
    if request.method == "POST" and not can_report:
        raise PermissionDenied
    form = ReportForm(request.POST or None)
    report = run_form(request, form, lambda d: services.task_report(
        task=task, by=request.user, note=d["note"], done=d["done"]))  # fmt: skip
    if report:
        messages.success(request, _("Reported: the task is done.") if report.done
                         else _("Progress reported."))  # fmt: skip
        return redirect("task_detail", pk=task.pk)
    reports, reviews = selectors.task_history(task)
    return render(request, "followup/task_detail.html", {
        "task": task, "form": form, "can_report": can_report, "reports": reports,
        "reviews": reviews, "today": timezone.localdate(), "people": selectors.people(task),
        "ancestors": [*org_selectors.visible_ancestors(scope, task.cell), task.cell],
    }, status=422 if request.method == "POST" else 200)  # fmt: skip


# --- the review in a later meeting ------------------------------------------------------------
def _review_context(scope, meeting) -> dict:
    return {
        "meeting": meeting,
        "lines": selectors.review_lines(meeting),
        "can_edit": scope.can_record_meeting(meeting.unit) and meeting.status in OPEN_STATUSES,
    }


@login_required
@require_GET
def meeting_task_reviews(request, pk: int):
    """The review panel of the recording screen (htmx), or a page of its own without htmx."""
    scope = scope_for(request.user)
    meeting = meeting_selectors.get_meeting(scope, pk)
    context = _review_context(scope, meeting)
    if _htmx(request):
        return render(request, "followup/_review_panel.html", context)
    ancestors = [*org_selectors.visible_ancestors(scope, meeting.unit), meeting.unit]
    return render(request, "followup/review_page.html", context | {"ancestors": ancestors})


@login_required
@require_POST
def meeting_task_review_save(request, pk: int, task_pk: int):
    """Save the meeting's decision on one task. With htmx the answer is the row: saved (200),
    refused (422) or, when someone saved it first, their version with this user's kept (409)."""
    scope = scope_for(request.user)
    meeting = meeting_selectors.get_meeting(scope, pk)
    if not scope.can_record_meeting(meeting.unit):
        raise PermissionDenied
    line = next((li for li in selectors.review_lines(meeting) if li.task.pk == task_pk), None)
    if line is None:
        raise Http404
    form = ReviewForm(request.POST)
    status, conflict = 422, False
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.review_save(meeting=meeting, task=line.task, by=request.user,
                                 decision=data["decision"], new_deadline=data["new_deadline"],
                                 note=data["note"], version=data["version"])  # fmt: skip
        except EditConflict as stale:
            status, conflict = 409, True
            form.data = form.data.copy()
            form.data["version"] = stale.version
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            status, form = 200, None
            if not _htmx(request):
                messages.success(request, _("The decision on the task is saved."))
                return redirect(reverse("meeting_record", args=[meeting.pk]) + "#part-task-review")
    line.review = TaskReview.objects.filter(meeting=meeting, task=line.task).first()
    context = {"line": line, "meeting": meeting, "can_edit": True, "form": form,
               "conflict": conflict}  # fmt: skip
    if _htmx(request):
        return render(request, "followup/_review_row.html", context, status=status)
    context = _review_context(scope, meeting) | {
        "ancestors": [*org_selectors.visible_ancestors(scope, meeting.unit), meeting.unit],
        "failed": context,
    }  # fmt: skip
    return render(request, "followup/review_page.html", context, status=status)


# --- upper-level attendance -------------------------------------------------------------------
COVERAGE_PER_PAGE = 100


def _managed_unit(request, pk: int):
    scope = scope_for(request.user)
    unit = org_selectors.get_unit(scope, pk)
    if not scope.can_manage_unit(unit):
        raise PermissionDenied
    return scope, unit


@login_required
@require_http_methods(["GET", "POST"])
def upper_attendance(request, pk: int):
    """For an organisation board: who follows which cell, giving a cell to follow, and which
    cells had an upper-level attendee in a quarter."""
    scope, unit = _managed_unit(request, pk)
    cells = org_selectors.visible_units(scope).filter(
        path__startswith=unit.path, kind__in=CELL_KINDS, is_active=True
    )
    form = FollowerForm(request.POST or None, users=account_selectors.managed_users(scope),
                        cells=cells)  # fmt: skip
    grant = run_form(request, form, lambda d: account_services.grant_create(
        user=d["username"], role=Role.ATTENDEE, unit=d["cell"], by=request.user, scope=scope,
        valid_until=d["valid_until"], title=d["title"]))  # fmt: skip
    if grant:
        messages.success(request, _("%(name)s now follows %(cell)s.")
                         % {"name": grant.user.display_name, "cell": grant.unit.name})  # fmt: skip
        return redirect("upper_attendance", pk=unit.pk)
    filters = CoverageForm(request.GET or None)
    year, quarter = selectors.current_quarter()
    show = ""
    if filters.is_valid():
        year = filters.cleaned_data["year"] or year
        quarter = filters.cleaned_data["quarter"] or quarter
        show = filters.cleaned_data["show"]
    first, last = selectors.quarter_bounds(year, quarter)
    page = Paginator(selectors.coverage(unit, first=first, last=last, show=show),
                     COVERAGE_PER_PAGE).get_page(request.GET.get("page"))  # fmt: skip
    return render(request, "followup/upper_attendance.html", {
        "unit": unit, "form": form, "filters": filters, "page": page, "year": year,
        "quarter": quarter, "show": show, "first": first, "last": last,
        "totals": selectors.coverage_totals(unit, first=first, last=last),
        "followers": list(selectors.followers(unit)),
        "ancestors": [*org_selectors.visible_ancestors(scope, unit), unit],
    }, status=422 if request.method == "POST" else 200)  # fmt: skip


@login_required
@require_POST
def upper_attendance_end(request, pk: int, grant_pk: int):
    scope, unit = _managed_unit(request, pk)
    grant = selectors.followers(unit).filter(pk=grant_pk).first()
    if grant is None:
        raise Http404
    try:
        account_services.grant_revoke(grant=grant, by=request.user, scope=scope)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("%(name)s no longer follows %(cell)s.")
                         % {"name": grant.user.display_name, "cell": grant.unit.name})  # fmt: skip
    return redirect("upper_attendance", pk=unit.pk)


@login_required
@require_GET
def attending(request):
    """For the upper-level attendee: the cells they follow, each with its next meeting."""
    return render(request, "followup/attending.html", {
        "grants": selectors.followed_cells(request.user), "today": timezone.localdate(),
    })  # fmt: skip


# --- proposals --------------------------------------------------------------------------------
PROPOSALS_PER_PAGE = 50
RECENT_MEETINGS = 12


@login_required
@require_http_methods(["GET", "POST"])
def unit_proposals(request, pk: int):
    """A unit's proposals: those of its cells with where each stands; the cell's secretary
    sends new ones; an organisation board sees the open ones of each unit below by age."""
    scope = scope_for(request.user)
    unit = org_selectors.get_unit(scope, pk)
    can_send = unit.holds_members and scope.can_plan_meetings(unit)
    form = None
    if can_send:
        meetings = unit.meetings.filter(status=MeetingStatus.FINALISED).order_by("-date")
        form = ProposalForm(request.POST or None, meetings=meetings[:RECENT_MEETINGS],
                            members=Member.active.filter(cell=unit))  # fmt: skip
    elif request.method == "POST":
        raise PermissionDenied
    if form is not None:
        proposal = run_form(request, form, lambda d: services.proposal_send(
            cell=unit, by=request.user, title=d["title"], text=d["text"],
            meeting=unit.meetings.filter(pk=d["meeting"]).first() if d["meeting"] else None,
            raised_by=Member.active.filter(cell=unit, pk=d["raised_by"]).first()
            if d["raised_by"] else None,
        ))  # fmt: skip
        if proposal:
            messages.success(request, _("The proposal is sent to %(unit)s.")
                             % {"unit": proposal.current_unit.name})  # fmt: skip
            return redirect("proposal_detail", pk=proposal.pk)
    filters = ProposalFilterForm(request.GET or None)
    state = filters.cleaned_data["state"] if filters.is_valid() else ""
    page = Paginator(selectors.unit_proposals(scope, unit, state=state),
                     PROPOSALS_PER_PAGE).get_page(request.GET.get("page"))  # fmt: skip
    return render(request, "followup/proposals.html", {
        "unit": unit, "form": form, "filters": filters, "state": state, "page": page,
        "today": timezone.localdate(),
        "by_child": [] if unit.holds_members else selectors.open_proposals_by_child(scope, unit),
        "ancestors": [*org_selectors.visible_ancestors(scope, unit), unit],
    }, status=422 if request.method == "POST" else 200)  # fmt: skip


PROPOSAL_ACTIONS = {
    "answer": (services.proposal_answer, "answer", _("The answer is sent to the cell.")),
    "forward": (services.proposal_forward, "note", _("The proposal is forwarded up.")),
    "reject": (services.proposal_reject, "reason", _("The proposal is rejected.")),
}


@login_required
@require_http_methods(["GET", "POST"])
def proposal_detail(request, pk: int):
    scope = scope_for(request.user)
    proposal = selectors.get_proposal(scope, pk)
    can_act = selectors.can_act_on_proposal(scope, proposal)
    if request.method == "POST" and not can_act:
        raise PermissionDenied
    form = ProposalActionForm(request.POST or None, initial={"version": proposal.version})
    if request.method == "POST" and form.is_valid():
        action, field, done = PROPOSAL_ACTIONS[form.cleaned_data["action"]]
        try:
            action(proposal=proposal, by=request.user, version=form.cleaned_data["version"],
                   **{field: form.cleaned_data["text"]})  # fmt: skip
        except ValidationError as error:
            form.add_error("text" if hasattr(error, "error_dict") else None,
                           list(error.messages))  # fmt: skip
        else:
            messages.success(request, done)
            return redirect("proposal_detail", pk=proposal.pk)
    steps = list(proposal.steps.select_related("from_unit", "to_unit", "by__member"))
    return render(request, "followup/proposal_detail.html", {
        "proposal": proposal, "steps": steps, "can_act": can_act, "form": form,
        "can_forward": proposal.current_unit.depth > 1, "today": timezone.localdate(),
        "ancestors": [*org_selectors.visible_ancestors(scope, proposal.cell), proposal.cell],
    }, status=422 if request.method == "POST" else 200)  # fmt: skip
