"""Writes to minutes templates and Word templates: one transaction each, audited.

Minutes templates are data (issue 3): an organisation board copies a template (shipped with
chibo, or one of a unit above) for a unit it manages and edits the copy — its name, the cell
type it is for, whether it is in use, and its sections. New meetings planned under that unit
use it (`services.template_for`); meetings already planned keep the sections copied into them.

A template keeps the sections that the finalisation checks (`checks.problems`) rely on: the
attendance list, a discussion item, the resolution and the approval of the minutes (for a
committee's preparatory meeting: attendance and discussion). Without them a meeting could be
finalised with no vote, no approval or no discussion at all.

Word templates (docxtpl syntax) are uploaded per unit and document (minutes or resolution).
An upload is checked before it is stored: a .docx of at most 5 MB that docxtpl can read, that
uses only the variables chibo's export provides (`exporting.export_context`) and that renders
with a sample of that data. Callers (views, API) check access through `template_selectors`.
"""

from __future__ import annotations

import io
import uuid
import zipfile
from typing import Any, NoReturn

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, F, Max, When
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from chibo.core import audit
from chibo.core.text import normalize, normalize_paragraphs
from chibo.org.models import CellType, Unit

from .attachment_services import clean_file_name, extension_of
from .models import (
    MeetingKind,
    MinutesTemplate,
    PrintDocument,
    SectionContent,
    TemplateSection,
    WordTemplate,
)

WORD_MAX_BYTES = 5 * 1024 * 1024
# A .docx is a zip: refuse one whose content unpacks to more than this (a "zip bomb").
WORD_MAX_UNPACKED_BYTES = 100 * 1024 * 1024
TITLE_MAX_LENGTH = 255
NAME_MAX_LENGTH = 200
# Positions are moved out of the way (above any real one) while sections are renumbered, so
# the unique (template, position) constraint holds after every single row update.
_PARKING = 10_000

# The sections a template of each kind must keep: the finalisation checks look for them.
NEEDED_CONTENTS: dict[str, tuple[str, ...]] = {
    MeetingKind.REGULAR: (SectionContent.ATTENDANCE, SectionContent.DISCUSSION,
                          SectionContent.RESOLUTION, SectionContent.APPROVAL),
    MeetingKind.COMBINED: (SectionContent.ATTENDANCE, SectionContent.DISCUSSION,
                           SectionContent.RESOLUTION, SectionContent.APPROVAL),
    MeetingKind.THEMATIC: (SectionContent.ATTENDANCE, SectionContent.DISCUSSION,
                           SectionContent.RESOLUTION, SectionContent.APPROVAL),
    MeetingKind.EXTRAORDINARY: (SectionContent.ATTENDANCE, SectionContent.DISCUSSION,
                                SectionContent.RESOLUTION, SectionContent.APPROVAL),
    MeetingKind.PREPARATORY: (SectionContent.ATTENDANCE, SectionContent.DISCUSSION),
}  # fmt: skip


def _why(content: str) -> str:
    """Why a template cannot do without a section holding `content`."""
    reasons = {
        SectionContent.ATTENDANCE: _(
            "the roster of the meeting is recorded there, and finalisation checks that the "
            "attendance adds up"
        ),
        SectionContent.DISCUSSION: _(
            "the speeches and the chair's conclusion are recorded there, and finalisation checks "
            "that each discussion item has a speech and a conclusion with content"
        ),
        SectionContent.RESOLUTION: _(
            "the resolution and its vote are recorded there; without it a meeting could be "
            "finalised with no resolution and no vote"
        ),
        SectionContent.APPROVAL: _(
            "the vote approving the minutes is recorded there; without it minutes could be "
            "finalised without being approved"
        ),
    }
    return str(reasons[content])


# --- helpers -----------------------------------------------------------------------------------
def _audit(template_or_unit_path: str, by, action: str, obj, **changes) -> None:
    audit.record(actor=by, action=action, obj=obj, unit_path=template_or_unit_path,
                 changes=changes)  # fmt: skip


def _path(template: MinutesTemplate) -> str:
    return template.unit.path if template.unit_id else ""


def _require(condition: bool, message: str, field: str | None = None) -> None:
    if not condition:
        raise ValidationError({field: [message]} if field else message)


def _require_editable(template: MinutesTemplate) -> None:
    _require(
        template.unit_id is not None,
        _("The templates shipped with chibo cannot be changed: copy one for your unit and edit "
          "the copy."),
    )  # fmt: skip


