"""The customers API under /api/customers (SPEC §2, §12): scope matrix, masking, reveal, optimistic
locking, validation 422, conflicts 202, handover, OpenAPI."""

from decimal import Decimal

import pytest

from rmdesk.core.models import AuditEvent
from rmdesk.customers.models import Customer, Product
from rmdesk.org.models import StaffStatus

pytestmark = pytest.mark.django_db

# the scope matrix of these pages and endpoints is tests/customers/test_scope.py


@pytest.fixture
def c_rm(world, make_customer, ids):
    return make_customer(
        world.rm,
        world.t1,
        name="张伟明",
        name_initials="zwm",
        id_number=ids.id(),
        mobile="13912345678",
        address="南京市鼓楼区湖南路100号",
        annual_income=Decimal("360000"),
        aum=Decimal("800000"),
    )


def test_masked_in_api_and_views_audited(world, c_rm, api_client):
    body = api_client(world.rm).get(f"/api/customers/{c_rm.pk}").json()
    assert body["mobile"] == "139****5678"
    assert body["id_number"].startswith("320") and body["id_number"].count("*") == 11
    assert body["address"] == "南京市鼓楼区****" and body["annual_income"] == "******"
    text = str(api_client(world.lead).get("/api/customers/").json())
    assert "13912345678" not in text and c_rm.id_number not in text
    assert (
        AuditEvent.objects.filter(action="customers.view", object_id=str(c_rm.pk), summary__channel="api").count() == 1
    )


def test_reveal_via_api_is_audited(world, c_rm, api_client):
    client = api_client(world.lead)
    assert (
        client.post(
            f"/api/customers/{c_rm.pk}/reveal", {"field": "id_number", "reason": ""}, content_type="application/json"
        ).status_code
        == 422
    )
    resp = client.post(
        f"/api/customers/{c_rm.pk}/reveal",
        {"field": "id_number", "reason": "开户复核"},
        content_type="application/json",
    )
    assert resp.json()["value"] == c_rm.id_number
    ev = AuditEvent.objects.get(action="customers.reveal")
    assert ev.actor == world.lead and ev.summary["reason"] == "开户复核"


def test_create_validation_422_and_conflict_202(world, api_client, ids):
    client = api_client(world.rm)
    bad = client.post(
        "/api/customers/", {"name": "王五", "id_number": "110105194912310021"}, content_type="application/json"
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "id_number"] and "校验位" in bad.json()["detail"][0]["msg"]
    assert not Customer.objects.exists()
    number = ids.id()
    ok = client.post(
        "/api/customers/",
        {"name": "王五", "id_number": number, "tags": ["代发", "高净值"]},
        content_type="application/json",
    )
    assert ok.status_code == 201 and sorted(ok.json()["customer"]["tags"]) == ["代发", "高净值"]
    dup = api_client(world.rm2).post(
        "/api/customers/", {"name": "王五", "id_number": number}, content_type="application/json"
    )
    assert dup.status_code == 202 and dup.json()["conflict"]["match_field"] == "id_number"
    assert Customer.objects.count() == 1
    conflicts = api_client(world.lead2).get("/api/customers/conflicts").json()
    assert [c["id"] for c in conflicts] == [dup.json()["conflict"]["id"]]
    resolved = api_client(world.lead).post(
        f"/api/customers/conflicts/{conflicts[0]['id']}/resolve", {"action": "dismiss"}, content_type="application/json"
    )
    assert resolved.status_code == 200 and resolved.json()["status"] == "dismissed"


def test_optimistic_lock_conflict_is_refused(world, c_rm, api_client):
    first = api_client(world.rm).patch(
        f"/api/customers/{c_rm.pk}", {"version": 1, "occupation": "律师"}, content_type="application/json"
    )
    assert first.status_code == 200 and first.json()["customer"]["version"] == 2
    stale = api_client(world.lead).patch(
        f"/api/customers/{c_rm.pk}", {"version": 1, "occupation": "教师"}, content_type="application/json"
    )
    assert stale.status_code == 409 and "已被他人修改" in stale.json()["detail"]
    assert Customer.objects.get(pk=c_rm.pk).occupation == "律师"


