"""API routes for rulebooks: the rules in force for a unit on a date, with the versions that
apply to it, and a new version for an organisation board's subtree (never an edit in place)."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema, Status

from chibo.accounts.access import scope_for
from chibo.org import selectors as org_selectors
from chibo.org.api import CellRef, ErrorOut, ValidationErrorOut

from . import selectors, services
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


class RulesOut(Schema):
    date: datetime.date
    in_force: RulebookOut
    versions: list[RulebookOut]


class RulebookIn(Schema):
    name: str
    source: str
    valid_from: datetime.date
    figures: dict[str, int] = Field(description="Every one of: " + ", ".join(FIGURES))


def _out(rulebook) -> dict[str, Any]:
    return {"id": rulebook.pk, "name": rulebook.name, "source": rulebook.source,
            "unit": rulebook.unit if rulebook.unit_id else None,
            "valid_from": rulebook.valid_from, "valid_to": rulebook.valid_to,
            "figures": {name: getattr(rulebook, name) for name in FIGURES}}  # fmt: skip


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
    rulebook = services.rulebook_issue(unit=unit, by=request.auth, name=data.name,
                                       source=data.source, valid_from=data.valid_from, **figures)  # fmt: skip
    return Status(201, _out(rulebook))
