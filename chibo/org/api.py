"""API routes for the party tree and the member registry. Thin: selectors read (and apply
the access policy), services write, `Scope` decides; this module only translates."""

from __future__ import annotations

import datetime
import enum
from itertools import groupby
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict, field_validator

from chibo.accounts.access import Scope, scope_for

from . import selectors, services
from .models import (
    FeeCategory,
    Gender,
    Member,
    MemberStatus,
    Position,
    Unit,
    UnitKind,
)

router = Router()


# --- schemas ---------------------------------------------------------------------------------
class ErrorOut(Schema):
    detail: str = Field(description="Message for the user, in the request's language.")


class ValidationErrorOut(ErrorOut):
    errors: dict[str, list[str]] = Field(
        description="Messages per field (lỗi theo từng trường); `__all__` for the whole object."
    )


class CountsOut(Schema):
    cells: int = Field(description="Active cells in the subtree (số chi bộ).")
    members: int = Field(description="Members on the rolls in the subtree (số đảng viên).")
    official: int = Field(description="Official members (đảng viên chính thức).")
    probationary: int = Field(description="Probationary members (đảng viên dự bị).")


class UnitOut(Schema):
    id: int
    code: str = Field(description="Stable unique code of the unit (mã tổ chức đảng).")
    name: str = Field(description="Name (tên), e.g. “Chi bộ thôn Ấp Đông”.")
    kind: str = Field(description="Kind of unit (loại tổ chức): " + ", ".join(UnitKind.values))
    kind_label: str = Field(description="Kind, as a label in the request's language.")
    cell_type: str = Field(description="Type of cell (loại hình chi bộ); empty for committees.")
    cell_type_label: str = Field(description="Type of cell, as a label.")
    holds_members: bool = Field(description="True for cells (chi bộ), which hold members.")
    is_active: bool = Field(description="False once dissolved or merged (đã giải thể/hợp nhất).")
    dissolved_on: datetime.date | None = Field(description="Date of dissolution or merger.")
    parent_id: int | None = Field(
        description="The unit directly above (cấp trên trực tiếp), if you may see it."
    )
    counts: CountsOut = Field(description="Counts for the whole subtree (unit included).")


class CellRef(Schema):
    id: int
    code: str
    name: str


class MemberOut(Schema):
    """One line of a member list (danh sách đảng viên)."""

    id: int
    full_name: str = Field(description="Full name (họ và tên).")
    family_name: str = Field(description="Family name (họ).")
    middle_name: str = Field(description="Middle name(s) (tên đệm); may be empty.")
    given_name: str = Field(description="Given name (tên).")
    gender: str = Field(description="male / female (giới tính).")
    gender_label: str
    card_number: str | None = Field(description="Party card number (số thẻ đảng viên).")
    admission_date: datetime.date = Field(description="Admission date (ngày vào Đảng).")
    official_date: datetime.date | None = Field(
        description="Date of becoming an official member (ngày chính thức)."
    )
    status: str = Field(description="official / probationary (chính thức / dự bị).")
    status_label: str
    position: str = Field(description="Position in the cell (chức vụ trong chi bộ).")
    position_label: str
    cell: CellRef = Field(description="The member's cell (chi bộ sinh hoạt).")
    departed_on: datetime.date | None = Field(
        description="Date of leaving the rolls, if they left (ngày ra khỏi danh sách)."
    )
    departure_kind: str = Field(description="How they left; empty while on the rolls.")


class ExemptionOut(Schema):
    id: int
    start: datetime.date = Field(description="From (từ ngày).")
    end: datetime.date | None = Field(description="Until (đến ngày); open-ended when null.")
    reason: str = Field(description="Reason (lý do).")
    decision_ref: str = Field(description="Decision reference (số quyết định).")
    is_current: bool


class AttachmentOut(Schema):
    id: int
    host_cell: CellRef = Field(description="Cell of temporary attachment (nơi sinh hoạt tạm thời).")
    start: datetime.date
    end: datetime.date | None
    reason: str
    decision_ref: str
    is_current: bool


