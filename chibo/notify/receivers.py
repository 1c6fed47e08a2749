"""Events of the other apps queue the job that tells people. The job row is written in the
event's own transaction: a change rolled back queues nothing."""

from __future__ import annotations

from chibo.documents.signals import comment_added, document_added
from chibo.followup.signals import proposal_closed
from chibo.meetings.signals import (
    leave_decided,
    leave_requested,
    meeting_announced,
    meeting_finalised,
)

from . import tasks


def on_meeting_announced(sender, *, meeting, **kwargs) -> None:
    tasks.meeting_announced.enqueue(meeting.pk)


def on_meeting_finalised(sender, *, meeting, **kwargs) -> None:
    tasks.minutes_finalised.enqueue(meeting.pk)


def on_document_added(sender, *, document, **kwargs) -> None:
    tasks.document_added.enqueue(document.pk)


def on_proposal_closed(sender, *, proposal, **kwargs) -> None:
    tasks.proposal_closed.enqueue(proposal.pk)


def on_leave_requested(sender, *, request, **kwargs) -> None:
    tasks.leave_requested.enqueue(request.pk)


def on_leave_decided(sender, *, request, **kwargs) -> None:
    tasks.leave_decided.enqueue(request.pk)


def on_comment_added(sender, *, comment, **kwargs) -> None:
    tasks.draft_commented.enqueue(comment.pk)


def connect() -> None:
    meeting_announced.connect(on_meeting_announced, dispatch_uid="notify.meeting_announced")
    meeting_finalised.connect(on_meeting_finalised, dispatch_uid="notify.meeting_finalised")
    document_added.connect(on_document_added, dispatch_uid="notify.document_added")
    proposal_closed.connect(on_proposal_closed, dispatch_uid="notify.proposal_closed")
    leave_requested.connect(on_leave_requested, dispatch_uid="notify.leave_requested")
    leave_decided.connect(on_leave_decided, dispatch_uid="notify.leave_decided")
    comment_added.connect(on_comment_added, dispatch_uid="notify.comment_added")
