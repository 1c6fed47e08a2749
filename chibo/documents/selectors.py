"""Reads of documents. Access: a document published to a unit is for everyone whose grants
reach into that unit's subtree (its members, secretaries, officers below) and for the levels
above it; a meeting's document is for those who see the meeting. Anything else is 404. Who
has read a document is shown to those who read the unit's records (secretary, clerk, attendee,
officer, admin) — never to a plain member."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from chibo.accounts.access import READ_ROLES, Scope
from chibo.meetings.selectors import visible_meetings
from chibo.org.models import Unit

from .models import Document, DocumentRead, DraftPart, draft_paragraphs


def _audience_q(scope: Scope) -> Q:
    if scope.is_superuser:
        return Q()
    q = Q(pk__in=[])
    for path in scope.paths():
        # Published above or at the grant (the grant's unit is in its subtree) …
        ancestors = [path[:i] for i in range(Unit.steplen, len(path) + 1, Unit.steplen)]
        q |= Q(unit__path__in=ancestors)
        # … or anywhere below it (the levels above read what they and their units publish).
        q |= Q(unit__path__startswith=path)
    return q


def visible_documents(scope: Scope, *, reader_id: int | None = None) -> QuerySet[Document]:
    """Documents the user may read, newest first; with `reader_id`, each has `is_read`."""
    published = Q(meeting__isnull=True) & _audience_q(scope)
    of_meetings = Q(meeting__in=visible_meetings(scope).values("pk"))
    documents = Document.objects.filter(published | of_meetings).select_related("unit", "meeting")
    if reader_id is not None:
        documents = documents.annotate(
            is_read=Exists(DocumentRead.objects.filter(document=OuterRef("pk"), user_id=reader_id))
        )
    return documents


def get_document(scope: Scope, pk: int) -> Document:
    try:
        return visible_documents(scope).get(pk=pk)
    except (Document.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def can_see_readers(scope: Scope, document: Document) -> bool:
    return scope.covers(document.unit.path, READ_ROLES)


def readers(document: Document) -> list[DocumentRead]:
    return list(document.reads.select_related("user").order_by("read_at", "id"))


# --- comments on drafts -----------------------------------------------------------------------
@dataclass
class DraftParagraph:
    index: int
    text: str
    comments: list = field(default_factory=list)


@dataclass
class DraftView:
    part: str
    label: str
    paragraphs: list[DraftParagraph]
    earlier: list = field(default_factory=list)  # comments on paragraphs the draft no longer has


def can_see_all_comments(scope: Scope, meeting) -> bool:
    return scope.covers(meeting.unit.path, READ_ROLES)


def draft_views(scope: Scope, meeting) -> list[DraftView]:
    """Each draft of the meeting by paragraph, with its comments: all of them for those who
    read the cell's records, the member's own for a member."""
    comments = meeting.draft_comments.select_related("author", "decided_by")
    if not can_see_all_comments(scope, meeting):
        comments = comments.filter(author_id=scope.user_id)
    by_part: dict[str, list] = {}
    for comment in comments:
        by_part.setdefault(comment.part, []).append(comment)
    views = []
    for part, label in DraftPart.choices:
        lines = draft_paragraphs(meeting, part)
        view = DraftView(part, str(label), [DraftParagraph(i, line) for i, line in enumerate(lines)])
        for comment in by_part.get(part, []):
            target = view.paragraphs[comment.paragraph] if comment.paragraph < len(lines) else None
            if target is not None and lines[comment.paragraph].startswith(comment.quote[:60]):
                target.comments.append(comment)
            else:
                view.earlier.append(comment)
        if view.paragraphs or view.earlier:
            views.append(view)
    return views