class MemberDetailOut(MemberOut):
    """A member's record (hồ sơ đảng viên)."""

    birth_date: datetime.date = Field(description="Birth date (ngày sinh).")
    community_roles: str = Field(description="Community roles, e.g. village head (kiêm nhiệm).")
    fee_category: str = Field(description="Party fee category (đối tượng đóng đảng phí).")
    fee_category_label: str
    phone: str
    email: str
    address: str
    departure_note: str
    exemptions: list[ExemptionOut] = Field(description="Exemptions from meetings (miễn sinh hoạt).")
    attachments: list[AttachmentOut] = Field(
        description="Temporary attachments to other cells (sinh hoạt tạm thời)."
    )
    can_edit: bool = Field(description="Whether you may change this record.")
    created_at: datetime.datetime
    updated_at: datetime.datetime


class MemberPage(Schema):
    count: int = Field(description="Number of members matching, over all pages.")
    limit: int
    offset: int
    items: list[MemberOut]


SortKey = Literal[
    "name", "-name", "card_number", "-card_number", "admission_date", "-admission_date"
]
_ORDERINGS = {
    # Vietnamese order: given name, middle names, family name (the stored sort key).
    "name": (F("sort_key").asc(), F("id").asc()),
    "-name": (F("sort_key").desc(), F("id").desc()),
    # Members without a card number come last on both databases.
    "card_number": (F("card_number").asc(nulls_last=True), F("sort_key").asc(), F("id").asc()),
    "-card_number": (F("card_number").desc(nulls_last=True), F("sort_key").asc(), F("id").asc()),
    "admission_date": (F("admission_date").asc(), F("sort_key").asc(), F("id").asc()),
    "-admission_date": (F("admission_date").desc(), F("sort_key").asc(), F("id").asc()),
}


class MemberQuery(Schema):
    q: str = Field(
        "",
        max_length=200,
        description="Words of the name or the card number; diacritics are ignored and đ "
        "matches d (“dang thi hoa” finds “Đặng Thị Hoa”).",
    )
    unit: int | None = Field(None, description="Only members under this unit (id).")
    status: MemberStatus | None = Field(None, description="official or probationary.")
    include_departed: bool = Field(False, description="Include members who left the rolls.")
    sort: SortKey = Field(
        "name",
        description="name (Vietnamese order: given, middle, family name), card_number, "
        "admission_date; prefix with - for descending.",
    )
    limit: int = Field(50, ge=1, le=500, description="Page size, at most 500.")
    offset: int = Field(0, ge=0, description="Number of members to skip.")


def _check_email(value: str | None) -> str | None:
    if value:
        try:
            validate_email(value)
        except DjangoValidationError:
            raise ValueError(_("Enter a valid e-mail address.")) from None
    return value


class MemberIn(Schema):
    """A new member. Rules (dates, card number, cell) are checked by the service."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    family_name: str = Field(max_length=64, description="Family name (họ).")
    middle_name: str = Field("", max_length=64, description="Middle name(s) (tên đệm).")
    given_name: str = Field(max_length=64, description="Given name (tên).")
    gender: Gender = Field(description="Gender (giới tính).")
    birth_date: datetime.date = Field(description="Birth date (ngày sinh), YYYY-MM-DD.")
    card_number: str | None = Field(
        None, max_length=20, description="Party card number (số thẻ đảng viên), e.g. 01.234567."
    )
    admission_date: datetime.date = Field(description="Admission date (ngày vào Đảng).")
    official_date: datetime.date | None = Field(
        None, description="Official date (ngày chính thức); required for official members."
    )
    status: MemberStatus = Field(description="official / probationary (chính thức / dự bị).")
    cell: int = Field(description="Id of the member's cell (chi bộ).")
    position: Position = Field(Position.MEMBER, description="Position in the cell (chức vụ).")
    community_roles: str = Field("", max_length=255, description="Community roles (kiêm nhiệm).")
    fee_category: FeeCategory = Field(
        FeeCategory.SALARIED, description="Party fee category (đối tượng đóng đảng phí)."
    )
    phone: str = Field("", max_length=20, description="Phone (điện thoại).")
    email: str = Field("", max_length=254, description="E-mail.")
    address: str = Field("", max_length=255, description="Address (địa chỉ).")

    _email = field_validator("email")(_check_email)


class MemberPatch(Schema):
    """Fields to change; those left out stay as they are. The cell is changed by a
    transfer, not here. Fields that cannot be empty do not accept null."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    family_name: str = Field(None, max_length=64)
    middle_name: str = Field(None, max_length=64)
    given_name: str = Field(None, max_length=64)
    gender: Gender = Field(None)
    birth_date: datetime.date = Field(None)
    card_number: str | None = Field(None, max_length=20)
    admission_date: datetime.date = Field(None)
    official_date: datetime.date | None = Field(None)
    status: MemberStatus = Field(None)
    position: Position = Field(None)
    community_roles: str = Field(None, max_length=255)
    fee_category: FeeCategory = Field(None)
    phone: str = Field(None, max_length=20)
    email: str = Field(None, max_length=254)
    address: str = Field(None, max_length=255)

    _email = field_validator("email")(_check_email)


