"""Browser (issue 11, "Done when"): a supervisor saves a segment and launches a campaign; the RM, on a
phone (390×844), finds the list on the home page, records a result, opens an opportunity from the list,
wins it (the sale is recorded), and the funnel shows it."""

import pytest

from tests.browser import ARGS, CHROMIUM, login, require_chromium
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def _no_page_scroll(pg):
    assert pg.evaluate("document.documentElement.scrollWidth") <= 392, pg.url


def test_campaign_list_won_opportunity_and_funnel(live_server, world, make_customer):
    import os
    from decimal import Decimal

    from playwright.sync_api import sync_playwright

    from rmdesk.sales.models import Opportunity, Sale

    require_chromium()
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    customer = make_customer(world.rm, world.t1, name="赵建国", aum=Decimal("800000"))
    base = live_server.url
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            ctx = browser.new_context(locale="zh-CN")
            pg = ctx.new_page()
            pg.set_default_timeout(15000)
            login(pg, base, "manager", PASSWORD)
            pg.goto(f"{base}/sales/segments/")
            pg.fill("#id_name", "高资产客户")
            pg.fill("#id_aum_min", "500000")
            pg.click("[data-testid=segment-save]")
            pg.wait_for_selector("[data-testid=segment-table] td:has-text('高资产客户')")
            pg.goto(f"{base}/sales/campaigns/new/")
            pg.fill("#id_name", "春季存款营销")
            pg.select_option("#id_segment", label="高资产客户")
            pg.check("[data-testid=campaign-form] input[name=products] >> nth=0")
            pg.fill("#id_target_count", "10")
            pg.fill("#id_target_amount", "1000000")
            pg.fill("#id_script", "您好，我行大额存单利率优惠……")
            pg.click("[data-testid=campaign-form] button[type=submit]")
            pg.wait_for_selector("[data-testid=quota-table]")
            assert "赵建国" in pg.inner_text("[data-testid=target-list]")
            ctx.close()

            phone = browser.new_context(locale="zh-CN", **PHONE)
            pg = phone.new_page()
            pg.set_default_timeout(15000)
            login(pg, base, "rm", PASSWORD)
            pg.click("[data-testid=sales-panel-lists] a")
            pg.wait_for_selector(f"[data-testid=target-{customer.customer_no}]")
            _no_page_scroll(pg)
            card = pg.locator(f"[data-testid=target-{customer.customer_no}]")
            card.locator("select[name=status]").select_option("interested")
            card.locator("button[type=submit]").click()
            pg.wait_for_selector(f"[data-testid=target-{customer.customer_no}] :text('有意向')")
            pg.locator(f"[data-testid=target-{customer.customer_no}] [data-testid=target-opp]").click()
            pg.wait_for_selector("[data-testid=opp-form]")
            pg.select_option("#id_product", label="三年期大额存单（DEP-LD3Y）")
            pg.fill("#id_amount", "500000")
            pg.click("[data-testid=opp-form] button[type=submit]")
            pg.wait_for_selector("[data-testid=opp-move]")
            _no_page_scroll(pg)
            pg.select_option("#stage_id", label="签约")
            pg.click("[data-testid=opp-move] button[type=submit]")
            pg.wait_for_selector("[data-testid=opp-sale]")
            assert pg.inner_text("[data-testid=opp-stage]") == "签约"
            pg.goto(f"{base}/sales/analysis/")
            assert pg.inner_text("[data-testid=funnel-signed]") == "1"
            assert pg.inner_text("[data-testid=funnel-identify]") == "1"
            pg.goto(f"{base}/sales/campaigns/")
            _no_page_scroll(pg)
            phone.close()
        finally:
            browser.close()
    opp = Opportunity.objects.get()
    assert (opp.stage.code, opp.campaign.name, opp.amount) == ("signed", "春季存款营销", Decimal("500000"))
    assert Sale.objects.get().campaign == opp.campaign
