"""Seed the contract templates, the three custody roles, the policy and the review chains (SPEC §7;
rmdesk.contracts.defaults)."""

from django.db import migrations


def seed(apps, schema_editor):
    from rmdesk.contracts.defaults import seed as run

    run(apps, schema_editor)


def unseed(apps, schema_editor):
    from rmdesk.contracts.defaults import unseed as run

    run(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("contracts", "0001_initial"), ("core", "0002_seed_one_step_chains")]
    operations = [migrations.RunPython(seed, unseed)]
