"""Corporate customers and tobacco outlets have a contact cadence for every tier of their own tier set
(customers migration 0009, work migration 0008), applied by the cadence engine."""

import importlib
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from rmdesk.customers.models import Tier, TierRuleSet
from rmdesk.work import cadence
from rmdesk.work.models import CadenceRule, ContactStatus, Interaction, add_months
from rmdesk.work.seed import KIND_RULES, seed_cadence

TIER_SETS = importlib.import_module("rmdesk.customers.migrations.0009_kind_tier_sets_id_type_import_progress")


def test_every_tier_of_the_kind_sets_has_a_cadence_rule():
    seeded = {("bank_corporate", code) for code, *_ in TIER_SETS.CORPORATE_TIERS}
    seeded |= {("tobacco_outlet", code) for code, *_ in TIER_SETS.OUTLET_TIERS}
    assert seeded == {(rs, tier) for rs, tier, *_ in KIND_RULES}


@pytest.mark.parametrize("rule_set,tier_code,months,days", [(r[0], r[1], r[3], r[4]) for r in KIND_RULES])
def test_the_engine_applies_the_kind_rules(db, world, make_customer, rule_set, tier_code, months, days):
    seed_cadence(CadenceRule, KIND_RULES)  # idempotent; transactional tests may have flushed the seed
    rs = TierRuleSet.objects.get_or_create(code=rule_set, defaults={"name": rule_set})[0]
    tier = Tier.objects.get_or_create(rule_set=rs, code=tier_code, defaults={"name": tier_code, "rank": 1})[0]
    customer = make_customer(world.rm, tier=tier, aum=Decimal(0))
    last = date(2026, 3, 2)
    Interaction.objects.create(
        customer=customer,
        kind="visit",
        occurred_at=timezone.make_aware(datetime(2026, 3, 2, 10)),
        recorded_by=world.rm,
        purpose="走访",
    )
    cadence.recompute_all(today=last, from_interactions=True)
    row = ContactStatus.objects.get(customer=customer)
    expected = add_months(last, months) if months else date.fromordinal(last.toordinal() + days)
    assert row.next_due_on == expected and row.status == "ok"
