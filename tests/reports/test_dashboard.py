"""The dashboard and the compliance list: access (an officer never sees a sibling committee's
figures), figures checked by hand against the meetings behind them, a fixed number of queries,
the chart as drawn."""

import datetime
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse
from django.utils import timezone

from chibo.followup.models import ReviewDecision, Task
from chibo.followup.services import review_save
from chibo.meetings import services as meetings
from chibo.meetings.models import Guest, Meeting, MeetingKind, Presence
from chibo.reports import aggregates, charts, selectors
from tests.api.conftest import API, count_queries
from tests.conftest import check_matrix
from tests.meetings.test_api import row

from ..followup.conftest import NOVEMBER, finalise, recorded
from ..meetings.conftest import plan
from ..quality.conftest import history

pytestmark = pytest.mark.django_db
FOUND = 302


def page_row(ok_roles, forbidden=frozenset()):
    return row(ok_roles, 200, forbidden) | {"anonymous": FOUND}


@pytest.fixture
def two_months(world, october):
    """October: A meets on the 5th, all 3 present. November: A meets on the 5th with Sơn absent
    without reason and an upper-level attendee, and decides October's task done. D (the other
    commune) meets on 20 November: after the deadline day."""
    november = recorded(world, NOVEMBER)
    line = november.attendance.get(member=world.son)
    line.presence = Presence.ABSENT_UNEXCUSED
    line.save()
    Guest.objects.create(meeting=november, name="Bùi Quang Vinh", is_upper_attendee=True)
    review_save(meeting=november, task=Task.objects.get(meeting=october),
                by=world.users["secretary_a"], decision=ReviewDecision.DONE, note="Xong")  # fmt: skip
    finalise(world, Meeting.objects.get(pk=november.pk))
    history(world, world.d, world.dung, [(datetime.date(2026, 11, 20), Presence.PRESENT)])
    aggregates.refresh_cell(world.d, datetime.date(2026, 11, 20))


def test_dashboard_page_matrix(world, client_as, two_months):
    check_matrix(client_as, reverse("unit_dashboard", args=[world.c1.pk]),
                 page_row({"officer_c1", "admin_p"}))  # fmt: skip
    # The cell's own dashboard: its secretary reads it; a plain member sees the cell, not this.
    check_matrix(client_as, reverse("unit_dashboard", args=[world.a.pk]),
                 page_row({"secretary_a", "officer_c1", "admin_p"}, forbidden={"member_a"}))  # fmt: skip
    check_matrix(client_as, reverse("unit_dashboard", args=[world.p.pk]), page_row({"admin_p"}))


def test_compliance_page_matrix(world, client_as, two_months):
    check_matrix(client_as, reverse("unit_compliance", args=[world.c1.pk]),
                 page_row({"officer_c1", "admin_p"}))  # fmt: skip
    check_matrix(client_as, reverse("unit_compliance", args=[world.a.pk]),
                 page_row({"secretary_a", "officer_c1", "admin_p"}, forbidden={"member_a"}))  # fmt: skip


def test_api_matrix(world, api_client_as, two_months):
    for route in ("dashboard", "compliance"):
        check_matrix(api_client_as, f"{API}/units/{world.c1.pk}/{route}",
                     row({"officer_c1", "admin_p"}))  # fmt: skip
        check_matrix(api_client_as, f"{API}/units/{world.a.pk}/{route}",
                     row({"secretary_a", "officer_c1", "admin_p"}, forbidden={"member_a"}))  # fmt: skip
        check_matrix(api_client_as, f"{API}/units/{world.d.pk}/{route}",
                     row({"officer_c2", "admin_p"}))  # fmt: skip


