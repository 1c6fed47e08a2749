"""Scorecards an organisation board makes for its subtree: copied from a shipped card (or one
of its own) and edited — criteria, points, how each is measured, points by measured value,
grade thresholds — without code. A card that has scored a meeting is locked: to change it,
copy it again and issue a rulebook version with the copy, so every score keeps its card.

Points by value and grades are edited as short texts:
  bands:  "90..=4; 75..90=3; 65..75=2; ..65=1"  (from..to, from inclusive, to exclusive)
          ">50=5"                                 (strictly above)
  grades: "Tốt=90; Khá=70; Trung bình=50; Kém=0" (the best first; the last starts at 0)
"""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from chibo.accounts.access import scope_for
from chibo.core import audit
from chibo.core.text import normalize
from chibo.org.models import Unit

from .models import Criterion, Measure, Scorecard

MAX_CRITERIA = 60
_NUMBER = r"-?\d+(?:[.,]\d+)?"
_BAND = re.compile(rf"^(?:(?P<above>>\s*{_NUMBER})|(?P<low>{_NUMBER})?\s*\.\.\s*(?P<high>{_NUMBER})?)"
                   rf"\s*=\s*(?P<points>{_NUMBER})$")  # fmt: skip


def _num(text: str) -> float:
    value = float(text.replace(",", ".").lstrip(">").strip())
    return int(value) if value == int(value) else value


def parse_bands(text: str) -> list[dict]:
    bands = []
    for item in filter(None, (part.strip() for part in (text or "").split(";"))):
        match = _BAND.match(item)
        if not match:
            raise ValueError(_("“%(item)s” is not a band: write from..to=points (for example "
                               "90..=4 or 75..90=3) or >value=points.") % {"item": item})  # fmt: skip
        band: dict = {"points": _num(match["points"])}
        if match["above"]:
            band["above"] = _num(match["above"])
        if match["low"]:
            band["from"] = _num(match["low"])
        if match["high"]:
            band["to"] = _num(match["high"])
        bands.append(band)
    return bands


def format_bands(bands: list[dict]) -> str:
    def text(band):
        if "above" in band:
            return f">{band['above']}={band['points']}"
        return f"{band.get('from', '')}..{band.get('to', '')}={band['points']}"

    return "; ".join(text(b) for b in bands)


