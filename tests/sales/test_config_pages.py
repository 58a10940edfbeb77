"""Sales configuration (SPEC §4): funnel stages, lost reasons, cross-sell rules and materials with their
stock, kept by the administrator and the product manager on pages and through the API with one
validation: create, edit with the version read (stale: 409 and "已被他人修改" on the page), field errors
(422, field paths in the API) with nothing written, an RM refused (403), every write audited."""

from decimal import Decimal

import pytest

from rmdesk.core.models import AuditEvent
from rmdesk.sales import services
from rmdesk.sales.models import CrossSellRule, LostReason, Material, OpportunityStage

from .conftest import ver

pytestmark = pytest.mark.django_db


def _locs(resp):
    return {tuple(d["loc"]) for d in resp.json()["detail"]}


# --- pages ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["stages", "lost-reasons", "cross-sell-rules", "materials"])
def test_each_page_lists_and_an_rm_is_refused(client, world, kind):
    client.force_login(world.assistant)
    resp = client.get(f"/sales/config/{kind}/")
    assert resp.status_code == 200
    assert resp.context["rows"], "the seeded configuration (and the material of the fixture) is listed"
    client.force_login(world.admin)
    assert client.get(f"/sales/config/{kind}/").status_code == 200
    for user in (world.rm, world.lead, world.referrer):
        client.force_login(user)
        assert client.get(f"/sales/config/{kind}/").status_code == 403
        assert client.post(f"/sales/config/{kind}/", {"name": "x"}).status_code == 403


@pytest.fixture(autouse=True)
def a_material(db):
    return Material.objects.create(name="台历", unit_name="本", stock=5)


def test_config_menu_entry_only_for_configurers(client, world):
    client.force_login(world.assistant)
    assert 'href="/sales/config/"' in client.get("/").content.decode()
    assert client.get("/sales/config/").status_code == 200
    client.force_login(world.rm)
    assert 'href="/sales/config/"' not in client.get("/").content.decode()


def test_stage_page_create_edit_stale_and_errors(client, world):
    client.force_login(world.assistant)
    n = OpportunityStage.objects.count()
    top = max(OpportunityStage.objects.values_list("order", flat=True))
    resp = client.post(
        "/sales/config/stages/",
        {"code": "visit", "name": "上门", "order": top + 1, "kind": "open", "probability": 30, "is_active": "on"},
    )
    assert resp.status_code == 302, resp.content.decode()[:500]
    stage = OpportunityStage.objects.get(code="visit")
    assert (stage.name, stage.probability, stage.version) == ("上门", 30, 1)
    assert AuditEvent.objects.filter(action="sales.stage_create", object_id=str(stage.pk)).exists()

    # bad input: each error next to its field, nothing written
    resp = client.post(
        "/sales/config/stages/",
        {"code": "visit", "name": "", "order": top + 1, "kind": "won", "probability": 50},
    )
    assert resp.status_code == 422
    errors = resp.context["form"].errors
    assert {"code", "name", "order", "probability"} <= set(errors)
    assert "签约阶段的赢单概率须为 100%" in errors["probability"][0]
    assert OpportunityStage.objects.count() == n + 1

    # edit with the version read
    page = client.get(f"/sales/config/stages/{stage.pk}/")
    assert page.status_code == 200 and 'name="version" value="1"' in page.content.decode()
    form = {"code": "visit", "name": "上门拜访", "order": top + 1, "kind": "open", "probability": 40, "version": 1}
    form["required_fields"] = ["amount", "expected_on"]
    resp = client.post(f"/sales/config/stages/{stage.pk}/", form)
    assert resp.status_code == 302
    stage.refresh_from_db()
    assert (stage.name, stage.probability, stage.required_fields, stage.version) == (
        "上门拜访",
        40,
        ["amount", "expected_on"],
        2,
    )
    assert stage.is_active is False  # the unchecked box switched it off
    event = AuditEvent.objects.filter(action="sales.stage_update", object_id=str(stage.pk)).get()
    assert event.summary["after"]["name"] == "上门拜访" and event.summary["before"]["name"] == "上门"

    # a stale version: 409 and the message on the page, nothing written
    resp = client.post(f"/sales/config/stages/{stage.pk}/", {**form, "name": "旧页面", "version": 1})
    assert resp.status_code == 409
    assert "已被他人修改" in resp.content.decode()
    stage.refresh_from_db()
    assert (stage.name, stage.version) == ("上门拜访", 2)

    assert client.get("/sales/config/stages/999999/").status_code == 404
    assert client.get("/sales/config/nothing/").status_code == 404


