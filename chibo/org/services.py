"""Every write to the tree and the member registry. One transaction each, audited."""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from treebeard.exceptions import InvalidMoveToDescendant

from chibo.core import audit
from chibo.core.text import normalize

from .models import (
    DepartureKind,
    Exemption,
    FeeCategory,
    Gender,
    Member,
    MemberEvent,
    MemberEventKind,
    MemberStatus,
    Position,
    TemporaryAttachment,
    Unit,
    UnitKind,
)

CARD_NUMBER_RE = re.compile(r"^\d{2}\.?\d{4,8}$")
CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9._-]{0,31}$")
MIN_ADMISSION_AGE = 18

MEMBER_FIELDS = (
    "family_name", "middle_name", "given_name", "gender", "birth_date", "card_number",
    "admission_date", "official_date", "status", "cell", "position", "community_roles",
    "fee_category", "phone", "email", "address",
)  # fmt: skip


# --- validation shared by forms, the API and the importer ------------------------------------
def member_data_errors(
    data: dict[str, Any], *, instance: Member | None = None
) -> dict[str, list[str]]:
    """Check one member's data; return {field: [messages in Vietnamese]}. Empty when valid."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    today = timezone.localdate()
    data = dict(data)
    for name in ("family_name", "middle_name", "given_name"):
        data[name] = normalize(data.get(name) or "")
    for required in ("family_name", "given_name", "gender", "birth_date", "admission_date", "cell"):
        if not data.get(required):
            add(required, _("This field is required."))
    birth, admitted, official = (
        data.get("birth_date"),
        data.get("admission_date"),
        data.get("official_date"),
    )
    for name in ("birth_date", "admission_date", "official_date"):
        value = data.get(name)
        if value and value > today:
            add(name, _("The date cannot be in the future."))
    if birth and admitted:
        if birth >= admitted:
            add("admission_date", _("Admission date must be after the birth date."))
        elif (admitted - birth).days < MIN_ADMISSION_AGE * 365:
            add("admission_date", _("A member must be at least 18 years old when admitted."))
    if official and admitted and official <= admitted:
        add("official_date", _("Official date must be after the admission date."))
    status = data.get("status")
    if status == MemberStatus.OFFICIAL and not official:
        add("official_date", _("An official member needs the official date."))
    if status == MemberStatus.PROBATIONARY and official:
        add("official_date", _("A probationary member has no official date yet."))
    card = normalize(data.get("card_number") or "")
    if card:
        if not CARD_NUMBER_RE.match(card):
            add("card_number", _("A party card number has 6 to 10 digits, for example 01.234567."))
        else:
            clash = Member.objects.filter(card_number=card)
            if instance is not None and instance.pk:
                clash = clash.exclude(pk=instance.pk)
            if clash.exists():
                add("card_number", _("Another member already has this card number."))
    choices = {
        "gender": Gender,
        "status": MemberStatus,
        "position": Position,
        "fee_category": FeeCategory,
    }
    for name, enum in choices.items():
        value = data.get(name)
        if value and value not in enum.values:
            add(name, _("“%(value)s” is not one of the allowed values.") % {"value": value})
    if data.get("email"):
        try:
            validate_email(data["email"])
        except ValidationError:
            add("email", _("Enter a valid e-mail address."))
    cell = data.get("cell")
    if cell is not None and (not cell.holds_members or not cell.is_active):
        add("cell", _("Members can only belong to an active cell."))
    return errors


def _raise_if(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)


def province_of(unit: Unit) -> Unit:
    return unit if unit.depth == 1 else Unit.objects.get(path=unit.path[: Unit.steplen])


def _member_snapshot(member: Member) -> dict[str, Any]:
    return {f: getattr(member, f) for f in MEMBER_FIELDS}


# --- units -----------------------------------------------------------------------------------
def _check_unit_fields(*, code: str, name: str, kind: str, exclude_pk: int | None = None) -> None:
    errors: dict[str, list[str]] = {}
    if not CODE_RE.match(code):
        errors["code"] = [
            _("A code uses capital letters, digits, dot, dash or underscore (at most 32).")
        ]
    elif Unit.objects.filter(code=code).exclude(pk=exclude_pk).exists():
        errors["code"] = [_("Another unit already has this code.")]
    if not name:
        errors["name"] = [_("This field is required.")]
    if kind not in UnitKind.values:
        errors["kind"] = [_("Unknown kind of unit.")]
    _raise_if(errors)


@transaction.atomic
def unit_create(
    *, parent: Unit | None, code: str, name: str, kind: str, cell_type: str = "", by
) -> Unit:
    code, name = normalize(code).upper(), normalize(name)
    _check_unit_fields(code=code, name=name, kind=kind)
    if parent is not None and parent.holds_members:
        raise ValidationError({"parent": [_("A cell cannot have units under it.")]})
    fields = dict(code=code, name=name, kind=kind, cell_type=cell_type)
    unit = (
        Unit.objects.add_root(fields)
        if parent is None
        else Unit.objects.add_child(Unit.objects.get(pk=parent.pk), fields)
    )
    audit.record(actor=by, action="unit.create", obj=unit, unit_path=unit.path, changes=fields)
    return unit


@transaction.atomic
def unit_update(*, unit: Unit, code: str, name: str, cell_type: str = "", by) -> Unit:
    code, name = normalize(code).upper(), normalize(name)
    _check_unit_fields(code=code, name=name, kind=unit.kind, exclude_pk=unit.pk)
    old = {"code": unit.code, "name": unit.name, "cell_type": unit.cell_type}
    unit.code, unit.name, unit.cell_type = code, name, cell_type
    unit.save()
    new = {"code": unit.code, "name": unit.name, "cell_type": unit.cell_type}
    audit.record(
        actor=by, action="unit.update", obj=unit, unit_path=unit.path, changes=audit.diff(old, new)
    )
    return unit


@transaction.atomic
def unit_move(*, unit: Unit, new_parent: Unit, by) -> Unit:
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    new_parent = Unit.objects.get(pk=new_parent.pk)
    if new_parent.holds_members:
        raise ValidationError({"new_parent": [_("A cell cannot have units under it.")]})
    if not new_parent.is_active:
        raise ValidationError({"new_parent": [_("The new parent unit has been dissolved.")]})
    if new_parent.pk == unit.pk or new_parent.path.startswith(unit.path):
        raise ValidationError(
            {"new_parent": [_("A unit cannot be moved under itself or a unit below it.")]}
        )
    old_parent = Unit.objects.get_parent(unit)
    if old_parent is not None and old_parent.pk == new_parent.pk:
        raise ValidationError({"new_parent": [_("The unit is already under this parent.")]})
    try:
        Unit.objects.move(unit, new_parent, "last-child")
    except InvalidMoveToDescendant as exc:  # pragma: no cover - checked above
        raise ValidationError(
            {"new_parent": [_("A unit cannot be moved under itself or a unit below it.")]}
        ) from exc
    unit.refresh_from_db()
    audit.record(
        actor=by, action="unit.move", obj=unit, unit_path=unit.path,
        changes={"parent": [str(old_parent) if old_parent else None, str(new_parent)]},
    )  # fmt: skip
    return unit


@transaction.atomic
def unit_merge(*, source: Unit, target: Unit, effective_on: datetime.date, by) -> Unit:
    """Merge `source` into `target` (the 2025 mergers): its units and members move to
    `target`, then `source` is closed with a pointer to where it went."""
    source = Unit.objects.select_for_update().get(pk=source.pk)
    target = Unit.objects.select_for_update().get(pk=target.pk)
    if source.pk == target.pk:
        raise ValidationError({"target": [_("A unit cannot be merged into itself.")]})
    if not source.is_active or not target.is_active:
        raise ValidationError({"target": [_("Both units must be active.")]})
    if source.holds_members != target.holds_members:
        raise ValidationError(
            {"target": [_("A cell can only be merged into a cell, a committee into a committee.")]}
        )
    if target.path.startswith(source.path):
        raise ValidationError({"target": [_("A unit cannot be merged into a unit below it.")]})
    moved_units = 0
    for child in list(Unit.objects.filter(path__startswith=source.path, depth=source.depth + 1)):
        child = Unit.objects.get(pk=child.pk)  # paths change with every move
        Unit.objects.move(child, Unit.objects.get(pk=target.pk), "last-child")
        moved_units += 1
    members = list(Member.active.filter(cell=source))
    for member in members:
        MemberEvent.objects.create(
            member=member, kind=MemberEventKind.MERGED, effective_on=effective_on,
            from_cell=source, to_cell=target, created_by=by,
            details={"source": source.code, "target": target.code},
        )  # fmt: skip
    Member.objects.filter(pk__in=[m.pk for m in members]).update(
        cell=target, updated_at=timezone.now()
    )
    TemporaryAttachment.objects.filter(host_cell=source, end__isnull=True).update(host_cell=target)
    from chibo.accounts.models import Grant

    Grant.objects.current().filter(unit=source).update(unit=target)
    source = Unit.objects.get(pk=source.pk)
    source.is_active, source.dissolved_on, source.merged_into = False, effective_on, target
    source.save()
    target.refresh_from_db()
    audit.record(
        actor=by, action="unit.merge", obj=source, unit_path=target.path,
        changes={"merged_into": [None, str(target)], "units_moved": moved_units, "members_moved": len(members)},
    )  # fmt: skip
    return target


@transaction.atomic
def unit_dissolve(*, unit: Unit, effective_on: datetime.date, reason: str, by) -> Unit:
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    if Member.active.filter(cell__path__startswith=unit.path).exists():
        raise ValidationError(
            {"unit": [_("Transfer or merge its members before dissolving the unit.")]}
        )
    if Unit.objects.filter(
        path__startswith=unit.path, depth__gt=unit.depth, is_active=True
    ).exists():
        raise ValidationError({"unit": [_("Move, merge or dissolve the units under it first.")]})
    if not normalize(reason):
        raise ValidationError({"reason": [_("Give the reason or decision for dissolving.")]})
    unit.is_active, unit.dissolved_on = False, effective_on
    unit.save()
    audit.record(
        actor=by, action="unit.dissolve", obj=unit, unit_path=unit.path, note=normalize(reason)
    )
    return unit


# --- members ---------------------------------------------------------------------------------
@transaction.atomic
def member_create(*, by, **data: Any) -> Member:
    _raise_if(member_data_errors(data))
    member = Member(**{k: v for k, v in data.items() if k in MEMBER_FIELDS})
    member.province = province_of(member.cell)
    member.save()
    MemberEvent.objects.create(
        member=member, kind=MemberEventKind.REGISTERED, effective_on=timezone.localdate(),
        to_cell=member.cell, created_by=by,
    )  # fmt: skip
    audit.record(actor=by, action="member.create", obj=member, unit_path=member.cell.path,
                 changes=audit.diff({}, _member_snapshot(member)))  # fmt: skip
    return member


@transaction.atomic
def member_update(*, member: Member, by, **data: Any) -> Member:
    """Edit a member's details. Moving to another cell is a transfer, not an edit."""
    member = Member.objects.select_for_update().get(pk=member.pk)
    data = {k: v for k, v in data.items() if k in MEMBER_FIELDS and k != "cell"}
    merged = _member_snapshot(member) | data
    _raise_if(member_data_errors(merged, instance=member))
    old = _member_snapshot(member)
    for key, value in data.items():
        setattr(member, key, value)
    member.save()
    changes = audit.diff(old, _member_snapshot(member))
    if not changes:
        return member
    if old["status"] != member.status and member.status == MemberStatus.OFFICIAL:
        MemberEvent.objects.create(member=member, kind=MemberEventKind.BECAME_OFFICIAL,
                                   effective_on=member.official_date, created_by=by)  # fmt: skip
    MemberEvent.objects.create(member=member, kind=MemberEventKind.EDITED, effective_on=timezone.localdate(),
                               details={"fields": sorted(changes)}, created_by=by)  # fmt: skip
    audit.record(
        actor=by, action="member.update", obj=member, unit_path=member.cell.path, changes=changes
    )
    return member


