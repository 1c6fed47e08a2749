"""Inspection and supervision (issue 4, part 4): a committee's annual plan, the record of one
inspection, the conclusion notice in the party format (Word and PDF), and the fixes it requires
tracked until done."""

import datetime
import io

import docx
import pypdf
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from chibo.core.models import AuditEntry
from chibo.followup import exporting, services
from chibo.followup.models import Fix, Inspection, InspectionStatus
from chibo.meetings.exporting import ExportUnavailable
from tests.api.conftest import API, JSON
from tests.conftest import check_matrix
from tests.meetings.test_api import row

pytestmark = pytest.mark.django_db

OK, CREATED, FOUND, FORBIDDEN, MISSING = 200, 201, 302, 403, 404
YEAR = 2026


def page_row(ok_roles, ok=OK, forbidden=frozenset()):
    return row(ok_roles, ok, forbidden) | {"anonymous": FOUND}


def plan(world, **extra):
    fields = dict(
        committee=world.c1, by=world.users["officer_c1"], year=YEAR, target=world.a,
        kind="inspection", subject="việc chấp hành chế độ sinh hoạt chi bộ", planned_month=11,
        period_start=datetime.date(2025, 1, 1), period_end=datetime.date(2025, 12, 31),
        team="Đồng chí Ngô Thị Lan, Chủ nhiệm Ủy ban Kiểm tra, Trưởng đoàn.",
    )  # fmt: skip
    return services.inspection_plan(**(fields | extra))


def recorded(world, inspection):
    return services.inspection_update(
        inspection=inspection, by=world.users["officer_c1"], notice_number="05-TB/ĐU",
        findings="Ưu điểm: sinh hoạt đều hằng tháng.\nHạn chế: 3 biên bản thiếu kết luận.",
        conclusion="Chi bộ chấp hành tốt; cần khắc phục việc ghi biên bản.",
    )  # fmt: skip


@pytest.fixture
def concluded(world):
    inspection = recorded(world, plan(world))
    services.fix_add(inspection=inspection, by=world.users["officer_c1"],
                     description="Bổ sung kết luận vào 3 biên bản bằng bản đính chính.",
                     deadline=datetime.date(2026, 12, 31))  # fmt: skip
    return services.inspection_conclude(inspection=inspection, by=world.users["officer_c1"])


# --- plan, record, conclude -------------------------------------------------------------------
def test_the_plan_takes_units_under_the_committee_only(world):
    with pytest.raises(ValidationError) as refused:
        plan(world, target=world.d)
    assert "target" in refused.value.message_dict
    with pytest.raises(ValidationError):
        plan(world, committee=world.a, target=world.a)  # a cell keeps no plan
    with pytest.raises(ValidationError) as refused:
        plan(world, period_start=datetime.date(2026, 1, 1), period_end=datetime.date(2025, 1, 1))
    assert "period_end" in refused.value.message_dict
    inspection = plan(world)
    assert inspection.status == InspectionStatus.PLANNED and inspection.province == world.p
    assert AuditEntry.objects.filter(action="inspection.plan", object_id=str(inspection.pk))


def test_concluding_needs_the_record_and_locks_it(world):
    inspection = plan(world, team="")
    with pytest.raises(ValidationError) as refused:
        services.inspection_conclude(inspection=inspection, by=world.users["officer_c1"])
    assert set(refused.value.message_dict) == {"team", "findings", "conclusion", "notice_number"}
    inspection = services.inspection_update(inspection=recorded(world, inspection),
                                            by=world.users["officer_c1"], team="Đoàn 3 người.")  # fmt: skip
    concluded = services.inspection_conclude(inspection=inspection, by=world.users["officer_c1"])
    assert concluded.status == InspectionStatus.CONCLUDED and len(concluded.content_hash) == 64
    assert concluded.concluded_on == timezone.localdate()
    with pytest.raises(ValidationError):
        services.inspection_update(inspection=concluded, by=world.users["officer_c1"],
                                   findings="Sửa sau.")  # fmt: skip
    with pytest.raises(ValidationError):
        services.fix_add(inspection=concluded, by=world.users["officer_c1"], description="Thêm",
                         deadline=datetime.date(2027, 1, 1))  # fmt: skip


