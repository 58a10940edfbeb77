"""Browser: the compliance pages staff use in the field (SPEC §8), at 390×844 and at desktop width: signing a
pledge on a phone, the gift register's entry with its error next to the field, the fee-waiver entry. The signing
round and the outstanding list are in test_browser.py."""

import os
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.browser import ARGS, CHROMIUM, login, require_chromium
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}


@pytest.fixture
def browser(live_server):
    require_chromium()
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        contexts = []

        def new_page(**options):
            ctx = b.new_context(locale="zh-CN", **options)
            contexts.append(ctx)
            pg = ctx.new_page()
            pg.set_default_timeout(15000)
            return pg

        try:
            yield new_page, live_server.url
        finally:
            for ctx in contexts:
                ctx.close()
            b.close()


def _fits(pg, width):
    assert pg.evaluate("document.scrollingElement.scrollWidth") <= width, pg.url


def test_rm_signs_a_pledge_on_a_phone(browser, world, make_round):
    rnd = make_round()
    obligation = rnd.obligations.get(signer=world.rm)
    new_page, base = browser
    pg = new_page(**PHONE)
    login(pg, base, "rm", PASSWORD)
    pg.goto(f"{base}/compliance/obligations/{obligation.pk}/")
    pg.wait_for_selector("[data-testid=pledge-text]")
    assert "不收受客户赠送钱物" in pg.inner_text("[data-testid=pledge-text]")
    _fits(pg, 390)
    pg.check("#id_read_confirmed")
    pg.click("[data-testid=sign]")
    pg.wait_for_selector("[data-testid=signed]")
    assert len(pg.inner_text("[data-testid=sha256]")) == 64
    _fits(pg, 390)


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_gift_entry_shows_the_refusal_next_to_the_field_then_records(browser, world, seeded, size):
    from rmdesk.compliance.models import GiftEntry

    new_page, base = browser
    width = 390 if size == "phone" else 1280
    pg = new_page(**(PHONE if size == "phone" else DESKTOP))
    login(pg, base, "rm", PASSWORD)
    pg.goto(f"{base}/compliance/gifts/")
    _fits(pg, width)
    day = (timezone.localdate() - timedelta(days=1)).isoformat()
    pg.fill("#id_giver", "某贸易公司")
    pg.fill("#id_offered_on", day)
    pg.fill("#id_description", "茶叶礼盒")
    pg.fill("#id_value", "5000")
    pg.select_option("#id_outcome", "accepted")
    pg.click("form.card button[type=submit]")
    error = pg.locator("#id_value ~ .field-error")
    error.wait_for()
    assert "不得接受" in error.inner_text()
    assert not GiftEntry.objects.exists()
    _fits(pg, width)
    pg.select_option("#id_outcome", "refused")
    pg.click("form.card button[type=submit]")
    pg.wait_for_selector("[data-testid=gift-table] td:has-text('茶叶礼盒')")
    assert GiftEntry.objects.get().outcome == "refused"
    _fits(pg, width)


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_fee_waiver_entry_is_listed_against_the_entitlement(browser, world, seeded, make_customer, size):
    from rmdesk.compliance.models import FeeGrant

    customer = make_customer(world.rm, world.t1, name="周大成", aum=Decimal("3000000"))
    new_page, base = browser
    width = 390 if size == "phone" else 1280
    pg = new_page(**(PHONE if size == "phone" else DESKTOP))
    login(pg, base, "rm", PASSWORD)
    pg.goto(f"{base}/compliance/fees/")
    form = pg.locator("[data-testid=fee-form]")
    form.locator("#id_customer_no").fill("NO-SUCH-CUSTOMER")
    form.locator("#id_standard_fee").fill("100")
    form.locator("#id_charged_fee").fill("0")
    form.locator("#id_granted_on").fill(timezone.localdate().isoformat())
    form.locator("button[type=submit]").click()
    pg.wait_for_selector("#id_customer_no ~ .field-error")
    assert not FeeGrant.objects.exists()
    pg.locator("[data-testid=fee-form] #id_customer_no").fill(customer.customer_no)
    pg.locator("[data-testid=fee-form] button[type=submit]").click()
    pg.wait_for_selector("[data-testid=fee-table] td:has-text('周大成')")
    assert FeeGrant.objects.get().customer_id == customer.pk
    _fits(pg, width)