def test_figures_checked_by_hand(world, api_client_as, two_months):
    client = api_client_as("admin_p")
    november = client.get(f"{API}/units/{world.p.pk}/dashboard?period=2026-11").json()
    f = november["figures"]
    # 3 active cells (A, B, D) this month; A met by the 15th, D on the 20th, B not at all.
    assert f["cells"] == 3 and f["meetings"] == 2
    assert f["on_time_share"] == round(1 * 100 / 3, 1) and f["met_share"] == round(2 * 100 / 3, 1)
    # Present: A 2 of 3, D 1 of 1 → 3 of 4.
    assert f["attendance"] == 75.0
    assert f["task_completion"] == 100.0 and f["cells_upper_attended"] == 1
    assert f["cells_low_attendance"] == 1  # A: 67% under 85%
    assert f["thematic_share"] == 0.0 and november["open_proposals"] == 0
    children = {c["unit"]["code"]: c["figures"] for c in november["children"]}
    assert children["C1"]["cells"] == 2 and children["C1"]["on_time_share"] == 50.0
    assert children["C2"]["cells"] == 1 and children["C2"]["on_time_share"] == 0.0
    assert children["C2"]["met_share"] == 100.0
    # The quarter: 3 cells × the months whose deadline day has passed (December's only after
    # the 15th); A met on time in October and November.
    months = sum(selectors._elapsed(datetime.date(2026, m, 1), timezone.localdate()) for m in (10, 11, 12))
    quarter = client.get(f"{API}/units/{world.p.pk}/dashboard?period=2026-Q4").json()["figures"]
    assert quarter["meetings"] == 3 and quarter["on_time_share"] == round(2 * 100 / (3 * months), 1)
    assert quarter["attendance"] == round(6 * 100 / 7, 1)  # 3/3 + 2/3 + 1/1
    trend = client.get(f"{API}/units/{world.c1.pk}/dashboard?period=2026-11").json()["trend"]
    assert [p["month"] for p in trend][-2:] == ["2026-10-01", "2026-11-01"]
    assert [p["figures"]["meetings"] for p in trend][-3:] == [0, 1, 1]
    # The officer of C1 reads C1's figures: D's meeting is in none of them.
    c1 = api_client_as("officer_c1").get(f"{API}/units/{world.c1.pk}/dashboard?period=2026-11").json()
    assert c1["figures"]["meetings"] == 1 and c1["figures"]["cells"] == 2


def test_the_page_shows_the_figures(world, client_as, two_months):
    page = client_as("officer_c1").get(reverse("unit_dashboard", args=[world.c1.pk]) + "?p=2026-11")
    html = page.content.decode()
    assert 'id="kpi-on-time">50,0%<' in html and 'id="kpi-attendance">66,7%<' in html
    assert reverse("unit_dashboard", args=[world.a.pk]) + "?p=2026-11" in html
    assert "<svg" in html and "Chi bộ khu phố 3" not in html


def test_bad_period_is_explained(world, client_as, api_client_as):
    page = client_as("officer_c1").get(reverse("unit_dashboard", args=[world.c1.pk]) + "?p=tháng 13")
    assert page.status_code == 422 and "Hãy chọn một tháng" in page.content.decode()
    response = api_client_as("officer_c1").get(f"{API}/units/{world.c1.pk}/dashboard?period=2026-13")
    assert response.status_code == 422 and "period" in response.json()["errors"]


def test_the_dashboard_reads_a_fixed_number_of_queries(world, client_as, two_months):
    client = client_as("admin_p")
    url = reverse("unit_dashboard", args=[world.p.pk])
    few = count_queries(client, url + "?p=2026-11")
    for month in range(1, 10):  # nine more months of history for every cell
        history(world, world.b, world.binh, [(datetime.date(2026, month, 3), Presence.PRESENT)])
    aggregates.rebuild()
    assert count_queries(client, url + "?p=2026-11") == few
    assert count_queries(client, url + "?p=2026") == few
    api = f"{API}/units/{world.p.pk}/dashboard?period=2026"
    assert count_queries(client, api) <= few


