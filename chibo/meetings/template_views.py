"""Pages of the minutes templates and the Word templates an organisation board edits. Thin:
parse, call `template_selectors` or `template_services`, render.

Access (`template_selectors`): the pages are for users who manage units (officers, admins);
the list answers 403 to the others, and a template or Word template outside what the user sees
answers 404. A template the user sees but may not change (shipped with chibo, or attached to a
unit above them) answers 403 to changes. The section actions answer with the section list when
htmx asks (422 with the message in place when refused), otherwise they redirect.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chibo.accounts.access import scope_for
from chibo.core.http import is_htmx
from chibo.org import selectors as org_selectors
from chibo.org.forms import run_form

from . import exporting
from . import template_selectors as selectors
from . import template_services as services
from .models import MeetingKind, PrintDocument, SectionContent
from .template_forms import (
    MoveForm,
    SectionAddForm,
    SectionForm,
    TemplateCopyForm,
    TemplateForm,
    WordTemplateUploadForm,
)

DOCX = exporting.CONTENT_TYPES["docx"]


def _allow(condition: bool) -> None:
    if not condition:
        raise PermissionDenied



def _template(request, pk: int, *, edit: bool = False):
    """The template the user sees (404 otherwise); with `edit`, one they may change (403)."""
    scope = scope_for(request.user)
    template = selectors.get_template(scope, pk)
    if edit:
        _allow(selectors.can_edit_template(scope, template))
    return scope, template


def _detail_url(template, section=None) -> str:
    url = reverse("minutes_template_detail", args=[template.pk])
    return url + (f"#section-{section.pk}" if section is not None else "#sections")


def _section_forms(sections, bound=None) -> list:
    """Each section with its edit form; `bound` replaces the form of one section (errors)."""
    rows = []
    for section in sections:
        if bound is not None and bound.section_pk == section.pk:
            rows.append((section, bound))
            continue
        form = SectionForm(prefix=f"s{section.pk}", initial={
            "title": section.title, "content": section.content, "required": section.required,
            "guidance": section.guidance,
        })  # fmt: skip
        rows.append((section, form))
    return rows


def _sections_context(template, *, can_edit: bool, bound=None, add_form=None, errors=None):
    sections = selectors.template_sections(template)
    return {
        "template": template,
        "can_edit": can_edit,
        "rows": _section_forms(sections, bound) if can_edit else [(s, None) for s in sections],
        "count": len(sections),
        "add_form": add_form or (SectionAddForm(prefix="new") if can_edit else None),
        "section_errors": errors or [],
    }


def _sections_answer(request, template, *, section=None, status=200, **context):
    """htmx: the section list (with the refusal in place); otherwise back to the page."""
    if is_htmx(request):
        return render(request, "meetings/templates/_sections.html",
                      _sections_context(template, can_edit=True, **context), status=status)  # fmt: skip
    for message in context.get("errors") or []:
        messages.error(request, message)
    for form in (context.get("bound"), context.get("add_form")):
        if form is not None:
            for field_errors in form.errors.values():
                for message in field_errors:
                    messages.error(request, message)
    return redirect(_detail_url(template, section))


# --- minutes templates -------------------------------------------------------------------------
@login_required
@require_GET
def template_list(request):
    scope = scope_for(request.user)
    _allow(selectors.can_see_templates(scope))
    kind = request.GET.get("kind") or None
    if kind not in MeetingKind.values:
        kind = None
    templates = list(selectors.template_list(scope, kind=kind))
    for template in templates:
        template.cell_type_label = selectors.cell_type_label(template.cell_type)
    groups = []
    for value, label in MeetingKind.choices:
        items = [(t, selectors.can_edit_template(scope, t)) for t in templates if t.kind == value]
        if items:
            groups.append({"kind": value, "label": label, "items": items})
    return render(request, "meetings/templates/template_list.html", {
        "groups": groups, "kind": kind, "kinds": MeetingKind.choices,
        "units": selectors.top_managed_units(scope),
    })  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def template_detail(request, pk: int):
    """GET: the template and its sections; POST: its name, cell type and use (editors)."""
    scope, template = _template(request, pk)
    template.cell_type_label = selectors.cell_type_label(template.cell_type)
    can_edit = selectors.can_edit_template(scope, template)
    if request.method == "POST":
        _allow(can_edit)
    form = None
    if can_edit:
        form = TemplateForm(request.POST or None, initial={
            "name": template.name, "cell_type": template.cell_type,
            "is_active": template.is_active,
        })  # fmt: skip
        done = run_form(request, form, lambda d: services.template_update(
            template=template, by=request.user, **d))  # fmt: skip
        if done:
            messages.success(request, _("Changes saved."))
            return redirect("minutes_template_detail", pk=template.pk)
    context = _sections_context(template, can_edit=can_edit) | {
        "form": form,
        "can_copy": selectors.can_see_templates(scope),
        "contents": SectionContent.choices,
    }
    return render(request, "meetings/templates/template_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def template_copy(request, pk: int):
    scope, template = _template(request, pk)
    units = selectors.managed_units(scope)
    tops = selectors.top_managed_units(scope)
    form = TemplateCopyForm(request.POST or None, units=units, initial={
        "unit": tops[0].code if len(tops) == 1 else "", "name": template.name,
    })  # fmt: skip
    copy = run_form(request, form, lambda d: services.template_copy(
        template=template, unit=d["unit"], name=d["name"], by=request.user))  # fmt: skip
    if copy:
        messages.success(request, _("The copy for %(unit)s is in use for new meetings. Edit it "
                                    "below.") % {"unit": copy.unit.name})  # fmt: skip
        return redirect("minutes_template_detail", pk=copy.pk)
    return render(request, "meetings/templates/template_copy.html",
                  {"form": form, "template": template})  # fmt: skip


@login_required
@require_POST
def section_add(request, pk: int):
    _scope, template = _template(request, pk, edit=True)
    form = SectionAddForm(request.POST, prefix="new")
    section = run_form(request, form, lambda d: services.section_add(
        template=template, by=request.user, **d))  # fmt: skip
    if section is None:
        return _sections_answer(request, template, status=422, add_form=form)
    if not is_htmx(request):
        messages.success(request, _("Section added."))
    return _sections_answer(request, template, section=section)


def _section(request, pk: int, section_pk: int):
    _scope, template = _template(request, pk, edit=True)
    return template, selectors.get_section(template, section_pk)


@login_required
@require_POST
def section_edit(request, pk: int, section_pk: int):
    template, section = _section(request, pk, section_pk)
    form = SectionForm(request.POST, prefix=f"s{section.pk}")
    form.section_pk = section.pk
    done = run_form(request, form, lambda d: services.section_update(
        section=section, by=request.user, **d))  # fmt: skip
    if done is None:
        return _sections_answer(request, template, section=section, status=422, bound=form)
    if not is_htmx(request):
        messages.success(request, _("Changes saved."))
    return _sections_answer(request, template, section=section)


@login_required
@require_POST
def section_move(request, pk: int, section_pk: int):
    template, section = _section(request, pk, section_pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        return _sections_answer(request, template, section=section, status=422,
                                errors=[_("Move a section up or down.")])  # fmt: skip
    services.section_move(section=section, by=request.user,
                          direction=form.cleaned_data["direction"])  # fmt: skip
    return _sections_answer(request, template, section=section)


@login_required
@require_POST
def section_delete(request, pk: int, section_pk: int):
    template, section = _section(request, pk, section_pk)
    try:
        services.section_delete(section=section, by=request.user)
    except ValidationError as error:
        return _sections_answer(request, template, section=section, status=422,
                                errors=error.messages)  # fmt: skip
    if not is_htmx(request):
        messages.success(request, _("Section “%(title)s” deleted.") % {"title": section.title})
    return _sections_answer(request, template)


# --- Word templates ----------------------------------------------------------------------------
def _managed_unit(request, pk: int):
    """A unit the user sees (404 otherwise) and manages (403 otherwise)."""
    scope = scope_for(request.user)
    unit = org_selectors.get_unit(scope, pk)
    _allow(scope.can_manage_unit(unit))
    return scope, unit


@login_required
@require_http_methods(["GET", "POST"])
def word_templates(request, pk: int):
    """GET: the Word templates in use for the unit's documents, and its uploads; POST: upload."""
    scope, unit = _managed_unit(request, pk)
    form = WordTemplateUploadForm(request.POST or None, request.FILES or None)
    uploaded = run_form(request, form, lambda d: services.word_template_upload(
        unit=unit, document=d["document"], upload=d["file"], by=request.user))  # fmt: skip
    if uploaded:
        messages.success(request, _("“%(name)s” is now used for the %(document)s of %(unit)s.")
                         % {"name": uploaded.name, "unit": unit.name,
                            "document": uploaded.get_document_display().lower()})  # fmt: skip
        return redirect("word_templates", pk=unit.pk)
    in_use = [
        {"document": value, "label": label, "template": selectors.word_template_for(unit, value)}
        for value, label in PrintDocument.choices
    ]
    return render(request, "meetings/templates/word_templates.html", {
        "unit": unit, "form": form, "in_use": in_use,
        "uploads": selectors.unit_word_templates(unit),
        "ancestors": [*org_selectors.visible_ancestors(scope, unit), unit],
        "max_mb": services.WORD_MAX_BYTES // (1024 * 1024),
        "names": sorted(services.CONTEXT_NAMES),
    }, status=422 if request.method == "POST" else 200)  # fmt: skip


def _docx_response(handle, name: str) -> FileResponse:
    response = FileResponse(handle, as_attachment=True, filename=name, content_type=DOCX)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def word_template_file(template) -> FileResponse:
    try:
        handle = template.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    return _docx_response(handle, template.name)


def shipped_word_template_file(document: str) -> FileResponse:
    if document not in PrintDocument.values:
        raise Http404
    path = exporting.word_template(document)
    return _docx_response(path.open("rb"), f"{exporting.FILE_STEMS[document]}-mau.docx")


@login_required
@require_GET
def word_template_download(request, pk: int):
    scope = scope_for(request.user)
    return word_template_file(selectors.get_word_template(scope, pk))


@login_required
@require_GET
def shipped_word_template_download(request, document: str):
    _allow(selectors.can_see_templates(scope_for(request.user)))
    return shipped_word_template_file(document)


@login_required
@require_POST
def word_template_deactivate(request, pk: int):
    scope = scope_for(request.user)
    template = selectors.get_word_template(scope, pk)
    _allow(scope.can_manage_unit(template.unit))
    try:
        services.word_template_deactivate(template=template, by=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("“%(name)s” is no longer used.") % {"name": template.name})
    return redirect("word_templates", pk=template.unit_id)