def _locked(template: MinutesTemplate) -> MinutesTemplate:
    """The template row, locked for this transaction (edits of its sections are serialised)."""
    locked = MinutesTemplate.objects.select_for_update().get(pk=template.pk)
    locked.unit = template.unit if template.unit_id == locked.unit_id else locked.unit
    return locked


def _check_contents(template: MinutesTemplate, contents: list[str]) -> None:
    """Refuse a set of sections that a meeting of the template's kind cannot be recorded with."""
    _require(bool(contents), _("A template must keep at least one section."))
    missing = [c for c in NEEDED_CONTENTS.get(template.kind, ()) if c not in contents]
    if missing:
        content = missing[0]
        raise ValidationError(
            _("A template for a “%(kind)s” must keep a section of the kind “%(content)s”: "
              "%(why)s.")
            % {"kind": template.get_kind_display(),
               "content": SectionContent(content).label, "why": _why(content)}
        )  # fmt: skip


def _clean_section(title: str, content: str, guidance: str) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    title = normalize(title)
    if not title:
        errors["title"] = [_("Enter the title of the section.")]
    elif len(title) > TITLE_MAX_LENGTH:
        errors["title"] = [_("The title is too long (at most %(n)s characters).")
                           % {"n": TITLE_MAX_LENGTH}]  # fmt: skip
    if content not in SectionContent.values:
        errors["content"] = [_("Choose what the section holds.")]
    if errors:
        raise ValidationError(errors)
    return {"title": title, "content": content, "guidance": normalize_paragraphs(guidance)}


def _clean_name(name: str) -> str:
    name = normalize(name)
    _require(bool(name), _("Enter the name of the template."), "name")
    _require(len(name) <= NAME_MAX_LENGTH,
             _("The name is too long (at most %(n)s characters).") % {"n": NAME_MAX_LENGTH},
             "name")  # fmt: skip
    return name


def _clean_cell_type(cell_type: str | None) -> str:
    cell_type = cell_type or ""
    _require(cell_type == "" or cell_type in CellType.values,
             _("Choose a cell type, or none for every cell."), "cell_type")  # fmt: skip
    return cell_type


def _renumber(template: MinutesTemplate, ordered_ids: list[int]) -> None:
    """Give the sections positions 1..n in this order. Two updates: all rows are parked above
    every real position first, so no single row update ever collides with another row."""
    sections = TemplateSection.objects.filter(template=template)
    sections.update(position=F("position") + _PARKING)
    if ordered_ids:
        sections.filter(pk__in=ordered_ids).update(
            position=Case(*(When(pk=pk, then=i) for i, pk in enumerate(ordered_ids, start=1)))
        )


def _retire_others(template: MinutesTemplate, by) -> None:
    """Only one template is in use per unit, kind and cell type: the others are retired."""
    others = MinutesTemplate.objects.filter(
        unit_id=template.unit_id, kind=template.kind, cell_type=template.cell_type,
        is_active=True,
    ).exclude(pk=template.pk)  # fmt: skip
    for other in others:
        other.is_active = False
        other.save(update_fields=["is_active"])
        _audit(_path(template), by, "template.retire", other, is_active=[True, False],
               replaced_by=template.pk)  # fmt: skip


# --- minutes templates -------------------------------------------------------------------------
@transaction.atomic
def template_copy(*, template: MinutesTemplate, unit: Unit, name: str, by) -> MinutesTemplate:
    """A copy of `template` (with its sections) attached to `unit`, in use for its subtree."""
    name = _clean_name(name)
    _require(unit.is_active, _("Choose an active unit."), "unit")
    copy = MinutesTemplate.objects.create(
        name=name, kind=template.kind, cell_type=template.cell_type, unit=unit,
        source=template.source, copied_from=template, is_active=True,
    )  # fmt: skip
    TemplateSection.objects.bulk_create(
        TemplateSection(
            template=copy,
            position=s.position,
            title=s.title,
            guidance=s.guidance,
            required=s.required,
            content=s.content,
        )  # fmt: skip
        for s in template.sections.order_by("position")
    )
    ids = list(copy.sections.order_by("position").values_list("pk", flat=True))
    _renumber(copy, ids)  # 1..n even if the original had gaps
    _retire_others(copy, by)
    _audit(unit.path, by, "template.copy", copy, name=name, copied_from=template.pk,
           unit=unit.code, sections=len(ids))  # fmt: skip
    return copy


