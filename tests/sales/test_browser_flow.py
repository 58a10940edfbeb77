"""Browser, issue 11 "Done when" (SPEC §4): a team lead launches a campaign through the pages (segment,
products, target) and splits the team's quota among its RMs; the RM opens the campaign from the 营销活动
list, records a result on a customer of their list, opens an opportunity from the list and moves it
stage by stage (识别 → 接触 → 方案 → 促成 → 签约); the funnel shows the hand-made figures exactly.

Hand-made data besides the flow: one opportunity of the same RM lost after 接触, so the funnel reads
识别 2 · 接触 2 (100.0) · 方案 1 (50.0) · 促成 1 (100.0) · 签约 1 (100.0), win rate 50.0%.
The RM's steps run once on a desktop and once on a phone (390×844) without sideways scrolling."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.browser import ARGS, CHROMIUM, login, require_chromium
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def _fits(pg, width):
    assert pg.evaluate("document.documentElement.scrollWidth") <= width + 2, pg.url


def _lost_after_contact(rm, customer, stages, lost):
    """The hand-made second opportunity: 识别 → 接触 → 失败 (through the services, audited)."""
    from rmdesk.sales import services
    from rmdesk.sales.models import Opportunity

    opp = services.create_opportunity(rm, customer_id=customer.pk, product_id=_deposit().pk, amount=Decimal("20000"))
    services.move_opportunity(rm, opp.pk, stage_id=stages["contact"].pk, version=1)
    version = Opportunity.objects.values_list("version", flat=True).get(pk=opp.pk)
    services.move_opportunity(
        rm, opp.pk, stage_id=stages["lost"].pk, version=version, lost_reason_id=next(iter(lost.values())).pk
    )


def _deposit():
    from rmdesk.customers.models import Product

    return Product.objects.get(code="DEP-LD3Y")


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_lead_launches_rm_wins_through_stages_and_funnel_counts(
    device, live_server, world, assessed, make_customer, stages, lost
):
    from playwright.sync_api import sync_playwright

    from rmdesk.sales.models import Campaign, CampaignTarget, Opportunity, Quota, Sale, StageChange

    require_chromium()
    import os

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    stage_codes = {s.code for s in stages.values()}
    assert {"identify", "contact", "proposal", "closing", "signed", "lost"} <= stage_codes, stage_codes
    target = assessed(world.rm, "C3", name="钱文华", aum=Decimal("900000"))
    other = assessed(world.rm, "C3", name="孙立", aum=Decimal("50000"))
    _lost_after_contact(world.rm, other, stages, lost)
    base = live_server.url
    expected = (timezone.localdate() + timedelta(days=20)).isoformat()
    rm_label = world.rm.display_name
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            # --- the team lead: segment, campaign, quota split ------------------------------------------
            ctx = browser.new_context(locale="zh-CN", **DESKTOP)
            pg = ctx.new_page()
            pg.set_default_timeout(15000)
            login(pg, base, "lead", PASSWORD)
            pg.goto(f"{base}/sales/campaigns/")
            pg.click("[data-testid=segment-link]")
            pg.fill("#id_name", "百万级存款客户")
            pg.fill("#id_aum_min", "500000")
            pg.click("[data-testid=segment-save]")
            row = pg.locator("[data-testid=segment-table] tr", has_text="百万级存款客户")
            assert row.locator("td").nth(1).inner_text().strip() == "1"
            pg.goto(f"{base}/sales/campaigns/")
            pg.click("[data-testid=campaign-new]")
            pg.fill("#id_name", "冬季大额存单营销")
            pg.select_option("#id_segment", label="百万级存款客户")
            pg.locator("[data-testid=campaign-form] label", has_text="三年期大额存单").locator("input").check()
            pg.fill("#id_target_count", "2")
            pg.fill("#id_target_amount", "1000000")
            pg.fill("#id_script", "您好，本行三年期大额存单……")
            pg.click("[data-testid=campaign-form] button[type=submit]")
            pg.wait_for_selector("[data-testid=quota-table]")
            campaign = Campaign.objects.get(name="冬季大额存单营销")
            root = Quota.objects.get(campaign=campaign, parent=None)
            split = pg.locator(f"[data-testid=split-{root.pk}]")
            split.locator(f"input[name=count_r_{world.rm.pk}]").fill("1")
            split.locator(f"input[name=amount_r_{world.rm.pk}]").fill("600000")
            split.locator(f"input[name=count_r_{world.rm_b.pk}]").fill("1")
            split.locator(f"input[name=amount_r_{world.rm_b.pk}]").fill("400000")
            split.locator("button[type=submit]").click()
            pg.wait_for_selector("text=任务已分解。")
            quota_rows = pg.locator("[data-testid=quota-table] tbody tr")
            rm_row = quota_rows.filter(has_text=rm_label)
            assert [c.strip() for c in rm_row.locator("td").all_inner_texts()[1:3]] == ["1", "600000.00"]
            ctx.close()

            # --- the RM: list, result, opportunity through every stage, funnel ---------------------------
            size = PHONE if device == "phone" else DESKTOP
            width = size["viewport"]["width"]
            ctx = browser.new_context(locale="zh-CN", **size)
            pg = ctx.new_page()
            pg.set_default_timeout(15000)
            login(pg, base, "rm", PASSWORD)
            pg.goto(f"{base}/sales/campaigns/")
            _fits(pg, width)
            pg.click("[data-testid=campaign-table] a:has-text('冬季大额存单营销')")
            card = pg.locator(f"[data-testid=target-{target.customer_no}]")
            card.wait_for()
            _fits(pg, width)
            assert pg.locator("[data-testid=target-list] > .card").count() == 1
            card.locator("select[name=status]").select_option(label="有意向")
            card.locator("input[name=note]").fill("客户关注利率")
            card.locator("button[type=submit]").click()
            status = f"[data-testid=target-{target.customer_no}] [data-testid=target-status]"
            pg.wait_for_selector(f"{status}:text('有意向')")
            pg.locator(f"[data-testid=target-{target.customer_no}] [data-testid=target-opp]").click()
            pg.wait_for_selector("[data-testid=opp-form]")
            _fits(pg, width)
            pg.select_option("#id_product", label="三年期大额存单（DEP-LD3Y）")
            pg.fill("#id_amount", "600000")
            pg.fill("#id_next_step", "约客户到网点面谈")
            pg.click("[data-testid=opp-form] button[type=submit]")
            pg.wait_for_selector("[data-testid=opp-move]")
            assert pg.inner_text("[data-testid=opp-stage]") == "识别"
            for name in ("接触", "方案", "促成", "签约"):
                _fits(pg, width)
                pg.select_option("#stage_id", label=name)
                if name == "促成":
                    pg.fill("#expected_on", expected)
                pg.click("[data-testid=opp-move] button[type=submit]")
                pg.wait_for_selector(f"[data-testid=opp-stage]:text-is('{name}')")
            assert "600000" in pg.inner_text("[data-testid=opp-sale]")
            assert pg.locator("[data-testid=opp-history] tbody tr").count() == 5
            pg.goto(f"{base}/sales/analysis/")
            _fits(pg, width)
            funnel = {
                tr.get_attribute("data-stage"): [c.strip() for c in tr.locator("td").all_inner_texts()[1:]]
                for tr in pg.locator("[data-testid=funnel-table] tbody tr").all()
            }
            assert funnel == {
                "identify": ["2", "—"],
                "contact": ["2", "100.0"],
                "proposal": ["1", "50.0"],
                "closing": ["1", "100.0"],
                "signed": ["1", "100.0"],
            }
            assert "商机共 2 个，签约 1 个，赢单率 50.0%。" in pg.inner_text("main")
            pg.goto(f"{base}/sales/campaigns/{campaign.pk}/")
            rm_progress = pg.locator("[data-testid=progress-rm] tbody tr", has_text=rm_label)
            assert [c.strip() for c in rm_progress.locator("td").all_inner_texts()[1:]] == [
                "1",  # on the list
                "1",  # contacted (every entry with a result)
                "0",  # interested now: it moved on to signed
                "1",  # signed
                "0",  # refused
                "600000.00",
            ]
            ctx.close()
        finally:
            browser.close()
    opp = Opportunity.objects.get(campaign=campaign)
    assert (opp.stage.code, opp.amount, opp.expected_on.isoformat()) == ("signed", Decimal("600000"), expected)
    assert [c.to_stage.code for c in StageChange.objects.filter(opportunity=opp).order_by("at", "pk")] == [
        "identify",
        "contact",
        "proposal",
        "closing",
        "signed",
    ]
    sale = Sale.objects.get(opportunity=opp)
    assert (sale.amount, sale.campaign_id, sale.rm_id) == (Decimal("600000"), campaign.pk, world.rm.pk)
    assert CampaignTarget.objects.get(campaign=campaign, customer=target).status == "signed"
