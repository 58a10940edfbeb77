"""Tier rule sets per customer kind, ID type as a choice, import progress timestamp (SPEC §2, issue 10).

Seeds the bank corporate set (by deposits) and the tobacco retail-outlet classes (by sales), both in
use for their kind; the existing `bank` set keeps tiering individuals. Existing archives are re-tiered
by the next periodic recompute (`recompute_tiers`), which records the move as `initial`.
An `id_type` outside the new choices becomes `other` (its number is kept).
"""

from decimal import Decimal

from django.db import migrations, models

CORPORATE_TIERS = [
    ("strategic", "战略客户", 4, Decimal("20000000")),
    ("core", "核心客户", 3, Decimal("5000000")),
    ("key", "重点客户", 2, Decimal("1000000")),
    ("general", "一般客户", 1, Decimal("0")),
]
OUTLET_TIERS = [
    ("outlet_core", "核心", 4, Decimal("300000")),
    ("outlet_potential", "潜力", 3, Decimal("150000")),
    ("outlet_general", "一般", 2, Decimal("50000")),
    ("outlet_problem", "问题", 1, Decimal("0")),
]
ID_TYPES = {
    "resident_id",
    "passport",
    "hk_macao_permit",
    "taiwan_permit",
    "foreign_pr",
    "hk_macao_residence",
    "military",
    "credit_code",
    "other",
}


def seed(apps, schema_editor):
    TierRuleSet = apps.get_model("customers", "TierRuleSet")
    Tier = apps.get_model("customers", "Tier")
    Customer = apps.get_model("customers", "Customer")
    for code, name, kind, industry, metric, tiers in (
        ("bank_corporate", "银行对公客户分层（按存款）", "corporate", "bank", "deposits", CORPORATE_TIERS),
        ("tobacco_outlet", "烟草零售户分类（按销售额）", "outlet", "tobacco", "sales", OUTLET_TIERS),
    ):
        active = not TierRuleSet.objects.filter(kind=kind, is_active=True).exists()
        rs, _created = TierRuleSet.objects.get_or_create(
            code=code,
            defaults={"name": name, "kind": kind, "industry": industry, "metric": metric, "is_active": active},
        )
        for tcode, tname, rank, threshold in tiers:
            Tier.objects.get_or_create(
                rule_set=rs, code=tcode, defaults={"name": tname, "rank": rank, "threshold": threshold}
            )
    Customer.objects.exclude(id_type__in=ID_TYPES).exclude(id_type="").update(id_type="other")


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0008_holding_matures_on"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="tierruleset",
            options={"ordering": ["kind", "id"], "verbose_name": "客户分层规则", "verbose_name_plural": "客户分层规则"},
        ),
        migrations.AddField(
            model_name="importjob",
            name="attempts",
            field=models.PositiveSmallIntegerField(default=0, verbose_name="执行次数"),
        ),
        migrations.AddField(
            model_name="importjob",
            name="progress_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="最近进展时间"),
        ),
        migrations.AddField(
            model_name="tierruleset",
            name="industry",
            field=models.CharField(
                choices=[("bank", "银行"), ("telecom", "电信"), ("tobacco", "烟草")],
                default="bank",
                max_length=12,
                verbose_name="行业方案",
            ),
        ),
        migrations.AddField(
            model_name="tierruleset",
            name="kind",
            field=models.CharField(
                choices=[("individual", "个人"), ("corporate", "对公/集团"), ("outlet", "零售户")],
                default="individual",
                max_length=12,
                verbose_name="适用客户类型",
            ),
        ),
        migrations.AlterField(
            model_name="customer",
            name="id_type",
            field=models.CharField(
                blank=True,
                choices=[
                    ("resident_id", "居民身份证"),
                    ("passport", "护照"),
                    ("hk_macao_permit", "港澳居民来往内地通行证"),
                    ("taiwan_permit", "台湾居民来往大陆通行证"),
                    ("foreign_pr", "外国人永久居留身份证"),
                    ("hk_macao_residence", "港澳台居民居住证"),
                    ("military", "军官证/士兵证"),
                    ("credit_code", "统一社会信用代码"),
                    ("other", "其他证件"),
                ],
                default="resident_id",
                max_length=20,
                verbose_name="证件类型",
            ),
        ),
        migrations.AlterField(
            model_name="tierruleset",
            name="metric",
            field=models.CharField(
                default="aum",
                help_text="按哪个客户数值分层：aum（金融资产）、deposits（存款）、loans（贷款）、contribution（模拟利润），或分层指标值中的代码，例如 monthly_spend、sales",
                max_length=30,
                verbose_name="分层指标",
            ),
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