@transaction.atomic
def template_update(
    *, template: MinutesTemplate, by, name: str | None = None, cell_type: str | None = None,
    is_active: bool | None = None,
) -> MinutesTemplate:  # fmt: skip
    """Rename, change the cell type it is for, or take in / out of use."""
    _require_editable(template)
    template = _locked(template)
    fields: dict[str, Any] = {}
    if name is not None:
        fields["name"] = _clean_name(name)
    if cell_type is not None:
        fields["cell_type"] = _clean_cell_type(cell_type)
    if is_active is not None:
        fields["is_active"] = bool(is_active)
    old = {k: getattr(template, k) for k in fields}
    for key, value in fields.items():
        setattr(template, key, value)
    if fields:
        template.save(update_fields=list(fields))
    if template.is_active and ({"cell_type", "is_active"} & set(fields)):
        _retire_others(template, by)
    changes = audit.diff(old, fields)
    if changes:
        _audit(_path(template), by, "template.update", template, **changes)
    return template


@transaction.atomic
def section_add(
    *, template: MinutesTemplate, by, title: str, content: str, required: bool = False,
    guidance: str = "", position: int | None = None,
) -> TemplateSection:  # fmt: skip
    """A new section, at the end or at `position` (1 = first)."""
    _require_editable(template)
    template = _locked(template)
    data = _clean_section(title, content, guidance)
    ids = list(template.sections.order_by("position").values_list("pk", flat=True))
    last = template.sections.aggregate(m=Max("position"))["m"] or 0
    section = TemplateSection.objects.create(
        template=template, position=last + 1, required=bool(required), **data
    )
    if position is not None:
        _require(1 <= position <= len(ids) + 1,
                 _("Choose a position between 1 and %(n)s.") % {"n": len(ids) + 1},
                 "position")  # fmt: skip
        ids.insert(position - 1, section.pk)
    else:
        ids.append(section.pk)
    _renumber(template, ids)
    section.refresh_from_db(fields=["position"])
    _audit(_path(template), by, "template.section.add", section, template=template.pk,
           title=data["title"], content=content, position=section.position)  # fmt: skip
    return section


@transaction.atomic
def section_update(
    *, section: TemplateSection, by, title: str | None = None, content: str | None = None,
    required: bool | None = None, guidance: str | None = None,
) -> TemplateSection:  # fmt: skip
    template = section.template
    _require_editable(template)
    template = _locked(template)
    section = TemplateSection.objects.get(pk=section.pk, template=template)
    data = _clean_section(
        section.title if title is None else title,
        section.content if content is None else content,
        section.guidance if guidance is None else guidance,
    )
    fields: dict[str, Any] = {
        k: v for k, v in data.items()
        if {"title": title, "content": content, "guidance": guidance}[k] is not None
    }  # fmt: skip
    if required is not None:
        fields["required"] = bool(required)
    if "content" in fields and fields["content"] != section.content:
        others = list(template.sections.exclude(pk=section.pk).values_list("content", flat=True))
        _check_contents(template, [*others, fields["content"]])
    old = {k: getattr(section, k) for k in fields}
    for key, value in fields.items():
        setattr(section, key, value)
    if fields:
        section.save(update_fields=list(fields))
    changes = audit.diff(old, fields)
    if changes:
        _audit(_path(template), by, "template.section.update", section, template=template.pk,
               **changes)  # fmt: skip
    section.template = template
    return section


@transaction.atomic
def section_move(*, section: TemplateSection, by, direction: str) -> TemplateSection:
    """Swap the section with the one above ("up") or below ("down"); at an end, no change."""
    _require(direction in ("up", "down"), _("Move a section up or down."), "direction")
    template = section.template
    _require_editable(template)
    template = _locked(template)
    ids = list(template.sections.order_by("position").values_list("pk", flat=True))
    _require(section.pk in ids, _("This section is no longer in the template."))
    i = ids.index(section.pk)
    j = i - 1 if direction == "up" else i + 1
    if 0 <= j < len(ids):
        ids[i], ids[j] = ids[j], ids[i]
        _renumber(template, ids)
        _audit(_path(template), by, "template.section.move", section, template=template.pk,
               title=section.title, position=[i + 1, j + 1])  # fmt: skip
    section.refresh_from_db(fields=["position"])
    section.template = template
    return section