def _check_period(start: datetime.date | None, end: datetime.date | None, reason: str) -> None:
    errors: dict[str, list[str]] = {}
    if start is None:
        errors["start"] = [_("This field is required.")]
    if start and end and end < start:
        errors["end"] = [_("The end date must not be before the start date.")]
    if not normalize(reason):
        errors["reason"] = [_("This field is required.")]
    _raise_if(errors)


def _check_active(member: Member) -> None:
    if not member.is_active:
        raise ValidationError(
            _("This member has left the rolls; the record is kept for history only.")
        )


@transaction.atomic
def member_exempt(*, member: Member, start: datetime.date, end: datetime.date | None,
                  reason: str, decision_ref: str = "", by) -> Exemption:  # fmt: skip
    _check_active(member)
    _check_period(start, end, reason)
    overlapping = Exemption.objects.filter(member=member).exclude(end__lt=start)
    if end is not None:
        overlapping = overlapping.exclude(start__gt=end)
    if overlapping.exists():
        raise ValidationError({"start": [_("This period overlaps an exemption already recorded.")]})
    exemption = Exemption.objects.create(member=member, start=start, end=end, reason=normalize(reason),
                                         decision_ref=normalize(decision_ref), created_by=by)  # fmt: skip
    MemberEvent.objects.create(member=member, kind=MemberEventKind.EXEMPTED, effective_on=start,
                               summary=exemption.reason, created_by=by,
                               details={"end": end.isoformat() if end else None, "decision_ref": exemption.decision_ref})  # fmt: skip
    audit.record(actor=by, action="member.exempt", obj=member, unit_path=member.cell.path,
                 changes={"exemption": [None, f"{start}–{end or ''}"]}, note=exemption.reason)  # fmt: skip
    return exemption


