"""Pages of a cell's meetings: plan, announce, record the minutes, finalise. Thin: parse, call a
selector or a service, render.

The recording screen saves as you type through htmx: every text field posts its value with the
version of the row it belongs to and the value the browser last had from the server (`base`).
A stale version whose field still holds `base` means someone changed another part of the same
row: the value is saved on the current version. Otherwise the answer is 409 with both texts.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chibo.accounts.access import READ_ROLES, scope_for
from chibo.core.http import is_htmx
from chibo.core.text import normalize
from chibo.documents import selectors as document_selectors
from chibo.org import selectors as org_selectors
from chibo.org.forms import apply_service_errors, run_form
from chibo.org.models import Member, TemporaryAttachment
from chibo.quality.selectors import score_of

from . import checks, export_views, selectors, services, signals
from .forms import (
    AddendumForm,
    AssignmentEditForm,
    AssignmentForm,
    AttendanceForm,
    AutosaveForm,
    CancelForm,
    FinaliseForm,
    GuestForm,
    LeaveRequestForm,
    MeetingPlanForm,
    PostponeForm,
    SpeechForm,
    VoteForm,
)
from .models import (
    Assignment,
    Attendance,
    Guest,
    Meeting,
    MeetingKind,
    MeetingStatus,
    Presence,
    RosterCategory,
    SectionContent,
    Speech,
    VoteSubject,
)
from .services import EditConflict, FinaliseRefused

MEETINGS_PER_PAGE = 30
RECENT_MEETINGS = 5
# The parts of the record kept on the meeting row, and how the browser sends them.
MEETING_FIELDS = {
    "chair": "member",
    "clerk": "member",
    "actual_start": "time",
    "actual_end": "time",
    "resolution_number": "text",
    "resolution_text": "text",
    "remarks": "text",
}


def _allow(condition: bool) -> None:
    if not condition:
        raise PermissionDenied



def _cell(scope, pk: int):
    unit = org_selectors.get_unit(scope, pk)
    if not unit.holds_members:
        raise Http404
    return unit


def _breadcrumbs(scope, unit) -> list:
    return [*org_selectors.visible_ancestors(scope, unit), unit]


def _meeting(request, pk: int):
    scope = scope_for(request.user)
    return scope, selectors.get_meeting(scope, pk)


def _planner(request, pk: int):
    """The meeting, for a user who may plan the cell's meetings (403 if they only see it)."""
    scope, meeting = _meeting(request, pk)
    _allow(scope.can_plan_meetings(meeting.unit))
    return scope, meeting


def _recorder(request, pk: int):
    """The meeting being recorded, for its secretary or clerk."""
    scope, meeting = _meeting(request, pk)
    _allow(scope.can_record_meeting(meeting.unit))
    return scope, meeting


# --- a cell's meetings --------------------------------------------------------------------------
@login_required
def cell_meetings(request, pk: int):
    scope = scope_for(request.user)
    unit = _cell(scope, pk)
    meetings = selectors.cell_meetings(scope, unit)
    can_plan = unit.is_active and scope.can_plan_meetings(unit)
    if request.GET.get("part") == "recent":
        # The card on the cell page, loaded by htmx.
        return render(request, "meetings/_recent.html", {
            "unit": unit, "meetings": list(meetings[:RECENT_MEETINGS]), "can_plan": can_plan,
        })  # fmt: skip
    page = Paginator(meetings, MEETINGS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "meetings/meeting_list.html", {
        "unit": unit, "page": page, "can_plan": can_plan,
        "ancestors": _breadcrumbs(scope, unit),
    })  # fmt: skip


@login_required
def meeting_create(request, pk: int):
    scope = scope_for(request.user)
    unit = _cell(scope, pk)
    _allow(unit.is_active and scope.can_plan_meetings(unit))
    prepares = None
    prepares_pk = request.POST.get("prepares") or request.GET.get("prepares")
    if prepares_pk:
        try:
            prepares = selectors.get_meeting(scope, int(prepares_pk))
        except ValueError:
            raise Http404 from None
    last = Meeting.objects.filter(unit=unit).order_by("-date", "-id").first()
    initial = {
        "kind": MeetingKind.PREPARATORY if prepares else MeetingKind.REGULAR,
        "place": last.place if last else "",
        "start_time": last.start_time if last else None,
    }
    form = MeetingPlanForm(request.POST or None, initial=initial)
    meeting = run_form(request, form, lambda d: services.meeting_plan(
        unit=unit, by=request.user, prepares=prepares, **{k: v for k, v in d.items()},
    ))  # fmt: skip
    if meeting:
        messages.success(request, _("Meeting planned. Announce it when the drafts are ready."))
        return redirect("meeting_detail", pk=meeting.pk)
    return render(request, "meetings/meeting_form.html", {
        "form": form, "unit": unit, "meeting": None, "prepares": prepares,
        "ancestors": _breadcrumbs(scope, unit),
    })  # fmt: skip


