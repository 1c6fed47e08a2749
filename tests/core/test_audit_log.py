"""The audit log of a subtree for its organisation board: who sees what, filters, export."""

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import translation
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
    assert "meeting.announce" in page and "Trạng thái:</span> Đã lên lịch → Đã thông báo" in page
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
    assert any("Trạng thái: Đã lên lịch → Đã thông báo" in (r[5] or "") for r in rows[1:])


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
    pattern = re.compile(rf'"((?:{families})(?:\.[a-z_]+)+)"')  # draft.comment.decide too
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


def test_what_changed_is_named_in_the_readers_language(world, client_as):
    """A whole meeting (planned, recorded, finalised: speeches, attendance, votes, tasks) leaves
    entries whose changed fields read as words, never as code names like resolution_text."""
    from chibo.core.selectors import change_lines
    from chibo.meetings import template_services
    from chibo.meetings.models import MinutesTemplate
    from tests.followup.conftest import finalise, recorded

    finalise(world, recorded(world, datetime.date(2026, 10, 6)))
    shipped = MinutesTemplate.objects.filter(unit__isnull=True).first()
    copy = template_services.template_copy(template=shipped, unit=world.c1, name="Mẫu của xã",
                                           by=world.users["officer_c1"])  # fmt: skip
    section = template_services.section_add(template=copy, by=world.users["officer_c1"],
                                            title="Học tập chuyên đề", content="text")  # fmt: skip
    template_services.section_move(section=section, by=world.users["officer_c1"], direction="up")
    entries = list(AuditEntry.objects.exclude(changes={}))
    keys = {key for e in entries for key in e.changes}
    assert len(entries) > 10 and {"chair", "resolution_text", "assignees", "text"} <= keys

    def labels_in(language):
        with translation.override(language):
            return {(e.object_type, key): field for e in entries
                    for key, (field, _text) in zip(e.changes, change_lines(e), strict=True)}  # fmt: skip

    labels, english = labels_in("vi"), labels_in("en")
    untranslated = {pair: label for pair, label in labels.items()
                    if label == english[pair] or "_" in label or not label[0].isupper()}  # fmt: skip
    assert untranslated == {}
    assert labels[("meetings.meeting", "resolution_text")] == "Nghị quyết"
    page = client_as("officer_c1").get(reverse("unit_audit", args=[world.c1.pk])).content.decode()
    assert "Nghị quyết:</span>" in page and "resolution_text:</span>" not in page


def test_values_read_as_the_page_shows_them(world):
    """Choices by their label, dates dd/mm/yyyy, yes/no, accepted warnings by their message."""
    from chibo.core.selectors import change_lines

    audit.record(actor=None, action="meeting.update", obj=world.a, changes={
        "status": ["announced", "recording"], "date": "2026-12-10", "done": False,
        "warnings": [{"code": "short", "message": "Buổi sinh hoạt kéo dài 81 phút."},
                     {"code": "few", "message": "Dự họp 60%.", "reason": "Mùa vụ"}],
        "place": "2026-13-45", "remarks": [None, {"1": ["a", None]}],
        "assignees": ["Nguyễn Thị Hoa", "Trần Văn Ưng"], "members": [["Hoa"], ["Hoa", "Ưng"]],
    })  # fmt: skip
    entry = AuditEntry.objects.get(action="meeting.update")
    entry.object_type = "meetings.meeting"
    with translation.override("vi"):
        lines = dict(change_lines(entry))
    assert lines == {"Trạng thái": "Đã thông báo → Đang ghi biên bản", "Ngày": "10/12/2026",
                     "Hoàn thành": "không",
                     "Cảnh báo đã chấp nhận": "Buổi sinh hoạt kéo dài 81 phút., Dự họp 60%. (lý do: Mùa vụ)",
                     "Giao cho": "Nguyễn Thị Hoa, Trần Văn Ưng",  # two assignees, not old → new
                     "Đảng viên": "Hoa → Hoa, Ưng",
                     "Địa điểm": "2026-13-45",  # text that only looks like a date stays as typed
                     "Ý kiến chỉ đạo của cấp ủy viên cấp trên": "— → 1: a, —"}  # fmt: skip


def test_on_a_phone_the_filter_stays_folded_unless_in_use(world, client_as, history):
    client = client_as("officer_c1")
    url = reverse("unit_audit", args=[world.c1.pk])
    folded = 'class="card card-body mb-3 collapse d-md-block" id="audit-filter"'
    unfolded = 'class="card card-body mb-3 collapse d-md-block show" id="audit-filter"'
    assert folded in client.get(url).content.decode()
    assert folded in client.get(url + "?page=1").content.decode()  # paging is not filtering
    for query in ("?action=meeting.", "?since=2099-99-99"):
        page = client.get(url + query).content.decode()
        assert unfolded in page and "Lọc (đang áp dụng)" in page
