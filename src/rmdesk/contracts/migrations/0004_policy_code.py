"""The contract policy's natural key (issue 19): `code`, "default" for the one row the migrations seed, so an
industry pack can set the policy (contracts/packs.py); its ranges as field validators, so a pack's values are
checked as the settings page checks them (expiry window 1–365 days, targets 0–100 %)."""

import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0003_contract_opportunity"),
    ]

    operations = [
        migrations.AddField(
            model_name="contractpolicy",
            name="code",
            field=models.CharField(
                db_default="default", default="default", max_length=30, unique=True, verbose_name="代码"
            ),
        ),
        migrations.AlterField(
            model_name="contractpolicy",
            name="bad_debt_target",
            field=models.DecimalField(
                decimal_places=2,
                default=2,
                max_digits=5,
                validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(100)],
                verbose_name="坏帐率目标上限（%）",
            ),
        ),
        migrations.AlterField(
            model_name="contractpolicy",
            name="collection_target",
            field=models.DecimalField(
                decimal_places=2,
                default=98,
                max_digits=5,
                validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(100)],
                verbose_name="回款率目标（%）",
            ),
        ),
        migrations.AlterField(
            model_name="contractpolicy",
            name="expiry_window_days",
            field=models.PositiveSmallIntegerField(
                default=30,
                validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(365)],
                verbose_name="到期提醒窗口（天）",
            ),
        ),
    ]
