"""Account-change monitoring (SPEC §8, seed 001:135): fees waived or discounted by staff on customers'
accounts, compared with the customer's tier entitlement; the daily anomaly report turns each grant
beyond it into a finding (exact findings on hand-made grants, none for grants within the entitlement);
bad input is a field error and writes nothing; the page is scoped like everything else."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from rmdesk.compliance import services
from rmdesk.compliance.models import FeeEntitlement, FeeGrant, Finding, Threshold
from rmdesk.core.actions import RoleRefused
from rmdesk.core.models import AuditEvent
from rmdesk.customers.models import Tier

pytestmark = pytest.mark.django_db


@pytest.fixture
def tiers(db):
    return {t.code: t for t in Tier.objects.filter(rule_set__code="bank")}


@pytest.fixture
def entitled(tiers):
    FeeEntitlement.objects.create(tier=tiers["platinum"], fee_kind="account", max_discount_percent=Decimal("100"))
    FeeEntitlement.objects.create(tier=tiers["platinum"], fee_kind="transfer", max_discount_percent=Decimal("50"))
    FeeEntitlement.objects.create(tier=tiers["gold"], fee_kind="transfer", max_discount_percent=Decimal("20"))


def _grant(actor, customer, kind, standard, charged, day=None, **kw):
    return services.record_fee_grant(
        actor,
        customer_id=customer.pk,
        fee_kind=kind,
        standard_fee=Decimal(standard),
        charged_fee=Decimal(charged),
        granted_on=day or timezone.localdate() - timedelta(days=1),
        **kw,
    )


def test_daily_check_flags_exactly_the_grants_beyond_entitlement(world, make_customer, tiers, entitled):
    platinum = make_customer(world.rm, tier=tiers["platinum"])
    gold = make_customer(world.rm, tier=tiers["gold"])
    standard = make_customer(world.rm_b, tier=tiers["standard"])
    yesterday = timezone.localdate() - timedelta(days=1)
    within = [
        _grant(world.rm, platinum, "account", "120", "0"),  # waived: platinum may (100%)
        _grant(world.rm, platinum, "transfer", "50", "25"),  # 50%: exactly the entitlement
        _grant(world.rm, gold, "transfer", "50", "40"),  # 20%
        _grant(world.rm_b, standard, "account", "120", "120"),  # no discount at all
    ]
    beyond = [
        _grant(world.rm, platinum, "transfer", "50", "10"),  # 80% > 50%
        _grant(world.rm, gold, "account", "120", "60"),  # gold has no account-fee entitlement
        _grant(world.rm_b, standard, "card_annual", "100", "99"),  # 1% with no entitlement
    ]
    _grant(world.rm, gold, "account", "120", "0", day=yesterday - timedelta(days=1))  # another day
    found = services.detect_anomalies(day=yesterday)
    fee = sorted((f.person.username, f.key, f.count) for f in found if f.rule == "fee_beyond")
    assert fee == sorted((g.granted_by.username, f"fee:{g.pk}", 1) for g in beyond)
    assert not Finding.objects.filter(key__in=[f"fee:{g.pk}" for g in within]).exists()
    f = Finding.objects.get(key=f"fee:{beyond[0].pk}")
    assert "80.00%" in f.detail and "50" in f.detail and platinum.customer_no in f.detail
    assert f.events == [AuditEvent.objects.get(action="compliance.fee_grant", object_id=str(beyond[0].pk)).pk]
    assert str(f.get_rule_display()) == "费用减免超出客户权益"
    # running the day again adds nothing
    assert [x for x in services.detect_anomalies(day=yesterday) if x.rule == "fee_beyond"] == []


def test_tolerance_threshold_and_tier_kept_at_grant_time(world, make_customer, tiers, entitled):
    customer = make_customer(world.rm, tier=tiers["platinum"])
    grant = _grant(world.rm, customer, "transfer", "100", "45")  # 55% > 50%
    customer.tier = tiers["standard"]  # a later tier change does not rewrite the grant's entitlement
    customer.save()
    assert [g.pk for g, _d, _a in services.grants_beyond_entitlement(FeeGrant.objects.all())] == [grant.pk]
    Threshold.objects.update_or_create(code="fee_tolerance_percent", defaults={"name": "容差", "value": Decimal("5")})
    assert services.grants_beyond_entitlement(FeeGrant.objects.all()) == []


def test_bad_input_scope_and_roles_write_nothing(world, make_customer, tiers):
    mine = make_customer(world.rm, tier=tiers["gold"])
    other = make_customer(world.rm2, tier=tiers["gold"])
    with pytest.raises(ValidationError) as exc:
        _grant(world.rm, mine, "nope", "0", "5", day=timezone.localdate() + timedelta(days=1))
    assert set(exc.value.message_dict) == {"fee_kind", "standard_fee", "granted_on"}
    with pytest.raises(ValidationError) as exc:
        _grant(world.rm, mine, "account", "10", "11")
    assert set(exc.value.message_dict) == {"charged_fee"}
    with pytest.raises(ValidationError) as exc:
        _grant(world.rm, other, "account", "10", "5")  # not in rm's book
    assert set(exc.value.message_dict) == {"customer_id"}
    for user in (world.compliance, world.risk, world.assistant, world.referrer, world.admin):
        with pytest.raises(RoleRefused):
            _grant(user, mine, "account", "10", "5")
    assert not FeeGrant.objects.exists()
    assert not AuditEvent.objects.filter(action="compliance.fee_grant").exists()


def test_fee_page_records_flags_and_is_scoped(client, world, make_customer, tiers, entitled):
    customer = make_customer(world.rm, tier=tiers["gold"])
    client.force_login(world.rm)
    data = {
        "customer_no": customer.customer_no,
        "fee_kind": "transfer",
        "standard_fee": "50",
        "charged_fee": "60",
        "granted_on": timezone.localdate().isoformat(),
    }
    resp = client.post("/compliance/fees/", data)
    assert resp.status_code == 422
    assert re.search(
        r'id="id_charged_fee"[^>]*>\s*<div class="field-error">实收不能高于标准收费。', resp.content.decode()
    )
    resp = client.post("/compliance/fees/", data | {"customer_no": "NOPE"})
    assert resp.status_code == 422 and "客户不存在或不在您的管户范围内" in resp.content.decode()
    assert not FeeGrant.objects.exists()
    assert client.post("/compliance/fees/", data | {"charged_fee": "10"}).status_code == 302
    grant = FeeGrant.objects.get()
    assert (grant.granted_by, grant.tier, grant.discount_percent) == (world.rm, tiers["gold"], Decimal("80.00"))

    client.force_login(world.compliance)  # the officer of sub-branch S1 sees it flagged
    html = client.get("/compliance/fees/?beyond=1").content.decode()
    assert f'data-grant="{grant.pk}"' in html and 'data-testid="beyond"' in html and "上限 20.00%" in html
    assert 'data-testid="fee-form"' not in html  # compliance reviews, it does not grant
    assert client.post("/compliance/fees/", data).status_code == 403
    for user, sees in ((world.manager, True), (world.lead, True), (world.rm2, False), (world.lead2, False)):
        client.force_login(user)
        assert (f'data-grant="{grant.pk}"' in client.get("/compliance/fees/").content.decode()) is sees, user
    for user in (world.referrer, world.admin):
        client.force_login(user)
        assert client.get("/compliance/fees/").status_code == 404
