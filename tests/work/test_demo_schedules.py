"""The demo's weekly visit schedules agree with the contact cadence they were generated from (SPEC §3,
issue 10): every cadence item of a demo schedule is a customer whose contact was due (by their tier's
rule, from their last contact before the week) by the end of that week; an item that carries a due date
names the right one; nobody due is planned twice in a week."""

from datetime import timedelta

import pytest

from rmdesk.customers import demo as customers_demo
from rmdesk.org import demo as org_demo
from rmdesk.work import demo as work_demo
from rmdesk.work.models import CadenceRule, Interaction, ItemSource, ScheduleStatus, VisitSchedule

pytestmark = pytest.mark.django_db


def _due_before(customer, rule, week_start):
    """The customer's next due date as it stood when the week's schedule was made: from the last contact
    before the week (or the archive's opening day), by the rule."""
    last = (
        Interaction.objects.filter(customer=customer, occurred_on__lt=week_start)
        .order_by("-occurred_at")
        .values_list("occurred_on", flat=True)
        .first()
    )
    from django.utils import timezone

    base = last or timezone.localdate(customer.created_at)
    return rule.next_due(base)


def test_every_demo_schedule_agrees_with_the_cadence_rules(make_demo_ctx):
    ctx = make_demo_ctx(scale=0.15)
    org_demo.build(ctx)
    customers_demo.build(ctx)
    work_demo.build(ctx)
    rules = {(r.rule_set_code, r.tier_code): r for r in CadenceRule.objects.filter(is_active=True)}
    schedules = list(VisitSchedule.objects.select_related("owner").order_by("owner_id", "week_start"))
    assert len(schedules) == 9  # three demo RMs, last / this / next week
    checked = 0
    for s in schedules:
        week_end = s.week_start + timedelta(days=6)
        items = list(s.items.select_related("customer__tier__rule_set"))
        assert len({i.customer_id for i in items}) == len(items)
        for item in items:
            if item.source != ItemSource.CADENCE:
                continue
            c = item.customer
            assert c.a_rm_id == s.owner_id
            rule = rules.get((c.tier.rule_set.code, c.tier.code)) if c.tier else None
            assert rule is not None, f"{c} has no cadence rule but was planned by cadence"
            due = _due_before(c, rule, s.week_start)
            assert due <= week_end, f"{s.owner} {s.week_start}: {c} not due until {due}"
            assert due.isoformat() in item.note, f"{s.owner} {s.week_start}: {c} due {due}, note {item.note}"
            checked += 1
        if s.status == ScheduleStatus.CONFIRMED:
            assert s.confirmed_at is not None
    assert checked > 10
