"""Issues 17 and 18: the audit chain is keyed (HMAC-SHA256 with a key outside the database) from the
next event on; rows written before keep alg "sha256" and still verify. Read events are appended to
an unchained pending table and sealed into the chain in batches (rmdesk.core.audit)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0004_notice_channels_calendar_feed"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # Existing rows were hashed with plain SHA-256; every row written from now on is keyed.
        migrations.AddField(
            model_name="auditevent",
            name="alg",
            field=models.CharField(default="sha256", db_default="sha256", max_length=12),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="alg",
            field=models.CharField(default="hmac-sha256", db_default="sha256", max_length=12),
        ),
        migrations.CreateModel(
            name="AuditPending",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("at", models.DateTimeField(default=django.utils.timezone.now)),
                ("actor_name", models.CharField(blank=True, max_length=150)),
                ("action", models.CharField(max_length=60)),
                ("object_type", models.CharField(blank=True, max_length=60)),
                ("object_id", models.CharField(blank=True, max_length=64)),
                ("summary", models.JSONField(blank=True, default=dict)),
                ("ip", models.GenericIPAddressField(blank=True, null=True)),
                ("mac", models.CharField(max_length=64)),
                (
                    "actor",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "待封存审计事件",
                "verbose_name_plural": "待封存审计事件",
            },
        ),
    ]
