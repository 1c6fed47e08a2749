"""The audit log of a subtree for its organisation board: who sees what, filters, export."""

import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from chibo.core import audit
from chibo.core.models import AuditEntry
from chibo.meetings import services as meetings
from tests.api.conftest import API, count_queries
from tests.conftest import check_matrix
from tests.meetings.test_api import row

from ..meetings.conftest import plan

pytestmark = pytest.mark.django_db
BOARD_OF_C1 = {"officer_c1", "admin_p"}


def page_row(ok_roles, ok=200, forbidden=frozenset()):
    return row(ok_roles, ok, forbidden) | {"anonymous": 302}


@pytest.fixture
def history(world):
    """A meeting of A planned and announced (2 entries), and a change in D (C2's)."""
    meeting = plan(world, day=datetime.date(2026, 12, 20))
    meetings.meeting_announce(meeting=meeting, by=world.users["secretary_a"])
    audit.record(actor=world.users["officer_c2"], action="unit.rename", obj=world.d, unit_path=world.d.path,
                 changes={"name": ["Chi bộ khu phố 3", "Chi bộ khu phố Ba"]})  # fmt: skip
    return meeting


def test_matrix(world, client_as, api_client_as, history):
    # A cell's secretary sees the cell but is not its organisation board: 403; outside: 404.
    for name in ("unit_audit", "unit_audit_xlsx"):
        check_matrix(client_as, reverse(name, args=[world.c1.pk]), page_row(BOARD_OF_C1))
        check_matrix(client_as, reverse(name, args=[world.a.pk]),
                     page_row(BOARD_OF_C1, forbidden={"member_a", "secretary_a"}))  # fmt: skip
    check_matrix(api_client_as, f"{API}/units/{world.c1.pk}/audit", row(BOARD_OF_C1))
    check_matrix(api_client_as, f"{API}/units/{world.a.pk}/audit",
                 row(BOARD_OF_C1, forbidden={"member_a", "secretary_a"}))  # fmt: skip


def test_the_board_sees_its_subtree_only_with_old_and_new(world, client_as, api_client_as, history):
    page = client_as("officer_c1").get(reverse("unit_audit", args=[world.c1.pk])).content.decode()
    assert "meeting.announce" in page and "planned → announced" in page
    assert "unit.rename" not in page  # D belongs to C2
    mine = api_client_as("officer_c2").get(f"{API}/units/{world.c2.pk}/audit").json()
    assert [e["action"] for e in mine] == ["unit.rename"]
    assert mine[0]["changes"] == {"name": ["Chi bộ khu phố 3", "Chi bộ khu phố Ba"]}
    everything = api_client_as("admin_p").get(f"{API}/units/{world.p.pk}/audit").json()
    assert {e["action"] for e in everything} >= {"meeting.plan", "meeting.announce", "unit.rename"}


def test_filters(world, client_as, api_client_as, history):
    client = api_client_as("admin_p")
    url = f"{API}/units/{world.p.pk}/audit"
    assert {e["action"] for e in client.get(url + "?action=meeting.").json()} == {"meeting.plan", "meeting.announce"}
    assert {e["actor"] for e in client.get(url + "?actor=officer").json()} == {"officer_c2"}
    assert [e["action"] for e in client.get(url + "?text=khu phố").json()] == ["unit.rename"]
    today = datetime.date.today()
    assert client.get(url + f"?since={today + datetime.timedelta(days=1)}").json() == []
    under_p = AuditEntry.objects.filter(unit_path__startswith=world.p.path).count()
    assert len(client.get(url + f"?since={today}&until={today}").json()) == under_p
    # Folded names: "tran van ung" finds the secretary Trần Văn Ưng.
    found = client_as("admin_p").get(reverse("unit_audit", args=[world.p.pk]) + "?actor=tran van ung").content.decode()
    assert "meeting.announce" in found and "unit.rename" not in found
    bad = client.get(url + "?since=2026-12-10&until=2026-12-01")
    assert bad.status_code == 422 and bad.json()["errors"]["until"] == ["Ngày kết thúc trước ngày bắt đầu."]
    wrong = client_as("admin_p").get(reverse("unit_audit", args=[world.p.pk]) + "?since=2026-12-10&until=2026-12-01")
    assert wrong.status_code == 422 and "Ngày kết thúc trước ngày bắt đầu" in wrong.content.decode()


def test_export_has_every_filtered_entry(world, client_as, history):
    response = client_as("officer_c1").get(reverse("unit_audit_xlsx", args=[world.c1.pk]) + "?action=meeting.")
    assert response["Content-Disposition"] == f'attachment; filename="audit-{world.c1.code}.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("Thời gian", "Người thực hiện", "Thao tác", "Mã")
    assert sorted(r[3] for r in rows[1:]) == ["meeting.announce", "meeting.plan"]
    assert sorted(r[2] for r in rows[1:]) == ["Lập kế hoạch buổi sinh hoạt", "Thông báo buổi sinh hoạt"]
    assert any("planned → announced" in (r[5] or "") for r in rows[1:])


def test_query_count_does_not_grow(world, client_as, history):
    client = client_as("admin_p")
    url = reverse("unit_audit", args=[world.p.pk])
    small = count_queries(client, url)
    for i in range(30):
        audit.record(actor=world.users["officer_c1"], action="unit.rename", obj=world.a, unit_path=world.a.path,
                     changes={"name": [f"Tên {i}", f"Tên {i + 1}"]})  # fmt: skip
    assert count_queries(client, url) == small


def test_every_recorded_action_has_a_label():
    """The log shows what an action means; a new action without a label would show as code."""
    import re
    from pathlib import Path

    from django.apps import apps

    from chibo.core.audit_labels import ACTION_LABELS, FAMILY_LABELS

    model_labels = {m._meta.label_lower for m in apps.get_models()}
    families = "|".join(FAMILY_LABELS)
    pattern = re.compile(rf'"((?:{families})\.[a-z_]+)"')
    source = Path(__file__).resolve().parents[2] / "chibo"
    used = {match for path in source.rglob("*.py") if "migrations" not in path.parts
            for match in pattern.findall(path.read_text())} - model_labels  # fmt: skip
    assert len(used) > 60
    assert used - set(ACTION_LABELS) == set()
    assert {code.split(".")[0] for code in ACTION_LABELS} <= set(FAMILY_LABELS)


def test_the_log_shows_labels_and_filters_by_family(world, client_as, history):
    page = client_as("officer_c1").get(reverse("unit_audit", args=[world.c1.pk]) + "?action=meeting.")
    html = page.content.decode()
    assert "Thông báo buổi sinh hoạt" in html and "<code class=\"small text-muted\">meeting.announce</code>" in html
    assert '<option value="meeting." selected>Buổi sinh hoạt: tất cả</option>' in html
