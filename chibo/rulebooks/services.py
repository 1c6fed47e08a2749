"""Writes to rulebooks: an organisation board issues a new version of the rules for its subtree.

A rulebook is never edited in place, so a meeting checked (and later scored) under one keeps the
figures it was judged by: a new version starts on a day not in the past, and the unit's version
in force until then ends the day before.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chibo.core import audit
from chibo.core.text import normalize
from chibo.org.models import Unit

from .models import Rulebook, Scorecard
from .selectors import FIGURES, rulebook_for, usable_scorecards

SAME_CARD = object()  # rulebook_issue's default: keep the scorecard of the rules in force

# Sensible bounds for each figure, so a typing slip cannot make every meeting fail.
BOUNDS = {
    "regular_deadline_day": (1, 31),
    "thematic_per_quarter": (0, 3),
    "min_minutes_regular": (30, 240),
    "min_minutes_combined": (30, 300),
    "document_lead_days": (0, 15),
    "attendance_threshold": (50, 100),
    "finalise_within_days": (0, 30),
    "proposal_answer_days": (1, 90),
}


@transaction.atomic
def rulebook_issue(*, unit: Unit, by, name: str, source: str, valid_from: datetime.date,
                   valid_to: datetime.date | None = None,
                   scorecard: Scorecard | None | object = SAME_CARD, **figures: int) -> Rulebook:  # fmt: skip
    """A new version of the rules for the unit's subtree, from `valid_from` (until `valid_to`,
    or until a later version; after its end the rules above apply again). The scorecard
    carries over from the rules in force unless another (or none) is given."""
    name, source = normalize(name), normalize(source)
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("Give the rulebook a name.")]
    if not source:
        errors["source"] = [_("Name the document these rules come from.")]
    if valid_from is None or valid_from < timezone.localdate():
        errors["valid_from"] = [_("A new version starts today or later: past checks keep "
                                  "the rules they were made under.")]  # fmt: skip
    if valid_to is not None and valid_from is not None and valid_to < valid_from:
        errors["valid_to"] = [_("The rules cannot end before they start.")]
    unknown = set(figures) - set(FIGURES)
    if unknown:
        raise ValueError(f"not a rulebook figure: {sorted(unknown)}")
    for field, (low, high) in BOUNDS.items():
        value = figures.get(field)
        if value is None:
            errors[field] = [_("Enter a number.")]
        elif not low <= value <= high:
            errors[field] = [_("Enter a number from %(low)s to %(high)s.")
                             % {"low": low, "high": high}]  # fmt: skip
    if scorecard is SAME_CARD:
        scorecard = rulebook_for(unit, valid_from).scorecard
    elif scorecard is not None and not usable_scorecards(unit).filter(pk=scorecard.pk).exists():
        errors["scorecard"] = [_("Choose a scorecard shipped with chibo or made for this part "
                                 "of the tree.")]  # fmt: skip
    if errors:
        raise ValidationError(errors)
    ended = []
    for current in Rulebook.objects.select_for_update().filter(unit=unit).exclude(
        valid_to__lt=valid_from
    ):  # fmt: skip
        if current.valid_from >= valid_from:
            raise ValidationError({"valid_from": [
                _("A version of this unit's rules already starts on %(day)s; start this one "
                  "later.") % {"day": current.valid_from.strftime("%d/%m/%Y")}]})  # fmt: skip
        current.valid_to = valid_from - datetime.timedelta(days=1)
        current.save(update_fields=["valid_to"])
        ended.append(current.pk)
    rulebook = Rulebook.objects.create(unit=unit, name=name, source=source,
                                       valid_from=valid_from, valid_to=valid_to,
                                       scorecard=scorecard, **figures)  # fmt: skip
    audit.record(actor=by, action="rulebook.issue", obj=rulebook, unit_path=unit.path,
                 changes={"valid_from": valid_from, "valid_to": valid_to, "ended": ended,
                          "scorecard": scorecard.pk if scorecard else None, **figures})  # fmt: skip
    return rulebook
