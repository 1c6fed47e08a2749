"""API routes for rulebooks: the rules in force for a unit on a date, with the versions that
apply to it, and a new version for an organisation board's subtree (never an edit in place)."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from chibo.accounts.access import scope_for
from chibo.org import selectors as org_selectors
from chibo.org.api import CellRef, ErrorOut, ValidationErrorOut

from . import scorecard_views, scorecards, selectors, services
from .models import Measure
from .selectors import FIGURES

router = Router(tags=["rulebooks"])


class RulebookOut(Schema):
    id: int | None = Field(description="Empty for the built-in HD 42 fallback.")
    name: str
    source: str = Field(description="The document the rules come from.")
    unit: CellRef | None = Field(description="The subtree it is set for; empty: shipped.")
    valid_from: datetime.date
    valid_to: datetime.date | None
    figures: dict[str, int] = Field(description="Each meeting rule: " + ", ".join(FIGURES))
    scorecard_id: int | None = Field(description="The scorecard meetings are scored with.")


class RulesOut(Schema):
    date: datetime.date
    in_force: RulebookOut
    versions: list[RulebookOut]


class RulebookIn(Schema):
    name: str
    source: str
    valid_from: datetime.date
    valid_to: datetime.date | None = Field(None, description="Empty: until a later version.")
    figures: dict[str, int] = Field(description="Every one of: " + ", ".join(FIGURES))
    scorecard_id: int | None = Field(None, description="Empty: keep the card of the rules in "
                                     "force; 0: no scorecard.")


def _out(rulebook) -> dict[str, Any]:
    return {"id": rulebook.pk, "name": rulebook.name, "source": rulebook.source,
            "unit": rulebook.unit if rulebook.unit_id else None,
            "valid_from": rulebook.valid_from, "valid_to": rulebook.valid_to,
            "figures": {name: getattr(rulebook, name) for name in FIGURES},
            "scorecard_id": rulebook.scorecard_id}  # fmt: skip


@router.get("/units/{unit_id}/rules", response={200: RulesOut, 404: ErrorOut},
            summary="The rules in force for a unit on a date (default today)")  # fmt: skip
def rules(request: HttpRequest, unit_id: int, date: datetime.date | None = None):
    unit = org_selectors.get_unit(scope_for(request.auth), unit_id)
    day = date or timezone.localdate()
    return {"date": day, "in_force": _out(selectors.rulebook_for(unit, day)),
            "versions": [_out(r) for r in selectors.rules_history(unit)]}  # fmt: skip


@router.post(
    "/units/{unit_id}/rulebooks",
    response={201: RulebookOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
    summary="Issue a new version of the rules for a unit's subtree (organisation board)",
)
def rulebook_issue(request: HttpRequest, unit_id: int, data: RulebookIn):
    scope = scope_for(request.auth)
    unit = org_selectors.get_unit(scope, unit_id)
    if not scope.can_manage_unit(unit):
        raise PermissionDenied
    figures = {name: data.figures.get(name) for name in FIGURES}
    if data.scorecard_id is not None:
        card = (selectors.usable_scorecards(unit).filter(pk=data.scorecard_id).first()
                if data.scorecard_id else None)  # fmt: skip
        if data.scorecard_id and card is None:
            raise ValidationError({"scorecard_id": [_("Choose a scorecard shipped with chibo or "
                                                      "made for this part of the tree.")]})  # fmt: skip
        figures["scorecard"] = card
    rulebook = services.rulebook_issue(unit=unit, by=request.auth, name=data.name,
                                       source=data.source, valid_from=data.valid_from,
                                       valid_to=data.valid_to, **figures)  # fmt: skip
    return Status(201, _out(rulebook))


# --- scorecards ---------------------------------------------------------------------------------
class CriterionIO(Schema):
    group: str
    title: str
    points: float
    measure: str = Field(description="judged, or one of the computed measures: "
                         + ", ".join(m for m in Measure.values if m != Measure.JUDGED))
    bands: list[dict[str, float]] = Field(default_factory=list, description="For a computed "
                                          "measure: [{from, to, above, points}], the first band "
                                          "holding the value gives the points.")


class ScorecardOut(Schema):
    id: int
    name: str
    source: str
    unit: CellRef | None = Field(description="The subtree that owns it; empty: shipped.")
    locked: bool = Field(description="It has scored meetings: copy it to change it.")
    grades: list[dict[str, Any]]
    criteria: list[CriterionIO]


class ScorecardIn(Schema):
    name: str
    source: str
    grades: list[dict[str, Any]] = Field(description='[{"name": "Tốt", "min": 90}, …], the '
                                         "best first, the last at 0")
    criteria: list[CriterionIO]


class CopyIn(Schema):
    card_id: int


def _card_out(card) -> dict[str, Any]:
    return {"id": card.pk, "name": card.name, "source": card.source,
            "unit": card.unit if card.unit_id else None, "locked": scorecards.is_locked(card),
            "grades": card.grades,
            "criteria": [{"group": c.group, "title": c.title, "points": float(c.points),
                          "measure": c.measure, "bands": c.bands} for c in card.criteria.all()]}  # fmt: skip


@router.get("/units/{unit_id}/scorecards", response={200: list[ScorecardOut], 404: ErrorOut},
            summary="Scorecards a unit's rules may use: shipped ones and those of its subtree")  # fmt: skip
def unit_scorecards(request: HttpRequest, unit_id: int):
    unit = org_selectors.get_unit(scope_for(request.auth), unit_id)
    cards = selectors.usable_scorecards(unit).select_related("unit").prefetch_related("criteria")
    return [_card_out(card) for card in cards.order_by("unit_id", "name")]


@router.get("/scorecards/{card_id}", response={200: ScorecardOut, 404: ErrorOut},
            summary="One scorecard with its criteria")  # fmt: skip
def scorecard(request: HttpRequest, card_id: int):
    return _card_out(scorecard_views.visible_scorecard(scope_for(request.auth), card_id))


@router.post("/units/{unit_id}/scorecards", response={201: ScorecardOut, 403: ErrorOut,
                                                      404: ErrorOut},
             summary="Copy a scorecard for the unit's subtree, to edit it (organisation board)")  # fmt: skip
def scorecard_copy(request: HttpRequest, unit_id: int, data: CopyIn):
    scope = scope_for(request.auth)
    unit = org_selectors.get_unit(scope, unit_id)
    if not scope.can_manage_unit(unit):
        raise PermissionDenied
    card = scorecard_views.visible_scorecard(scope, data.card_id)
    if not selectors.usable_scorecards(unit).filter(pk=card.pk).exists():
        raise Http404
    return Status(201, _card_out(scorecards.scorecard_copy(card=card, unit=unit, by=request.auth)))


@router.put("/scorecards/{card_id}", response={200: ScorecardOut, 403: ErrorOut, 404: ErrorOut,
                                               422: ValidationErrorOut},
            summary="Replace a scorecard's criteria and grades (until it has scored a meeting)")  # fmt: skip
def scorecard_save(request: HttpRequest, card_id: int, data: ScorecardIn):
    card = scorecard_views.visible_scorecard(scope_for(request.auth), card_id)
    saved = scorecards.scorecard_save(
        card=card, by=request.auth, name=data.name, source=data.source, grades=data.grades,
        criteria=[c.dict() for c in data.criteria])  # fmt: skip
    return _card_out(saved)
