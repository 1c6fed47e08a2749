"""The scorecards chibo ships: the HD 42 ward card (attached to the shipped HD 42 rulebook) and
Nghệ An's Quy định 08-QĐ/TU (2021), for a province to copy.

The group totals and grade thresholds are the documents' (DOMAIN.md). How a group's points
split between criteria chibo can compute and criteria a person judges is chibo's reading of
them; an organisation board that reads them differently copies the card and edits it.
"""

from django.db import migrations

GRADES_HD42 = [{"name": "Tốt", "min": 90}, {"name": "Khá", "min": 70},
               {"name": "Trung bình", "min": 50}, {"name": "Kém", "min": 0}]
GRADES_08 = [{"name": "Tốt", "min": 80}, {"name": "Khá", "min": 70},
             {"name": "Trung bình", "min": 50}, {"name": "Kém", "min": 0}]
YES = [{"from": 1, "points": None}]  # full points when the measure says yes

HD42_WARD = [
    ("Thời gian", "Họp định kỳ trước ngày quy định của tháng", 2, "held_by_deadline", YES),
    ("Thời gian", "Khai mạc đúng giờ đã thông báo", 1, "started_on_time", YES),
    ("Thời gian", "Bảo đảm thời lượng tối thiểu", 2, "duration_met", YES),
    ("Số lượng đảng viên dự họp",
     "Tỷ lệ dự họp: từ 90% được 4; 75% đến dưới 90% được 3; 65% đến dưới 75% được 2; dưới 65% "
     "hoặc có đảng viên vắng không lý do được 1", 4, "attendance_rate_strict",
     [{"from": 90, "points": 4}, {"from": 75, "to": 90, "points": 3},
      {"from": 65, "to": 75, "points": 2}, {"to": 65, "points": 1}]),
    ("Số lượng đảng viên dự họp",
     "Không có đảng viên vắng có lý do quá 3 lần liên tiếp", 1, "long_excused_runs",
     [{"to": 1, "points": 1}]),
    ("Công tác chuẩn bị", "Chi ủy họp chuẩn bị nội dung", 3, "preparatory_held", YES),
    ("Công tác chuẩn bị", "Thông báo lịch họp, đăng tài liệu trước ít nhất 1 ngày", 3,
     "announced_in_time", YES),
    ("Công tác chuẩn bị", "Dự thảo báo cáo, nghị quyết được chuẩn bị chu đáo", 4, "judged", []),
    ("Tiến hành sinh hoạt", "Trên 50% đảng viên dự họp phát biểu", 5, "speakers_share",
     [{"above": 50, "points": 5}]),
    ("Tiến hành sinh hoạt",
     "Đúng trình tự; thảo luận tập trung, dân chủ, có tính lãnh đạo, giáo dục, chiến đấu", 25,
     "judged", []),
    ("Vai trò của người chủ trì", "Điều hành, gợi mở, kết luận rõ từng nội dung", 10, "judged", []),
    ("Chấp hành nguyên tắc", "Tập trung dân chủ, tự phê bình và phê bình", 5, "judged", []),
    ("Kết quả thực hiện nghị quyết",
     "Nhiệm vụ đến hạn của các kỳ trước đã hoàn thành: từ 90% được 10; 70% đến dưới 90% được 7; "
     "50% đến dưới 70% được 4", 10, "previous_tasks_done",
     [{"from": 90, "points": 10}, {"from": 70, "to": 90, "points": 7},
      {"from": 50, "to": 70, "points": 4}]),
    ("Kết quả thực hiện nghị quyết", "Kết quả so với chỉ tiêu của nghị quyết", 20, "judged", []),
    ("Kết thúc sinh hoạt", "Biên bản thông qua và khóa sổ đúng hạn", 3, "finalised_on_time", YES),
    ("Kết thúc sinh hoạt", "Bế mạc đúng trình tự, giao nhiệm vụ rõ người, rõ việc", 2, "judged", []),
]

NGHE_AN_08 = [
    ("Công tác chuẩn bị", "Chi ủy họp chuẩn bị nội dung", 5, "preparatory_held", YES),
    ("Công tác chuẩn bị", "Thông báo lịch họp, gửi tài liệu đúng thời hạn", 5, "announced_in_time",
     YES),
    ("Công tác chuẩn bị", "Chất lượng dự thảo báo cáo, nghị quyết", 10, "judged", []),
    ("Số lượng đảng viên dự sinh hoạt",
     "Tỷ lệ dự họp: từ 95% được 10; 90% được 8; 85% được 6; 80% được 4; dưới 80% được 2", 10,
     "attendance_rate",
     [{"from": 95, "points": 10}, {"from": 90, "to": 95, "points": 8},
      {"from": 85, "to": 90, "points": 6}, {"from": 80, "to": 85, "points": 4},
      {"to": 80, "points": 2}]),
    ("Tổ chức sinh hoạt", "Sinh hoạt định kỳ trước ngày quy định của tháng", 5, "held_by_deadline",
     YES),
    ("Tổ chức sinh hoạt", "Bảo đảm thời lượng tối thiểu", 5, "duration_met", YES),
    ("Tổ chức sinh hoạt",
     "Đảng viên phát biểu: trên 50% được 10; từ 30% được 5", 10, "speakers_share",
     [{"above": 50, "points": 10}, {"from": 30, "points": 5}]),
    ("Tổ chức sinh hoạt", "Có cấp ủy cấp trên dự sinh hoạt", 5, "upper_attendee_present", YES),
    ("Tổ chức sinh hoạt", "Nội dung sinh hoạt có tính lãnh đạo, giáo dục, chiến đấu", 20, "judged",
     []),
    ("Thực hiện nguyên tắc", "Tập trung dân chủ, tự phê bình và phê bình, đoàn kết", 15, "judged",
     []),
    ("Chất lượng báo cáo và kết luận", "Kết luận rõ, nghị quyết sát thực tế", 7, "judged", []),
    ("Chất lượng báo cáo và kết luận", "Biên bản thông qua và khóa sổ đúng hạn", 3,
     "finalised_on_time", YES),
]  # fmt: skip

CARDS = [
    ("Thang điểm phường theo HD 42 (2025)", "Hướng dẫn 42-HD/BTCTW ngày 28/10/2025",
     GRADES_HD42, HD42_WARD, "HD 42 (2025)"),
    ("Nghệ An 08-QĐ/TU (2021)",
     "Quy định 08-QĐ/TU ngày 15/9/2021 của Ban Thường vụ Tỉnh ủy Nghệ An", GRADES_08,
     NGHE_AN_08, None),
]  # fmt: skip


def install(apps, schema_editor):
    Scorecard = apps.get_model("rulebooks", "Scorecard")
    Criterion = apps.get_model("rulebooks", "Criterion")
    Rulebook = apps.get_model("rulebooks", "Rulebook")
    for name, source, grades, criteria, rulebook_name in CARDS:
        if Scorecard.objects.filter(unit__isnull=True, name=name).exists():
            continue
        card = Scorecard.objects.create(name=name, source=source, grades=grades)
        for position, (group, title, points, measure, bands) in enumerate(criteria, start=1):
            bands = [{**b, "points": points if b["points"] is None else b["points"]}
                     for b in bands]  # fmt: skip
            Criterion.objects.create(scorecard=card, position=position, group=group, title=title,
                                     points=points, measure=measure, bands=bands)  # fmt: skip
        if rulebook_name:
            Rulebook.objects.filter(unit__isnull=True, name=rulebook_name).update(scorecard=card)


class Migration(migrations.Migration):
    dependencies = [("rulebooks", "0004_scorecards")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
