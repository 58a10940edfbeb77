"""Browser (issue 19): on a phone (390×844) a telecom account manager opens a subscriber's 360° page, records the
callback interval the subscriber asked for and sees the next callback move forward; a refusal together with an
interval is refused next to the field. One browser session."""

import pytest

from tests.browser import login, page, shows  # noqa: F401  (fixture)
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _no_sideways_scroll(pg, what):
    width = pg.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1, f"{what} scrolls sideways on a phone ({width}px)"


def test_account_manager_records_the_subscribers_chosen_interval_on_a_phone(page, world, make_customer, tiers):  # noqa: F811
    from django.utils import timezone

    from rmdesk.work import cadence
    from rmdesk.work.models import CadenceSetting, ChosenInterval, ContactStatus, add_months

    CadenceSetting.objects.update_or_create(code="default", defaults={"customer_interval": "shorter"})
    c = make_customer(world.rm, tier=tiers["t_silver"], name="银卡的周先生")
    cadence.recompute_all()
    quarterly = ContactStatus.objects.get(customer=c).next_due_on
    pg, base = page
    pg.set_viewport_size({"width": 390, "height": 844})
    login(pg, base, "rm", PASSWORD)
    pg.goto(f"{base}/customers/{c.pk}/")
    slot = pg.locator("[data-testid=slot-chosen-interval]")
    assert "未记录" in slot.inner_text()
    pg.click("[data-testid=edit-chosen-interval]")
    pg.wait_for_selector("[data-testid=chosen-interval-form]")
    _no_sideways_scroll(pg, "the chosen-interval page")
    pg.fill("#id_interval_months", "1")
    pg.check("#id_declined")
    pg.click("[data-testid=save-chosen-interval]")
    shows(pg, "[data-testid=chosen-interval-form]", "客户不需要回访时不能同时填写回访周期")
    assert not ChosenInterval.objects.filter(customer=c).exists()
    pg.uncheck("#id_declined")
    pg.fill("#id_note", "客户希望每月电话回访")
    pg.click("[data-testid=save-chosen-interval]")
    pg.wait_for_url(f"{base}/customers/{c.pk}/")
    assert "每 1 个月" in pg.locator("[data-testid=slot-chosen-interval]").inner_text()
    assert "按客户选择的回访周期（每 1 个月）" in pg.inner_text("[data-testid=slot-interactions]")
    _no_sideways_scroll(pg, "the 360° page")
    monthly = ContactStatus.objects.get(customer=c).next_due_on
    opened = timezone.localdate(c.created_at)  # never contacted: counted from the day the archive was opened
    assert monthly == add_months(opened, 1) and monthly < quarterly
