import datetime

from django.db import migrations

SHIPPED = [
    {"name": "HD 12 (2018)", "source": "Hướng dẫn 12-HD/BTCTW ngày 06/7/2018",
     "valid_from": datetime.date(2018, 7, 6), "valid_to": datetime.date(2025, 10, 27),
     "document_lead_days": 0},
    {"name": "HD 42 (2025)", "source": "Hướng dẫn 42-HD/BTCTW ngày 28/10/2025",
     "valid_from": datetime.date(2025, 10, 28), "valid_to": None, "document_lead_days": 1},
]  # fmt: skip


def install(apps, schema_editor):
    Rulebook = apps.get_model("rulebooks", "Rulebook")
    for spec in SHIPPED:
        if not Rulebook.objects.filter(unit__isnull=True, name=spec["name"]).exists():
            Rulebook.objects.create(
                regular_deadline_day=15, thematic_per_quarter=1, min_minutes_regular=90,
                min_minutes_combined=120, attendance_threshold=85, finalise_within_days=2,
                **spec,
            )  # fmt: skip


class Migration(migrations.Migration):
    dependencies = [("rulebooks", "0001_initial")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
