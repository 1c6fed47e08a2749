"""On PostgreSQL the database itself refuses to change finalised minutes (DESIGN.md,
"Invariants"): UPDATE or DELETE of a finalised meeting, and any write to the rows of its record.
Corrections are addenda, in their own table."""

from django.db import migrations

CHILD_TABLES = ["meetings_meetingsection", "meetings_attendance", "meetings_speech",
                "meetings_guest", "meetings_vote", "meetings_assignment"]  # fmt: skip

CREATE = """
CREATE OR REPLACE FUNCTION chibo_refuse_finalised_meeting() RETURNS trigger AS $$
BEGIN
    IF OLD.status = 'finalised' THEN
        RAISE EXCEPTION 'finalised minutes are immutable (meeting %)', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER meetings_meeting_finalised BEFORE UPDATE OR DELETE ON meetings_meeting
    FOR EACH ROW EXECUTE FUNCTION chibo_refuse_finalised_meeting();

CREATE OR REPLACE FUNCTION chibo_refuse_finalised_record() RETURNS trigger AS $$
DECLARE
    meeting integer;
BEGIN
    IF TG_OP = 'INSERT' THEN meeting := NEW.meeting_id; ELSE meeting := OLD.meeting_id; END IF;
    IF EXISTS (SELECT 1 FROM meetings_meeting WHERE id = meeting AND status = 'finalised') THEN
        RAISE EXCEPTION 'finalised minutes are immutable (meeting %)', meeting
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;
"""
DROP = """
DROP TRIGGER IF EXISTS meetings_meeting_finalised ON meetings_meeting;
DROP FUNCTION IF EXISTS chibo_refuse_finalised_meeting();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE, params=None)
    for table in CHILD_TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_finalised BEFORE INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION chibo_refuse_finalised_record();"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in CHILD_TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_finalised ON {table};")
    schema_editor.execute("DROP FUNCTION IF EXISTS chibo_refuse_finalised_record();")
    schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("meetings", "0002_default_templates")]
    operations = [migrations.RunPython(forwards, backwards)]