# --- one meeting -------------------------------------------------------------------------------
def _own_member(scope, meeting) -> Member | None:
    """The user's own member record when they belong to (or are attached to) the meeting's cell."""
    if scope.member_id is None:
        return None
    member = Member.active.filter(pk=scope.member_id).first()
    if member is None:
        return None
    if member.cell_id == meeting.unit_id:
        return member
    attached = TemporaryAttachment.objects.covering(meeting.date).filter(
        member=member, host_cell=meeting.unit
    )
    return member if attached.exists() else None


def _minutes_context(meeting) -> dict:
    lines = selectors.roster(meeting)
    summary = selectors.attendance_summary(lines)
    sections = selectors.record_sections(meeting)
    return {
        "sections": sections,
        "evaluation_section_id": selectors.evaluation_section_id(meeting, sections),
        # Parts of the record kept by other apps (the review of earlier tasks), once locked.
        "record_parts": signals.collected_parts(meeting) if meeting.is_finalised else [],
        "roster": lines,
        "summary": summary,
        "absent_count": len(summary.absent_excused) + len(summary.absent_unexcused),
        "guests": list(meeting.guests.all()),
        "votes": selectors.votes_by_subject(meeting),
        "assignments": selectors.assignments(meeting),
    }


def _detail(request, scope, meeting, *, leave_form=None, addendum_form=None, status=200):
    can_plan = scope.can_plan_meetings(meeting.unit)
    member = _own_member(scope, meeting)
    requests = list(meeting.leave_requests.select_related("member").order_by("created_at", "id"))
    leave_open = meeting.status in (MeetingStatus.PLANNED, MeetingStatus.ANNOUNCED)
    context = {
        "meeting": meeting,
        "ancestors": _breadcrumbs(scope, meeting.unit),
        "can_plan": can_plan,
        "can_record": scope.can_record_meeting(meeting.unit),
        # The upper-level attendee writes remarks on this page while the meeting is recorded.
        "can_remark": meeting.status == MeetingStatus.RECORDING
        and scope.can_remark(meeting.unit)
        and not scope.can_record_meeting(meeting.unit),
        "can_download": meeting.status != MeetingStatus.CANCELLED
        and export_views.can_download(scope, meeting),
        "postponements": list(meeting.postponements.all()),
        "preparations": list(meeting.preparations.all()),
        # Those who read the whole cell see every request; a member sees their own.
        "leave_requests": requests if scope.covers(meeting.unit.path, READ_ROLES) else [],
        "my_request": next((r for r in requests if member and r.member_id == member.pk), None),
        "leave_form": (leave_form or LeaveRequestForm()) if member and leave_open else None,
        "leave_open": leave_open,
        "check_in": _check_in(request, scope, meeting),
        "documents": list(document_selectors.visible_documents(scope, reader_id=request.user.pk)
                          .filter(meeting=meeting).order_by("published_at", "id")),
    }
    if meeting.status == MeetingStatus.FINALISED:
        context |= _minutes_context(meeting)
        context["score"] = score_of(meeting)
        context["addenda"] = list(meeting.addenda.select_related("author"))
        context["addendum_form"] = (addendum_form or AddendumForm()) if can_plan else None
    else:
        context["sections"] = list(meeting.sections.all())
    return render(request, "meetings/meeting_detail.html", context, status=status)


def _check_in(request, scope, meeting) -> dict | None:
    """For the upper-level attendee: whether they can record their presence, and if they did."""
    if not scope.can_remark(meeting.unit) or scope.can_record_meeting(meeting.unit):
        return None
    return {
        "guest": meeting.guests.filter(user=request.user).first(),
        "open": meeting.status in (MeetingStatus.ANNOUNCED, MeetingStatus.RECORDING)
        and meeting.date <= timezone.localdate(),
    }


