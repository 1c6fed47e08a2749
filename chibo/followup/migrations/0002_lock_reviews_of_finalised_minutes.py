"""On PostgreSQL the database refuses any write to the task reviews of finalised minutes: they
are part of that meeting's record (the function comes from meetings 0003)."""

from django.db import migrations

TABLE = "followup_taskreview"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE TRIGGER {TABLE}_finalised BEFORE INSERT OR UPDATE OR DELETE ON {TABLE} "
        "FOR EACH ROW EXECUTE FUNCTION chibo_refuse_finalised_record();"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_finalised ON {TABLE};")


class Migration(migrations.Migration):
    dependencies = [
        ("followup", "0001_initial"),
        ("meetings", "0003_finalised_minutes_trigger"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
