"""Printing a meeting's minutes and resolution as Word (.docx) and PDF.

Both documents follow the party's document format (Hướng dẫn 36-HD/VPTW, 03/4/2018; DOMAIN.md
"The standard minutes"): A4, Times New Roman 14 pt, the issuing body top left (`ĐẢNG BỘ …` over
`CHI BỘ …` and a star), `ĐẢNG CỘNG SẢN VIỆT NAM` underlined top right with the place and date
in italics under it, the title, the content and the signature blocks. The resolution has the
sections of Hướng dẫn 42-HD/BTCTW (28/10/2025): I evaluation, II directions, III assignment,
IV self-assessment of the meeting's quality.

`export_context(meeting)` reads the record once (through `selectors`) into plain data — dicts,
lists and strings, every text in Vietnamese — that feeds both formats: the Word templates in
`word_templates/` (docxtpl; rebuilt by `scripts/build-word-templates`, editable in Word) and
the HTML templates in `templates/meetings/print/` (WeasyPrint). Minutes that are not finalised
print as a draft ("DỰ THẢO"), without a content hash.

The printed texts are Vietnamese on purpose, whatever the reader's language: they are party
documents, not screens.
"""

from __future__ import annotations

import datetime
import io
import logging
import re
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from chibo.core.text import fold
from chibo.org.models import Position, Unit

from . import checks, selectors, signals
from .models import Meeting, MeetingKind, Presence, RosterCategory, SectionContent

logger = logging.getLogger(__name__)
TEMPLATE_DIR = Path(__file__).resolve().parent / "word_templates"
DOCUMENTS = ("minutes", "resolution")
FORMATS = ("docx", "pdf")
CONTENT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}
FILE_STEMS = {"minutes": "bien-ban", "resolution": "nghi-quyet"}

# The meeting kind as it reads in the title ("BIÊN BẢN SINH HOẠT CHI BỘ THƯỜNG KỲ …").
KIND_TITLES = {
    MeetingKind.REGULAR: "SINH HOẠT CHI BỘ THƯỜNG KỲ",
    MeetingKind.THEMATIC: "SINH HOẠT CHI BỘ CHUYÊN ĐỀ",
    MeetingKind.COMBINED: "SINH HOẠT CHI BỘ THƯỜNG KỲ KẾT HỢP CHUYÊN ĐỀ",
    MeetingKind.EXTRAORDINARY: "SINH HOẠT CHI BỘ BẤT THƯỜNG",
    MeetingKind.PREPARATORY: "HỌP CHI ỦY CHUẨN BỊ NỘI DUNG SINH HOẠT CHI BỘ",
}
# Committee names → the party organisation they lead ("Tỉnh ủy Minh Sơn" → "tỉnh Minh Sơn").
_COMMITTEE_PREFIXES = [
    ("đảng ủy ", ""),
    ("đảng bộ ", ""),
    ("tỉnh ủy ", "tỉnh "),
    ("thành ủy ", "thành phố "),
    ("huyện ủy ", "huyện "),
    ("quận ủy ", "quận "),
    ("thị ủy ", "thị xã "),
]
# Administrative levels that name a place ("xã Hòa Bình" → "Hòa Bình") for the date line.
_LOCALITY = re.compile(
    r"^(?:xã|phường|thị trấn|đặc khu|tỉnh|thành phố|huyện|quận|thị xã)\s+(.+)$", re.IGNORECASE
)
# Characters that are not allowed in XML (Word) or that docxtpl would turn into layout.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
NBSP = "\u00a0"
# A cell with this many official members elects a committee (DOMAIN.md: ≥ 9 → chi ủy).
COMMITTEE_THRESHOLD = 9


class ExportUnavailable(RuntimeError):
    """The PDF engine (WeasyPrint and its system libraries) is not installed on this server."""

    message = gettext_lazy(
        "The server has no PDF engine (WeasyPrint and the Pango library), so the PDF cannot be "
        "made. Download the Word file (.docx) or ask the administrator to install it."
    )


class DocumentMissing(LookupError):
    """The meeting has no such document (a committee's preparatory meeting has no resolution)."""


# --- small formatting helpers ----------------------------------------------------------------
def printable(text: str | None) -> str:
    """A text as printed: control characters dropped, line breaks kept, no trailing space."""
    return _CONTROL.sub("", (text or "").replace("\r\n", "\n").replace("\r", "\n")).strip()