@login_required
@require_POST
def meeting_check_in(request, pk: int):
    scope, meeting = _meeting(request, pk)
    _allow(scope.can_remark(meeting.unit))
    position = selectors.attendee_position(request.user, meeting.unit)
    try:
        services.attendee_check_in(meeting=meeting, by=request.user, position=position)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Your presence is recorded in the minutes."))
    return redirect("meeting_detail", pk=meeting.pk)


@login_required
def meeting_detail(request, pk: int):
    scope, meeting = _meeting(request, pk)
    return _detail(request, scope, meeting)


@login_required
def meeting_edit(request, pk: int):
    scope, meeting = _planner(request, pk)
    _allow(meeting.is_open)
    initial = {name: getattr(meeting, name) for name in services.PLAN_FIELDS}
    initial["version"] = meeting.version
    form = MeetingPlanForm(request.POST or None, initial=initial, meeting=meeting)
    if request.method == "POST" and form.is_valid():
        try:
            services.meeting_update_plan(meeting=meeting, by=request.user,
                                         version=form.cleaned_data.get("version"), **form.changes())  # fmt: skip
        except EditConflict as conflict:
            # Keep what the user typed; the next submission overwrites knowingly.
            form.data = form.data.copy()
            form.data["version"] = conflict.version
            form.add_error(None, _("Someone else changed this plan while you were editing. "
                                   "Check the fields below and save again to keep your version."))  # fmt: skip
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("meeting_detail", pk=meeting.pk)
    return render(request, "meetings/meeting_form.html", {
        "form": form, "unit": meeting.unit, "meeting": meeting, "prepares": meeting.prepares,
        "ancestors": _breadcrumbs(scope, meeting.unit),
    })  # fmt: skip


def _simple_action(request, meeting, action: Callable[[], object], done: str):
    try:
        action()
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, done)
    return redirect("meeting_detail", pk=meeting.pk)


@login_required
@require_POST
def meeting_announce(request, pk: int):
    _scope, meeting = _planner(request, pk)
    return _simple_action(
        request, meeting, lambda: services.meeting_announce(meeting=meeting, by=request.user),
        _("The meeting is announced: the members now see its time, place, agenda and drafts."),
    )  # fmt: skip