@transaction.atomic
def member_attach(*, member: Member, host_cell: Unit, start: datetime.date, end: datetime.date | None,
                  reason: str, decision_ref: str = "", by) -> TemporaryAttachment:  # fmt: skip
    _check_active(member)
    _check_period(start, end, reason)
    if not host_cell.holds_members or not host_cell.is_active:
        raise ValidationError({"host_cell": [_("Members can only belong to an active cell.")]})
    if host_cell.pk == member.cell_id:
        raise ValidationError({"host_cell": [_("The member already belongs to this cell.")]})
    overlapping = TemporaryAttachment.objects.filter(member=member).exclude(end__lt=start)
    if end is not None:
        overlapping = overlapping.exclude(start__gt=end)
    if overlapping.exists():
        raise ValidationError(
            {"start": [_("This period overlaps an attachment already recorded.")]}
        )
    attachment = TemporaryAttachment.objects.create(
        member=member, host_cell=host_cell, start=start, end=end, reason=normalize(reason),
        decision_ref=normalize(decision_ref), created_by=by,
    )  # fmt: skip
    MemberEvent.objects.create(member=member, kind=MemberEventKind.ATTACHED, effective_on=start,
                               from_cell=member.cell, to_cell=host_cell, summary=attachment.reason,
                               details={"end": end.isoformat() if end else None}, created_by=by)  # fmt: skip
    audit.record(actor=by, action="member.attach", obj=member, unit_path=member.cell.path,
                 changes={"attached_to": [None, str(host_cell)]}, note=attachment.reason)  # fmt: skip
    return attachment


