"""Browser (issue 15 "Done when"): a team lead builds a scorecard with AHP weights (the CR shown live while
typing the matrix), computes a month, reviews and publishes it, and an RM opens their breakdown."""

from decimal import Decimal

import pytest

from rmdesk.core.indicators import Measure
from tests.browser import login, page  # noqa: F401  (fixture)
from tests.conftest import PASSWORD

from .conftest import VALUES

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_supervisor_builds_ahp_scorecard_runs_publishes_and_rm_opens_breakdown(page, world, test_indicators):  # noqa: F811
    from rmdesk.performance.models import AssessmentRun, Scorecard

    t = test_indicators
    VALUES.update({"t.sales": {"rm": Measure(Decimal(80)), "rm_b": Measure(Decimal(40))}})
    VALUES.update({"t.coverage": {"rm": Measure.ratio(45, 50), "rm_b": Measure.ratio(10, 50)}})
    pg, base = page
    login(pg, base, "lead", PASSWORD)
    pg.click("[data-nav=performance_cards]")
    pg.click("[data-testid=card-new]")
    pg.fill("#name", "AHP月度方案")
    pg.select_option("#weight_method", "ahp")
    rows = (("t.sales", "0", "100"), ("t.coverage", "0", "100"), ("t.complaints", "0", "4"))
    for i, (code, lo, hi) in enumerate(rows):
        pg.select_option(f"select[name=item-{i}-kind]", "quantitative")
        pg.select_option(f"select[name=item-{i}-indicator]", str(t[code].pk))
        pg.fill(f"input[name=item-{i}-x_low]", lo)
        pg.fill(f"input[name=item-{i}-x_high]", hi)
    pg.locator("[data-testid=ahp-matrix]").press_sequentially("1 3 5\n1/3 1 3\n1/5 1/3 1")
    pg.wait_for_selector("[data-testid=ahp-cr]:has-text('0.0332')")
    pg.click("[data-testid=card-save]")
    pg.wait_for_selector("text=考核方案已保存")
    card = Scorecard.objects.get(name="AHP月度方案")
    assert [round(float(i.weight), 3) for i in card.items.order_by("order")] == [0.637, 0.258, 0.105]

    pg.click("[data-nav=performance_runs]")
    pg.select_option("#scorecard", str(card.pk))
    pg.fill("#year", "2026")
    pg.fill("#number", "3")
    pg.click("[data-testid=compute]")
    pg.wait_for_selector("[data-testid=ranking]")
    pg.click("[data-testid=review]")
    pg.click("[data-testid=publish]")
    pg.wait_for_selector("[data-testid=run-status]:has-text('已发布')")
    run = AssessmentRun.objects.get()
    assert run.status == "published"
    pg.click("[data-testid=logout]")
    pg.wait_for_url(f"{base}/login/")

    login(pg, base, "rm", PASSWORD)
    pg.click("[data-nav=performance_mine]")
    pg.click(f"[data-testid=my-results] a:has-text('{run.label}')")
    pg.wait_for_selector("[data-testid=breakdown]")
    text = pg.inner_text("[data-testid=breakdown]")
    assert "销售额" in text and "覆盖率" in text
    # 100·(0.8·0.637 + 0.9·0.258 + 1·0.105): complaints has no data, μ of a reversed 0 is 1
    expected = run.results.get(rm=world.rm).score
    assert f"{expected:.2f}" == pg.inner_text("[data-testid=result-score]")
    assert pg.locator("[data-testid=chart-trend]").count() == 1
