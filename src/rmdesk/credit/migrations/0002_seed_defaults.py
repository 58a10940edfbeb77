"""Seed the credit products and the 审查 → 审核 → 审批 chain (SPEC §6; rmdesk.credit.defaults)."""

from django.db import migrations


def seed(apps, schema_editor):
    from rmdesk.credit.defaults import seed as run

    run(apps, schema_editor)


def unseed(apps, schema_editor):
    from rmdesk.credit.defaults import unseed as run

    run(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("credit", "0001_initial"), ("core", "0002_seed_one_step_chains")]
    operations = [migrations.RunPython(seed, unseed)]
