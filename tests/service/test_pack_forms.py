"""The tobacco pack's quality feedback form and 入网/退网 checklist as configuration of the case flow (issue 19;
SPEC §5; seed 001 §4.3, §4.6): a category may require the 商品及服务质量信息反馈单 (reviewed by the supervisor before
the plan is carried out, signed by the customer before closing) and carry a checklist every case completes before
it closes. The bank configures neither, so a bank case runs as before."""

import shutil

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from rmdesk.core.actions import StaleVersion
from rmdesk.core.models import AuditEvent
from rmdesk.packs import services as packs
from rmdesk.service import services
from rmdesk.service.models import CaseCategory, CaseCheck, CaseStatus, ChecklistItem

from .conftest import ver

pytestmark = pytest.mark.django_db


@pytest.fixture
def tobacco(defaults):
    packs.apply_pack("tobacco")
    return {c.code: c for c in CaseCategory.objects.filter(code__in=["quality", "network_in", "network_out"])}


def _register(world, make_customer, category, **extra):
    return services.register_case(
        world.rm,
        customer_id=make_customer(world.rm, world.t1, name="东街烟酒店").pk,
        kind="request",
        channel="visit",
        category_id=category.pk,
        severity="normal",
        title=extra.pop("title", "新零售户入网"),
        description=extra.pop("description", "东街烟酒店取得零售许可证，申请入网订货。"),
    )


def _to_visited(case, world):
    services.accept_case(world.rm, case.pk, version=ver(case.pk))
    services.record_investigation(world.rm, case.pk, cause="核实情况属实", version=ver(case.pk))
    services.propose_plan(world.rm, case.pk, plan="按工作标准办理", version=ver(case.pk))
    services.decide_plan(world.lead, case.pk, approve=True, instruction="同意", version=ver(case.pk))
    services.implement_plan(world.rm, case.pk, result="已办理", version=ver(case.pk))
    services.record_follow_up(world.rm, case.pk, customer_confirmed=True, satisfaction=5, version=ver(case.pk))


def test_the_bank_configures_no_feedback_requirement_and_no_checklist(defaults, make_case, world, api_client):
    packs.apply_pack("bank")
    assert not CaseCategory.objects.filter(requires_feedback=True).exists()
    assert not ChecklistItem.objects.exists()
    case = make_case()
    assert not case.checks.exists()
    _to_visited(case, world)  # implemented with no feedback form
    services.close_case(world.rm, case.pk, version=ver(case.pk))
    body = api_client(world.rm).get("/api/service/categories").json()
    assert all(c["requires_feedback"] is False and c["checklist"] == [] for c in body)


def test_the_tobacco_pack_turns_them_on(tobacco):
    assert tobacco["quality"].requires_feedback and not tobacco["network_in"].requires_feedback
    assert list(tobacco["network_in"].checklist_items.values_list("order", flat=True)) == [1, 2, 3, 4, 5, 6, 7]
    assert tobacco["network_out"].checklist_items.count() == 6
    assert not CaseCategory.objects.filter(requires_feedback=True).exclude(code="quality").exists()
    again = packs.apply_pack("tobacco")
    assert not again.changed and not again.kept


def test_a_joining_case_closes_only_when_every_item_is_done(tobacco, world, make_customer):
    case = _register(world, make_customer, tobacco["network_in"])
    checks = list(case.checks.order_by("order"))
    assert [c.text for c in checks] == list(
        tobacco["network_in"].checklist_items.order_by("order").values_list("text", flat=True)
    )
    _to_visited(case, world)
    services.check_item(world.rm, case.pk, order=1, done=True, note="许可证有效期至 2029 年", version=ver(case.pk))
    with pytest.raises(ValidationError) as exc:
        services.close_case(world.rm, case.pk, version=ver(case.pk))
    assert "尚有 6 项未完成" in exc.value.message_dict["checklist"][0]
    assert checks[1].text in exc.value.message_dict["checklist"][0]
    case.refresh_from_db()
    assert case.status == CaseStatus.VISITED
    for order in range(2, 8):
        services.check_item(world.rm, case.pk, order=order, done=True, version=ver(case.pk))
    services.check_item(world.rm, case.pk, order=7, done=False, version=ver(case.pk))  # untick: not done
    with pytest.raises(ValidationError):
        services.close_case(world.rm, case.pk, version=ver(case.pk))
    services.check_item(world.rm, case.pk, order=7, done=True, version=ver(case.pk))
    services.close_case(world.rm, case.pk, version=ver(case.pk))
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    first = CaseCheck.objects.get(case=case, order=1)
    assert (first.done_by, first.note) == (world.rm, "许可证有效期至 2029 年")
    assert case.steps.filter(action="check").count() == 9
    audit = AuditEvent.objects.filter(action="service.check", object_id=str(case.pk))
    assert audit.count() == 9
    with pytest.raises(ValidationError) as exc:  # a closed case's checklist is final
        services.check_item(world.rm, case.pk, order=1, done=False, version=ver(case.pk))
    assert "status" in exc.value.message_dict


