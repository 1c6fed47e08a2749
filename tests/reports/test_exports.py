"""The dashboard as an Excel workbook and the periodic report as a Word document: access like
the dashboard (an officer never gets a sibling committee's rows), the same figures as the
dashboard's API, None as an empty cell, Vietnamese numbers in the report."""

import datetime
import io

import pytest
from django.urls import reverse
from docx import Document
from openpyxl import load_workbook

from chibo.meetings.models import Presence
from chibo.reports import aggregates, exporting, selectors
from chibo.reports.periods import parse_period
from tests.api.conftest import API, count_queries, english
from tests.conftest import check_matrix
from tests.meetings.test_api import row

from ..quality.conftest import history
from .test_dashboard import two_months  # noqa: F401  (a fixture the tests here use)

pytestmark = pytest.mark.django_db
FOUND = 302
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
SUMMARY_LABELS = {
    "cells": "Số chi bộ",
    "meetings": "Số cuộc sinh hoạt",
    "thematic_meetings": "Số cuộc sinh hoạt chuyên đề",
    "on_time_share": "Chi bộ họp đúng hạn (%)",
    "met_share": "Chi bộ có sinh hoạt thường kỳ (%)",
    "thematic_share": "Chi bộ có sinh hoạt chuyên đề (%)",
    "attendance": "Tỷ lệ dự họp (%)",
    "task_completion": "Nhiệm vụ hoàn thành khi đến hạn (%)",
    "average_score": "Điểm bình quân",
    "scored": "Số cuộc được chấm điểm",
    "cells_low_attendance": "Chi bộ có tỷ lệ dự họp dưới mức quy định",
    "cells_upper_attended": "Chi bộ có cấp trên dự",
}
CHILD_COLUMNS = ("cells", "on_time_share", "thematic_share", "attendance", "average_score",
                 "task_completion", "meetings")  # fmt: skip


def page_row(ok_roles, forbidden=frozenset()):
    return row(ok_roles, 200, forbidden) | {"anonymous": FOUND}


def workbook(response):
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    return load_workbook(io.BytesIO(response.content))


def document_text(response) -> str:
    """Every paragraph of the Word file, the tables' cells included (one per line)."""
    assert response.status_code == 200 and response["Content-Type"] == DOCX
    doc = Document(io.BytesIO(response.content))
    lines = [p.text for p in doc.paragraphs]

    def cells(table):
        for table_row in table.rows:
            for cell in table_row.cells:
                yield from (p.text for p in cell.paragraphs)
                for inner in cell.tables:
                    yield from cells(inner)

    for table in doc.tables:
        lines += list(cells(table))
    return "\n".join(lines)


def table_rows(response) -> list[list[str]]:
    """The rows of the Word file's ruled tables (the header and signature grids left out)."""
    doc = Document(io.BytesIO(response.content))
    ruled = [t for t in doc.tables if t.style is not None and t.style.name == "Table Grid"]
    return [[c.text for c in r.cells] for t in ruled for r in t.rows]


@pytest.mark.usefixtures("two_months")
def test_page_matrix(world, client_as):
    for name in ("unit_dashboard_xlsx", "unit_report_docx"):
        check_matrix(client_as, reverse(name, args=[world.c1.pk]) + "?p=2026-11",
                     page_row({"officer_c1", "admin_p"}))  # fmt: skip
        check_matrix(client_as, reverse(name, args=[world.a.pk]) + "?p=2026-11",
                     page_row({"secretary_a", "officer_c1", "admin_p"}, forbidden={"member_a"}))  # fmt: skip


@pytest.mark.usefixtures("two_months")
def test_api_matrix(world, api_client_as):
    for route in ("dashboard.xlsx", "report.docx"):
        check_matrix(api_client_as, f"{API}/units/{world.c1.pk}/{route}?period=2026-11",
                     row({"officer_c1", "admin_p"}))  # fmt: skip
        check_matrix(api_client_as, f"{API}/units/{world.a.pk}/{route}?period=2026-11",
                     row({"secretary_a", "officer_c1", "admin_p"}, forbidden={"member_a"}))  # fmt: skip


