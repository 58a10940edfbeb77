"""The side menu grouped by area (SPEC §1 navigation by role; rmdesk.core.hooks.menu_sections): every role's
menu renders its areas, no entry leads a person to a page that refuses or hides itself from them, the current
page's area is open and the others fold, and on a phone the drawer opens and an area unfolds."""

import pytest

from rmdesk.core import hooks
from tests.browser import ARGS, CHROMIUM, login, require_chromium
from tests.conftest import PASSWORD
from tests.scope_matrix import USERS

pytestmark = pytest.mark.django_db

AREAS = {code for code, _label in hooks.MENU_GROUPS}


def _nav(html: str) -> str:
    return html[html.index('<nav class="sidenav"') : html.index("</nav>")]


@pytest.mark.parametrize("who", USERS)
def test_every_role_sees_its_areas_and_every_entry_opens(client, world, who):
    user = getattr(world, who)
    client.force_login(user)
    items = hooks.menu_for(user)
    assert items and all(i["group"] in AREAS or i["group"] == "" for i in items), who
    nav = _nav(client.get("/").content.decode())
    areas = {i["group"] for i in items} - {""}
    for code in areas:
        assert f'data-nav-group="{code}" open' in nav, (who, code)  # the home page shows the whole map
    for code in AREAS - areas:
        assert f'data-nav-group="{code}"' not in nav, (who, code)  # no empty area
    for item in items:
        assert f'data-nav="{item["key"]}"' in nav, (who, item["key"])
        resp = client.get(item["url"])
        assert resp.status_code == 200, (who, item["key"], item["url"], resp.status_code)


def test_the_current_area_is_open_and_the_others_fold(client, world):
    client.force_login(world.lead)
    nav = _nav(client.get("/credit/").content.decode())
    assert 'data-nav-group="credit" open' in nav
    assert 'data-nav-group="sales">' in nav and 'data-nav-group="work">' in nav  # folded for a team lead
    assert 'class="active" data-nav="credit_applications"' in nav
    # an RM's daily work stays open wherever they are
    client.force_login(world.rm)
    nav = _nav(client.get("/credit/").content.decode())
    assert 'data-nav-group="credit" open' in nav and 'data-nav-group="work" open' in nav
    assert 'data-nav-group="sales">' in nav


def test_short_menus_stay_short_and_open(client, world):
    """A referrer's menu is a handful of entries: every area open, no folding to click through."""
    client.force_login(world.referrer)
    items = hooks.menu_for(world.referrer)
    assert len(items) <= hooks.SHORT_MENU
    nav = _nav(client.get("/sales/referrals/").content.decode())
    assert nav.count("<details") >= 2 and nav.count("<details") == nav.count('" open><summary')  # none folded
    for code in {i["group"] for i in items} - {""}:
        assert f'data-nav-group="{code}" open' in nav, code


def test_packs_and_account_security_entries(client, world):
    admin_items = {i["key"]: i for i in hooks.menu_for(world.admin)}
    assert admin_items["packs"]["url"] == "/packs/" and admin_items["packs"]["group"] == "system"
    for who in USERS:
        items = {i["key"]: i for i in hooks.menu_for(getattr(world, who))}
        assert items["security"]["url"] == "/account/security/" and items["security"]["group"] == "system", who
        assert ("packs" in items) == (who == "admin"), who
    client.force_login(world.admin)
    nav = _nav(client.get("/").content.decode())
    assert 'data-nav="packs"' in nav and 'data-nav="admin"' in nav


def test_area_labels_in_order():
    """The areas in the order of the SPEC's sections (their English is in core's catalogue, pgettext "menu area")."""
    assert [str(label) for _code, label in hooks.MENU_GROUPS] == [
        "客户", "日常工作", "营销", "信贷", "合同", "服务", "合规", "考核", "人才", "分析", "系统管理",
    ]  # fmt: skip


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_phone_drawer_opens_and_an_area_unfolds(live_server, world):
    import os

    from playwright.sync_api import sync_playwright

    require_chromium()
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    base = live_server.url
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            ctx = browser.new_context(
                locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
            )
            pg = ctx.new_page()
            pg.set_default_timeout(15000)
            errors = []
            pg.on("pageerror", lambda e: errors.append(str(e)))
            login(pg, base, "lead", PASSWORD)
            pg.goto(f"{base}/credit/")
            nav = pg.locator("[data-testid=sidenav]")
            assert not nav.is_visible()
            pg.click("[data-testid=menu-button]")
            assert nav.is_visible() and nav.bounding_box()["width"] <= 390
            assert pg.locator("[data-nav=credit_loans]").is_visible()  # the current page's area is open
            campaigns = pg.locator("[data-nav=sales_campaigns]")
            assert not campaigns.is_visible()  # the sales area is folded
            pg.click("[data-testid=nav-group-sales]")
            assert campaigns.is_visible()
            assert pg.evaluate("document.scrollingElement.scrollWidth") <= 390
            campaigns.click()
            pg.wait_for_url(f"{base}/sales/campaigns/")
            pg.click("[data-testid=menu-button]")
            assert pg.locator("[data-nav=sales_campaigns].active").is_visible()
            assert pg.evaluate("document.scrollingElement.scrollWidth") <= 390
            assert errors == []
            ctx.close()
        finally:
            browser.close()