def test_fixes_are_tracked_until_done(world, concluded):
    fix = concluded.fixes.get()
    assert fix.is_overdue(datetime.date(2027, 1, 1)) and not fix.is_overdue(fix.deadline)
    with pytest.raises(ValidationError) as refused:
        services.fix_done(fix=fix, by=world.users["secretary_a"], note=" ")
    assert "note" in refused.value.message_dict
    services.fix_done(fix=fix, by=world.users["secretary_a"], note="Đã lập 3 bản đính chính.")
    fix.refresh_from_db()
    assert fix.done_on == timezone.localdate() and fix.done_by == world.users["secretary_a"]
    assert not fix.is_overdue(datetime.date(2027, 1, 1))
    with pytest.raises(ValidationError):
        services.fix_done(fix=fix, by=world.users["secretary_a"], note="Lần nữa.")


def test_a_fix_cannot_be_reported_before_the_conclusion(world):
    inspection = recorded(world, plan(world))
    fix = services.fix_add(inspection=inspection, by=world.users["officer_c1"],
                           description="Việc cần sửa", deadline=datetime.date(2026, 12, 1))  # fmt: skip
    with pytest.raises(ValidationError):
        services.fix_done(fix=fix, by=world.users["secretary_a"], note="Xong.")
    with pytest.raises(ValidationError) as refused:
        services.fix_add(inspection=inspection, by=world.users["officer_c1"], description="x",
                         deadline=datetime.date(2024, 1, 1))  # fmt: skip
    assert "deadline" in refused.value.message_dict


# --- the notice -------------------------------------------------------------------------------
def test_the_conclusion_notice_in_word(world, concluded):
    document = docx.Document(io.BytesIO(exporting.render(concluded, "docx")))
    text = "\n".join(p.text for p in document.paragraphs)
    cells = " ".join(c.text for t in document.tables for r in t.rows for c in r.cells)
    assert "THÔNG BÁO KẾT LUẬN" in text and "kết quả kiểm tra đối với Chi bộ thôn Ấp Đông" in text
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" in cells and "ĐẢNG ỦY XÃ HÒA BÌNH" in cells
    assert "Số 05-TB/ĐU" in cells and "T/M ĐẢNG ỦY" in cells
    assert "Hạn chế: 3 biên bản thiếu kết luận." in text
    assert "Bổ sung kết luận vào 3 biên bản bằng bản đính chính; thời hạn: 31/12/2026." in text
    footer = document.sections[0].first_page_footer.paragraphs[0].text
    assert concluded.content_hash in footer


def test_the_conclusion_notice_in_pdf(world, concluded):
    try:
        pdf = exporting.render(concluded, "pdf")
    except ExportUnavailable:
        pytest.fail("WeasyPrint cannot run here: install Pango (the test command does)")
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert "THÔNG BÁO KẾT LUẬN" in text and "05-TB/ĐU" in text
    assert concluded.content_hash[:16] in text.replace("\n", "")


def test_a_draft_notice_says_so(world):
    inspection = recorded(world, plan(world))
    assert exporting.file_name(inspection, "docx").startswith("thong-bao-ket-luan-du-thao-2026")
    document = docx.Document(io.BytesIO(exporting.render(inspection, "docx")))
    assert any(p.text == "DỰ THẢO" for p in document.paragraphs)


# --- access -----------------------------------------------------------------------------------
def test_inspection_pages_matrix(world, client_as, concluded):
    planned = plan(world, subject="Giám sát công tác phát triển đảng viên", kind="supervision")
    # Concluded: the committee's board and the inspected cell's secretary; not its members.
    check_matrix(client_as, reverse("inspection_detail", args=[concluded.pk]),
                 page_row({"secretary_a", "officer_c1", "admin_p"}))  # fmt: skip
    # Planned: only the committee's board (and those above).
    check_matrix(client_as, reverse("inspection_detail", args=[planned.pk]),
                 page_row({"officer_c1", "admin_p"}))  # fmt: skip
    check_matrix(client_as, reverse("inspection_notice", args=[concluded.pk, "docx"]),
                 page_row({"secretary_a", "officer_c1", "admin_p"}))  # fmt: skip
    check_matrix(client_as, reverse("unit_inspections", args=[world.c1.pk]),
                 page_row({"officer_c1", "admin_p"}))  # fmt: skip
    listing = client_as("secretary_a").get(reverse("unit_inspections", args=[world.a.pk]))
    assert concluded.subject in listing.content.decode()
    assert planned.subject not in listing.content.decode()


