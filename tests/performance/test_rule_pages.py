"""Pay rules and promotion rules on pages and the API (SPEC §9 incentives and promotion advice; issue 15):
administrators add and change them, supervisors read them, every other role gets 404 on the pages and 403
on the API; bad input is a field error (422 with field paths) and writes nothing; a stale version is 409;
every change is audited with before and after; the pay sheet and the advice use the changed rules."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from rmdesk.core.actions import RoleRefused, StaleVersion
from rmdesk.core.models import AuditEvent
from rmdesk.performance import services
from rmdesk.performance.models import LevelAdvice, PayRule, PromotionRule

from .test_flow import _annual

pytestmark = pytest.mark.django_db
D = Decimal


def test_pay_rule_created_changed_and_audited(world, test_indicators):
    sales = test_indicators["t.sales"]
    rule = services.save_pay_rule(world.admin, kind="price", indicator_id=sales.pk, amount="12.5")
    assert (rule.kind, rule.indicator_id, rule.amount, rule.rm_level, rule.version) == (
        "price", sales.pk, D("12.5"), "", 1,
    )  # fmt: skip
    rule = services.save_pay_rule(
        world.admin, rule.pk, kind="reward", indicator_id=sales.pk, amount="800", threshold="50", version=1
    )
    rule.refresh_from_db()
    assert (rule.kind, rule.amount, rule.threshold, rule.version) == ("reward", D("800"), D("50"), 2)
    ev = AuditEvent.objects.filter(action="performance.save_pay_rule", object_id=str(rule.pk)).order_by("id")
    assert [(e.summary.get("before") or {}).get("kind") for e in ev] == [None, "price"]
    after = ev.last().summary["after"]
    assert (after["kind"], after["indicator"], D(after["amount"]), D(after["threshold"]), after["is_active"]) == (
        "reward", sales.pk, D("800"), D("50"), True,
    )  # fmt: skip
    with pytest.raises(StaleVersion):
        services.save_pay_rule(world.admin, rule.pk, kind="reward", indicator_id=sales.pk, amount="1",
                               threshold="1", version=1)  # fmt: skip
    with pytest.raises(RoleRefused):
        services.save_pay_rule(world.lead, kind="defer", amount="10")
    assert PayRule.objects.get(pk=rule.pk).amount == D("800")


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"kind": "bonus", "amount": "1"}, "kind", "请选择薪酬规则类型"),
        ({"kind": "post", "amount": "5000"}, "rm_level", "须选择客户经理等级"),
        ({"kind": "post", "rm_level": "9", "amount": "5000"}, "rm_level", "须选择客户经理等级"),
        ({"kind": "post", "rm_level": "1", "amount": "abc"}, "amount", "请输入数字"),
        ({"kind": "post", "rm_level": "1", "amount": "-1"}, "amount", "不能为负数"),
        ({"kind": "price", "amount": "10"}, "indicator_id", "请选择计价或奖励依据的指标"),
        ({"kind": "reward", "indicator": True, "amount": "10"}, "threshold", "须填写达标值"),
        ({"kind": "defer", "amount": "120"}, "amount", "0–100"),
        ({"kind": "post", "rm_level": "2", "amount": "4600"}, "rm_level", "已有启用中的同类规则"),  # seeded 二级
        ({"kind": "defer", "amount": "20"}, "kind", "已有启用中的同类规则"),  # seeded 30 %
    ],
)
def test_pay_rule_refusals_name_the_field(world, test_indicators, fields, field, message):
    fields = dict(fields)
    if fields.pop("indicator", False):
        fields["indicator_id"] = test_indicators["t.sales"].pk
    before = PayRule.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.save_pay_rule(world.admin, **fields)
    assert message in " ".join(exc.value.message_dict[field])
    assert PayRule.objects.count() == before


def test_a_changed_pay_rule_is_what_the_next_pay_sheet_uses(world, card):
    from .test_flow import _published

    run = _published(world, card)
    post2 = PayRule.objects.get(kind="post", rm_level="2", is_active=True)
    first = {line.result.rm.username: line for line in services.compute_pay(world.lead, run.pk)}
    assert first["rm"].post_pay == post2.amount
    services.save_pay_rule(world.admin, post2.pk, kind="post", rm_level="2", amount="4800", version=post2.version)
    again = {line.result.rm.username: line for line in services.compute_pay(world.lead, run.pk)}
    assert again["rm"].post_pay == D("4800.00")
    assert again["rm"].total - first["rm"].total == D("4800") - post2.amount


def test_promotion_rule_change_drives_the_advice(world, test_indicators):
    up = PromotionRule.objects.get(move="up", grade="excellent", period_type="annual")
    services.save_promotion_rule(
        world.admin, up.pk, move="up", grade="excellent", consecutive=1, period_type="annual", version=up.version
    )
    _annual(world, test_indicators, 2025, 95)  # one 优秀 now suffices
    advice = LevelAdvice.objects.get(rm=world.rm)
    assert (advice.move, advice.from_level, advice.to_level) == ("up", "2", "1")
    ev = AuditEvent.objects.get(action="performance.save_promotion_rule", object_id=str(up.pk))
    assert (ev.summary["before"]["consecutive"], ev.summary["after"]["consecutive"]) == (2, 1)
    for bad, field in (
        ({"consecutive": "0"}, "consecutive"),
        ({"consecutive": "x"}, "consecutive"),
        ({"grade": "best"}, "grade"),
        ({"move": "sideways"}, "move"),
        ({"period_type": "weekly"}, "period_type"),
    ):
        args = {"move": "down", "grade": "fail", "consecutive": 3, "period_type": "quarterly", **bad}
        with pytest.raises(ValidationError) as exc:
            services.save_promotion_rule(world.admin, **args)
        assert field in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:  # the seeded annual 不合格 rule is still active
        services.save_promotion_rule(world.admin, move="down", grade="fail", consecutive=3, period_type="annual")
    assert "grade" in exc.value.message_dict
    assert PromotionRule.objects.count() == 2


def test_pages_admin_edits_supervisor_reads_others_404(world, test_indicators):
    admin, lead, rm = Client(), Client(), Client()
    admin.force_login(world.admin)
    lead.force_login(world.lead)
    rm.force_login(world.rm)
    pay_list, promo_list = reverse("performance:pay_rule_list"), reverse("performance:promotion_rule_list")
    sales = test_indicators["t.sales"]
    resp = admin.post(pay_list, {"kind": "price", "indicator": sales.pk, "amount": "15", "is_active": "on"})
    assert resp.status_code == 302
    rule = PayRule.objects.get(kind="price", indicator=sales)
    resp = admin.post(pay_list, {"kind": "reward", "indicator": sales.pk, "amount": "10", "is_active": "on"})
    assert resp.status_code == 422 and "奖励工资须填写达标值" in resp.content.decode()
    edit = reverse("performance:pay_rule_edit", args=[rule.pk])
    form = admin.get(edit).content.decode()
    assert 'value="15"' in form and 'name="version" value="1"' in form
    assert admin.post(edit, {"kind": "price", "indicator": sales.pk, "amount": "16", "version": "1",
                             "is_active": "on"}).status_code == 302  # fmt: skip
    stale = admin.post(edit, {"kind": "price", "indicator": sales.pk, "amount": "17", "version": "1"})
    assert stale.status_code == 422 and "该记录已被他人修改" in stale.content.decode()
    assert PayRule.objects.get(pk=rule.pk).amount == D("16")
    page = lead.get(pay_list)
    assert page.status_code == 200 and "销售额" in page.content.decode()
    assert 'data-testid="pay-rule-form"' not in page.content.decode()
    assert (
        lead.get(edit).status_code == 404 and lead.post(pay_list, {"kind": "defer", "amount": "1"}).status_code == 404
    )
    assert rm.get(pay_list).status_code == 404 and rm.get(promo_list).status_code == 404
    up = PromotionRule.objects.get(move="up")
    promo_edit = reverse("performance:promotion_rule_edit", args=[up.pk])
    resp = admin.post(promo_edit, {"move": "up", "grade": "excellent", "consecutive": "11",
                                   "period_type": "annual", "version": "1", "is_active": "on"})  # fmt: skip
    assert resp.status_code == 422 and "连续次数应为 1–10 的整数" in resp.content.decode()
    resp = admin.post(promo_edit, {"move": "up", "grade": "excellent", "consecutive": "3",
                                   "period_type": "annual", "version": "1", "is_active": "on"})  # fmt: skip
    assert resp.status_code == 302 and PromotionRule.objects.get(pk=up.pk).consecutive == 3
    assert lead.get(promo_list).status_code == 200 and lead.get(promo_edit).status_code == 404


def test_api_rules(world, test_indicators, api_client):
    admin, lead, rm = api_client(world.admin), api_client(world.lead), api_client(world.rm)
    sales = test_indicators["t.sales"]
    resp = admin.post("/api/performance/pay-rules", {"kind": "price", "indicator_id": sales.pk, "amount": "9.5"},
                      content_type="application/json")  # fmt: skip
    assert resp.status_code == 201, resp.content
    rule_id = resp.json()["id"]
    url = f"/api/performance/pay-rules/{rule_id}"
    assert D(lead.get(url).json()["amount"]) == D("9.5")
    assert rm.get(url).status_code == 403 and rm.get("/api/performance/pay-rules").status_code == 403
    body = {"kind": "price", "indicator_id": sales.pk, "amount": "10", "version": 1}
    assert lead.put(url, body, content_type="application/json").status_code == 403
    assert admin.put(url, body, content_type="application/json").status_code == 200
    assert admin.put(url, body, content_type="application/json").status_code == 409
    resp = admin.put(url, {**body, "kind": "defer", "amount": "150", "version": 2}, content_type="application/json")
    assert resp.status_code == 422 and any(e["loc"][-1] == "amount" for e in resp.json()["detail"])
    resp = admin.post("/api/performance/pay-rules", {"kind": "post", "amount": "-5"}, content_type="application/json")
    assert resp.status_code == 422 and any(e["loc"][-1] == "amount" for e in resp.json()["detail"])
    assert admin.get("/api/performance/pay-rules/999999").status_code == 404
    ids = {r["id"] for r in lead.get("/api/performance/pay-rules").json()}
    assert rule_id in ids

    resp = admin.post("/api/performance/promotion-rules",
                      {"move": "up", "grade": "good", "consecutive": 4, "period_type": "quarterly"},
                      content_type="application/json")  # fmt: skip
    assert resp.status_code == 201, resp.content
    purl = f"/api/performance/promotion-rules/{resp.json()['id']}"
    pbody = {"move": "up", "grade": "good", "consecutive": 5, "period_type": "quarterly", "version": 1}
    assert lead.put(purl, pbody, content_type="application/json").status_code == 403
    assert admin.put(purl, pbody, content_type="application/json").json()["consecutive"] == 5
    assert admin.put(purl, pbody, content_type="application/json").status_code == 409
    resp = admin.put(purl, {**pbody, "grade": "best", "version": 2}, content_type="application/json")
    assert resp.status_code == 422 and any(e["loc"][-1] == "grade" for e in resp.json()["detail"])
    assert rm.get(purl).status_code == 403 and lead.get(purl).status_code == 200
