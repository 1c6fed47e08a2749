"""The rules in force for a unit on a date, their history, and a new version for an
organisation board's subtree. Thin: parse, call a selector or a service, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from chibo.accounts.access import scope_for
from chibo.org import selectors as org_selectors
from chibo.org.forms import run_form

from . import selectors, services
from .forms import RulebookForm, RulesDateForm


@login_required
@require_http_methods(["GET", "POST"])
def unit_rules(request, pk: int):
    scope = scope_for(request.user)
    unit = org_selectors.get_unit(scope, pk)
    dated = RulesDateForm(request.GET or None)
    today = timezone.localdate()
    day = (dated.cleaned_data["date"] if dated.is_valid() else None) or today
    in_force = selectors.rulebook_for(unit, day)
    can_issue = scope.can_manage_unit(unit)
    if request.method == "POST" and not can_issue:
        raise PermissionDenied
    form = None
    if can_issue:
        initial = {name: value for name, _label, value in selectors.figures_of(in_force)}
        initial |= {"name": f"{in_force.name} — {unit.name}", "source": in_force.source,
                    "valid_from": today, "scorecard": in_force.scorecard_id}  # fmt: skip
        form = RulebookForm(request.POST or None, initial=initial,
                            scorecards=selectors.usable_scorecards(unit))  # fmt: skip
        issued = run_form(request, form, lambda d: services.rulebook_issue(
            unit=unit, by=request.user, **d))  # fmt: skip
        if issued:
            messages.success(request, _("The new rules apply to %(unit)s from %(day)s.")
                             % {"unit": unit.name, "day": issued.valid_from.strftime("%d/%m/%Y")})  # fmt: skip
            return redirect("unit_rules", pk=unit.pk)
    return render(request, "rulebooks/rules.html", {
        "unit": unit, "day": day, "in_force": in_force, "figures": selectors.figures_of(in_force),
        "history": selectors.rules_history(unit), "form": form,
        "ancestors": [*org_selectors.visible_ancestors(scope, unit), unit],
    }, status=422 if request.method == "POST" else 200)  # fmt: skip
