"""Conduct rule sets on pages and the API (SPEC §8: 十不准 and the like are configurable data; issue 14):
compliance officers and administrators create and change a set and its rules; bad input is a field
error (422 with field paths in the API) and writes nothing; a stale version is 409; every change is
audited with before and after; every other role gets 404 on the pages and 403 on the API writes, while
the API reads are open to all staff (they are the norms everyone follows)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from rmdesk.compliance import services
from rmdesk.compliance.models import ConductRule, ConductRuleSet
from rmdesk.core.actions import RoleRefused, StaleVersion
from rmdesk.core.models import AuditEvent
from tests.scope_matrix import USERS, fresh

from .conftest import rule

pytestmark = pytest.mark.django_db
EDITORS = {"compliance", "admin"}

RULES = [
    {"text": "不准违规揽存", "severity": "serious", "points": Decimal("5")},
    {"text": "不准泄露客户信息", "severity": "grave", "points": Decimal("10.5")},
]


def _create(actor, code="seven_bans_x", rules=RULES, **kw):
    return services.create_rule_set(actor, code=code, name="七不准（试行）", source="制度第 3 条", rules=rules, **kw)


def _rules(rs):
    return list(ConductRule.objects.filter(rule_set=rs).order_by("order").values_list("order", "text", "points"))


def test_create_with_rules_and_audit(world):
    rs = _create(world.compliance)
    assert (rs.code, rs.version, rs.is_active) == ("seven_bans_x", 1, True)
    assert _rules(rs) == [(1, "不准违规揽存", Decimal("5.00")), (2, "不准泄露客户信息", Decimal("10.50"))]
    ev = AuditEvent.objects.get(action="compliance.rule_set_created", object_id=str(rs.pk))
    assert ev.actor == world.compliance
    assert ev.summary["after"]["rules"][1][:3] == [2, "不准泄露客户信息", "grave"]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"code": ""}, "code", "请填写代码"),
        ({"code": "Bad Code"}, "code", "小写字母"),
        ({"code": "ten_bans"}, "code", "已被其他行为规范使用"),
        ({"name": " "}, "name", "请填写名称"),
        ({"rules": []}, "rules", "至少需要一条"),
        ({"rules": [{"text": "", "severity": "minor", "points": 1}]}, "rules.0.text", "请填写条款内容"),
        ({"rules": [RULES[0], {"text": "x", "severity": "huge", "points": 1}]}, "rules.1.severity", "严重程度"),
        ({"rules": [{"text": "x", "severity": "minor", "points": Decimal("-1")}]}, "rules.0.points", "0–100"),
        ({"rules": [{"text": "x", "severity": "minor", "points": Decimal("101")}]}, "rules.0.points", "0–100"),
        ({"rules": [{"text": "x", "severity": "minor", "points": Decimal("1.005")}]}, "rules.0.points", "两位小数"),
        ({"rules": [{"text": "x", "severity": "minor", "points": None}]}, "rules.0.points", "请填写扣分"),
    ],
)
def test_create_refuses_bad_input_and_writes_nothing(world, seeded, changes, field, message):
    before = (ConductRuleSet.objects.count(), ConductRule.objects.count(), AuditEvent.objects.count())
    args = {"code": "seven_bans_x", "name": "七不准", "source": "", "rules": RULES, **changes}
    with pytest.raises(ValidationError) as exc:
        services.create_rule_set(world.compliance, **args)
    assert message in " ".join(exc.value.message_dict[field])
    assert (ConductRuleSet.objects.count(), ConductRule.objects.count(), AuditEvent.objects.count()) == before


@pytest.mark.parametrize("username", sorted(set(USERS) - EDITORS))
def test_other_roles_refused_by_the_service(world, username):
    with pytest.raises(RoleRefused):
        _create(getattr(world, username))
    assert not ConductRuleSet.objects.filter(code="seven_bans_x").exists()


def test_update_keeps_rule_ids_stale_version_and_audit(world):
    rs = _create(world.compliance)
    first = ConductRule.objects.get(rule_set=rs, order=1)
    new_rules = [
        {"text": "不准违规揽存或变相高息", "severity": "grave", "points": Decimal("6")},
        RULES[1],
        {"text": "不准代客操作", "severity": "minor", "points": Decimal("2")},
    ]
    services.update_rule_set(
        world.admin, rs.pk, version=1, code=rs.code, name="七不准", source="", is_active=False, rules=new_rules
    )
    rs = fresh(rs)
    assert (rs.version, rs.name, rs.is_active) == (2, "七不准", False)
    assert fresh(first).text == "不准违规揽存或变相高息"  # same row: violations keep pointing at it
    assert [r[0] for r in _rules(rs)] == [1, 2, 3]
    ev = AuditEvent.objects.get(action="compliance.rule_set_changed", object_id=str(rs.pk))
    assert ev.summary["before"]["name"] == "七不准（试行）" and ev.summary["after"]["is_active"] is False
    assert len(ev.summary["before"]["rules"]) == 2 and len(ev.summary["after"]["rules"]) == 3
    with pytest.raises(StaleVersion):
        services.update_rule_set(
            world.compliance, rs.pk, version=1, code=rs.code, name="x", source="", is_active=True, rules=RULES
        )
    assert fresh(rs).name == "七不准" and AuditEvent.objects.filter(action="compliance.rule_set_changed").count() == 1


def test_a_rule_a_violation_refers_to_cannot_be_removed(world, seeded):
    target = rule("ten_bans", order=10)
    services.report_violation(
        world.lead, person_id=world.rm.pk, rule_id=target.pk, occurred_on=timezone.localdate() - timedelta(days=1),
        facts="代客户保管存折",
    )  # fmt: skip
    rs = target.rule_set
    kept = [{"text": r.text, "severity": r.severity, "points": r.points} for r in rs.rules.order_by("order")][:9]
    with pytest.raises(ValidationError) as exc:
        services.update_rule_set(
            world.compliance, rs.pk, version=rs.version, code=rs.code, name=rs.name, source=rs.source, rules=kept
        )
    assert "第 10 条已有违规记录引用" in exc.value.message_dict["rules"][0]
    assert rs.rules.count() == 10 and fresh(rs).version == rs.version


# --- pages -----------------------------------------------------------------------------------------------


def _page(user):
    c = Client()
    c.force_login(user)
    return c


def _form(rs=None, **over):
    data = {"code": "four_principles_x", "name": "四原则", "source": "", "is_active": "1", "rows": "4"}
    data.update({"rule-0-text": "客户至上", "rule-0-severity": "minor", "rule-0-points": "1"})
    data.update({"rule-2-text": "合规经营", "rule-2-severity": "serious", "rule-2-points": "3.5"})  # row 1 blank
    if rs is not None:
        data.update(code=rs.code, version=str(rs.version))
    data.update(over)
    return data


def test_pages_create_edit_field_errors_and_stale(world, seeded):
    c = _page(world.compliance)
    listing = c.get(reverse("compliance:rule_set_list"))
    assert listing.status_code == 200 and "十不准" in listing.content.decode()
    assert c.get(reverse("compliance:rule_set_new")).status_code == 200
    resp = c.post(reverse("compliance:rule_set_new"), _form())
    assert resp.status_code == 302
    rs = ConductRuleSet.objects.get(code="four_principles_x")
    assert _rules(rs) == [(1, "客户至上", Decimal("1.00")), (2, "合规经营", Decimal("3.50"))]

    edit = reverse("compliance:rule_set_edit", args=[rs.pk])
    page = c.get(edit).content.decode()
    assert 'value="客户至上"' in page and 'name="version" value="1"' in page
    bad = c.post(edit, _form(rs, **{"rule-0-points": "abc", "name": ""}))
    assert bad.status_code == 422
    html = bad.content.decode()
    assert "请输入有效的数字" in html and "请填写名称" in html and 'value="abc"' in html
    assert fresh(rs).version == 1 and fresh(rs).name == "四原则"

    ok = c.post(edit, _form(rs, name="四项原则", **{"rule-2-text": "", "rule-2-points": ""}))
    assert ok.status_code == 302
    assert (fresh(rs).name, fresh(rs).version, _rules(rs)) == ("四项原则", 2, [(1, "客户至上", Decimal("1.00"))])
    stale = c.post(edit, _form(rs, name="再改"))  # version 1 read before the change
    assert stale.status_code == 409 and "已被他人修改" in stale.content.decode()
    assert fresh(rs).name == "四项原则"


def test_page_create_refused_shows_errors_next_to_rules(world, seeded):
    resp = _page(world.admin).post(
        reverse("compliance:rule_set_new"), _form(code="ten_bans", **{"rule-2-points": "500"})
    )
    assert resp.status_code == 422
    html = resp.content.decode()
    assert "已被其他行为规范使用" in html and "0–100" in html
    assert not ConductRuleSet.objects.filter(name="四原则").exists()


@pytest.mark.parametrize("username", sorted(set(USERS) - EDITORS))
def test_pages_are_404_for_other_roles(world, seeded, username):
    c = _page(getattr(world, username))
    rs = ConductRuleSet.objects.get(code="ten_bans")
    assert c.get(reverse("compliance:rule_set_list")).status_code == 404
    assert c.get(reverse("compliance:rule_set_new")).status_code == 404
    assert c.post(reverse("compliance:rule_set_new"), _form()).status_code == 404
    assert c.post(reverse("compliance:rule_set_edit", args=[rs.pk]), _form(rs, name="改")).status_code == 404
    assert fresh(rs).name != "改" and not ConductRuleSet.objects.filter(code="four_principles_x").exists()


# --- API ---------------------------------------------------------------------------------------------------


def _body(**over):
    return {
        "code": "api_rules",
        "name": "自律公约",
        "rules": [{"text": "守信", "severity": "minor", "points": "2"}],
    } | over


def test_api_create_read_patch(world, seeded, api_client):
    c = api_client(world.compliance)
    resp = c.post("/api/compliance/rule-sets", _body(), content_type="application/json")
    assert resp.status_code == 201, resp.content
    data = resp.json()
    assert data["version"] == 1 and data["rules"][0]["severity_label"] == "一般"
    got = api_client(world.rm).get(f"/api/compliance/rule-sets/{data['id']}")
    assert got.status_code == 200 and got.json()["rules"][0]["text"] == "守信"
    codes = {s["code"] for s in api_client(world.rm).get("/api/compliance/rule-sets").json()}
    assert {"ten_bans", "api_rules"} <= codes

    url = f"/api/compliance/rule-sets/{data['id']}"
    patched = c.patch(url, {"version": 1, "name": "自律公约（修订）"}, content_type="application/json")
    assert patched.status_code == 200, patched.content
    assert patched.json()["version"] == 2 and patched.json()["rules"][0]["text"] == "守信"  # rules kept
    stale = c.patch(url, {"version": 1, "is_active": False}, content_type="application/json")
    assert stale.status_code == 409
    assert fresh(ConductRuleSet.objects.get(pk=data["id"])).is_active is True
    assert (
        c.patch("/api/compliance/rule-sets/999999", {"version": 1}, content_type="application/json").status_code == 404
    )


def test_api_422_names_the_field_path(world, seeded, api_client):
    c = api_client(world.admin)
    bad = _body(
        rules=[{"text": "守信", "severity": "minor", "points": "2"}, {"text": "", "severity": "x", "points": "1"}]
    )
    resp = c.post("/api/compliance/rule-sets", bad, content_type="application/json")
    assert resp.status_code == 422
    locs = {tuple(d["loc"]) for d in resp.json()["detail"]}
    assert {("body", "rules", "1", "text"), ("body", "rules", "1", "severity")} <= locs
    dup = c.post("/api/compliance/rule-sets", _body(code="ten_bans"), content_type="application/json")
    assert dup.status_code == 422 and ["body", "code"] in [d["loc"] for d in dup.json()["detail"]]
    rs = ConductRuleSet.objects.get(code="ten_bans")
    missing = c.patch(f"/api/compliance/rule-sets/{rs.pk}", {"name": "x"}, content_type="application/json")
    assert missing.status_code == 422
    assert not ConductRuleSet.objects.filter(code="api_rules").exists() and fresh(rs).name != "x"


@pytest.mark.parametrize("username", sorted(set(USERS) - EDITORS))
def test_api_writes_are_403_for_other_roles(world, seeded, api_client, username):
    c = api_client(getattr(world, username))
    rs = ConductRuleSet.objects.get(code="ten_bans")
    assert c.post("/api/compliance/rule-sets", _body(), content_type="application/json").status_code == 403
    patch = c.patch(
        f"/api/compliance/rule-sets/{rs.pk}", {"version": rs.version, "name": "改"}, content_type="application/json"
    )
    assert patch.status_code == 403
    assert fresh(rs).name != "改" and not ConductRuleSet.objects.filter(code="api_rules").exists()
