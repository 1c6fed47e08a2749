"""The access policy: what a user may see and change. Every selector goes through here.

A grant (role, unit) covers the unit and its whole subtree. Objects outside a user's grants
must answer 404 — callers use `get_object_or_404` on querysets filtered by `Scope`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q

from .models import Grant, Role

# Roles that may read everything inside their grant's subtree (roster and member details).
READ_ROLES = {Role.CLERK, Role.SECRETARY, Role.ATTENDEE, Role.OFFICER, Role.ADMIN}
# Roles that may restructure the tree, import, transfer and register members.
MANAGE_ROLES = {Role.OFFICER, Role.ADMIN}
# Roles that may edit members' details and record exemptions and attachments in their cell.
EDIT_MEMBER_ROLES = {Role.SECRETARY, Role.OFFICER, Role.ADMIN}
# Roles that plan, announce and finalise a cell's meetings, and those that record the minutes.
PLAN_MEETING_ROLES = {Role.SECRETARY}
RECORD_MEETING_ROLES = {Role.SECRETARY, Role.CLERK}
# The upper-level attendee writes remarks into the minutes of the cells assigned.
REMARK_ROLES = {Role.ATTENDEE}
# The upper level reviews a meeting's score: its attendees and the organisation board.
REVIEW_SCORE_ROLES = {Role.ATTENDEE, Role.OFFICER, Role.ADMIN}


@dataclass(frozen=True)
class GrantView:
    role: str
    unit_id: int
    path: str


@dataclass
class Scope:
    user_id: int | None
    member_id: int | None
    is_superuser: bool
    grants: list[GrantView] = field(default_factory=list)
    _paths_memo: dict = field(default_factory=dict, repr=False, compare=False)

    # -- paths -------------------------------------------------------------------------------
    def paths(self, roles: set[str] | None = None) -> list[str]:
        """The grant paths for these roles, with paths covered by another one removed."""
        if self.is_superuser:
            return [""]
        key = frozenset(roles) if roles is not None else None
        if key not in self._paths_memo:
            chosen = sorted({g.path for g in self.grants if roles is None or g.role in roles})
            result: list[str] = []
            for path in chosen:
                if not any(path.startswith(p) for p in result):
                    result.append(path)
            self._paths_memo[key] = result
        return self._paths_memo[key]

    def covers(self, path: str, roles: set[str] | None = None) -> bool:
        return any(path.startswith(p) for p in self.paths(roles))

    @staticmethod
    def _prefix_q(field_name: str, paths: list[str]) -> Q:
        if not paths:
            return Q(pk__in=[])
        q = Q()
        for p in paths:
            q |= Q(**{f"{field_name}__startswith": p})
        return q

    # -- querysets ---------------------------------------------------------------------------
    def units_q(self, roles: set[str] | None = None) -> Q:
        """Units visible to the user (or, with `roles`, covered by grants of those roles)."""
        return self._prefix_q("path", self.paths(roles))

    def members_q(self) -> Q:
        """Members listed to this user: every member of the cells under any grant."""
        return self._prefix_q("cell__path", self.paths())

    # -- decisions on one object ---------------------------------------------------------------
    def can_view_member_detail(self, member) -> bool:
        if self.member_id is not None and member.pk == self.member_id:
            return True
        if self.covers(member.cell.path, READ_ROLES):
            return True
        if not self.paths(READ_ROLES):
            return False  # a plain member: no attachment can widen the view
        return any(self.covers(a.host_cell.path, READ_ROLES) for a in member.current_attachments)

    def can_edit_member(self, member) -> bool:
        return self.covers(member.cell.path, EDIT_MEMBER_ROLES)

    def can_add_member(self, cell) -> bool:
        return cell.holds_members and cell.is_active and self.covers(cell.path, EDIT_MEMBER_ROLES)

    def can_plan_meetings(self, unit) -> bool:
        return self.covers(unit.path, PLAN_MEETING_ROLES)

    def can_record_meeting(self, unit) -> bool:
        return self.covers(unit.path, RECORD_MEETING_ROLES)

    def can_remark(self, unit) -> bool:
        return self.covers(unit.path, REMARK_ROLES)

    def can_review_score(self, unit) -> bool:
        return self.covers(unit.path, REVIEW_SCORE_ROLES)

    def can_manage_unit(self, unit) -> bool:
        return self.covers(unit.path, MANAGE_ROLES)

    @property
    def follows_cells(self) -> bool:
        """The user attends cells' meetings for the committee above (the attendee role)."""
        return any(g.role in REMARK_ROLES for g in self.grants)

    @property
    def can_manage_anything(self) -> bool:
        return bool(self.paths(MANAGE_ROLES))

    def top_unit_ids(self) -> list[int]:
        """Units where the user's view of the tree starts (one per uncovered grant)."""
        tops = self.paths()
        return [g.unit_id for g in self.grants if g.path in tops]


def scope_for(user) -> Scope:
    """The user's scope, read once per request (cached on the user object)."""
    cached = getattr(user, "_chibo_scope", None)
    if cached is not None:
        return cached
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        scope = Scope(user_id=None, member_id=None, is_superuser=False)
    else:
        grants = [
            GrantView(role=g.role, unit_id=g.unit_id, path=g.unit.path)
            for g in Grant.objects.current().filter(user=user, unit__is_active=True)
        ]
        scope = Scope(
            user_id=user.pk,
            member_id=user.member_id,
            is_superuser=user.is_superuser,
            grants=grants,
        )
    user._chibo_scope = scope
    return scope