def vn_date(day: datetime.date) -> str:
    """The date as written: "ngày 05 tháng 11 năm 2026" (HD 36 pads days below 10 and the
    months 1 and 2)."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def vn_time(value: datetime.time | None) -> str:
    return f"{value.hour} giờ {value.minute:02d} phút" if value else "… giờ … phút"


def vn_hhmm(value: datetime.time | None) -> str:
    return f"{value.hour} giờ {value.minute:02d}" if value else "…"


def vn_percent(fraction: float | None) -> str:
    if fraction is None:
        return ""
    value = round(fraction * 100, 1)
    text = f"{value:.0f}" if value == int(value) else f"{value:.1f}".replace(".", ",")
    return f"{text}%"


def upper_vi(text: str) -> str:
    return text.upper()


def slug(text: str) -> str:
    """ASCII file-name part: "Chi bộ thôn Đông" → "chi-bo-thon-dong"."""
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-") or "chi-bo"


def _strip_prefix(name: str, prefix: str) -> str:
    return name[len(prefix) :] if name.lower().startswith(prefix) else name


def organisation_of(committee_name: str) -> str:
    """The party organisation a committee leads: "Đảng ủy xã Hòa Bình" → "xã Hòa Bình"."""
    for prefix, replacement in _COMMITTEE_PREFIXES:
        if committee_name.lower().startswith(prefix):
            return replacement + committee_name[len(prefix) :]
    return committee_name


def _issuer(cell_name: str) -> str:
    """The issuing cell, upper case: "Chi bộ thôn Ấp Đông" → "CHI BỘ THÔN ẤP ĐÔNG"."""
    return "CHI BỘ " + upper_vi(_strip_prefix(cell_name, "chi bộ ").strip())


def locality(ancestors: list) -> str:
    """The place name of the date line: the nearest ancestor named after a commune, ward,
    district or province ("Đảng ủy xã Hòa Bình" → "Hòa Bình")."""
    for unit in reversed(ancestors):
        found = _LOCALITY.match(organisation_of(unit.name))
        if found:
            return found.group(1)
    return ""


def _people(names: list[str]) -> str:
    if not names:
        return ""
    return ("đồng chí " if len(names) == 1 else "các đồng chí ") + ", ".join(names)


def _counted(lines: list, empty: str = "không") -> str:
    """Count and names: "2 đồng chí: Nguyễn Văn A (Ốm); Lê Thị B (Đi công tác)", or "không"."""
    if not lines:
        return empty
    names = [
        line.member.full_name + (f" ({printable(line.reason)})" if printable(line.reason) else "")
        for line in lines
    ]
    return f"{len(lines)} đồng chí: " + "; ".join(names)


def _vote_text(vote, counted: int | None) -> str:
    if vote is None:
        return "chưa ghi nhận"
    base = f"/{counted}" if counted else ""
    share = f" ({vn_percent(vote.votes_for / counted)})" if counted else ""
    return (
        f"{vote.votes_for}{base} đồng chí tán thành{share}, {vote.votes_against} không tán "
        f"thành, {vote.votes_abstain} không biểu quyết"
    )


# --- the data both formats print ---------------------------------------------------------------
def export_context(meeting: Meeting) -> dict[str, Any]:
    """Everything the minutes and the resolution print, as plain data. A fixed number of
    queries whatever the size of the cell."""
    with translation.override("vi"):
        return _context(meeting)


def _context(meeting: Meeting) -> dict[str, Any]:
    unit = meeting.unit
    prefixes = [unit.path[:i] for i in range(Unit.steplen, len(unit.path), Unit.steplen)]
    ancestors = list(Unit.objects.filter(path__in=prefixes).order_by("path"))
    parent = ancestors[-1] if ancestors else None
    lines = selectors.roster(meeting)
    summary = selectors.attendance_summary(lines)
    votes = selectors.votes_by_subject(meeting)
    sections = selectors.record_sections(meeting)
    tasks = selectors.assignments(meeting)
    guests = list(meeting.guests.all())
    addenda = list(meeting.addenda.select_related("author__member"))
    people = {line.member_id: line.member for line in lines}
    chair = people.get(meeting.chair_id) or (meeting.chair if meeting.chair_id else None)
    clerk = people.get(meeting.clerk_id) or (meeting.clerk if meeting.clerk_id else None)
    draft = not meeting.is_finalised
    day = meeting.date
    period = f"tháng {day.month} năm {day.year}"
    place = locality(ancestors) or meeting.place

    topic = printable(meeting.topic)
    if not topic and meeting.topic_group:
        topic = str(meeting.get_topic_group_display())
    kind_title = KIND_TITLES.get(meeting.kind, "SINH HOẠT CHI BỘ")

    # The record, section by section (attendance is printed in part I of the minutes).
    # Parts kept by other apps (the review of earlier tasks) print in the evaluation section.
    evaluation_id = selectors.evaluation_section_id(meeting, sections)
    parts = "\n".join(
        "\n".join([f"{part.title}:", *(f"- {line}" for line in part.lines)])
        for part in signals.collected_parts(meeting)
    )
    printed = []
    evaluation, directions = [], []
    speakers: set[int] = set()
    speech_count = 0
    for section in sections:
        kind = section.content
        if kind == SectionContent.ATTENDANCE:
            continue
        text = printable(section.text)
        if section.pk == evaluation_id and parts:
            text = "\n".join(filter(None, [text, printable(parts)]))
        speeches = [
            {
                "speaker": (sp.speaker.full_name if sp.speaker_id else _guest_name(sp.guest)),
                "text": printable(sp.text),
            }
            for sp in section.speeches.all()
        ]
        speech_count += len(speeches)
        speakers |= {sp.speaker_id for sp in section.speeches.all() if sp.speaker_id}
        conclusion = printable(section.conclusion)
        if kind == SectionContent.DISCUSSION and conclusion:
            target = evaluation if selectors.EVALUATION_WORD in fold(section.title) else directions
            target.append(conclusion)
        optional_and_empty = not section.required and not (text or speeches or conclusion)
        if kind == SectionContent.TEXT and optional_and_empty:
            continue
        if kind == SectionContent.REMARKS and not section.required and not printable(meeting.remarks):
            continue
        printed.append({
            "number": len(printed) + 1,
            "title": printable(section.title),
            "kind": str(kind),
            "text": text,
            "speeches": speeches,
            "conclusion": conclusion,
        })  # fmt: skip

    resolution_vote = _vote_text(votes["resolution"], summary.vote.counted)
    minutes_vote = _vote_text(votes["minutes"], None)
    assignments = [
        {
            "what": printable(a.description),
            "who": _assignees(a),
            "deadline": a.deadline.strftime("%d/%m/%Y") if a.deadline else "…",
        }
        for a in tasks
    ]
    exempt_absent = [line for line in lines if line.presence == Presence.EXEMPT_ABSENT]
    upper = [g for g in guests if g.is_upper_attendee]
    others = [g for g in guests if not g.is_upper_attendee]

    # Who signs. The minutes: the clerk, and the chair — on behalf of the cell when the chair
    # is its secretary or deputy. The resolution: the secretary, on behalf of the committee.
    chair_title = {Position.SECRETARY: "BÍ THƯ", Position.DEPUTY: "PHÓ BÍ THƯ"}.get(
        chair.position if chair else None
    )
    right_title = f"T/M CHI BỘ\n{chair_title}" if chair_title else "CHỦ TRÌ"
    signer, signer_title = _resolution_signer(chair, lines)
    has_committee = summary.official >= COMMITTEE_THRESHOLD or any(
        line.member.position == Position.COMMITTEE for line in lines
    )
    behalf = "T/M CHI ỦY" if has_committee else "T/M CHI BỘ"

    duration = checks.duration_minutes(meeting)
    quality = [
        f"Thời gian sinh hoạt: từ {vn_hhmm(meeting.actual_start)} đến "
        f"{vn_hhmm(meeting.actual_end)}" + (f" ({duration} phút)." if duration else "."),
        f"Đảng viên dự sinh hoạt: {summary.present} đồng chí"
        + (f", đạt {vn_percent(summary.rate)}" if summary.rate is not None else "")
        + f"; vắng có lý do: {len(summary.absent_excused)}; vắng không có lý do: "
        f"{len(summary.absent_unexcused)}.",
        f"Ý kiến phát biểu: {speech_count} lượt, của {len(speakers)}/{summary.present} đảng "
        "viên có mặt.",
        f"Biểu quyết nghị quyết: {resolution_vote}.",
    ]
    for warning in meeting.acknowledged_warnings or []:
        quality.append(
            f"Hạn chế chi bộ đã ghi nhận: {printable(warning.get('message'))}"
            + (f" ({printable(warning.get('reason'))})." if printable(warning.get("reason")) else "")
        )

    number = printable(meeting.resolution_number)
    return {
        "draft": draft,
        "hash": "" if draft else meeting.content_hash,
        "header": {
            "upper": f"ĐẢNG BỘ {upper_vi(organisation_of(parent.name))}" if parent else "",
            "issuer": _issuer(unit.name),
            "place_date": f"{place}, {vn_date(day)}",
        },
        "title": "BIÊN BẢN",
        # No break inside "THÁNG 9 NĂM 2026" when the title wraps.
        "subtitle": f"{kind_title} {upper_vi(period).replace(' ', NBSP)}",
        "topic": topic,
        "meeting": {
            "cell_name": unit.name,
            "place": printable(meeting.place),
            "date": vn_date(day),
            "date_short": day.strftime("%d/%m/%Y"),
            "start": vn_time(meeting.actual_start or meeting.start_time),
            "end": vn_time(meeting.actual_end),
            "activity": f"{kind_title.lower()} {period}",
        },
        "attendance": summary.counts()
        | {
            "rate": vn_percent(summary.rate),
            "absent_excused": _counted(summary.absent_excused),
            "absent_unexcused": _counted(summary.absent_unexcused),
            "exempt_absent": _counted(exempt_absent, ""),
            "late": ", ".join(line.member.full_name for line in summary.late),
            "upper_attendees": "; ".join(_guest_name(g) for g in upper),
            "guests": "; ".join(_guest_name(g) for g in others),
            "chair": chair.full_name if chair else "…",
            "clerk": clerk.full_name if clerk else "…",
        },
        "sections": printed,
        "resolution": {
            "number": number,
            "number_line": f"Số {number}" if number else "Số       -NQ/CB",
            "text": printable(meeting.resolution_text),
            "vote": resolution_vote,
            "title": f"{kind_title[0]}{kind_title[1:].lower()} {period}",
            "evaluation": evaluation,
            "directions": ([printable(meeting.resolution_text)] if printable(meeting.resolution_text) else [])
            + directions,
            "quality": quality,
            "behalf": behalf,
            "signer_title": signer_title,
            "signer": signer,
            "recipients": [
                *([f"{parent.name} (để báo cáo)"] if parent else []),
                "Đảng viên trong chi bộ",
                "Lưu chi bộ",
            ],
        },
        "assignments": assignments,
        "remarks": printable(meeting.remarks),
        "minutes_vote": minutes_vote,
        "sign": {
            "left_title": "THƯ KÝ",
            "left_name": clerk.full_name if clerk else "",
            "right_title": right_title,
            "right_name": chair.full_name if chair else "",
        },
        "addenda": [
            {
                "number": i,
                "when": timezone.localtime(ad.created_at).strftime("%H:%M ngày %d/%m/%Y"),
                "author": ad.author.display_name,
                "part": printable(ad.part),
                "text": printable(ad.text),
                "reason": printable(ad.reason),
                "hash": ad.content_hash,
            }
            for i, ad in enumerate(addenda, start=1)
        ],
        "has_resolution": any(s.content == SectionContent.RESOLUTION for s in sections),
    }


def _assignees(assignment) -> str:
    """Who does a task: "đồng chí Đặng Thị Hoa", "các đồng chí …, chi ủy"."""
    who = [_people([m.full_name for m in assignment.assignees.all()])]
    if assignment.to_committee:
        who.append("chi ủy")
    return ", ".join(w for w in who if w) or "…"


def _guest_name(guest) -> str:
    if guest is None:
        return ""
    return guest.name + (f", {printable(guest.position)}" if printable(guest.position) else "")


def _resolution_signer(chair, lines: list) -> tuple[str, str]:
    """The cell's secretary signs its resolution (its deputy when there is no secretary): the
    chair when they hold the post, else the one on the meeting's roster."""
    titles = {Position.SECRETARY: "BÍ THƯ", Position.DEPUTY: "PHÓ BÍ THƯ"}
    if chair is not None and chair.position in titles:
        return chair.full_name, titles[chair.position]
    for position, title in titles.items():
        for line in lines:
            if line.member.position == position and line.category != RosterCategory.AWAY:
                return line.member.full_name, title
    return "", "BÍ THƯ"


