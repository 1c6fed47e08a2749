"""API routes for minutes templates (mẫu biên bản) and Word templates (mẫu Word).

Access (`template_selectors`): for users who manage units (officers, admins). They see the
templates shipped with chibo and those attached to units inside their managed subtrees or
above them, and change only those attached to units they manage. The list answers 403 to
anyone else; a template outside what the caller sees answers 404; a change to a template the
caller only reads (shipped, or of a unit above) answers 403. A refused change answers 422 with
the reason (for example a template must keep its attendance, discussion, resolution and
approval sections, which the finalisation checks rely on). Meetings already planned keep their
own sections: editing a template only changes the meetings planned after.
"""

from __future__ import annotations

import datetime
from typing import Literal

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import ConfigDict

from chibo.accounts.access import Scope, scope_for
from chibo.org import selectors as org_selectors
from chibo.org.api import CellRef, ErrorOut, ValidationErrorOut
from chibo.org.models import CellType, Unit

from . import template_selectors as selectors
from . import template_services as services
from . import template_views
from .models import (
    MeetingKind,
    MinutesTemplate,
    PrintDocument,
    SectionContent,
    TemplateSection,
    WordTemplate,
)

router = Router(tags=["templates"])

CHANGE = {403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut}


# --- schemas -------------------------------------------------------------------------------------
class _In(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class TemplateSectionOut(Schema):
    id: int
    position: int = Field(description="1 = first; positions are 1..n without gaps.")
    title: str = Field(description="Title (tiêu đề mục).")
    guidance: str = Field(description="Guidance for the clerk (hướng dẫn ghi).")
    required: bool = Field(description="Must be filled in before the minutes are finalised.")
    content: str = Field(description="What it holds: " + ", ".join(SectionContent.values))
    content_label: str


class TemplateOut(Schema):
    """A minutes template (mẫu biên bản)."""

    id: int
    name: str
    kind: str = Field(description="Meeting kind: " + ", ".join(MeetingKind.values))
    kind_label: str
    cell_type: str = Field(description="Cell type it is for; empty: every cell type.")
    cell_type_label: str
    unit: CellRef | None = Field(description="The unit whose subtree uses it; null: shipped.")
    source: str = Field(description="The guidance it follows (văn bản hướng dẫn).")
    copied_from_id: int | None
    is_active: bool = Field(description="In use for new meetings.")
    section_count: int
    can_edit: bool = Field(description="You may change it (attached to a unit you manage).")


class TemplateDetailOut(TemplateOut):
    sections: list[TemplateSectionOut]


class TemplatePage(Schema):
    count: int = Field(description="Number of templates matching, over all pages.")
    limit: int
    offset: int
    items: list[TemplateOut]


class TemplateQuery(Schema):
    kind: MeetingKind | None = Field(None, description="Only templates for this meeting kind.")
    limit: int = Field(50, ge=1, le=500, description="Page size, at most 500.")
    offset: int = Field(0, ge=0, description="Number of templates to skip.")


class TemplateCopyIn(_In):
    unit_id: int = Field(description="A unit you manage: new meetings under it use the copy.")
    name: str = Field(max_length=200, description="Name of the copy.")


class TemplateUpdateIn(_In):
    name: str | None = Field(None, max_length=200)
    cell_type: CellType | Literal[""] | None = Field(
        None, description="A cell type, or empty for every cell type."
    )
    is_active: bool | None = Field(None, description="In use for new meetings.")


class SectionIn(_In):
    title: str = Field(max_length=255)
    content: SectionContent
    required: bool = False
    guidance: str = ""
    position: int | None = Field(None, ge=1, description="1 = first; null: at the end.")


class SectionUpdateIn(_In):
    title: str | None = Field(None, max_length=255)
    content: SectionContent | None = None
    required: bool | None = None
    guidance: str | None = None


class MoveIn(_In):
    direction: Literal["up", "down"]


class WordTemplateOut(Schema):
    """A Word template uploaded for a unit (docxtpl syntax)."""

    id: int
    unit: CellRef
    document: str = Field(description="minutes or resolution.")
    document_label: str
    name: str = Field(description="The original file name.")
    uploaded_by: str
    uploaded_at: datetime.datetime
    is_active: bool
    download_url: str


class WordTemplateInUseOut(Schema):
    document: str
    document_label: str
    template: WordTemplateOut | None = Field(
        description="The uploaded template in use (of this unit or one above); null: shipped."
    )
    download_url: str = Field(description="The file in use now.")
    shipped_url: str = Field(description="The template shipped with chibo.")


class UnitWordTemplatesOut(Schema):
    unit: CellRef
    in_use: list[WordTemplateInUseOut]
    uploads: list[WordTemplateOut] = Field(description="Uploaded for this unit, newest first.")


# --- helpers ---------------------------------------------------------------------------------------
def _cell(unit: Unit | None) -> dict | None:
    return None if unit is None else {"id": unit.pk, "code": unit.code, "name": unit.name}


def _section_out(section: TemplateSection) -> dict:
    return {
        "id": section.pk,
        "position": section.position,
        "title": section.title,
        "guidance": section.guidance,
        "required": section.required,
        "content": section.content,
        "content_label": str(section.get_content_display()),
    }


def _template_out(scope: Scope, template: MinutesTemplate, count: int | None = None) -> dict:
    if count is None:
        count = getattr(template, "section_count", None)
    if count is None:
        count = template.sections.count()
    return {
        "id": template.pk,
        "name": template.name,
        "kind": template.kind,
        "kind_label": str(template.get_kind_display()),
        "cell_type": template.cell_type,
        "cell_type_label": selectors.cell_type_label(template.cell_type),
        "unit": _cell(template.unit),
        "source": template.source,
        "copied_from_id": template.copied_from_id,
        "is_active": template.is_active,
        "section_count": count,
        "can_edit": selectors.can_edit_template(scope, template),
    }


def _template_detail_out(scope: Scope, template: MinutesTemplate) -> dict:
    sections = selectors.template_sections(template)
    return _template_out(scope, template, len(sections)) | {
        "sections": [_section_out(s) for s in sections]
    }


def _word_out(template: WordTemplate) -> dict:
    return {
        "id": template.pk,
        "unit": _cell(template.unit),
        "document": template.document,
        "document_label": str(template.get_document_display()),
        "name": template.name,
        "uploaded_by": template.uploaded_by.display_name,
        "uploaded_at": template.uploaded_at,
        "is_active": template.is_active,
        "download_url": reverse("api:word_template_file", args=[template.pk]),
    }


def _scope(request: HttpRequest) -> Scope:
    return scope_for(request.auth)


def _editable(request: HttpRequest, template_id: int) -> tuple[Scope, MinutesTemplate]:
    scope = _scope(request)
    template = selectors.get_template(scope, template_id)
    if not selectors.can_edit_template(scope, template):
        raise PermissionDenied(
            _("This template is read-only for you: copy it for a unit you manage to change it.")
        )
    return scope, template


def _managed_unit(scope: Scope, unit_id: int) -> Unit:
    unit = org_selectors.get_unit(scope, unit_id)
    if not scope.can_manage_unit(unit):
        raise PermissionDenied(_("Only the organisation board of this unit may do this."))
    return unit


# --- minutes templates -----------------------------------------------------------------------------
@router.get(
    "/minutes-templates",
    response={200: TemplatePage, 403: ErrorOut},
    summary="The minutes templates you see, by meeting kind",
)
def template_list(request: HttpRequest, filters: Query[TemplateQuery]):
    scope = _scope(request)
    if not selectors.can_see_templates(scope):
        raise PermissionDenied(_("Only an organisation board manages minutes templates."))
    kind = filters.kind.value if filters.kind is not None else None
    templates = selectors.template_list(scope, kind=kind)
    count = templates.count()
    page = templates[filters.offset : filters.offset + filters.limit] if count else []
    return {
        "count": count,
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [_template_out(scope, t) for t in page],
    }


@router.get(
    "/minutes-templates/{template_id}",
    response={200: TemplateDetailOut, 404: ErrorOut},
    summary="A minutes template with its sections",
)
def template_get(request: HttpRequest, template_id: int):
    scope = _scope(request)
    return _template_detail_out(scope, selectors.get_template(scope, template_id))


@router.patch(
    "/minutes-templates/{template_id}",
    response={200: TemplateDetailOut, **CHANGE},
    summary="Rename a template, change its cell type, or take it in or out of use",
)
def template_update(request: HttpRequest, template_id: int, data: TemplateUpdateIn):
    scope, template = _editable(request, template_id)
    fields = data.model_dump(exclude_unset=True)
    if fields.get("cell_type") is not None:
        fields["cell_type"] = str(getattr(fields["cell_type"], "value", fields["cell_type"]))
    fields = {k: v for k, v in fields.items() if v is not None}
    template = services.template_update(template=template, by=request.auth, **fields)
    return _template_detail_out(scope, template)


@router.post(
    "/minutes-templates/{template_id}/copy",
    response={201: TemplateDetailOut, **CHANGE},
    summary="Copy a template (with its sections) for a unit you manage",
)
def template_copy(request: HttpRequest, template_id: int, data: TemplateCopyIn):
    """The copy is in use for new meetings under the unit at once (an earlier template of the
    same unit, kind and cell type is taken out of use)."""
    scope = _scope(request)
    template = selectors.get_template(scope, template_id)
    unit = _managed_unit(scope, data.unit_id)
    copy = services.template_copy(template=template, unit=unit, name=data.name, by=request.auth)
    return Status(201, _template_detail_out(scope, copy))


@router.post(
    "/minutes-templates/{template_id}/sections",
    response={201: TemplateDetailOut, **CHANGE},
    summary="Add a section to a template",
)
def section_add(request: HttpRequest, template_id: int, data: SectionIn):
    scope, template = _editable(request, template_id)
    services.section_add(
        template=template, by=request.auth, title=data.title, content=data.content.value,
        required=data.required, guidance=data.guidance, position=data.position,
    )  # fmt: skip
    return Status(201, _template_detail_out(scope, template))


@router.patch(
    "/minutes-templates/{template_id}/sections/{section_id}",
    response={200: TemplateDetailOut, **CHANGE},
    summary="Change a section of a template",
)
def section_update(request: HttpRequest, template_id: int, section_id: int, data: SectionUpdateIn):
    scope, template = _editable(request, template_id)
    section = selectors.get_section(template, section_id)
    fields = {k: v for k, v in data.model_dump(exclude_unset=True).items() if v is not None}
    if "content" in fields:
        fields["content"] = str(getattr(fields["content"], "value", fields["content"]))
    services.section_update(section=section, by=request.auth, **fields)
    return _template_detail_out(scope, template)


@router.post(
    "/minutes-templates/{template_id}/sections/{section_id}/move",
    response={200: TemplateDetailOut, **CHANGE},
    summary="Move a section up or down",
)
def section_move(request: HttpRequest, template_id: int, section_id: int, data: MoveIn):
    scope, template = _editable(request, template_id)
    section = selectors.get_section(template, section_id)
    services.section_move(section=section, by=request.auth, direction=data.direction)
    return _template_detail_out(scope, template)


@router.delete(
    "/minutes-templates/{template_id}/sections/{section_id}",
    response={204: None, **CHANGE},
    summary="Delete a section from a template",
)
def section_delete(request: HttpRequest, template_id: int, section_id: int):
    """Refused (422) when the template would lose the last section that the finalisation
    checks need (attendance, discussion, resolution, approval)."""
    _scope_, template = _editable(request, template_id)
    section = selectors.get_section(template, section_id)
    services.section_delete(section=section, by=request.auth)
    return Status(204, None)


# --- Word templates -------------------------------------------------------------------------------
@router.get(
    "/units/{unit_id}/word-templates",
    response={200: UnitWordTemplatesOut, 403: ErrorOut, 404: ErrorOut},
    summary="The Word templates in use for a unit's documents, and those uploaded for it",
)
def word_template_list(request: HttpRequest, unit_id: int):
    scope = _scope(request)
    unit = _managed_unit(scope, unit_id)
    in_use = []
    for value, label in PrintDocument.choices:
        current = selectors.word_template_for(unit, value)
        uploaded = _word_out(current) if current else None
        shipped = reverse("api:shipped_word_template_file", args=[value])
        in_use.append({
            "document": value, "document_label": str(label), "template": uploaded,
            "download_url": uploaded["download_url"] if uploaded else shipped,
            "shipped_url": shipped,
        })  # fmt: skip
    return {
        "unit": _cell(unit),
        "in_use": in_use,
        "uploads": [_word_out(t) for t in selectors.unit_word_templates(unit)],
    }


@router.post(
    "/units/{unit_id}/word-templates",
    response={201: WordTemplateOut, **CHANGE},
    summary="Upload a Word template (.docx) for a unit's minutes or resolutions",
)
def word_template_upload(
    request: HttpRequest, unit_id: int, file: File[UploadedFile], document: Form[PrintDocument]
):
    """multipart/form-data with `document` (minutes or resolution) and `file` (.docx, at most
    5 MB). Refused (422) when it is not a readable .docx, or uses names chibo's export does not
    provide, or cannot be filled in with a meeting's data. The template in use before for the
    same unit and document is kept, out of use."""
    scope = _scope(request)
    unit = _managed_unit(scope, unit_id)
    template = services.word_template_upload(
        unit=unit, document=str(document.value), upload=file, by=request.auth
    )
    return Status(201, _word_out(template))


_DOCX_RESPONSE = {
    "responses": {
        200: {
            "description": "The .docx file, as an attachment.",
            "content": {template_views.DOCX: {"schema": {"type": "string", "format": "binary"}}},
        }  # fmt: skip
    }
}


@router.get(
    "/word-templates/{word_template_id}/file",
    response={404: ErrorOut},
    url_name="word_template_file",
    summary="Download an uploaded Word template",
    openapi_extra=_DOCX_RESPONSE,
)
def word_template_file(request: HttpRequest, word_template_id: int):
    scope = _scope(request)
    return template_views.word_template_file(selectors.get_word_template(scope, word_template_id))


@router.get(
    "/word-templates/shipped/{document}",
    response={403: ErrorOut, 404: ErrorOut},
    url_name="shipped_word_template_file",
    summary="Download the Word template shipped with chibo (minutes or resolution)",
    openapi_extra=_DOCX_RESPONSE,
)
def shipped_word_template_file(request: HttpRequest, document: PrintDocument):
    if not selectors.can_see_templates(_scope(request)):
        raise PermissionDenied(_("Only an organisation board manages Word templates."))
    return template_views.shipped_word_template_file(str(document.value))


@router.post(
    "/word-templates/{word_template_id}/deactivate",
    response={200: WordTemplateOut, **CHANGE},
    summary="Stop using an uploaded Word template",
)
def word_template_deactivate(request: HttpRequest, word_template_id: int):
    """The unit's documents fall back to the template of a unit above, or the shipped one."""
    scope = _scope(request)
    template = selectors.get_word_template(scope, word_template_id)
    if not scope.can_manage_unit(template.unit):
        raise PermissionDenied(_("Only the organisation board of this unit may do this."))
    template = services.word_template_deactivate(template=template, by=request.auth)
    return _word_out(template)
