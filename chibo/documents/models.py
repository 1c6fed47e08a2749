"""Documents circulated to members: published by an upper level to its subtree (directives,
news, study material) or added by a secretary to a meeting (drafts, reports).

A confidential document (mật) keeps only its reference — number, title, date and where to
read it: its body is never stored (a database constraint, besides the service's refusal), so
no page, API answer, notification or e-mail can carry it (seed 004).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Confidentiality(models.TextChoices):
    NORMAL = "normal", _("Not confidential")
    CONFIDENTIAL = "confidential", _("Confidential (mật): reference only")


class DocumentKind(models.TextChoices):
    DIRECTIVE = "directive", _("Directive, resolution or instruction")
    NEWS = "news", _("News")
    STUDY = "study", _("Study material")
    MEETING = "meeting", _("Meeting document")


class Document(models.Model):
    province = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    # Published to this unit's subtree; for a meeting's document, the meeting's cell.
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="documents")
    meeting = models.ForeignKey(
        "meetings.Meeting", on_delete=models.PROTECT, null=True, blank=True, related_name="documents"
    )
    kind = models.CharField(pgettext_lazy("document", "kind"), max_length=16, choices=DocumentKind.choices)
    number = models.CharField(_("number"), max_length=64, blank=True)
    title = models.CharField(_("title"), max_length=300)
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    confidentiality = models.CharField(
        _("confidentiality"), max_length=16, choices=Confidentiality.choices,
        default=Confidentiality.NORMAL,
    )  # fmt: skip
    body = models.TextField(_("text"), blank=True)
    where_to_read = models.CharField(_("where to read it"), max_length=300, blank=True)
    # The document as a file (a scanned directive, a PDF): served only through the download
    # view, after the access check. Never for a confidential document.
    file = models.FileField(_("file"), upload_to="documents/%Y/%m/", blank=True)
    file_name = models.CharField(max_length=255, blank=True)
    file_size = models.PositiveBigIntegerField(null=True, blank=True)
    file_type = models.CharField(max_length=127, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-published_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(confidentiality=Confidentiality.NORMAL) | (Q(body="") & Q(file="")),
                name="confidential_document_has_no_body",
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}".strip()

    @property
    def is_confidential(self) -> bool:
        return self.confidentiality == Confidentiality.CONFIDENTIAL


class DocumentRead(models.Model):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["document", "user"], name="one_read_mark")]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.document_id}"


class DraftPart(models.TextChoices):
    REPORT = "report", _("Draft report")
    RESOLUTION = "resolution", _("Draft resolution")


def draft_paragraphs(meeting, part: str) -> list[str]:
    """A meeting's draft report or resolution as its paragraphs (its non-empty lines)."""
    text = meeting.draft_report if part == DraftPart.REPORT else meeting.draft_resolution
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class CommentDecision(models.TextChoices):
    PENDING = "pending", _("Not decided yet")
    TAKEN = "taken", _("Taken in")
    NOT_TAKEN = "not_taken", _("Not taken in")


class DraftComment(models.Model):
    """A comment on one paragraph of a meeting's draft report or resolution, before the
    meeting. Kept with the meeting: the paragraph's opening words are copied, since the draft
    may change afterwards."""

    meeting = models.ForeignKey("meetings.Meeting", on_delete=models.PROTECT, related_name="draft_comments")
    part = models.CharField(max_length=16, choices=DraftPart.choices)
    paragraph = models.PositiveSmallIntegerField()  # 0-based, in the draft as it was
    quote = models.CharField(max_length=200)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("comment"))
    created_at = models.DateTimeField(auto_now_add=True)
    decision = models.CharField(max_length=16, choices=CommentDecision.choices,
                                default=CommentDecision.PENDING)  # fmt: skip
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["meeting_id", "part", "paragraph", "created_at", "id"]

    def __str__(self) -> str:
        # Stored as the audit entry's object: the part by its name, in the writer's language.
        return f"{self.get_part_display()} §{self.paragraph + 1} (#{self.meeting_id})"
