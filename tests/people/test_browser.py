"""Browser (issue 15, SPEC §10): a team lead records a quarterly inspection with two findings on the
desktop; the RM opens their people page on a phone (390×844), sees the inspection with its score,
and the page fits the screen."""

import os

import pytest
from django.utils import timezone

from tests.browser import ARGS, CHROMIUM, login, require_chromium
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 3}


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


def test_lead_records_an_inspection_and_the_rm_sees_its_score_on_a_phone(browser, world):
    from rmdesk.people.models import Inspection

    new_page, base = browser
    today = timezone.localdate()
    pg = new_page(viewport={"width": 1280, "height": 800})
    login(pg, base, "lead", PASSWORD)
    pg.click("[data-nav=people_inspections]")
    form = pg.locator("[data-testid=inspection-form]")
    form.locator("#id_person").select_option(str(world.rm.pk))
    form.locator("#id_year").fill(str(today.year))
    form.locator("#id_quarter").select_option(str((today.month - 1) // 3 + 1))
    form.locator("#id_inspected_on").fill(today.isoformat())
    form.locator("#id_summary").fill("档案与走访基本规范")
    form.locator("#id_area_1").select_option("archive")
    form.locator("#id_description_1").fill("两户客户档案缺少联系方式")
    form.locator("#id_deduction_1").fill("3")
    form.locator("#id_area_2").select_option("journal")
    form.locator("#id_description_2").fill("工作日志迟交一次")
    form.locator("#id_deduction_2").fill("1.5")
    form.locator("button[type=submit]").click()
    pg.wait_for_selector("[data-testid=inspection-score]")
    assert pg.inner_text("[data-testid=inspection-score]") == "95.5"
    assert Inspection.objects.get().score == 95.5

    phone = new_page(**PHONE)
    login(phone, base, "rm", PASSWORD)
    phone.goto(f"{base}/people/")
    mine = phone.inner_text("[data-testid=my-inspections]")
    assert "95.5" in mine
    sw, iw = phone.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert sw <= iw and iw == 390, (sw, iw)
    phone.click("[data-testid=my-inspections] a")
    phone.wait_for_selector("[data-testid=inspection-findings]")
    assert "两户客户档案缺少联系方式" in phone.inner_text("[data-testid=inspection-findings]")
    sw, iw = phone.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert sw <= iw and iw == 390, (sw, iw)
