"""Appeals whose approval request was withdrawn before the kernel's `cancel` called the appeal handler's
`on_cancelled` (it now settles the appeal in the withdrawal's transaction) are marked withdrawn once (the
migration's time; the cancel itself kept no time of its own); the request's own `approval.cancel` audit event records who withdrew it."""

from django.db import migrations
from django.utils import timezone


def settle(apps, schema_editor):
    Appeal = apps.get_model("performance", "Appeal")
    Appeal.objects.filter(status="pending", request__status="cancelled").update(
        status="withdrawn", decided_at=timezone.now()
    )


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0005_audit_keyed_pending"),
        ("performance", "0003_group_results"),
    ]

    operations = [migrations.RunPython(settle, migrations.RunPython.noop)]
