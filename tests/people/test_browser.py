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


def test_the_disc_radar_is_drawn_on_desktop_and_phone(browser, world):
    """The DISC page draws its radar (canvas, no console error) and still fits a phone screen."""
    from datetime import timedelta

    from rmdesk.people import services

    profile = services.record_disc_profile(
        world.lead,
        person_id=world.rm.pk,
        taken_on=timezone.localdate() - timedelta(days=1),
        inner_d=40, inner_i=60, inner_s=50, inner_c=57, outer_d=30, outer_i=75, outer_s=46, outer_c=60,
    )  # fmt: skip
    new_page, base = browser
    for who, options in (("lead", {"viewport": {"width": 1280, "height": 800}}), ("rm", PHONE)):
        pg = new_page(**options)
        errors = []
        pg.on("console", lambda m, errors=errors: errors.append(m.text) if m.type == "error" else None)
        pg.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
        login(pg, base, who, PASSWORD)
        pg.goto(f"{base}/people/disc/{profile.pk}/")
        pg.wait_for_selector("[data-testid=disc-radar] [data-chart][data-chart-ready]")
        assert pg.locator("[data-testid=disc-radar] canvas").count() >= 1
        pg.click("[data-testid=disc-radar] summary")
        table = pg.inner_text("[data-testid=disc-radar] table")
        assert "40" in table and "75" in table
        assert errors == [], errors
        if who == "rm":
            sw, iw = pg.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            assert sw <= iw and iw == 390, (sw, iw)
