"""The customer's chosen callback interval (issue 19): the industry's setting (no row: off, the bank), one
choice per customer, and why each cadence row is due. Every new NOT NULL column has a database default (the
old code's inserts of contact states do not name due_basis)."""

import django.db.models.deletion
import django.db.models.functions.datetime
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0012_monthly_balance_tier_watch"),
        ("work", "0009_visit_workflow"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="CadenceSetting",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("code", models.CharField(default="default", max_length=20, unique=True, verbose_name="代码")),
                (
                    "customer_interval",
                    models.CharField(
                        choices=[
                            ("off", "不记录客户选择的回访周期"),
                            ("shorter", "取层级频率与客户选择中较短者"),
                            ("customer", "按客户选择（替代层级频率）"),
                        ],
                        db_default="off",
                        default="off",
                        max_length=10,
                        verbose_name="客户选择的回访周期",
                    ),
                ),
            ],
            options={
                "verbose_name": "联系频率设置",
                "verbose_name_plural": "联系频率设置",
            },
        ),
        migrations.AddField(
            model_name="contactstatus",
            name="due_basis",
            field=models.CharField(
                choices=[("rule", "按层级联系频率"), ("chosen", "按客户选择的回访周期"), ("declined", "客户谢绝回访")],
                db_default="rule",
                default="rule",
                max_length=10,
                verbose_name="应联系依据",
            ),
        ),
        migrations.CreateModel(
            name="ChosenInterval",
            fields=[
                (
                    "customer",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="chosen_interval",
                        serialize=False,
                        to="customers.customer",
                        verbose_name="客户",
                    ),
                ),
                ("interval_months", models.PositiveSmallIntegerField(db_default=0, default=0, verbose_name="间隔月数")),
                ("interval_days", models.PositiveSmallIntegerField(db_default=0, default=0, verbose_name="间隔天数")),
                ("declined", models.BooleanField(db_default=False, default=False, verbose_name="不需要回访")),
                ("note", models.CharField(blank=True, db_default="", default="", max_length=200, verbose_name="备注")),
                (
                    "recorded_at",
                    models.DateTimeField(
                        db_default=django.db.models.functions.datetime.Now(),
                        default=django.utils.timezone.now,
                        verbose_name="记录时间",
                    ),
                ),
                ("version", models.PositiveIntegerField(db_default=1, default=1)),
                (
                    "recorded_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="记录人",
                    ),
                ),
            ],
            options={
                "verbose_name": "客户选择的回访周期",
                "verbose_name_plural": "客户选择的回访周期",
            },
        ),
    ]