@login_required
@require_POST
def meeting_start(request, pk: int):
    _scope, meeting = _recorder(request, pk)
    try:
        services.meeting_start_recording(meeting=meeting, by=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("meeting_detail", pk=meeting.pk)
    return redirect("meeting_record", pk=meeting.pk)


def _meeting_action(request, pk: int, form_class, action, kind: str, done: str):
    scope, meeting = _planner(request, pk)
    form = form_class(request.POST or None)
    if run_form(request, form, lambda d: action(meeting=meeting, by=request.user, **d)):
        messages.success(request, done)
        return redirect("meeting_detail", pk=meeting.pk)
    return render(request, "meetings/meeting_action.html", {
        "form": form, "meeting": meeting, "kind": kind,
        "ancestors": _breadcrumbs(scope, meeting.unit),
    })  # fmt: skip


@login_required
def meeting_postpone(request, pk: int):
    return _meeting_action(request, pk, PostponeForm, services.meeting_postpone, "postpone",
                           _("The meeting is postponed."))  # fmt: skip


@login_required
def meeting_cancel(request, pk: int):
    return _meeting_action(request, pk, CancelForm, services.meeting_cancel, "cancel",
                           _("The meeting is cancelled."))  # fmt: skip


@login_required
@require_POST
def leave_create(request, pk: int):
    scope, meeting = _meeting(request, pk)
    member = _own_member(scope, meeting)
    _allow(member is not None)
    form = LeaveRequestForm(request.POST)
    if run_form(request, form, lambda d: services.leave_request(
        meeting=meeting, member=member, reason=d["reason"], by=request.user,
    )):  # fmt: skip
        messages.success(request, _("Your leave request was sent to the secretary."))
        return redirect("meeting_detail", pk=meeting.pk)
    return _detail(request, scope, meeting, leave_form=form)


@login_required
@require_POST
def leave_decide(request, pk: int, request_pk: int):
    _scope, meeting = _planner(request, pk)
    leave = meeting.leave_requests.select_related("member").filter(pk=request_pk).first()
    if leave is None:
        raise Http404
    approve = request.POST.get("decision") == "approve"
    return _simple_action(
        request, meeting,
        lambda: services.leave_decide(request=leave, approve=approve, by=request.user),
        _("Leave approved.") if approve else _("Leave not approved."),
    )  # fmt: skip


# --- recording ---------------------------------------------------------------------------------
def _people(roster, guests) -> list[tuple[str, list[tuple[str, str]]]]:
    """Speaker choices: the roster, then the guests."""
    groups = [(_("Members"), [(f"m:{a.member_id}", a.member.full_name) for a in roster])]
    if guests:
        groups.append((_("Guests"), [(f"g:{g.pk}", g.name) for g in guests]))
    return groups


def _record_context(meeting) -> dict:
    context = _minutes_context(meeting)
    roster, guests = _with_choices(context["roster"]), context["guests"]
    contents = {s.content for s in context["sections"]}
    people = _people(roster, guests)
    context |= {
        "meeting": meeting,
        "people": people,
        "member_options": [
            (str(a.member_id), a.member.full_name)
            for a in roster
            if a.category != RosterCategory.AWAY
        ],  # fmt: skip
        "speech_form": SpeechForm(),
        "guest_form": GuestForm(),
        "assignment_form": AssignmentForm(roster=roster, initial={"deadline": None}),
        "vote_forms": _vote_forms(context["votes"]),
        # Parts the checks point at, shown even when the template has no section for them.
        "extra_attendance": SectionContent.ATTENDANCE not in contents,
        "has_approval": SectionContent.APPROVAL in contents,
        "extra_assignments": SectionContent.ASSIGNMENTS not in contents
        and meeting.kind in (MeetingKind.REGULAR, MeetingKind.COMBINED),
    }
    return context


def _vote_forms(votes) -> dict:
    result = {}
    for subject in VoteSubject.values:
        vote = votes.get(subject)
        initial = (
            {"votes_for": vote.votes_for, "votes_against": vote.votes_against,
             "votes_abstain": vote.votes_abstain} if vote else {}
        )  # fmt: skip
        result[subject] = VoteForm(initial=initial, prefix=subject)
    return result


def _presence_choices() -> dict[str, list[tuple[str, str, str]]]:
    """The buttons of each roster line, by category: (value, short label, full label)."""
    present = (Presence.PRESENT, _("Present"), Presence.PRESENT.label)
    excused = (Presence.ABSENT_EXCUSED, _("Excused"), Presence.ABSENT_EXCUSED.label)
    unexcused = (Presence.ABSENT_UNEXCUSED, _("No reason"), Presence.ABSENT_UNEXCUSED.label)
    exempt = (Presence.EXEMPT_ABSENT, _("Exempted"), Presence.EXEMPT_ABSENT.label)
    away = (Presence.AWAY, _("Elsewhere"), Presence.AWAY.label)
    regular = [present, excused, unexcused]
    return {
        RosterCategory.OFFICIAL: regular,
        RosterCategory.PROBATIONARY: regular,
        RosterCategory.ATTACHED: regular,
        RosterCategory.EXEMPTED: [present, exempt, excused],
        RosterCategory.AWAY: [away, present],
    }


@login_required
def meeting_record(request, pk: int):
    scope, meeting = _recorder(request, pk)
    if meeting.status != MeetingStatus.RECORDING:
        if meeting.status == MeetingStatus.FINALISED:
            messages.info(request, _("These minutes are finalised and locked."))
        else:
            messages.info(request, _("Start recording the meeting first."))
        return redirect("meeting_detail", pk=meeting.pk)
    return _record_page(request, scope, meeting)


def _record_page(request, scope, meeting, **forms):
    context = _record_context(meeting) | forms
    context |= {"ancestors": _breadcrumbs(scope, meeting.unit),
                "can_plan": scope.can_plan_meetings(meeting.unit)}  # fmt: skip
    return render(request, "meetings/record.html", context)


def _as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Member):
        return str(value.pk)
    if isinstance(value, datetime.time):
        return value.strftime("%H:%M")
    return str(value)


