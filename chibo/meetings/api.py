"""API routes for meetings and their structured minutes: plan, announce, leave, record,
check, finalise, correct. Thin: `selectors` read (and apply the access policy), `services`
write (state machine, lock, versions, audit), `Scope` decides who may act.

Access: a meeting outside the caller's grants answers 404 (a plain member sees their own cell's
meetings once announced). A caller who sees the meeting but may not act gets 403: planning,
announcing, postponing, cancelling, deciding leave, finalising and addenda need the cell's
secretary; recording needs its secretary or clerk; remarks need the upper-level attendee. A
member reads the minutes once they are finalised.

Concurrent edits: every route that changes an editable part takes the `version` the client
read; a stale version answers 409 with the values stored now and their version, so nothing is
overwritten silently.
"""

from __future__ import annotations

import datetime
import enum
from typing import Annotated, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import AfterValidator, ConfigDict

from chibo.accounts.access import READ_ROLES, Scope, scope_for
from chibo.org import selectors as org_selectors
from chibo.org.api import CellRef, ErrorOut, ValidationErrorOut
from chibo.org.models import Member, TemporaryAttachment

from . import checks, export_views, exporting, selectors, services
from .models import (
    Addendum,
    Assignment,
    Attendance,
    Guest,
    LeaveRequest,
    Meeting,
    MeetingKind,
    MeetingSection,
    MeetingStatus,
    Presence,
    Speech,
    Vote,
    VoteSubject,
)

router = Router(tags=["meetings"])


# --- schemas: output -------------------------------------------------------------------------
class ConflictOut(ErrorOut):
    current: dict[str, Any] = Field(
        description="The values stored now (people as member ids), to show the user what changed."
    )
    version: int = Field(description="The stored version: send it with the next change.")


# Responses of the routes that change a versioned part of the minutes.
EDIT = {403: ErrorOut, 404: ErrorOut, 409: ConflictOut, 422: ValidationErrorOut}


class PersonRef(Schema):
    id: int
    full_name: str = Field(description="Full name (họ và tên).")


class MeetingOut(Schema):
    """A meeting as planned (kế hoạch sinh hoạt) and where it stands."""

    id: int
    unit: CellRef = Field(description="The cell holding the meeting (chi bộ).")
    kind: str = Field(description="Kind (loại): " + ", ".join(MeetingKind.values))
    kind_label: str
    status: str = Field(description="Status (trạng thái): " + ", ".join(MeetingStatus.values))
    status_label: str
    date: datetime.date = Field(description="Date (ngày).")
    start_time: datetime.time = Field(description="Start time (giờ bắt đầu).")
    place: str = Field(description="Place (địa điểm).")
    topic_group: int | None = Field(description="Topic group 1–5 of a thematic meeting.")
    topic_group_label: str
    topic: str = Field(description="Topic (chuyên đề).")
    draft_report: str = Field(description="Draft report (dự thảo báo cáo).")
    draft_resolution: str = Field(description="Draft resolution (dự thảo nghị quyết).")
    prepares_id: int | None = Field(description="For a preparatory meeting: the meeting prepared.")
    announced_at: datetime.datetime | None = Field(description="When it was announced (thông báo).")
    cancel_reason: str = Field(description="Reason for cancelling (lý do hủy).")
    finalised_at: datetime.datetime | None = Field(description="When the minutes were locked.")
    content_hash: str = Field(description="SHA-256 of the finalised minutes (mã kiểm tra).")
    version: int = Field(description="Version of the meeting's own fields: send it with changes.")


class PostponementOut(Schema):
    from_date: datetime.date
    from_time: datetime.time
    to_date: datetime.date
    to_time: datetime.time
    reason: str = Field(description="Reason for postponing (lý do hoãn).")
    at: datetime.datetime


class LeaveOut(Schema):
    """A request for leave from the meeting (xin vắng)."""

    id: int
    meeting_id: int
    member: PersonRef
    reason: str = Field(description="Reason (lý do).")
    status: str = Field(description="pending / approved / declined.")
    status_label: str
    created_at: datetime.datetime
    decided_at: datetime.datetime | None


class MeetingDetailOut(MeetingOut):
    postponements: list[PostponementOut] = Field(description="Postponements (lần hoãn).")
    leave_requests: list[LeaveOut] = Field(
        description="Requests for leave: all of them for the secretary, one's own for a member."
    )
    can_plan: bool = Field(description="You may change the plan, announce, finalise.")
    can_record: bool = Field(description="You may record the minutes.")
    can_remark: bool = Field(description="You may write the upper-level attendee's remarks.")


class MeetingPage(Schema):
    count: int = Field(description="Number of meetings matching, over all pages.")
    limit: int
    offset: int
    items: list[MeetingOut]


class RecordOut(Schema):
    """The parts of the minutes kept on the meeting itself."""

    chair: PersonRef | None = Field(description="Chair (chủ trì).")
    clerk: PersonRef | None = Field(description="Minutes clerk (thư ký).")
    actual_start: datetime.time | None = Field(description="Actual start (bắt đầu).")
    actual_end: datetime.time | None = Field(description="End time (kết thúc).")
    resolution_number: str = Field(description="Resolution number, e.g. 05-NQ/CB.")
    resolution_text: str = Field(description="Resolution (nghị quyết).")
    remarks: str = Field(description="Upper-level attendee's remarks (ý kiến cấp trên).")
    acknowledged_warnings: list[dict[str, str]] = Field(
        description="Soft rules acknowledged at finalisation: {code, message, reason}."
    )
    version: int = Field(description="The meeting's version: send it with the next change.")


