"""Documents: the list and a document for its readers (opening it marks it read), publishing to
a subtree, adding one to a meeting. Thin: parse, call a service or selector, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chibo.accounts.access import scope_for
from chibo.core.http import stored_file_download
from chibo.meetings.selectors import get_meeting
from chibo.org import selectors as org_selectors
from chibo.org.forms import run_form

from . import selectors, services
from .forms import CommentForm, DocumentForm, MeetingDocumentForm
from .models import DraftComment

PER_PAGE = 30


@login_required
@require_GET
def document_list(request):
    scope = scope_for(request.user)
    documents = selectors.visible_documents(scope, reader_id=request.user.pk)
    page = Paginator(documents, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "documents/list.html", {"page": page})


@login_required
@require_GET
def document_detail(request, pk: int):
    scope = scope_for(request.user)
    document = selectors.get_document(scope, pk)
    services.document_mark_read(document=document, user=request.user)
    show_readers = selectors.can_see_readers(scope, document)
    return render(request, "documents/detail.html", {
        "document": document,
        "readers": selectors.readers(document) if show_readers else None,
    })  # fmt: skip


@login_required
@require_GET
def document_file(request, pk: int):
    document = selectors.get_document(scope_for(request.user), pk)
    if not document.file:
        raise Http404
    services.document_mark_read(document=document, user=request.user)
    return stored_file_download(document.file, name=document.file_name, content_type=document.file_type)


@login_required
@require_http_methods(["GET", "POST"])
def document_publish(request, pk: int):
    scope = scope_for(request.user)
    unit = org_selectors.get_unit(scope, pk)
    if not scope.can_manage_unit(unit):
        raise PermissionDenied
    form = DocumentForm(request.POST or None, request.FILES or None)
    document = run_form(request, form, lambda d: services.document_publish(unit=unit, by=request.user, **d))
    if document:
        messages.success(request, _("The document is published to %(unit)s.") % {"unit": unit.name})
        return redirect("document_detail", pk=document.pk)
    return render(request, "documents/form.html", {
        "form": form, "unit": unit, "ancestors": [*org_selectors.visible_ancestors(scope, unit), unit],
    }, status=422 if request.method == "POST" else 200)  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def meeting_document_add(request, pk: int):
    scope = scope_for(request.user)
    meeting = get_meeting(scope, pk)
    if not scope.can_plan_meetings(meeting.unit):
        raise PermissionDenied
    form = MeetingDocumentForm(request.POST or None, request.FILES or None)
    document = run_form(request, form, lambda d: services.document_add_to_meeting(
        meeting=meeting, by=request.user, **d))  # fmt: skip
    if document:
        messages.success(request, _("The document is added to the meeting."))
        return redirect("meeting_detail", pk=meeting.pk)
    return render(request, "documents/form.html", {
        "form": form, "meeting": meeting, "unit": meeting.unit,
        "ancestors": [*org_selectors.visible_ancestors(scope, meeting.unit), meeting.unit],
    }, status=422 if request.method == "POST" else 200)  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def meeting_drafts(request, pk: int):
    """The meeting's drafts paragraph by paragraph, with the comments; a member comments on a
    paragraph until the meeting starts."""
    scope = scope_for(request.user)
    meeting = get_meeting(scope, pk)
    form = CommentForm(request.POST or None)
    if request.method == "POST":
        comment = run_form(request, form, lambda d: services.comment_add(meeting=meeting, by=request.user, **d))
        if comment:
            messages.success(request, _("Your comment is sent to the cell's secretary."))
            return redirect(f"{reverse('meeting_drafts', args=[meeting.pk])}#p-{comment.part}-{comment.paragraph}")
        for error in form.errors.values():
            for message in error:
                messages.error(request, message)
    return render(request, "documents/drafts.html", {
        "meeting": meeting, "drafts": selectors.draft_views(scope, meeting),
        "can_comment": meeting.status in ("planned", "announced"),
        "can_decide": scope.can_plan_meetings(meeting.unit) and not meeting.is_finalised,
        "ancestors": [*org_selectors.visible_ancestors(scope, meeting.unit), meeting.unit],
    }, status=422 if request.method == "POST" else 200)  # fmt: skip


@login_required
@require_POST
def comment_decide(request, pk: int):
    scope = scope_for(request.user)
    comment = get_object_or_404(DraftComment.objects.select_related("meeting"), pk=pk)
    get_meeting(scope, comment.meeting_id)  # 404 for whoever does not see the meeting
    try:
        services.comment_decide(comment=comment, by=request.user, decision=request.POST.get("decision", ""))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    return redirect(f"{reverse('meeting_drafts', args=[comment.meeting_id])}#p-{comment.part}-{comment.paragraph}")
