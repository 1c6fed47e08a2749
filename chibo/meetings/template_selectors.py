"""Reads of minutes templates and Word templates, shared by the pages, the API and the export.
The only place that filters them by access.

Who sees a template (issue 3: "an officer can copy and edit a template for their subtree"): a
user who manages units (officer, admin) sees the templates shipped with chibo and those attached
to units inside their managed subtrees or above them; they change only those attached to units
they manage (the others are read-only: 403). Everyone else sees none (404), and a template
attached outside those units answers 404 too. Word templates follow the same rule.
"""

from __future__ import annotations

from django.db.models import Count, F, Q, QuerySet
from django.http import Http404

from chibo.accounts.access import MANAGE_ROLES, Scope
from chibo.org.models import CellType, Unit

from .models import MinutesTemplate, TemplateSection, WordTemplate


def _ancestor_paths(paths: list[str]) -> set[str]:
    """The paths strictly above each of `paths`."""
    return {p[:i] for p in paths for i in range(Unit.steplen, len(p), Unit.steplen)}


def _visible_units_q(scope: Scope, field: str) -> Q:
    """`field` (a unit FK) inside the user's managed subtrees or above them; nothing when the
    user manages nothing."""
    paths = scope.paths(MANAGE_ROLES)
    if not paths:
        return Q(pk__in=[])
    above = _ancestor_paths([p for p in paths if p])
    q = Scope._prefix_q(f"{field}__path", paths)
    if above:
        q |= Q(**{f"{field}__path__in": sorted(above)})
    return q


def cell_type_label(value: str) -> str:
    """The cell type a template is for, as shown ("" = every cell type)."""
    if not value:
        return ""
    return str(CellType(value).label) if value in CellType.values else value


def can_see_templates(scope: Scope) -> bool:
    return scope.can_manage_anything


def can_edit_template(scope: Scope, template: MinutesTemplate) -> bool:
    """Templates attached to a unit the user manages; the shipped ones are read-only."""
    return template.unit_id is not None and scope.can_manage_unit(template.unit)


# --- minutes templates ------------------------------------------------------------------------
def visible_templates(scope: Scope) -> QuerySet[MinutesTemplate]:
    if not can_see_templates(scope):
        return MinutesTemplate.objects.none()
    return MinutesTemplate.objects.filter(
        Q(unit__isnull=True) | _visible_units_q(scope, "unit")
    ).select_related("unit", "copied_from")


def template_list(scope: Scope, *, kind: str | None = None) -> QuerySet[MinutesTemplate]:
    """The visible templates with their number of sections, shipped ones first within a kind,
    then by the depth of their unit. A fixed number of queries."""
    templates = visible_templates(scope).annotate(section_count=Count("sections"))
    if kind:
        templates = templates.filter(kind=kind)
    # Shipped templates (no unit) first on both databases (PostgreSQL puts NULLs last).
    depth = F("unit__depth").asc(nulls_first=True)
    return templates.order_by("kind", depth, "cell_type", "name", "id")


def get_template(scope: Scope, pk: int) -> MinutesTemplate:
    template = visible_templates(scope).filter(pk=pk).first()
    if template is None:
        raise Http404
    return template


def template_sections(template: MinutesTemplate) -> list[TemplateSection]:
    return list(template.sections.order_by("position"))


def get_section(template: MinutesTemplate, pk: int) -> TemplateSection:
    section = template.sections.filter(pk=pk).first()
    if section is None:
        raise Http404
    section.template = template
    return section


def managed_units(scope: Scope) -> QuerySet[Unit]:
    """Active units the user may attach a template to (those they manage)."""
    if not scope.can_manage_anything:
        return Unit.objects.none()
    return Unit.objects.filter(scope.units_q(MANAGE_ROLES), is_active=True)


def top_managed_units(scope: Scope) -> list[Unit]:
    """Where the user's managed subtrees start (their committees), for defaults and links."""
    paths = scope.paths(MANAGE_ROLES)
    if not paths or paths == [""]:
        return list(Unit.objects.filter(depth=1, is_active=True).order_by("path"))
    return list(Unit.objects.filter(path__in=paths, is_active=True).order_by("path"))


# --- Word templates ----------------------------------------------------------------------------
def visible_word_templates(scope: Scope) -> QuerySet[WordTemplate]:
    if not can_see_templates(scope):
        return WordTemplate.objects.none()
    return WordTemplate.objects.filter(_visible_units_q(scope, "unit")).select_related(
        "unit", "uploaded_by__member"
    )


def get_word_template(scope: Scope, pk: int) -> WordTemplate:
    found = visible_word_templates(scope).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def unit_word_templates(unit: Unit) -> list[WordTemplate]:
    """Every Word template uploaded for this unit, newest first (the inactive ones too)."""
    return list(
        WordTemplate.objects.filter(unit=unit)
        .select_related("unit", "uploaded_by__member")
        .order_by("document", "-uploaded_at", "-id")
    )


def word_template_for(unit: Unit, document: str) -> WordTemplate | None:
    """The Word template used for this unit's documents: the active one uploaded for the
    deepest unit at or above it; None means the one shipped with chibo. One query."""
    paths = [unit.path[:i] for i in range(Unit.steplen, len(unit.path) + 1, Unit.steplen)]
    return (
        WordTemplate.objects.filter(unit__path__in=paths, document=document, is_active=True)
        .select_related("unit")
        .order_by("-unit__depth", "-uploaded_at", "-id")
        .first()
    )
