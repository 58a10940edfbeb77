"""Tier rule sets per customer kind (SPEC §2, issue 10): personal archives by AUM, corporate ones by
deposits, retail outlets by the tobacco classes; editing one set re-tiers only its kind."""

from decimal import Decimal

import pytest
from django.urls import reverse

from rmdesk.customers import services
from rmdesk.customers.models import Customer, Product, Tier, TierChange, TierRuleSet

pytestmark = pytest.mark.django_db


def test_seeded_sets_one_in_use_per_kind():
    in_use = services.active_rule_sets()
    assert {k: rs.code for k, rs in in_use.items()} == {
        "individual": "bank",
        "corporate": "bank_corporate",
        "outlet": "tobacco_outlet",
    }
    assert in_use["corporate"].metric == "deposits"
    assert in_use["outlet"].metric == "sales" and in_use["outlet"].industry == "tobacco"
    assert [t.name for t in in_use["outlet"].tiers.order_by("-rank")] == ["核心", "潜力", "一般", "问题"]


def test_each_kind_is_tiered_by_its_own_basis(world, make_customer):
    rich = Decimal("6000000")  # private banking by AUM
    person = make_customer(world.rm, kind="individual", aum=rich, deposits=Decimal("0"))
    corp = make_customer(world.rm, kind="corporate", aum=rich, deposits=Decimal("1200000"))
    outlet = make_customer(world.rm, kind="outlet", aum=rich, metrics={"sales": "160000"})
    for c in (person, corp, outlet):
        services.recompute_tier(c, reason="test")
    got = {c.kind: Customer.objects.select_related("tier__rule_set").get(pk=c.pk).tier for c in (person, corp, outlet)}
    assert (got["individual"].code, got["individual"].rule_set.code) == ("pb", "bank")
    # the same AUM does not make a corporate "private banking": its deposits make it 重点客户
    assert (got["corporate"].name, got["corporate"].rule_set.code) == ("重点客户", "bank_corporate")
    assert (got["outlet"].name, got["outlet"].rule_set.code) == ("潜力", "tobacco_outlet")
    # a rule set of another kind handed in by a caller is not applied to the archive
    bank = services.active_rule_set("individual")
    Customer.objects.filter(pk=corp.pk).update(deposits=Decimal("25000000"))
    corp.refresh_from_db()
    services.recompute_tier(corp, reason="test", rule_set=bank, tiers=list(bank.tiers.all()))
    assert Customer.objects.get(pk=corp.pk).tier.name == "战略客户"


def test_holdings_change_retiers_a_corporate_by_deposits(world, make_customer):
    corp = make_customer(world.rm, kind="corporate")
    services.recompute_tier(corp, reason="test")
    assert Customer.objects.get(pk=corp.pk).tier.name == "一般客户"
    services.save_holding(world.rm, corp.pk, product=Product.objects.get(code="DEP-CUR"), balance="6000000")
    corp = Customer.objects.get(pk=corp.pk)
    assert corp.deposits == Decimal("6000000") and corp.tier.name == "核心客户"
    change = TierChange.objects.filter(customer=corp).latest("id")
    assert (change.from_tier.name, change.to_tier.name, change.direction) == ("一般客户", "核心客户", "up")


def test_editing_a_sets_thresholds_retiers_only_its_kind(world, client, make_customer):
    person = make_customer(world.rm, kind="individual", aum=Decimal("800000"), deposits=Decimal("800000"))
    corp = make_customer(world.rm, kind="corporate", aum=Decimal("800000"), deposits=Decimal("800000"))
    assert services.recompute_all_tiers() == 2
    assert Customer.objects.get(pk=person.pk).tier.code == "gold"
    assert Customer.objects.get(pk=corp.pk).tier.code == "general"
    corporate = TierRuleSet.objects.get(code="bank_corporate")
    tiers = list(corporate.tiers.order_by("-rank"))
    data = {
        "code": corporate.code,
        "name": corporate.name,
        "industry": corporate.industry,
        "metric": corporate.metric,
        "tiers-TOTAL_FORMS": str(len(tiers)),
        "tiers-INITIAL_FORMS": str(len(tiers)),
        "tiers-MIN_NUM_FORMS": "0",
        "tiers-MAX_NUM_FORMS": "1000",
    }
    for i, t in enumerate(tiers):
        threshold = "500000" if t.code == "key" else str(t.threshold)  # 重点客户 from 500,000 on
        data.update(
            {
                f"tiers-{i}-id": str(t.pk),
                f"tiers-{i}-rule_set": str(corporate.pk),
                f"tiers-{i}-code": t.code,
                f"tiers-{i}-name": t.name,
                f"tiers-{i}-rank": str(t.rank),
                f"tiers-{i}-threshold": threshold,
            }
        )
    bank_before = TierChange.objects.filter(customer=person).count()
    client.force_login(world.admin)
    resp = client.post(reverse("admin:customers_tierruleset_change", args=[corporate.pk]), data)
    assert resp.status_code == 302, resp.content.decode()[:3000]
    assert Tier.objects.get(rule_set=corporate, code="key").threshold == Decimal("500000")
    assert Customer.objects.get(pk=corp.pk).tier.code == "key"
    assert TierChange.objects.filter(customer=person).count() == bank_before  # personal archives untouched
    assert Customer.objects.get(pk=person.pk).tier.code == "gold"


def test_activating_a_set_switches_only_its_kind(world, make_customer):
    person = make_customer(world.rm, kind="individual", metrics={"sales": "400000"})
    outlet = make_customer(world.rm, kind="outlet", metrics={"sales": "400000"})
    services.recompute_all_tiers()
    other = TierRuleSet.objects.create(code="outlet2", name="零售户二", kind="outlet", metric="sales")
    Tier.objects.create(rule_set=other, code="all", name="全部", rank=1, threshold=Decimal("0"))
    assert services.activate_rule_set(world.admin, other.pk) == 1
    assert TierRuleSet.objects.get(code="bank").is_active  # the personal set stays in use
    assert not TierRuleSet.objects.get(code="tobacco_outlet").is_active
    assert Customer.objects.get(pk=outlet.pk).tier.code == "all"
    assert Customer.objects.get(pk=person.pk).tier.code == "standard"


def test_list_filter_shows_each_kinds_tiers(world, client, make_customer):
    corp = make_customer(world.rm, kind="corporate", deposits=Decimal("6000000"))
    services.recompute_tier(corp, reason="test")
    client.force_login(world.rm)
    page = client.get(reverse("customers:list")).content.decode()
    for label in ("私人银行客户", "核心客户", "战略客户", "潜力", "问题"):
        assert label in page
    core = Tier.objects.get(rule_set__code="bank_corporate", code="core")
    rows = client.get(reverse("customers:list"), {"tier": core.pk}).context["page"].items
    assert [c.pk for c in rows] == [corp.pk]
