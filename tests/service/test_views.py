"""Pages (SPEC §5): register form with field errors, detail page per state, action forms, the
feedback sheet, reports, home panels and the 360° slot."""

import pytest

from rmdesk.service import services
from rmdesk.service.models import Case, CaseStatus

from .conftest import ver

pytestmark = pytest.mark.django_db


def test_register_page_validates_and_creates(client, world, make_customer, defaults):
    c = make_customer(world.rm, world.t1, name="王建华")
    client.force_login(world.rm)
    r = client.get(f"/service/new/?customer={c.pk}")
    assert r.status_code == 200 and c.customer_no in r.content.decode()
    r = client.post(
        "/service/new/",
        {
            "customer": "不存在的客户",
            "kind": "complaint",
            "channel": "branch",
            "category": defaults.pk,
            "severity": "normal",
            "title": "",
            "description": "x",
        },
    )
    body = r.content.decode()
    assert r.status_code == 200 and "客户不存在或不在您的管辖范围内" in body and "这个字段是必填项" in body
    r = client.post(
        "/service/new/",
        {
            "customer": "王建华",
            "kind": "complaint",
            "channel": "branch",
            "category": defaults.pk,
            "severity": "normal",
            "title": "收费争议",
            "description": "客户认为多收了手续费",
        },
    )
    case = Case.objects.get()
    assert r.status_code == 302 and r.url == f"/service/{case.pk}/"
    assert case.customer == c and case.owner == world.rm


def test_referrer_cannot_open_the_register_page(client, world):
    client.force_login(world.referrer)
    assert client.get("/service/new/").status_code == 403


def test_detail_page_offers_the_right_actions(client, world, make_case):
    case = make_case()
    client.force_login(world.rm)
    body = client.get(f"/service/{case.pk}/").content.decode()
    assert 'data-testid="act-accept"' in body and 'data-testid="act-approve"' not in body
    r = client.post(f"/service/{case.pk}/act/accept/", {"version": case.version})
    assert r.status_code == 302
    r = client.post(f"/service/{case.pk}/act/investigate/", {"version": case.version + 1, "cause": ""})
    assert r.status_code == 422 and "此项为必填项" in r.content.decode()
    client.post(f"/service/{case.pk}/act/investigate/", {"version": case.version + 1, "cause": "核实属实"})
    client.post(f"/service/{case.pk}/act/propose/", {"version": case.version + 2, "plan": "退还费用"})
    assert Case.objects.get(pk=case.pk).status == CaseStatus.PROPOSED
    assert 'data-testid="act-approve"' not in client.get(f"/service/{case.pk}/").content.decode()
    client.force_login(world.lead)
    body = client.get(f"/service/{case.pk}/").content.decode()
    assert 'data-testid="act-approve"' in body
    r = client.post(f"/service/{case.pk}/act/approve/", {"version": case.version + 1, "instruction": "同意"})
    assert r.status_code == 422 and "该记录已被他人修改" in r.content.decode()  # stale version


def test_every_state_renders(client, world, make_case):
    case = make_case()
    client.force_login(world.lead)
    seen = set()
    flow = [
        lambda: services.accept_case(world.rm, case.pk, version=ver(case.pk)),
        lambda: services.record_investigation(world.rm, case.pk, cause="原因", version=ver(case.pk)),
        lambda: services.propose_plan(world.rm, case.pk, plan="方案", version=ver(case.pk)),
        lambda: services.decide_plan(world.lead, case.pk, approve=True, version=ver(case.pk)),
        lambda: services.implement_plan(world.rm, case.pk, result="结果", version=ver(case.pk)),
        lambda: services.record_follow_up(
            world.rm, case.pk, customer_confirmed=True, satisfaction=5, version=ver(case.pk)
        ),
        lambda: services.close_case(world.rm, case.pk, version=ver(case.pk)),
    ]
    for step in [lambda: None, *flow]:
        step()
        r = client.get(f"/service/{case.pk}/")
        assert r.status_code == 200
        seen.add(Case.objects.get(pk=case.pk).status)
    assert seen == set(CaseStatus.values)
    assert 'data-testid="act-reopen"' in r.content.decode()


