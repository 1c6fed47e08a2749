"""Meetings and their structured minutes.

A meeting is planned from a minutes template (data, editable by an organisation board): the
template's sections are copied into the meeting, so editing a template never changes a meeting
already planned. Rows that can be edited at the same time by two people carry a `version`
for optimistic concurrency. Once the minutes are finalised nothing here changes: corrections
are `Addendum` rows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class MeetingKind(models.TextChoices):
    REGULAR = "regular", _("Regular meeting")
    THEMATIC = "thematic", _("Thematic meeting")
    COMBINED = "combined", _("Regular and thematic meeting")
    EXTRAORDINARY = "extraordinary", _("Extraordinary meeting")
    PREPARATORY = "preparatory", _("Committee's preparatory meeting")


THEMATIC_KINDS = {MeetingKind.THEMATIC, MeetingKind.COMBINED}
REGULAR_KINDS = {MeetingKind.REGULAR, MeetingKind.COMBINED}


class MeetingStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    ANNOUNCED = "announced", _("Announced")
    RECORDING = "recording", _("Being recorded")
    FINALISED = "finalised", _("Finalised")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATUSES = {MeetingStatus.PLANNED, MeetingStatus.ANNOUNCED, MeetingStatus.RECORDING}


class TopicGroup(models.IntegerChoices):
    """The five topic groups of seed 003."""

    PROFESSIONAL = 1, _("Quality of the staff's professional work")
    ADMIN_REFORM = 2, _("Administrative reform")
    MASS_MOBILISATION = 3, _("Skilful mass mobilisation, model residential areas, new rural areas")
    NEW_MEMBERS = 4, _("Sources for admitting new members")
    HO_CHI_MINH = 5, _("Studying and following Hồ Chí Minh's thought with party building")


class SectionContent(models.TextChoices):
    """What a minutes section holds; decides how it is recorded and checked."""

    TEXT = "text", _("Free text")
    ATTENDANCE = "attendance", _("Attendance")
    DISCUSSION = "discussion", _("Discussion: speeches and the chair's conclusion")
    RESOLUTION = "resolution", _("Resolution and its vote")
    ASSIGNMENTS = "assignments", _("Task assignments")
    REMARKS = "remarks", _("Upper-level attendee's remarks")
    APPROVAL = "approval", _("Approval of the minutes")


class MinutesTemplate(models.Model):
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("meeting kind"), max_length=16, choices=MeetingKind.choices)
    # Blank: for every cell type.
    cell_type = models.CharField(_("cell type"), max_length=32, blank=True)
    # None: shipped with chibo, for everyone; otherwise the unit whose subtree uses it.
    unit = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("used under"),
    )  # fmt: skip
    source = models.CharField(_("source"), max_length=255, blank=True)
    copied_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    is_active = models.BooleanField(_("in use"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("minutes template")
        verbose_name_plural = _("minutes templates")
        ordering = ["kind", "cell_type", "name", "id"]

    def __str__(self) -> str:
        return self.name


class TemplateSection(models.Model):
    template = models.ForeignKey(MinutesTemplate, on_delete=models.CASCADE, related_name="sections")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(_("title"), max_length=255)
    guidance = models.TextField(_("guidance for the clerk"), blank=True)
    required = models.BooleanField(_("required"), default=False)
    content = models.CharField(_("content"), max_length=16, choices=SectionContent.choices)

    class Meta:
        ordering = ["template_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["template", "position"], name="template_section_pos")
        ]

    def __str__(self) -> str:
        return self.title


class Meeting(models.Model):
    unit = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, related_name="meetings", verbose_name=_("cell")
    )
    # Every big table carries the province, so it can be sharded by province (DESIGN.md).
    province = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(pgettext_lazy("meeting", "kind"), max_length=16, choices=MeetingKind.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=MeetingStatus.choices, default=MeetingStatus.PLANNED,
        db_index=True,
    )  # fmt: skip
    date = models.DateField(_("date"), db_index=True)
    start_time = models.TimeField(_("start time"))
    place = models.CharField(_("place"), max_length=255)
    topic_group = models.PositiveSmallIntegerField(
        _("topic group"), choices=TopicGroup.choices, null=True, blank=True
    )
    topic = models.CharField(_("topic"), max_length=500, blank=True)
    template = models.ForeignKey(
        MinutesTemplate, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # A preparatory meeting of the cell committee points at the meeting it prepares.
    prepares = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="preparations"
    )
    draft_report = models.TextField(_("draft report"), blank=True)
    draft_resolution = models.TextField(_("draft resolution"), blank=True)
    announced_at = models.DateTimeField(_("announced at"), null=True, blank=True)
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)

    # The record of the meeting as held.
    actual_start = models.TimeField(_("actual start"), null=True, blank=True)
    actual_end = models.TimeField(_("end time"), null=True, blank=True)
    chair = models.ForeignKey(
        "org.Member", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("chair"),
    )  # fmt: skip
    clerk = models.ForeignKey(
        "org.Member", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("clerk"),
    )  # fmt: skip
    resolution_number = models.CharField(_("resolution number"), max_length=32, blank=True)
    resolution_text = models.TextField(_("resolution"), blank=True)
    remarks = models.TextField(_("upper-level attendee's remarks"), blank=True)
    # Soft rules the secretary acknowledged at finalisation: [{code, message, reason}].
    acknowledged_warnings = models.JSONField(default=list, blank=True)

    finalised_at = models.DateTimeField(_("finalised at"), null=True, blank=True)
    finalised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    content_hash = models.CharField(_("content hash"), max_length=64, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-date", "-start_time", "-id"]
        indexes = [models.Index(fields=["unit", "date"]), models.Index(fields=["province", "date"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date:%d/%m/%Y} · {self.unit.name}"

    @property
    def is_finalised(self) -> bool:
        return self.status == MeetingStatus.FINALISED

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_thematic(self) -> bool:
        return self.kind in THEMATIC_KINDS


class Postponement(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="postponements")
    from_date = models.DateField()
    from_time = models.TimeField()
    to_date = models.DateField()
    to_time = models.TimeField()
    reason = models.TextField(_("reason"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_date} → {self.to_date}"


class MeetingSection(models.Model):
    """A section of this meeting's minutes, copied from the template when it was planned."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="sections")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(_("title"), max_length=255)
    guidance = models.TextField(_("guidance"), blank=True)
    required = models.BooleanField(_("required"), default=False)
    content = models.CharField(_("content"), max_length=16, choices=SectionContent.choices)
    text = models.TextField(_("text"), blank=True)
    conclusion = models.TextField(_("chair's conclusion"), blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["meeting_id", "position", "id"]

    def __str__(self) -> str:
        return self.title


class LeaveStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the secretary")
    APPROVED = "approved", _("Approved")
    DECLINED = "declined", _("Not approved")


class LeaveRequest(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="leave_requests")
    member = models.ForeignKey("org.Member", on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=500)
    status = models.CharField(
        max_length=16, choices=LeaveStatus.choices, default=LeaveStatus.PENDING
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meeting", "member"], name="one_leave_request")
        ]

    def __str__(self) -> str:
        return f"{self.member}: {self.reason}"


class RosterCategory(models.TextChoices):
    OFFICIAL = "official", _("Official")
    PROBATIONARY = "probationary", _("Probationary")
    ATTACHED = "attached", _("Temporarily attached here")
    EXEMPTED = "exempted", _("Exempted from meetings")
    AWAY = "away", _("Temporarily attached elsewhere")


class Presence(models.TextChoices):
    UNMARKED = "unmarked", _("Not marked yet")
    PRESENT = "present", _("Present")
    ABSENT_EXCUSED = "absent_excused", _("Absent with reason")
    ABSENT_UNEXCUSED = "absent_unexcused", _("Absent without reason")
    EXEMPT_ABSENT = "exempt_absent", _("Exempted, not attending")
    AWAY = "away", _("Attached elsewhere")


class Attendance(models.Model):
    """One line of the meeting's roster: a member as they stood on the meeting's date."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    member = models.ForeignKey("org.Member", on_delete=models.PROTECT, related_name="attendance")
    # Snapshot of the member's standing on the meeting's date.
    category = models.CharField(max_length=16, choices=RosterCategory.choices)
    was_official = models.BooleanField(default=False)
    presence = models.CharField(max_length=16, choices=Presence.choices, default=Presence.UNMARKED)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    late = models.BooleanField(_("arrived late"), default=False)
    sort_key = models.CharField(max_length=400)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["meeting_id", "sort_key", "id"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "member"], name="one_attendance_line")
        ]

    def __str__(self) -> str:
        return str(self.member)


class Guest(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="guests")
    name = models.CharField(_("name"), max_length=200)
    position = models.CharField(_("position"), max_length=255, blank=True)
    is_upper_attendee = models.BooleanField(_("upper-level attendee"), default=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Speech(models.Model):
    section = models.ForeignKey(MeetingSection, on_delete=models.CASCADE, related_name="speeches")
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="speeches")
    speaker = models.ForeignKey(
        "org.Member", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    guest = models.ForeignKey(Guest, on_delete=models.PROTECT, null=True, blank=True)
    text = models.TextField(_("what was said"))
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["section_id", "id"]

    def __str__(self) -> str:
        return f"{self.speaker_name}: {self.text[:40]}"

    @property
    def speaker_name(self) -> str:
        if self.speaker_id:
            return self.speaker.full_name
        return self.guest.name if self.guest_id else ""


class VoteSubject(models.TextChoices):
    RESOLUTION = "resolution", _("Resolution")
    MINUTES = "minutes", _("Approval of the minutes")


class Vote(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="votes")
    subject = models.CharField(max_length=16, choices=VoteSubject.choices)
    votes_for = models.PositiveSmallIntegerField(_("for"))
    votes_against = models.PositiveSmallIntegerField(_("against"), default=0)
    votes_abstain = models.PositiveSmallIntegerField(_("abstaining"), default=0)
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meeting", "subject"], name="one_vote_per_subject")
        ]

    def __str__(self) -> str:
        return f"{self.subject} {self.votes_for}/{self.votes_against}/{self.votes_abstain}"


class Assignment(models.Model):
    """A task the meeting gave to named members (or to the cell committee), with a deadline."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="assignments")
    description = models.TextField(_("task"))
    assignees = models.ManyToManyField("org.Member", blank=True, related_name="+")
    to_committee = models.BooleanField(_("the cell committee"), default=False)
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["meeting_id", "id"]

    def __str__(self) -> str:
        return self.description[:60]


class Addendum(models.Model):
    """A signed correction to finalised minutes: who, when, what, why."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="addenda")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    part = models.CharField(_("part of the minutes"), max_length=255)
    text = models.TextField(_("correction"))
    reason = models.TextField(_("why"))
    content_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["meeting_id", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.part} ({self.created_at:%d/%m/%Y})"


class AttachmentKind(models.TextChoices):
    DRAFT_REPORT = "draft_report", _("Draft report")
    DRAFT_RESOLUTION = "draft_resolution", _("Draft resolution")
    OTHER = "other", _("Other document")


class MeetingAttachment(models.Model):
    """A file circulated with the meeting (the drafts, a topic paper). Served only through a
    view that checks access; never from a public media URL."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="attachments")
    kind = models.CharField(pgettext_lazy("file", "kind"), max_length=16, choices=AttachmentKind.choices)
    file = models.FileField(_("file"), upload_to="meetings/%Y/%m/")
    name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"))
    content_type = models.CharField(max_length=127, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True)  # kept, only hidden

    class Meta:
        ordering = ["meeting_id", "uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name


class PrintDocument(models.TextChoices):
    MINUTES = "minutes", _("Minutes")
    RESOLUTION = "resolution", _("Resolution")


class WordTemplate(models.Model):
    """A Word template an organisation board uploaded for its subtree (docxtpl syntax).
    The deepest active one above a cell is used; otherwise the one shipped with chibo."""

    unit = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("used under")
    )
    document = models.CharField(_("document"), max_length=16, choices=PrintDocument.choices)
    file = models.FileField(_("file"), upload_to="word_templates/")
    name = models.CharField(_("file name"), max_length=255)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["unit_id", "document", "-uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name
