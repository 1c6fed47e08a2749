"""API routes for the files of a meeting (tệp đính kèm: dự thảo báo cáo, dự thảo nghị quyết).

Access as for the meeting (`selectors.get_meeting`): 404 outside the caller's grants (a member
sees a meeting once announced). Everyone who sees the meeting lists and downloads its files;
attaching and removing need the cell's secretary (403 for the others) and are refused (422)
once the minutes are finalised or the meeting cancelled. Removing hides a file; it is kept.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from chibo.accounts.access import Scope, scope_for
from chibo.org.api import ErrorOut, ValidationErrorOut

from . import attachment_services, attachment_views, selectors
from .models import AttachmentKind, Meeting, MeetingAttachment

router = Router(tags=["meeting files"])


class AttachmentOut(Schema):
    """A file circulated with the meeting."""

    id: int
    meeting_id: int
    kind: str = Field(description="What it is: " + ", ".join(AttachmentKind.values))
    kind_label: str
    name: str = Field(description="The original file name (tên tệp).")
    size: int = Field(description="Size in bytes.")
    content_type: str
    uploaded_by: str = Field(description="Who attached it.")
    uploaded_at: datetime.datetime
    download_url: str = Field(description="GET this (same authentication) for the file.")


def _out(attachment: MeetingAttachment) -> dict:
    return {
        "id": attachment.pk,
        "meeting_id": attachment.meeting_id,
        "kind": attachment.kind,
        "kind_label": str(attachment.get_kind_display()),
        "name": attachment.name,
        "size": attachment.size,
        "content_type": attachment.content_type,
        "uploaded_by": attachment.uploaded_by.display_name,
        "uploaded_at": attachment.uploaded_at,
        "download_url": reverse("api:attachment_file", args=[attachment.meeting_id, attachment.pk]),
    }


def _meeting(request: HttpRequest, meeting_id: int) -> tuple[Scope, Meeting]:
    scope = scope_for(request.auth)
    return scope, selectors.get_meeting(scope, meeting_id)


def _may_attach(scope: Scope, meeting: Meeting) -> None:
    if not scope.can_plan_meetings(meeting.unit):
        raise PermissionDenied(_("Only the cell's secretary may do this for its meetings."))


@router.get(
    "/meetings/{meeting_id}/attachments",
    response={200: list[AttachmentOut], 404: ErrorOut},
    summary="The files of a meeting",
)
def attachment_list(request: HttpRequest, meeting_id: int):
    _scope, meeting = _meeting(request, meeting_id)
    return [_out(a) for a in attachment_services.meeting_attachments(meeting)]


@router.post(
    "/meetings/{meeting_id}/attachments",
    response={201: AttachmentOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
    summary="Attach a file (draft report, draft resolution or other) to a meeting",
)
def attachment_add(
    request: HttpRequest,
    meeting_id: int,
    file: File[UploadedFile],
    kind: Form[AttachmentKind],
):
    """multipart/form-data with `kind` and `file`. Allowed: .pdf .docx .doc .odt .xlsx .xls
    .ods .jpg .jpeg .png .txt, up to CHIBO_ATTACHMENT_MAX_BYTES (20 MB); the content must
    match the extension. Refused once the minutes are finalised."""
    scope, meeting = _meeting(request, meeting_id)
    _may_attach(scope, meeting)
    attachment = attachment_services.attachment_add(
        meeting=meeting, by=request.auth, kind=str(kind.value), upload=file
    )
    return Status(201, _out(attachment))


@router.get(
    "/meetings/{meeting_id}/attachments/{attachment_id}/file",
    response={404: ErrorOut},
    url_name="attachment_file",
    summary="Download a file of a meeting",
    openapi_extra={
        "responses": {
            200: {
                "description": "The file, as an attachment under its original name.",
                "content": {
                    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
                },
            }  # fmt: skip
        }
    },
)
def attachment_file(request: HttpRequest, meeting_id: int, attachment_id: int):
    _scope, meeting = _meeting(request, meeting_id)
    return attachment_views.file_response(
        attachment_services.get_attachment(meeting, attachment_id)
    )


@router.delete(
    "/meetings/{meeting_id}/attachments/{attachment_id}",
    response={204: None, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
    summary="Remove a file from a meeting (it is hidden, not deleted)",
)
def attachment_remove(request: HttpRequest, meeting_id: int, attachment_id: int):
    scope, meeting = _meeting(request, meeting_id)
    _may_attach(scope, meeting)
    attachment = attachment_services.get_attachment(meeting, attachment_id)
    attachment_services.attachment_remove(attachment=attachment, by=request.auth)
    return Status(204, None)
