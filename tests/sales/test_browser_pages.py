"""Browser: the sales pages an RM and a referrer use in the field (SPEC §4), at 390×844 and at desktop width: the
campaign list and a campaign's page with the RM's list, the opportunity board, list and funnel, and the referral
form with its error next to the field. The whole campaign → won opportunity → funnel walk is in test_browser.py."""

import os
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.browser import ARGS, CHROMIUM, login, require_chromium
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SIZES = {
    "phone": ({"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}, 390),
    "desktop": ({"viewport": {"width": 1280, "height": 800}}, 1280),
}


@pytest.fixture
def browser(live_server):
    require_chromium()
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        contexts = []

        def new_page(size):
            options, width = SIZES[size]
            ctx = b.new_context(locale="zh-CN", **options)
            contexts.append(ctx)
            pg = ctx.new_page()
            pg.set_default_timeout(15000)
            return pg, width

        try:
            yield new_page, live_server.url
        finally:
            for ctx in contexts:
                ctx.close()
            b.close()


def _fits(pg, width):
    assert pg.evaluate("document.scrollingElement.scrollWidth") <= width, pg.url


@pytest.fixture
def campaign(world, make_customer):
    from rmdesk.customers.models import Product
    from rmdesk.sales import services

    customer = make_customer(world.rm, world.t1, name="钱思远", aum=Decimal("900000"))
    segment = services.save_segment(world.manager, name="高资产客户", criteria={"aum_min": "500000"})
    today = timezone.localdate()
    campaign = services.launch_campaign(
        world.manager,
        name="秋季理财推广",
        segment_id=segment.pk,
        starts_on=today,
        ends_on=today + timedelta(days=30),
        product_ids=[Product.objects.get(code="WM-STABLE").pk],
        script="您好，我行推出稳盈理财……",
        target_count=20,
        target_amount=Decimal("2000000"),
    )
    return campaign, customer


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_rm_opens_the_campaign_list_and_the_campaign(browser, world, campaign, size):
    campaign, customer = campaign
    new_page, base = browser
    pg, width = new_page(size)
    login(pg, base, "rm", PASSWORD)
    pg.goto(f"{base}/sales/campaigns/")
    table = pg.locator("[data-testid=campaign-table]")
    assert "秋季理财推广" in table.inner_text()
    _fits(pg, width)
    table.locator("a:has-text('秋季理财推广')").click()
    pg.wait_for_selector("[data-testid=campaign-info]")
    assert pg.url.endswith(f"/sales/campaigns/{campaign.pk}/")
    assert "钱思远" in pg.inner_text(f"[data-testid=target-{customer.customer_no}]")
    _fits(pg, width)


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_opportunity_board_list_and_funnel(browser, world, make_customer, size):
    from rmdesk.customers.models import Product
    from rmdesk.sales import services

    customer = make_customer(world.rm, world.t1, name="孙立新")
    services.create_opportunity(
        world.rm, customer_id=customer.pk, product_id=Product.objects.get(code="DEP-FIX1Y").pk, amount=Decimal("50000")
    )
    new_page, base = browser
    pg, width = new_page(size)
    login(pg, base, "rm", PASSWORD)
    pg.goto(f"{base}/sales/")
    assert "孙立新" in pg.inner_text("[data-testid=opp-board]")
    _fits(pg, width)
    pg.goto(f"{base}/sales/?view=list")
    assert "孙立新" in pg.inner_text("[data-testid=opp-table]")
    _fits(pg, width)
    pg.goto(f"{base}/sales/analysis/")
    assert pg.inner_text("[data-testid=funnel-identify]") == "1"
    assert pg.inner_text("[data-testid=funnel-signed]") == "0"
    _fits(pg, width)
    pg.click("[data-testid=funnel-identify] a")
    pg.wait_for_selector("text=孙立新")
    _fits(pg, width)


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_referrer_refers_a_customer_with_the_error_next_to_the_field(browser, world, make_customer, size):
    from rmdesk.sales.models import Referral

    customer = make_customer(world.rm, world.t1, name="吴晓梅")
    new_page, base = browser
    pg, width = new_page(size)
    login(pg, base, "referrer", PASSWORD)
    pg.goto(f"{base}/sales/referrals/")
    form = pg.locator("[data-testid=referral-form]")
    form.locator("#id_customer_no").fill("NO-SUCH-NO")
    form.locator("#id_need").fill("想了解大额存单")
    form.locator("button[type=submit]").click()
    error = pg.locator(".field:has(#id_customer_no) .field-error")
    error.wait_for()
    assert error.inner_text() == "未找到该客户号。"
    assert not Referral.objects.exists()
    _fits(pg, width)
    pg.locator("[data-testid=referral-form] #id_customer_no").fill(customer.customer_no)
    pg.locator("[data-testid=referral-form] button[type=submit]").click()
    pg.wait_for_selector("[data-testid=referral-table] td:has-text('想了解大额存单')")
    assert Referral.objects.get().customer_id == customer.pk
    _fits(pg, width)
