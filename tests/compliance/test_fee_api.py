"""The fee-grant and threshold API (SPEC §8 account-change monitoring and thresholds in the database;
issue 14): the same service and validation as the pages — a grant on a customer out of the actor's book
is a 422 on `customer_id` exactly like a missing one, bad amounts are 422 with field paths and write
nothing; thresholds are read and changed by compliance and administrators only (403 for others),
with the version read (409 when stale)."""

from decimal import Decimal

import pytest
from django.utils import timezone

from rmdesk.compliance.models import FeeGrant, Threshold
from rmdesk.core.models import AuditEvent
from tests.scope_matrix import USERS, fresh

pytestmark = pytest.mark.django_db
EDITORS = {"compliance", "admin"}


def _grant(customer, **over):
    body = {
        "customer_id": customer.pk,
        "fee_kind": "transfer",
        "standard_fee": "50.00",
        "charged_fee": "10.00",
        "granted_on": str(timezone.localdate()),
        "note": "柜面减免",
    }
    return body | over


def test_fee_grant_recorded_listed_and_audited(world, make_customer, api_client):
    customer = make_customer(world.rm)
    c = api_client(world.rm)
    resp = c.post("/api/compliance/fee-grants", _grant(customer), content_type="application/json")
    assert resp.status_code == 201, resp.content
    data = resp.json()
    assert (Decimal(data["discount_percent"]), data["granted_by_id"]) == (Decimal("80.00"), world.rm.pk)
    assert AuditEvent.objects.filter(action="compliance.fee_grant", object_id=str(data["id"])).exists()
    assert data["id"] in {g["id"] for g in c.get("/api/compliance/fee-grants").json()}
    assert data["id"] not in {g["id"] for g in api_client(world.rm2).get("/api/compliance/fee-grants").json()}


@pytest.mark.parametrize(
    ("over", "loc"),
    [
        ({"charged_fee": "60.00"}, ["body", "charged_fee"]),
        ({"standard_fee": "0"}, ["body", "standard_fee"]),
        ({"fee_kind": "nope"}, ["body", "fee_kind"]),
        ({"granted_on": "2999-01-01"}, ["body", "granted_on"]),
    ],
)
def test_fee_grant_422_with_field_paths(world, make_customer, api_client, over, loc):
    customer = make_customer(world.rm)
    resp = api_client(world.rm).post(
        "/api/compliance/fee-grants", _grant(customer, **over), content_type="application/json"
    )
    assert resp.status_code == 422
    assert loc in [d["loc"] for d in resp.json()["detail"]]
    assert not FeeGrant.objects.exists()


def test_fee_grant_out_of_book_is_like_missing(world, make_customer, api_client):
    other = make_customer(world.rm2)
    c = api_client(world.rm)
    for customer_id in (other.pk, 999999):
        resp = c.post(
            "/api/compliance/fee-grants", _grant(other, customer_id=customer_id), content_type="application/json"
        )
        assert resp.status_code == 422
        assert [d["msg"] for d in resp.json()["detail"] if d["loc"] == ["body", "customer_id"]] == [
            "客户不存在或不在您的管户范围内。"
        ]
    assert not FeeGrant.objects.exists()


def test_fee_grant_refused_for_roles_that_do_not_serve_customers(world, make_customer, api_client):
    customer = make_customer(world.rm)
    for username in ("compliance", "risk", "admin"):
        resp = api_client(getattr(world, username)).post(
            "/api/compliance/fee-grants", _grant(customer), content_type="application/json"
        )
        assert resp.status_code == 403, username
    assert not FeeGrant.objects.exists()


def test_threshold_api_patch_stale_and_bad_value(world, api_client):
    t = Threshold.objects.get(code="exports_per_day")
    c = api_client(world.compliance)
    listed = {r["code"]: r for r in c.get("/api/compliance/thresholds").json()}
    assert listed["exports_per_day"]["version"] == t.version
    url = f"/api/compliance/thresholds/{t.pk}"
    bad = c.patch(url, {"value": "2.5", "version": t.version}, content_type="application/json")
    assert bad.status_code == 422 and ["body", "value"] in [d["loc"] for d in bad.json()["detail"]]
    ok = c.patch(url, {"value": "5", "version": t.version}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["version"] == t.version + 1
    stale = api_client(world.admin).patch(url, {"value": "6", "version": t.version}, content_type="application/json")
    assert stale.status_code == 409
    assert fresh(t).value == Decimal("5")
    assert (
        c.patch(
            "/api/compliance/thresholds/999999", {"value": "1", "version": 1}, content_type="application/json"
        ).status_code
        == 404
    )


@pytest.mark.parametrize("username", sorted(set(USERS) - EDITORS))
def test_threshold_api_403_for_other_roles(world, api_client, username):
    t = Threshold.objects.get(code="gift_limit")
    c = api_client(getattr(world, username))
    assert c.get("/api/compliance/thresholds").status_code == 403
    resp = c.patch(
        f"/api/compliance/thresholds/{t.pk}", {"value": "1", "version": t.version}, content_type="application/json"
    )
    assert resp.status_code == 403
    assert fresh(t).value == t.value