def test_feedback_sheet_flow(client, world, make_case):
    case = make_case()
    client.force_login(world.rm)
    page = client.get(f"/service/{case.pk}/feedback/").content.decode()
    assert '<input type="hidden" name="version" value="0">' in page  # no form yet
    r = client.post(f"/service/{case.pk}/feedback/", {"op": "save", "product": "", "problem": "", "version": 0})
    assert r.status_code == 422
    r = client.post(f"/service/{case.pk}/feedback/", {"op": "save", "product": "稳盈理财90天", "problem": "收益不符"})
    assert r.status_code == 422 and "缺少版本号" in r.content.decode()
    client.post(
        f"/service/{case.pk}/feedback/", {"op": "save", "product": "稳盈理财90天", "problem": "收益不符", "version": 0}
    )
    r = client.post(f"/service/{case.pk}/feedback/", {"op": "save", "product": "x", "problem": "y", "version": 0})
    assert r.status_code == 422 and "已被他人修改" in r.content.decode()  # filled in meanwhile
    client.post(f"/service/{case.pk}/feedback/", {"op": "sign", "signed_name": "王建华", "version": 1})
    body = client.get(f"/service/{case.pk}/feedback/?print=1").content.decode()
    assert "商品及服务质量信息反馈单" in body and "王建华" in body and "稳盈理财90天" in body


def test_reports_home_panels_and_slot(client, world, make_case):
    case = make_case()
    services.accept_case(world.rm, case.pk, version=ver(case.pk))
    services.record_investigation(world.rm, case.pk, cause="原因", version=ver(case.pk))
    services.propose_plan(world.rm, case.pk, plan="方案", version=ver(case.pk))
    client.force_login(world.lead)
    home = client.get("/").content.decode()
    assert 'data-panel="service_lead"' in home and case.number in home
    assert 'data-testid="service-approvals"' in home  # the panel lists the plans waiting for the lead
    assert 'data-testid="counter-approvals"' in home  # counted by the approval inbox's badge, no counter of its own
    assert "counter-service_approvals" not in home
    client.force_login(world.rm)
    assert 'data-panel="service_rm"' in client.get("/").content.decode()
    for url in (
        "/service/sla/?group=team",
        "/service/sla/?group=unit",
        "/service/surveys/index/?group=team",
        "/service/churn/?period=quarter",
        "/service/?status=open&breached=1&q=理财",
    ):
        assert client.get(url).status_code == 200, url
    from django.test import RequestFactory

    from rmdesk.customers.slots import slots_for

    request = RequestFactory().get("/")
    request.user = world.rm
    slots = {s["key"]: s for s in slots_for(request, case.customer)}
    assert [c.pk for c in slots["service"]["context"]["cases"]] == [case.pk]
    request.user = world.rm2
    assert (
        slots_for(request, case.customer)
        and not [s for s in slots_for(request, case.customer) if s["key"] == "service"][0]["context"]["cases"]
    )


def test_customer_360_page_shows_the_service_slot(client, world, make_case):
    case = make_case()
    client.force_login(world.rm)
    r = client.get(f"/customers/{case.customer_id}/")
    assert r.status_code == 200  # the 360° page is part of the product: a 404 here is a failure, not a skip
    body = r.content.decode()
    assert 'data-slot="service"' in body and case.number in body


def test_customer_suggestions_stay_in_scope(client, world, make_customer):
    mine = make_customer(world.rm, world.t1, name="王建华")
    make_customer(world.rm2, world.t2, name="王建国")
    client.force_login(world.rm)
    body = client.get("/service/customers/suggest/?customer=王建").content.decode()
    assert mine.customer_no in body and "王建国" not in body


def test_customer_suggestions_use_indexed_prefixes_not_substrings(client, world, make_customer):
    """Name prefix, pinyin initials and number prefix find the customer; a substring from the middle
    of the name does not (it would scan the archive)."""
    mine = make_customer(world.rm, world.t1, name="欧阳明华")
    client.force_login(world.rm)
    for q in ("欧阳", "oymh", mine.customer_no[:6]):
        body = client.get("/service/customers/suggest/", {"customer": q}).content.decode()
        assert mine.customer_no in body, q
    assert mine.customer_no not in client.get("/service/customers/suggest/", {"customer": "明华"}).content.decode()