def test_stage_rules_keep_the_pipeline_whole(world, stages, make_customer, products):
    won = OpportunityStage.objects.get(kind="won")
    lost = OpportunityStage.objects.get(kind="lost")
    from rmdesk.sales import config

    with pytest.raises(Exception) as exc:
        config.update_stage(world.admin, won.pk, version=won.version, is_active=False)
    assert "is_active" in exc.value.message_dict
    with pytest.raises(Exception) as exc:
        config.update_stage(world.admin, lost.pk, version=lost.version, kind="open")
    assert "kind" in exc.value.message_dict
    # a stage holding open opportunities is not switched off
    customer = make_customer(world.rm)
    opp = services.create_opportunity(world.rm, customer_id=customer.pk, product_id=products["DEP-FIX1Y"].pk)
    with pytest.raises(Exception) as exc:
        config.update_stage(world.admin, opp.stage_id, version=ver(opp.stage), is_active=False)
    assert "is_active" in exc.value.message_dict
    assert OpportunityStage.objects.filter(is_active=True).count() == len(stages)


def test_lost_reason_page_create_edit_and_errors(client, world):
    client.force_login(world.admin)
    resp = client.post(
        "/sales/config/lost-reasons/", {"code": "rate", "name": "利率没有竞争力", "order": 5, "is_active": "on"}
    )
    assert resp.status_code == 302
    reason = LostReason.objects.get(code="rate")
    resp = client.post("/sales/config/lost-reasons/", {"code": "bad code!", "name": reason.name, "order": "x"})
    assert resp.status_code == 422
    assert {"code", "name", "order"} <= set(resp.context["form"].errors)
    resp = client.post(
        f"/sales/config/lost-reasons/{reason.pk}/",
        {"code": "rate", "name": "利率低", "order": 6, "is_active": "on", "version": reason.version},
    )
    assert resp.status_code == 302
    assert LostReason.objects.get(pk=reason.pk).name == "利率低"
    assert AuditEvent.objects.filter(action="sales.lost_reason_update").exists()


def test_rule_page_checks_the_product_kind(client, world, products):
    client.force_login(world.assistant)
    base = {"name": "存款客户配理财", "holds_category": "deposit", "lacks_category": "wealth", "min_tolerance": "C2"}
    base.update({"min_aum": "50000", "order": 10, "is_active": "on", "reason": "闲置资金"})
    resp = client.post("/sales/config/cross-sell-rules/", {**base, "product": products["FD-BOND"].pk})
    assert resp.status_code == 422
    assert "推荐产品须属于" in resp.context["form"].errors["product"][0]  # next to the form's product field
    resp = client.post("/sales/config/cross-sell-rules/", {**base, "holds_category": "wealth"})
    assert resp.status_code == 422 and "lacks_category" in resp.context["form"].errors
    n = CrossSellRule.objects.count()
    resp = client.post("/sales/config/cross-sell-rules/", {**base, "product": products["WM-STABLE"].pk})
    assert resp.status_code == 302 and CrossSellRule.objects.count() == n + 1
    rule = CrossSellRule.objects.get(name="存款客户配理财")
    assert (rule.min_aum, rule.product_id) == (Decimal("50000.00"), products["WM-STABLE"].pk)
    page = client.get(f"/sales/config/cross-sell-rules/{rule.pk}/").content.decode()
    assert f'value="{products["WM-STABLE"].pk}" selected' in page


def test_material_page_receipts_and_no_negative_stock(client, world, a_material):
    client.force_login(world.assistant)
    resp = client.post("/sales/config/materials/", {"name": "雨伞", "unit_name": "把", "stock": "-1"})
    assert resp.status_code == 422 and "stock" in resp.context["form"].errors
    resp = client.post(
        "/sales/config/materials/", {"name": "雨伞", "unit_name": "把", "stock": "10", "is_active": "on"}
    )
    assert resp.status_code == 302 and Material.objects.get(name="雨伞").stock == 10
    url = f"/sales/config/materials/{a_material.pk}/receipt/"
    assert client.post(url, {"quantity": "20", "note": "总行配发"}).status_code == 302
    assert ver_stock(a_material) == 25
    resp = client.post(url, {"quantity": "-26"})
    assert resp.status_code == 422
    assert "库存不足" in resp.context["receipt"].errors["quantity"][0]
    assert ver_stock(a_material) == 25
    assert client.post(url, {"quantity": "-25", "note": "受潮报损"}).status_code == 302
    assert ver_stock(a_material) == 0
    assert AuditEvent.objects.filter(action="sales.material_receipt", object_id=str(a_material.pk)).count() == 1
    assert AuditEvent.objects.filter(action="sales.material_writeoff", object_id=str(a_material.pk)).count() == 1
    client.force_login(world.rm)
    assert client.post(url, {"quantity": "5"}).status_code == 403
    assert ver_stock(a_material) == 0


def ver_stock(material):
    return Material.objects.values_list("stock", flat=True).get(pk=material.pk)


