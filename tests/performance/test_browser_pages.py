"""Browser (issue 15): every performance page a supervisor uses opens without a console error — scorecard
list and editor, run list, run review with its rankings, the pay sheet (computed, shown and downloaded),
the pay-rule and promotion-rule pages, the indicator library and a manual value changed through its page
with the history shown; an administrator changes a pay rule with a refusal shown next to the field; and an
RM opens their own result with the breakdown and the trend on a 390×844 phone. One browser per test."""

import os
from datetime import date
from decimal import Decimal

import pytest

from rmdesk.core.indicators import Measure
from tests.browser import ARGS, CHROMIUM, login, require_chromium
from tests.conftest import PASSWORD

from .conftest import VALUES, item, ver

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}


@pytest.fixture
def browser(live_server):
    """new_page(**context options) -> a page whose console errors and uncaught exceptions are collected in
    page.problems; yields (new_page, base_url)."""
    require_chromium()
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        contexts = []

        def new_page(**options):
            ctx = b.new_context(locale="zh-CN", accept_downloads=True, **options)
            contexts.append(ctx)
            pg = ctx.new_page()
            pg.set_default_timeout(15000)
            pg.problems = []
            pg.on("console", lambda m: pg.problems.append(f"{pg.url}: {m.text}") if m.type == "error" else None)
            pg.on("pageerror", lambda e: pg.problems.append(f"{pg.url}: {e}"))
            return pg

        try:
            yield new_page, live_server.url
        finally:
            for ctx in contexts:
                ctx.close()
            b.close()


def _open(pg, url, selector):
    pg.goto(url)
    pg.wait_for_selector(selector)


def _fits(pg, width):
    assert pg.evaluate("document.scrollingElement.scrollWidth") <= width, pg.url


