"""The approvals that existed before chains become one-step chains administrators can edit (SPEC §1):
reassignment and bulk handover of customers, and the complaint plan's 主管批示 (SPEC §5)."""

from django.db import migrations

ONE_STEP = (
    ("customers.assign", "客户分配/调整审批"),
    ("customers.handover", "客户批量移交审批"),
    ("service.plan", "投诉处理方案主管批示"),
)


def seed(apps, schema_editor):
    Chain = apps.get_model("core", "ApprovalChain")
    Step = apps.get_model("core", "ApprovalStep")
    for kind, name in ONE_STEP:
        if Chain.objects.filter(kind=kind).exists():
            continue
        chain = Chain.objects.create(kind=kind, name=name, priority=100, is_active=True)
        Step.objects.create(chain=chain, order=1, name="主管审批", decider="supervisor", levels_up=0, due_hours=8)


def unseed(apps, schema_editor):
    apps.get_model("core", "ApprovalChain").objects.filter(kind__in=[k for k, _ in ONE_STEP]).delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
