"""Browser: an RM records a visit and the customer leaves the overdue list (issue #3)."""

import pytest

from tests.browser import login, page, shows  # noqa: F401  (fixture)
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_rm_records_visit_and_customer_leaves_overdue_list(page, world, make_customer, tiers, local_dt, approved_visit):  # noqa: F811, E501
    from rmdesk.work import cadence

    c = make_customer(
        world.rm,
        tier=tiers["gold"],
        created_at=local_dt(2025, 1, 1),
        name="逾期的李女士",
        address="南京市鼓楼区湖南路8号",
    )
    approved_visit(c)  # the branch manager approved the door-to-door visit in advance (SPEC §8)
    cadence.recompute_all()
    pg, base = page
    login(pg, base, "rm", PASSWORD)
    pg.click("[data-nav=work_cadence]")
    pg.goto(f"{base}/work/cadence/?status=overdue")
    row = pg.locator(f"[data-testid=cadence-row-{c.pk}]")
    assert "已逾期" in row.inner_text()
    pg.click(f"[data-testid=record-{c.pk}]")
    pg.wait_for_selector("[data-testid=interaction-form]")
    pg.fill("#id_purpose", "季度资产检视，上门拜访")
    pg.fill("#id_place", "南京市鼓楼区湖南路8号")
    pg.fill("#id_content", "检视理财到期情况，介绍稳盈理财")
    # door-to-door without a second member of staff is refused
    pg.click("[data-testid=save-interaction]")
    shows(pg, "[data-testid=interaction-form]", "上门服务须有两名员工在场")
    pg.select_option("#id_companions", str(world.rm_b.pk))
    pg.click("[data-testid=save-interaction]")
    pg.wait_for_url(f"{base}/work/interactions/*/")
    assert "服务记录已保存" in pg.inner_text(".messages")
    pg.goto(f"{base}/work/cadence/?status=overdue")
    assert pg.locator(f"[data-testid=cadence-row-{c.pk}]").count() == 0
    pg.goto(f"{base}/work/cadence/?status=all")
    assert "正常" in pg.inner_text(f"[data-testid=cadence-row-{c.pk}]")
