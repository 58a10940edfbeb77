"""Seed the sales department's defaults (SPEC §4): the settings row, the pipeline stages of the seeds
(识别 → 接触 → 方案 → 促成 → 签约, plus 失败; seed 001:165, 977), lost reasons, next-best-product rules,
product pricing (产品计价) for the seeded products still unpriced, a few promotional materials and the
nomination chain "sales.nomination" (区域市场经理 reviews → 品牌经理 selects; seed 001:1095–1099).
Every function is idempotent (re-applied by the tests after a flush)."""

from decimal import Decimal

from django.db import migrations

STAGES = [
    # code, name, order, kind, probability, required fields
    ("identify", "识别", 10, "open", 10, []),
    ("contact", "接触", 20, "open", 25, []),
    ("proposal", "方案", 30, "open", 50, ["amount"]),
    ("closing", "促成", 40, "open", 75, ["amount", "expected_on"]),
    ("signed", "签约", 50, "won", 100, ["amount"]),
    ("lost", "失败", 90, "lost", 0, []),
]
LOST_REASONS = [
    ("price", "收益率/价格不具竞争力", 10),
    ("competitor", "选择他行产品", 20),
    ("no_need", "客户暂无需求", 30),
    ("risk", "风险承受能力不匹配", 40),
    ("funds", "资金不足或另有安排", 50),
    ("other", "其他原因", 90),
]
#: (name, holds, lacks, min tolerance, min AUM, product code, reason)
RULES = [
    (
        "存款客户配置稳健理财",
        "deposit",
        "wealth",
        "C2",
        Decimal("50000"),
        "WM-STABLE",
        "存款较多、未持有理财，推荐稳健型理财",
    ),
    ("理财客户配置债券基金", "wealth", "fund", "C2", Decimal("200000"), "FD-BOND", "已有理财，可用债券基金分散配置"),
    ("高净值客户配置年金保险", "", "insurance", "C2", Decimal("500000"), "INS-ANNUITY", "资产较高，尚无保障类产品"),
    (
        "平衡型客户配置权益基金",
        "wealth",
        "fund",
        "C4",
        Decimal("500000"),
        "FD-EQUITY",
        "风险承受能力较高，可适度配置权益",
    ),
    ("存款客户办理信用卡", "deposit", "card", "", Decimal("0"), "CARD-CREDIT", "尚未持有我行信用卡"),
]
#: product code -> (price per sale, rate ‰, term days)
PRICING = {
    "DEP-FIX1Y": (Decimal("5"), Decimal("0.5"), 365),
    "DEP-LD3Y": (Decimal("10"), Decimal("1"), 1095),
    "WM-STABLE": (Decimal("20"), Decimal("2"), 90),
    "WM-BAL": (Decimal("20"), Decimal("3"), 180),
    "FD-BOND": (Decimal("30"), Decimal("3"), None),
    "FD-EQUITY": (Decimal("30"), Decimal("5"), None),
    "FD-QDII": (Decimal("30"), Decimal("5"), None),
    "INS-ANNUITY": (Decimal("50"), Decimal("8"), 3650),
    "CARD-CREDIT": (Decimal("30"), Decimal("0"), None),
    "PAYROLL": (Decimal("100"), Decimal("0"), None),
    "LN-MORTGAGE": (Decimal("50"), Decimal("0.5"), None),
}
MATERIALS = [("定制台历", "本", 200), ("品牌雨伞", "把", 120), ("促销陈列架", "个", 40)]


def seed(apps, schema_editor):
    Settings = apps.get_model("sales", "SalesSettings")
    Stage = apps.get_model("sales", "OpportunityStage")
    Reason = apps.get_model("sales", "LostReason")
    Rule = apps.get_model("sales", "CrossSellRule")
    Material = apps.get_model("sales", "Material")
    Product = apps.get_model("customers", "Product")
    Chain = apps.get_model("core", "ApprovalChain")
    Step = apps.get_model("core", "ApprovalStep")
    if not Settings.objects.exists():
        Settings.objects.create()
    for code, name, order, kind, prob, required in STAGES:
        Stage.objects.get_or_create(
            code=code,
            defaults={"name": name, "order": order, "kind": kind, "probability": prob, "required_fields": required},
        )
    for code, name, order in LOST_REASONS:
        Reason.objects.get_or_create(code=code, defaults={"name": name, "order": order})
    for code, (per_sale, rate, term) in PRICING.items():
        Product.objects.filter(code=code, price_per_sale=0, price_rate=0).update(
            price_per_sale=per_sale, price_rate=rate, term_days=term
        )
    for order, (name, holds, lacks, tol, aum, code, reason) in enumerate(RULES, start=1):
        product = Product.objects.filter(code=code).first()
        if product is not None:
            Rule.objects.get_or_create(
                name=name,
                defaults={
                    "holds_category": holds,
                    "lacks_category": lacks,
                    "min_tolerance": tol,
                    "min_aum": aum,
                    "product": product,
                    "reason": reason,
                    "order": order * 10,
                },
            )
    if not Material.objects.exists():
        for name, unit, stock in MATERIALS:
            Material.objects.create(name=name, unit_name=unit, stock=stock)
    if not Chain.objects.filter(kind="sales.nomination").exists():
        chain = Chain.objects.create(
            kind="sales.nomination", name="促销推选（市场经理复核、品牌经理选定）", priority=100
        )
        Step.objects.create(chain=chain, order=1, name="市场经理复核", decider="team_lead", levels_up=0, due_hours=16)
        Step.objects.create(
            chain=chain, order=2, name="品牌经理选定", decider="branch_manager", levels_up=0, due_hours=16
        )


class Migration(migrations.Migration):
    dependencies = [
        ("sales", "0001_initial"),
        ("customers", "0010_product_catalogue_risk_assessed_on"),
        ("core", "0002_seed_one_step_chains"),
    ]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
