"""Browser (issue 16): each role's home page opens on its dashboard with the charts drawn (a canvas per chart, no
console error), the numbers behind a chart one click away, and a report exported to Excel; the RM's dashboard
also at 390×844."""

from decimal import Decimal

import pytest

from tests.browser import login, page  # noqa: F401  (fixture)
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _charts_drawn(pg):
    pg.wait_for_selector("[data-chart][data-chart-ready]")
    charts = pg.locator("[data-chart]")
    for i in range(charts.count()):
        assert charts.nth(i).locator("canvas").count() >= 1


def test_each_role_sees_its_dashboard_drawn_and_exports_a_report(page, world, make_customer):  # noqa: F811
    for i in range(4):
        make_customer(world.rm, aum=Decimal(100000 * (i + 1)))
    pg, base = page
    errors = []
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    for username, role in (
        ("rm", "rm"),
        ("lead", "team_lead"),
        ("manager", "branch_manager"),
        ("risk", "risk"),
        ("compliance", "compliance"),
    ):
        login(pg, base, username, PASSWORD)
        pg.wait_for_selector(f"[data-testid=dashboard-{role}]")
        if pg.locator("[data-chart]").count():
            _charts_drawn(pg)
        if role == "rm":
            pg.locator("[data-testid=chart-rm-tiers] summary").click()
            assert pg.locator("[data-testid=chart-rm-tiers] table tbody tr").count() >= 1
            pg.set_viewport_size({"width": 390, "height": 844})
            pg.reload()
            _charts_drawn(pg)
            width = pg.evaluate("document.documentElement.scrollWidth")
            assert width <= 390 + 1, f"the RM's dashboard scrolls sideways on a phone ({width}px)"
            pg.set_viewport_size({"width": 1280, "height": 900})
        if role == "branch_manager":
            pg.goto(f"{base}/analytics/reports/complaints/")
            pg.click("[data-testid=report-filters] button[type=submit]")
            with pg.expect_download() as download:
                pg.click("[data-testid=export-xlsx]")
            assert download.value.suggested_filename.endswith(".xlsx")
        pg.click("[data-testid=logout]")
        pg.wait_for_url(f"{base}/login/")
    assert errors == []
