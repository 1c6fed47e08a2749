"""On PostgreSQL the database itself refuses to change or delete an audit entry (DESIGN.md,
"Invariants": audit entries are never deleted). Row triggers: TRUNCATE, which only an operator
or the test runner's flush issues, is not a row change."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION chibo_refuse_audit_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit entries are never changed or deleted (entry %)', OLD.id
        USING ERRCODE = 'integrity_constraint_violation';
END $$ LANGUAGE plpgsql;

CREATE TRIGGER core_auditentry_immutable BEFORE UPDATE OR DELETE ON core_auditentry
    FOR EACH ROW EXECUTE FUNCTION chibo_refuse_audit_change();
"""
DROP = """
DROP TRIGGER IF EXISTS core_auditentry_immutable ON core_auditentry;
DROP FUNCTION IF EXISTS chibo_refuse_audit_change();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
