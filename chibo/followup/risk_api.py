"""API routes for members slipping away: the members at risk under a unit, and one member's
absences for a year. Thin: `risk` counts and applies the access policy.

Access: a unit's list needs a reading role over the unit (clerk, secretary, attendee, officer,
admin); anything else answers 404, as does a unit outside the caller's grants. A member's
absences answer for whoever may open the member's record (the member included).
"""

from __future__ import annotations

import datetime
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from chibo.accounts.access import scope_for
from chibo.org import selectors as org_selectors
from chibo.org.api import CellRef, ErrorOut, ValidationErrorOut
from chibo.org.models import Unit

from . import risk

router = Router(tags=["members at risk"])


# --- schemas ---------------------------------------------------------------------------------
class PersonOut(Schema):
    id: int
    full_name: str = Field(description="Full name (họ và tên).")


class UnitRef(Schema):
    id: int
    name: str


class RulesOut(Schema):
    """The thresholds applied, with their source documents."""

    unexcused_months_limit: int = Field(
        description="Months absent without reason in a year at which the cell must consider "
        "removal (xóa tên)."
    )
    unexcused_months_warning: int = Field(description="Months at which a member is at risk.")
    unexcused_months_source: str
    excused_run_limit: int = Field(
        description="Absences with reason in a row above which the meeting-quality criterion fails."
    )
    excused_run_warning: int = Field(description="Run at which a member is at risk.")
    excused_run_source: str


class MemberAtRiskOut(Schema):
    member: PersonOut
    cell: CellRef = Field(
        description="The cell the member is listed under: their own, or the host cell when "
        "they are temporarily attached there and their own cell is outside the unit."
    )
    own_cell: CellRef = Field(description="The member's own cell (chi bộ sinh hoạt).")
    listed_as_attached: bool = Field(description="Listed under the host cell of an attachment.")
    attached_to: CellRef | None = Field(
        description="Host cell of the member's current temporary attachment (sinh hoạt tạm thời)."
    )
    unexcused_months: list[int] = Field(
        description="Months (1–12) with an absence without reason that count (vắng không lý do)."
    )
    unexcused_month_count: int
    excused_run: int = Field(
        description="Absences with reason in a row, still open (vắng có lý do liên tiếp)."
    )
    longest_excused_run: int = Field(description="Longest run of absences with reason this year.")
    level: Literal["at_risk", "over_limit"]
    level_label: str
    reasons: list[Literal["unexcused_months", "excused_run"]] = Field(
        description="Which counts put the member on the list."
    )


class MembersAtRiskPage(Schema):
    unit: CellRef
    year: int
    rules: RulesOut
    count: int = Field(description="Members listed at the level asked, over all pages.")
    over_limit: int = Field(description="Members over a limit (all levels counted).")
    at_risk: int = Field(description="Members at risk, not yet over a limit.")
    limit: int
    offset: int
    items: list[MemberAtRiskOut]


class AbsenceLineOut(Schema):
    """One line of a finalised meeting's roster, as the counts saw it."""

    meeting_id: int
    meeting_visible: bool = Field(description="Whether you may open the meeting.")
    date: datetime.date
    kind: str
    kind_label: str
    cell: UnitRef = Field(description="The cell that held the meeting.")
    presence: str
    presence_label: str
    category: str = Field(description="The member's standing on the day (official, exempted …).")
    counts_month: bool = Field(description="An absence without reason in a month that counts.")
    in_run: int = Field(description="Position in a run of absences with reason; 0 if none.")
    skipped: bool = Field(description="Skipped by the run (exempt, attached elsewhere).")
    breaks_run: bool = Field(description="Ends a run of absences with reason.")


class MemberAbsencesOut(Schema):
    member: PersonOut
    cell: CellRef
    year: int
    rules: RulesOut
    unexcused_months: list[int]
    unexcused_month_count: int
    exempt_months: list[int] = Field(
        description="Months with an absence without reason not counted: the member was exempt."
    )
    excused_run: int
    longest_excused_run: int
    level: Literal["none", "at_risk", "over_limit"]
    level_label: str
    reasons: list[Literal["unexcused_months", "excused_run"]]
    lines: list[AbsenceLineOut]


class RiskQuery(Schema):
    year: int | None = Field(None, description="Calendar year; the current year when left out.")
    level: Literal["at_risk", "over_limit"] | None = Field(
        None, description="Only members at this level."
    )
    sort: Literal["level", "name", "cell", "months", "run"] = Field(
        "level",
        description="level (most urgent first), name (Vietnamese order), cell, months, run.",
    )
    limit: int = Field(100, ge=1, le=1000, description="Page size, at most 1000.")
    offset: int = Field(0, ge=0)


