"""Top tiers of the bank rule set get the stricter churn target (SPEC §5: top tiers < 2 %)."""

from decimal import Decimal

from django.db import migrations


def forwards(apps, schema_editor):
    Tier = apps.get_model("customers", "Tier")
    Target = apps.get_model("service", "ChurnTarget")
    for tier in Tier.objects.filter(rule_set__code="bank").order_by("-rank")[:2]:
        Target.objects.get_or_create(
            tier=tier, defaults={"name": f"{tier.name}（高端层级）", "max_rate": Decimal("2.00")}
        )


class Migration(migrations.Migration):
    dependencies = [("service", "0002_seed_defaults"), ("customers", "0004_seed_bank_tiers_products")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
