"""Excel import (upload, progress, result) and member export. The work is in importing.py and
exporting.py; these views parse the request, check access and render."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from chibo.accounts.access import scope_for
from chibo.core.http import is_htmx
from chibo.core.text import normalize

from . import exporting, importing, selectors

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ERRORS_SHOWN = 500  # longer reports are downloaded as a workbook


def _require_manager(request):
    scope = scope_for(request.user)
    if not scope.can_manage_anything:
        raise PermissionDenied
    return scope


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request):
    _require_manager(request)
    error = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        error = importing.upload_problem(upload)
        if error is None:
            job_id = importing.start_job(upload=upload, user=request.user)
            return redirect("import_status", job_id=job_id)
    context = {
        "error": error,
        "max_mb": importing.megabytes(settings.CHIBO_IMPORT_MAX_BYTES),
        "unit_sheet": importing.UNIT_SHEET,
        "member_sheet": importing.MEMBER_SHEET,
    }
    return render(request, "org/import_upload.html", context, status=400 if error else 200)


@login_required
@require_GET
def import_template(request):
    _require_manager(request)
    response = HttpResponse(importing.build_template(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="chibo-mau-nhap-lieu.xlsx"'
    return response


def _job_or_404(request, job_id) -> dict:
    job = importing.job_for_user(str(job_id), request.user)
    if job is None:
        raise Http404
    return job


@login_required
@require_GET
def import_status(request, job_id):
    job = _job_or_404(request, job_id)
    running = job["state"] in ("queued", "running")
    result = job.get("result") or {}
    errors = result.get("errors") or []
    context = {
        "job": job,
        "running": running,
        "waiting_long": importing.waiting_long(job),
        "percent": min(100, job["done"] * 100 // job["total"]) if job["total"] else 0,
        "result": result,
        "errors": errors[:ERRORS_SHOWN],
        "errors_hidden": max(0, len(errors) - ERRORS_SHOWN),
    }
    if is_htmx(request):
        return render(request, "org/import_status_panel.html", context)
    return render(request, "org/import_status.html", context)


@login_required
@require_GET
def import_report(request, job_id):
    """The error report of a failed import as a workbook."""
    job = _job_or_404(request, job_id)
    errors = (job.get("result") or {}).get("errors") or []
    if not errors:
        raise Http404
    response = HttpResponse(importing.error_report_workbook(errors), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="chibo-loi-nhap-lieu.xlsx"'
    return response


@login_required
@require_GET
def member_export(request):
    """The members the user may see, filtered like the member list (q, unit, status)."""
    scope = scope_for(request.user)
    unit = selectors.get_unit(scope, request.GET["unit"]) if request.GET.get("unit") else None
    members = selectors.search_members(
        scope,
        q=normalize(request.GET.get("q", "")),
        unit=unit,
        status=request.GET.get("status", ""),
    )
    out, _count = exporting.export_members(members, scope=scope, within=unit)
    name = f"dang-vien-{unit.code if unit else 'chibo'}-{timezone.localdate():%Y%m%d}.xlsx"
    return FileResponse(out, as_attachment=True, filename=name, content_type=XLSX)
