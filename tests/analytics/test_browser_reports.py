"""Browser (issue 16): every report page opens with its charts drawn (a canvas per chart, no console error, no
failed request) and downloads its Excel; the plan completion report shows the target letters' figures; the RM's
dashboard at 390×844 draws the targets of the month without scrolling sideways. One browser session."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from rmdesk.analytics.reports import REPORTS
from rmdesk.performance.models import IndicatorSetting, IndicatorSource, LetterStatus, TargetLetter, TargetLine
from tests.browser import login, page  # noqa: F401  (fixture)
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _charts_drawn(pg):
    charts = pg.locator("[data-chart]")
    if not charts.count():
        return 0
    pg.wait_for_selector("[data-chart][data-chart-ready]")
    for i in range(charts.count()):
        assert charts.nth(i).locator("canvas").count() >= 1, f"chart {i} not drawn on {pg.url}"
    return charts.count()


def _letter(world):
    """The RM's active letter: 中高端客户管户数 3 a month (the customers app's indicator, computed for real)."""
    setting, _ = IndicatorSetting.objects.get_or_create(
        code="customers.high_end",
        defaults={"name": "中高端客户管户数", "unit": "户", "source": IndicatorSource.COMPUTED},
    )
    year = timezone.localdate().year
    letter = TargetLetter.objects.create(
        rm=world.rm, org_path=world.t1.path, year=year, status=LetterStatus.ACTIVE, proposed_by=world.lead
    )
    TargetLine.objects.create(letter=letter, indicator=setting, annual=36, quarters=["9"] * 4, months=["3"] * 12)
    return year


def test_reports_draw_and_export_and_the_rm_sees_targets_on_a_phone(page, world, make_customer):  # noqa: F811
    for i in range(4):
        make_customer(world.rm, aum=Decimal(100000 * (i + 1)))
    year = _letter(world)
    pg, base = page
    errors = []
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)

    login(pg, base, "manager", PASSWORD)
    drawn = 0
    for key in REPORTS:
        pg.goto(f"{base}/analytics/reports/{key}/")
        pg.wait_for_selector("[data-testid=export-xlsx]")
        drawn += _charts_drawn(pg)
        with pg.expect_download() as download:
            pg.click("[data-testid=export-xlsx]")
        assert download.value.suggested_filename.startswith(key) and download.value.suggested_filename.endswith(".xlsx")
        assert download.value.failure() is None
    assert drawn >= len(REPORTS) // 2  # most reports draw at least one chart

    # the plan completion report over the year: the RM's target line, per RM and per team
    pg.goto(f"{base}/analytics/reports/plan-completion/?start={date(year, 1, 1)}&end={timezone.localdate()}")
    _charts_drawn(pg)
    assert pg.locator("[data-testid=chart-plan-completion-chart] canvas").count() >= 1
    per_rm = pg.locator("[data-table=plan-completion-rm] tbody tr")
    assert per_rm.count() == 1 and "中高端客户管户数" in per_rm.first.inner_text()
    months = timezone.localdate().month
    assert f"{Decimal(3 * months):.2f}" in per_rm.first.inner_text()
    pg.click("[data-testid=logout]")
    pg.wait_for_url(f"{base}/login/")

    # the RM's dashboard on a phone: the targets of the month drawn, the table beside it, no sideways scroll
    pg.set_viewport_size({"width": 390, "height": 844})
    login(pg, base, "rm", PASSWORD)
    pg.wait_for_selector("[data-testid=dashboard-rm]")
    _charts_drawn(pg)
    assert pg.locator("[data-testid=chart-rm-letter-rate] canvas").count() >= 1
    row = pg.locator("[data-table=rm-letter] tbody tr").first
    assert "中高端客户管户数" in row.inner_text() and "3.00" in row.inner_text()
    width = pg.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1, f"the RM's dashboard scrolls sideways on a phone ({width}px)"
    assert errors == []