# --- output builders -------------------------------------------------------------------------
def _counts_out(counts: selectors.UnitCounts) -> dict[str, int]:
    return {
        "cells": counts.cells,
        "members": counts.members,
        "official": counts.official,
        "probationary": counts.probationary,
    }


def _unit_out(unit: Unit, counts: selectors.UnitCounts, parent_id: int | None) -> dict[str, Any]:
    return {
        "id": unit.pk,
        "code": unit.code,
        "name": unit.name,
        "kind": unit.kind,
        "kind_label": str(unit.get_kind_display()),
        "cell_type": unit.cell_type,
        "cell_type_label": str(unit.get_cell_type_display()) if unit.cell_type else "",
        "holds_members": unit.holds_members,
        "is_active": unit.is_active,
        "dissolved_on": unit.dissolved_on,
        "parent_id": parent_id,
        "counts": _counts_out(counts),
    }


def _cell_ref(unit: Unit) -> dict[str, Any]:
    return {"id": unit.pk, "code": unit.code, "name": unit.name}


def _member_out(member: Member) -> dict[str, Any]:
    return {
        "id": member.pk,
        "full_name": member.full_name,
        "family_name": member.family_name,
        "middle_name": member.middle_name,
        "given_name": member.given_name,
        "gender": member.gender,
        "gender_label": str(member.get_gender_display()),
        "card_number": member.card_number,
        "admission_date": member.admission_date,
        "official_date": member.official_date,
        "status": member.status,
        "status_label": str(member.get_status_display()),
        "position": member.position,
        "position_label": str(member.get_position_display()),
        "cell": _cell_ref(member.cell),
        "departed_on": member.departed_on,
        "departure_kind": member.departure_kind,
    }


def _member_detail_out(member: Member, scope: Scope) -> dict[str, Any]:
    today = timezone.localdate()
    return _member_out(member) | {
        "birth_date": member.birth_date,
        "community_roles": member.community_roles,
        "fee_category": member.fee_category,
        "fee_category_label": str(member.get_fee_category_display()),
        "phone": member.phone,
        "email": member.email,
        "address": member.address,
        "departure_note": member.departure_note,
        "exemptions": [
            {
                "id": e.pk,
                "start": e.start,
                "end": e.end,
                "reason": e.reason,
                "decision_ref": e.decision_ref,
                "is_current": e.covers(today),
            }
            for e in member.exemptions.all()
        ],
        "attachments": [
            {
                "id": a.pk,
                "host_cell": _cell_ref(a.host_cell),
                "start": a.start,
                "end": a.end,
                "reason": a.reason,
                "decision_ref": a.decision_ref,
                "is_current": a.covers(today),
            }
            for a in member.attachments.all()
        ],
        "can_edit": scope.can_edit_member(member),
        "created_at": member.created_at,
        "updated_at": member.updated_at,
    }


def _plain(data: dict[str, Any]) -> dict[str, Any]:
    """Enum members → their stored values, for the services."""
    return {k: v.value if isinstance(v, enum.Enum) else v for k, v in data.items()}


def _parent_path(unit: Unit) -> str:
    return unit.path[: -Unit.steplen]


def _units_with_counts(units: list[Unit]) -> list[tuple[Unit, selectors.UnitCounts]]:
    """Counts for units that need not be siblings: `subtree_counts` once per group of
    siblings (one group in the usual case of a single grant)."""
    counts: dict[int, selectors.UnitCounts] = {}
    siblings = sorted(units, key=_parent_path)
    for _parent, group in groupby(siblings, key=_parent_path):
        counts |= selectors.subtree_counts(list(group))
    return [(u, counts[u.pk]) for u in units]


