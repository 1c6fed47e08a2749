"""Writes to documents: an upper level publishes to its subtree, a secretary adds a document
to a meeting, a reader's read mark. A confidential document is refused if it carries a text:
only its reference is kept."""

from __future__ import annotations

import datetime
import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chibo.accounts.access import scope_for
from chibo.core import audit
from chibo.core.text import normalize, normalize_paragraphs
from chibo.meetings.attachment_services import check_upload
from chibo.meetings.models import Meeting, MeetingStatus
from chibo.org.models import Unit
from chibo.org.services import province_of

from .models import (
    CommentDecision,
    Confidentiality,
    Document,
    DocumentKind,
    DocumentRead,
    DraftComment,
    DraftPart,
    draft_paragraphs,
)
from .signals import comment_added, document_added

MAX_BODY = 100_000


def _checked(*, kind: str, number: str, title: str, confidentiality: str, body: str,
             where_to_read: str, upload=None) -> dict:  # fmt: skip
    errors: dict[str, list[str]] = {}
    data = {"kind": kind, "number": normalize(number)[:64], "title": normalize(title)[:300],
            "confidentiality": confidentiality, "body": normalize_paragraphs(body),
            "where_to_read": normalize(where_to_read)[:300]}  # fmt: skip
    if kind not in DocumentKind.values:
        errors["kind"] = [_("Choose the kind of document.")]
    if not data["title"]:
        errors["title"] = [_("Give the document's title (trích yếu).")]
    if confidentiality not in Confidentiality.values:
        errors["confidentiality"] = [_("Say whether the document is confidential.")]
    elif confidentiality == Confidentiality.CONFIDENTIAL:
        if data["body"]:
            errors["body"] = [_("A confidential document keeps only its reference in chibo: "
                                "remove its text and say where members can read it.")]  # fmt: skip
        if upload is not None:
            errors["file"] = [_("A confidential document is never uploaded to chibo: keep only "
                                "its reference and say where members can read it.")]  # fmt: skip
        if not data["where_to_read"]:
            errors["where_to_read"] = [_("Say where members can read the confidential document "
                                         "(for example: the commune committee's office).")]  # fmt: skip
    elif not data["body"] and upload is None:
        errors["body"] = [_("Paste the document's text or attach it as a file.")]
    elif len(data["body"]) > MAX_BODY:
        errors["body"] = [_("Keep the text under %(n)s characters.") % {"n": MAX_BODY}]
    if upload is not None and "file" not in errors:
        try:
            checked = check_upload(upload)
        except ValidationError as error:
            errors.update(error.message_dict)
        else:
            data.update(file_name=checked["name"], file_size=checked["size"],
                        file_type=checked["content_type"], extension=checked["extension"])  # fmt: skip
    if errors:
        raise ValidationError(errors)
    return data


def _create(upload, **data) -> Document:
    """The row, with the uploaded file stored under a random name (the original is kept in
    `file_name` and given on download); the stored file is removed if the row is not saved."""
    extension = data.pop("extension", "")
    document = Document(**data)
    if upload is not None:
        upload.seek(0)
        document.file.save(f"{uuid.uuid4().hex}.{extension}", upload, save=False)
    try:
        document.save()
    except BaseException:
        if document.file:
            document.file.delete(save=False)
        raise
    return document


@transaction.atomic
def document_publish(*, unit: Unit, by, kind: str, title: str, confidentiality: str,
                     number: str = "", issued_on: datetime.date | None = None, body: str = "",
                     where_to_read: str = "", file=None) -> Document:  # fmt: skip
    """An upper level's document for everyone in `unit`'s subtree."""
    if not scope_for(by).can_manage_unit(unit):
        raise PermissionDenied
    data = _checked(kind=kind, number=number, title=title, confidentiality=confidentiality,
                    body=body, where_to_read=where_to_read, upload=file)  # fmt: skip
    document = _create(file, province=province_of(unit), unit=unit, issued_on=issued_on,
                       published_by=by, **data)  # fmt: skip
    audit.record(actor=by, action="document.publish", obj=document, unit_path=unit.path,
                 changes={"title": document.title, "confidentiality": confidentiality})  # fmt: skip
    document_added.send(sender=Document, document=document)
    return document