class YearQuery(Schema):
    year: int | None = Field(None, description="Calendar year; the current year when left out.")


# --- helpers ---------------------------------------------------------------------------------
def _year(value: int | None) -> int:
    try:
        return risk.parse_year(value)
    except ValueError as error:
        raise ValidationError({"year": [str(error)]}) from None


def _cell(unit: Unit) -> dict[str, Any]:
    return {"id": unit.pk, "code": unit.code, "name": unit.name}


def _rules(rules: risk.AbsenceRules) -> dict[str, Any]:
    return {name: getattr(rules, name) for name in RulesOut.model_fields}


def _row(row: risk.MemberAtRisk) -> dict[str, Any]:
    record = row.record
    return {
        "member": {"id": row.member.pk, "full_name": row.member.full_name},
        "cell": _cell(row.cell),
        "own_cell": _cell(row.member.cell),
        "listed_as_attached": row.listed_as_attached,
        "attached_to": _cell(row.attached_to) if row.attached_to else None,
        "unexcused_months": record.unexcused_months,
        "unexcused_month_count": record.unexcused_month_count,
        "excused_run": record.excused_run,
        "longest_excused_run": record.longest_excused_run,
        "level": row.level.code,
        "level_label": row.level.label,
        "reasons": [r.value for r in record.reasons],
    }


# --- routes ----------------------------------------------------------------------------------
@router.get(
    "/units/{unit_id}/members-at-risk",
    response={200: MembersAtRiskPage, 404: ErrorOut, 422: ValidationErrorOut},
    summary="Members at risk under a unit (absences without reason, absences in a row)",
)
def members_at_risk(request: HttpRequest, unit_id: int, filters: Query[RiskQuery]):
    """Members of the cells under the unit (and members temporarily attached to them) who were
    absent without reason in 2 months of the year or more (3: the cell must consider removal,
    QĐ 24-QĐ/TW 8.1), or absent with reason 3 times in a row or more (more than 3 fails HD 12's
    criterion). Only finalised minutes count."""
    scope = scope_for(request.auth)
    unit = org_selectors.get_unit(scope, unit_id)
    year = _year(filters.year)
    rows = risk.members_at_risk(scope, unit, year, sort=filters.sort)
    levels = [r.level for r in rows]
    if filters.level is not None:
        rows = [r for r in rows if r.level == risk.LEVEL_CODES[filters.level]]
    return {
        "unit": _cell(unit),
        "year": year,
        "rules": _rules(risk.absence_rules(unit, year)),
        "count": len(rows),
        "over_limit": levels.count(risk.RiskLevel.OVER_LIMIT),
        "at_risk": levels.count(risk.RiskLevel.AT_RISK),
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [_row(r) for r in rows[filters.offset : filters.offset + filters.limit]],
    }


@router.get(
    "/members/{member_id}/absences",
    response={200: MemberAbsencesOut, 404: ErrorOut, 422: ValidationErrorOut},
    summary="A member's absences in a year, with every line counted",
)
def member_absences(request: HttpRequest, member_id: int, filters: Query[YearQuery]):
    scope = scope_for(request.auth)
    member = org_selectors.get_member(scope, member_id)
    year = _year(filters.year)
    result = risk.member_absence_record(scope, member, year)
    record = result.record
    return {
        "member": {"id": member.pk, "full_name": member.full_name},
        "cell": _cell(member.cell),
        "year": year,
        "rules": _rules(record.rules),
        "unexcused_months": record.unexcused_months,
        "unexcused_month_count": record.unexcused_month_count,
        "exempt_months": record.exempt_months,
        "excused_run": record.excused_run,
        "longest_excused_run": record.longest_excused_run,
        "level": record.level.code,
        "level_label": record.level.label,
        "reasons": [r.value for r in record.reasons],
        "lines": [
            {
                "meeting_id": v.line.meeting_id,
                "meeting_visible": v.line.meeting_id in result.visible_meeting_ids,
                "date": v.line.date,
                "kind": v.line.kind,
                "kind_label": v.line.kind_label,
                "cell": {"id": v.line.unit_id, "name": v.line.unit_name},
                "presence": v.line.presence,
                "presence_label": v.line.presence_label,
                "category": v.line.category,
                "counts_month": v.counts_month,
                "in_run": v.in_run,
                "skipped": v.skipped,
                "breaks_run": v.breaks_run,
            }
            for v in record.verdicts
        ],
    }
