"""Downloads of a meeting's minutes and resolution, as Word (.docx) or PDF.

Access follows the minutes themselves (`selectors.get_meeting`, and the API's rule in
`api._can_read_record`): outside the user's grants 404; a member of the cell downloads the
minutes once finalised (403 before); the cell's secretary and clerk, the upper-level attendee
and the officers above download any meeting they see — before finalisation as a draft marked
"DỰ THẢO", without a content hash.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET

from chibo.accounts.access import READ_ROLES, Scope, scope_for

from . import exporting, selectors
from .models import Meeting


def can_download(scope: Scope, meeting: Meeting) -> bool:
    """Readers of the cell download any state (a draft before finalisation); a member once
    the minutes are finalised."""
    return meeting.is_finalised or scope.covers(meeting.unit.path, READ_ROLES)


def file_response(meeting: Meeting, document: str, fmt: str) -> HttpResponse:
    """The file as an attachment; 404 for a document the meeting does not have; 503 with a
    Vietnamese message when the PDF engine is missing on this server."""
    try:
        content = exporting.render(meeting, document, fmt)
    except exporting.DocumentMissing as missing:
        raise Http404 from missing
    except exporting.ExportUnavailable as unavailable:
        return HttpResponse(str(unavailable), status=503, content_type="text/plain; charset=utf-8")
    response = HttpResponse(content, content_type=exporting.CONTENT_TYPES[fmt])
    name = exporting.file_name(meeting, document, fmt)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Content-Length"] = str(len(content))
    # Party documents: never kept by a shared cache.
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def meeting_export(request, pk: str, document: str, fmt: str):
    scope = scope_for(request.user)
    meeting = selectors.get_meeting(scope, int(pk))
    if not can_download(scope, meeting):
        raise PermissionDenied
    return file_response(meeting, document, fmt)
