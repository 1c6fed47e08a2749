"""API routes for documents: the caller's documents (with read marks), one document, marking it
read, who has read it (for those who read the unit's records), publishing to a subtree and
adding a document to a meeting. A confidential document never has a text."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from chibo.accounts.access import scope_for
from chibo.core.http import stored_file_download
from chibo.meetings.selectors import get_meeting
from chibo.org import selectors as org_selectors
from chibo.org.api import CellRef, ErrorOut, ValidationErrorOut

from . import selectors, services
from .models import DraftComment

router = Router(tags=["documents"])


class DocumentOut(Schema):
    id: int
    kind: str
    number: str
    title: str
    issued_on: datetime.date | None
    confidential: bool
    body: str = Field(description="Always empty for a confidential document.")
    where_to_read: str
    unit: CellRef
    meeting_id: int | None
    file_name: str = Field(description="The attached file's name; empty without a file.")
    file_size: int | None
    published_at: datetime.datetime
    is_read: bool | None = None


class DocumentIn(Schema):
    kind: str = "directive"
    number: str = ""
    title: str
    issued_on: datetime.date | None = None
    confidentiality: str = Field("normal", description="normal or confidential")
    body: str = ""
    where_to_read: str = ""


class ReaderOut(Schema):
    user: str
    read_at: datetime.datetime


def _out(d) -> dict:
    return {"id": d.pk, "kind": d.kind, "number": d.number, "title": d.title,
            "issued_on": d.issued_on, "confidential": d.is_confidential,
            "body": "" if d.is_confidential else d.body, "where_to_read": d.where_to_read,
            "unit": d.unit, "meeting_id": d.meeting_id, "file_name": d.file_name,
            "file_size": d.file_size, "published_at": d.published_at,
            "is_read": getattr(d, "is_read", None)}  # fmt: skip


@router.get("/documents", response=list[DocumentOut], summary="The caller's documents, newest first")
def documents(request: HttpRequest, limit: int = 50):
    found = selectors.visible_documents(scope_for(request.auth), reader_id=request.auth.pk)
    return [_out(d) for d in found[: max(1, min(limit, 200))]]


@router.get("/documents/{document_id}", response={200: DocumentOut, 404: ErrorOut},
            summary="One document (reading it through the API does not mark it read)")  # fmt: skip
def document(request: HttpRequest, document_id: int):
    return _out(selectors.get_document(scope_for(request.auth), document_id))


@router.get("/documents/{document_id}/file", response={200: None, 404: ErrorOut},
            summary="The document's file, if it has one (marks it read)",
            openapi_extra={"responses": {"200": {"description": "The file, as an attachment.",
                            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}}})  # fmt: skip
def document_file(request: HttpRequest, document_id: int):
    found = selectors.get_document(scope_for(request.auth), document_id)
    if not found.file:
        raise Http404
    services.document_mark_read(document=found, user=request.auth)
    return stored_file_download(found.file, name=found.file_name, content_type=found.file_type)


@router.post("/documents/{document_id}/read", response={200: ReaderOut, 404: ErrorOut},
             summary="Mark the document read by the caller")  # fmt: skip
def document_read(request: HttpRequest, document_id: int):
    found = selectors.get_document(scope_for(request.auth), document_id)
    read = services.document_mark_read(document=found, user=request.auth)
    return {"user": request.auth.display_name or request.auth.username, "read_at": read.read_at}


@router.get("/documents/{document_id}/readers", response={200: list[ReaderOut], 403: ErrorOut,
                                                          404: ErrorOut},
            summary="Who has read the document (secretaries, officers)")  # fmt: skip
def document_readers(request: HttpRequest, document_id: int):
    scope = scope_for(request.auth)
    found = selectors.get_document(scope, document_id)
    if not selectors.can_see_readers(scope, found):
        raise PermissionDenied
    return [{"user": r.user.display_name or r.user.username, "read_at": r.read_at}
            for r in selectors.readers(found)]  # fmt: skip


@router.post("/units/{unit_id}/documents", response={201: DocumentOut, 403: ErrorOut, 404: ErrorOut,
                                                    422: ValidationErrorOut},
             summary="Publish a document to a unit's subtree (organisation board)")  # fmt: skip
def document_publish(request: HttpRequest, unit_id: int, data: DocumentIn):
    unit = org_selectors.get_unit(scope_for(request.auth), unit_id)
    made = services.document_publish(unit=unit, by=request.auth, **data.dict())
    return Status(201, _out(made))


@router.post("/units/{unit_id}/documents/file", response={201: DocumentOut, 403: ErrorOut, 404: ErrorOut,
                                                         422: ValidationErrorOut},
             summary="Publish a document given as a file (multipart form: the fields of a document and `file`)")  # fmt: skip
def document_publish_file(request: HttpRequest, unit_id: int, data: Form[DocumentIn], file: File[UploadedFile]):
    unit = org_selectors.get_unit(scope_for(request.auth), unit_id)
    made = services.document_publish(unit=unit, by=request.auth, file=file, **data.dict())
    return Status(201, _out(made))


@router.post("/meetings/{meeting_id}/documents/file", response={201: DocumentOut, 403: ErrorOut,
                                                               404: ErrorOut, 422: ValidationErrorOut},
             summary="Add a document given as a file to a meeting (multipart form)")  # fmt: skip
def meeting_document_add_file(request: HttpRequest, meeting_id: int, data: Form[DocumentIn],
                              file: File[UploadedFile]):  # fmt: skip
    meeting = get_meeting(scope_for(request.auth), meeting_id)
    fields = data.dict()
    fields.pop("kind")
    made = services.document_add_to_meeting(meeting=meeting, by=request.auth, file=file, **fields)
    return Status(201, _out(made))


@router.post("/meetings/{meeting_id}/documents", response={201: DocumentOut, 403: ErrorOut,
                                                          404: ErrorOut, 422: ValidationErrorOut},
             summary="Add a document to a meeting (the cell's secretary)")  # fmt: skip
def meeting_document_add(request: HttpRequest, meeting_id: int, data: DocumentIn):
    meeting = get_meeting(scope_for(request.auth), meeting_id)
    fields = data.dict()
    fields.pop("kind")
    made = services.document_add_to_meeting(meeting=meeting, by=request.auth, **fields)
    return Status(201, _out(made))


# --- comments on drafts -----------------------------------------------------------------------
class CommentOut(Schema):
    id: int
    part: str
    paragraph: int = Field(description="0-based, in the draft as it was when commented on.")
    quote: str
    author: str
    text: str
    decision: str = Field(description="pending, taken or not_taken")
    created_at: datetime.datetime


class CommentIn(Schema):
    part: str = Field(description="report or resolution")
    paragraph: int
    text: str


class DecisionIn(Schema):
    decision: str = Field(description="taken, not_taken or pending")


def _comment_out(c) -> dict:
    return {"id": c.pk, "part": c.part, "paragraph": c.paragraph, "quote": c.quote,
            "author": c.author.display_name or c.author.username, "text": c.text,
            "decision": c.decision, "created_at": c.created_at}  # fmt: skip


@router.get("/meetings/{meeting_id}/comments", response={200: list[CommentOut], 404: ErrorOut},
            summary="Comments on the meeting's drafts (a member: their own)")  # fmt: skip
def comments(request: HttpRequest, meeting_id: int):
    scope = scope_for(request.auth)
    meeting = get_meeting(scope, meeting_id)
    found = meeting.draft_comments.select_related("author")
    if not selectors.can_see_all_comments(scope, meeting):
        found = found.filter(author_id=request.auth.pk)
    return [_comment_out(c) for c in found]


@router.post("/meetings/{meeting_id}/comments", response={201: CommentOut, 404: ErrorOut,
                                                         422: ValidationErrorOut},
             summary="Comment on a paragraph of a draft, before the meeting")  # fmt: skip
def comment_add(request: HttpRequest, meeting_id: int, data: CommentIn):
    meeting = get_meeting(scope_for(request.auth), meeting_id)
    made = services.comment_add(meeting=meeting, by=request.auth, **data.dict())
    return Status(201, _comment_out(made))


@router.post("/comments/{comment_id}/decision", response={200: CommentOut, 403: ErrorOut,
                                                         404: ErrorOut, 422: ValidationErrorOut},
             summary="Say whether a comment was taken into the draft (the secretary)")  # fmt: skip
def comment_decide(request: HttpRequest, comment_id: int, data: DecisionIn):
    comment = DraftComment.objects.select_related("meeting").filter(pk=comment_id).first()
    if comment is None:
        raise Http404
    get_meeting(scope_for(request.auth), comment.meeting_id)
    decided = services.comment_decide(comment=comment, by=request.auth, decision=data.decision)
    return _comment_out(decided)
