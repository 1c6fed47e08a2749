"""Every write to meetings and minutes: one transaction each, audited.

Callers (views, API) check access through `selectors` first; these functions enforce the
meeting's own rules: its state machine, the lock on finalised minutes, and optimistic versions
so that two people editing at once never overwrite each other silently.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from chibo.core import audit
from chibo.core.text import normalize, normalize_paragraphs
from chibo.org.models import CELL_KINDS, Member, MemberStatus, Position, Unit
from chibo.org.selectors import cell_roster
from chibo.org.services import province_of

from . import checks, signals
from .models import (
    Addendum,
    Assignment,
    Attendance,
    Guest,
    LeaveRequest,
    LeaveStatus,
    Meeting,
    MeetingKind,
    MeetingSection,
    MeetingStatus,
    MinutesTemplate,
    Postponement,
    Presence,
    RosterCategory,
    Speech,
    Vote,
    VoteSubject,
)


class EditConflict(Exception):
    """Someone else saved this part first. Carries what is stored now."""

    def __init__(self, *, current: Any, version: int):
        super().__init__(_("Someone else changed this part while you were editing."))
        self.current = current
        self.version = version


class FinaliseRefused(ValidationError):
    def __init__(self, problems: list[checks.Problem]):
        super().__init__([p.message for p in problems])
        self.problems = problems


def _audit(meeting: Meeting, by, action: str, obj=None, **changes) -> None:
    audit.record(actor=by, action=action, obj=obj or meeting, unit_path=meeting.unit.path,
                 changes=changes)  # fmt: skip


def _require(condition: bool, message: str, field: str | None = None) -> None:
    if not condition:
        raise ValidationError({field: [message]} if field else message)


def _require_editable(meeting: Meeting) -> None:
    """Finalised minutes are locked; a cancelled meeting is closed."""
    if meeting.status == MeetingStatus.FINALISED:
        raise ValidationError(
            _("These minutes are finalised and locked. Add a signed addendum to correct them.")
        )
    if meeting.status == MeetingStatus.CANCELLED:
        raise ValidationError(_("This meeting was cancelled."))


def _require_recording(meeting: Meeting) -> None:
    _require_editable(meeting)
    if meeting.status != MeetingStatus.RECORDING:
        raise ValidationError(_("Start recording the meeting first."))


def _clean(text: str | None) -> str:
    """Long texts (speeches, conclusions, drafts) keep their paragraphs."""
    return normalize_paragraphs(text)


def _line(text: str | None) -> str:
    """One-line values (place, names, topic) are collapsed to single spaces."""
    return normalize(text)


ONE_LINE_FIELDS = {"place", "topic", "resolution_number"}


def _cleaned_field(name: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    return _line(value) if name in ONE_LINE_FIELDS else _clean(value)


def save_versioned(model, pk: int, version: int | None, fields: dict[str, Any]) -> int:
    """Write `fields` only if the row still has `version`; return the new version."""
    rows = model.objects.filter(pk=pk)
    if version is not None:
        rows = rows.filter(version=version)
    if not rows.update(**fields, version=F("version") + 1):
        current = model.objects.get(pk=pk)
        raise EditConflict(
            current={name: getattr(current, name) for name in fields}, version=current.version
        )
    return model.objects.values_list("version", flat=True).get(pk=pk)


# --- templates ----------------------------------------------------------------------------------
def template_for(unit: Unit, kind: str) -> MinutesTemplate | None:
    """The template a new meeting uses: one attached deepest above the unit wins, then one for
    the unit's cell type, then the shipped general one."""
    ancestors = [unit.path[:i] for i in range(Unit.steplen, len(unit.path) + 1, Unit.steplen)]
    candidates = MinutesTemplate.objects.filter(kind=kind, is_active=True).select_related("unit")
    best, best_key = None, None
    for template in candidates:
        if template.unit_id and template.unit.path not in ancestors:
            continue
        if template.cell_type and template.cell_type != unit.cell_type:
            continue
        key = (len(template.unit.path) if template.unit_id else 0, bool(template.cell_type),
               template.pk)  # fmt: skip
        if best_key is None or key > best_key:
            best, best_key = template, key
    return best


