"""Browser: fee entitlements and the review list (SPEC §8 account-change monitoring, issue 14). At desktop
width a compliance officer adds an entitlement (the refusal next to the field first), then follows a grant
of the review list to the entitlement it breached; on a phone (390×844) an RM corrects a grant, the error
next to the field first, and the page fits the screen."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from rmdesk.compliance import services
from rmdesk.compliance.models import FeeEntitlement, FeeGrant
from rmdesk.customers.models import Tier
from tests.conftest import PASSWORD

from .test_browser_pages import (
    DESKTOP,
    PHONE,
    _fits,
    browser as browser,  # noqa: F401  (the fixture)
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _grant(rm, customer, standard, charged):
    return services.record_fee_grant(
        rm,
        customer_id=customer.pk,
        fee_kind="transfer",
        standard_fee=Decimal(standard),
        charged_fee=Decimal(charged),
        granted_on=timezone.localdate() - timedelta(days=1),
    )


def test_officer_adds_an_entitlement_and_follows_a_grant_to_the_entitlement_it_breached(browser, world, make_customer):
    from tests.browser import login

    gold = Tier.objects.get(rule_set__code="bank", code="gold")
    customer = make_customer(world.rm, world.t1, name="钱多多", tier=gold)
    beyond = _grant(world.rm, customer, "50", "10")  # 80 %
    within = _grant(world.rm, customer, "50", "45")  # 10 %
    new_page, base = browser
    pg = new_page(**DESKTOP)
    login(pg, base, "compliance", PASSWORD)
    pg.goto(f"{base}/compliance/entitlements/")
    pg.click("[data-testid=entitlement-new]")
    form = pg.locator("[data-testid=entitlement-form]")
    form.locator("#id_tier").select_option(str(gold.pk))
    form.locator("#id_fee_kind").select_option("transfer")
    form.locator("#id_max_discount_percent").fill("150")
    form.locator("button[type=submit]").click()
    error = pg.locator("#id_max_discount_percent ~ .field-error")
    error.wait_for()
    assert "0–100" in error.inner_text() and not FeeEntitlement.objects.exists()
    pg.locator("[data-testid=entitlement-form] #id_max_discount_percent").fill("20")
    pg.locator("[data-testid=entitlement-form] #id_note").fill("金卡客户跨行转账优惠")
    pg.locator("[data-testid=entitlement-form] button[type=submit]").click()
    pg.wait_for_selector("[data-testid=entitlements] td:has-text('跨行转账汇款手续费')")
    e = FeeEntitlement.objects.get()
    assert (e.tier, e.max_discount_percent) == (gold, Decimal("20"))
    pg.goto(f"{base}/compliance/fees/?beyond=1")
    rows = pg.locator("[data-testid=fee-table] tr[data-grant]")
    assert rows.count() == 1 and rows.first.get_attribute("data-grant") == str(beyond.pk)
    assert pg.locator(f"tr[data-grant='{within.pk}']").count() == 0
    rows.first.locator("[data-testid=beyond]").click()
    pg.wait_for_selector("[data-testid=entitlement]")
    assert pg.url.endswith(f"/compliance/entitlements/{e.pk}/")
    assert "金卡客户跨行转账优惠" in pg.inner_text("[data-testid=entitlement]")


def test_rm_corrects_a_grant_on_a_phone(browser, world, make_customer):
    from tests.browser import login

    customer = make_customer(world.rm, world.t1, name="孙小美")
    grant = _grant(world.rm, customer, "50", "40")
    new_page, base = browser
    pg = new_page(**PHONE)
    login(pg, base, "rm", PASSWORD)
    pg.goto(f"{base}/compliance/fees/")
    pg.locator(f"tr[data-grant='{grant.pk}'] a.button").click()
    form = pg.locator("[data-testid=grant-edit-form]")
    form.wait_for()
    _fits(pg, 390)
    form.locator("#id_charged_fee").fill("80")
    form.locator("button[type=submit]").click()
    error = pg.locator("#id_charged_fee ~ .field-error")
    error.wait_for()
    assert "实收不能高于标准收费" in error.inner_text()
    assert FeeGrant.objects.get().charged_fee == Decimal("40")
    _fits(pg, 390)
    pg.locator("[data-testid=grant-edit-form] #id_charged_fee").fill("45")
    pg.locator("[data-testid=grant-edit-form] button[type=submit]").click()
    pg.wait_for_selector(f"[data-testid=fee-table] tr[data-grant='{grant.pk}'] td:has-text('45.00')")
    g = FeeGrant.objects.get()
    assert (g.charged_fee, g.version) == (Decimal("45.00"), 2)
    _fits(pg, 390)