def test_checking_refuses_an_unknown_item_and_a_stale_version_writing_nothing(tobacco, world, make_customer):
    case = _register(world, make_customer, tobacco["network_out"], title="零售户退网", description="歇业申请退网")
    with pytest.raises(ValidationError) as exc:
        services.check_item(world.rm, case.pk, order=9, done=True, version=ver(case.pk))
    assert "order" in exc.value.message_dict
    stale = ver(case.pk)
    services.check_item(world.rm, case.pk, order=1, done=True, version=stale)
    with pytest.raises(StaleVersion):
        services.check_item(world.rm, case.pk, order=2, done=True, version=stale)
    assert list(case.checks.filter(done_at__isnull=False).values_list("order", flat=True)) == [1]
    with pytest.raises(ValidationError) as exc:
        services.check_item(world.rm, case.pk, order=2, done=True, note="长" * 201, version=ver(case.pk))
    assert "note" in exc.value.message_dict
    assert not case.checks.get(order=2).done


def test_a_quality_case_needs_the_reviewed_form_to_exchange_and_the_signed_form_to_close(tobacco, world, make_customer):
    case = _register(world, make_customer, tobacco["quality"], title="卷烟霉变", description="零售户反映两条卷烟霉变。")
    assert not case.checks.exists()
    services.accept_case(world.rm, case.pk, version=ver(case.pk))
    services.record_investigation(world.rm, case.pk, cause="仓储受潮", version=ver(case.pk))
    services.propose_plan(world.rm, case.pk, plan="调换不合格卷烟", version=ver(case.pk))
    services.decide_plan(world.lead, case.pk, approve=True, version=ver(case.pk))
    with pytest.raises(ValidationError) as exc:
        services.implement_plan(world.rm, case.pk, result="已调换", version=ver(case.pk))
    assert "feedback" in exc.value.message_dict
    fb = services.save_feedback(world.rm, case.pk, product="某品牌（硬）", problem="霉变", quantity="2 条", version=0)
    with pytest.raises(ValidationError):  # filled in, not yet reviewed by the 区域市场经理
        services.implement_plan(world.rm, case.pk, result="已调换", version=ver(case.pk))
    fb = services.review_feedback(world.lead, case.pk, note="同意调换", version=fb.version)
    services.implement_plan(world.rm, case.pk, result="已调换 2 条", version=ver(case.pk))
    services.record_follow_up(world.rm, case.pk, customer_confirmed=True, satisfaction=4, version=ver(case.pk))
    with pytest.raises(ValidationError) as exc:
        services.close_case(world.rm, case.pk, version=ver(case.pk))
    assert "客户签字" in exc.value.message_dict["feedback"][0]
    services.confirm_feedback(world.rm, case.pk, signed_name="王店主", version=fb.version)
    services.close_case(world.rm, case.pk, version=ver(case.pk))
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED


