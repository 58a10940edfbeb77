"""Browser (issue #5): an RM registers a complaint, the team lead approves the plan (主管批示), the
RM implements it, records the 回访 and closes the case."""

import pytest

from tests.browser import login, page  # noqa: F401  (fixture)
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _logout(pg, base):
    pg.click("[data-testid=logout]")
    pg.wait_for_url(f"{base}/login/")


def test_complaint_registered_approved_and_closed(page, world, make_customer, defaults):  # noqa: F811
    from rmdesk.service.models import Case

    make_customer(world.rm, world.t1, name="王建华")
    pg, base = page
    login(pg, base, "rm", PASSWORD)
    pg.click("[data-nav=service_cases]")
    pg.click("[data-testid=case-new]")
    pg.fill("#id_customer", "王建华")
    pg.select_option("#id_channel", "phone")
    pg.select_option("#id_category", str(defaults.pk))
    pg.fill("#id_title", "理财收益与宣传不符")
    pg.fill("#id_description", "客户来电反映到期收益低于客户经理介绍的预期。")
    pg.click("[data-testid=case-submit]")
    pg.wait_for_selector("[data-testid=case-status]")
    assert pg.inner_text("[data-testid=case-status]") == "已登记"
    case_url = pg.url
    pg.click("[data-testid=act-accept]")
    pg.wait_for_selector("[data-testid=act-investigate]")
    pg.fill("#f-cause", "营销时未充分揭示收益浮动风险")
    pg.click("[data-testid=act-investigate]")
    pg.fill("#f-plan", "向客户致歉，补偿手续费并加强销售培训")
    pg.click("[data-testid=act-propose]")
    pg.wait_for_selector("text=待主管批示")
    assert pg.locator("[data-testid=act-approve]").count() == 0  # the proposer cannot approve
    _logout(pg, base)

    login(pg, base, "lead", PASSWORD)
    assert pg.locator("[data-testid=service-approvals]").count() == 1
    pg.goto(case_url)
    pg.fill("#f-instruction", "同意，三个工作日内答复客户")
    pg.click("[data-testid=act-approve]")
    pg.wait_for_selector("[data-testid=case-status]:has-text('已批示待实施')")
    _logout(pg, base)

    login(pg, base, "rm", PASSWORD)
    pg.goto(case_url)
    pg.fill("#f-result", "已退还手续费并向客户说明")
    pg.click("[data-testid=act-implement]")
    pg.wait_for_selector("[data-testid=act-follow-up]")
    pg.check("[data-testid=f-confirmed]")
    pg.select_option("#f-satisfaction", "4")
    pg.click("[data-testid=act-follow-up]")
    pg.wait_for_selector("[data-testid=act-close]")
    pg.click("[data-testid=act-close]")
    pg.wait_for_selector("[data-testid=case-status]:has-text('已关闭')")
    steps = pg.inner_text("[data-testid=steps]")
    for label in ("登记", "受理", "调查原因", "提交方案", "主管批示：同意", "实施", "回访", "关闭"):
        assert label in steps
    case = Case.objects.get()
    assert case.status == "closed" and case.approved_by == world.lead and case.satisfaction == 4