# --- Word --------------------------------------------------------------------------------------
def word_template(document: str, unit: Unit | None = None) -> Path | io.BytesIO:
    """The .docx template of a document for a cell: the active one an organisation board
    uploaded for the deepest unit above it (`template_selectors.word_template_for`), else the
    one shipped with chibo (always that one without a unit). An uploaded file that cannot be
    read any more falls back to the shipped one, so printing never breaks."""
    if unit is not None:
        from .template_selectors import word_template_for

        uploaded = word_template_for(unit, document)
        if uploaded is not None:
            try:
                with uploaded.file.open("rb") as handle:
                    return io.BytesIO(handle.read())
            except (OSError, ValueError):
                logger.warning("Word template %s (%s) cannot be read", uploaded.pk, uploaded.file)
    return TEMPLATE_DIR / f"{document}.docx"


def _docx(document: str, context: dict[str, Any], unit: Unit | None = None) -> bytes:
    return render_docx(word_template(document, unit), context)


def render_docx(source: Path | io.BytesIO, context: dict[str, Any]) -> bytes:
    """A docxtpl template filled in with `context`."""
    from docxtpl import DocxTemplate

    template = DocxTemplate(str(source) if isinstance(source, Path) else source)
    # Autoescape: texts are XML-escaped; their line breaks become Word line breaks.
    template.render(context, autoescape=True)
    out = io.BytesIO()
    template.save(out)
    return out.getvalue()


