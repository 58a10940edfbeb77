"""Seed the RM DISC job model (D32 I72 S46 C57), a few courses and the training-points rule (SPEC §9, §10;
rmdesk.people.defaults)."""

from django.db import migrations


def seed(apps, schema_editor):
    from rmdesk.people.defaults import seed as run

    run(apps, schema_editor)


def unseed(apps, schema_editor):
    from rmdesk.people.defaults import unseed as run

    run(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("people", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
