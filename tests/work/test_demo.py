"""The work demo builder: nothing without customers; with customers a year of history, idempotent."""

import pytest

from rmdesk.work import demo
from rmdesk.work.models import ContactStatus, Interaction, Journal, VisitSchedule

pytestmark = pytest.mark.django_db


def test_demo_does_nothing_without_customers(world, make_demo_ctx):
    ctx = make_demo_ctx()
    demo.build(ctx)
    assert ctx.lines == ["work: no customers yet, skipped"] and not Interaction.objects.exists()


def test_demo_builds_history_and_is_idempotent(world, make_customer, tiers, local_dt, make_demo_ctx):
    world.rm.username = "rm_senior"
    world.rm.save()
    for _ in range(12):
        make_customer(world.rm, tier=tiers["gold"], created_at=local_dt(2025, 1, 1), address="南京市鼓楼区湖南路")
    demo.build(make_demo_ctx())
    n = Interaction.objects.count()
    assert n > 12
    assert ContactStatus.objects.exclude(last_contact_at=None).exists()
    assert VisitSchedule.objects.filter(owner=world.rm).count() == 3
    assert set(Journal.objects.filter(owner=world.rm).values_list("status", flat=True)) >= {
        "draft",
        "submitted",
        "approved",
        "returned",
    }
    ctx = make_demo_ctx()
    demo.build(ctx)
    assert Interaction.objects.count() == n and "skipped" in ctx.lines[0]
