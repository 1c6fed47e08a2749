"""Pages for the files of a meeting: the list (loaded into the meeting page by htmx), upload,
download and removal. Thin: the rules are in `attachment_services`.

Access: the meeting through `selectors.get_meeting` (404 outside the user's grants; a member
sees it once announced); listing and downloading for everyone who sees it; attaching and
removing for the cell's secretary (403 for the others who see it). Files are served only here
(and by the API), as attachments that no browser renders or sniffs and no cache keeps.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chibo.accounts.access import scope_for
from chibo.core.http import is_htmx, stored_file_download

from . import attachment_services, selectors
from .models import AttachmentKind, MeetingAttachment


def _meeting(request, pk: int):
    scope = scope_for(request.user)
    return scope, selectors.get_meeting(scope, pk)


def _back(meeting):
    return redirect(reverse("meeting_detail", args=[meeting.pk]) + "#attachments")


def render_list(request, scope, meeting, *, status: int = 200):
    return render(request, "meetings/_attachments.html", {
        "meeting": meeting, "loaded": True,
        "attachments": list(attachment_services.meeting_attachments(meeting)),
        "can_manage": attachment_services.can_manage(scope, meeting),
        "kinds": AttachmentKind.choices,
        "allowed": ",".join(f".{e}" for e in attachment_services.ALLOWED_EXTENSIONS),
        "max_bytes": attachment_services.max_bytes(),
    }, status=status)  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def attachments(request, pk: int):
    """GET: the list, for the meeting page (htmx); POST: attach a file (secretary)."""
    scope, meeting = _meeting(request, pk)
    if request.method == "GET":
        if not is_htmx(request):
            return _back(meeting)
        return render_list(request, scope, meeting)
    if not scope.can_plan_meetings(meeting.unit):
        raise PermissionDenied
    try:
        attachment = attachment_services.attachment_add(
            meeting=meeting, by=request.user, kind=request.POST.get("kind", ""),
            upload=request.FILES.get("file"),
        )  # fmt: skip
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("“%(name)s” is attached.") % {"name": attachment.name})
    return _back(meeting)


def file_response(attachment: MeetingAttachment) -> FileResponse:
    return stored_file_download(attachment.file, name=attachment.name, content_type=attachment.content_type)


@login_required
@require_GET
def attachment_download(request, pk: int, attachment_pk: int):
    _scope, meeting = _meeting(request, pk)
    return file_response(attachment_services.get_attachment(meeting, attachment_pk))


@login_required
@require_POST
def attachment_remove(request, pk: int, attachment_pk: int):
    scope, meeting = _meeting(request, pk)
    if not scope.can_plan_meetings(meeting.unit):
        raise PermissionDenied
    attachment = attachment_services.get_attachment(meeting, attachment_pk)
    try:
        attachment_services.attachment_remove(attachment=attachment, by=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("“%(name)s” is removed.") % {"name": attachment.name})
    return _back(meeting)
