"""Browser: an RM finds a customer by pinyin initials and opens the 360° page (issue #6)."""

from decimal import Decimal

import pytest

from tests.browser import login, page  # noqa: F401  (fixture)
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def bank_tiers(transactional_db):
    """The bank tiers and products of migration customers.0004, re-applied: an earlier transactional test
    in the same worker flushes migration data (which one runs first depends on the xdist split)."""
    import importlib

    from django.apps import apps

    importlib.import_module("rmdesk.customers.migrations.0004_seed_bank_tiers_products").seed(apps, None)


def test_search_by_pinyin_initials_and_open_360(page, world, make_customer, bank_tiers):  # noqa: F811
    target = make_customer(world.rm, name="张伟明", mobile="13912345678", aum=Decimal("2600000"))
    make_customer(world.rm, name="李小红", mobile="13900000000")
    make_customer(world.rm2, name="张婉曼")  # same initials, other branch: never shown
    from rmdesk.customers.services import recompute_tier

    recompute_tier(target, reason="test")
    pg, base = page
    login(pg, base, "rm", PASSWORD)
    pg.click("[data-nav=customers]")
    pg.fill("[data-testid=customer-search]", "zwm")
    pg.click("[data-testid=customer-search-submit]")
    rows = pg.locator("[data-testid=customer-row]")
    rows.first.wait_for()
    assert rows.count() == 1
    assert "张伟明" in rows.first.inner_text()
    pg.click("text=张伟明")
    pg.wait_for_url(f"{base}/customers/{target.pk}/")
    assert "张伟明" in pg.inner_text("[data-testid=customer-360-title]")
    assert pg.inner_text("[data-testid=customer-tier]") == "钻石客户"
    assert pg.inner_text("[data-testid=masked-mobile]") == "139****5678"
    # reveal one field with a reason (htmx), audited
    pg.fill("[data-testid=reveal-reason-mobile]", "电话回访核对")
    pg.click("[data-testid=reveal-mobile]")
    pg.wait_for_selector("[data-testid=revealed-mobile]")
    assert pg.inner_text("[data-testid=revealed-mobile]") == "13912345678"
    from rmdesk.core.models import AuditEvent

    assert AuditEvent.objects.filter(action="customers.reveal", actor=world.rm).count() == 1
