from django.db import migrations


def forward(apps, schema_editor):
    from rmdesk.work.seed import seed

    seed(apps.get_model("work", "CadenceRule"), apps.get_model("work", "JournalTemplate"))


class Migration(migrations.Migration):
    dependencies = [("work", "0003_daily_work")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
