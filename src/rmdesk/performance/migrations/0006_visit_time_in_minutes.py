"""The service-quality index's 客户拜访平均在户时间 (seed 002) is a time in minutes, not a rate: migration 0002
seeded it with the unit "%" (0002 now seeds minutes on a new database). Corrected on the rows still carrying
the seeded unit; a unit an administrator set is left alone (issue 19)."""

from django.db import migrations


def minutes(apps, schema_editor):
    Setting = apps.get_model("performance", "IndicatorSetting")
    Setting.objects.filter(code="sqi.visit_time", unit="%").update(unit="分钟")


class Migration(migrations.Migration):
    dependencies = [("performance", "0005_manual_value_history_rule_versions")]

    operations = [migrations.RunPython(minutes, migrations.RunPython.noop)]
