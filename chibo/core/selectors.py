"""Reading the audit log: the entries of a unit's subtree, for its organisation board."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from .audit_labels import change_label, change_value
from .models import AuditEntry
from .text import fold

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

EXPORT_LIMIT = 50_000


@dataclass(frozen=True)
class AuditFilter:
    action: str = ""  # the start of an action, e.g. "meeting." or "meeting.finalise"
    actor: str = ""  # part of a user name
    since: datetime.date | None = None
    until: datetime.date | None = None
    text: str = ""  # part of the object's name


def audit_entries(scope, unit, chosen: AuditFilter = AuditFilter()) -> QuerySet[AuditEntry]:
    """Entries about `unit` and everything under it, newest first; officers and admins of the
    unit only (PermissionDenied otherwise; a unit outside the grants is 404 before this)."""
    if not scope.can_manage_unit(unit):
        raise PermissionDenied
    found = AuditEntry.objects.filter(unit_path__startswith=unit.path).select_related("actor__member")
    if chosen.action:
        found = found.filter(action__startswith=chosen.action)
    if chosen.actor:
        found = found.filter(Q(actor__username__icontains=chosen.actor)
                             | Q(actor__member__name_folded__contains=fold(chosen.actor)))  # fmt: skip
    if chosen.since:
        found = found.filter(at__gte=_start_of(chosen.since))
    if chosen.until:
        found = found.filter(at__lt=_start_of(chosen.until + datetime.timedelta(days=1)))
    if chosen.text:
        found = found.filter(object_repr__icontains=chosen.text)
    return found.order_by("-at", "-id")


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


def change_lines(entry: AuditEntry) -> list[tuple[str, str]]:
    """(what changed, in the reader's language; "old → new" or the value) for display and
    export."""
    lines = []
    kind = entry.object_type
    for key, value in (entry.changes or {}).items():
        if _is_old_and_new(key, value):
            old, new = (_plain(change_value(kind, key, v)) for v in value)
            text = f"{old} → {new}"
        else:
            text = _plain(change_value(kind, key, value))
        lines.append((change_label(kind, key), text))
    return lines


# Keys whose value is a list of things (two assignees, two sections…), not [old, new] — unless
# each side is itself a list (the assignees before and after a change).
PLAIN_LISTS = {"assignees", "members", "units", "sections", "criteria", "grades", "votes"}


def _is_old_and_new(key: str, value) -> bool:
    if not isinstance(value, list) or len(value) != 2:
        return False
    if all(isinstance(v, dict) and "message" in v for v in value):  # two accepted warnings
        return False
    return key not in PLAIN_LISTS or all(isinstance(v, list) for v in value)


def _plain(value) -> str:
    """A stored value as text: dates as dd/mm/yyyy, yes/no, lists and accepted warnings
    (their messages) joined."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, list):
        return ", ".join(_plain(v) for v in value)
    if isinstance(value, dict):
        if "message" in value:  # an accepted warning, with the reason given for going on
            reason = value.get("reason")
            return _plain(value["message"]) + (f" ({_('reason')}: {reason})" if reason else "")
        return "; ".join(f"{k}: {_plain(v)}" for k, v in value.items())
    if isinstance(value, str) and ISO_DATE.fullmatch(value):
        try:
            return datetime.date.fromisoformat(value).strftime("%d/%m/%Y")
        except ValueError:
            pass  # typed text that only looks like a date
    return str(value)
