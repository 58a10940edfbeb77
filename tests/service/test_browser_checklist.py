"""Browser (issue 19): on a phone (390×844) the account manager works through a 零售户入网 case's checklist — the
tobacco pack's 入网 standard — ticking an item with a note, and is told next to the checklist why the case cannot
close yet."""

import pytest

from tests.browser import login, page  # noqa: F401  (fixture)
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_the_rm_ticks_the_joining_checklist_on_a_phone(page, world, make_customer, defaults):  # noqa: F811
    from rmdesk.packs.services import apply_pack
    from rmdesk.service import services
    from rmdesk.service.models import Case, CaseCategory

    apply_pack("tobacco")
    outlet = make_customer(world.rm, world.t1, name="东街烟酒店")
    case = services.register_case(
        world.rm,
        customer_id=outlet.pk,
        kind="request",
        channel="visit",
        category_id=CaseCategory.objects.get(code="network_in").pk,
        severity="normal",
        title="零售户入网",
        description="取得许可证，申请入网。",
    )
    pg, base = page
    pg.set_viewport_size({"width": 390, "height": 844})
    login(pg, base, "rm", PASSWORD)
    pg.goto(f"{base}/service/{case.pk}/")
    pg.wait_for_selector("[data-testid=checklist]")
    assert "核验烟草专卖零售许可证" in pg.inner_text("[data-testid=check-1]")
    assert pg.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling on the phone
    pg.fill("#check-note-1", "许可证有效期至 2029 年")
    pg.click("[data-testid=do-check-1]")
    pg.wait_for_selector("[data-testid=uncheck-1]")
    assert "已完成" in pg.inner_text("[data-testid=check-1]")
    assert "许可证有效期至 2029 年" in pg.inner_text("[data-testid=check-1]")
    assert Case.objects.get(pk=case.pk).checks.get(order=1).done_by_id == world.rm.pk
    pg.click("[data-testid=uncheck-1]")
    pg.wait_for_selector("[data-testid=do-check-1]")
    assert not Case.objects.get(pk=case.pk).checks.get(order=1).done
