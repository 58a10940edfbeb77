"""The demo builder (SPEC §5 demo data): every state, some breached, a survey round with answers,
churn history; idempotent; a no-op without customers."""

import pytest

from rmdesk.customers.models import Tier
from rmdesk.service import demo
from rmdesk.service.models import Case, CaseStatus, ChurnEvent, SurveyResponse, WatchEntry

pytestmark = pytest.mark.django_db


def test_demo_without_customers_does_nothing(world, make_demo_ctx):
    ctx = make_demo_ctx()
    demo.build(ctx)
    assert not Case.objects.exists() and "no customers" in ctx.lines[-1]


def test_demo_builds_every_state_and_is_idempotent(world, make_customer, make_demo_ctx):
    from rmdesk.customers.models import TierRuleSet

    rule_set = TierRuleSet.objects.create(code="svc_demo", name="演示分层")
    tier = Tier.objects.create(rule_set=rule_set, code="top", name="顶级客户", rank=9)
    for i in range(40):
        make_customer(world.rm if i % 2 else world.rm_b, world.t1, tier=tier, stage="active", aum=6_000_000)
    ctx = make_demo_ctx()
    demo.build(ctx)
    statuses = set(Case.objects.values_list("status", flat=True))
    assert statuses == set(CaseStatus.values)
    assert Case.objects.filter(answer_breached=True).exists()
    assert Case.objects.filter(escalation_level__gt=0).exists()
    assert Case.objects.filter(reopen_count__gt=0).exists()
    assert SurveyResponse.objects.filter(answered_at__isnull=False).exists()
    assert ChurnEvent.objects.exists() and WatchEntry.objects.filter(reason="at_risk").exists()
    n = Case.objects.count()
    demo.build(make_demo_ctx())
    assert Case.objects.count() == n