@transaction.atomic
def section_delete(*, section: TemplateSection, by) -> None:
    template = section.template
    _require_editable(template)
    template = _locked(template)
    rest = list(template.sections.exclude(pk=section.pk).order_by("position"))
    _check_contents(template, [s.content for s in rest])
    _audit(_path(template), by, "template.section.delete", section, template=template.pk,
           title=section.title, content=section.content, position=section.position)  # fmt: skip
    TemplateSection.objects.filter(pk=section.pk).delete()
    _renumber(template, [s.pk for s in rest])


# --- Word templates ------------------------------------------------------------------------------
# The names the Word templates may use: the top-level keys of `exporting.export_context`.
# `SAMPLE_CONTEXT` has the same shape (tests compare it with a real export) and is what an
# upload is test-rendered with.
_SAMPLE_SECTION = {"number": 1, "title": "Đánh giá kết quả thực hiện nhiệm vụ tháng trước",
                   "kind": "discussion", "text": "Nội dung.",
                   "speeches": [{"speaker": "Nguyễn Văn A", "text": "Ý kiến phát biểu."}],
                   "conclusion": "Kết luận của chủ trì."}  # fmt: skip
SAMPLE_CONTEXT: dict[str, Any] = {
    "draft": False,
    "hash": "0" * 64,
    "header": {"upper": "ĐẢNG BỘ XÃ HÒA BÌNH", "issuer": "CHI BỘ THÔN ĐÔNG",
               "place_date": "Hòa Bình, ngày 05 tháng 11 năm 2026"},
    "title": "BIÊN BẢN",
    "subtitle": "SINH HOẠT CHI BỘ THƯỜNG KỲ THÁNG 11 NĂM 2026",
    "topic": "",
    "meeting": {"cell_name": "Chi bộ thôn Đông", "place": "Nhà văn hóa thôn",
                "date": "ngày 05 tháng 11 năm 2026", "date_short": "05/11/2026",
                "start": "14 giờ 00 phút", "end": "16 giờ 00 phút",
                "activity": "sinh hoạt chi bộ thường kỳ tháng 11 năm 2026"},
    "attendance": {"total": 3, "official": 2, "probationary": 1, "attached": 0, "exempted": 0,
                   "away": 0, "present": 3, "present_official": 2, "present_probationary": 1,
                   "present_attached": 0, "rate": "100%", "absent_excused": "không",
                   "absent_unexcused": "không", "exempt_absent": "", "late": "",
                   "upper_attendees": "", "guests": "", "chair": "Nguyễn Văn A",
                   "clerk": "Trần Thị B"},
    "sections": [_SAMPLE_SECTION],
    "resolution": {"number": "05-NQ/CB", "number_line": "Số 05-NQ/CB", "text": "Nghị quyết.",
                   "vote": "2/2 đồng chí tán thành", "title": "Sinh hoạt chi bộ thường kỳ",
                   "evaluation": ["Đánh giá."], "directions": ["Phương hướng."],
                   "quality": ["Chất lượng."], "behalf": "T/M CHI BỘ", "signer_title": "BÍ THƯ",
                   "signer": "Nguyễn Văn A", "recipients": ["Lưu chi bộ"]},
    "assignments": [{"what": "Việc cần làm", "who": "đồng chí Trần Thị B",
                     "deadline": "30/11/2026"}],
    "remarks": "",
    "minutes_vote": "3 đồng chí tán thành",
    "sign": {"left_title": "THƯ KÝ", "left_name": "Trần Thị B",
             "right_title": "T/M CHI BỘ\nBÍ THƯ", "right_name": "Nguyễn Văn A"},
    "addenda": [{"number": 1, "when": "08:00 ngày 06/11/2026", "author": "Nguyễn Văn A",
                 "part": "Phần I", "text": "Sửa.", "reason": "Ghi nhầm.", "hash": "0" * 64}],
    "has_resolution": True,
}  # fmt: skip
CONTEXT_NAMES = frozenset(SAMPLE_CONTEXT)


def _refuse(message: str) -> NoReturn:
    raise ValidationError({"file": [message]})


def _jinja_message(error: Exception) -> str:
    """Jinja's own message, without the "File <template>, line n" it appends."""
    return str(getattr(error, "message", None) or error).split("\n")[0].strip().rstrip(".")


def _read_upload(upload) -> bytes:
    upload.seek(0)
    content = upload.read()
    upload.seek(0)
    return content


