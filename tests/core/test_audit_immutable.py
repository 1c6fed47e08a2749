"""Audit entries are never changed or deleted: on PostgreSQL the database refuses raw SQL too."""

import pytest
from django.db import IntegrityError, connection, transaction

from chibo.core import audit
from chibo.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(world):
    audit.record(actor=world.users["officer_c1"], action="unit.rename", obj=world.a,
                 unit_path=world.a.path, changes={"name": ["Cũ", "Mới"]})  # fmt: skip
    return AuditEntry.objects.get()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's (DESIGN.md)")
@pytest.mark.parametrize("sql", [
    "UPDATE core_auditentry SET action = 'x' WHERE id = %(e)s",
    "UPDATE core_auditentry SET changes = '{}'::jsonb WHERE id = %(e)s",
    "DELETE FROM core_auditentry WHERE id = %(e)s",
])  # fmt: skip
def test_postgresql_refuses_raw_sql_on_audit_entries(entry, sql):
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, {"e": entry.pk})
    entry.refresh_from_db()
    assert entry.action == "unit.rename" and entry.changes == {"name": ["Cũ", "Mới"]}


def test_new_entries_are_still_written(entry, world):
    audit.record(actor=world.users["officer_c1"], action="unit.move", obj=world.b, unit_path=world.b.path)
    assert AuditEntry.objects.count() == 2
