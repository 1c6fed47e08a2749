"""The minutes templates chibo ships (HD 42-HD/BTCTW, 28/10/2025), as data.

Installed by a data migration and by `install_default_templates`; an organisation board copies
and edits them for its subtree. Each section: (title, content, required, guidance).
"""

from __future__ import annotations

SOURCE = "Hướng dẫn 42-HD/BTCTW ngày 28/10/2025"

OPENING = (
    "Khai mạc",
    "text",
    True,
    "Nêu mục đích, yêu cầu của buổi sinh hoạt; giới thiệu đại biểu, đồng chí cấp ủy cấp trên "
    "dự sinh hoạt; cử thư ký.",
)
ATTENDANCE = (
    "Tình hình đảng viên dự sinh hoạt",
    "attendance",
    True,
    "Đánh dấu từng đảng viên: có mặt, vắng có lý do (ghi lý do), vắng không lý do, miễn sinh "
    "hoạt không dự; ghi người đến muộn.",
)
FEES = (
    "Báo cáo thu, nộp đảng phí",
    "text",
    False,
    "Số đảng viên đã nộp, số tiền, đảng viên chưa nộp và lý do.",
)
AGENDA = (
    "Thông qua chương trình sinh hoạt",
    "text",
    False,
    "Chủ trì đọc chương trình; chi bộ biểu quyết thông qua.",
)
NEWS = (
    "Thông tin thời sự, văn bản mới của cấp trên",
    "text",
    False,
    "Tóm tắt thông tin thời sự, chủ trương, văn bản mới của cấp trên được phổ biến.",
)
MINDSET = (
    "Tình hình tư tưởng của đảng viên",
    "text",
    False,
    "Tư tưởng, tâm trạng của đảng viên và quần chúng; vấn đề nổi lên cần quan tâm.",
)
REVIEW = (
    "Đánh giá kết quả thực hiện nhiệm vụ tháng trước",
    "discussion",
    True,
    "Kết quả thực hiện nghị quyết tháng trước: việc đã làm, chưa làm, nguyên nhân; nhiệm vụ "
    "được phân công cho từng đảng viên. Ghi từng ý kiến phát biểu và kết luận của chủ trì.",
)
PLAN_GUIDANCE = {
    "": "Phương hướng, nhiệm vụ tháng tới. Ghi từng ý kiến phát biểu và kết luận của chủ trì.",
    "residential": (
        "Nhiệm vụ tháng tới: vận động nhân dân, xây dựng nông thôn mới, đô thị văn minh, giảm "
        "nghèo, an ninh trật tự ở thôn, tổ dân phố. Ghi từng ý kiến và kết luận của chủ trì."
    ),
    "agency": (
        "Nhiệm vụ tháng tới: nhiệm vụ chuyên môn của cơ quan, cải cách hành chính, kỷ luật, kỷ "
        "cương công vụ. Ghi từng ý kiến và kết luận của chủ trì."
    ),
    "state_enterprise": (
        "Nhiệm vụ tháng tới: sản xuất, kinh doanh, việc làm và đời sống người lao động, phòng "
        "chống lãng phí. Ghi từng ý kiến và kết luận của chủ trì."
    ),
    "private_enterprise": (
        "Nhiệm vụ tháng tới: sản xuất, kinh doanh, quyền lợi người lao động, xây dựng tổ chức "
        "công đoàn, đoàn thanh niên. Ghi từng ý kiến và kết luận của chủ trì."
    ),
    "students": (
        "Nhiệm vụ tháng tới: học tập, rèn luyện, phong trào thanh niên, bồi dưỡng quần chúng ưu "
        "tú. Ghi từng ý kiến và kết luận của chủ trì."
    ),
    "armed_forces": (
        "Nhiệm vụ tháng tới: huấn luyện, sẵn sàng chiến đấu, xây dựng đơn vị vững mạnh. Ghi "
        "từng ý kiến và kết luận của chủ trì."
    ),
}
CRITICISM = (
    "Tự phê bình và phê bình",
    "text",
    False,
    "Đảng viên tự phê bình, phê bình; ghi rõ ý kiến của từng người.",
)
HO_CHI_MINH = (
    "Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh",
    "text",
    False,
    "Nội dung học tập gắn với Nghị quyết Trung ương 4 về xây dựng, chỉnh đốn Đảng.",
)
RESOLUTION = (
    "Kết luận và biểu quyết nghị quyết",
    "resolution",
    True,
    "Chủ trì tóm tắt, kết luận; chi bộ biểu quyết nghị quyết (tán thành, không tán thành, "
    "không biểu quyết). Đảng viên dự bị và sinh hoạt tạm thời không biểu quyết.",
)
ASSIGNMENTS = (
    "Phân công nhiệm vụ",
    "assignments",
    True,
    "Giao việc cụ thể cho từng đảng viên (hoặc chi ủy), có thời hạn hoàn thành.",
)
REMARKS = (
    "Ý kiến của đồng chí cấp ủy cấp trên dự sinh hoạt",
    "remarks",
    False,
    "Nhận xét, chỉ đạo của đồng chí cấp ủy cấp trên.",
)
APPROVAL = (
    "Thông qua biên bản",
    "approval",
    True,
    "Thư ký đọc biên bản; chi bộ biểu quyết thông qua; ghi giờ kết thúc.",
)
THEMATIC_PURPOSE = (
    "Mục đích, yêu cầu của chuyên đề",
    "text",
    True,
    "Bí thư nêu mục đích, yêu cầu của buổi sinh hoạt chuyên đề.",
)
THEMATIC_DRAFT = (
    "Trình bày dự thảo chuyên đề",
    "text",
    True,
    "Đồng chí được phân công trình bày tóm tắt dự thảo chuyên đề.",
)
THEMATIC_DISCUSSION = (
    "Thảo luận chuyên đề",
    "discussion",
    True,
    "Đảng viên thảo luận, liên hệ bản thân và đơn vị; ghi từng ý kiến và kết luận của chủ trì.",
)
PREPARATION_CONTENT = (
    "Thống nhất nội dung sinh hoạt chi bộ",
    "discussion",
    True,
    "Đánh giá tình hình tháng, dự kiến nhiệm vụ tháng tới, những vấn đề đưa ra chi bộ thảo "
    "luận và biểu quyết. Ghi ý kiến và kết luận.",
)
EXTRAORDINARY_DISCUSSION = (
    "Nội dung sinh hoạt bất thường",
    "discussion",
    True,
    "Vấn đề cần chi bộ bàn và quyết định; ghi từng ý kiến và kết luận của chủ trì.",
)


