"""Pages of follow-up: tasks: the member's own, a cell's (with completion per month), one task with its
history and the report form, and the review of earlier tasks on a meeting's recording screen.
Thin: parse, call a selector or a service, render."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chibo.accounts import selectors as account_selectors
from chibo.accounts import services as account_services
from chibo.accounts.access import scope_for
from chibo.accounts.models import Role
from chibo.core.http import is_htmx
from chibo.meetings import exporting as meeting_exporting
from chibo.meetings import selectors as meeting_selectors
from chibo.meetings.models import OPEN_STATUSES, MeetingStatus
from chibo.meetings.services import EditConflict
from chibo.org import selectors as org_selectors
from chibo.org.forms import apply_service_errors, run_form
from chibo.org.models import CELL_KINDS, Member

from . import exporting, selectors, services
from .forms import (
    CoverageForm,
    FixDoneForm,
    FixForm,
    FollowerForm,
    InspectionPlanForm,
    InspectionRecordForm,
    ProposalActionForm,
    ProposalFilterForm,
    ProposalForm,
    ReportForm,
    ReviewForm,
    TaskFilterForm,
)
from .models import TaskReview

TASKS_PER_PAGE = 50



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
    if request.GET.get("part") == "completion":  # the cell page's panel (htmx)
        return render(request, "followup/_completion.html", {
            "unit": cell, "completion": selectors.completion_by_month(cell, months=6),
        })  # fmt: skip
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
    if is_htmx(request):
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
            if not is_htmx(request):
                messages.success(request, _("The decision on the task is saved."))
                return redirect(reverse("meeting_record", args=[meeting.pk]) + "#part-task-review")
    line.review = TaskReview.objects.filter(meeting=meeting, task=line.task).first()
    context = {"line": line, "meeting": meeting, "can_edit": True, "form": form,
               "conflict": conflict}  # fmt: skip
    if is_htmx(request):
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


# --- inspections ------------------------------------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def unit_inspections(request, pk: int):
    """A committee's plan of inspections and supervisions for a year (and those of the unit
    itself); its organisation board adds to the plan."""
    scope = scope_for(request.user)
    unit = org_selectors.get_unit(scope, pk)
    year = _year(request.GET.get("year"))
    can_plan = not unit.holds_members and scope.can_manage_unit(unit)
    form = None
    if can_plan:
        below = org_selectors.visible_units(scope).filter(path__startswith=unit.path,
                                                          is_active=True).exclude(pk=unit.pk)  # fmt: skip
        form = InspectionPlanForm(request.POST or None, units=below,
                                  initial={"period_start": datetime.date(year - 1, 1, 1),
                                           "period_end": datetime.date(year - 1, 12, 31)})  # fmt: skip
        inspection = run_form(request, form, lambda d: services.inspection_plan(
            committee=unit, by=request.user, year=year, **d))  # fmt: skip
        if inspection:
            messages.success(request, _("Added to the plan."))
            return redirect("inspection_detail", pk=inspection.pk)
    elif request.method == "POST":
        raise PermissionDenied
    return render(request, "followup/inspections.html", {
        "unit": unit, "year": year, "form": form, "today": timezone.localdate(),
        "inspections": list(selectors.unit_inspections(scope, unit, year=year)),
        "ancestors": [*org_selectors.visible_ancestors(scope, unit), unit],
    }, status=422 if request.method == "POST" else 200)  # fmt: skip


def _year(raw) -> int:
    try:
        year = int(raw)
    except (TypeError, ValueError):
        return timezone.localdate().year
    return year if 2000 <= year <= 2100 else timezone.localdate().year


@login_required
@require_http_methods(["GET", "POST"])
def inspection_detail(request, pk: int):
    scope = scope_for(request.user)
    inspection = selectors.get_inspection(scope, pk)
    can_edit = selectors.can_edit_inspection(scope, inspection)
    can_fix = selectors.can_report_fix(scope, inspection)
    record_form = InspectionRecordForm(initial={
        "team": inspection.team, "findings": inspection.findings,
        "conclusion": inspection.conclusion, "notice_number": inspection.notice_number,
        "version": inspection.version,
    })  # fmt: skip
    fix_form, done_forms, status = FixForm(), {}, 200
    if request.method == "POST":
        step = request.POST.get("step", "")
        allowed = can_fix if step == "fix_done" else can_edit
        if not allowed:
            raise PermissionDenied
        status = 422
        if step == "record":
            record_form = InspectionRecordForm(request.POST)
        elif step == "fix":
            fix_form = FixForm(request.POST)
        try:
            done = _inspection_step(request, inspection, step, record_form, fix_form, done_forms)
        except EditConflict:
            record_form.add_error(None, _("Someone else saved this record meanwhile. Reload the "
                                          "page, then save your text again."))  # fmt: skip
        except ValidationError as error:
            target = {"record": record_form, "fix": fix_form}.get(step)
            if target is None:
                messages.error(request, " ".join(error.messages))
                return redirect("inspection_detail", pk=inspection.pk)
            apply_service_errors(target, error)
        else:
            if done:
                messages.success(request, done)
                return redirect("inspection_detail", pk=inspection.pk)
    return render(request, "followup/inspection_detail.html", {
        "inspection": inspection, "fixes": list(inspection.fixes.select_related("done_by")),
        "can_edit": can_edit, "can_fix": can_fix, "record_form": record_form,
        "fix_form": fix_form, "done_forms": done_forms, "today": timezone.localdate(),
        "ancestors": [*org_selectors.visible_ancestors(scope, inspection.committee),
                      inspection.committee],
    }, status=status)  # fmt: skip


def _inspection_step(request, inspection, step, record_form, fix_form, done_forms) -> str | None:
    """Carry out one form of the inspection page; the success message, or None when the
    form is invalid (shown again). Service refusals propagate as ValidationError."""
    by = request.user
    if step == "record":
        if not record_form.is_valid():
            return None
        data = dict(record_form.cleaned_data)
        services.inspection_update(inspection=inspection, by=by, version=data.pop("version"),
                                   **data)  # fmt: skip
        return _("Saved.")
    if step == "fix":
        if not fix_form.is_valid():
            return None
        services.fix_add(inspection=inspection, by=by, **fix_form.cleaned_data)
        return _("Fix added.")
    if step == "fix_remove":
        fix = inspection.fixes.filter(pk=request.POST.get("fix")).first()
        if fix is None:
            raise Http404
        services.fix_remove(fix=fix, by=by)
        return _("Fix removed.")
    if step == "conclude":
        services.inspection_conclude(inspection=inspection, by=by)
        return _("The conclusion is issued.")
    if step == "fix_done":
        fix = inspection.fixes.filter(pk=request.POST.get("fix")).first()
        if fix is None:
            raise Http404
        form = FixDoneForm(request.POST)
        done_forms[fix.pk] = form
        if not form.is_valid():
            return None
        try:
            services.fix_done(fix=fix, by=by, note=form.cleaned_data["note"])
        except ValidationError as error:
            apply_service_errors(form, error)
            return None
        return _("The fix is reported done.")
    raise Http404


@login_required
@require_GET
def inspection_notice(request, pk: int, fmt: str):
    scope = scope_for(request.user)
    inspection = selectors.get_inspection(scope, pk)
    try:
        content = exporting.render(inspection, fmt)
    except meeting_exporting.ExportUnavailable as unavailable:
        return HttpResponse(str(unavailable), status=503, content_type="text/plain; charset=utf-8")
    response = HttpResponse(content, content_type=meeting_exporting.CONTENT_TYPES[fmt])
    response["Content-Disposition"] = (
        f'attachment; filename="{exporting.file_name(inspection, fmt)}"'
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def reminders(request):
    """Deadlines near or passed, proposals waiting for an answer, fixes due: listed here;
    sending them by e-mail comes with notifications."""
    return render(request, "followup/reminders.html", {
        "r": selectors.reminders(scope_for(request.user)), "today": timezone.localdate(),
        "soon_days": selectors.SOON_DAYS,
    })  # fmt: skip
