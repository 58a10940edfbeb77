"""Seed the threshold of the fee check (account-change monitoring, SPEC §8): how many percentage points a
discount may exceed the tier's entitlement before it is reported (0 by default)."""

from decimal import Decimal

from django.db import migrations


def seed(apps, schema_editor):
    Threshold = apps.get_model("compliance", "Threshold")
    Threshold.objects.get_or_create(
        code="fee_tolerance_percent",
        defaults={
            "name": "费用减免容差(百分点)",
            "value": Decimal("0"),
            "description": "减免比例超出客户层级权益上限达到此百分点以上即列入异常线索",
        },
    )


class Migration(migrations.Migration):
    dependencies = [("compliance", "0004_threshold_version")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