@transaction.atomic
def member_transfer(*, member: Member, to_cell: Unit, effective_on: datetime.date, reason: str,
                    decision_ref: str = "", by) -> Member:  # fmt: skip
    member = Member.objects.select_for_update().get(pk=member.pk)
    _check_active(member)
    errors: dict[str, list[str]] = {}
    if not to_cell.holds_members or not to_cell.is_active:
        errors["to_cell"] = [_("Members can only belong to an active cell.")]
    elif to_cell.pk == member.cell_id:
        errors["to_cell"] = [_("The member already belongs to this cell.")]
    if not normalize(reason):
        errors["reason"] = [_("This field is required.")]
    if effective_on is None:
        errors["effective_on"] = [_("This field is required.")]
    _raise_if(errors)
    old_cell = member.cell
    member.cell = to_cell
    member.province = province_of(to_cell)
    if member.position != "member":
        member.position = "member"  # a leadership position does not travel with the member
    member.save()
    MemberEvent.objects.create(member=member, kind=MemberEventKind.TRANSFERRED, effective_on=effective_on,
                               from_cell=old_cell, to_cell=to_cell, summary=normalize(reason),
                               details={"decision_ref": normalize(decision_ref)}, created_by=by)  # fmt: skip
    audit.record(actor=by, action="member.transfer", obj=member, unit_path=to_cell.path,
                 changes={"cell": [str(old_cell), str(to_cell)]}, note=normalize(reason))  # fmt: skip
    return member


@transaction.atomic
def member_depart(
    *, member: Member, kind: str, effective_on: datetime.date, note: str = "", by
) -> Member:
    member = Member.objects.select_for_update().get(pk=member.pk)
    _check_active(member)
    errors: dict[str, list[str]] = {}
    if kind not in DepartureKind.values:
        errors["kind"] = [_("Choose how the member left.")]
    if effective_on is None:
        errors["effective_on"] = [_("This field is required.")]
    elif effective_on > timezone.localdate():
        errors["effective_on"] = [_("The date cannot be in the future.")]
    if kind in (
        DepartureKind.REMOVED,
        DepartureKind.EXPELLED,
        DepartureKind.LEFT,
    ) and not normalize(note):
        errors["note"] = [_("Give the decision and the reason.")]
    _raise_if(errors)
    member.departed_on, member.departure_kind, member.departure_note = (
        effective_on,
        kind,
        normalize(note),
    )
    member.save()
    TemporaryAttachment.objects.filter(member=member, end__isnull=True).update(end=effective_on)
    MemberEvent.objects.create(member=member, kind=MemberEventKind.DEPARTED, effective_on=effective_on,
                               from_cell=member.cell, summary=member.departure_note,
                               details={"kind": kind}, created_by=by)  # fmt: skip
    audit.record(actor=by, action="member.depart", obj=member, unit_path=member.cell.path,
                 changes={"departure": [None, kind]}, note=member.departure_note)  # fmt: skip
    return member
