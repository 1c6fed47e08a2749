"""The officer's and the secretary's way through the tree, in headless Chromium."""

import pytest
from playwright.sync_api import expect

from .conftest import assert_fits

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [390, 1280])
def test_officer_browses_tree_and_searches(world, open_page, live_server, width):
    page = open_page("admin_p", width=width)
    assert page.locator("h1").inner_text() == "Tỉnh ủy Thử"
    assert_fits(page, "tree-province")
    page.click("text=Đảng ủy xã Hòa Bình")
    assert page.locator("h1").inner_text() == "Đảng ủy xã Hòa Bình"
    page.click("text=Chi bộ thôn Ấp Đông")
    rows = page.locator("tbody tr td:nth-child(2)").all_inner_texts()
    names = [r.split("\n")[0] for r in rows]
    assert names[:3] == ["Đặng Thị Hoa", "Lê Văn Sơn", "Trần Văn Ưng"]
    assert_fits(page, "cell")
    page.goto(f"{live_server.url}/members/")
    page.fill("#id_q", "dang thi hoa")
    # (wait_for_function would evaluate a string, which the Content-Security-Policy forbids)
    expect(page.locator("#results")).to_contain_text("1 đảng viên")
    assert "Đặng Thị Hoa" in page.locator("#results").inner_text()
    assert_fits(page, "member-search")
    page.click("#results >> text=Đặng Thị Hoa")
    assert page.locator("h1").inner_text() == "Đặng Thị Hoa"
    assert_fits(page, "member-detail")


def test_secretary_records_an_exemption_on_a_phone(world, open_page):
    page = open_page("secretary_a", width=390)
    assert page.locator("h1").inner_text() == "Chi bộ thôn Ấp Đông"
    page.click("text=Trần Văn Ưng >> nth=-1")
    page.click("button:has-text('Ghi nhận')")
    page.click("text=Miễn sinh hoạt")
    page.wait_for_selector("#id_start")  # the form's page has loaded (not still navigating)
    assert_fits(page, "exemption-form")
    page.fill("#id_start", "2026-01-05")
    page.fill("#id_reason", "Ốm dài ngày")
    page.fill("#id_decision_ref", "NQ 03-NQ/CB")
    page.click("button:has-text('Lưu')")
    assert "Ốm dài ngày" in page.locator("main").inner_text()
    assert_fits(page, "member-after-exemption")


def test_login_page_fits_a_phone(db, open_page, live_server):
    page = open_page(None, width=390)
    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url
    assert_fits(page, "login")
