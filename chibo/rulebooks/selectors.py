from __future__ import annotations

import datetime

from django.db.models import Q

from chibo.org.models import Unit

from .models import Rulebook


def rulebook_for(unit: Unit, day: datetime.date) -> Rulebook:
    """The rulebook in force for `unit` on `day`: the one attached deepest above the unit,
    then the newest. Falls back to an unsaved rulebook with the HD 42 figures."""
    ancestors = [unit.path[:i] for i in range(Unit.steplen, len(unit.path) + 1, Unit.steplen)]
    candidates = (
        Rulebook.objects.filter(
            Q(unit__isnull=True) | Q(unit__path__in=ancestors),
            valid_from__lte=day,
        )
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
        .select_related("unit")
    )
    best = max(
        candidates,
        key=lambda r: (len(r.unit.path) if r.unit else 0, r.valid_from, r.pk),
        default=None,
    )
    return best or Rulebook(name="HD 42 (2025)", source="42-HD/BTCTW", valid_from=day)
