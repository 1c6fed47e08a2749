"""Extension points for the apps that build on the minutes (chibo.followup), so that this app
never imports them. Receivers are connected in their AppConfig.ready().

- `finalise_problems(meeting)`: each receiver returns a list of `checks.Problem` that refuse
  finalisation (e.g. tasks of earlier meetings that this meeting has not reviewed).
- `record_parts(meeting)`: each receiver returns a list of `RecordPart`: parts of the minutes
  kept by another app. They are covered by the content hash, shown on the meeting page and
  printed under the evaluation of last month's work.
- `meeting_finalised(meeting, by)`: sent inside the finalising transaction, after the lock.
- `meeting_announced(meeting)`: the members are told of the meeting (announced, or an announced
  meeting moved), inside the transaction.
- `leave_requested(request)`, `leave_decided(request)`: a member asked for leave (or changed the
  request); the secretary approved or declined it. Inside the transaction.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from django.dispatch import Signal
from django.utils import translation

finalise_problems = Signal()
record_parts = Signal()
meeting_finalised = Signal()
meeting_announced = Signal()
leave_requested = Signal()
leave_decided = Signal()


@dataclass(frozen=True)
class RecordPart:
    key: str
    title: str
    lines: tuple[str, ...]

    def as_data(self) -> list:
        return [self.key, self.title, list(self.lines)]


def collected_parts(meeting, *, language: str | None = None) -> list[RecordPart]:
    """The parts in `language` (the one active if None). The content hash uses the minutes'
    own language, so the hash never depends on who finalised them."""
    parts: list[RecordPart] = []
    with translation.override(language) if language else contextlib.nullcontext():
        for _receiver, found in record_parts.send(sender=type(meeting), meeting=meeting):
            parts.extend(found or [])
    return parts


def collected_problems(meeting) -> list:
    problems: list = []
    for _receiver, found in finalise_problems.send(sender=type(meeting), meeting=meeting):
        problems.extend(found or [])
    return problems
