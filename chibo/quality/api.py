"""API routes for a meeting's score: read it with every point's evidence or author; the
secretary assigns the scorer, the scorer judges, the upper level adjusts with a reason. A
stale `version` answers 409; a meeting the caller may not see answers 404."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema

from chibo.accounts.access import scope_for
from chibo.accounts.models import User
from chibo.meetings.api import EDIT, conflict_response
from chibo.meetings.selectors import get_meeting
from chibo.meetings.services import EditConflict
from chibo.org.api import ErrorOut

from . import selectors, services

router = Router(tags=["meeting quality"])


class AdjustmentOut(Schema):
    old_points: Decimal | None
    new_points: Decimal
    reason: str
    by: str
    at: datetime.datetime


class LineOut(Schema):
    criterion_id: int
    group: str
    title: str
    max_points: Decimal
    measure: str = Field(description="'judged', or the key of the measure chibo computed.")
    value: float | None = Field(description="What the computed measure found.")
    evidence: str
    points: Decimal | None = Field(description="Empty: a judged criterion not judged yet.")
    justification: str
    by: str | None = Field(description="Who judged it; empty when computed by chibo.")
    adjustments: list[AdjustmentOut]


class ScoreOut(Schema):
    meeting_id: int
    status: str = Field(description="awaiting, scored or reviewed")
    total: Decimal
    grade: str
    grade_rank: int | None = Field(description="1 = the scorecard's best grade.")
    scorecard: str
    rulebook: str | None
    scorer_id: int | None
    version: int
    lines: list[LineOut]


class ScorerIn(Schema):
    scorer_id: int
    version: int | None = None


class JudgementIn(Schema):
    criterion_id: int
    points: Decimal
    justification: str


class JudgementsIn(Schema):
    judgements: list[JudgementIn]
    version: int | None = None


class AdjustmentIn(Schema):
    criterion_id: int
    points: Decimal
    reason: str
    version: int | None = None


def _name(user) -> str:
    return user.display_name or user.username


def _out(score) -> dict:
    return {
        "meeting_id": score.meeting_id, "status": score.status, "total": score.total,
        "grade": score.grade, "grade_rank": score.grade_rank, "scorecard": score.scorecard.name,
        "rulebook": score.rulebook.name if score.rulebook else None,
        "scorer_id": score.scorer_id, "version": score.version,
        "lines": [{
            "criterion_id": line.criterion_id, "group": line.criterion.group,
            "title": line.criterion.title, "max_points": line.criterion.points,
            "measure": line.criterion.measure, "value": line.value, "evidence": line.evidence,
            "points": line.points, "justification": line.justification,
            "by": _name(line.by) if line.by else None,
            "adjustments": [{"old_points": a.old_points, "new_points": a.new_points,
                             "reason": a.reason, "by": _name(a.by), "at": a.at}
                            for a in line.adjustments.all()],
        } for line in score.lines.all()],
    }  # fmt: skip


def _score(request: HttpRequest, meeting_id: int):
    meeting = get_meeting(scope_for(request.auth), meeting_id)
    score = selectors.score_of(meeting)
    if score is None:
        raise Http404
    return meeting, score


def _fresh(meeting):
    return _out(selectors.score_of(meeting))


@router.get("/meetings/{meeting_id}/score", response={200: ScoreOut, 404: ErrorOut},
            summary="A finalised meeting's score, with the evidence or author of every point")  # fmt: skip
def score(request: HttpRequest, meeting_id: int):
    return _out(_score(request, meeting_id)[1])


@router.post("/meetings/{meeting_id}/score/scorer", response={200: ScoreOut, **EDIT},
             summary="Assign who scores the judged criteria (the cell's secretary)")  # fmt: skip
def score_assign(request: HttpRequest, meeting_id: int, data: ScorerIn):
    meeting, score = _score(request, meeting_id)
    scorer = User.objects.filter(pk=data.scorer_id).first()
    try:
        services.score_assign(score=score, scorer=scorer, by=request.auth, version=data.version)
    except EditConflict as conflict:
        return conflict_response(conflict)
    return _fresh(meeting)


@router.post("/meetings/{meeting_id}/score/judgements", response={200: ScoreOut, **EDIT},
             summary="Points and a justification for judged criteria (the assigned scorer)")  # fmt: skip
def score_judge(request: HttpRequest, meeting_id: int, data: JudgementsIn):
    meeting, score = _score(request, meeting_id)
    judgements = {j.criterion_id: (j.points, j.justification) for j in data.judgements}
    try:
        services.score_judge(score=score, by=request.auth, judgements=judgements,
                             version=data.version)  # fmt: skip
    except EditConflict as conflict:
        return conflict_response(conflict)
    return _fresh(meeting)


@router.post("/meetings/{meeting_id}/score/adjustments", response={200: ScoreOut, **EDIT},
             summary="Change one criterion's points with a reason (the upper level)")  # fmt: skip
def score_adjust(request: HttpRequest, meeting_id: int, data: AdjustmentIn):
    meeting, score = _score(request, meeting_id)
    try:
        services.score_adjust(score=score, by=request.auth, criterion_id=data.criterion_id,
                              points=data.points, reason=data.reason, version=data.version)  # fmt: skip
    except EditConflict as conflict:
        return conflict_response(conflict)
    return _fresh(meeting)