@pytest.mark.usefixtures("two_months")
def test_the_workbook_holds_the_dashboards_figures(world, api_client_as):
    client = api_client_as("admin_p")
    board = client.get(f"{API}/units/{world.p.pk}/dashboard?period=2026-11").json()
    response = client.get(f"{API}/units/{world.p.pk}/dashboard.xlsx?period=2026-11")
    name = "chat-luong-sinh-hoat-p-2026-11.xlsx"
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    wb = workbook(response)
    assert wb.sheetnames == [
        "Tổng hợp", "Đơn vị trực thuộc", "Xu hướng 12 tháng", "Chi bộ điểm thấp",
    ]  # fmt: skip

    summary = wb["Tổng hợp"]
    values = {r[0].value: r[1] for r in summary.iter_rows(min_row=6) if r[0].value}
    assert summary["B2"].value == "Tỉnh ủy Thử" and summary["B3"].value == "Tháng 11/2026"
    for key, label in SUMMARY_LABELS.items():
        assert values[label].value == board["figures"][key], key  # None stays an empty cell
    assert values["Chi bộ họp đúng hạn (%)"].value == 33.3
    assert values["Tỷ lệ dự họp (%)"].value == 75.0
    assert values["Tỷ lệ dự họp (%)"].number_format == '0.0"%"'
    assert values["Điểm bình quân"].value is None  # nothing scored yet: empty, not 0
    grades = [values[f"Xếp loại {g}"].value for g in ("Tốt", "Khá", "Trung bình", "Kém")]
    assert grades == board["figures"]["grades"]
    assert values["Kiến nghị chờ trả lời"].value == 0
    assert values["Không sinh hoạt thường kỳ đúng hạn"].value >= 2  # B and D in November

    children = wb["Đơn vị trực thuộc"]
    assert children.freeze_panes == "B2" and children.auto_filter.ref == "A1:M3"
    assert all(cell.font.b for cell in children[1])
    rows = {r[1]: r for r in children.iter_rows(min_row=2, values_only=True)}
    assert set(rows) == {"C1", "C2"}
    expected = {c["unit"]["code"]: c["figures"] for c in board["children"]}
    for code, values_row in rows.items():
        assert values_row[0] == {"C1": "Đảng ủy xã Hòa Bình", "C2": "Đảng ủy phường Đông Hà"}[code]
        got = dict(zip(CHILD_COLUMNS, values_row[2:9], strict=True))
        assert got == {k: expected[code][k] for k in CHILD_COLUMNS}
        assert list(values_row[9:]) == expected[code]["grades"]
    assert rows["C1"][3] == 50.0 and rows["C2"][3] == 0.0
    assert rows["C2"][7] is None  # no task was due in C2: empty, not 0

    trend = list(wb["Xu hướng 12 tháng"].iter_rows(min_row=2, values_only=True))
    assert len(trend) == 12
    assert trend[-1][0].date() == datetime.date(2026, 11, 1) and trend[-1][4] == 2
    assert trend[-1][2] == 75.0 and trend[0][1] is not None


@pytest.mark.usefixtures("two_months")
def test_the_report_in_the_party_format(world, api_client_as):
    response = api_client_as("admin_p").get(f"{API}/units/{world.p.pk}/report.docx?period=2026-11")
    name = "bao-cao-chat-luong-sinh-hoat-p-2026-11.docx"
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    text = document_text(response)
    assert "BÁO CÁO" in text and "ĐẢNG CỘNG SẢN VIỆT NAM" in text
    assert "Kết quả thực hiện nâng cao chất lượng sinh hoạt chi bộ tháng 11 năm 2026" in text
    assert "TỈNH ỦY THỬ" in text and "Kính gửi: Ban Thường vụ Tỉnh ủy Thử" in text
    assert "Tỷ lệ đảng viên dự sinh hoạt bình quân đạt 75,0%" in text
    assert "đúng hạn đạt 33,3%" in text and "3 chi bộ trực thuộc đã tổ chức 2 cuộc" in text
    assert "I. TÌNH HÌNH CHUNG" in text and "V. PHƯƠNG HƯỚNG, NHIỆM VỤ THỜI GIAN TỚI" in text
    assert "T/M BAN THƯỜNG VỤ" in text and "Nơi nhận:" in text
    assert "{{" not in text and "{%" not in text
    rows = table_rows(response)
    children = {r[1]: r for r in rows if r[1].startswith("Đảng ủy")}
    assert set(children) == {"Đảng ủy xã Hòa Bình", "Đảng ủy phường Đông Hà"}
    assert children["Đảng ủy xã Hòa Bình"][2:5] == ["2", "1", "50,0%"]
    c2 = children["Đảng ủy phường Đông Hà"]
    assert c2[4] == "0,0%" and c2[8] == "–"  # on time; no task due: no share
    assert ["Tốt", "0", "–"] in rows  # nothing scored: no share


