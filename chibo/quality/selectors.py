"""Reads of meeting scores for the UI, the API and reports. Access: a score is read through its
meeting (`meetings.selectors.get_meeting`), so whoever may not see the meeting gets 404."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch

from chibo.accounts.access import Scope

from .models import CriterionScore, MeetingScore, ScoreAdjustment


@dataclass
class ScoreGroup:
    name: str
    maximum: Decimal = Decimal("0")
    points: Decimal = Decimal("0")
    lines: list[CriterionScore] = field(default_factory=list)
    complete: bool = True


def score_of(meeting) -> MeetingScore | None:
    return (
        MeetingScore.objects.filter(meeting=meeting)
        .select_related("scorecard", "rulebook", "scorer")
        .prefetch_related(Prefetch(
            "lines",
            CriterionScore.objects.select_related("criterion", "by").prefetch_related(
                Prefetch("adjustments", ScoreAdjustment.objects.select_related("by"))
            ).order_by("criterion__position"),
        ))  # fmt: skip
        .first()
    )


def score_groups(score: MeetingScore) -> list[ScoreGroup]:
    """The breakdown by the scorecard's groups, in the card's order."""
    groups: dict[str, ScoreGroup] = {}
    for line in score.lines.all():
        group = groups.setdefault(line.criterion.group, ScoreGroup(line.criterion.group))
        group.maximum += line.criterion.points
        group.lines.append(line)
        if line.points is None:
            group.complete = False
        else:
            group.points += line.points
    return list(groups.values())


@dataclass(frozen=True)
class ScoreRights:
    assign: bool
    judge: bool
    review: bool


def score_rights(scope: Scope, score: MeetingScore) -> ScoreRights:
    unit = score.meeting.unit
    awaiting = not score.is_complete
    return ScoreRights(
        assign=awaiting and scope.can_plan_meetings(unit),
        judge=awaiting and score.scorer_id is not None and score.scorer_id == scope.user_id,
        review=not awaiting and scope.can_review_score(unit),
    )