class SpeechOut(Schema):
    id: int
    section_id: int
    speaker: PersonRef | None = Field(description="The member who spoke, if a member.")
    guest_id: int | None = Field(description="The guest who spoke, if a guest.")
    speaker_name: str
    text: str = Field(description="What was said (nội dung phát biểu).")
    version: int


class SectionOut(Schema):
    id: int
    position: int
    title: str
    guidance: str = Field(description="Guidance for the clerk (hướng dẫn ghi).")
    required: bool
    content: str = Field(description="What the section holds: text, discussion, votes …")
    text: str
    conclusion: str = Field(description="The chair's conclusion (kết luận của chủ trì).")
    version: int


class SectionWithSpeechesOut(SectionOut):
    speeches: list[SpeechOut]


class AttendanceOut(Schema):
    """One line of the roster (danh sách đảng viên dự sinh hoạt)."""

    id: int
    member: PersonRef
    category: str = Field(description="official, probationary, attached, exempted, away.")
    category_label: str
    was_official: bool
    presence: str = Field(description="Presence: " + ", ".join(Presence.values))
    presence_label: str
    reason: str = Field(description="Reason of an absence (lý do vắng).")
    late: bool = Field(description="Arrived late (đến muộn).")
    version: int


class GuestOut(Schema):
    id: int
    name: str
    position: str
    is_upper_attendee: bool = Field(description="Upper-level attendee (đại diện cấp ủy cấp trên).")


class VoteOut(Schema):
    subject: str = Field(description="resolution / minutes.")
    votes_for: int = Field(description="For (tán thành).")
    votes_against: int = Field(description="Against (không tán thành).")
    votes_abstain: int = Field(description="Abstaining (không biểu quyết).")
    recorded_at: datetime.datetime


class VotesOut(Schema):
    resolution: VoteOut | None
    minutes: VoteOut | None


class AssignmentOut(Schema):
    id: int
    description: str = Field(description="The task (nhiệm vụ).")
    assignees: list[PersonRef] = Field(description="Members given the task.")
    to_committee: bool = Field(description="Given to the cell committee (chi ủy).")
    deadline: datetime.date | None = Field(description="Deadline (thời hạn).")
    version: int


class AbsentOut(PersonRef):
    reason: str


class AttendanceSummaryOut(Schema):
    total: int = Field(description="Members of the cell on the roster (tổng số đảng viên).")
    official: int
    probationary: int
    attached: int = Field(description="Members temporarily attached here.")
    exempted: int
    away: int = Field(description="Members temporarily attached elsewhere.")
    present: int
    present_official: int
    present_probationary: int
    present_attached: int
    absent_excused: list[AbsentOut]
    absent_unexcused: list[PersonRef]
    late: list[PersonRef]
    unmarked: int = Field(description="Lines not marked yet.")
    rate: float | None = Field(description="Share of the expected members present, 0–1.")
    counted_voters: int = Field(description="Official members whose vote counts.")
    voters_present: int = Field(description="Counted voters present.")
    votes_needed: int = Field(description="Votes for needed: more than half of counted voters.")


class AddendumOut(Schema):
    id: int
    author: str
    created_at: datetime.datetime
    part: str = Field(description="The part corrected (phần được đính chính).")
    text: str = Field(description="The correction.")
    reason: str = Field(description="Why.")
    content_hash: str


class MinutesOut(Schema):
    """The whole record of a meeting (biên bản)."""

    meeting: MeetingOut
    record: RecordOut
    sections: list[SectionWithSpeechesOut]
    roster: list[AttendanceOut]
    guests: list[GuestOut]
    votes: VotesOut
    assignments: list[AssignmentOut]
    attendance: AttendanceSummaryOut
    addenda: list[AddendumOut]


class ProblemOut(Schema):
    code: str = Field(description="Which rule, e.g. conclusion, resolution-vote, short.")
    message: str = Field(description="What to fix, in the request's language.")
    anchor: str = Field(description="The part of the minutes to fix (id on the screen).")


class ProblemsOut(Schema):
    errors: list[ProblemOut] = Field(description="Rules broken: finalisation is refused.")
    warnings: list[ProblemOut] = Field(
        description="Soft rules broken: each needs an acknowledgement with a reason."
    )


class FinaliseRefusedOut(ValidationErrorOut):
    problems: list[ProblemOut] = Field(description="Every problem preventing finalisation.")
    warnings: list[str] = Field(
        description="Codes among `problems` that an acknowledgement with a reason would clear."
    )


# Responses of the routes that move a meeting through its states.
_STATE = {200: MeetingDetailOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut}