def test_list_search_filters_and_keyset_pages(world, make_customer, api_client, ids):
    names = ["张伟明", "张卫民", "李小红", "赵大海", "钱多多"]
    made = [
        make_customer(world.rm, name=n, aum=Decimal(1000 * (i + 1)), mobile=f"1391234{i:04d}", id_number=ids.id())
        for i, n in enumerate(names)
    ]
    corp = make_customer(world.rm, name="金陵机械有限公司", kind="corporate", credit_code=ids.credit())
    client = api_client(world.rm)

    def names_for(**params):
        return [r["name"] for r in client.get("/api/customers/", params).json()["items"]]

    assert names_for(q="zw") == ["张卫民", "张伟明"]  # pinyin initials, AUM descending
    assert names_for(q="LXH") == ["李小红"]
    assert names_for(q="张") == ["张卫民", "张伟明"]
    assert names_for(q="0003") == ["赵大海"]  # mobile tail
    assert names_for(q=made[2].id_number[-4:]) == ["李小红"]
    assert names_for(q=corp.credit_code) == ["金陵机械有限公司"]
    assert names_for(q="13912340004") == ["钱多多"]
    assert names_for(kind="corporate") == ["金陵机械有限公司"]
    # keyset pages of 2 cover everything once, in AUM order
    seen, cursor = [], ""
    while True:
        body = client.get("/api/customers/", {"page_size": 2, "cursor": cursor}).json()
        seen += [r["name"] for r in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == ["钱多多", "赵大海", "李小红", "张卫民", "张伟明", "金陵机械有限公司"]
    # numbered pages answer the same order
    assert [r["name"] for r in client.get("/api/customers/", {"page": 2, "page_size": 2}).json()["items"]] == [
        "李小红",
        "张卫民",
    ]


def test_filters_tier_stage_owner_tag_completeness(world, make_customer, api_client):
    from rmdesk.customers.models import Tag, Tier

    gold = Tier.objects.get(code="gold", rule_set__code="bank")
    a = make_customer(world.rm, name="甲", tier=gold, stage="active", completeness=90)
    b = make_customer(world.rm_b, name="乙", stage="dormant", completeness=30, b_rm=world.rm)
    c = make_customer(None, unit=world.t1, name="丙")
    a.tags.add(Tag.objects.create(name="代发"))
    lead = api_client(world.lead)

    def names(**params):
        return sorted(r["name"] for r in lead.get("/api/customers/", params).json()["items"])

    assert names(tier=gold.pk) == ["甲"] and names(tier="gold") == ["甲"]
    assert names(stage="dormant") == ["乙"]
    assert names(owner=world.rm.pk) == sorted(["乙", "甲"])
    assert names(owner="none") == ["丙"]
    assert names(tag="代发") == ["甲"]
    assert names(min_completeness=50) == ["甲"] and names(max_completeness=40) == sorted(["乙", "丙"])
    assert [r["name"] for r in lead.get("/api/customers/pool").json()["items"]] == ["丙"]
    assert api_client(world.rm).get("/api/customers/pool").json()["items"] == []
    del b, c


def test_holdings_endpoint_recomputes_tier(world, c_rm, api_client):
    client = api_client(world.rm)
    resp = client.post(
        f"/api/customers/{c_rm.pk}/holdings",
        {"product_code": "FD-BOND", "balance": "2100000", "account_no": "F-1"},
        content_type="application/json",
    )
    assert resp.status_code == 201
    body = client.get(f"/api/customers/{c_rm.pk}").json()
    assert body["aum"] == "2100000.00" and body["tier"]["code"] == "diamond"
    assert body["tier_history"][0]["direction"] in ("up", "initial")
    bad = client.post(
        f"/api/customers/{c_rm.pk}/holdings", {"product_code": "NOPE", "balance": "1"}, content_type="application/json"
    )
    assert bad.status_code == 422
    assert Product.objects.filter(code="FD-BOND").exists()


def test_assignment_and_handover_endpoints(world, make_customer, api_client):
    c = make_customer(None, unit=world.t1, name="池中客户")
    mine = make_customer(world.rm, name="甲")
    lead = api_client(world.lead)
    resp = lead.post(
        "/api/customers/assignments", {"customer_ids": [c.pk], "a_rm": world.rm.pk}, content_type="application/json"
    )
    assert resp.status_code == 201 and resp.json()["status"] == "pending"
    # the org inbox decides it
    from rmdesk.core.approvals import decide

    decide(world.manager, resp.json()["id"], "approve")
    assert Customer.objects.get(pk=c.pk).a_rm == world.rm
    preview = lead.get("/api/customers/handover/preview", {"from_rm": world.rm.pk, "to_rm": world.rm_b.pk}).json()
    assert {r["name"] for r in preview["customers"]} == {"池中客户", "甲"}
    assert api_client(world.rm).get("/api/customers/handover/preview", {"from_rm": world.rm.pk}).status_code == 403
    world.rm.status = StaffStatus.LEFT
    world.rm.save()
    req = lead.post(
        "/api/customers/handover",
        {"from_rm": world.rm.pk, "to_rm": world.rm_b.pk, "notes": {str(mine.pk): "交接完成"}},
        content_type="application/json",
    )
    assert req.status_code == 201
    decide(world.manager, req.json()["id"], "approve")
    assert set(Customer.objects.values_list("a_rm", flat=True)) == {world.rm_b.pk}


def test_personal_data_and_anonymise_api(world, c_rm, api_client):
    assert api_client(world.rm).get(f"/api/customers/{c_rm.pk}/personal-data").status_code == 403
    data = api_client(world.compliance).get(f"/api/customers/{c_rm.pk}/personal-data").json()
    assert data["mobile"] == "13912345678"
    resp = api_client(world.compliance).post(
        f"/api/customers/{c_rm.pk}/anonymise", {"reason": "客户申请删除"}, content_type="application/json"
    )
    assert resp.status_code == 200 and resp.json()["is_anonymised"] and resp.json()["mobile"] == ""


def test_export_permission_and_masking(world, c_rm, api_client):
    from io import BytesIO

    from openpyxl import load_workbook

    assert api_client(world.rm).get("/api/customers/export").status_code == 403
    resp = api_client(world.lead).get("/api/customers/export")
    assert resp.status_code == 200
    wb = load_workbook(BytesIO(b"".join(resp.streaming_content)))
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[0][0] == "客户号" and len(rows) == 2
    flat = " ".join(str(v) for v in rows[1])
    assert "139****5678" in flat and "13912345678" not in flat and c_rm.id_number not in flat
    ev = AuditEvent.objects.get(action="customers.export")
    assert ev.actor == world.lead and ev.summary["after"]["rows"] == 1


def test_openapi_documents_the_customer_endpoints(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    for p in (
        "/api/customers/",
        "/api/customers/{customer_id}",
        "/api/customers/{customer_id}/reveal",
        "/api/customers/imports",
        "/api/customers/export",
        "/api/customers/handover",
        "/api/customers/conflicts",
        "/api/customers/conflicts/{conflict_id}/resolve",
    ):
        assert p in paths, p


PER_CUSTOMER_ENDPOINTS = [
    ("get", "/api/customers/{pk}", None),
    ("patch", "/api/customers/{pk}", {"version": 1, "occupation": "x"}),
    ("post", "/api/customers/{pk}/reveal", {"field": "mobile", "reason": "核实身份"}),
    ("post", "/api/customers/{pk}/holdings", {"product_code": "DEP-CUR", "balance": "1"}),
    ("post", "/api/customers/{pk}/notes", {"text": "x"}),
    ("post", "/api/customers/{pk}/needs", {"text": "x"}),
    ("post", "/api/customers/assignments", {"customer_ids": ["{pk}"], "a_rm": "{rm2}"}),
]


@pytest.mark.parametrize("username", ["rm", "rm_b", "rm_t1b", "lead", "manager", "risk", "compliance", "assistant"])
def test_out_of_scope_is_404_on_every_customer_endpoint(world, make_customer, api_client, username):
    """A customer of another branch: every endpoint answers 404, never 403 (no existence leak)."""
    c_t2 = make_customer(world.rm2, world.t2, mobile="13700000000")
    client = api_client(getattr(world, username))
    for method, url, body in PER_CUSTOMER_ENDPOINTS:
        if body is not None:
            body = {k: ([c_t2.pk] if v == ["{pk}"] else world.rm2.pk if v == "{rm2}" else v) for k, v in body.items()}
        resp = (
            getattr(client, method)(url.format(pk=c_t2.pk), body, content_type="application/json")
            if body
            else client.get(url.format(pk=c_t2.pk))
        )
        assert resp.status_code == 404, (method, url, resp.status_code)
    if username == "compliance":
        assert client.get(f"/api/customers/{c_t2.pk}/personal-data").status_code == 404
        assert (
            client.post(
                f"/api/customers/{c_t2.pk}/anonymise", {"reason": "申请"}, content_type="application/json"
            ).status_code
            == 404
        )
    assert Customer.objects.get(pk=c_t2.pk).version == 1


def test_tag_changes_are_versioned_and_audited(world, c_rm, api_client):
    client = api_client(world.rm)
    resp = client.patch(f"/api/customers/{c_rm.pk}", {"version": 1, "tags": ["代发"]}, content_type="application/json")
    assert resp.status_code == 200 and resp.json()["customer"]["tags"] == ["代发"]
    assert resp.json()["customer"]["version"] == 2
    ev = AuditEvent.objects.filter(action="customers.update").latest("id")
    assert ev.summary["after"]["tags"] == ["代发"] and ev.summary["before"]["tags"] == []
    same = client.patch(f"/api/customers/{c_rm.pk}", {"version": 2, "tags": ["代发"]}, content_type="application/json")
    assert same.json()["customer"]["version"] == 2


def test_contact_overdue_filter_uses_the_work_apps_cadence_rows(world, make_customer, api_client):
    """The work app offers this filter through the hook registry (core.hooks.ListFilter)."""
    from rmdesk.work.models import ContactStatus

    late = make_customer(world.rm, name="逾期客户")
    fine = make_customer(world.rm, name="正常客户")
    ContactStatus.objects.update_or_create(
        customer=late, defaults={"status": "overdue", "a_rm": world.rm, "org_path": late.org_path}
    )
    ContactStatus.objects.update_or_create(
        customer=fine, defaults={"status": "ok", "a_rm": world.rm, "org_path": fine.org_path}
    )
    items = api_client(world.rm).get("/api/customers/", {"contact": "overdue"}).json()["items"]
    assert [r["name"] for r in items] == ["逾期客户"]
