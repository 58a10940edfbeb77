"""The tobacco RM service-quality index 服务质量指数 (issue 19; SPEC §9; seed 002:595–629), loaded with the tobacco
pack and computed by the performance engine: μ = (x − x1)/(x2 − x1) clipped to [0, 1] with x1 = 60 and x2 = 100,
Pz = Σ μi·Qi over the ten KPI indicators with Qi = 0.1, and the score P1 = 100·Pz."""

from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.utils import timezone

from rmdesk.packs.models import PackRecord
from rmdesk.packs.services import apply_pack
from rmdesk.performance import services as perf
from rmdesk.performance.models import IndicatorSetting, IndicatorSource, ResultItem, Scorecard
from rmdesk.service import surveys
from rmdesk.service.defaults import seed as seed_service
from rmdesk.service.models import SurveyTemplate

pytestmark = pytest.mark.django_db

SQI = "客户经理服务质量指数（烟草）"
KPI = [
    "sqi.marketing_awareness",
    "sqi.display_compliance",
    "sqi.modern_terminal_guidance",
    "sqi.capability_improvement",
    "sqi.sell_through",
    "sqi.profitability",
    "service.satisfaction",
    "sqi.brand_listing",
    "sqi.terminal_development",
    "sqi.terminal_maintenance",
]
OPTIONAL = {
    "sqi.visit_time",
    "sqi.info_accuracy",
    "sqi.analysis_coverage",
    "sqi.realtime_settlement",
    "sqi.price_marking",
    "sqi.scan_compliance",
    "sqi.stock_match",
    "sqi.promotion_activity",
    "sqi.consumption_tracking",
    "sqi.consumer_analysis",
    "sqi.terminal_survey",
    "sqi.survey_accuracy",
    "sqi.modern_terminal_built",
}
# the supervisor's monthly figures of the nine manual KPI indicators for rm (%); satisfaction comes from surveys
FIGURES = {
    "sqi.marketing_awareness": Decimal("100"),  # μ 1
    "sqi.display_compliance": Decimal("90"),  # μ 0.75
    "sqi.modern_terminal_guidance": Decimal("80"),  # μ 0.5
    "sqi.capability_improvement": Decimal("70"),  # μ 0.25
    "sqi.sell_through": Decimal("60"),  # μ 0 (the 后进 level)
    "sqi.profitability": Decimal("45"),  # μ 0 (clipped below)
    "sqi.brand_listing": Decimal("120"),  # μ 1 (clipped above)
    "sqi.terminal_development": Decimal("95"),  # μ 0.875
    "sqi.terminal_maintenance": Decimal("66"),  # μ 0.15
}


def mu(x: Decimal) -> Decimal:
    return min(Decimal(1), max(Decimal(0), (x - 60) / 40))


def test_the_tobacco_pack_ships_the_index_with_its_kpi_and_optional_indicators():
    apply_pack("tobacco")
    card = Scorecard.objects.get(name=SQI, year=2026, org_path="")
    items = list(card.items.select_related("indicator").order_by("order"))
    assert [i.indicator.code for i in items] == KPI
    assert all(i.weight == Decimal("0.1") and (i.x_low, i.x_high) == (60, 100) for i in items)
    assert sum(i.weight for i in items) == 1
    kpi = set(IndicatorSetting.objects.filter(code__in=KPI, is_kpi=True).values_list("code", flat=True))
    optional = set(IndicatorSetting.objects.filter(code__in=OPTIONAL, is_kpi=False).values_list("code", flat=True))
    assert (kpi, optional) == (set(KPI), OPTIONAL)
    assert IndicatorSetting.objects.get(code="service.satisfaction").source == IndicatorSource.COMPUTED
    assert PackRecord.objects.filter(pack="tobacco", model_label="performance.ScorecardItem").count() == 10


def test_the_index_is_computed_for_an_rm_from_the_figures(world, make_customer):
    apply_pack("tobacco")
    card = Scorecard.objects.get(name=SQI, year=2026, org_path="")
    today = timezone.localdate()
    start, end, _label = perf.period_bounds("monthly", today.year, today.month)
    for code, value in FIGURES.items():
        setting = IndicatorSetting.objects.get(code=code)
        perf.enter_manual_value(
            world.lead, setting.pk, rm_id=world.rm.pk, period_start=start, period_end=end, value=value, note="月度检查"
        )
    # satisfaction: two customers' survey answers this month, 100 and 70 -> the RM's index 85 (μ 0.625)
    seed_service(django_apps)
    template = SurveyTemplate.objects.get(name__startswith="客户满意度调查")
    customers = [make_customer(world.rm) for _ in range(2)]
    survey = surveys.start_round(world.lead, template_id=template.pk, name="零售户满意度调查")
    responses = {r.customer_id: r for r in survey.responses.all()}
    questions = [q for q in template.questions.all() if q.kind == "score"]
    for customer, scores in zip(customers, [(5, 5, 5, 5), (5, 5, 3, 1)], strict=True):
        answers = {q.pk: s for q, s in zip(questions, scores, strict=False)}
        surveys.record_answers(world.rm, responses[customer.pk].pk, answers=answers, version=1)

    run = perf.compute_run(world.lead, card.pk, unit_id=world.t1.pk, year=today.year, number=today.month)

    result = run.results.get(rm=world.rm)
    rows = {r.code: r for r in ResultItem.objects.filter(result=result)}
    assert rows["service.satisfaction"].value == Decimal("85")
    assert rows["service.satisfaction"].mu == Decimal("0.625")
    for code, value in FIGURES.items():
        assert (rows[code].value, rows[code].mu) == (value, mu(value)), code
    figures = {**FIGURES, "service.satisfaction": Decimal("85")}
    pz = sum(mu(figures[code]) * Decimal("0.1") for code in KPI)  # the index Pz = Σ μi·Qi
    assert pz == Decimal("0.5150")
    assert result.score == result.gross == Decimal("51.5000")  # the score P1 = 100·Pz, nothing deducted
    assert result.grade == "fail"  # below the default 60 of 基本合格
    nobody = run.results.get(rm=world.rm_b)  # no figures entered: every μ is 0
    assert nobody.score == 0