def test_the_api_ticks_items_with_field_paths_and_409(tobacco, world, make_customer, api_client):
    case = _register(world, make_customer, tobacco["network_in"])
    rm = api_client(world.rm)
    url = f"/api/service/cases/{case.pk}/checks/2"
    r = rm.post(url, {"done": True, "note": "证照已留存", "version": ver(case.pk)}, "application/json")
    assert r.status_code == 200, r.content
    body = r.json()
    assert [c["done"] for c in body["checks"]][:3] == [False, True, False]
    assert body["checks"][1]["note"] == "证照已留存" and body["checks"][1]["done_by_id"] == world.rm.pk
    stale = rm.post(url, {"done": False, "version": body["version"] - 1}, "application/json")
    assert stale.status_code == 409
    missing = rm.post(
        f"/api/service/cases/{case.pk}/checks/99", {"done": True, "version": ver(case.pk)}, "application/json"
    )
    assert missing.status_code == 422 and "order" in str(missing.json()["detail"])
    no_version = rm.post(url, {"done": True}, "application/json")
    assert no_version.status_code == 422 and "version" in str(no_version.json()["detail"])
    other = api_client(world.rm2).post(url, {"done": True, "version": ver(case.pk)}, "application/json")
    assert other.status_code == 404  # out of scope: the same as missing
    categories = {c["code"]: c for c in rm.get("/api/service/categories").json()}
    assert categories["quality"]["requires_feedback"] is True
    assert [i["order"] for i in categories["network_out"]["checklist"]] == [1, 2, 3, 4, 5, 6]


def test_the_page_shows_the_checklist_ticks_an_item_and_says_why_it_cannot_close(tobacco, world, make_customer, client):
    case = _register(world, make_customer, tobacco["network_in"])
    _to_visited(case, world)
    client.force_login(world.rm)
    page = client.get(reverse("service:case_detail", args=[case.pk])).content.decode()
    assert 'data-testid="checklist"' in page and "核对营业执照与负责人身份证件" in page
    r = client.post(
        reverse("service:case_action", args=[case.pk, "check"]),
        {"order": "2", "done": "1", "note": "已留存复印件", "version": ver(case.pk)},
    )
    assert r.status_code == 302
    assert case.checks.get(order=2).done
    r = client.post(reverse("service:case_action", args=[case.pk, "close"]), {"version": ver(case.pk)})
    assert r.status_code == 422
    assert "检查清单尚有 6 项未完成" in r.content.decode()
    r = client.post(reverse("service:case_action", args=[case.pk, "check"]), {"order": "x", "version": ver(case.pk)})
    assert r.status_code == 422 and "该工单没有这一检查事项" in r.content.decode()
    quality = _register(world, make_customer, tobacco["quality"], title="卷烟破损", description="外包装破损")
    page = client.get(reverse("service:case_detail", args=[quality.pk])).content.decode()
    assert 'data-testid="feedback-required"' in page and 'data-testid="checklist"' not in page


@pytest.fixture
def pack_dir(tmp_path, monkeypatch):
    target = tmp_path / "packs"
    shutil.copytree(packs.DATA_DIR, target)
    monkeypatch.setattr(packs, "DATA_DIR", target)
    packs.words_of.cache_clear()
    packs._defaults.cache_clear()
    yield target
    packs._defaults.cache_clear()


def test_a_checklist_with_a_gap_refuses_the_load_and_writes_nothing(pack_dir, defaults):
    path = pack_dir / "tobacco.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('category = "network_out"\norder = 6', 'category = "network_out"\norder = 8'), "utf-8")
    with pytest.raises(ValidationError) as exc:
        packs.apply_pack("tobacco")
    assert "case_checklist_items.network_out" in exc.value.message_dict
    assert not ChecklistItem.objects.exists() and not CaseCategory.objects.filter(code="network_in").exists()


def test_a_case_keeps_the_checklist_it_was_registered_with(pack_dir, tobacco, world, make_customer):
    case = _register(world, make_customer, tobacco["network_in"])
    path = pack_dir / "tobacco.toml"
    text = path.read_text(encoding="utf-8").replace('version = "1.1.0"', 'version = "1.2.0"', 1)
    path.write_text(text.replace("核对营业执照与负责人身份证件，留存复印件", "核对营业执照与身份证件"), "utf-8")
    result = packs.apply_pack("tobacco")
    assert result.updated == ['service.ChecklistItem ["network_in", 2]']
    assert case.checks.get(order=2).text == "核对营业执照与负责人身份证件，留存复印件"
    assert _register(world, make_customer, tobacco["network_in"]).checks.get(order=2).text == "核对营业执照与身份证件"