def _display(value) -> str:
    if isinstance(value, Member):
        return value.full_name
    return _as_text(value)


def _autosave(request, *, field: str, parse: Callable[[str], object],
              save: Callable[[object, int | None], tuple[int, object]]):  # fmt: skip
    """Save one field as typed. `save(value, version)` → (new version, stored value).
    Answers with the field's save state: new version and value (200), the refusal (422), or
    both versions after a conflicting change (409)."""
    form = AutosaveForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest()
    raw, version, base = (form.cleaned_data[k] for k in ("value", "version", "base"))
    state = {"version": version, "base": base, "has_base": True, "now": timezone.localtime()}
    try:
        value = parse(raw)
        try:
            new_version, stored = save(value, version)
        except EditConflict as conflict:
            # Someone saved another part of the same row: this field is as the browser knew it.
            if normalize(_as_text(conflict.current[field])) != normalize(base):
                raise
            new_version, stored = save(value, conflict.version)
    except EditConflict as conflict:
        theirs = conflict.current[field]
        return render(request, "meetings/_save_state.html", state | {
            "state": "conflict", "new_version": conflict.version, "mine": raw,
            "mine_display": _display(value), "theirs": _as_text(theirs),
            "theirs_display": _display(theirs), "long": MEETING_FIELDS.get(field, "text") == "text",
        }, status=409)  # fmt: skip
    except ValidationError as error:
        return render(request, "meetings/_save_state.html",
                      state | {"state": "error", "errors": error.messages}, status=422)  # fmt: skip
    return render(request, "meetings/_save_state.html",
                  state | {"state": "saved", "version": new_version, "base": _as_text(stored)})  # fmt: skip


def _member_on_roster(meeting):
    def parse(raw: str):
        if not raw.strip():
            return None
        line = None
        if raw.strip().isdigit():
            line = meeting.attendance.select_related("member").filter(member_id=raw).first()
        if line is None:
            raise ValidationError(_("Choose a member on the roster."))
        return line.member

    return parse


def _time(raw: str):
    if not raw.strip():
        return None
    try:
        return django_forms.TimeField().clean(raw.strip())
    except ValidationError:
        raise ValidationError(_("Enter a time such as 14:30.")) from None


@login_required
@require_POST
def record_field(request, pk: int, field: str):
    """Autosave of a part of the record kept on the meeting (people, times, resolution…).
    The upper-level attendee writes their remarks too."""
    scope, meeting = _meeting(request, pk)
    if field not in MEETING_FIELDS:
        raise Http404
    _allow(scope.can_record_meeting(meeting.unit)
           or (field == "remarks" and scope.can_remark(meeting.unit)))  # fmt: skip
    parse = {"member": _member_on_roster(meeting), "time": _time,
             "text": lambda raw: raw}[MEETING_FIELDS[field]]  # fmt: skip

    def save(value, version):
        services.meeting_record_update(meeting=meeting, by=request.user, version=version,
                                       **{field: value})  # fmt: skip
        return meeting.version, getattr(meeting, field)

    return _autosave(request, field=field, parse=parse, save=save)


def _section(meeting, section_pk: int):
    section = meeting.sections.filter(pk=section_pk).first()
    if section is None:
        raise Http404
    section.meeting = meeting
    return section


@login_required
@require_POST
def section_field(request, pk: int, section_pk: int, field: str):
    _scope, meeting = _recorder(request, pk)
    if field not in ("text", "conclusion"):
        raise Http404
    section = _section(meeting, section_pk)

    def save(value, version):
        services.section_save(section=section, by=request.user, version=version,
                              **{field: value})  # fmt: skip
        return section.version, getattr(section, field)

    return _autosave(request, field=field, parse=lambda raw: raw, save=save)


def _summary_oob(request, meeting, *, roster=None) -> str:
    lines = roster if roster is not None else selectors.roster(meeting)
    return render(request, "meetings/_summary_oob.html", {
        "summary": selectors.attendance_summary(lines), "meeting": meeting,
    }).content.decode()  # fmt: skip


def _with_choices(lines: list[Attendance]) -> list[Attendance]:
    choices = _presence_choices()
    for line in lines:
        line.choices = choices[line.category]
    return lines


