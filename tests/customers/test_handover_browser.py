"""Browser: the handover page's select all / none and live count (handover.js), then the confirmation
naming the receiver and the count (SPEC §2 handover, issue 10)."""

import pytest

from tests.browser import login, page  # noqa: F401  (fixture)
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_select_none_all_and_count_live_then_confirm(page, world, make_customer):  # noqa: F811
    first = make_customer(world.rm, name="移交甲")
    make_customer(world.rm, name="移交乙")
    make_customer(world.rm, name="移交丙")
    pg, base = page
    login(pg, base, "lead", PASSWORD)
    url = f"{base}/customers/handover/?from_rm={world.rm.pk}&to_rm={world.rm_b.pk}"
    pg.goto(url)
    count = pg.locator("[data-testid=handover-count]")
    boxes = pg.locator("[data-testid=handover-row] input[type=checkbox]")
    assert count.inner_text() == "3" and boxes.count() == 3
    pg.click("[data-testid=handover-select-none]")
    assert count.inner_text() == "0" and pg.url == url  # done in the page, no reload
    assert all(not boxes.nth(i).is_checked() for i in range(3))
    pg.check(f"[data-testid=handover-row] input[value='{first.pk}']")
    assert count.inner_text() == "1"
    pg.click("[data-testid=handover-select-all]")
    assert count.inner_text() == "3"
    pg.click("[data-testid=handover-select-none]")
    pg.check(f"[data-testid=handover-row] input[value='{first.pk}']")
    pg.click("[data-testid=handover-submit]")
    pg.wait_for_selector("[data-testid=handover-confirm]")
    text = pg.inner_text("[data-testid=handover-confirm-text]")
    assert f"1 户客户移交给 {world.rm_b.display_name}（工号 {world.rm_b.employee_no}" in text
    assert pg.locator("[data-testid=handover-confirm-row]").count() == 1
    pg.click("[data-testid=handover-confirm-submit]")
    pg.wait_for_selector("text=移交申请已提交")
    from rmdesk.core.models import ApprovalRequest

    assert ApprovalRequest.objects.get(kind="customers.handover").payload["customer_ids"] == [first.pk]