@transaction.atomic
def document_add_to_meeting(*, meeting: Meeting, by, title: str, confidentiality: str,
                            number: str = "", issued_on: datetime.date | None = None,
                            body: str = "", where_to_read: str = "", file=None) -> Document:  # fmt: skip
    """A secretary's document for a meeting still to be held, for those who see the meeting."""
    if not scope_for(by).can_plan_meetings(meeting.unit):
        raise PermissionDenied
    if not meeting.is_open:
        raise ValidationError(_("Documents are added before the meeting is finalised."))
    data = _checked(kind=DocumentKind.MEETING, number=number, title=title,
                    confidentiality=confidentiality, body=body, where_to_read=where_to_read,
                    upload=file)  # fmt: skip
    document = _create(file, province_id=meeting.province_id, unit=meeting.unit, meeting=meeting,
                       issued_on=issued_on, published_by=by, **data)  # fmt: skip
    audit.record(actor=by, action="document.add", obj=document, unit_path=meeting.unit.path,
                 changes={"meeting": meeting.pk, "title": document.title,
                          "confidentiality": confidentiality})  # fmt: skip
    document_added.send(sender=Document, document=document)
    return document


def document_mark_read(*, document: Document, user) -> DocumentRead:
    """The user has opened the document (once is enough; later openings change nothing)."""
    try:
        with transaction.atomic():
            read, _created = DocumentRead.objects.get_or_create(document=document, user=user)
    except IntegrityError:  # two tabs at once
        read = DocumentRead.objects.get(document=document, user=user)
    return read


# --- comments on drafts -----------------------------------------------------------------------
MAX_COMMENT = 2000


@transaction.atomic
def comment_add(*, meeting: Meeting, by, part: str, paragraph: int, text: str) -> DraftComment:
    """A comment on one paragraph of a draft, by anyone who sees the meeting, until it is
    recorded."""
    if meeting.status not in (MeetingStatus.PLANNED, MeetingStatus.ANNOUNCED):
        raise ValidationError(_("Comments on the drafts are taken until the meeting starts."))
    if part not in DraftPart.values:
        raise ValidationError({"part": [_("Choose the draft report or the draft resolution.")]})
    lines = draft_paragraphs(meeting, part)
    if not lines:
        raise ValidationError({"part": [_("This draft has not been written yet.")]})
    if paragraph is None or not 0 <= paragraph < len(lines):
        raise ValidationError({"paragraph": [_("Choose a paragraph of the draft.")]})
    text = normalize_paragraphs(text)
    if not text:
        raise ValidationError({"text": [_("Write your comment.")]})
    if len(text) > MAX_COMMENT:
        raise ValidationError({"text": [_("Keep it under %(n)s characters.") % {"n": MAX_COMMENT}]})
    comment = DraftComment.objects.create(meeting=meeting, part=part, paragraph=paragraph,
                                          quote=lines[paragraph][:200], author=by, text=text)  # fmt: skip
    audit.record(actor=by, action="draft.comment", obj=comment, unit_path=meeting.unit.path,
                 changes={"part": part, "paragraph": paragraph + 1})  # fmt: skip
    comment_added.send(sender=DraftComment, comment=comment)
    return comment


@transaction.atomic
def comment_decide(*, comment: DraftComment, by, decision: str) -> DraftComment:
    """The secretary says whether a comment was taken into the draft."""
    comment = DraftComment.objects.select_for_update().select_related("meeting__unit").get(pk=comment.pk)
    if not scope_for(by).can_plan_meetings(comment.meeting.unit):
        raise PermissionDenied
    if decision not in (CommentDecision.TAKEN, CommentDecision.NOT_TAKEN, CommentDecision.PENDING):
        raise ValidationError({"decision": [_("Say whether the comment was taken in.")]})
    if comment.meeting.status == MeetingStatus.FINALISED:
        raise ValidationError(_("These minutes are finalised: the comments stay as they were."))
    old = comment.decision
    comment.decision, comment.decided_by, comment.decided_at = decision, by, timezone.now()
    comment.save(update_fields=["decision", "decided_by", "decided_at"])
    audit.record(actor=by, action="draft.comment.decide", obj=comment,
                 unit_path=comment.meeting.unit.path, changes={"decision": [old, decision]})  # fmt: skip
    return comment
