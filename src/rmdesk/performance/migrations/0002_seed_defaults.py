"""Seeded configuration of assessment (SPEC §9), editable afterwards; idempotent (get_or_create):

- approval chains: an appeal and a letter change are decided by the supervisor (团队长或分管行长); a level
  change by the supervisor, then the branch manager one level up;
- promotion/demotion rules: two annual 优秀 in a row → promote one level; two annual 不合格 → demote;
- pay rules: post pay by level, product prices for new customers and tier upgrades, a reward for a visit-plan
  completion of 95 % or more, 30 % of performance and reward pay deferred (seed 002:177);
- the tobacco RM service-quality index (seed 002:599–629) as a bank-wide monthly scorecard: its KPI
  indicators (manual, entered by supervisors, except satisfaction which service computes), the optional
  (备选) ones in the library, equal weights (the seed gives none), μ = (x − 60)/(100 − 60).
"""

from decimal import Decimal

from django.db import migrations

CHAINS = (
    ("performance.appeal", "考核申诉审批", [("主管审批", "supervisor", 0)]),
    ("performance.letter", "目标责任书变更审批", [("主管审批", "supervisor", 0)]),
    (
        "performance.level",
        "客户经理等级调整审批",
        [("主管审核", "supervisor", 0), ("分管行长审批", "branch_manager", 1)],
    ),
)

SQI_KPI = [
    ("sqi.marketing_awareness", "营销信息知晓率"),
    ("sqi.display_compliance", "陈列维护达标率"),
    ("sqi.modern_terminal_guidance", "现代终端经营指导覆盖率"),
    ("sqi.capability_improvement", "客户经营能力提升"),
    ("sqi.sell_through", "卷烟动销率"),
    ("sqi.profitability", "客户盈利水平"),
    ("service.satisfaction", "客户服务满意度"),
    ("sqi.brand_listing", "目标客户品牌上柜率"),
    ("sqi.terminal_development", "终端资源开发完成率"),
    ("sqi.terminal_maintenance", "终端资源维护合格率"),
]
SQI_OPTIONAL = [
    ("sqi.visit_time", "客户拜访平均在户时间"),
    ("sqi.info_accuracy", "客户基础信息维护准确率"),
    ("sqi.analysis_coverage", "客户经营分析指导覆盖率"),
    ("sqi.realtime_settlement", "实时结算率"),
    ("sqi.price_marking", "明码标价率"),
    ("sqi.scan_compliance", "扫码合格率"),
    ("sqi.stock_match", "账货相符率"),
    ("sqi.promotion_activity", "宣传促销活动开展率"),
    ("sqi.consumption_tracking", "消费跟踪开展率"),
    ("sqi.consumer_analysis", "消费群体分析覆盖率"),
    ("sqi.terminal_survey", "终端调研执行率"),
    ("sqi.survey_accuracy", "终端调研准确率"),
    ("sqi.modern_terminal_built", "现代终端建成率"),
]
SQI_NAME = "客户经理服务质量指数（烟草）"


def seed(apps, schema_editor):
    Chain = apps.get_model("core", "ApprovalChain")
    Step = apps.get_model("core", "ApprovalStep")
    for kind, name, steps in CHAINS:
        if Chain.objects.filter(kind=kind).exists():
            continue
        chain = Chain.objects.create(kind=kind, name=name, priority=100, is_active=True)
        for order, (step, decider, up) in enumerate(steps, 1):
            Step.objects.create(chain=chain, order=order, name=step, decider=decider, levels_up=up, due_hours=16)

    Setting = apps.get_model("performance", "IndicatorSetting")

    def setting(code, name, unit, *, computed=False, kpi=True, direction="higher"):
        return Setting.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "unit": unit,
                "source": "computed" if computed else "manual",
                "is_kpi": kpi,
                "direction": direction,
            },
        )[0]

    new_customers = setting("customers.new_customers", "新增客户数", "户", computed=True)
    upgrades = setting("customers.tier_upgrades", "客户等级提升数", "户", computed=True)
    visits = setting("work.visit_completion", "拜访计划完成率", "%", computed=True)

    Rule = apps.get_model("performance", "PromotionRule")
    Rule.objects.get_or_create(move="up", grade="excellent", period_type="annual", defaults={"consecutive": 2})
    Rule.objects.get_or_create(move="down", grade="fail", period_type="annual", defaults={"consecutive": 2})

    Pay = apps.get_model("performance", "PayRule")
    if not Pay.objects.exists():
        for level, amount in (("3", "3000"), ("2", "4500"), ("1", "6000")):
            Pay.objects.create(kind="post", rm_level=level, amount=Decimal(amount))
        Pay.objects.create(kind="price", indicator=new_customers, amount=Decimal("200"))
        Pay.objects.create(kind="price", indicator=upgrades, amount=Decimal("100"))
        Pay.objects.create(kind="reward", indicator=visits, amount=Decimal("500"), threshold=Decimal("95"))
        Pay.objects.create(kind="defer", amount=Decimal("30"))

    kpis = [setting(code, name, "分" if code == "service.satisfaction" else "%", computed=code.startswith("service."))
            for code, name in SQI_KPI]  # fmt: skip
    for code, name in SQI_OPTIONAL:
        setting(code, name, "分钟" if code == "sqi.visit_time" else "%", kpi=False)  # a time, not a rate (0006)
    Card = apps.get_model("performance", "Scorecard")
    Item = apps.get_model("performance", "ScorecardItem")
    card, created = Card.objects.get_or_create(
        name=SQI_NAME, year=2026, unit=None, defaults={"period_type": "monthly", "weight_method": "direct"}
    )
    if created:
        for order, ind in enumerate(kpis):
            Item.objects.create(
                scorecard=card,
                order=order,
                kind="quantitative",
                indicator=ind,
                weight=Decimal("0.1"),
                normalisation="linear",
                x_low=Decimal("60"),
                x_high=Decimal("100"),
            )


class Migration(migrations.Migration):
    dependencies = [("performance", "0001_initial"), ("core", "0002_seed_one_step_chains")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
