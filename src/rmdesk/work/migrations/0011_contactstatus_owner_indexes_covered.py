"""The contact states' single-column owner indexes go: cs_arm_status_idx and cs_brm_status_idx lead with the
same columns and serve every lookup by owner (also the ON DELETE SET NULL of a user). Two indexes fewer to write
on every cadence change and to build when recompute_all() rebuilds the table (issue 18)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("work", "0010_chosen_interval_cadence_setting"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    # only the indexes go (Django's AlterField would also drop and re-add, so re-check, both foreign keys)
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="contactstatus",
                    name=name,
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name=label,
                    ),
                )
                for name, label in (("a_rm", "主办客户经理"), ("b_rm", "协办客户经理"))
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{index}"',
                    reverse_sql=f'CREATE INDEX IF NOT EXISTS "{index}" ON "work_contactstatus" ("{column}")',
                )
                for index, column in (
                    ("work_contactstatus_a_rm_id_402d5344", "a_rm_id"),
                    ("work_contactstatus_b_rm_id_e3dcba02", "b_rm_id"),
                )
            ],
        )
    ]
