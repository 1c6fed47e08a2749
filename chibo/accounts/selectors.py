"""Reads of accounts, through the access policy: officers see accounts that hold a grant
inside their subtree (or are linked to a member there)."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from chibo.core.text import fold

from .access import MANAGE_ROLES, Scope
from .models import Grant, User


def managed_users(scope: Scope, q: str = "") -> QuerySet[User]:
    paths = scope.paths(MANAGE_ROLES)
    if not paths:
        return User.objects.none()
    inside = Q()
    for p in paths:
        inside |= Q(grants__unit__path__startswith=p, grants__revoked_at__isnull=True)
        inside |= Q(member__cell__path__startswith=p)
    users = User.objects.filter(inside).distinct()
    for word in fold(q).split():
        users = users.filter(Q(username__icontains=word) | Q(member__name_folded__contains=word))
    return (
        users.select_related("member", "member__cell")
        .prefetch_related(
            Prefetch(
                "grants",
                queryset=Grant.objects.current().order_by("unit__path"),
                to_attr="current_grants",
            )
        )
        .order_by("username")
    )


def get_managed_user(scope: Scope, pk: int) -> User:
    try:
        return managed_users(scope).get(pk=pk)
    except (User.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def get_managed_grant(scope: Scope, pk: int) -> Grant:
    paths = scope.paths(MANAGE_ROLES)
    try:
        grant = Grant.objects.select_related("user", "unit").get(pk=pk)
    except (Grant.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if not any(grant.unit.path.startswith(p) for p in paths):
        raise Http404
    return grant
