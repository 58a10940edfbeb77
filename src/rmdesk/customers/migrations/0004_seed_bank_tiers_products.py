"""Seed the bank default tier rule set (SPEC §2) and a minimal product list.

Bank tier codes (stable; the work app keys cadence rules on them): pb, diamond, platinum, gold, standard.
"""

from decimal import Decimal

from django.db import migrations

BANK_TIERS = [
    ("pb", "私人银行客户", 5, Decimal("5000000")),
    ("diamond", "钻石客户", 4, Decimal("2000000")),
    ("platinum", "白金客户", 3, Decimal("1000000")),
    ("gold", "金卡客户", 2, Decimal("500000")),
    ("standard", "普通客户", 1, Decimal("0")),
]

PRODUCTS = [
    ("DEP-CUR", "活期储蓄", "deposit", "R1"),
    ("DEP-FIX1Y", "一年期定期存款", "deposit", "R1"),
    ("DEP-LD3Y", "三年期大额存单", "deposit", "R1"),
    ("WM-STABLE", "稳盈理财90天", "wealth", "R2"),
    ("WM-BAL", "平衡增利理财", "wealth", "R3"),
    ("FD-BOND", "债券基金A", "fund", "R2"),
    ("FD-EQUITY", "成长股票基金", "fund", "R4"),
    ("FD-QDII", "全球精选QDII", "fund", "R5"),
    ("INS-ANNUITY", "年金保险", "insurance", "R2"),
    ("LN-MORTGAGE", "个人住房贷款", "loan", "R1"),
    ("LN-BIZ", "流动资金贷款", "loan", "R1"),
    ("CARD-CREDIT", "信用卡", "card", "R1"),
    ("SET-CORP", "对公结算账户", "settlement", "R1"),
    ("PAYROLL", "代发工资", "payroll", "R1"),
]


def seed(apps, schema_editor):
    TierRuleSet = apps.get_model("customers", "TierRuleSet")
    Tier = apps.get_model("customers", "Tier")
    Product = apps.get_model("customers", "Product")
    rs, created = TierRuleSet.objects.get_or_create(
        code="bank", defaults={"name": "银行个人客户分层（按金融资产）", "metric": "aum", "is_active": True}
    )
    if created and not TierRuleSet.objects.exclude(pk=rs.pk).filter(is_active=True).exists():
        rs.is_active = True
        rs.save()
    for code, name, rank, threshold in BANK_TIERS:
        Tier.objects.get_or_create(
            rule_set=rs, code=code, defaults={"name": name, "rank": rank, "threshold": threshold}
        )
    for code, name, category, risk in PRODUCTS:
        Product.objects.get_or_create(code=code, defaults={"name": name, "category": category, "risk_level": risk})


class Migration(migrations.Migration):
    dependencies = [("customers", "0003_archive_details")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
