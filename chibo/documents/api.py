"""API routes for documents: the caller's documents (with read marks), one document, marking it
read, who has read it (for those who read the unit's records), publishing to a subtree and
adding a document to a meeting. A confidential document never has a text."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from chibo.accounts.access import scope_for
from chibo.meetings.selectors import get_meeting
from chibo.org import selectors as org_selectors
from chibo.org.api import CellRef, ErrorOut, ValidationErrorOut

from . import selectors, services

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
            "unit": d.unit, "meeting_id": d.meeting_id, "published_at": d.published_at,
            "is_read": getattr(d, "is_read", None)}  # fmt: skip


@router.get("/documents", response=list[DocumentOut], summary="The caller's documents, newest first")
def documents(request: HttpRequest, limit: int = 50):
    found = selectors.visible_documents(scope_for(request.auth), reader_id=request.auth.pk)
    return [_out(d) for d in found[: max(1, min(limit, 200))]]


@router.get("/documents/{document_id}", response={200: DocumentOut, 404: ErrorOut},
            summary="One document (reading it through the API does not mark it read)")  # fmt: skip
def document(request: HttpRequest, document_id: int):
    return _out(selectors.get_document(scope_for(request.auth), document_id))


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


@router.post("/meetings/{meeting_id}/documents", response={201: DocumentOut, 403: ErrorOut,
                                                          404: ErrorOut, 422: ValidationErrorOut},
             summary="Add a document to a meeting (the cell's secretary)")  # fmt: skip
def meeting_document_add(request: HttpRequest, meeting_id: int, data: DocumentIn):
    meeting = get_meeting(scope_for(request.auth), meeting_id)
    fields = data.dict()
    fields.pop("kind")
    made = services.document_add_to_meeting(meeting=meeting, by=request.auth, **fields)
    return Status(201, _out(made))
