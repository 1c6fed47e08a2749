"""API route for the audit log of a unit's subtree (its organisation board)."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema

from chibo.accounts.access import scope_for
from chibo.org import selectors as org_selectors
from chibo.org.api import ErrorOut, ValidationErrorOut

from . import selectors

router = Router(tags=["audit"])


class AuditEntryOut(Schema):
    id: int
    at: datetime.datetime
    actor: str | None
    action: str
    object_type: str
    object_id: str
    object: str
    changes: dict
    note: str


@router.get("/units/{unit_id}/audit", response={200: list[AuditEntryOut], 403: ErrorOut, 404: ErrorOut,
                                               422: ValidationErrorOut},
            summary="The audit log of a unit and everything under it, newest first (organisation board)")  # fmt: skip
def unit_audit(request: HttpRequest, unit_id: int, action: str = "", actor: str = "", text: str = "",
               since: datetime.date | None = None, until: datetime.date | None = None,
               limit: int = 100, offset: int = 0):  # fmt: skip
    unit = org_selectors.get_unit(scope_for(request.auth), unit_id)
    if since and until and since > until:
        raise ValidationError({"until": [_("The end date comes before the start date.")]})
    chosen = selectors.AuditFilter(action=action, actor=actor, text=text, since=since, until=until)
    found = selectors.audit_entries(scope_for(request.auth), unit, chosen)
    offset = max(0, offset)
    return [{"id": e.pk, "at": e.at, "actor": e.actor.username if e.actor else None, "action": e.action,
             "object_type": e.object_type, "object_id": e.object_id, "object": e.object_repr,
             "changes": e.changes, "note": e.note}
            for e in found[offset : offset + max(1, min(limit, 500))]]  # fmt: skip
