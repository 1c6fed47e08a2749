"""Scorecards: those a unit may use, a card's criteria, a copy for an organisation board's
subtree and its editing (until a meeting is scored with it). Thin: parse, call the service."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from chibo.accounts.access import scope_for
from chibo.org import selectors as org_selectors
from chibo.org.forms import apply_service_errors

from . import scorecards, selectors
from .forms import CriterionFormSet, ScorecardForm
from .models import Scorecard


def visible_scorecard(scope, pk: int) -> Scorecard:
    """A shipped card, or one owned by a unit the user sees; 404 otherwise."""
    card = get_object_or_404(Scorecard.objects.select_related("unit"), pk=pk)
    if card.unit_id is not None and not scope.covers(card.unit.path):
        raise Http404
    return card


@login_required
@require_http_methods(["GET"])
def unit_scorecards(request, pk: int):
    scope = scope_for(request.user)
    unit = org_selectors.get_unit(scope, pk)
    cards = list(selectors.usable_scorecards(unit).select_related("unit").order_by("unit_id", "name"))
    return render(request, "rulebooks/scorecards.html", {
        "unit": unit, "cards": cards, "can_copy": scope.can_manage_unit(unit),
        "in_force": selectors.rulebook_for(unit, timezone.localdate()),
        "ancestors": [*org_selectors.visible_ancestors(scope, unit), unit],
    })  # fmt: skip


@login_required
@require_POST
def scorecard_copy(request, pk: int):
    scope = scope_for(request.user)
    unit = org_selectors.get_unit(scope, pk)
    if not scope.can_manage_unit(unit):
        raise PermissionDenied
    card = visible_scorecard(scope, request.POST.get("card") or 0)
    if not selectors.usable_scorecards(unit).filter(pk=card.pk).exists():
        raise Http404
    copy = scorecards.scorecard_copy(card=card, unit=unit, by=request.user)
    messages.success(request, _("A copy is ready: edit it, then choose it in a new version of "
                                "the rules."))  # fmt: skip
    return redirect("scorecard_detail", pk=copy.pk)


def _initial(card: Scorecard):
    return (
        {"name": card.name, "source": card.source, "grades": scorecards.format_grades(card.grades)},
        [{"group": c.group, "title": c.title, "points": c.points, "measure": c.measure,
          "bands": scorecards.format_bands(c.bands)} for c in card.criteria.all()],
    )  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def scorecard_detail(request, pk: int):
    scope = scope_for(request.user)
    card = visible_scorecard(scope, pk)
    editable = scorecards.can_edit(scope, card)
    if request.method == "POST" and not editable:
        raise PermissionDenied
    form = formset = None
    status = 200
    if editable:
        initial, rows = _initial(card)
        form = ScorecardForm(request.POST or None, initial=initial)
        formset = CriterionFormSet(request.POST or None, initial=rows, prefix="c")
        if request.method == "POST":
            status = 422
            if form.is_valid() and formset.is_valid():
                criteria = [f.cleaned_data for f in formset.forms
                            if f.cleaned_data and not f.cleaned_data.get("DELETE")]  # fmt: skip
                try:
                    scorecards.scorecard_save(card=card, by=request.user, criteria=criteria,
                                              **form.cleaned_data)  # fmt: skip
                except ValidationError as error:
                    apply_service_errors(form, error)
                else:
                    messages.success(request, _("The scorecard is saved."))
                    return redirect("scorecard_detail", pk=card.pk)
    unit = card.unit
    return render(request, "rulebooks/scorecard.html", {
        "card": card, "criteria": list(card.criteria.all()), "form": form, "formset": formset,
        "locked": scorecards.is_locked(card), "unit": unit,
        "total": sum(c.points for c in card.criteria.all()),
        "ancestors": [*org_selectors.visible_ancestors(scope, unit), unit] if unit else [],
    }, status=status)  # fmt: skip