@pytest.fixture
def published(world, test_indicators, manual_indicator):
    """Team T1's monthly scorecard (sales, coverage, a manual inspection score, attitude) with February and
    March computed, reviewed and published; the manual value of March entered by the lead."""
    from rmdesk.performance import services

    t = test_indicators
    for n, a in ((2, 60), (3, 80)):
        services.enter_manual_value(
            world.lead, manual_indicator.pk, rm_id=world.rm.pk, period_start=date(2026, n, 1),
            period_end=date(2026, n, 28 if n == 2 else 31), value=str(a + 5), note=f"{n}月专项检查",
        )  # fmt: skip
    card = services.save_scorecard(
        world.lead,
        name="月度考核（浏览器）",
        year=2026,
        period_type="monthly",
        unit_id=world.t1.pk,
        items=[
            item(t["t.sales"], weight="0.5", x_low="0", x_high="100"),
            item(t["t.coverage"], weight="0.2", normalisation="completion", target="50", cap="1.2"),
            item(manual_indicator, weight="0.2", x_low="0", x_high="100"),
            item(None, kind="qualitative", label="工作态度", weight="0.1"),
        ],
    )
    runs = []
    for n, (a, b) in ((2, (60, 30)), (3, (80, 40))):
        VALUES["t.sales"] = {"rm": Measure(Decimal(a)), "rm_b": Measure(Decimal(b))}
        VALUES["t.coverage"] = {"rm": Measure.ratio(a // 2, 100), "rm_b": Measure.ratio(b // 2, 100)}
        run = services.compute_run(world.lead, card.pk, unit_id=world.t1.pk, year=2026, number=n)
        services.review_run(world.lead, run.pk, version=ver(run))
        runs.append(services.publish_run(world.lead, run.pk, version=ver(run)))
    return card, runs


def test_supervisor_pages_open_without_console_errors(browser, world, published):
    from rmdesk.performance.models import ManualValue, PayLine

    _card, (_feb, mar) = published
    new_page, base = browser
    pg = new_page(**DESKTOP)
    login(pg, base, "lead", PASSWORD)
    _open(pg, f"{base}/performance/scorecards/", "[data-testid=card-table]")
    assert "月度考核（浏览器）" in pg.inner_text("[data-testid=card-table]")
    pg.click("text=月度考核（浏览器）")
    pg.wait_for_selector("[data-testid=card-items]")
    _open(pg, f"{base}/performance/runs/", "[data-testid=run-table]")
    pg.click(f"[data-testid=run-table] a:has-text('{mar.label}')")
    pg.wait_for_selector("[data-testid=ranking]")
    assert "已发布" in pg.inner_text("[data-testid=run-status]")
    ranking = pg.inner_text("[data-testid=ranking]")
    assert world.rm.display_name in ranking and world.rm_b.display_name in ranking
    pg.click("button:has-text('计算薪酬')")
    pg.wait_for_selector("a:has-text('导出薪酬表')")
    assert PayLine.objects.filter(result__run=mar).count() == 2
    with pg.expect_download() as download:
        pg.click("a:has-text('导出薪酬表')")
    assert download.value.suggested_filename.endswith(".xlsx")

    _open(pg, f"{base}/performance/runs/", "[data-testid=pay-rules-link]")
    pg.click("[data-testid=pay-rules-link]")
    pg.wait_for_selector("[data-testid=pay-rule-table]")
    assert "岗位工资" in pg.inner_text("[data-testid=pay-rule-table]")
    assert pg.locator("[data-testid=pay-rule-form]").count() == 0  # supervisors read, administrators edit
    _open(pg, f"{base}/performance/promotion-rules/", "[data-testid=promotion-rule-table]")
    assert "优秀" in pg.inner_text("[data-testid=promotion-rule-table]")

    _open(pg, f"{base}/performance/indicators/", "[data-testid=manual-values]")
    march = ManualValue.objects.get(rm=world.rm, period_start=date(2026, 3, 1))
    pg.click(f"[data-testid=manual-values] a[href='/performance/manual-values/{march.pk}/']")
    pg.wait_for_selector("[data-testid=manual-value-form]")
    pg.fill("#value", "90")
    pg.fill("#note", "复核后更正")
    pg.click("[data-testid=manual-value-save]")
    pg.wait_for_selector("text=原值已保留为历史版本")
    assert "90" in pg.inner_text("[data-testid=manual-current]")
    history = pg.inner_text("[data-testid=manual-history]")
    assert "85" in history and "3月专项检查" in history
    # the published March result keeps the value it read
    snap = mar.results.get(rm=world.rm).items.get(item__indicator=march.indicator)
    assert snap.value == Decimal("85")
    assert pg.problems == []


def test_admin_changes_a_pay_rule_with_the_refusal_next_to_the_field(browser, world):
    from rmdesk.performance.models import PayRule

    rule = PayRule.objects.get(kind="post", rm_level="2", is_active=True)
    new_page, base = browser
    pg = new_page(**DESKTOP)
    login(pg, base, "admin", PASSWORD)
    _open(pg, f"{base}/performance/pay-rules/", "[data-testid=pay-rule-table]")
    pg.click(f"[data-testid=pay-rule-edit-{rule.pk}]")
    pg.wait_for_selector("[data-testid=pay-rule-form]")
    pg.fill("#amount", "-1")
    pg.click("[data-testid=pay-rule-save]")
    pg.wait_for_selector(".field-error:has-text('金额不能为负数')")
    # the refused form answers 422, which Chromium logs as a failed resource; nothing else may be logged
    assert [p for p in pg.problems if "status of 422" not in p] == [] and len(pg.problems) == 1
    pg.problems.clear()
    pg.fill("#amount", "4800")
    pg.click("[data-testid=pay-rule-save]")
    pg.wait_for_selector("text=薪酬规则已保存")
    assert "二级客户经理\t\t4800\t" in pg.inner_text("[data-testid=pay-rule-table]")
    assert PayRule.objects.get(pk=rule.pk).amount == Decimal("4800")
    _open(pg, f"{base}/performance/promotion-rules/", "[data-testid=promotion-rule-form]")
    assert pg.problems == []


def test_rm_opens_own_breakdown_and_trend_on_a_phone(browser, world, published):
    _card, (feb, mar) = published
    mine = mar.results.get(rm=world.rm)
    new_page, base = browser
    pg = new_page(**PHONE)
    login(pg, base, "rm", PASSWORD)
    _open(pg, f"{base}/performance/", "[data-testid=my-results]")
    _fits(pg, 390)
    pg.click(f"[data-testid=my-results] a:has-text('{mar.label}')")
    pg.wait_for_selector("[data-testid=breakdown]")
    text = pg.inner_text("[data-testid=breakdown]")
    assert "销售额" in text and "专项检查" in text and "工作态度" in text
    assert pg.inner_text("[data-testid=result-score]") == f"{mine.score:.2f}"
    pg.wait_for_selector("[data-testid=chart-trend] canvas")  # ECharts drew the trend
    rows = pg.locator("[data-testid=chart-trend] .chart-table").text_content()
    assert feb.label in rows and mar.label in rows
    _fits(pg, 390)
    assert pg.problems == []
