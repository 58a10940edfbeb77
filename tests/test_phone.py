"""Browser (issue 10, "What users see"): every main RM page is usable on a phone (390×844): no
horizontal scroll of the page, the side navigation collapsed behind the menu button, customer names
on one line; the same walk at 1280×800 keeps the desktop layout with its side navigation."""

import os
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.browser import ARGS, CHROMIUM, login, require_chromium
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 3}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
LONG_NAME = "南京市鼓楼区湖南路新华书店连锁经营有限责任公司"
PERSON = "欧阳明月"


@pytest.fixture
def browser(live_server):
    """browser(**context options) -> a fresh page of headless chromium; yields (new_page, base_url)."""
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


@pytest.fixture
def rm_desk(world, make_customer):
    """An RM's book with a long company name and a short person name, an interaction, an
    appointment, a task and a complaint case: the pages have rows to lay out."""
    from django.apps import apps as django_apps

    from rmdesk.service import services as service_services
    from rmdesk.service.defaults import seed
    from rmdesk.service.models import CaseCategory
    from rmdesk.work import services as work_services

    corp = make_customer(world.rm, name=LONG_NAME, kind="corporate", address="南京市鼓楼区湖南路8号新华大厦十二层")
    person = make_customer(world.rm, name=PERSON, address="南京市玄武区中山东路18号")
    for i in range(5):
        make_customer(world.rm, name=f"张伟明{i}")
    now = timezone.localtime().replace(second=0, microsecond=0)
    work_services.record_interaction(
        world.rm,
        person.pk,
        kind="phone",
        occurred_at=now - timedelta(hours=2),
        purpose="季度资产检视电话回访，介绍稳盈理财九十天产品",
        content="客户关心到期收益与赎回安排，约定下周面谈。",
    )
    work_services.create_appointment(
        world.rm, corp.pk, subject="对公结算方案面谈", start_at=now + timedelta(days=2), place="新华大厦十二层会议室"
    )
    seed(django_apps)
    case = service_services.register_case(
        world.rm,
        customer_id=person.pk,
        kind="complaint",
        channel="branch",
        category_id=CaseCategory.objects.get(code="attitude").pk,
        severity="normal",
        title="理财产品到期收益明显低于宣传预期",
        description="客户反映购买的理财产品到期收益明显低于客户经理介绍的预期，要求说明。",
    )
    return {"corp": corp, "person": person, "case": case}


def _pages(d):
    c, p = d["corp"].pk, d["person"].pk
    return [
        "/",
        "/customers/",
        f"/customers/{c}/",
        f"/customers/{p}/",
        f"/customers/{c}/edit/",
        "/customers/new/",
        "/customers/conflicts/",
        "/work/cadence/",
        "/work/interactions/",
        f"/work/interactions/new/?customer={p}",
        "/work/appointments/",
        f"/work/appointments/new/?customer={c}",
        "/work/schedule/",
        "/work/journals/",
        "/work/tasks/",
        "/work/notifications/",
        "/service/",
        "/service/new/",
        f"/service/{d['case'].pk}/",
        "/service/surveys/",
        "/service/churn/",
        "/org/approvals/",
    ]


def _walk(pg, base, urls, width):
    """Visit each page; returns {url: (scrollWidth, innerWidth)} of the pages wider than `width`. On a
    phone (is_mobile) chromium widens the layout viewport to fit a too-wide page, so innerWidth is
    checked against the device width too, not only scrollWidth against innerWidth."""
    wide = {}
    for url in urls:
        resp = pg.goto(f"{base}{url}")
        assert resp is not None and resp.status == 200, (url, resp and resp.status)
        sw, iw = pg.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if sw > iw or iw != width:
            wide[url] = (sw, iw)
    return wide


def _one_line(pg, selector):
    """(lines, height, line height) of an inline element: one client rect per rendered line."""
    return pg.eval_on_selector(
        selector,
        "el => [el.getClientRects().length, el.getBoundingClientRect().height,"
        " parseFloat(getComputedStyle(el).lineHeight) || 1.5 * parseFloat(getComputedStyle(el).fontSize)]",
    )


def test_phone_pages_fit_the_screen_nav_collapses_and_names_stay_whole(browser, world, rm_desk):
    new_page, base = browser
    pg = new_page(**PHONE)
    login(pg, base, "rm", PASSWORD)
    pages = _pages(rm_desk)
    assert len(pages) >= 12
    assert _walk(pg, base, pages, 390) == {}

    # the side navigation is collapsed behind the menu button, which opens it
    pg.goto(f"{base}/customers/")
    nav = pg.locator("[data-testid=sidenav]")
    assert not nav.is_visible()
    pg.click("[data-testid=menu-button]")
    assert nav.is_visible()
    assert nav.locator("[data-nav=work_interactions]").is_visible()
    box = nav.bounding_box()
    assert box["width"] <= 390
    pg.click("[data-testid=menu-button]")
    assert not nav.is_visible()

    # customer names on the list render on one line (not one character a line)
    for customer in (rm_desk["person"], rm_desk["corp"]):
        lines, height, line_height = _one_line(pg, f"[data-testid=customer-table] a[href='/customers/{customer.pk}/']")
        assert lines == 1 and height < 2 * line_height, (customer.name, lines, height, line_height)

    # forms are one column: the interaction form's fields stack at the width of the card
    pg.goto(f"{base}/work/interactions/new/?customer={rm_desk['person'].pk}")
    xs = pg.eval_on_selector_all(
        "[data-testid=interaction-form] .form-grid > div", "els => els.map(e => e.getBoundingClientRect().left)"
    )
    assert len(xs) > 5 and max(xs) - min(xs) < 1
    assert PERSON in pg.inner_text("[data-testid=picker-options-customer]")


def test_desktop_keeps_the_side_nav(browser, world, rm_desk):
    new_page, base = browser
    pg = new_page(**DESKTOP)
    login(pg, base, "rm", PASSWORD)
    assert _walk(pg, base, _pages(rm_desk), 1280) == {}
    pg.goto(f"{base}/customers/")
    nav = pg.locator("[data-testid=sidenav]")
    assert nav.is_visible()
    assert not pg.locator("[data-testid=menu-button]").is_visible()
    box = nav.bounding_box()
    content = pg.locator("main.content").bounding_box()
    assert box["x"] < content["x"] and content["width"] > 900  # nav on the left, content beside it
    lines, height, line_height = _one_line(
        pg, f"[data-testid=customer-table] a[href='/customers/{rm_desk['corp'].pk}/']"
    )
    assert lines == 1 and height < 2 * line_height


def test_phone_manager_and_admin_pages_fit_the_screen(browser, world, rm_desk):
    """The pages only a branch manager or the administrator opens: import, handover, pool, units,
    service-level statistics, the approvals inbox and the business calendar."""
    new_page, base = browser
    pg = new_page(**PHONE)
    login(pg, base, "manager", PASSWORD)
    manager_pages = [
        "/",
        "/customers/",
        "/customers/import/",
        "/customers/handover/",
        "/customers/pool/",
        f"/customers/{rm_desk['corp'].pk}/",
        "/org/units/",
        f"/org/units/{world.s1.pk}/",
        "/org/approvals/",
        "/service/",
        "/service/sla/",
        "/work/reviews/",
    ]
    assert _walk(pg, base, manager_pages, 390) == {}
    pg.click("[data-testid=logout]")
    login(pg, base, "admin", PASSWORD)
    assert _walk(pg, base, ["/core/calendar/", "/org/units/"], 390) == {}
