from __future__ import annotations

import datetime
from collections.abc import Callable

from django.db.models import Q

from chibo.org.models import Unit

from .models import Rulebook, Scorecard


def _ancestor_paths(unit: Unit) -> list[str]:
    return [unit.path[:i] for i in range(Unit.steplen, len(unit.path) + 1, Unit.steplen)]


def usable_scorecards(unit: Unit):
    """Scorecards a rulebook for `unit`'s subtree may use: shipped ones and those made for the
    unit or a unit above it."""
    return Scorecard.objects.filter(Q(unit__isnull=True) | Q(unit__path__in=_ancestor_paths(unit)))


def rulebook_for(unit: Unit, day: datetime.date) -> Rulebook:
    """The rulebook in force for `unit` on `day`: the one attached deepest above the unit,
    then the newest. Falls back to an unsaved rulebook with the HD 42 figures."""
    ancestors = _ancestor_paths(unit)
    candidates = (
        Rulebook.objects.filter(
            Q(unit__isnull=True) | Q(unit__path__in=ancestors),
            valid_from__lte=day,
        )
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
        .select_related("unit", "scorecard")
    )
    return _best(candidates, day)


def _best(candidates, day: datetime.date) -> Rulebook:
    best = max(
        candidates,
        key=lambda r: (len(r.unit.path) if r.unit else 0, r.valid_from, r.pk),
        default=None,
    )
    return best or Rulebook(name="HD 42 (2025)", source="42-HD/BTCTW", valid_from=day)


def rulebook_resolver() -> Callable[[str, datetime.date], Rulebook]:
    """`rulebook_for` for many units and days with one query: resolve(unit_path, day). Units
    under the same rulebook-carrying units share their answers, so a province's thousands of
    cells cost a handful of lookups per day."""
    rulebooks = list(Rulebook.objects.select_related("unit", "scorecard"))
    paths = sorted({r.unit.path for r in rulebooks if r.unit_id})
    memo: dict[tuple[tuple[str, ...], datetime.date], Rulebook] = {}

    def resolve(path: str, day: datetime.date) -> Rulebook:
        above = tuple(p for p in paths if path.startswith(p))
        key = (above, day)
        if key not in memo:
            memo[key] = _best([
                r for r in rulebooks
                if (r.unit is None or r.unit.path in above) and r.valid_from <= day
                and (r.valid_to is None or r.valid_to >= day)
            ], day)  # fmt: skip
        return memo[key]

    return resolve


# The meeting rules an organisation board sets in a rulebook, in the order they are shown.
FIGURES = (
    "regular_deadline_day",
    "thematic_per_quarter",
    "min_minutes_regular",
    "min_minutes_combined",
    "document_lead_days",
    "attendance_threshold",
    "finalise_within_days",
    "proposal_answer_days",
)


def rules_history(unit: Unit) -> list[Rulebook]:
    """Every rulebook that applies or applied to the unit: shipped ones and those attached to
    the unit or a unit above, newest first."""
    ancestors = _ancestor_paths(unit)
    return list(
        Rulebook.objects.filter(Q(unit__isnull=True) | Q(unit__path__in=ancestors))
        .select_related("unit")
        .order_by("-valid_from", "-id")
    )


def figures_of(rulebook: Rulebook) -> list[tuple[str, str, int]]:
    """(field, label, value) for each meeting rule of the rulebook."""
    return [
        (name, str(Rulebook._meta.get_field(name).verbose_name), getattr(rulebook, name))
        for name in FIGURES
    ]