def _copy_template(meeting: Meeting) -> None:
    """(Re)build the meeting's sections from the template for its cell and kind."""
    meeting.sections.all().delete()
    meeting.template = template_for(meeting.unit, meeting.kind)
    Meeting.objects.filter(pk=meeting.pk).update(template=meeting.template)
    if meeting.template is not None:
        MeetingSection.objects.bulk_create(
            MeetingSection(
                meeting=meeting,
                position=s.position,
                title=s.title,
                guidance=s.guidance,
                required=s.required,
                content=s.content,
            )  # fmt: skip
            for s in meeting.template.sections.all()
        )


# --- planning -----------------------------------------------------------------------------------
PLAN_FIELDS = ("kind", "date", "start_time", "place", "topic_group", "topic",
               "draft_report", "draft_resolution")  # fmt: skip


def _check_plan(data: dict[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    if data.get("kind") not in MeetingKind.values:
        errors["kind"] = [_("Choose the kind of meeting.")]
    if not data.get("date"):
        errors["date"] = [_("Enter the date.")]
    elif data["date"] < datetime.date(2000, 1, 1):
        errors["date"] = [_("Enter a date after 2000.")]
    if not data.get("start_time"):
        errors["start_time"] = [_("Enter the start time.")]
    if not data.get("place"):
        errors["place"] = [_("Enter the place.")]
    if data.get("topic_group") not in (None, "", 1, 2, 3, 4, 5):
        errors["topic_group"] = [_("Choose one of the five topic groups.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def meeting_plan(
    *, unit: Unit, by, kind: str, date: datetime.date, start_time: datetime.time, place: str,
    topic_group: int | None = None, topic: str = "", draft_report: str = "",
    draft_resolution: str = "", prepares: Meeting | None = None,
) -> Meeting:  # fmt: skip
    data = {"kind": kind, "date": date, "start_time": start_time, "place": _line(place),
            "topic_group": topic_group or None, "topic": _line(topic),
            "draft_report": _clean(draft_report), "draft_resolution": _clean(draft_resolution)}  # fmt: skip
    _check_plan(data)
    _require(unit.kind in CELL_KINDS and unit.is_active, _("Meetings are held by active cells."))
    if prepares is not None:
        _require(kind == MeetingKind.PREPARATORY and prepares.unit_id == unit.pk,
                 _("A preparatory meeting prepares a meeting of the same cell."))  # fmt: skip
    meeting = Meeting.objects.create(
        unit=unit, province=province_of(unit), prepares=prepares,
        created_by=by, **data,
    )  # fmt: skip
    _copy_template(meeting)
    _audit(meeting, by, "meeting.plan", kind=kind, date=date, place=data["place"])
    return meeting


@transaction.atomic
def meeting_update_plan(*, meeting: Meeting, by, version: int | None = None, **fields) -> Meeting:
    """Edit place, topic, drafts (and, before it is announced, date and time)."""
    _require_editable(meeting)
    _require(meeting.status != MeetingStatus.RECORDING or set(fields) <= {"topic", "topic_group"},
             _("The meeting is being recorded: only its topic can still change."))  # fmt: skip
    unknown = set(fields) - set(PLAN_FIELDS)
    _require(not unknown, _("These fields cannot be changed here: %(f)s") % {"f": sorted(unknown)})
    if meeting.status == MeetingStatus.ANNOUNCED and (
        fields.get("date", meeting.date) != meeting.date
        or fields.get("start_time", meeting.start_time) != meeting.start_time
    ):
        raise ValidationError(
            _("The meeting is announced: postpone it to change its date or time.")
        )
    cleaned = {k: _cleaned_field(k, v) for k, v in fields.items()}
    if "topic_group" in cleaned:
        cleaned["topic_group"] = cleaned["topic_group"] or None
    data = {name: getattr(meeting, name) for name in PLAN_FIELDS} | cleaned
    _check_plan(data)
    old = {name: getattr(meeting, name) for name in cleaned}
    meeting.version = save_versioned(Meeting, meeting.pk, version, cleaned)
    for name, value in cleaned.items():
        setattr(meeting, name, value)
    if "kind" in old and old["kind"] != meeting.kind:
        _copy_template(meeting)  # a new kind has its own minutes sections
    _audit(meeting, by, "meeting.update", **audit.diff(old, cleaned))
    return meeting


@transaction.atomic
def meeting_announce(*, meeting: Meeting, by) -> Meeting:
    _require(meeting.status == MeetingStatus.PLANNED, _("Only a planned meeting can be announced."))
    meeting.status = MeetingStatus.ANNOUNCED
    meeting.announced_at = timezone.now()
    meeting.save(update_fields=["status", "announced_at", "updated_at"])
    _audit(meeting, by, "meeting.announce", status=["planned", "announced"])
    signals.meeting_announced.send(sender=Meeting, meeting=meeting)
    return meeting


@transaction.atomic
def meeting_postpone(
    *, meeting: Meeting, by, to_date: datetime.date, to_time: datetime.time, reason: str
) -> Meeting:
    _require(meeting.status in (MeetingStatus.PLANNED, MeetingStatus.ANNOUNCED),
             _("Only a meeting not yet held can be postponed."))  # fmt: skip
    reason = _clean(reason)
    _require(bool(reason), _("Give the reason for postponing."), "reason")
    _require(bool(to_date and to_time), _("Enter the new date and time."), "to_date")
    Postponement.objects.create(meeting=meeting, from_date=meeting.date,
                                from_time=meeting.start_time, to_date=to_date, to_time=to_time,
                                reason=reason, by=by)  # fmt: skip
    old = (meeting.date, meeting.start_time)
    meeting.date, meeting.start_time = to_date, to_time
    if meeting.status == MeetingStatus.ANNOUNCED:
        meeting.announced_at = timezone.now()  # members are told the new date now
    meeting.version += 1
    meeting.save()
    _audit(meeting, by, "meeting.postpone", date=[old[0], to_date], time=[old[1], to_time],
           reason=reason)  # fmt: skip
    if meeting.status == MeetingStatus.ANNOUNCED:
        signals.meeting_announced.send(sender=Meeting, meeting=meeting)
    return meeting


@transaction.atomic
def meeting_cancel(*, meeting: Meeting, by, reason: str) -> Meeting:
    _require(meeting.status in (MeetingStatus.PLANNED, MeetingStatus.ANNOUNCED),
             _("Only a meeting not yet held can be cancelled."))  # fmt: skip
    reason = _clean(reason)
    _require(bool(reason), _("Give the reason for cancelling."), "reason")
    old = meeting.status
    meeting.status = MeetingStatus.CANCELLED
    meeting.cancel_reason = reason
    meeting.version += 1
    meeting.save()
    _audit(meeting, by, "meeting.cancel", status=[old, "cancelled"], reason=reason)
    return meeting


# --- leave ----------------------------------------------------------------------------------
@transaction.atomic
def leave_request(*, meeting: Meeting, member: Member, reason: str, by) -> LeaveRequest:
    _require(meeting.status in (MeetingStatus.PLANNED, MeetingStatus.ANNOUNCED),
             _("Leave is asked before the meeting."))  # fmt: skip
    reason = _clean(reason)
    _require(bool(reason), _("Give the reason."), "reason")
    request, created = LeaveRequest.objects.update_or_create(
        meeting=meeting, member=member,
        defaults={"reason": reason, "status": LeaveStatus.PENDING, "decided_by": None,
                  "decided_at": None},
    )  # fmt: skip
    _audit(meeting, by, "leave.request", request, member=str(member), reason=reason)
    signals.leave_requested.send(sender=LeaveRequest, request=request)
    return request


@transaction.atomic
def leave_decide(*, request: LeaveRequest, approve: bool, by) -> LeaveRequest:
    meeting = request.meeting
    _require_editable(meeting)
    request.status = LeaveStatus.APPROVED if approve else LeaveStatus.DECLINED
    request.decided_by, request.decided_at = by, timezone.now()
    request.save()
    lines = meeting.attendance.filter(member=request.member)
    if approve:
        lines.filter(presence=Presence.UNMARKED).update(
            presence=Presence.ABSENT_EXCUSED, reason=request.reason, version=F("version") + 1
        )
    else:  # undo an earlier approval that the roster still carries
        lines.filter(presence=Presence.ABSENT_EXCUSED, reason=request.reason).update(
            presence=Presence.UNMARKED, reason="", version=F("version") + 1
        )
    _audit(meeting, by, "leave.decide", request, status=request.status)
    signals.leave_decided.send(sender=LeaveRequest, request=request)
    return request


# --- recording ------------------------------------------------------------------------------
def _category(line) -> str:
    if line.attached:
        return RosterCategory.ATTACHED
    if line.away is not None:
        return RosterCategory.AWAY
    if line.exemption is not None:
        return RosterCategory.EXEMPTED
    if line.member.status == MemberStatus.PROBATIONARY:
        return RosterCategory.PROBATIONARY
    return RosterCategory.OFFICIAL


@transaction.atomic
def meeting_start_recording(*, meeting: Meeting, by) -> Meeting:
    """Open the minutes: the roster is filled from the cell's members on the meeting's date."""
    _require(meeting.status in (MeetingStatus.PLANNED, MeetingStatus.ANNOUNCED),
             _("This meeting cannot be recorded now."))  # fmt: skip
    approved = {
        r.member_id: r.reason for r in meeting.leave_requests.filter(status=LeaveStatus.APPROVED)
    }
    lines = []
    for line in cell_roster(meeting.unit, day=meeting.date):
        category = _category(line)
        presence, reason = Presence.UNMARKED, ""
        if category == RosterCategory.AWAY:
            presence, reason = Presence.AWAY, line.away.host_cell.name
        elif category == RosterCategory.EXEMPTED:
            presence = Presence.EXEMPT_ABSENT
        elif line.member.pk in approved:
            presence, reason = Presence.ABSENT_EXCUSED, approved[line.member.pk]
        lines.append(Attendance(
            meeting=meeting, member=line.member, category=category,
            was_official=line.member.status == MemberStatus.OFFICIAL, presence=presence,
            reason=reason, sort_key=f"{int(line.attached)}{line.member.sort_key}",
        ))  # fmt: skip
    Attendance.objects.bulk_create(lines)
    chair = next(
        (a.member for a in lines if a.member.position == Position.SECRETARY and not a.category
         == RosterCategory.ATTACHED), None,
    )  # fmt: skip
    old = meeting.status
    meeting.status = MeetingStatus.RECORDING
    meeting.chair = meeting.chair or chair
    meeting.actual_start = meeting.actual_start or meeting.start_time
    meeting.version += 1
    meeting.save()
    _audit(meeting, by, "meeting.start", status=[old, "recording"], roster=len(lines))
    return meeting


@transaction.atomic
def attendance_mark(
    *, line: Attendance, by, presence: str, reason: str = "", late: bool = False,
    version: int | None = None,
) -> Attendance:  # fmt: skip
    _require_recording(line.meeting)
    _require(presence in Presence.values and presence != Presence.UNMARKED,
             _("Choose present or absent."), "presence")  # fmt: skip
    if line.category == RosterCategory.AWAY:
        _require(presence in (Presence.AWAY, Presence.PRESENT),
                 _("This member is attached to another cell."), "presence")  # fmt: skip
    if presence == Presence.EXEMPT_ABSENT:
        _require(line.category == RosterCategory.EXEMPTED,
                 _("Only an exempted member can be marked “exempted, not attending”."),
                 "presence")  # fmt: skip
    reason = _clean(reason)
    fields = {"presence": presence, "reason": reason,
              "late": bool(late) and presence == Presence.PRESENT}  # fmt: skip
    old = {"presence": line.presence, "reason": line.reason, "late": line.late}
    line.version = save_versioned(Attendance, line.pk, version, fields)
    for name, value in fields.items():
        setattr(line, name, value)
    _audit(line.meeting, by, "attendance.mark", line, member=str(line.member),
           **audit.diff(old, fields))  # fmt: skip
    return line


RECORD_FIELDS = ("chair", "clerk", "actual_start", "actual_end", "resolution_number",
                 "resolution_text", "remarks")  # fmt: skip


@transaction.atomic
def meeting_record_update(*, meeting: Meeting, by, version: int | None = None, **fields) -> Meeting:
    """Save parts of the record kept on the meeting itself (people, times, resolution, remarks)."""
    _require_recording(meeting)
    unknown = set(fields) - set(RECORD_FIELDS)
    _require(not unknown, _("These fields cannot be changed here: %(f)s") % {"f": sorted(unknown)})
    cleaned = {k: _cleaned_field(k, v) for k, v in fields.items()}
    roster = set(meeting.attendance.values_list("member_id", flat=True))
    for role in ("chair", "clerk"):
        person = cleaned.get(role)
        if person is not None:
            _require(person.pk in roster, _("Choose a member on the roster."), role)
    old = {name: getattr(meeting, name) for name in cleaned}
    meeting.version = save_versioned(Meeting, meeting.pk, version, cleaned)
    for name, value in cleaned.items():
        setattr(meeting, name, value)
    _audit(meeting, by, "meeting.record", **audit.diff(old, cleaned))
    return meeting


@transaction.atomic
def section_save(
    *, section: MeetingSection, by, version: int | None = None, text: str | None = None,
    conclusion: str | None = None,
) -> MeetingSection:  # fmt: skip
    _require_recording(section.meeting)
    fields = {}
    if text is not None:
        fields["text"] = _clean(text)
    if conclusion is not None:
        fields["conclusion"] = _clean(conclusion)
    old = {name: getattr(section, name) for name in fields}
    section.version = save_versioned(MeetingSection, section.pk, version, fields)
    for name, value in fields.items():
        setattr(section, name, value)
    _audit(section.meeting, by, "section.save", section, title=section.title,
           **audit.diff(old, fields))  # fmt: skip
    return section


@transaction.atomic
def guest_add(*, meeting: Meeting, by, name: str, position: str = "",
              is_upper_attendee: bool = False, user=None) -> Guest:  # fmt: skip
    _require_editable(meeting)
    name = _line(name)
    _require(bool(name), _("Enter the guest's name."), "name")
    guest = Guest.objects.create(meeting=meeting, name=name, position=_line(position),
                                 is_upper_attendee=is_upper_attendee, user=user)  # fmt: skip
    _audit(meeting, by, "guest.add", guest, name=name)
    return guest


@transaction.atomic
def attendee_check_in(*, meeting: Meeting, by, position: str = "") -> Guest:
    """The upper-level attendee records being present: a guest line with their name and
    position, once (callers check that they follow the cell)."""
    _require_editable(meeting)
    _require(meeting.status in (MeetingStatus.ANNOUNCED, MeetingStatus.RECORDING)
             and meeting.date <= timezone.localdate(),
             _("You can record your presence on the day of the meeting, once it is announced."))  # fmt: skip
    existing = meeting.guests.filter(user=by).first()
    if existing is not None:
        return existing
    guest = Guest.objects.create(meeting=meeting, name=by.display_name, position=_line(position),
                                 is_upper_attendee=True, user=by)  # fmt: skip
    _audit(meeting, by, "guest.check_in", guest, name=guest.name, position=guest.position)
    return guest


@transaction.atomic
def guest_remove(*, guest: Guest, by) -> None:
    _require_editable(guest.meeting)
    _require(not guest.speech_set.exists(), _("This guest spoke: delete the speech first."))
    _audit(guest.meeting, by, "guest.remove", guest, name=guest.name)
    guest.delete()


@transaction.atomic
def speech_add(*, section: MeetingSection, by, text: str, speaker: Member | None = None,
               guest: Guest | None = None) -> Speech:  # fmt: skip
    meeting = section.meeting
    _require_recording(meeting)
    text = _clean(text)
    _require(bool(text), _("Write what was said."), "text")
    _require((speaker is None) != (guest is None), _("Choose who spoke."), "speaker")
    if speaker is not None:
        _require(meeting.attendance.filter(member=speaker).exists(),
                 _("Choose a member on the roster."), "speaker")  # fmt: skip
    if guest is not None:
        _require(guest.meeting_id == meeting.pk, _("Choose a guest of this meeting."), "speaker")
    speech = Speech.objects.create(section=section, meeting=meeting, speaker=speaker, guest=guest,
                                   text=text, created_by=by)  # fmt: skip
    _audit(meeting, by, "speech.add", speech, section=section.title, text=text)
    return speech


@transaction.atomic
def speech_update(*, speech: Speech, by, text: str, version: int | None = None) -> Speech:
    _require_recording(speech.meeting)
    text = _clean(text)
    _require(bool(text), _("Write what was said."), "text")
    old = speech.text
    speech.version = save_versioned(Speech, speech.pk, version, {"text": text})
    speech.text = text
    _audit(speech.meeting, by, "speech.update", speech, text=[old, text])
    return speech


@transaction.atomic
def speech_delete(*, speech: Speech, by) -> None:
    _require_recording(speech.meeting)
    _audit(speech.meeting, by, "speech.delete", speech, text=speech.text)
    speech.delete()


@transaction.atomic
def vote_record(*, meeting: Meeting, by, subject: str, votes_for: int, votes_against: int = 0,
                votes_abstain: int = 0) -> Vote:  # fmt: skip
    _require_recording(meeting)
    _require(subject in VoteSubject.values, _("Unknown vote."), "subject")
    counts = (votes_for, votes_against, votes_abstain)
    _require(all(isinstance(n, int) and 0 <= n <= 10_000 for n in counts),
             _("Enter the number of votes (0 or more)."), "votes_for")  # fmt: skip
    vote, _created = Vote.objects.update_or_create(
        meeting=meeting, subject=subject,
        defaults={"votes_for": votes_for, "votes_against": votes_against,
                  "votes_abstain": votes_abstain},
    )  # fmt: skip
    _audit(meeting, by, "vote.record", vote, subject=subject, votes=list(counts))
    return vote


def _check_assignment(meeting: Meeting, description: str, assignees, deadline, to_committee):
    errors: dict[str, list[str]] = {}
    if not description:
        errors["description"] = [_("Write the task.")]
    if not assignees and not to_committee:
        errors["assignees"] = [_("Choose who does it: members or the cell committee.")]
    roster = set(meeting.attendance.values_list("member_id", flat=True))
    if any(m.pk not in roster for m in assignees):
        errors["assignees"] = [_("Choose members on the roster.")]
    if deadline is None:
        errors["deadline"] = [_("Enter the deadline.")]
    elif deadline < meeting.date:
        errors["deadline"] = [_("The deadline cannot be before the meeting.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def assignment_add(*, meeting: Meeting, by, description: str, assignees: list[Member],
                   deadline: datetime.date | None, to_committee: bool = False) -> Assignment:  # fmt: skip
    _require_recording(meeting)
    description = _clean(description)
    _check_assignment(meeting, description, assignees, deadline, to_committee)
    assignment = Assignment.objects.create(meeting=meeting, description=description,
                                           deadline=deadline, to_committee=to_committee)  # fmt: skip
    assignment.assignees.set(assignees)
    _audit(meeting, by, "assignment.add", assignment, task=description, deadline=deadline,
           assignees=[str(m) for m in assignees], to_committee=to_committee)  # fmt: skip
    return assignment


@transaction.atomic
def assignment_update(*, assignment: Assignment, by, description: str, assignees: list[Member],
                      deadline: datetime.date | None, to_committee: bool = False,
                      version: int | None = None) -> Assignment:  # fmt: skip
    meeting = assignment.meeting
    _require_recording(meeting)
    description = _clean(description)
    _check_assignment(meeting, description, assignees, deadline, to_committee)
    fields = {"description": description, "deadline": deadline, "to_committee": to_committee}
    assignment.version = save_versioned(Assignment, assignment.pk, version, fields)
    assignment.assignees.set(assignees)
    for name, value in fields.items():
        setattr(assignment, name, value)
    _audit(meeting, by, "assignment.update", assignment, task=description, deadline=deadline,
           assignees=[str(m) for m in assignees])  # fmt: skip
    return assignment


@transaction.atomic
def assignment_delete(*, assignment: Assignment, by) -> None:
    _require_recording(assignment.meeting)
    _audit(assignment.meeting, by, "assignment.delete", assignment, task=assignment.description)
    assignment.delete()


# --- finalisation ---------------------------------------------------------------------------
MINUTES_LANGUAGE = "vi"  # the language of the minutes book, whatever the UI language


def minutes_content(meeting: Meeting) -> dict[str, Any]:
    """The finalised record as plain data, in a fixed order: what the content hash covers."""
    return {
        "meeting": meeting.pk,
        "unit": meeting.unit.code,
        "kind": meeting.kind,
        "date": meeting.date.isoformat(),
        "start": meeting.actual_start.isoformat() if meeting.actual_start else None,
        "end": meeting.actual_end.isoformat() if meeting.actual_end else None,
        "place": meeting.place,
        "topic": meeting.topic,
        "chair": meeting.chair.full_name if meeting.chair_id else None,
        "clerk": meeting.clerk.full_name if meeting.clerk_id else None,
        "attendance": [
            [a.member.full_name, a.category, a.presence, a.reason, a.late]
            for a in meeting.attendance.select_related("member")
        ],
        "guests": [[g.name, g.position, g.is_upper_attendee] for g in meeting.guests.all()],
        "sections": [
            {
                "title": s.title,
                "text": s.text,
                "conclusion": s.conclusion,
                "speeches": [
                    [sp.speaker_name, sp.text]
                    for sp in s.speeches.select_related("speaker", "guest")
                ],
            }  # fmt: skip
            for s in meeting.sections.all()
        ],
        "resolution": [meeting.resolution_number, meeting.resolution_text],
        "votes": sorted(
            [v.subject, v.votes_for, v.votes_against, v.votes_abstain] for v in meeting.votes.all()
        ),
        "assignments": [
            [
                a.description,
                a.deadline.isoformat() if a.deadline else None,
                a.to_committee,
                sorted(m.full_name for m in a.assignees.all()),
            ]  # fmt: skip
            for a in meeting.assignments.prefetch_related("assignees")
        ],
        "remarks": meeting.remarks,
        "acknowledged_warnings": meeting.acknowledged_warnings,
        "parts": [p.as_data() for p in signals.collected_parts(meeting, language=MINUTES_LANGUAGE)],
    }


def content_hash(content: dict[str, Any]) -> str:
    canonical = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@transaction.atomic
def meeting_finalise(*, meeting: Meeting, by, acknowledgements: dict[str, str] | None = None
                     ) -> Meeting:  # fmt: skip
    """Lock the minutes. Refused, with every problem, while a rule is broken; each soft rule
    broken needs an acknowledgement with a reason, which is kept with the minutes."""
    meeting = Meeting.objects.select_for_update().select_related("unit").get(pk=meeting.pk)
    _require_recording(meeting)
    errors, warnings = checks.problems(meeting)
    acknowledgements = {k: _clean(v) for k, v in (acknowledgements or {}).items()}
    unacknowledged = [w for w in warnings if not acknowledgements.get(w.code)]
    if errors or unacknowledged:
        raise FinaliseRefused(errors + unacknowledged)
    meeting.acknowledged_warnings = [
        {"code": w.code, "message": w.message, "reason": acknowledgements[w.code]} for w in warnings
    ]
    meeting.status = MeetingStatus.FINALISED
    meeting.finalised_at = timezone.now()
    meeting.finalised_by = by
    meeting.content_hash = content_hash(minutes_content(meeting))
    meeting.version += 1
    meeting.save()
    _audit(meeting, by, "meeting.finalise", status=["recording", "finalised"],
           hash=meeting.content_hash, warnings=meeting.acknowledged_warnings)  # fmt: skip
    signals.meeting_finalised.send(sender=Meeting, meeting=meeting, by=by)
    return meeting


@transaction.atomic
def addendum_add(*, meeting: Meeting, by, part: str, text: str, reason: str) -> Addendum:
    _require(meeting.status == MeetingStatus.FINALISED,
             _("An addendum corrects finalised minutes; edit the minutes directly."))  # fmt: skip
    part, text, reason = _line(part), _clean(text), _clean(reason)
    errors = {}
    required = (("part", part, _("Say which part is corrected.")),
                ("text", text, _("Write the correction.")), ("reason", reason, _("Say why.")))  # fmt: skip
    for name, value, message in required:
        if not value:
            errors[name] = [message]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    digest = content_hash({"minutes": meeting.content_hash, "part": part, "text": text,
                           "reason": reason, "author": by.pk, "at": now.isoformat()})  # fmt: skip
    addendum = Addendum.objects.create(meeting=meeting, author=by, part=part, text=text,
                                       reason=reason, content_hash=digest)  # fmt: skip
    _audit(meeting, by, "addendum.add", addendum, part=part, text=text, reason=reason)
    return addendum
