"""The branch manager's dashboard figures of issue 16 (SPEC §11): key-customer churn against the pack's target,
the satisfaction index and this month's plan completion by sub-unit, on hand-made data with exact figures, in
the viewer's scope (a team lead's figures never count another team)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from rmdesk.analytics.dashboards import branch_dashboard, dashboard_for
from rmdesk.core.roles import RoleCode
from rmdesk.customers.models import Tier, TierRuleSet
from rmdesk.service.models import ChurnEvent, ChurnTarget, SurveyResponse, SurveyRound, SurveyTemplate
from tests.analytics.test_plan_completion import letters  # noqa: F401 - the hand-made target letters fixture
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def bm(world):
    """A branch manager at the branch: its children are 一支行 (rm, rm_b, rm_t1b) and 二支行 (rm2)."""
    return make_user("bm", [RoleCode.BRANCH_MANAGER], world.br, qualified=False)


@pytest.fixture
def surveys(world, make_customer):
    """Answers this month: rm 4 and 5, rm_b 3, rm_t1b 2, rm2 1; one of rm from 40 days ago (not counted)."""
    template = SurveyTemplate.objects.create(name="满意度")
    survey = SurveyRound.objects.create(
        template=template, name="本月回访", unit=world.br, org_path=world.br.path, created_by=world.manager
    )
    now = timezone.now()
    for rm, score, when in (
        (world.rm, 4, now),
        (world.rm, 5, now),
        (world.rm_b, 3, now),
        (world.rm_t1b, 2, now),
        (world.rm2, 1, now),
        (world.rm, 1, now - timedelta(days=40)),
    ):
        customer = make_customer(rm)
        SurveyResponse.objects.create(
            round=survey,
            customer=customer,
            rm=rm,
            team=rm.team,
            unit=rm.unit,
            org_path=customer.org_path,
            answered_at=when,
            score=Decimal(score),
        )


@pytest.fixture
def churn(world, make_customer):
    """Tiered customers held: rm 3, rm_b 1, rm_t1b 1, rm2 1. Lost this year: one of rm, one of rm2 (the lost
    customers themselves are no longer tiered); one of rm_b lost last year (not counted)."""
    rules = TierRuleSet.objects.create(code="dashfig", name="测试分层")
    tier = Tier.objects.create(rule_set=rules, code="vip", name="贵宾", rank=1, threshold=Decimal(0))
    today = timezone.localdate()
    for rm, held in ((world.rm, 3), (world.rm_b, 1), (world.rm_t1b, 1), (world.rm2, 1)):
        for _i in range(held):
            make_customer(rm, tier=tier)
    for rm, day in ((world.rm, today), (world.rm2, today), (world.rm_b, today.replace(month=1, day=1) - timedelta(1))):
        lost = make_customer(rm)
        ChurnEvent.objects.create(customer=lost, tier=tier, occurred_on=day, rm=rm, org_path=lost.org_path)
    ChurnTarget.objects.all().delete()
    return tier


def tile(board, key):
    return next(t for t in board["tiles"] if t.key == key)


def table(board, table_id):
    return next(t for t in board["tables"] if t.id == table_id)


def test_satisfaction_is_the_mean_of_this_months_answers_in_scope(world, bm, surveys):
    found = tile(branch_dashboard(world.manager), "satisfaction")  # 一支行: 4, 5, 3, 2
    assert (found.label, found.value, found.unit) == ("客户满意度", Decimal("3.50"), "分")
    assert found.note == "本月 4 份答卷" and found.url == reverse("service:satisfaction")
    assert tile(branch_dashboard(bm), "satisfaction").value == Decimal("3.00")  # with 二支行's 1: 15 / 5
    # a team lead's figures count only their team (rm and rm_b), never 一队乙 or 二队
    assert tile(branch_dashboard(world.lead), "satisfaction").value == Decimal("4.00")


def test_satisfaction_without_answers_says_so(world):
    found = tile(branch_dashboard(world.manager), "satisfaction")
    assert (found.value, found.note) == ("—", "近 30 天没有满意度答卷")


def test_churn_over_the_target_shows_the_state(world, bm, churn):
    ChurnTarget.objects.create(name="重点客户", max_rate=Decimal("3.50"))
    found = tile(branch_dashboard(world.manager), "churn")  # 一支行: 1 lost / (5 held + 1 lost)
    assert (found.label, found.value, found.unit) == ("重点客户流失率", Decimal("16.67"), "%")
    assert found.note == "本年累计 · 目标 ≤ 3.50 %"
    assert (found.state, found.state_label) == ("bad", "超出目标")
    assert tile(branch_dashboard(bm), "churn").value == Decimal("25.00")  # 2 / (6 + 2)
    assert tile(branch_dashboard(world.lead), "churn").value == Decimal("20.00")  # 一队: 1 / (4 + 1)
    html = dashboard_page(world.manager)
    assert 'data-tile="churn" data-state="bad"' in html and "超出目标" in html


def dashboard_page(user):
    from django.template.loader import render_to_string

    from rmdesk.analytics.views import board_context

    return render_to_string("analytics/_board.html", {"ctx": board_context(dashboard_for(user))})


def test_churn_within_a_tier_target_or_without_one(world, churn):
    ChurnTarget.objects.create(name="某层级", tier=churn, max_rate=Decimal("1.00"))  # a tier's row: not the overall
    found = tile(branch_dashboard(world.manager), "churn")
    assert (found.note, found.state, found.state_label) == ("本年累计 · 未设定流失率目标", "", "")
    ChurnTarget.objects.create(name="重点客户", max_rate=Decimal("20.00"))
    found = tile(branch_dashboard(world.manager), "churn")
    assert (found.value, found.state, found.state_label) == (Decimal("16.67"), "ok", "达标")


def test_plan_completion_by_unit_from_the_target_letters(world, bm, letters):  # noqa: F811
    plan = table(branch_dashboard(bm), "branch-plan-units")
    assert plan.title == "本月计划完成率（按机构）" and plan.kind == "bar"
    # this month: 一支行 sales 10 + 20 + 5 against 25 + 10 + 0, complaints ≤ 1 against 1, coverage 80 % against
    # 3 / 4; 二支行 sales 7 against 14. The manual indicator has no actual this month: no column.
    assert plan.columns == ["机构", "投诉件数（件）", "覆盖率（%）", "销售额（万元）"]
    assert plan.rows == [
        ["一支行", Decimal("100.0"), Decimal("93.8"), Decimal("100.0")],
        ["二支行", "—", "—", Decimal("200.0")],
    ]
    month_start, today = timezone.localdate().replace(day=1), timezone.localdate()
    base = reverse("analytics:report", args=["plan-completion"])
    assert plan.urls == [
        f"{base}?start={month_start.isoformat()}&end={today.isoformat()}&unit={u.pk}" for u in (world.s1, world.s2)
    ]
    # the manager of 一支行 sees its one child unit, never 二支行
    mine = table(branch_dashboard(world.manager), "branch-plan-units")
    assert [r[0] for r in mine.rows] == ["一网点"] and mine.rows[0][-1] == Decimal("100.0")


def test_no_letters_no_bars(world, bm):
    plan = table(branch_dashboard(bm), "branch-plan-units")
    assert plan.rows == [] and plan.note == "下级机构本月没有生效的目标责任书。"


def test_the_new_figures_in_english(world, bm, churn, letters):  # noqa: F811
    from django.utils import translation

    ChurnTarget.objects.create(name="重点客户", max_rate=Decimal("3.50"))
    with translation.override("en"):
        board = branch_dashboard(bm)
        churn_tile, satisfaction = tile(board, "churn"), tile(board, "satisfaction")
        plan = table(board, "branch-plan-units")
    for text in (churn_tile.label, churn_tile.note, churn_tile.state_label, satisfaction.label, plan.title):
        assert text and not any("\u4e00" <= ch <= "\u9fff" for ch in str(text)), text
