"""How follow-up takes part in the minutes (see `chibo.meetings.signals`): a regular meeting
cannot be finalised while a due task of an earlier meeting has no decision, and the decisions
are part of its record."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from chibo.meetings.checks import Problem
from chibo.meetings.signals import RecordPart

from . import selectors
from .models import ReviewDecision

ANCHOR = "part-task-review"


def finalise_problems(sender, *, meeting, **kwargs) -> list[Problem]:
    due = selectors.unreviewed_due(meeting)
    if not due:
        return []
    names = "; ".join(f"“{t.description[:60]}”" for t in due[:3]) + ("; …" if len(due) > 3 else "")
    return [Problem(
        "task-review",
        ngettext(
            "%(n)s task of an earlier meeting is due and has no decision (%(names)s): say "
            "whether it is done, carried over to a new deadline or dropped.",
            "%(n)s tasks of earlier meetings are due and have no decision (%(names)s): say for "
            "each whether it is done, carried over to a new deadline or dropped.",
            len(due),
        ) % {"n": len(due), "names": names},
        ANCHOR,
    )]  # fmt: skip


def record_parts(sender, *, meeting, **kwargs) -> list[RecordPart]:
    """The meeting's decisions on earlier tasks, from data that never changes afterwards (the
    task's own deadline moves when it is carried over, so it is not printed here)."""
    lines = []
    for review in selectors.meeting_reviews(meeting):
        task = review.task
        decision = (
            _("carried over to %(date)s") % {"date": review.new_deadline.strftime("%d/%m/%Y")}
            if review.decision == ReviewDecision.CARRIED
            else review.get_decision_display().lower()
        )
        text = _("%(task)s (%(who)s; assigned on %(assigned)s): %(decision)s.") % {
            "task": task.description, "who": selectors.people(task),
            "assigned": task.meeting.date.strftime("%d/%m/%Y"), "decision": decision,
        }  # fmt: skip
        lines.append(f"{text} {review.note}".strip())
    if not lines:
        return []
    return [RecordPart("task_reviews", _("Results of the tasks assigned earlier"), tuple(lines))]
