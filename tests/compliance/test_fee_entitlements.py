"""Fee entitlements of the tiers and the correction of fee grants (SPEC §8 account-change monitoring,
issue 14): compliance officers and administrators configure entitlements on a page and through the API
(422 with field paths, 409 when stale, audited with before/after, others refused); a grant is corrected
by its author or a supervisor over it with the rules of recording it, until the daily check has put it
before compliance; a correction that goes beyond the entitlement is found on the day it is made; the
review list links each grant beyond its entitlement to the entitlement it breached."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from rmdesk.compliance import services
from rmdesk.compliance.models import FeeEntitlement, FeeGrant, Finding
from rmdesk.core.actions import RoleRefused, StaleVersion
from rmdesk.core.models import AuditEvent
from rmdesk.customers.models import Tier
from tests.scope_matrix import USERS, fresh

pytestmark = pytest.mark.django_db
EDITORS = {"compliance", "admin"}


@pytest.fixture
def tiers(db):
    return {t.code: t for t in Tier.objects.filter(rule_set__code="bank")}


@pytest.fixture
def gold_transfer(world, tiers):
    return services.create_entitlement(
        world.compliance, tier_id=tiers["gold"].pk, fee_kind="transfer", max_discount_percent=Decimal("20")
    )


def _grant(actor, customer, kind="transfer", standard="50", charged="40", day=None):
    return services.record_fee_grant(
        actor,
        customer_id=customer.pk,
        fee_kind=kind,
        standard_fee=Decimal(standard),
        charged_fee=Decimal(charged),
        granted_on=day or timezone.localdate() - timedelta(days=1),
    )


def _fields(g, **over):
    d = {
        "customer_id": g.customer_id,
        "fee_kind": g.fee_kind,
        "standard_fee": g.standard_fee,
        "charged_fee": g.charged_fee,
        "granted_on": g.granted_on,
        "note": g.note,
    }
    return d | over


# --- entitlements: the services ---------------------------------------------------------------------


def test_entitlement_created_changed_deleted_versioned_and_audited(world, tiers):
    e = services.create_entitlement(
        world.compliance,
        tier_id=tiers["platinum"].pk,
        fee_kind="account",
        max_discount_percent=Decimal("100"),
        max_discount_amount=Decimal("300"),
        note="私行客户账户管理费全免",
    )
    assert AuditEvent.objects.get(action="compliance.entitlement_created", object_id=str(e.pk)).summary["after"][
        "percent"
    ]
    e2 = services.update_entitlement(
        world.admin,
        e.pk,
        version=e.version,
        tier_id=e.tier_id,
        fee_kind="account",
        max_discount_percent=Decimal("50"),
        max_discount_amount=None,
    )
    assert (e2.version, e2.max_discount_percent, e2.max_discount_amount) == (2, Decimal("50"), None)
    changed = AuditEvent.objects.get(action="compliance.entitlement_changed", object_id=str(e.pk))
    assert (Decimal(changed.summary["before"]["percent"]), Decimal(changed.summary["after"]["percent"])) == (
        Decimal("100"),
        Decimal("50"),
    )
    with pytest.raises(StaleVersion):
        services.update_entitlement(
            world.compliance, e.pk, version=1, tier_id=e.tier_id, fee_kind="account", max_discount_percent=Decimal("1")
        )
    with pytest.raises(StaleVersion):
        services.delete_entitlement(world.compliance, e.pk, version=1)
    services.delete_entitlement(world.compliance, e.pk, version=2)
    assert not FeeEntitlement.objects.exists()
    assert AuditEvent.objects.filter(action="compliance.entitlement_deleted", object_id=str(e.pk)).exists()


def test_entitlement_bad_input_and_roles_write_nothing(world, tiers, gold_transfer):
    with pytest.raises(ValidationError) as exc:
        services.create_entitlement(
            world.compliance,
            tier_id=999999,
            fee_kind="nope",
            max_discount_percent=Decimal("120"),
            max_discount_amount=Decimal("-1"),
        )
    assert set(exc.value.message_dict) == {"tier_id", "fee_kind", "max_discount_percent", "max_discount_amount"}
    with pytest.raises(ValidationError) as exc:  # one rule per tier and fee
        services.create_entitlement(
            world.compliance, tier_id=tiers["gold"].pk, fee_kind="transfer", max_discount_percent=Decimal("10")
        )
    assert exc.value.message_dict == {"fee_kind": ["该层级的这项费用已配置权益，请修改原有的一条。"]}
    for user in (world.rm, world.lead, world.manager, world.risk, world.assistant, world.referrer):
        with pytest.raises(RoleRefused):
            services.create_entitlement(
                user, tier_id=tiers["gold"].pk, fee_kind="account", max_discount_percent=Decimal("10")
            )
    assert list(FeeEntitlement.objects.values_list("pk", flat=True)) == [gold_transfer.pk]
    assert AuditEvent.objects.filter(action__startswith="compliance.entitlement").count() == 1


def test_amount_cap_is_checked_with_the_percentage(world, make_customer, tiers):
    services.create_entitlement(
        world.compliance,
        tier_id=tiers["platinum"].pk,
        fee_kind="safe_box",
        max_discount_percent=Decimal("50"),
        max_discount_amount=Decimal("200"),
    )
    customer = make_customer(world.rm, tier=tiers["platinum"])
    within = _grant(world.rm, customer, "safe_box", "300", "150")  # 50 %, 150 元
    over_cap = _grant(world.rm, customer, "safe_box", "1000", "600")  # 40 % but 400 元 > 200
    over_rate = _grant(world.rm, customer, "safe_box", "100", "40")  # 60 %
    flagged = [g.pk for g, _d, _a in services.grants_beyond_entitlement(FeeGrant.objects.order_by("id"))]
    assert flagged == [over_cap.pk, over_rate.pk] and within.pk not in flagged
    found = {f.key: f.detail for f in services.detect_anomalies(day=within.granted_on) if f.rule == "fee_beyond"}
    assert set(found) == {f"fee:{over_cap.pk}", f"fee:{over_rate.pk}"}
    assert "400.00 元" in found[f"fee:{over_cap.pk}"] and "60.00%" in found[f"fee:{over_rate.pk}"]


# --- entitlements: API and pages ------------------------------------------------------------------------


def test_entitlement_api_crud_422_409(world, tiers, api_client):
    c = api_client(world.compliance)
    body = {"tier_id": tiers["gold"].pk, "fee_kind": "card_annual", "max_discount_percent": "100", "note": "年费全免"}
    resp = c.post("/api/compliance/fee-entitlements", body, content_type="application/json")
    assert resp.status_code == 201, resp.content
    e = resp.json()
    assert (e["tier_name"], e["fee_kind_label"], e["version"]) == (tiers["gold"].name, "银行卡年费", 1)
    bad = c.post(
        "/api/compliance/fee-entitlements",
        body | {"fee_kind": "account", "max_discount_percent": "101"},
        content_type="application/json",
    )
    assert bad.status_code == 422 and ["body", "max_discount_percent"] in [d["loc"] for d in bad.json()["detail"]]
    url = f"/api/compliance/fee-entitlements/{e['id']}"
    ok = c.put(url, body | {"max_discount_percent": "50", "version": 1}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["version"] == 2
    stale = api_client(world.admin).put(url, body | {"version": 1}, content_type="application/json")
    assert stale.status_code == 409
    assert c.delete(f"{url}?version=1").status_code == 409
    listed = api_client(world.rm).get("/api/compliance/fee-entitlements")
    assert [x["id"] for x in listed.json()] == [e["id"]]
    assert api_client(world.rm).get(url).json()["max_discount_percent"] == "50.00"
    assert c.delete(f"{url}?version=2").status_code == 204
    assert c.get(url).status_code == 404 and not FeeEntitlement.objects.exists()


@pytest.mark.parametrize("username", sorted(set(USERS) - EDITORS))
def test_entitlement_api_writes_403_for_other_roles(world, tiers, gold_transfer, api_client, username):
    c = api_client(getattr(world, username))
    body = {"tier_id": tiers["gold"].pk, "fee_kind": "account", "max_discount_percent": "10"}
    assert c.post("/api/compliance/fee-entitlements", body, content_type="application/json").status_code == 403
    url = f"/api/compliance/fee-entitlements/{gold_transfer.pk}"
    put = c.put(url, body | {"fee_kind": "transfer", "version": 1}, content_type="application/json")
    assert put.status_code == 403
    assert c.delete(f"{url}?version=1").status_code == 403
    assert fresh(gold_transfer).max_discount_percent == Decimal("20") and FeeEntitlement.objects.count() == 1


def test_entitlement_pages(client, world, tiers, gold_transfer):
    client.force_login(world.compliance)
    html = client.get("/compliance/entitlements/").content.decode()
    assert f'data-entitlement="{gold_transfer.pk}"' in html and "跨行转账汇款手续费" in html and "transfer" not in html
    data = {"tier": tiers["gold"].pk, "fee_kind": "transfer", "max_discount_percent": "30", "version": 1}
    resp = client.post("/compliance/entitlements/new/", data)  # the same tier and fee again
    assert resp.status_code == 422
    assert re.search(
        r'id="id_fee_kind".*?<div class="field-error">该层级的这项费用已配置权益', resp.content.decode(), re.S
    )
    resp = client.post(f"/compliance/entitlements/{gold_transfer.pk}/", data | {"max_discount_percent": "150"})
    assert resp.status_code == 422 and "减免比例须在 0–100 之间。" in resp.content.decode()
    assert client.post(f"/compliance/entitlements/{gold_transfer.pk}/", data).status_code == 302
    assert fresh(gold_transfer).max_discount_percent == Decimal("30")
    stale = client.post(f"/compliance/entitlements/{gold_transfer.pk}/", data | {"max_discount_percent": "40"})
    assert stale.status_code == 409 and "该记录已被他人修改" in stale.content.decode()
    client.force_login(world.rm)  # RMs read what they may grant, nothing more
    page = client.get(f"/compliance/entitlements/{gold_transfer.pk}/")
    assert page.status_code == 200 and 'data-testid="entitlement-form"' not in page.content.decode()
    assert client.post(f"/compliance/entitlements/{gold_transfer.pk}/", data).status_code == 403
    assert client.post(f"/compliance/entitlements/{gold_transfer.pk}/delete/", {"version": 2}).status_code == 403
    assert client.get("/compliance/entitlements/new/").status_code == 404
    client.force_login(world.admin)
    assert client.post(f"/compliance/entitlements/{gold_transfer.pk}/delete/", {"version": 2}).status_code == 302
    assert not FeeEntitlement.objects.exists()


def test_review_list_links_each_grant_to_the_entitlement_it_breached(
    client, world, make_customer, tiers, gold_transfer
):
    gold = make_customer(world.rm, tier=tiers["gold"])
    beyond = _grant(world.rm, gold, "transfer", "50", "10")  # 80 % > 20 %
    no_rule = _grant(world.rm, gold, "account", "120", "60")  # gold has no account-fee entitlement
    within = _grant(world.rm, gold, "transfer", "50", "45")
    client.force_login(world.compliance)
    html = client.get("/compliance/fees/?beyond=1").content.decode()
    rows = dict(re.findall(r'<tr data-grant="(\d+)">(.*?)</tr>', html, re.S))
    assert set(rows) == {str(beyond.pk), str(no_rule.pk)}
    assert f'href="/compliance/entitlements/{gold_transfer.pk}/"' in rows[str(beyond.pk)]
    assert f'href="/compliance/entitlements/#tier-{tiers["gold"].pk}"' in rows[str(no_rule.pk)]
    assert "该层级无此项优惠" in rows[str(no_rule.pk)]
    assert str(within.pk) in client.get("/compliance/fees/").content.decode()


# --- correcting a grant ---------------------------------------------------------------------------------


def test_grant_corrected_by_author_or_supervisor_versioned_and_audited(world, make_customer, tiers, gold_transfer):
    customer = make_customer(world.rm, tier=tiers["gold"], b_rm=world.rm_b)
    g = _grant(world.rm, customer, charged="45")
    g = services.update_fee_grant(world.rm, g.pk, version=g.version, **_fields(g, charged_fee=Decimal("42")))
    assert (g.version, g.charged_fee, g.changed_at is not None) == (2, Decimal("42"), True)
    ev = AuditEvent.objects.get(action="compliance.fee_grant_changed", object_id=str(g.pk))
    assert (Decimal(ev.summary["before"]["charged"]), Decimal(ev.summary["after"]["charged"])) == (
        Decimal("45"),
        Decimal("42"),
    )
    g = services.update_fee_grant(world.lead, g.pk, version=2, **_fields(g, note="主管更正"))
    assert (g.version, g.note, g.granted_by) == (3, "主管更正", world.rm)  # the author stays the author
    with pytest.raises(StaleVersion):
        services.update_fee_grant(world.rm, g.pk, version=2, **_fields(g))
    with pytest.raises(PermissionDenied):  # the customer's B-post RM sees it but did not grant it
        services.update_fee_grant(world.rm_b, g.pk, version=3, **_fields(g))
    with pytest.raises(RoleRefused):  # compliance reviews, it does not correct
        services.update_fee_grant(world.compliance, g.pk, version=3, **_fields(g))
    from django.http import Http404

    with pytest.raises(Http404):  # out of scope is like missing
        services.update_fee_grant(world.rm2, g.pk, version=3, **_fields(g))
    with pytest.raises(ValidationError) as exc:  # the rules of recording it
        services.update_fee_grant(world.rm, g.pk, version=3, **_fields(g, charged_fee=Decimal("60"), fee_kind="nope"))
    assert set(exc.value.message_dict) == {"charged_fee", "fee_kind"}
    assert fresh(g).version == 3 and AuditEvent.objects.filter(action="compliance.fee_grant_changed").count() == 2


def test_correction_beyond_entitlement_is_found_and_a_reviewed_grant_is_locked(
    world, make_customer, tiers, gold_transfer
):
    customer = make_customer(world.rm, tier=tiers["gold"])
    old_day = timezone.localdate() - timedelta(days=10)
    g = _grant(world.rm, customer, charged="45", day=old_day)  # within, checked long ago
    assert [f for f in services.detect_anomalies(day=old_day) if f.rule == "fee_beyond"] == []
    g = services.update_fee_grant(world.rm, g.pk, version=1, **_fields(g, charged_fee=Decimal("0")))
    today = timezone.localdate()
    found = [f for f in services.detect_anomalies(day=today) if f.rule == "fee_beyond"]
    assert [(f.key, f.person) for f in found] == [(f"fee:{g.pk}", world.rm)]
    assert found[0].events == [AuditEvent.objects.get(action="compliance.fee_grant_changed", object_id=str(g.pk)).pk]
    with pytest.raises(ValidationError) as exc:
        services.update_fee_grant(world.rm, g.pk, version=2, **_fields(g, charged_fee=Decimal("45")))
    assert exc.value.message_dict == {"__all__": ["这笔费用减免已列入合规复核，不能再更正。"]}
    assert fresh(g).charged_fee == Decimal("0") and Finding.objects.count() == 1


def test_grant_edit_page_and_api(client, world, make_customer, tiers, gold_transfer, api_client):
    customer = make_customer(world.rm, tier=tiers["gold"], b_rm=world.rm_b)
    g = _grant(world.rm, customer, charged="45")
    client.force_login(world.rm)
    url = f"/compliance/fees/{g.pk}/"
    assert 'data-testid="grant-edit-form"' in client.get(url).content.decode()
    data = {
        "customer_no": customer.customer_no,
        "fee_kind": "transfer",
        "standard_fee": "50",
        "charged_fee": "70",
        "granted_on": g.granted_on.isoformat(),
        "version": 1,
    }
    resp = client.post(url, data)
    assert resp.status_code == 422
    assert re.search(
        r'id="id_charged_fee"[^>]*>\s*<div class="field-error">实收不能高于标准收费。', resp.content.decode()
    )
    assert client.post(url, data | {"charged_fee": "44"}).status_code == 302
    stale = client.post(url, data | {"charged_fee": "43"})
    assert stale.status_code == 409 and "该记录已被他人修改" in stale.content.decode()
    assert fresh(g).charged_fee == Decimal("44")
    c = api_client(world.rm)
    api = f"/api/compliance/fee-grants/{g.pk}"
    body = {
        "customer_id": customer.pk,
        "fee_kind": "transfer",
        "standard_fee": "50",
        "charged_fee": "40",
        "granted_on": str(g.granted_on),
        "note": "",
    }
    assert c.get(api).json()["version"] == 2
    bad = c.put(api, body | {"granted_on": "2999-01-01", "version": 2}, content_type="application/json")
    assert bad.status_code == 422 and ["body", "granted_on"] in [d["loc"] for d in bad.json()["detail"]]
    assert c.put(api, body | {"version": 1}, content_type="application/json").status_code == 409
    ok = c.put(api, body | {"version": 2}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["version"] == 3
    assert api_client(world.rm_b).put(api, body | {"version": 3}, content_type="application/json").status_code == 403
    assert api_client(world.rm2).put(api, body | {"version": 3}, content_type="application/json").status_code == 404
    assert api_client(world.rm2).get(api).status_code == 404
    client.force_login(world.rm_b)
    page = client.get(url).content.decode()
    assert 'data-testid="grant-edit-form"' not in page and "grant-check" in page
    assert client.post(url, data | {"charged_fee": "40", "version": 3}).status_code == 403