# --- units -----------------------------------------------------------------------------------
@router.get(
    "/units",
    response=list[UnitOut],
    tags=["units"],
    summary="The units where my view of the tree starts",
)
def unit_top(request: HttpRequest):
    """The top units of the caller's grants (for an officer: their committee), with counts."""
    scope = scope_for(request.auth)
    units = list(selectors.top_units(scope))
    # A top unit's parent is outside the caller's grants by definition: no parent id.
    return [_unit_out(u, c, None) for u, c in _units_with_counts(units)]


@router.get(
    "/units/{unit_id}",
    response={200: UnitOut, 404: ErrorOut},
    tags=["units"],
    summary="One unit with its subtree counts",
)
def unit_detail(request: HttpRequest, unit_id: int):
    scope = scope_for(request.auth)
    unit = selectors.get_unit(scope, unit_id)
    parent_id = None
    if unit.depth > 1 and scope.covers(_parent_path(unit)):
        parent_id = (
            selectors.visible_units(scope)
            .filter(path=_parent_path(unit))
            .values_list("pk", flat=True)
            .first()
        )
    return _unit_out(unit, selectors.unit_counts(unit), parent_id)


@router.get(
    "/units/{unit_id}/children",
    response={200: list[UnitOut], 404: ErrorOut},
    tags=["units"],
    summary="The units directly under a unit, with counts",
)
def unit_children(request: HttpRequest, unit_id: int, include_dissolved: bool = False):
    scope = scope_for(request.auth)
    unit = selectors.get_unit(scope, unit_id)
    rows = selectors.children_with_counts(unit, include_dissolved=include_dissolved)
    return [_unit_out(child, counts, unit.pk) for child, counts in rows]


# --- members ---------------------------------------------------------------------------------
@router.get(
    "/members",
    response={200: MemberPage, 404: ErrorOut},
    tags=["members"],
    summary="Search and list members",
)
def member_list(request: HttpRequest, filters: Query[MemberQuery]):
    """Members the caller may list (a member: their own cell's roster), filtered and sorted,
    one page at a time. `unit` outside the caller's grants answers 404."""
    scope = scope_for(request.auth)
    unit = selectors.get_unit(scope, filters.unit) if filters.unit is not None else None
    members = selectors.search_members(
        scope,
        q=filters.q,
        unit=unit,
        status=filters.status.value if filters.status else "",
        include_departed=filters.include_departed,
    ).order_by(*_ORDERINGS[filters.sort])
    count = members.count()
    page = members[filters.offset : filters.offset + filters.limit] if count else []
    return {
        "count": count,
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [_member_out(m) for m in page],
    }


@router.get(
    "/members/{member_id}",
    response={200: MemberDetailOut, 404: ErrorOut},
    tags=["members"],
    summary="A member's record",
)
def member_detail(request: HttpRequest, member_id: int):
    scope = scope_for(request.auth)
    return _member_detail_out(selectors.get_member(scope, member_id), scope)


@router.post(
    "/members",
    response={201: MemberDetailOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
    tags=["members"],
    summary="Register a member in a cell",
)
def member_create(request: HttpRequest, data: MemberIn):
    """Needs the right to add members to the cell (its secretary, or an officer or admin
    above it): 403 otherwise. A cell outside the caller's grants answers 404."""
    scope = scope_for(request.auth)
    cell = selectors.get_unit(scope, data.cell)
    if not scope.can_add_member(cell) and cell.holds_members and cell.is_active:
        raise PermissionDenied(_("You may not change the members of this cell."))
    # A committee or a dissolved cell is refused by the service, on the "cell" field (422).
    fields = _plain(data.model_dump()) | {"cell": cell}
    member = services.member_create(by=request.auth, **fields)
    return Status(201, _member_detail_out(selectors.get_member(scope, member.pk), scope))


@router.patch(
    "/members/{member_id}",
    response={200: MemberDetailOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
    tags=["members"],
    summary="Change a member's details",
)
def member_update(request: HttpRequest, member_id: int, data: MemberPatch):
    """Only the fields sent change. Moving a member to another cell is a transfer."""
    scope = scope_for(request.auth)
    member = selectors.get_member(scope, member_id)
    if not scope.can_edit_member(member):
        raise PermissionDenied(_("You may not change this member's details."))
    services.member_update(
        member=member, by=request.auth, **_plain(data.model_dump(exclude_unset=True))
    )
    return _member_detail_out(selectors.get_member(scope, member.pk), scope)