def _plan(cell_type: str) -> tuple[str, str, bool, str]:
    return ("Phương hướng, nhiệm vụ tháng tới", "discussion", True, PLAN_GUIDANCE[cell_type])


def _regular(cell_type: str) -> list[tuple[str, str, bool, str]]:
    return [
        OPENING, ATTENDANCE, FEES, AGENDA, NEWS, MINDSET, REVIEW, _plan(cell_type), CRITICISM,
        HO_CHI_MINH, RESOLUTION, ASSIGNMENTS, REMARKS, APPROVAL,
    ]  # fmt: skip


CELL_TYPE_NAMES = {
    "residential": "thôn, tổ dân phố",
    "agency": "cơ quan hành chính, đơn vị sự nghiệp",
    "state_enterprise": "doanh nghiệp nhà nước",
    "private_enterprise": "doanh nghiệp ngoài nhà nước",
    "students": "học sinh, sinh viên",
    "armed_forces": "lực lượng vũ trang",
}


def default_templates() -> list[dict]:
    """[{name, kind, cell_type, source, sections: [(title, content, required, guidance)]}]"""
    templates = [
        {"name": "Biên bản sinh hoạt chi bộ thường kỳ", "kind": "regular", "cell_type": "",
         "sections": _regular("")},
        {"name": "Biên bản sinh hoạt chuyên đề", "kind": "thematic", "cell_type": "",
         "sections": [OPENING, ATTENDANCE, THEMATIC_PURPOSE, THEMATIC_DRAFT, THEMATIC_DISCUSSION,
                      RESOLUTION, ASSIGNMENTS[:2] + (False,) + ASSIGNMENTS[3:], REMARKS,
                      APPROVAL]},
        {"name": "Biên bản sinh hoạt thường kỳ kết hợp chuyên đề", "kind": "combined",
         "cell_type": "",
         "sections": _regular("")[:10] + [THEMATIC_PURPOSE, THEMATIC_DRAFT, THEMATIC_DISCUSSION]
         + _regular("")[10:]},
        {"name": "Biên bản sinh hoạt chi bộ bất thường", "kind": "extraordinary", "cell_type": "",
         "sections": [OPENING, ATTENDANCE, EXTRAORDINARY_DISCUSSION, RESOLUTION, ASSIGNMENTS,
                      REMARKS, APPROVAL]},
        {"name": "Biên bản họp chi ủy chuẩn bị sinh hoạt", "kind": "preparatory", "cell_type": "",
         "sections": [ATTENDANCE, PREPARATION_CONTENT]},
    ]  # fmt: skip
    for cell_type, label in CELL_TYPE_NAMES.items():
        templates.append(
            {
                "name": f"Biên bản sinh hoạt chi bộ thường kỳ — chi bộ {label}",
                "kind": "regular",
                "cell_type": cell_type,
                "sections": _regular(cell_type),
            }
        )
    for template in templates:
        template["source"] = SOURCE
    return templates


def install(template_model, section_model) -> int:
    """Create the shipped templates that are missing (by name). Returns how many were made."""
    made = 0
    for spec in default_templates():
        if template_model.objects.filter(unit__isnull=True, name=spec["name"]).exists():
            continue
        template = template_model.objects.create(
            name=spec["name"], kind=spec["kind"], cell_type=spec["cell_type"],
            source=spec["source"],
        )  # fmt: skip
        section_model.objects.bulk_create(
            section_model(
                template=template,
                position=i,
                title=title,
                content=content,
                required=required,
                guidance=guidance,
            )  # fmt: skip
            for i, (title, content, required, guidance) in enumerate(spec["sections"], start=1)
        )
        made += 1
    return made
