"""The dashboard as an image: the chart drawn by headless Chromium with no network, its bars
as tall as the figures they stand for, and the page fitting a phone."""

import datetime
import io

import pytest
from PIL import Image

from chibo.meetings.models import Presence
from chibo.reports import aggregates

from ..quality.conftest import history
from .conftest import assert_fits

pytestmark = pytest.mark.browser

RED = (200, 16, 46)  # the bars' colour (#c8102e)


def _is_red(pixel) -> bool:
    return all(abs(a - b) < 40 for a, b in zip(pixel[:3], RED, strict=True))


def test_the_trend_chart_is_drawn_to_scale(world, open_page, live_server):
    # Cell D: on time every month of 2025 except May and November (met after the 15th).
    rows = [(datetime.date(2025, m, 20 if m in (5, 11) else 5), Presence.PRESENT) for m in range(1, 13)]
    history(world, world.d, world.dung, rows)
    aggregates.rebuild()
    page = open_page("officer_c2", width=1280)
    page.route("http*://*/**", lambda route: route.continue_() if route.request.url.startswith(
        live_server.url) else route.abort())  # nothing from outside the server  # fmt: skip
    page.goto(f"{live_server.url}/units/{world.c2.pk}/dashboard/?p=2025-12")
    chart = page.locator("#trend svg")
    chart.wait_for()
    image = Image.open(io.BytesIO(chart.screenshot())).convert("RGB")
    width, height = image.size
    # One column of pixels through the middle of each month's slot: count the red ones.
    left, right = width * 40 / 720, width * (720 - 12) / 720
    slot = (right - left) / 12
    heights = []
    for i in range(12):
        x = int(left + slot * (i + 0.5))
        heights.append(sum(1 for y in range(height) if _is_red(image.getpixel((x, y)))))
    full = max(heights)
    assert full > height * 0.4  # a 100% bar spans most of the plot
    for i, h in enumerate(heights):
        if i in (4, 10):  # May and November: 0% on time, no bar
            assert h == 0, (i, heights)
        else:
            assert h == pytest.approx(full, abs=2), (i, heights)
    assert_fits(page, "dashboard")


def test_the_dashboard_fits_a_phone(world, open_page, live_server):
    history(world, world.a, world.hoa, [(datetime.date(2026, 3, 5), Presence.PRESENT)])
    aggregates.rebuild()
    page = open_page("admin_p", width=390)
    page.goto(f"{live_server.url}/units/{world.p.pk}/dashboard/?p=2026-Q1")
    assert page.locator("h1").inner_text() == "Chất lượng sinh hoạt"
    assert page.locator("#children tbody tr").count() == 2
    assert_fits(page, "dashboard-phone")