@pytest.mark.usefixtures("two_months")
def test_a_cells_report_is_signed_by_the_cell(world, client_as):
    url = reverse("unit_report_docx", args=[world.a.pk]) + "?p=2026-Q4"
    text = document_text(client_as("secretary_a").get(url))
    assert "ĐẢNG BỘ XÃ HÒA BÌNH" in text and "CHI BỘ THÔN ẤP ĐÔNG" in text
    assert "Hòa Bình, ngày" in text and "quý IV năm 2026" in text
    assert "Kính gửi: Ban Thường vụ Đảng ủy xã Hòa Bình" in text
    assert "Trong quý IV năm 2026, chi bộ đã tổ chức 2 cuộc" in text
    assert "(Không có đơn vị trực thuộc.)" in text and "T/M CHI BỘ" in text


@pytest.mark.usefixtures("two_months")
def test_an_officer_never_gets_a_sibling_committees_rows(world, client_as, api_client_as):
    client = client_as("officer_c1")
    wb = workbook(client.get(reverse("unit_dashboard_xlsx", args=[world.c1.pk]) + "?p=2026-11"))
    every_value = {v for ws in wb for r in ws.iter_rows(values_only=True) for v in r}
    assert {"C1-A", "C1-B"} <= every_value
    assert not {"C2-D", "Chi bộ khu phố 3", "Đảng ủy phường Đông Hà"} & every_value
    text = document_text(client.get(reverse("unit_report_docx", args=[world.c1.pk]) + "?p=2026-11"))
    assert "Chi bộ thôn Ấp Đông" in text and "Chi bộ khu phố 3" not in text
    api = api_client_as("officer_c1")
    for route in ("dashboard.xlsx", "report.docx"):
        for unit in (world.p, world.c2):
            assert api.get(f"{API}/units/{unit.pk}/{route}").status_code == 404


def test_a_bad_period_is_explained(world, client_as, api_client_as):
    for name in ("unit_dashboard_xlsx", "unit_report_docx"):
        page = client_as("officer_c1").get(reverse(name, args=[world.c1.pk]) + "?p=2026-13")
        assert page.status_code == 422 and "Hãy chọn một tháng" in page.content.decode()
    api = api_client_as("officer_c1")
    for route in ("dashboard.xlsx", "report.docx"):
        response = api.get(f"{API}/units/{world.c1.pk}/{route}?period=tháng 13")
        assert response.status_code == 422 and "period" in response.json()["errors"]


@pytest.mark.usefixtures("two_months")
def test_the_dashboard_offers_both_files_for_its_period(world, client_as):
    url = reverse("unit_dashboard", args=[world.c1.pk]) + "?p=2026-Q4"
    html = client_as("officer_c1").get(url).content.decode()
    assert reverse("unit_dashboard_xlsx", args=[world.c1.pk]) + "?p=2026-Q4" in html
    assert reverse("unit_report_docx", args=[world.c1.pk]) + "?p=2026-Q4" in html
    assert "Báo cáo (Word)" in html


def test_vietnamese_numbers_and_file_names(world):
    assert exporting.vn_number(85.3) == "85,3" and exporting.vn_number(3475, 0) == "3.475"
    assert exporting.vn_share(75.0) == "75,0%" and exporting.vn_share(None) == "–"
    quarter = parse_period("2026-Q4", today=datetime.date(2026, 11, 20))
    board = selectors.dashboard(world.c1, quarter)
    assert exporting.file_name(board, "xlsx") == "chat-luong-sinh-hoat-c1-2026-q4.xlsx"


@pytest.mark.usefixtures("two_months")
def test_the_workbook_reads_in_the_readers_language_the_report_stays_vietnamese(world, client_as):
    client = english(client_as("officer_c1"))
    wb = workbook(client.get(reverse("unit_dashboard_xlsx", args=[world.c1.pk]) + "?p=2026-11"))
    assert wb.sheetnames[0] == "Summary" and wb["Summary"]["A6"].value == "Number of cells"
    text = document_text(client.get(reverse("unit_report_docx", args=[world.c1.pk]) + "?p=2026-11"))
    assert "- Không sinh hoạt thường kỳ đúng hạn: " in text  # a label of the checks, in Vietnamese
    assert "No regular meeting" not in text


@pytest.mark.usefixtures("two_months")
def test_the_files_read_a_fixed_number_of_queries(world, client_as):
    client = client_as("admin_p")
    urls = [reverse(name, args=[world.p.pk]) + "?p=2026"
            for name in ("unit_dashboard_xlsx", "unit_report_docx")]  # fmt: skip
    few = [count_queries(client, url) for url in urls]
    for month in range(1, 10):  # nine more months of history for a cell
        history(world, world.b, world.binh, [(datetime.date(2026, month, 3), Presence.PRESENT)])
    aggregates.rebuild()
    assert [count_queries(client, url) for url in urls] == few
