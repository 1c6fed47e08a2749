"""The conclusion notice of an inspection (thông báo kết luận), as Word and PDF, in the party
format (Hướng dẫn 36-HD/VPTW), with the layout helpers of the minutes' printing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.utils import timezone

from chibo.meetings import exporting as printing
from chibo.org.models import Unit

from .models import Inspection, InspectionKind, InspectionStatus

TEMPLATE = Path(__file__).resolve().parent / "word_templates" / "inspection_notice.docx"
KIND_WORDS = {InspectionKind.INSPECTION: "kiểm tra", InspectionKind.SUPERVISION: "giám sát"}


def _behalf(committee: Unit) -> str:
    """Who signs for a committee: its standing committee, or the party committee of a commune
    or grassroots organisation ("Đảng ủy …")."""
    if committee.name.lower().startswith("đảng ủy"):
        return "T/M ĐẢNG ỦY"
    return "T/M BAN THƯỜNG VỤ"


def notice_context(inspection: Inspection) -> dict[str, Any]:
    committee, target = inspection.committee, inspection.target
    prefixes = [committee.path[:i] for i in range(Unit.steplen, len(committee.path), Unit.steplen)]
    ancestors = list(Unit.objects.filter(path__in=prefixes).order_by("path"))
    parent = ancestors[-1] if ancestors else None
    draft = inspection.status != InspectionStatus.CONCLUDED
    day = inspection.concluded_on or timezone.localdate()
    word = KIND_WORDS[inspection.kind]
    place = printing.locality([*ancestors, committee]) or ""
    number = printing.printable(inspection.notice_number)
    fixes = list(inspection.fixes.order_by("deadline", "id"))
    return {
        "draft": draft,
        "hash": "" if draft else inspection.content_hash,
        "header": {
            "upper": f"ĐẢNG BỘ {printing.upper_vi(printing.organisation_of(parent.name))}"
            if parent
            else "",
            "issuer": printing.upper_vi(committee.name),
            "place_date": f"{place + ', ' if place else ''}{printing.vn_date(day)}",
        },
        "notice": {
            "number_line": f"Số {number}" if number else "Số …",
            "title": f"kết quả {word} đối với {target.name}",
            "word": word,
            "intro": (
                f"Thực hiện Chương trình {word} năm {inspection.year} của {committee.name}, "
                f"đoàn {word} đã tiến hành {word} "
                f"đối với {target.name} về {printing.printable(inspection.subject)}, thời kỳ từ ngày "
                f"{inspection.period_start:%d/%m/%Y} đến ngày {inspection.period_end:%d/%m/%Y}."
            ),
            "team": printing.printable(inspection.team),
            "findings": printing.printable(inspection.findings),
            "conclusion": printing.printable(inspection.conclusion),
            "fixes": [
                {
                    "what": printing.printable(f.description).rstrip("."),
                    "deadline": f"{f.deadline:%d/%m/%Y}",
                }
                for f in fixes
            ],  # fmt: skip
            "committee": committee.name,
            "target": target.name,
            "behalf": _behalf(committee),
            "recipients": [target.name, "Lưu văn phòng"],
        },
    }


def render(inspection: Inspection, fmt: str) -> bytes:
    context = notice_context(inspection)
    if fmt == "docx":
        return printing.render_docx(TEMPLATE, context)
    return printing.render_pdf("followup/print/inspection_notice.html", context)


def file_name(inspection: Inspection, fmt: str) -> str:
    stem = "thong-bao-ket-luan" + ("" if inspection.status == InspectionStatus.CONCLUDED
                                   else "-du-thao")  # fmt: skip
    return f"{stem}-{inspection.year}-{printing.slug(inspection.target.name)}.{fmt}"