# --- schemas: input --------------------------------------------------------------------------
class _In(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _local_time(value: datetime.time) -> datetime.time:
    """Meeting times are wall-clock times in Vietnam: a time with a zone ("14:00Z") is refused,
    not stored shifted or half-understood."""
    if value.tzinfo is not None:
        raise ValueError(_("Enter a valid time (HH:MM)."))
    return value


LocalTime = Annotated[datetime.time, AfterValidator(_local_time)]


class MeetingQuery(Schema):
    status: MeetingStatus | None = Field(None, description="Only meetings in this status.")
    limit: int = Field(50, ge=1, le=500, description="Page size, at most 500.")
    offset: int = Field(0, ge=0, description="Number of meetings to skip.")


class MeetingIn(_In):
    kind: MeetingKind = Field(description="Kind of meeting (loại sinh hoạt).")
    date: datetime.date = Field(description="Date (ngày), YYYY-MM-DD.")
    start_time: LocalTime = Field(description="Start time (giờ), HH:MM.")
    place: str = Field(max_length=255, description="Place (địa điểm).")
    topic_group: int | None = Field(None, description="Topic group 1–5 (nhóm chuyên đề).")
    topic: str = Field("", max_length=500, description="Topic (chuyên đề).")
    draft_report: str = Field("", max_length=100_000)
    draft_resolution: str = Field("", max_length=100_000)
    prepares: int | None = Field(
        None, description="For a preparatory meeting: id of the meeting it prepares."
    )


class MeetingPatch(_In):
    """Plan fields to change; those left out stay. Date and time of an announced meeting
    change by postponing it."""

    kind: MeetingKind = Field(None)
    date: datetime.date = Field(None)
    start_time: LocalTime = Field(None)
    place: str = Field(None, max_length=255)
    topic_group: int | None = Field(None)
    topic: str = Field(None, max_length=500)
    draft_report: str = Field(None, max_length=100_000)
    draft_resolution: str = Field(None, max_length=100_000)
    version: int = Field(description="The meeting's version you read.")


class PostponeIn(_In):
    to_date: datetime.date = Field(description="New date.")
    to_time: LocalTime = Field(description="New start time.")
    reason: str = Field(max_length=2000, description="Reason for postponing (lý do hoãn).")


class ReasonIn(_In):
    reason: str = Field(max_length=2000, description="Reason (lý do).")


class LeaveIn(_In):
    reason: str = Field(max_length=500, description="Reason for the leave (lý do xin vắng).")


class DecideIn(_In):
    approve: bool = Field(description="true: approved (đồng ý); false: not approved.")


class RecordPatch(_In):
    """Parts of the record kept on the meeting; those left out stay. Null clears a person
    or a time."""

    chair: int | None = Field(None, description="Member id of the chair, from the roster.")
    clerk: int | None = Field(None, description="Member id of the clerk, from the roster.")
    actual_start: LocalTime | None = Field(None)
    actual_end: LocalTime | None = Field(None)
    resolution_number: str = Field(None, max_length=32)
    resolution_text: str = Field(None, max_length=100_000)
    remarks: str = Field(None, max_length=100_000)
    version: int = Field(description="The meeting's version you read.")


class RemarksIn(_In):
    remarks: str = Field(max_length=100_000, description="Remarks (ý kiến chỉ đạo).")
    version: int = Field(description="The meeting's version you read.")


class AttendanceIn(_In):
    presence: Presence = Field(description="present, absent_excused, absent_unexcused …")
    reason: str = Field("", max_length=500, description="Reason of an absence.")
    late: bool = Field(False, description="Arrived late (present only).")
    version: int = Field(description="The line's version you read.")


class GuestIn(_In):
    name: str = Field(max_length=200)
    position: str = Field("", max_length=255)
    is_upper_attendee: bool = False


class SectionPatch(_In):
    text: str = Field(None, max_length=100_000)
    conclusion: str = Field(None, max_length=100_000)
    version: int = Field(description="The section's version you read.")


class SpeechIn(_In):
    text: str = Field(max_length=100_000, description="What was said.")
    speaker: int | None = Field(None, description="Member id of the speaker, from the roster.")
    guest: int | None = Field(None, description="Id of the guest who spoke.")


class SpeechPatch(_In):
    text: str = Field(max_length=100_000)
    version: int = Field(description="The speech's version you read.")


class VoteIn(_In):
    votes_for: int = Field(ge=0, le=10_000)
    votes_against: int = Field(0, ge=0, le=10_000)
    votes_abstain: int = Field(0, ge=0, le=10_000)


class AssignmentIn(_In):
    description: str = Field(max_length=10_000, description="The task (nhiệm vụ).")
    assignees: list[int] = Field([], description="Member ids from the roster.")
    deadline: datetime.date | None = Field(None, description="Deadline (thời hạn).")
    to_committee: bool = Field(False, description="Given to the cell committee.")


class AssignmentPatch(_In):
    description: str = Field(None, max_length=10_000)
    assignees: list[int] = Field(None)
    deadline: datetime.date | None = Field(None)
    to_committee: bool = Field(None)
    version: int = Field(description="The assignment's version you read.")


class FinaliseIn(_In):
    acknowledgements: dict[str, str] = Field(
        {}, description="{warning code: reason} for each soft rule you acknowledge."
    )


class AddendumIn(_In):
    part: str = Field(max_length=255, description="The part corrected.")
    text: str = Field(max_length=100_000, description="The correction.")
    reason: str = Field(max_length=10_000, description="Why.")


# --- access ----------------------------------------------------------------------------------
def _meeting(request: HttpRequest, meeting_id: int) -> tuple[Scope, Meeting]:
    scope = scope_for(request.auth)
    return scope, selectors.get_meeting(scope, meeting_id)


def _part(scope: Scope, model: type[models.Model], pk: int, *related: str) -> Any:
    """A row belonging to a meeting the caller sees (with the meeting and its cell); 404."""
    row = (
        model.objects.select_related("meeting__unit", *related)
        .filter(pk=pk, meeting__in=selectors.visible_meetings(scope).values("pk"))
        .first()
    )
    if row is None:
        raise Http404
    return row


def _may_plan(scope: Scope, meeting: Meeting) -> None:
    if not scope.can_plan_meetings(meeting.unit):
        raise PermissionDenied(_("Only the cell's secretary may do this for its meetings."))


def _may_record(scope: Scope, meeting: Meeting) -> None:
    if not scope.can_record_meeting(meeting.unit):
        raise PermissionDenied(_("Only the cell's secretary or clerk may record these minutes."))


def _can_read_record(scope: Scope, meeting: Meeting) -> bool:
    """Readers of the cell see the record as it is written; a member once it is finalised."""
    return meeting.is_finalised or scope.covers(meeting.unit.path, READ_ROLES)


def _may_read_record(scope: Scope, meeting: Meeting) -> None:
    if not _can_read_record(scope, meeting):
        raise PermissionDenied(_("The minutes can be read once they are finalised."))


def _own_member(scope: Scope, meeting: Meeting) -> Member:
    """The caller's member record, when they belong to the meeting's cell (or are attached to
    it on the meeting's date): leave is asked for oneself only."""
    member = Member.active.filter(pk=scope.member_id).first() if scope.member_id else None
    if member is not None and (
        member.cell_id == meeting.unit_id
        or TemporaryAttachment.objects.covering(meeting.date)
        .filter(member=member, host_cell=meeting.unit)
        .exists()
    ):
        return member
    raise PermissionDenied(_("You may ask leave only for yourself, from your own cell's meeting."))


# --- helpers ---------------------------------------------------------------------------------
def _plain(data: dict[str, Any]) -> dict[str, Any]:
    """Enum members → their stored values, for the services."""
    return {k: v.value if isinstance(v, enum.Enum) else v for k, v in data.items()}


def conflict_response(conflict: services.EditConflict) -> Status:
    current = {
        name: value.pk if isinstance(value, models.Model) else value
        for name, value in conflict.current.items()
    }
    return Status(409, {"detail": str(conflict), "current": current, "version": conflict.version})


def _members(ids: list[int], field: str, message: str) -> list[Member]:
    """Members by id; an unknown id is refused on `field` (the service checks the roster)."""
    found = {m.pk: m for m in Member.objects.filter(pk__in=ids)}
    if any(pk not in found for pk in ids):
        raise ValidationError({field: [message]})
    return [found[pk] for pk in dict.fromkeys(ids)]


def _person(member: Member | None) -> dict[str, Any] | None:
    return None if member is None else {"id": member.pk, "full_name": member.full_name}


# --- output builders -------------------------------------------------------------------------
def _meeting_out(meeting: Meeting) -> dict[str, Any]:
    unit = meeting.unit
    return {
        "id": meeting.pk,
        "unit": {"id": unit.pk, "code": unit.code, "name": unit.name},
        "kind": meeting.kind,
        "kind_label": str(meeting.get_kind_display()),
        "status": meeting.status,
        "status_label": str(meeting.get_status_display()),
        "date": meeting.date,
        "start_time": meeting.start_time,
        "place": meeting.place,
        "topic_group": meeting.topic_group,
        "topic_group_label": str(meeting.get_topic_group_display()) if meeting.topic_group else "",
        "topic": meeting.topic,
        "draft_report": meeting.draft_report,
        "draft_resolution": meeting.draft_resolution,
        "prepares_id": meeting.prepares_id,
        "announced_at": meeting.announced_at,
        "cancel_reason": meeting.cancel_reason,
        "finalised_at": meeting.finalised_at,
        "content_hash": meeting.content_hash,
        "version": meeting.version,
    }


def _leave_out(leave: LeaveRequest) -> dict[str, Any]:
    return {
        "id": leave.pk,
        "meeting_id": leave.meeting_id,
        "member": _person(leave.member),
        "reason": leave.reason,
        "status": leave.status,
        "status_label": str(leave.get_status_display()),
        "created_at": leave.created_at,
        "decided_at": leave.decided_at,
    }


def _meeting_detail_out(scope: Scope, meeting: Meeting) -> dict[str, Any]:
    can_plan = scope.can_plan_meetings(meeting.unit)
    leaves = meeting.leave_requests.select_related("member").order_by("created_at", "id")
    if not scope.covers(meeting.unit.path, READ_ROLES):
        leaves = leaves.filter(member_id=scope.member_id)
    return _meeting_out(meeting) | {
        "postponements": [
            {
                "from_date": p.from_date,
                "from_time": p.from_time,
                "to_date": p.to_date,
                "to_time": p.to_time,
                "reason": p.reason,
                "at": p.at,
            }
            for p in meeting.postponements.all()
        ],
        "leave_requests": [_leave_out(r) for r in leaves],
        "can_plan": can_plan,
        "can_record": scope.can_record_meeting(meeting.unit),
        "can_remark": scope.can_remark(meeting.unit),
    }


def _record_out(meeting: Meeting, people: dict[int, Member] | None = None) -> dict[str, Any]:
    """`people`: roster members by id, so that chair and clerk cost no query."""
    people = people or {}

    def who(member_id: int | None, role: str) -> dict[str, Any] | None:
        if member_id is None:
            return None
        return _person(people.get(member_id) or getattr(meeting, role))

    return {
        "chair": who(meeting.chair_id, "chair"),
        "clerk": who(meeting.clerk_id, "clerk"),
        "actual_start": meeting.actual_start,
        "actual_end": meeting.actual_end,
        "resolution_number": meeting.resolution_number,
        "resolution_text": meeting.resolution_text,
        "remarks": meeting.remarks,
        "acknowledged_warnings": meeting.acknowledged_warnings,
        "version": meeting.version,
    }


def _speech_out(speech: Speech) -> dict[str, Any]:
    return {
        "id": speech.pk,
        "section_id": speech.section_id,
        "speaker": _person(speech.speaker) if speech.speaker_id else None,
        "guest_id": speech.guest_id,
        "speaker_name": speech.speaker_name,
        "text": speech.text,
        "version": speech.version,
    }


def _section_out(section: MeetingSection) -> dict[str, Any]:
    return {
        "id": section.pk,
        "position": section.position,
        "title": section.title,
        "guidance": section.guidance,
        "required": section.required,
        "content": section.content,
        "text": section.text,
        "conclusion": section.conclusion,
        "version": section.version,
    }


def _attendance_out(line: Attendance) -> dict[str, Any]:
    return {
        "id": line.pk,
        "member": _person(line.member),
        "category": line.category,
        "category_label": str(line.get_category_display()),
        "was_official": line.was_official,
        "presence": line.presence,
        "presence_label": str(line.get_presence_display()),
        "reason": line.reason,
        "late": line.late,
        "version": line.version,
    }


def _guest_out(guest: Guest) -> dict[str, Any]:
    return {
        "id": guest.pk,
        "name": guest.name,
        "position": guest.position,
        "is_upper_attendee": guest.is_upper_attendee,
    }


def _vote_out(vote: Vote | None) -> dict[str, Any] | None:
    if vote is None:
        return None
    return {
        "subject": vote.subject,
        "votes_for": vote.votes_for,
        "votes_against": vote.votes_against,
        "votes_abstain": vote.votes_abstain,
        "recorded_at": vote.recorded_at,
    }


def _assignment_out(assignment: Assignment) -> dict[str, Any]:
    return {
        "id": assignment.pk,
        "description": assignment.description,
        "assignees": [_person(m) for m in assignment.assignees.all()],
        "to_committee": assignment.to_committee,
        "deadline": assignment.deadline,
        "version": assignment.version,
    }


def _summary_out(summary: selectors.AttendanceSummary) -> dict[str, Any]:
    return summary.counts() | {
        "absent_excused": [
            _person(a.member) | {"reason": a.reason} for a in summary.absent_excused
        ],
        "absent_unexcused": [_person(a.member) for a in summary.absent_unexcused],
        "late": [_person(a.member) for a in summary.late],
        "unmarked": summary.unmarked,
        "rate": summary.rate,
        "counted_voters": summary.vote.counted,
        "voters_present": summary.vote.voters_present,
        "votes_needed": summary.vote.needed,
    }


def _addendum_out(addendum: Addendum) -> dict[str, Any]:
    return {
        "id": addendum.pk,
        "author": addendum.author.display_name,
        "created_at": addendum.created_at,
        "part": addendum.part,
        "text": addendum.text,
        "reason": addendum.reason,
        "content_hash": addendum.content_hash,
    }


# --- meetings of a cell ----------------------------------------------------------------------
@router.get(
    "/units/{unit_id}/meetings",
    response={200: MeetingPage, 404: ErrorOut},
    summary="The meetings of a cell, newest first",
)
def meeting_list(request: HttpRequest, unit_id: int, filters: Query[MeetingQuery]):
    """The meetings the caller sees (a member: those announced), one page at a time."""
    scope = scope_for(request.auth)
    unit = org_selectors.get_unit(scope, unit_id)
    meetings = selectors.cell_meetings(scope, unit)
    if filters.status is not None:
        meetings = meetings.filter(status=filters.status.value)
    count = meetings.count()
    page = meetings[filters.offset : filters.offset + filters.limit] if count else []
    return {
        "count": count,
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [_meeting_out(m) for m in page],
    }


@router.post(
    "/units/{unit_id}/meetings",
    response={201: MeetingDetailOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
    summary="Plan a meeting of a cell",
)
def meeting_plan(request: HttpRequest, unit_id: int, data: MeetingIn):
    """The sections of the minutes are copied from the template for the cell's type."""
    scope = scope_for(request.auth)
    unit = org_selectors.get_unit(scope, unit_id)
    if not scope.can_plan_meetings(unit):
        raise PermissionDenied(_("Only the cell's secretary may do this for its meetings."))
    fields = _plain(data.model_dump())
    prepares_id = fields.pop("prepares")
    prepares = selectors.get_meeting(scope, prepares_id) if prepares_id is not None else None
    meeting = services.meeting_plan(unit=unit, by=request.auth, prepares=prepares, **fields)
    return Status(201, _meeting_detail_out(scope, selectors.get_meeting(scope, meeting.pk)))


# --- one meeting: plan and state -------------------------------------------------------------
@router.get(
    "/meetings/{meeting_id}",
    response={200: MeetingDetailOut, 404: ErrorOut},
    summary="A meeting: plan, status, postponements, leave requests",
)
def meeting_detail(request: HttpRequest, meeting_id: int):
    scope, meeting = _meeting(request, meeting_id)
    return _meeting_detail_out(scope, meeting)


@router.patch(
    "/meetings/{meeting_id}",
    response={200: MeetingDetailOut} | EDIT,
    summary="Change a meeting's plan",
)
def meeting_update(request: HttpRequest, meeting_id: int, data: MeetingPatch):
    scope, meeting = _meeting(request, meeting_id)
    _may_plan(scope, meeting)
    fields = _plain(data.model_dump(exclude_unset=True))
    version = fields.pop("version")
    try:
        services.meeting_update_plan(meeting=meeting, by=request.auth, version=version, **fields)
    except services.EditConflict as conflict:
        return conflict_response(conflict)
    return _meeting_detail_out(scope, meeting)


@router.post(
    "/meetings/{meeting_id}/announce", response=_STATE, summary="Announce a planned meeting"
)
def meeting_announce(request: HttpRequest, meeting_id: int):
    """Members and the upper-level attendee see the time, place, agenda and drafts from now;
    the announcement time is kept to check the rulebook's lead time."""
    scope, meeting = _meeting(request, meeting_id)
    _may_plan(scope, meeting)
    services.meeting_announce(meeting=meeting, by=request.auth)
    return _meeting_detail_out(scope, meeting)


@router.post("/meetings/{meeting_id}/postpone", response=_STATE, summary="Postpone a meeting")
def meeting_postpone(request: HttpRequest, meeting_id: int, data: PostponeIn):
    scope, meeting = _meeting(request, meeting_id)
    _may_plan(scope, meeting)
    services.meeting_postpone(meeting=meeting, by=request.auth, **data.model_dump())
    return _meeting_detail_out(scope, meeting)


@router.post("/meetings/{meeting_id}/cancel", response=_STATE, summary="Cancel a meeting")
def meeting_cancel(request: HttpRequest, meeting_id: int, data: ReasonIn):
    scope, meeting = _meeting(request, meeting_id)
    _may_plan(scope, meeting)
    services.meeting_cancel(meeting=meeting, by=request.auth, reason=data.reason)
    return _meeting_detail_out(scope, meeting)


@router.post(
    "/meetings/{meeting_id}/start",
    response=_STATE,
    summary="Start recording: the roster is filled from the cell's members",
)
def meeting_start(request: HttpRequest, meeting_id: int):
    scope, meeting = _meeting(request, meeting_id)
    _may_record(scope, meeting)
    services.meeting_start_recording(meeting=meeting, by=request.auth)
    return _meeting_detail_out(scope, meeting)


# --- leave -----------------------------------------------------------------------------------
@router.post(
    "/meetings/{meeting_id}/leave",
    response={201: LeaveOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
    summary="Ask leave from a meeting, for myself",
)
def leave_request(request: HttpRequest, meeting_id: int, data: LeaveIn):
    """Before the meeting; asking again replaces the earlier request and its decision."""
    scope, meeting = _meeting(request, meeting_id)
    member = _own_member(scope, meeting)
    leave = services.leave_request(
        meeting=meeting, member=member, reason=data.reason, by=request.auth
    )
    return Status(201, _leave_out(leave))


@router.post(
    "/leave/{leave_id}/decide",
    response={200: LeaveOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
    summary="Approve or decline a request for leave",
)
def leave_decide(request: HttpRequest, leave_id: int, data: DecideIn):
    scope = scope_for(request.auth)
    leave = _part(scope, LeaveRequest, leave_id, "member")
    _may_plan(scope, leave.meeting)
    services.leave_decide(request=leave, approve=data.approve, by=request.auth)
    return _leave_out(leave)


# --- the record ------------------------------------------------------------------------------
@router.get(
    "/meetings/{meeting_id}/minutes",
    response={200: MinutesOut, 403: ErrorOut, 404: ErrorOut},
    summary="The whole record of a meeting",
)
def minutes_detail(request: HttpRequest, meeting_id: int):
    """Sections with their speeches, roster, guests, votes, assignments, the attendance
    figures (with the counted voters and the votes needed) and addenda. Its number of queries
    does not depend on the size of the cell."""
    scope, meeting = _meeting(request, meeting_id)
    _may_read_record(scope, meeting)
    lines = selectors.roster(meeting)
    people = {line.member_id: line.member for line in lines}
    votes = selectors.votes_by_subject(meeting)
    addenda = meeting.addenda.select_related("author__member")
    return {
        "meeting": _meeting_out(meeting),
        "record": _record_out(meeting, people),
        "sections": [
            _section_out(s) | {"speeches": [_speech_out(sp) for sp in s.speeches.all()]}
            for s in selectors.record_sections(meeting)
        ],
        "roster": [_attendance_out(line) for line in lines],
        "guests": [_guest_out(g) for g in meeting.guests.all()],
        "votes": {subject: _vote_out(vote) for subject, vote in votes.items()},
        "assignments": [_assignment_out(a) for a in selectors.assignments(meeting)],
        "attendance": _summary_out(selectors.attendance_summary(lines)),
        "addenda": [_addendum_out(a) for a in addenda],
    }


@router.patch(
    "/meetings/{meeting_id}/record",
    response={200: RecordOut} | EDIT,
    summary="Save chair, clerk, times, resolution or remarks",
)
def record_update(request: HttpRequest, meeting_id: int, data: RecordPatch):
    scope, meeting = _meeting(request, meeting_id)
    _may_record(scope, meeting)
    fields = _plain(data.model_dump(exclude_unset=True))
    version = fields.pop("version")
    for role in ("chair", "clerk"):
        if fields.get(role) is not None:
            fields[role] = _members([fields[role]], role, _("Choose a member on the roster."))[0]
    try:
        services.meeting_record_update(meeting=meeting, by=request.auth, version=version, **fields)
    except services.EditConflict as conflict:
        return conflict_response(conflict)
    return _record_out(meeting)


@router.patch(
    "/meetings/{meeting_id}/remarks",
    response={200: RecordOut} | EDIT,
    summary="Write the upper-level attendee's remarks",
)
def remarks_update(request: HttpRequest, meeting_id: int, data: RemarksIn):
    """For the upper-level attendee assigned to the cell (the secretary and clerk write
    remarks through the record)."""
    scope, meeting = _meeting(request, meeting_id)
    if not scope.can_remark(meeting.unit):
        raise PermissionDenied(_("Only the upper-level attendee of this cell writes remarks."))
    try:
        services.meeting_record_update(
            meeting=meeting, by=request.auth, version=data.version, remarks=data.remarks
        )
    except services.EditConflict as conflict:
        return conflict_response(conflict)
    return _record_out(meeting)


@router.put(
    "/attendance/{line_id}",
    response={200: AttendanceOut} | EDIT,
    summary="Mark one member of the roster present or absent",
)
def attendance_mark(request: HttpRequest, line_id: int, data: AttendanceIn):
    scope = scope_for(request.auth)
    line = _part(scope, Attendance, line_id, "member")
    _may_record(scope, line.meeting)
    try:
        services.attendance_mark(line=line, by=request.auth, **_plain(data.model_dump()))
    except services.EditConflict as conflict:
        return conflict_response(conflict)
    return _attendance_out(line)


@router.post(
    "/meetings/{meeting_id}/guests",
    response={201: GuestOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
    summary="Add a guest or upper-level attendee",
)
def guest_add(request: HttpRequest, meeting_id: int, data: GuestIn):
    scope, meeting = _meeting(request, meeting_id)
    _may_record(scope, meeting)
    guest = services.guest_add(meeting=meeting, by=request.auth, **data.model_dump())
    return Status(201, _guest_out(guest))


@router.delete(
    "/guests/{guest_id}",
    response={204: None, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
    summary="Remove a guest who did not speak",
)
def guest_remove(request: HttpRequest, guest_id: int):
    scope = scope_for(request.auth)
    guest = _part(scope, Guest, guest_id)
    _may_record(scope, guest.meeting)
    services.guest_remove(guest=guest, by=request.auth)
    return Status(204, None)


@router.patch(
    "/sections/{section_id}",
    response={200: SectionOut} | EDIT,
    summary="Save a section's text or the chair's conclusion",
)
def section_update(request: HttpRequest, section_id: int, data: SectionPatch):
    scope = scope_for(request.auth)
    section = _part(scope, MeetingSection, section_id)
    _may_record(scope, section.meeting)
    fields = data.model_dump(exclude_unset=True)
    version = fields.pop("version")
    try:
        services.section_save(section=section, by=request.auth, version=version, **fields)
    except services.EditConflict as conflict:
        return conflict_response(conflict)
    return _section_out(section)


@router.post(
    "/sections/{section_id}/speeches",
    response={201: SpeechOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
    summary="Record a speech (a member of the roster or a guest)",
)
def speech_add(request: HttpRequest, section_id: int, data: SpeechIn):
    scope = scope_for(request.auth)
    section = _part(scope, MeetingSection, section_id)
    meeting = section.meeting
    _may_record(scope, meeting)
    speaker = guest = None
    if data.speaker is not None:
        speaker = _members([data.speaker], "speaker", _("Choose a member on the roster."))[0]
    if data.guest is not None:
        guest = Guest.objects.filter(pk=data.guest, meeting=meeting).first()
        if guest is None:
            raise ValidationError({"speaker": [_("Choose a guest of this meeting.")]})
    speech = services.speech_add(
        section=section, by=request.auth, text=data.text, speaker=speaker, guest=guest
    )
    return Status(201, _speech_out(speech))


@router.patch(
    "/speeches/{speech_id}",
    response={200: SpeechOut} | EDIT,
    summary="Correct a speech",
)
def speech_update(request: HttpRequest, speech_id: int, data: SpeechPatch):
    scope = scope_for(request.auth)
    speech = _part(scope, Speech, speech_id, "speaker", "guest")
    _may_record(scope, speech.meeting)
    try:
        services.speech_update(speech=speech, by=request.auth, text=data.text, version=data.version)
    except services.EditConflict as conflict:
        return conflict_response(conflict)
    return _speech_out(speech)


@router.delete(
    "/speeches/{speech_id}",
    response={204: None, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
    summary="Delete a speech",
)
def speech_delete(request: HttpRequest, speech_id: int):
    scope = scope_for(request.auth)
    speech = _part(scope, Speech, speech_id)
    _may_record(scope, speech.meeting)
    services.speech_delete(speech=speech, by=request.auth)
    return Status(204, None)


@router.put(
    "/meetings/{meeting_id}/votes/{subject}",
    response={200: VoteOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
    summary="Record a vote: on the resolution or approving the minutes",
)
def vote_record(request: HttpRequest, meeting_id: int, subject: VoteSubject, data: VoteIn):
    scope, meeting = _meeting(request, meeting_id)
    _may_record(scope, meeting)
    vote = services.vote_record(
        meeting=meeting, by=request.auth, subject=subject.value, **data.model_dump()
    )
    return _vote_out(vote)


@router.post(
    "/meetings/{meeting_id}/assignments",
    response={201: AssignmentOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
    summary="Assign a task: who, what, by when",
)
def assignment_add(request: HttpRequest, meeting_id: int, data: AssignmentIn):
    scope, meeting = _meeting(request, meeting_id)
    _may_record(scope, meeting)
    fields = data.model_dump()
    fields["assignees"] = _members(
        fields["assignees"], "assignees", _("Choose members on the roster.")
    )
    assignment = services.assignment_add(meeting=meeting, by=request.auth, **fields)
    return Status(201, _assignment_out(assignment))


@router.patch(
    "/assignments/{assignment_id}",
    response={200: AssignmentOut} | EDIT,
    summary="Change a task assignment",
)
def assignment_update(request: HttpRequest, assignment_id: int, data: AssignmentPatch):
    """Fields left out stay as they are."""
    scope = scope_for(request.auth)
    assignment = _part(scope, Assignment, assignment_id)
    _may_record(scope, assignment.meeting)
    fields = data.model_dump(exclude_unset=True)
    version = fields.pop("version")
    if "assignees" in fields:
        assignees = _members(fields["assignees"], "assignees", _("Choose members on the roster."))
    else:
        assignees = list(assignment.assignees.all())
    current = {
        "description": assignment.description,
        "deadline": assignment.deadline,
        "to_committee": assignment.to_committee,
    }
    try:
        services.assignment_update(
            assignment=assignment, by=request.auth, version=version,
            **(current | fields | {"assignees": assignees}),
        )  # fmt: skip
    except services.EditConflict as conflict:
        return conflict_response(conflict)
    return _assignment_out(assignment)


@router.delete(
    "/assignments/{assignment_id}",
    response={204: None, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
    summary="Delete a task assignment",
)
def assignment_delete(request: HttpRequest, assignment_id: int):
    scope = scope_for(request.auth)
    assignment = _part(scope, Assignment, assignment_id)
    _may_record(scope, assignment.meeting)
    services.assignment_delete(assignment=assignment, by=request.auth)
    return Status(204, None)


# --- checks, finalisation, corrections -------------------------------------------------------
@router.get(
    "/meetings/{meeting_id}/problems",
    response={200: ProblemsOut, 403: ErrorOut, 404: ErrorOut},
    summary="What prevents finalising the minutes now",
)
def meeting_problems(request: HttpRequest, meeting_id: int):
    scope, meeting = _meeting(request, meeting_id)
    _may_read_record(scope, meeting)
    errors, warnings = checks.problems(meeting)
    return {"errors": [p.as_dict() for p in errors], "warnings": [p.as_dict() for p in warnings]}


@router.post(
    "/meetings/{meeting_id}/finalise",
    response={
        200: MeetingDetailOut,
        403: ErrorOut,
        404: ErrorOut,
        422: FinaliseRefusedOut | ValidationErrorOut,
    },
    summary="Finalise and lock the minutes",
)
def meeting_finalise(request: HttpRequest, meeting_id: int, data: FinaliseIn):
    """Refused (422) with every problem while a rule is broken; each soft rule broken needs
    an acknowledgement with a reason, kept with the minutes. Once finalised the minutes carry
    a content hash and change only by addenda."""
    scope, meeting = _meeting(request, meeting_id)
    _may_plan(scope, meeting)
    try:
        meeting = services.meeting_finalise(
            meeting=meeting, by=request.auth, acknowledgements=data.acknowledgements
        )
    except services.FinaliseRefused as refused:
        _errors, warnings = checks.problems(meeting)
        warning_codes = {w.code for w in warnings}
        return Status(422, {
            "detail": _("The minutes cannot be finalised yet: fix the parts listed."),
            "errors": {"__all__": refused.messages},
            "problems": [p.as_dict() for p in refused.problems],
            "warnings": [p.code for p in refused.problems if p.code in warning_codes],
        })  # fmt: skip
    return _meeting_detail_out(scope, meeting)


@router.post(
    "/meetings/{meeting_id}/addenda",
    response={201: AddendumOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
    summary="Add a signed correction to finalised minutes",
)
def addendum_add(request: HttpRequest, meeting_id: int, data: AddendumIn):
    scope, meeting = _meeting(request, meeting_id)
    _may_plan(scope, meeting)
    addendum = services.addendum_add(meeting=meeting, by=request.auth, **data.model_dump())
    return Status(201, _addendum_out(addendum))


# --- prints ------------------------------------------------------------------------------------
class ExportFile(enum.StrEnum):
    MINUTES_DOCX = "minutes.docx"
    MINUTES_PDF = "minutes.pdf"
    RESOLUTION_DOCX = "resolution.docx"
    RESOLUTION_PDF = "resolution.pdf"


_EXPORT_CONTENT = {
    content_type: {"schema": {"type": "string", "format": "binary"}}
    for content_type in exporting.CONTENT_TYPES.values()
}


@router.get(
    "/meetings/{meeting_id}/export/{file}",
    response={403: ErrorOut, 404: ErrorOut, 503: ErrorOut},
    summary="Print the minutes or the resolution as Word (.docx) or PDF",
    openapi_extra={"responses": {200: {"description": "The file.", "content": _EXPORT_CONTENT}}},
)
def meeting_export(request: HttpRequest, meeting_id: int, file: ExportFile):
    """In the party document format (HD 36-HD/VPTW), with the content hash in the footer.
    Minutes not yet finalised print as a draft ("DỰ THẢO") without a hash, for those who read
    the record as it is written; a member downloads them once finalised (403 before)."""
    scope, meeting = _meeting(request, meeting_id)
    _may_read_record(scope, meeting)
    document, fmt = file.value.split(".")
    response = export_views.file_response(meeting, document, fmt)
    if response.status_code == 503:
        return Status(503, {"detail": response.content.decode()})
    return response
