"""Reads shared by the UI, the API and exports. The access policy is applied here."""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.functions import Substr
from django.http import Http404
from django.utils import timezone

from chibo.accounts.access import Scope
from chibo.core.text import fold

from .models import CELL_KINDS, Exemption, Member, MemberStatus, TemporaryAttachment, Unit


# --- units -----------------------------------------------------------------------------------
def visible_units(scope: Scope) -> QuerySet[Unit]:
    return Unit.objects.filter(scope.units_q())


def get_unit(scope: Scope, pk: int) -> Unit:
    try:
        return visible_units(scope).get(pk=pk)
    except (Unit.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def search_units(scope: Scope, text: str, *, cells_only: bool = False) -> QuerySet[Unit]:
    """Active visible units whose code starts with, or whose name contains, the text."""
    units = visible_units(scope).filter(is_active=True)
    if cells_only:
        units = units.filter(kind__in=CELL_KINDS)
    text = text.strip()
    if text:
        units = units.filter(Q(code__startswith=text.upper()) | Q(name_folded__contains=fold(text)))
    return units.order_by("depth", "name_folded")


def top_units(scope: Scope) -> QuerySet[Unit]:
    """Where the user's view of the tree starts."""
    if scope.is_superuser:
        return Unit.objects.get_root_nodes()
    return Unit.objects.filter(pk__in=scope.top_unit_ids()).order_by("path")


def visible_ancestors(scope: Scope, unit: Unit) -> list[Unit]:
    """Breadcrumbs: the ancestors the user may open (never above a grant)."""
    paths = [unit.path[:i] for i in range(Unit.steplen, len(unit.path), Unit.steplen)]
    visible = [p for p in paths if scope.covers(p)]
    return list(Unit.objects.filter(path__in=visible).order_by("depth")) if visible else []


@dataclass
class UnitCounts:
    cells: int = 0
    members: int = 0
    official: int = 0
    probationary: int = 0


def subtree_counts(units: list[Unit], *, members: bool = True) -> dict[int, UnitCounts]:
    """Counts of active cells and members under each unit (itself included), in two queries
    whatever the number of units, provided they are at the same depth (one without members)."""
    result = {u.pk: UnitCounts() for u in units}
    if not units:
        return result
    depth = units[0].depth
    assert all(u.depth == depth for u in units), "subtree_counts takes units of one depth"
    prefix_len = depth * Unit.steplen
    by_prefix = {u.path: u.pk for u in units}
    # Filter on the longest common path prefix (one indexed range), group on each unit's path.
    parent_prefix = os.path.commonprefix([u.path for u in units])
    parent_prefix = parent_prefix[: len(parent_prefix) // Unit.steplen * Unit.steplen]
    cell_rows = (
        Unit.objects.filter(path__startswith=parent_prefix, depth__gte=depth, is_active=True,
                            kind__in=CELL_KINDS)
        .annotate(prefix=Substr("path", 1, prefix_len))
        .values("prefix")
        .annotate(n=Count("id"))
        .order_by()
    )  # fmt: skip
    for row in cell_rows:
        if row["prefix"] in by_prefix:
            result[by_prefix[row["prefix"]]].cells = row["n"]
    if not members:
        return result
    member_rows = (
        Member.active.filter(cell__path__startswith=parent_prefix, cell__depth__gte=depth)
        .annotate(prefix=Substr("cell__path", 1, prefix_len))
        .values("prefix")
        .annotate(
            n=Count("id"),
            official=Count("id", filter=Q(status=MemberStatus.OFFICIAL)),
            probationary=Count("id", filter=Q(status=MemberStatus.PROBATIONARY)),
        )
        .order_by()
    )
    for row in member_rows:
        if row["prefix"] in by_prefix:
            counts = result[by_prefix[row["prefix"]]]
            counts.members, counts.official, counts.probationary = (
                row["n"],
                row["official"],
                row["probationary"],
            )
    return result


def children_with_counts(
    unit: Unit, *, include_dissolved: bool = False
) -> list[tuple[Unit, UnitCounts]]:
    children = Unit.objects.filter(path__startswith=unit.path, depth=unit.depth + 1)
    if not include_dissolved:
        children = children.filter(is_active=True)
    children = list(children.order_by("name_folded", "code"))
    counts = subtree_counts(children)
    return [(c, counts[c.pk]) for c in children]


def unit_counts(unit: Unit) -> UnitCounts:
    return subtree_counts([unit])[unit.pk]


# --- members ---------------------------------------------------------------------------------
def visible_members(scope: Scope, *, include_departed: bool = False) -> QuerySet[Member]:
    manager = Member.objects if include_departed else Member.active
    return manager.filter(scope.members_q())


def get_member(scope: Scope, pk: int) -> Member:
    """A member whose details the user may open; 404 otherwise."""
    try:
        member = (
            Member.objects.select_related("cell")
            .prefetch_related(
                Prefetch(
                    "attachments", queryset=TemporaryAttachment.objects.select_related("host_cell")
                ),
                "exemptions",
            )
            .get(pk=pk)
        )
    except (Member.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if not scope.can_view_member_detail(member):
        raise Http404
    return member


def search_members(
    scope: Scope,
    *,
    q: str = "",
    unit: Unit | None = None,
    status: str = "",
    include_departed: bool = False,
) -> QuerySet[Member]:
    """Members the user may list, filtered. Every word of `q` must occur in the name
    (diacritics ignored, đ folded to d) or be the card number."""
    members = visible_members(scope, include_departed=include_departed)
    if unit is not None:
        members = members.filter(cell__path__startswith=unit.path)
    if status in MemberStatus.values:
        members = members.filter(status=status)
    for word in fold(q).split():
        members = members.filter(Q(name_folded__contains=word) | Q(card_number=word))
    return members.select_related("cell").order_by("sort_key", "id")


@dataclass
class RosterLine:
    member: Member
    attached: bool  # temporarily attached here from another cell
    exemption: Exemption | None
    away: TemporaryAttachment | None  # temporarily attached elsewhere


def cell_roster(cell: Unit, *, day: datetime.date | None = None) -> list[RosterLine]:
    """The cell's members on a day, in Vietnamese order, with those attached from elsewhere."""
    day = day or timezone.localdate()
    history = (
        "exemptions",
        Prefetch("attachments", queryset=TemporaryAttachment.objects.select_related("host_cell")),
    )
    own = list(Member.active.filter(cell=cell).select_related("cell").prefetch_related(*history))
    guests = list(
        Member.active.filter(
            attachments__in=TemporaryAttachment.objects.covering(day).filter(host_cell=cell)
        )
        .select_related("cell")
        .prefetch_related(*history)
        .distinct()
    )
    lines = [
        RosterLine(m, attached=False, exemption=m.exemption_on(day), away=m.attachment_on(day))
        for m in own
    ] + [RosterLine(m, attached=True, exemption=m.exemption_on(day), away=None) for m in guests]
    lines.sort(key=lambda line: (line.attached, line.member.sort_key, line.member.pk))
    return lines