@login_required
@require_POST
def attendance_mark(request, pk: int, line_pk: int):
    _scope, meeting = _recorder(request, pk)
    line = meeting.attendance.select_related("member").filter(pk=line_pk).first()
    if line is None:
        raise Http404
    line.meeting = meeting
    form = AttendanceForm(request.POST)
    state = {"version": request.POST.get("version"), "now": timezone.localtime()}
    if not form.is_valid():
        return render(request, "meetings/_save_state.html", state | {
            "state": "error", "errors": [_("Choose present or absent.")],
        }, status=422)  # fmt: skip
    data = form.cleaned_data
    try:
        services.attendance_mark(line=line, by=request.user, presence=data["presence"],
                                 reason=data["reason"], late=data["late"],
                                 version=data["version"])  # fmt: skip
    except EditConflict:
        # Show the line as stored now, and what this user had chosen, so nothing is lost.
        line = _with_choices([meeting.attendance.select_related("member").get(pk=line.pk)])[0]
        mine = Presence(data["presence"]).label + (f" — {data['reason']}" if data["reason"] else "")
        response = render(request, "meetings/_attendance_row.html", {
            "line": line, "meeting": meeting, "conflict": mine,
        }, status=409)  # fmt: skip
        response["HX-Retarget"] = f"#att-{line.pk}"
        response["HX-Reswap"] = "outerHTML"
        return response
    except ValidationError as error:
        return render(request, "meetings/_save_state.html",
                      state | {"state": "error", "errors": error.messages}, status=422)  # fmt: skip
    response = render(request, "meetings/_save_state.html",
                      state | {"state": "saved", "version": line.version})  # fmt: skip
    response.content += _summary_oob(request, meeting).encode()
    return response


@login_required
@require_POST
def attendance_all_present(request, pk: int):
    """Mark every line not marked yet as present: the usual case, one tap on a phone."""
    _scope, meeting = _recorder(request, pk)
    lines = [a for a in selectors.roster(meeting) if a.presence == Presence.UNMARKED]
    try:
        for line in lines:
            line.meeting = meeting
            services.attendance_mark(line=line, by=request.user, presence=Presence.PRESENT,
                                     version=line.version)  # fmt: skip
    except (ValidationError, EditConflict):
        messages.error(request, _("Someone else changed the attendance meanwhile: check it."))
    return redirect(reverse("meeting_record", args=[meeting.pk]) + "#part-attendance")


@login_required
@require_POST
def guest_add(request, pk: int):
    scope, meeting = _recorder(request, pk)
    form = GuestForm(request.POST)
    if run_form(request, form, lambda d: services.guest_add(meeting=meeting, by=request.user, **d)):
        return redirect(reverse("meeting_record", args=[meeting.pk]) + "#part-guests")
    return _record_page(request, scope, meeting, guest_form=form)


