"""The audit log of a unit's subtree for its organisation board: filter, page, export."""

from __future__ import annotations

import io

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from openpyxl import Workbook

from chibo.accounts.access import scope_for
from chibo.org import selectors as org_selectors

from . import selectors, xlsx
from .forms import AuditFilterForm

PER_PAGE = 50


def _entries(request, pk: int):
    scope = scope_for(request.user)
    unit = org_selectors.get_unit(scope, pk)
    form = AuditFilterForm(request.GET or None)
    return scope, unit, form, selectors.audit_entries(scope, unit, form.chosen())


@login_required
@require_GET
def unit_audit(request, pk: int):
    scope, unit, form, entries = _entries(request, pk)
    page = Paginator(entries, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "core/audit.html", {
        "unit": unit, "form": form, "page": page, "query": query.urlencode(),
        "rows": [(e, selectors.change_lines(e)) for e in page.object_list],
        "ancestors": [*org_selectors.visible_ancestors(scope, unit), unit],
    }, status=422 if form.is_bound and not form.is_valid() else 200)  # fmt: skip


def audit_workbook(entries) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Audit log"))
    sheet.append([_("Time"), _("Done by"), _("Action"), _("Code"), _("Object"), _("Changes"), _("Note")])
    for entry in entries[: selectors.EXPORT_LIMIT]:
        changes = "; ".join(f"{field}: {text}" for field, text in selectors.change_lines(entry))
        by = entry.actor.display_name if entry.actor else ""
        sheet.append(xlsx.row(sheet, [
            timezone.localtime(entry.at).strftime("%d/%m/%Y %H:%M:%S"), by, entry.action_label,
            entry.action, entry.object_repr, changes, entry.note,
        ]))  # fmt: skip
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@login_required
@require_GET
def unit_audit_xlsx(request, pk: int):
    _scope, unit, _form, entries = _entries(request, pk)
    response = HttpResponse(audit_workbook(entries),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")  # fmt: skip
    response["Content-Disposition"] = f'attachment; filename="audit-{unit.code}.xlsx"'
    response["Cache-Control"] = "private, no-store"
    return response
