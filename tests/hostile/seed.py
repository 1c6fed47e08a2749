"""Data in both halves of the `world` tree for the hostile-input tests.

Cell A (under C1) and cell D (under C2) each get the same set of objects, made through the
services: meetings in every state (planned and announced, being recorded, finalised), with
leave requests, guests, speeches, assignments, votes, files, documents, comments on the drafts,
the finalised meeting's task and score, a proposal, an inspection with a fix, an upper-level
attendee, a copy of a minutes template and of a scorecard, an uploaded Word template, a
notification and a spare API key. Every text written carries the side's marker (`MARK["A"]`,
`MARK["D"]`, or the words given to `seed`) so that a response can be searched for anything of
the other half.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from chibo.accounts import services as account_services
from chibo.accounts.access import scope_for
from chibo.accounts.models import Role
from chibo.accounts.tokens import token_create
from chibo.documents import services as document_services
from chibo.followup import services as followup_services
from chibo.followup.models import Task
from chibo.meetings import attachment_services, checks, exporting, template_services
from chibo.meetings import services as meeting_services
from chibo.meetings.models import (
    Attendance,
    Guest,
    MeetingKind,
    MinutesTemplate,
    Presence,
    SectionContent,
    VoteSubject,
)
from chibo.notify import content
from chibo.notify.models import Kind, Notification
from chibo.org.models import MemberStatus
from chibo.rulebooks import scorecards
from chibo.rulebooks.models import Scorecard
from tests.factories import MemberFactory, make_user

# Distinctive words written into every text of a side: nothing else contains them.
MARK = {"A": "Quyxa", "D": "Zoxdu"}
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@dataclass
class Side:
    """The objects of one half of the tree, by the name of the path parameter that names them."""

    name: str
    ids: dict[str, list[int]] = field(default_factory=dict)
    texts: list[str] = field(default_factory=list)  # names and words that identify this half

    def add(self, param: str, *objects) -> None:
        self.ids.setdefault(param, []).extend(o if isinstance(o, int) else o.pk for o in objects)


def _day(offset: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=offset)


def _finalise(meeting, by):
    _errors, warnings = checks.problems(meeting)
    acks = {w.code: f"Chi bộ đã rút kinh nghiệm {meeting.place}." for w in warnings}
    return meeting_services.meeting_finalise(meeting=meeting, by=by, acknowledgements=acks)


def _record(meeting, *, by, chair, clerk, speaker, assignee, mark):
    """Open the minutes and fill in what finalisation needs."""
    meeting_services.meeting_start_recording(meeting=meeting, by=by)
    for line in meeting.attendance.all():
        meeting_services.attendance_mark(line=line, by=by, presence=Presence.PRESENT)
    meeting.refresh_from_db()
    meeting_services.meeting_record_update(
        meeting=meeting, by=by, chair=chair, clerk=clerk,
        actual_start=datetime.time(14, 0), actual_end=datetime.time(16, 0),
        resolution_text=f"Chi bộ quyết nghị sửa đường {mark} trước cuối tháng.",
    )  # fmt: skip
    for section in meeting.sections.filter(content=SectionContent.DISCUSSION):
        meeting_services.speech_add(section=section, by=by, speaker=speaker,
                                    text=f"Đề nghị huy động thanh niên làm đường {mark}.")  # fmt: skip
        meeting_services.section_save(
            section=section, by=by,
            conclusion=f"Giao đồng chí {speaker.given_name} vận động thanh niên {mark}, xong trong tháng.",
        )  # fmt: skip
    for section in meeting.sections.filter(content=SectionContent.TEXT, required=True):
        meeting_services.section_save(section=section, by=by, text=f"Bí thư khai mạc {mark}.")
    official = meeting.attendance.filter(member__status=MemberStatus.OFFICIAL).count()
    meeting_services.vote_record(meeting=meeting, by=by, subject=VoteSubject.RESOLUTION,
                                 votes_for=official)  # fmt: skip
    meeting_services.vote_record(meeting=meeting, by=by, subject=VoteSubject.MINUTES,
                                 votes_for=meeting.attendance.count())  # fmt: skip
    meeting_services.assignment_add(meeting=meeting, by=by, description=f"Vận động thanh niên {mark}",
                                    assignees=[assignee], deadline=meeting.date + datetime.timedelta(days=20))  # fmt: skip
    meeting.refresh_from_db()
    return meeting


def word_template_bytes() -> bytes:
    return exporting.word_template("minutes").read_bytes()


def _seed_side(world, *, name, mark, cell, committee, secretary, officer, member_user, members,
               attendee) -> Side:  # fmt: skip
    side = Side(name)
    chair, clerk, *_rest = members
    # A finalised regular meeting two months ago: its task, its score, an addendum.
    old = meeting_services.meeting_plan(
        unit=cell, by=secretary, kind=MeetingKind.REGULAR, date=_day(-60),
        start_time=datetime.time(14, 0), place=f"Hội trường {mark}",
        draft_report=f"Báo cáo {mark}.", draft_resolution=f"Nghị quyết {mark}.",
    )  # fmt: skip
    old.announced_at = timezone.now() - datetime.timedelta(days=70)
    old.save(update_fields=["announced_at"])
    finalised = _finalise(_record(old, by=secretary, chair=chair, clerk=clerk, speaker=members[-1],
                                  assignee=members[-1], mark=mark), secretary)  # fmt: skip
    meeting_services.addendum_add(meeting=finalised, by=secretary, part="Phần II",
                                  text=f"Sửa tên {mark}.", reason=f"Ghi nhầm {mark}.")  # fmt: skip
    task = Task.objects.filter(meeting=finalised).first()
    followup_services.task_report(task=task, by=member_user, note=f"Đang làm {mark}.")

    # A regular meeting being recorded (last week), which reviews the task.
    recording = meeting_services.meeting_plan(
        unit=cell, by=secretary, kind=MeetingKind.REGULAR, date=_day(-5),
        start_time=datetime.time(14, 0), place=f"Nhà văn hóa {mark}",
    )  # fmt: skip
    recording.announced_at = timezone.now() - datetime.timedelta(days=10)
    recording.save(update_fields=["announced_at"])
    recording = _record(recording, by=secretary, chair=chair, clerk=clerk, speaker=members[-1],
                        assignee=members[-1], mark=mark)  # fmt: skip
    guest = meeting_services.guest_add(meeting=recording, by=secretary, name=f"Khách {mark}",
                                       position=f"Mặt trận {mark}")  # fmt: skip
    followup_services.review_save(meeting=recording, task=task, by=secretary, decision="done",
                                  note=f"Xong {mark}.")  # fmt: skip

    # An announced meeting next week: leave, comments, files, a document.
    upcoming = meeting_services.meeting_plan(
        unit=cell, by=secretary, kind=MeetingKind.THEMATIC, date=_day(7),
        start_time=datetime.time(8, 0), place=f"Phòng họp {mark}", topic=f"Chuyên đề {mark}",
        draft_report=f"Đoạn một {mark}.\n\nĐoạn hai {mark}.",
        draft_resolution=f"Nghị quyết dự thảo {mark}.",
    )  # fmt: skip
    meeting_services.meeting_announce(meeting=upcoming, by=secretary)
    leave = meeting_services.leave_request(meeting=upcoming, member=members[-1],
                                           reason=f"Đi công tác {mark}", by=secretary)  # fmt: skip
    comment = document_services.comment_add(meeting=upcoming, by=member_user, part="report",
                                            paragraph=0, text=f"Góp ý {mark}")  # fmt: skip
    attachment = attachment_services.attachment_add(
        meeting=upcoming, by=secretary, kind="draft_report",
        upload=SimpleUploadedFile(f"Dự thảo {mark}.pdf", PDF),
    )  # fmt: skip
    meeting_doc = document_services.document_add_to_meeting(
        meeting=upcoming, by=secretary, title=f"Tài liệu họp {mark}", confidentiality="normal",
        body=f"Nội dung {mark}.",
    )  # fmt: skip
    unit_doc = document_services.document_publish(
        unit=committee, by=officer, kind="directive", title=f"Chỉ thị {mark}",
        confidentiality="normal", number=f"05-CT/{mark}", body=f"Chỉ thị {mark}.",
    )  # fmt: skip

    # Follow-up: a proposal, an inspection with a fix, an upper-level attendee.
    proposal = followup_services.proposal_send(cell=cell, by=secretary, title=f"Đèn đường {mark}",
                                               text=f"Lắp đèn {mark}.")  # fmt: skip
    inspection = followup_services.inspection_plan(
        committee=committee, by=officer, year=_day(0).year, target=cell, kind="inspection",
        subject=f"Sinh hoạt {mark}", planned_month=12, period_start=_day(-300), period_end=_day(-1),
    )  # fmt: skip
    fix = followup_services.fix_add(inspection=inspection, by=officer,
                                    description=f"Sửa sổ {mark}", deadline=_day(30))  # fmt: skip
    follower = account_services.grant_create(user=attendee, role=Role.ATTENDEE, unit=cell,
                                             by=officer, scope=scope_for(officer),
                                             title=f"Cấp ủy viên {mark}")  # fmt: skip

    # The organisation board's templates and scorecard.
    shipped = MinutesTemplate.objects.filter(unit__isnull=True).order_by("pk").first()
    template = template_services.template_copy(template=shipped, unit=committee,
                                               name=f"Mẫu {mark}", by=officer)  # fmt: skip
    word = template_services.word_template_upload(
        unit=committee, document="minutes", by=officer,
        upload=SimpleUploadedFile(f"Mẫu {mark}.docx", word_template_bytes()),
    )  # fmt: skip
    card = scorecards.scorecard_copy(card=Scorecard.objects.filter(unit__isnull=True).first(),
                                     unit=committee, by=officer)  # fmt: skip

    notification = Notification.objects.create(
        user=member_user, province=world.p, kind=Kind.PROPOSAL_ANSWERED, key=f"hostile-{mark}",
        params=content.proposal_params(proposal) | {"answer": f"Trả lời {mark}"},
    )  # fmt: skip
    spare_token, _raw = token_create(user=member_user, name=f"Khóa {mark}", days=30)

    meetings = [upcoming, recording, finalised]
    side.add("unit_id", cell)
    side.add("member_id", *members)
    side.add("meeting_id", *meetings)
    side.add("leave_id", leave)
    side.add("line_id", *Attendance.objects.filter(meeting=recording))
    side.add("guest_id", guest, *Guest.objects.filter(meeting=finalised))
    side.add("section_id", *recording.sections.all()[:3])
    side.add(
        "speech_id", *(s for section in recording.sections.all() for s in section.speeches.all())
    )
    side.add("assignment_id", *recording.assignments.all())
    side.add("attachment_id", attachment)
    side.add("template_id", template)
    side.add("template_section_id", *template.sections.all()[:2])
    side.add("word_template_id", word)
    side.add("task_id", *Task.objects.filter(meeting__unit=cell))
    side.add("grant_id", follower)
    side.add("proposal_id", proposal)
    side.add("inspection_id", inspection)
    side.add("fix_id", fix)
    side.add("card_id", card)
    side.add("document_id", meeting_doc, unit_doc)
    side.add("comment_id", comment)
    side.add("notification_id", notification)
    side.add("token_id", spare_token)
    side.texts += [mark, cell.name, *(m.full_name for m in members)]
    return side


def seed(world, marks: dict[str, str] = MARK) -> SimpleNamespace:
    """Both halves, and which ids and texts each half's users may not see. `marks`: the word
    written into every text of each half."""
    # D gets the same shape as A: a secretary with a member record, three members.
    lan = MemberFactory(cell=world.d, family_name="Ngô", middle_name="Thị", given_name="Lan",
                        gender="female")  # fmt: skip
    tu = MemberFactory(cell=world.d, family_name="Hà", middle_name="Văn", given_name="Tư")
    secretary_d = make_user("secretary_d", role="secretary", unit=world.d, member=world.dung)
    member_d = make_user("member_d", role="member", unit=world.d, member=lan)
    users = world.users
    attendee_c1 = make_user("attendee_c1")
    attendee_c2 = make_user("attendee_c2")
    a = _seed_side(world, name="A", mark=marks["A"], cell=world.a, committee=world.c1, secretary=users["secretary_a"],
                   officer=users["officer_c1"], member_user=users["member_a"],
                   members=[world.ung, world.hoa, world.son], attendee=attendee_c1)  # fmt: skip
    d = _seed_side(world, name="D", mark=marks["D"], cell=world.d, committee=world.c2, secretary=secretary_d,
                   officer=users["officer_c2"], member_user=member_d,
                   members=[world.dung, lan, tu], attendee=attendee_c2)  # fmt: skip
    a.add("unit_id", world.c1, world.b)
    a.texts += [world.c1.name, world.b.name, world.binh.full_name]
    d.add("unit_id", world.c2)
    d.texts += [world.c2.name]
    return SimpleNamespace(a=a, d=d)