def test_inspection_page_actions(world, client_as):
    inspection = plan(world)
    url = reverse("inspection_detail", args=[inspection.pk])
    check_matrix(client_as, url, page_row({"officer_c1", "admin_p"}, FOUND), method="post",
                 data={"step": "fix", "description": "Sửa biên bản", "deadline": "2026-12-31"})  # fmt: skip
    assert inspection.fixes.count() == 2
    client = client_as("officer_c1")
    refused = client.post(url, {"step": "conclude"})
    assert refused.status_code == FOUND  # message shown on the page; still planned
    assert Inspection.objects.get(pk=inspection.pk).status == InspectionStatus.PLANNED
    saved = client.post(url, {"step": "record", "team": "Đoàn 3 người.", "findings": "Tốt.",
                              "conclusion": "Chấp hành tốt.", "notice_number": "07-TB/ĐU",
                              "version": inspection.version})  # fmt: skip
    assert saved.status_code == FOUND
    stale = client.post(url, {"step": "record", "team": "Khác", "version": inspection.version})
    assert stale.status_code == 422
    assert client.post(url, {"step": "conclude"}).status_code == FOUND
    assert Inspection.objects.get(pk=inspection.pk).status == InspectionStatus.CONCLUDED
    fix = Fix.objects.filter(inspection=inspection).first()
    done = {"step": "fix_done", "fix": fix.pk, "note": "Đã sửa."}
    assert client_as("member_a").post(url, done).status_code == MISSING
    assert client_as("secretary_a").post(url, done).status_code == FOUND
    assert Fix.objects.get(pk=fix.pk).done_on is not None


def test_api_inspection_routes(world, api_client_as):
    created = check_matrix(
        api_client_as, f"{API}/units/{world.c1.pk}/inspections",
        row({"officer_c1", "admin_p"}, CREATED),
        method="post", data={"target": world.a.code, "kind": "supervision",
                             "subject": "Giám sát sinh hoạt", "planned_month": 10,
                             "period_start": "2026-01-01", "period_end": "2026-09-30"}, **JSON,
    )  # fmt: skip
    inspection_id = created["officer_c1"].json()["id"]
    check_matrix(api_client_as, f"{API}/inspections/{inspection_id}",
                 row({"officer_c1", "admin_p"}))  # fmt: skip
    client = api_client_as("officer_c1")
    version = client.get(f"{API}/inspections/{inspection_id}").json()["version"]
    patched = client.patch(f"{API}/inspections/{inspection_id}",
                           {"version": version, "team": "Đoàn 2 người.", "findings": "Tốt.",
                            "conclusion": "Chấp hành tốt.", "notice_number": "09-TB/ĐU"},
                           content_type="application/json")  # fmt: skip
    assert patched.status_code == OK
    stale = client.patch(f"{API}/inspections/{inspection_id}", {"version": version, "team": "x"},
                         content_type="application/json")  # fmt: skip
    assert stale.status_code == 409
    fixed = client.post(f"{API}/inspections/{inspection_id}/fixes",
                        {"description": "Sửa biên bản", "deadline": "2026-12-31"}, **JSON)  # fmt: skip
    assert fixed.status_code == CREATED
    fix_id = fixed.json()["fixes"][0]["id"]
    check_matrix(api_client_as, f"{API}/inspections/{inspection_id}/conclude",
                 row({"officer_c1"}) | {"admin_p": FORBIDDEN}, method="post", data={}, **JSON)  # fmt: skip
    check_matrix(api_client_as, f"{API}/inspections/{inspection_id}/fixes/{fix_id}/done",
                 row({"secretary_a"}) | {"officer_c1": 422, "admin_p": 422},
                 method="post", data={"note": "Đã sửa."}, **JSON)  # fmt: skip
