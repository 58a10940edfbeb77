"""Seed the pledge templates, conduct rule sets, thresholds and approval chains (SPEC §8;
rmdesk.compliance.defaults)."""

from django.db import migrations


def seed(apps, schema_editor):
    from rmdesk.compliance.defaults import seed as run

    run(apps, schema_editor)


def unseed(apps, schema_editor):
    from rmdesk.compliance.defaults import unseed as run

    run(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("compliance", "0001_initial"), ("core", "0002_seed_one_step_chains")]
    operations = [migrations.RunPython(seed, unseed)]