@login_required
@require_POST
def guest_remove(request, pk: int, guest_pk: int):
    _scope, meeting = _recorder(request, pk)
    guest = Guest.objects.filter(meeting=meeting, pk=guest_pk).first()
    if guest is None:
        raise Http404
    guest.meeting = meeting
    try:
        services.guest_remove(guest=guest, by=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    return redirect(reverse("meeting_record", args=[meeting.pk]) + "#part-guests")


@login_required
@require_POST
def speech_add(request, pk: int, section_pk: int):
    _scope, meeting = _recorder(request, pk)
    section = _section(meeting, section_pk)
    form = SpeechForm(request.POST, meeting=meeting)
    speech = run_form(request, form, lambda d: services.speech_add(
        section=section, by=request.user, text=d["text"], **d["speaker"],
    ))  # fmt: skip
    if not is_htmx(request):
        if speech is None:
            for message in [m for errors in form.errors.values() for m in errors]:
                messages.error(request, message)
        return redirect(reverse("meeting_record", args=[meeting.pk]) + f"#section-{section.pk}")
    if speech is None:
        people = _people(selectors.roster(meeting), list(meeting.guests.all()))
        response = render(request, "meetings/_speech_form.html",
                          {"form": form, "section": section, "meeting": meeting, "people": people},
                          status=422)  # fmt: skip
        response["HX-Retarget"] = f"#speech-form-{section.pk}"
        response["HX-Reswap"] = "outerHTML"
        return response
    return render(request, "meetings/_speech.html", {"speech": speech, "meeting": meeting})


def _speech(meeting, speech_pk: int) -> Speech:
    speech = Speech.objects.filter(meeting=meeting, pk=speech_pk).select_related(
        "speaker", "guest"
    ).first()  # fmt: skip
    if speech is None:
        raise Http404
    speech.meeting = meeting
    return speech


@login_required
@require_POST
def speech_update(request, pk: int, speech_pk: int):
    _scope, meeting = _recorder(request, pk)
    speech = _speech(meeting, speech_pk)

    def save(value, version):
        services.speech_update(speech=speech, by=request.user, text=value, version=version)
        return speech.version, speech.text

    return _autosave(request, field="text", parse=lambda raw: raw, save=save)


@login_required
@require_POST
def speech_delete(request, pk: int, speech_pk: int):
    _scope, meeting = _recorder(request, pk)
    speech = _speech(meeting, speech_pk)
    section_pk = speech.section_id
    try:
        services.speech_delete(speech=speech, by=request.user)
    except ValidationError as error:
        return render(request, "meetings/_save_error.html", {"errors": error.messages}, status=422)
    if is_htmx(request):
        return HttpResponse("")
    return redirect(reverse("meeting_record", args=[meeting.pk]) + f"#section-{section_pk}")


@login_required
@require_POST
def vote_record(request, pk: int, subject: str):
    _scope, meeting = _recorder(request, pk)
    if subject not in VoteSubject.values:
        raise Http404
    form = VoteForm(request.POST, prefix=subject)
    vote = run_form(request, form, lambda d: services.vote_record(
        meeting=meeting, by=request.user, subject=subject, **d,
    ))  # fmt: skip
    anchor = "part-resolution" if subject == VoteSubject.RESOLUTION else "part-approval"
    if not is_htmx(request) and vote is not None:
        return redirect(reverse("meeting_record", args=[meeting.pk]) + f"#{anchor}")
    summary = selectors.attendance_summary(selectors.roster(meeting))
    return render(request, "meetings/_vote_form.html", {
        "meeting": meeting, "subject": subject, "form": form, "vote": vote,
        "summary": summary, "saved": vote is not None, "now": timezone.localtime(),
    }, status=200 if vote is not None else 422)  # fmt: skip


@login_required
@require_POST
def assignment_add(request, pk: int):
    _scope, meeting = _recorder(request, pk)
    roster = selectors.roster(meeting)
    form = AssignmentForm(request.POST, roster=roster)
    assignment = run_form(request, form, lambda d: services.assignment_add(
        meeting=meeting, by=request.user, description=d["description"], assignees=form.members(),
        deadline=d["deadline"], to_committee=d["to_committee"],
    ))  # fmt: skip
    if not is_htmx(request):
        if assignment is None:
            for message in [m for errors in form.errors.values() for m in errors]:
                messages.error(request, message)
        return redirect(reverse("meeting_record", args=[meeting.pk]) + "#part-assignments")
    if assignment is None:
        response = render(request, "meetings/_assignment_form.html",
                          {"assignment_form": form, "meeting": meeting}, status=422)  # fmt: skip
        response["HX-Retarget"] = "#assignment-form"
        response["HX-Reswap"] = "outerHTML"
        return response
    assignment = selectors.assignments(meeting)[-1] if assignment else None
    return render(request, "meetings/_assignment.html", {"a": assignment, "meeting": meeting})


def _assignment(meeting, assignment_pk: int) -> Assignment:
    assignment = (
        Assignment.objects.filter(meeting=meeting, pk=assignment_pk)
        .prefetch_related("assignees")
        .first()
    )
    if assignment is None:
        raise Http404
    assignment.meeting = meeting
    return assignment


@login_required
@require_GET
def assignment_show(request, pk: int, assignment_pk: int):
    """One task as stored (what "Cancel" puts back in place of the edit form)."""
    _scope, meeting = _recorder(request, pk)
    assignment = _assignment(meeting, assignment_pk)
    if not is_htmx(request):
        return redirect(
            reverse("meeting_record", args=[meeting.pk]) + f"#assignment-{assignment.pk}"
        )
    return render(request, "meetings/_assignment.html", {"a": assignment, "meeting": meeting})


@login_required
@require_http_methods(["GET", "POST"])
def assignment_edit(request, pk: int, assignment_pk: int):
    """Edit a task in place: GET the form, POST it with the version it started from. When
    someone else saved the task meanwhile, the answer (409) shows their version and keeps what
    this user typed, with the new version: saving again then replaces theirs knowingly."""
    scope, meeting = _recorder(request, pk)
    assignment = _assignment(meeting, assignment_pk)
    roster = selectors.roster(meeting)
    conflict, status = False, 200
    if request.method == "GET":
        form = AssignmentEditForm(roster=roster, initial=AssignmentEditForm.initial_for(assignment))
    else:
        form = AssignmentEditForm(request.POST, roster=roster)
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.assignment_update(
                    assignment=assignment, by=request.user, description=data["description"],
                    assignees=form.members(), deadline=data["deadline"],
                    to_committee=data["to_committee"], version=data["version"],
                )  # fmt: skip
            except EditConflict as stale:
                conflict, status = True, 409
                form.data = form.data.copy()
                form.data["version"] = stale.version
                assignment = _assignment(meeting, assignment_pk)  # their version
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                anchor = f"#assignment-{assignment.pk}"
                if not is_htmx(request):
                    return redirect(reverse("meeting_record", args=[meeting.pk]) + anchor)
                assignment = _assignment(meeting, assignment_pk)
                return render(request, "meetings/_assignment.html",
                              {"a": assignment, "meeting": meeting})  # fmt: skip
    if is_htmx(request):
        return render(request, "meetings/_assignment_edit.html", {
            "a": assignment, "meeting": meeting, "form": form, "conflict": conflict,
        }, status=status)  # fmt: skip
    if meeting.status != MeetingStatus.RECORDING:
        return redirect("meeting_detail", pk=meeting.pk)
    response = _record_page(request, scope, meeting, editing_assignment=assignment.pk,
                            assignment_edit_form=form, assignment_conflict=conflict)  # fmt: skip
    response.status_code = status
    return response


@login_required
@require_POST
def assignment_delete(request, pk: int, assignment_pk: int):
    _scope, meeting = _recorder(request, pk)
    assignment = Assignment.objects.filter(meeting=meeting, pk=assignment_pk).first()
    if assignment is None:
        raise Http404
    assignment.meeting = meeting
    try:
        services.assignment_delete(assignment=assignment, by=request.user)
    except ValidationError as error:
        return render(request, "meetings/_save_error.html", {"errors": error.messages}, status=422)
    if is_htmx(request):
        return HttpResponse("")
    return redirect(reverse("meeting_record", args=[meeting.pk]) + "#part-assignments")


# --- finalisation -------------------------------------------------------------------------------
@login_required
def meeting_finalise(request, pk: int):
    scope, meeting = _planner(request, pk)
    if meeting.status != MeetingStatus.RECORDING:
        return redirect("meeting_detail", pk=meeting.pk)
    errors, warnings = checks.problems(meeting)
    form = FinaliseForm(request.POST or None, warnings=warnings)
    if request.method == "POST" and form.is_valid():
        try:
            services.meeting_finalise(meeting=meeting, by=request.user,
                                      acknowledgements=form.acknowledgements())  # fmt: skip
        except FinaliseRefused as refused:
            errors = [p for p in refused.problems if p.code not in {w.code for w in warnings}]
            for problem in refused.problems:
                if problem.code in {w.code for w in warnings}:
                    form.add_error(f"ack_{problem.code}",
                                   _("Give the reason for finalising despite this."))  # fmt: skip
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("The minutes are finalised and locked."))
            return redirect("meeting_detail", pk=meeting.pk)
    return render(request, "meetings/finalise.html", {
        "meeting": meeting, "errors": errors, "warnings": warnings, "form": form,
        "ancestors": _breadcrumbs(scope, meeting.unit),
    })  # fmt: skip


@login_required
@require_POST
def addendum_add(request, pk: int):
    scope, meeting = _planner(request, pk)
    form = AddendumForm(request.POST)
    if run_form(
        request, form, lambda d: services.addendum_add(meeting=meeting, by=request.user, **d)
    ):
        messages.success(request, _("The addendum is added to the minutes."))
        return redirect(reverse("meeting_detail", args=[meeting.pk]) + "#addenda")
    return _detail(request, scope, meeting, addendum_form=form)