def _finite(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _item(value) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def check_bands(bands: list) -> list[dict]:
    """Bands given as data (the API) rather than text: each {points, from?, to?, above?} with
    finite numbers."""
    for band in bands:
        if not (isinstance(band, dict) and "points" in band
                and set(band) <= {"points", "from", "to", "above"}
                and all(_finite(value) for value in band.values())):  # fmt: skip
            raise ValueError(_("“%(item)s” is not a band: write from..to=points (for example "
                               "90..=4 or 75..90=3) or >value=points.") % {"item": _item(band)})  # fmt: skip
    return bands


def check_grades(grades: list) -> list[dict]:
    """Grades given as data (the API) rather than text: each {name, min}."""
    checked = []
    for grade in grades:
        name = grade.get("name") if isinstance(grade, dict) else None
        if not (isinstance(name, str) and normalize(name) and _finite(grade.get("min"))
                and set(grade) <= {"name", "min"}):  # fmt: skip
            raise ValueError(_("“%(item)s” is not a grade: write name=lowest total (for example "
                               "Khá=70).") % {"item": _item(grade)})  # fmt: skip
        checked.append({"name": normalize(name), "min": grade["min"]})
    return checked


def parse_grades(text: str) -> list[dict]:
    grades = []
    for item in filter(None, (part.strip() for part in (text or "").split(";"))):
        name, _sep, minimum = item.rpartition("=")
        try:
            value = _num(minimum)
        except (ValueError, OverflowError):  # not a number, or "inf"
            value = None
        if not normalize(name) or value is None:
            raise ValueError(_("“%(item)s” is not a grade: write name=lowest total (for example "
                               "Khá=70).") % {"item": item})  # fmt: skip
        grades.append({"name": normalize(name), "min": value})
    return grades


def format_grades(grades: list[dict]) -> str:
    return "; ".join(f"{g['name']}={g['min']}" for g in grades)


def is_locked(card: Scorecard) -> bool:
    from chibo.quality.models import MeetingScore

    return card.unit_id is None or MeetingScore.objects.filter(scorecard=card).exists()


def can_edit(scope, card: Scorecard) -> bool:
    return card.unit_id is not None and scope.can_manage_unit(card.unit) and not is_locked(card)


@transaction.atomic
def scorecard_copy(*, card: Scorecard, unit: Unit, by) -> Scorecard:
    """A copy of `card` owned by `unit`, to edit before a rulebook version uses it."""
    if not scope_for(by).can_manage_unit(unit):
        raise PermissionDenied
    copy = Scorecard.objects.create(name=f"{card.name} — {unit.name}"[:200], source=card.source,
                                    unit=unit, copied_from=card, grades=card.grades,
                                    created_by=by)  # fmt: skip
    Criterion.objects.bulk_create([
        Criterion(scorecard=copy, position=c.position, group=c.group, title=c.title,
                  points=c.points, measure=c.measure, bands=c.bands)
        for c in card.criteria.all()
    ])  # fmt: skip
    audit.record(actor=by, action="scorecard.copy", obj=copy, unit_path=unit.path,
                 changes={"from": card.pk})  # fmt: skip
    return copy


def _criterion(i: int, row: dict, errors: dict) -> Criterion | None:
    prefix = f"criteria.{i}"
    group, title = normalize(row.get("group")), normalize(row.get("title"))
    measure = row.get("measure") or ""
    if not title:
        errors[f"{prefix}.title"] = [_("Criterion %(n)s: write what is scored.") % {"n": i + 1}]
    if not group:
        errors[f"{prefix}.group"] = [_("Criterion %(n)s: name its group.") % {"n": i + 1}]
    if measure not in Measure.values:
        errors[f"{prefix}.measure"] = [_("Criterion %(n)s: choose how it is measured.") % {"n": i + 1}]
    try:
        points = Decimal(str(row.get("points"))).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        points = None
    if points is not None and not points.is_finite():  # NaN in JSON
        points = None
    if points is None or not Decimal("0") < points <= 100:
        errors[f"{prefix}.points"] = [_("Criterion %(n)s: give from 0.5 to 100 points.") % {"n": i + 1}]
    bands = row.get("bands")
    if isinstance(bands, str | list):
        try:
            bands = parse_bands(bands) if isinstance(bands, str) else check_bands(bands)
        except ValueError as error:
            errors[f"{prefix}.bands"] = [_("Criterion %(n)s: %(error)s") % {"n": i + 1, "error": error}]
            bands = []
    bands = bands or []
    if measure and measure != Measure.JUDGED:
        if not bands:
            errors.setdefault(f"{prefix}.bands", [
                _("Criterion %(n)s: say how many points each measured value earns.") % {"n": i + 1}])  # fmt: skip
        elif points is not None and any(Decimal(str(b["points"])) > points or b["points"] < 0
                                        for b in bands):  # fmt: skip
            errors[f"{prefix}.bands"] = [_("Criterion %(n)s: a band cannot give more than the "
                                           "criterion's %(points)s points.") % {"n": i + 1, "points": points}]  # fmt: skip
    elif measure == Measure.JUDGED:
        bands = []
    if any(key.startswith(prefix + ".") for key in errors):
        return None
    return Criterion(position=i + 1, group=group[:120], title=title[:300], points=points,
                     measure=measure, bands=bands)  # fmt: skip


@transaction.atomic
def scorecard_save(*, card: Scorecard, by, name: str, source: str, grades, criteria: list[dict]
                   ) -> Scorecard:  # fmt: skip
    """Replace the card's name, grades and criteria (all or nothing)."""
    card = Scorecard.objects.select_for_update(of=("self",)).select_related("unit").get(pk=card.pk)
    if card.unit_id is None or not scope_for(by).can_manage_unit(card.unit):
        raise PermissionDenied
    if is_locked(card):
        raise ValidationError(_("This scorecard has already scored meetings, so it cannot change "
                                "any more: copy it and edit the copy."))  # fmt: skip
    errors: dict[str, list[str]] = {}
    name, source = normalize(name), normalize(source)
    if not name:
        errors["name"] = [_("Give the scorecard a name.")]
    if not source:
        errors["source"] = [_("Name the document these rules come from.")]
    if isinstance(grades, str | list):
        try:
            grades = parse_grades(grades) if isinstance(grades, str) else check_grades(grades)
        except ValueError as error:
            errors["grades"] = [str(error)]
            grades = []
    rows = [r for r in criteria if any(str(v or "").strip() for k, v in r.items() if k != "measure")]
    if not rows:
        errors["criteria"] = [_("A scorecard needs at least one criterion.")]
    if len(rows) > MAX_CRITERIA:
        errors["criteria"] = [_("At most %(n)s criteria.") % {"n": MAX_CRITERIA}]
    made = [_criterion(i, row, errors) for i, row in enumerate(rows[:MAX_CRITERIA])]
    total = sum((c.points for c in made if c is not None), Decimal("0"))
    if "grades" not in errors:
        minimums = [g["min"] for g in grades]
        if len(grades) < 2 or minimums != sorted(minimums, reverse=True) or len(set(minimums)) != len(minimums):
            errors["grades"] = [_("List at least two grades, the best first, each with a lower "
                                  "total than the one before.")]  # fmt: skip
        elif minimums[-1] != 0:
            errors["grades"] = [_("The last grade starts at 0, so every total has a grade.")]
        elif not errors.get("criteria") and minimums[0] > total:
            errors["grades"] = [_("The best grade needs %(min)s but the criteria give at most "
                                  "%(total)s.") % {"min": minimums[0], "total": total}]  # fmt: skip
    if errors:
        raise ValidationError(errors)
    old = {"name": card.name, "grades": card.grades, "criteria": card.criteria.count()}
    card.name, card.source, card.grades = name[:200], source[:255], grades
    card.save(update_fields=["name", "source", "grades"])
    card.criteria.all().delete()
    for criterion in made:
        criterion.scorecard = card
    Criterion.objects.bulk_create(made)
    audit.record(actor=by, action="scorecard.save", obj=card, unit_path=card.unit.path,
                 changes={"old": old, "name": name, "grades": grades, "criteria": len(made),
                          "points": str(total)})  # fmt: skip
    return card