def minutes_docx(meeting: Meeting, context: dict[str, Any] | None = None) -> bytes:
    return _docx("minutes", context or export_context(meeting), meeting.unit)


def resolution_docx(meeting: Meeting, context: dict[str, Any] | None = None) -> bytes:
    context = context or export_context(meeting)
    if not context["has_resolution"]:
        raise DocumentMissing("resolution")
    return _docx("resolution", context, meeting.unit)


# --- PDF ---------------------------------------------------------------------------------------
def _pdf(document: str, context: dict[str, Any]) -> bytes:
    return render_pdf(f"meetings/print/{document}.html", context)


def render_pdf(template_name: str, context: dict[str, Any]) -> bytes:
    """An HTML print template rendered to PDF (`ExportUnavailable` without the PDF engine)."""
    try:
        import weasyprint
    except (ImportError, OSError) as error:  # OSError: Pango or its friends are missing
        raise ExportUnavailable(ExportUnavailable.message) from error
    html = render_to_string(template_name, context)
    return weasyprint.HTML(string=html, base_url=str(TEMPLATE_DIR)).write_pdf()


def minutes_pdf(meeting: Meeting, context: dict[str, Any] | None = None) -> bytes:
    return _pdf("minutes", context or export_context(meeting))


def resolution_pdf(meeting: Meeting, context: dict[str, Any] | None = None) -> bytes:
    context = context or export_context(meeting)
    if not context["has_resolution"]:
        raise DocumentMissing("resolution")
    return _pdf("resolution", context)


RENDERERS = {
    ("minutes", "docx"): minutes_docx,
    ("minutes", "pdf"): minutes_pdf,
    ("resolution", "docx"): resolution_docx,
    ("resolution", "pdf"): resolution_pdf,
}


def render(meeting: Meeting, document: str, fmt: str) -> bytes:
    """The file; KeyError for an unknown document or format, `DocumentMissing`,
    `ExportUnavailable` (PDF engine missing)."""
    return RENDERERS[document, fmt](meeting)


def file_name(meeting: Meeting, document: str, fmt: str) -> str:
    """An ASCII file name, "bien-ban-2026-11-05-chi-bo-thon-dong.docx"; a draft says so."""
    stem = FILE_STEMS[document] + ("" if meeting.is_finalised else "-du-thao")
    return f"{stem}-{meeting.date.isoformat()}-{slug(meeting.unit.name)}.{fmt}"
