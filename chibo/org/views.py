"""Pages of the party tree and the member registry. Thin: parse, call, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from chibo.accounts.access import MANAGE_ROLES, READ_ROLES, scope_for
from chibo.core.http import is_htmx

from . import selectors, services
from .forms import (
    AttachmentForm,
    DepartureForm,
    DissolveUnitForm,
    MemberForm,
    MemberSearchForm,
    MergeUnitForm,
    MoveUnitForm,
    PeriodForm,
    TransferForm,
    UnitForm,
    run_form,
)
from .models import CELL_KINDS, Member, Unit

MEMBERS_PER_PAGE = 50


def _allow(condition: bool) -> None:
    if not condition:
        raise PermissionDenied


def _managed_units(scope):
    return Unit.objects.filter(scope.units_q(MANAGE_ROLES), is_active=True)


# --- tree ------------------------------------------------------------------------------------
@login_required
def home(request):
    scope = scope_for(request.user)
    tops = list(selectors.top_units(scope))
    if len(tops) == 1:
        return redirect("unit_detail", pk=tops[0].pk)
    return render(request, "org/home.html", {"tops": tops})


@login_required
def unit_detail(request, pk: int):
    scope = scope_for(request.user)
    unit = selectors.get_unit(scope, pk)
    context = {
        "unit": unit,
        "ancestors": selectors.visible_ancestors(scope, unit),
        "counts": selectors.unit_counts(unit),
        "can_manage": scope.can_manage_unit(unit),
        "can_see_risk": scope.covers(unit.path, READ_ROLES),
    }
    if unit.holds_members:
        roster = selectors.cell_roster(unit)
        context |= {
            "roster": roster,
            "can_add_member": scope.can_add_member(unit),
            "can_open": {
                line.member.pk for line in roster if scope.can_view_member_detail(line.member)
            },
        }
    else:
        show_dissolved = request.GET.get("dissolved") == "1"
        context |= {
            "children": selectors.children_with_counts(unit, include_dissolved=show_dissolved),
            "show_dissolved": show_dissolved,
        }
    return render(request, "org/unit_detail.html", context)


@login_required
def unit_create(request, pk: int):
    scope = scope_for(request.user)
    parent = selectors.get_unit(scope, pk)
    _allow(scope.can_manage_unit(parent) and not parent.holds_members and parent.is_active)
    form = UnitForm(request.POST or None)
    unit = run_form(
        request, form, lambda d: services.unit_create(parent=parent, by=request.user, **d)
    )
    if unit:
        messages.success(request, _("Unit %(name)s created.") % {"name": unit.name})
        return redirect("unit_detail", pk=unit.pk)
    return render(request, "org/unit_form.html", {"form": form, "parent": parent, "unit": None})


@login_required
def unit_edit(request, pk: int):
    scope = scope_for(request.user)
    unit = selectors.get_unit(scope, pk)
    _allow(scope.can_manage_unit(unit) and unit.is_active)
    initial = {"code": unit.code, "name": unit.name, "cell_type": unit.cell_type}
    form = UnitForm(request.POST or None, initial=initial, editing=True)
    done = run_form(request, form, lambda d: services.unit_update(unit=unit, by=request.user, **d))
    if done:
        messages.success(request, _("Changes saved."))
        return redirect("unit_detail", pk=unit.pk)
    return render(request, "org/unit_form.html", {"form": form, "unit": unit, "parent": None})


def _restructure_guard(request, pk: int):
    scope = scope_for(request.user)
    unit = selectors.get_unit(scope, pk)
    # Restructuring changes the parent, so the user must manage the parent too.
    parent_path = unit.path[: -Unit.steplen]
    _allow(unit.is_active and bool(parent_path) and scope.covers(parent_path, MANAGE_ROLES))
    return scope, unit


@login_required
def unit_move(request, pk: int):
    scope, unit = _restructure_guard(request, pk)
    form = MoveUnitForm(request.POST or None, units=_managed_units(scope))
    done = run_form(
        request,
        form,
        lambda d: services.unit_move(unit=unit, new_parent=d["new_parent"], by=request.user),
    )
    if done:
        messages.success(request, _("Unit moved."))
        return redirect("unit_detail", pk=unit.pk)
    return render(request, "org/unit_action.html", {"form": form, "unit": unit, "action": "move"})


@login_required
def unit_merge(request, pk: int):
    scope, unit = _restructure_guard(request, pk)
    form = MergeUnitForm(request.POST or None, units=_managed_units(scope))
    target = run_form(
        request, form,
        lambda d: services.unit_merge(source=unit, target=d["target"], effective_on=d["effective_on"], by=request.user),
    )  # fmt: skip
    if target:
        messages.success(
            request,
            _("%(source)s was merged into %(target)s.")
            % {"source": unit.name, "target": target.name},
        )
        return redirect("unit_detail", pk=target.pk)
    return render(request, "org/unit_action.html", {"form": form, "unit": unit, "action": "merge"})


@login_required
def unit_dissolve(request, pk: int):
    scope, unit = _restructure_guard(request, pk)
    form = DissolveUnitForm(request.POST or None)
    done = run_form(
        request, form, lambda d: services.unit_dissolve(unit=unit, by=request.user, **d)
    )
    if done:
        messages.success(request, _("Unit dissolved. Its history is kept."))
        return redirect("unit_detail", pk=Unit.objects.get_parent(unit).pk)
    return render(
        request, "org/unit_action.html", {"form": form, "unit": unit, "action": "dissolve"}
    )


@login_required
@require_GET
def unit_lookup(request):
    """Suggestions for a unit-code input: <option>s of visible units matching the text."""
    scope = scope_for(request.user)
    text = request.GET.get(request.GET.get("field", "q"), "")
    units = selectors.search_units(scope, text, cells_only=request.GET.get("cells") == "1")
    return render(request, "org/_unit_options.html", {"units": units[:20]})


# --- members ---------------------------------------------------------------------------------
@login_required
def member_list(request):
    scope = scope_for(request.user)
    form = MemberSearchForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    unit = selectors.get_unit(scope, data["unit"]) if data.get("unit") else None
    members = selectors.search_members(
        scope, q=data.get("q", ""), unit=unit, status=data.get("status", "")
    )
    page = Paginator(members, MEMBERS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    template = (
        "org/_member_results.html" if is_htmx(request) else "org/member_list.html"
    )
    return render(request, template, {
        "form": form, "page": page, "unit": unit, "query": query.urlencode(),
        "can_open": {m.pk for m in page if scope.can_view_member_detail(m)},
    })  # fmt: skip


@login_required
def member_detail(request, pk: int):
    scope = scope_for(request.user)
    member = selectors.get_member(scope, pk)
    return render(request, "org/member_detail.html", {
        "member": member,
        "events": member.events.select_related("from_cell", "to_cell", "created_by")[:100],
        "can_edit": scope.can_edit_member(member) and member.is_active,
        "can_manage": scope.can_manage_unit(member.cell) and member.is_active,
        "has_account": hasattr(member, "user"),
    })  # fmt: skip


@login_required
def member_create(request, cell_pk: int):
    scope = scope_for(request.user)
    cell = selectors.get_unit(scope, cell_pk)
    _allow(scope.can_add_member(cell))
    form = MemberForm(request.POST or None, cell=cell)
    member = run_form(
        request, form, lambda d: services.member_create(by=request.user, cell=cell, **d)
    )
    if member:
        messages.success(request, _("%(name)s was added to the cell.") % {"name": member.full_name})
        return redirect("member_detail", pk=member.pk)
    return render(request, "org/member_form.html", {"form": form, "cell": cell, "member": None})


def _editable_member(request, pk: int, *, manage: bool = False) -> Member:
    scope = scope_for(request.user)
    member = selectors.get_member(scope, pk)
    allowed = scope.can_manage_unit(member.cell) if manage else scope.can_edit_member(member)
    _allow(allowed and member.is_active)
    return member


@login_required
def member_edit(request, pk: int):
    member = _editable_member(request, pk)
    form = MemberForm(
        request.POST or None, instance=Member.objects.get(pk=member.pk), cell=member.cell
    )
    done = run_form(
        request, form, lambda d: services.member_update(member=member, by=request.user, **d)
    )
    if done:
        messages.success(request, _("Changes saved."))
        return redirect("member_detail", pk=member.pk)
    return render(
        request, "org/member_form.html", {"form": form, "cell": member.cell, "member": member}
    )


def _member_action(request, member, form, action, kind):
    done = run_form(request, form, action)
    if done:
        messages.success(request, _("Recorded."))
        return redirect("member_detail", pk=member.pk)
    return render(request, "org/member_action.html", {"form": form, "member": member, "kind": kind})


@login_required
def member_exemption(request, pk: int):
    member = _editable_member(request, pk)
    form = PeriodForm(request.POST or None)
    return _member_action(request, member, form,
                          lambda d: services.member_exempt(member=member, by=request.user, **d), "exemption")  # fmt: skip


@login_required
def member_attachment(request, pk: int):
    member = _editable_member(request, pk)
    scope = scope_for(request.user)
    cells = selectors.visible_units(scope).filter(is_active=True, kind__in=CELL_KINDS)
    form = AttachmentForm(request.POST or None, units=cells)
    return _member_action(request, member, form,
                          lambda d: services.member_attach(member=member, by=request.user, **d), "attachment")  # fmt: skip


@login_required
def member_transfer(request, pk: int):
    member = _editable_member(request, pk, manage=True)
    scope = scope_for(request.user)
    form = TransferForm(
        request.POST or None, units=_managed_units(scope).filter(kind__in=CELL_KINDS)
    )
    return _member_action(request, member, form,
                          lambda d: services.member_transfer(member=member, by=request.user, **d), "transfer")  # fmt: skip


@login_required
def member_departure(request, pk: int):
    member = _editable_member(request, pk, manage=True)
    form = DepartureForm(request.POST or None)
    return _member_action(request, member, form,
                          lambda d: services.member_depart(member=member, by=request.user, **d), "departure")  # fmt: skip