def test_compliance_lists_the_problems_newest_first(world, api_client_as, two_months):
    open_meeting = plan(world, day=datetime.date(2026, 11, 25))
    meetings.meeting_start_recording(meeting=open_meeting, by=world.users["secretary_a"])
    body = api_client_as("admin_p").get(f"{API}/units/{world.p.pk}/compliance?period=2026-Q4").json()
    problems = [(p["cell"]["code"], p["kind"], p["day"]) for p in body["problems"]]
    assert problems[:2] == [("C1-A", "attendance", "2026-11-30"), ("C1-A", "unfinalised", "2026-11-27")]
    assert ("C1-B", "late", "2026-11-15") in problems and ("C2-D", "late", "2026-11-15") in problems
    assert ("C1-B", "late", "2026-10-15") in problems and ("C1-A", "late", "2026-10-15") not in problems
    assert ("C1-A", "attendance", "2026-11-30") in problems
    assert not any(kind == "thematic" for _code, kind, _day in problems)  # Q4 is not over
    days = [p["day"] for p in body["problems"]]
    assert days == sorted(days, reverse=True)
    q3 = api_client_as("admin_p").get(f"{API}/units/{world.p.pk}/compliance?period=2026-Q3").json()
    assert q3["counts"]["thematic"] == 3 and q3["counts"]["no_upper"] == 3
    officer = api_client_as("officer_c1").get(f"{API}/units/{world.c1.pk}/compliance?period=2026-Q4").json()
    assert officer["cells"] == 2 and all(p["cell"]["code"] != "C2-D" for p in officer["problems"])


def test_the_trend_chart_draws_what_it_is_given():
    svg = charts.trend_svg(["01", "02", "03"], [
        charts.Series("Đúng hạn", [100.0, None, 50.0], "#c00", "bar"),
        charts.Series("Dự họp", [80.0, 90.0, None], "#00c", "line"),
    ], title="Xu hướng")  # fmt: skip
    root = ET.fromstring(svg)
    ns = {"s": "http://www.w3.org/2000/svg"}
    bars = root.findall("s:rect[@class='bar']", ns)
    assert [float(b.get("data-value")) for b in bars] == [100.0, 50.0]
    full, half = (float(b.get("height")) for b in bars)
    assert full == pytest.approx(2 * half)
    line = root.find("s:polyline", ns)
    assert len(line.get("points").split()) == 2  # the month without a value leaves a gap
    assert "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_a_thematic_meeting_counts_in_the_coverage(world, api_client_as):
    history(world, world.a, world.hoa, [(datetime.date(2026, 8, 12), Presence.PRESENT)],
            kind=MeetingKind.THEMATIC)  # fmt: skip
    aggregates.rebuild()
    f = api_client_as("admin_p").get(f"{API}/units/{world.p.pk}/dashboard?period=2026-09").json()["figures"]
    assert f["thematic_share"] == round(100 / 3, 1)  # 1 of 3 cells so far this quarter


def test_only_months_whose_deadline_passed_count():
    may = datetime.date(2026, 5, 1)
    assert selectors._elapsed(may, datetime.date(2026, 6, 1))
    assert not selectors._elapsed(may, datetime.date(2026, 5, 15))
    assert selectors._elapsed(may, datetime.date(2026, 5, 16))
    assert not selectors._elapsed(may, datetime.date(2026, 4, 30))


def test_children_sort_by_a_column_the_lowest_first(world, client_as, two_months):
    url = reverse("unit_dashboard", args=[world.p.pk]) + "?p=2026-11&sort="
    names = ("Đảng ủy xã Hòa Bình", "Đảng ủy phường Đông Hà")

    def order(sort):
        html = client_as("admin_p").get(url + sort).content.decode()
        table = html[html.index('id="children"'):html.index("</table>", html.index('id="children"'))]
        return sorted(names, key=lambda name: table.index(f">{name}<"))

    assert order("on_time") == ["Đảng ủy phường Đông Hà", "Đảng ủy xã Hòa Bình"]  # 0% then 50%
    assert order("attendance") == ["Đảng ủy xã Hòa Bình", "Đảng ủy phường Đông Hà"]  # 67%, 100%
    assert order("name") == ["Đảng ủy phường Đông Hà", "Đảng ủy xã Hòa Bình"]  # Vietnamese order
    assert order("nonsense") == order("name")