def check_word_template(upload) -> dict[str, Any]:
    """Refuse (ValidationError on "file") what cannot be used as a Word template; otherwise the
    cleaned name and the bytes."""
    from docxtpl import DocxTemplate
    from jinja2 import Environment, TemplateError

    if upload is None:
        _refuse(_("Choose the Word file (.docx) to upload."))
    name = clean_file_name(upload.name)
    if extension_of(name) != "docx":
        _refuse(_("A Word template must be a .docx file (Word 2007 or later). Open it in Word "
                  "and save it as “Word Document (*.docx)”."))  # fmt: skip
    size = upload.size or 0
    if size == 0:
        _refuse(_("The file is empty."))
    if size > WORD_MAX_BYTES:
        _refuse(_("The file is too big (%(size)s); a Word template may be at most %(limit)s.")
                % {"size": filesizeformat(size), "limit": filesizeformat(WORD_MAX_BYTES)})  # fmt: skip
    content = _read_upload(upload)
    unreadable = _("Word cannot open this file as a .docx document. Open it in Word and save it "
                   "again as “Word Document (*.docx)”.")  # fmt: skip
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as package:
            names = package.namelist()
            unpacked = sum(info.file_size for info in package.infolist())
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError, NotImplementedError):
        _refuse(unreadable)
    if "[Content_Types].xml" not in names or "word/document.xml" not in names:
        _refuse(unreadable)
    if unpacked > WORD_MAX_UNPACKED_BYTES:
        _refuse(unreadable)
    environment = Environment()
    try:
        used = DocxTemplate(io.BytesIO(content)).get_undeclared_template_variables(environment)
    except TemplateError as error:
        _refuse(_("The template has a mistake in its fields (line %(line)s): %(error)s. Check "
                  "the {{ … }} and {%% … %%} in the document.")
                % {"line": getattr(error, "lineno", "?"), "error": _jinja_message(error)})  # fmt: skip
    except Exception:  # anything python-docx cannot parse is unreadable
        _refuse(unreadable)
    unknown = sorted(set(used) - CONTEXT_NAMES - set(environment.globals))
    if unknown:
        _refuse(_("The template uses names that chibo does not provide: %(unknown)s. The names "
                  "it can use are: %(known)s.")
                % {"unknown": ", ".join(unknown), "known": ", ".join(sorted(CONTEXT_NAMES))})  # fmt: skip
    try:
        trial = DocxTemplate(io.BytesIO(content))
        trial.render(SAMPLE_CONTEXT, autoescape=True)
        trial.save(io.BytesIO())
    except TemplateError as error:
        _refuse(_("The template cannot be filled in with a meeting's data: %(error)s. Check the "
                  "fields in the document.") % {"error": _jinja_message(error)})  # fmt: skip
    except Exception:  # a broken package python-docx trips over
        _refuse(unreadable)
    return {"name": name, "content": content, "size": size}


@transaction.atomic
def word_template_upload(*, unit: Unit, document: str, upload, by) -> WordTemplate:
    """Store a checked Word template for `unit` and take it into use; the one in use before
    for the same unit and document is kept, inactive."""
    if document not in PrintDocument.values:
        raise ValidationError({"document": [_("Choose the document: minutes or resolution.")]})
    _require(unit.is_active, _("Choose an active unit."), "unit")
    checked = check_word_template(upload)
    Unit.objects.select_for_update().filter(pk=unit.pk).first()  # one upload at a time per unit
    previous = list(WordTemplate.objects.filter(unit=unit, document=document, is_active=True))
    template = WordTemplate(unit=unit, document=document, name=checked["name"], uploaded_by=by)
    template.file.save(f"{uuid.uuid4().hex}.docx", io.BytesIO(checked["content"]), save=False)
    try:
        template.save()
        for old in previous:
            old.is_active = False
            old.save(update_fields=["is_active"])
            _audit(unit.path, by, "word_template.deactivate", old, is_active=[True, False],
                   replaced_by=template.pk)  # fmt: skip
        _audit(unit.path, by, "word_template.upload", template, document=document,
               name=template.name, size=checked["size"], file=template.file.name)  # fmt: skip
    except BaseException:
        template.file.delete(save=False)
        raise
    return template


@transaction.atomic
def word_template_deactivate(*, template: WordTemplate, by) -> WordTemplate:
    """Stop using an uploaded Word template: the unit's documents fall back to the one of a unit
    above, or to the one shipped with chibo. The file is kept."""
    updated = WordTemplate.objects.filter(pk=template.pk, is_active=True).update(is_active=False)
    _require(bool(updated), _("This Word template is not in use any more."))
    template.is_active = False
    _audit(template.unit.path, by, "word_template.deactivate", template, is_active=[True, False],
           document=template.document, name=template.name)  # fmt: skip
    return template
