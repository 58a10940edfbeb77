"""Contact cadence for the tier sets per customer kind (corporate by deposits, tobacco outlets by
sales; customers migration 0009): without them corporates and outlets had no required contact."""

from django.db import migrations


def forward(apps, schema_editor):
    from rmdesk.work.seed import KIND_RULES, seed_cadence

    seed_cadence(apps.get_model("work", "CadenceRule"), KIND_RULES)


class Migration(migrations.Migration):
    dependencies = [("work", "0007_models_moved_to_core"), ("customers", "0009_kind_tier_sets_id_type_import_progress")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
