"""Writes to meeting scores: computed when the minutes are finalised, judged by the person the
secretary assigned, adjusted by the upper level with a reason. Each write is one transaction
with its audit entry, and tells the aggregates (`score_changed`)."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from chibo.accounts.access import scope_for
from chibo.accounts.models import Grant, User
from chibo.core import audit
from chibo.core.text import normalize_paragraphs
from chibo.meetings.models import Meeting, MeetingKind
from chibo.meetings.services import MINUTES_LANGUAGE, EditConflict
from chibo.org.models import Unit
from chibo.rulebooks.selectors import rulebook_for

from . import measures
from .models import CriterionScore, MeetingScore, ScoreAdjustment, ScoreStatus

# Sent after a score is created or changes: `score_changed(score)` (inside the transaction).
score_changed = Signal()

MAX_JUSTIFICATION = 2000


def on_meeting_finalised(sender, *, meeting: Meeting, by, **kwargs) -> None:
    if meeting.kind != MeetingKind.PREPARATORY:
        score_compute(meeting=meeting)


def _decimal(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.1"))


def _settle(score: MeetingScore, lines: list[CriterionScore]) -> None:
    """Total, grade and status from the lines (the grade only once every line has points)."""
    score.total = sum((line.points for line in lines if line.points is not None), Decimal("0.0"))
    if all(line.points is not None for line in lines):
        score.grade, score.grade_rank = score.scorecard.grade_for(score.total)
        if score.status == ScoreStatus.AWAITING:
            score.status = ScoreStatus.SCORED
            score.scored_at = timezone.now()
    else:
        score.grade, score.grade_rank = "", None


@transaction.atomic
def score_compute(*, meeting: Meeting) -> MeetingScore | None:
    """Score a finalised meeting's computed criteria against the scorecard of the rulebook in
    force on its date. None when that rulebook has no scorecard. Run once: a score exists."""
    existing = MeetingScore.objects.filter(meeting=meeting).first()
    if existing is not None:
        return existing
    rulebook = rulebook_for(meeting.unit, meeting.date)
    if rulebook.scorecard_id is None:
        return None
    card = rulebook.scorecard
    score = MeetingScore.objects.create(
        meeting=meeting, province_id=meeting.province_id, unit_id=meeting.unit_id,
        rulebook=rulebook if rulebook.pk else None, scorecard=card,
    )  # fmt: skip
    facts = measures.MeetingFacts(meeting, rulebook)
    now = timezone.now()
    lines = []
    for criterion in card.criteria.all():
        if criterion.is_judged:
            lines.append(CriterionScore(score=score, criterion=criterion))
            continue
        with translation.override(MINUTES_LANGUAGE):  # stored evidence: the minutes' language
            measured = measures.measure(criterion.measure, facts)
        lines.append(CriterionScore(
            score=score, criterion=criterion, value=measured.value, evidence=measured.evidence[:500],
            points=_decimal(criterion.points_for(measured.value)), at=now,
        ))  # fmt: skip
    CriterionScore.objects.bulk_create(lines)
    _settle(score, lines)
    score.save()
    audit.record(actor=None, action="score.compute", obj=score, unit_path=meeting.unit.path,
                 changes={"scorecard": card.pk, "total": str(score.total), "grade": score.grade})  # fmt: skip
    score_changed.send(sender=MeetingScore, score=score)
    return score


def _locked(score: MeetingScore, version: int | None) -> MeetingScore:
    locked = (MeetingScore.objects.select_for_update()
              .select_related("meeting__unit", "scorecard").get(pk=score.pk))  # fmt: skip
    if version is not None and locked.version != version:
        raise EditConflict(current={"total": str(locked.total), "status": locked.status},
                           version=locked.version)  # fmt: skip
    return locked


def _lines(score: MeetingScore) -> list[CriterionScore]:
    return list(score.lines.select_related("criterion").order_by("criterion__position"))


def _points(line: CriterionScore, raw) -> Decimal:
    try:
        points = _decimal(raw)
    except (ArithmeticError, ValueError, TypeError):
        raise ValidationError({str(line.criterion_id): [_("Enter a number of points.")]}) from None
    if not Decimal("0") <= points <= line.criterion.points:
        raise ValidationError({str(line.criterion_id): [
            _("“%(criterion)s”: give from 0 to %(max)s points.")
            % {"criterion": line.criterion.title, "max": line.criterion.points}]})  # fmt: skip
    return points


def _reason(line: CriterionScore, text: str | None, message: str) -> str:
    text = normalize_paragraphs(text)
    if not text:
        raise ValidationError({str(line.criterion_id): [message]})
    if len(text) > MAX_JUSTIFICATION:
        raise ValidationError({str(line.criterion_id): [
            _("Keep it under %(n)s characters.") % {"n": MAX_JUSTIFICATION}]})  # fmt: skip
    return text


def scorer_candidates(meeting: Meeting):
    """Who the secretary may ask to score: the people whose grants cover the cell (its
    secretary, clerk and members with an account, its upper-level attendees and officers)."""
    path, step = meeting.unit.path, Unit.steplen
    ancestors = [path[:i] for i in range(step, len(path) + 1, step)]
    users = (Grant.objects.current().filter(unit__path__in=ancestors, user__is_active=True)
             .values("user_id"))  # fmt: skip
    return User.objects.filter(pk__in=users).order_by("last_name", "first_name", "id")


@transaction.atomic
def score_assign(*, score: MeetingScore, scorer, by, version: int | None = None) -> MeetingScore:
    """The secretary names who scores the judged criteria (before they are all scored)."""
    score = _locked(score, version)
    if not scope_for(by).can_plan_meetings(score.meeting.unit):
        raise PermissionDenied
    if score.status != ScoreStatus.AWAITING:
        raise ValidationError(_("This meeting is already scored; ask the upper level to review "
                                "it instead."))  # fmt: skip
    if scorer is None or not scorer_candidates(score.meeting).filter(pk=scorer.pk).exists():
        raise ValidationError({"scorer": [_("Choose someone who takes part in this cell's "
                                            "meetings or oversees them.")]})  # fmt: skip
    old = score.scorer_id
    score.scorer = scorer
    score.version += 1
    score.save(update_fields=["scorer", "version"])
    audit.record(actor=by, action="score.assign", obj=score, unit_path=score.meeting.unit.path,
                 changes={"scorer": [old, scorer.pk]})  # fmt: skip
    return score


@transaction.atomic
def score_judge(*, score: MeetingScore, by, judgements: dict[int, tuple[object, str]],
                version: int | None = None) -> MeetingScore:  # fmt: skip
    """The assigned scorer gives points to judged criteria: {criterion id: (points, why)}.
    Points already given can be changed until the score is complete."""
    score = _locked(score, version)
    if score.scorer_id != by.pk:
        raise PermissionDenied
    if score.status != ScoreStatus.AWAITING:
        raise ValidationError(_("This meeting is already scored; ask the upper level to review "
                                "it instead."))  # fmt: skip
    lines = _lines(score)
    by_criterion = {line.criterion_id: line for line in lines}
    now = timezone.now()
    changed = {}
    for criterion_id, (raw, why) in judgements.items():
        line = by_criterion.get(int(criterion_id))
        if line is None or not line.criterion.is_judged:
            raise ValidationError(_("That criterion is not one the scorer judges."))
        line.points = _points(line, raw)
        line.justification = _reason(line, why, _("Say in a sentence why you give these points."))
        line.by, line.at = by, now
        line.save(update_fields=["points", "justification", "by", "at"])
        changed[line.criterion_id] = str(line.points)
    if not changed:
        raise ValidationError(_("Give points to at least one criterion."))
    _settle(score, lines)
    score.version += 1
    score.save()
    audit.record(actor=by, action="score.judge", obj=score, unit_path=score.meeting.unit.path,
                 changes={"points": changed, "total": str(score.total), "grade": score.grade})  # fmt: skip
    score_changed.send(sender=MeetingScore, score=score)
    return score


@transaction.atomic
def score_adjust(*, score: MeetingScore, by, criterion_id: int, points, reason: str,
                 version: int | None = None) -> MeetingScore:  # fmt: skip
    """The upper level changes one line of a complete score, with a reason kept beside it."""
    score = _locked(score, version)
    if not scope_for(by).can_review_score(score.meeting.unit):
        raise PermissionDenied
    if score.status == ScoreStatus.AWAITING:
        raise ValidationError(_("The scorer has not finished yet: review the score once every "
                                "criterion has points."))  # fmt: skip
    lines = _lines(score)
    line = next((x for x in lines if x.criterion_id == int(criterion_id)), None)
    if line is None:
        raise ValidationError(_("That criterion is not on this meeting's scorecard."))
    new = _points(line, points)
    why = _reason(line, reason, _("Say why you change the points."))
    if new == line.points:
        raise ValidationError({str(line.criterion_id): [_("These are the points it already has.")]})
    ScoreAdjustment.objects.create(line=line, old_points=line.points, new_points=new, reason=why,
                                   by=by)  # fmt: skip
    old = line.points
    line.points = new
    line.save(update_fields=["points"])
    _settle(score, lines)
    score.status = ScoreStatus.REVIEWED
    score.version += 1
    score.save()
    audit.record(actor=by, action="score.adjust", obj=score, unit_path=score.meeting.unit.path,
                 changes={"criterion": line.criterion_id, "points": [str(old), str(new)], "reason": why,
                          "total": str(score.total), "grade": score.grade})  # fmt: skip
    score_changed.send(sender=MeetingScore, score=score)
    return score