def test_hand_outs_reduce_the_stock_and_never_below_zero(world, make_customer, a_material):
    customer = make_customer(world.rm)
    services.hand_out(world.rm, material_id=a_material.pk, customer_id=customer.pk, quantity=5)
    assert ver_stock(a_material) == 0
    with pytest.raises(Exception) as exc:
        services.hand_out(world.rm, material_id=a_material.pk, customer_id=customer.pk, quantity=1)
    assert "quantity" in exc.value.message_dict


# --- API --------------------------------------------------------------------------------------------------------

ROUTES = {
    "stages": {"code": "visit", "name": "上门", "order": 900, "kind": "open", "probability": 20},
    "lost-reasons": {"code": "rate", "name": "利率没有竞争力", "order": 5},
    "materials": {"name": "雨伞", "unit_name": "把", "stock": 3},
}


@pytest.mark.parametrize("kind", [*ROUTES, "cross-sell-rules"])
def test_api_create_patch_stale_and_refusals(api_client, world, products, kind):
    body = ROUTES.get(kind) or {"name": "配理财", "lacks_category": "wealth", "product_id": products["WM-STABLE"].pk}
    admin, rm = api_client(world.assistant), api_client(world.rm)
    assert rm.get(f"/api/sales/config/{kind}").status_code == 403
    assert rm.post(f"/api/sales/config/{kind}", body, content_type="application/json").status_code == 403
    listed = admin.get(f"/api/sales/config/{kind}")
    assert listed.status_code == 200
    resp = admin.post(f"/api/sales/config/{kind}", body, content_type="application/json")
    assert resp.status_code == 201, resp.content
    made = resp.json()
    assert made["version"] == 1
    assert len(admin.get(f"/api/sales/config/{kind}").json()) == len(listed.json()) + 1
    # the same body again: a duplicate code/name is a 422 on the field (rules may repeat: a bad kind instead)
    again = body if kind != "cross-sell-rules" else {**body, "product_id": products["FD-BOND"].pk}
    resp = admin.post(f"/api/sales/config/{kind}", again, content_type="application/json")
    assert resp.status_code == 422
    field = {"stages": "code", "lost-reasons": "code", "materials": "name", "cross-sell-rules": "product_id"}[kind]
    assert ("body", field) in _locs(resp)
    # PATCH with the version read; a stale one is 409; an RM 403; a missing id 404
    url = f"/api/sales/config/{kind}/{made['id']}"
    patch = {"version": 1, "name": "新名称"}
    assert rm.patch(url, patch, content_type="application/json").status_code == 403
    resp = admin.patch(url, patch, content_type="application/json")
    assert resp.status_code == 200, resp.content
    assert (resp.json()["name"], resp.json()["version"]) == ("新名称", 2)
    assert admin.patch(url, {**patch, "name": "旧"}, content_type="application/json").status_code == 409
    assert admin.patch(url, {"name": "无版本"}, content_type="application/json").status_code == 422
    resp = admin.patch(url, {"version": 2, "name": ""}, content_type="application/json")
    assert resp.status_code == 422 and ("body", "name") in _locs(resp)
    missing = f"/api/sales/config/{kind}/999999"
    assert admin.patch(missing, patch, content_type="application/json").status_code == 404
    assert rm.patch(missing, patch, content_type="application/json").status_code == 404
    assert AuditEvent.objects.filter(action__startswith="sales.", action__endswith="_update").count() == 1


def test_api_stage_validation_paths(api_client, world):
    admin = api_client(world.admin)
    resp = admin.post(
        "/api/sales/config/stages",
        {
            "code": "x y",
            "name": "甲",
            "order": OpportunityStage.objects.first().order,
            "kind": "lost",
            "probability": 10,
            "required_fields": ["owner"],
        },
        content_type="application/json",
    )
    assert resp.status_code == 422
    assert {("body", "code"), ("body", "order"), ("body", "probability"), ("body", "required_fields")} <= _locs(resp)
    assert not OpportunityStage.objects.filter(name="甲").exists()


def test_api_material_receipt(api_client, world, a_material):
    admin = api_client(world.assistant)
    url = f"/api/sales/config/materials/{a_material.pk}/receipts"
    resp = admin.post(url, {"quantity": 7}, content_type="application/json")
    assert resp.status_code == 200 and resp.json()["stock"] == 12
    resp = admin.post(url, {"quantity": -13}, content_type="application/json")
    assert resp.status_code == 422 and ("body", "quantity") in _locs(resp)
    resp = admin.post(url, {"quantity": 0}, content_type="application/json")
    assert resp.status_code == 422
    assert ver_stock(a_material) == 12
    assert api_client(world.rm).post(url, {"quantity": 1}, content_type="application/json").status_code == 403
    assert (
        admin.post(
            "/api/sales/config/materials/999999/receipts", {"quantity": 1}, content_type="application/json"
        ).status_code
        == 404
    )
