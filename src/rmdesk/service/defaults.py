"""The bank defaults seeded into the configuration tables (SPEC §5); used by the data migration."""

from decimal import Decimal

CATEGORIES = [
    ("attitude", "服务态度", "", 10),
    ("operation", "业务办理差错", "", 20),
    ("product", "产品质量与收益", "", 30),
    ("fees", "收费与定价", "", 40),
    ("marketing", "营销宣传与销售行为", "complaint", 50),
    ("privacy", "信息安全与隐私", "complaint", 60),
    ("channel", "渠道与设施", "", 70),
    ("request", "业务咨询与服务申请", "request", 80),
    ("other", "其他", "", 90),
]

# name, severity, ack (amount, unit), answer (amount, unit), warn h, escalate every h, notify at once
POLICIES = [
    ("默认：24小时内受理，3个工作日内答复", "", (1, "work_days"), (3, "work_days"), 4, 8, False),
    ("严重投诉：4工作小时内受理，立即通知主管", "serious", (4, "work_hours"), (3, "work_days"), 4, 4, True),
]

SURVEY = (
    "客户满意度调查（标准版）",
    [
        ("您对客户经理的服务态度是否满意？", "score", Decimal("1.5")),
        ("您对客户经理的专业能力是否满意？", "score", Decimal("1.5")),
        ("您对业务办理的效率是否满意？", "score", Decimal("1")),
        ("您对我行产品是否满意？", "score", Decimal("1")),
        ("您还有什么意见和建议？", "text", Decimal("1")),
    ],
)

DEFAULT_CHURN_TARGET = ("VIP 客户（默认）", Decimal("3.50"))
TOP_TIER_CHURN_RATE = Decimal("2.00")


def seed(apps):
    Category = apps.get_model("service", "CaseCategory")
    Policy = apps.get_model("service", "SlaPolicy")
    Template = apps.get_model("service", "SurveyTemplate")
    Question = apps.get_model("service", "SurveyQuestion")
    Target = apps.get_model("service", "ChurnTarget")
    for code, name, kind, order in CATEGORIES:
        Category.objects.get_or_create(code=code, defaults={"name": name, "kind": kind, "order": order})
    for name, severity, ack, answer, warn, every, at_once in POLICIES:
        Policy.objects.get_or_create(
            name=name,
            defaults={
                "severity": severity,
                "ack_amount": ack[0],
                "ack_unit": ack[1],
                "answer_amount": answer[0],
                "answer_unit": answer[1],
                "warn_hours": warn,
                "escalate_every_hours": every,
                "notify_supervisor_at_once": at_once,
            },
        )
    name, questions = SURVEY
    if not Template.objects.filter(name=name).exists():
        tpl = Template.objects.create(name=name, description="季度客户满意度调查，1 分最不满意，5 分最满意。")
        for i, (text, kind, weight) in enumerate(questions, 1):
            Question.objects.create(template=tpl, order=i, text=text, kind=kind, weight=weight)
    Target.objects.get_or_create(
        tier=None, defaults={"name": DEFAULT_CHURN_TARGET[0], "max_rate": DEFAULT_CHURN_TARGET[1]}
    )


def ensure_top_tier_targets(top_n: int = 2, rule_set=None):
    """Top tiers of the active rule set get the stricter 2 % target (needs the customers' tiers)."""
    from rmdesk.customers.models import Tier, TierRuleSet

    from .models import ChurnTarget

    rule_set = rule_set or TierRuleSet.objects.filter(is_active=True).first() or TierRuleSet.objects.first()
    if rule_set is None:
        return 0
    made = 0
    for tier in Tier.objects.filter(rule_set=rule_set).order_by("-rank")[:top_n]:
        _, created = ChurnTarget.objects.get_or_create(
            tier=tier, defaults={"name": f"{tier.name}（高端层级）", "max_rate": TOP_TIER_CHURN_RATE}
        )
        made += created
    return made
