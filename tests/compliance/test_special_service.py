"""Special service (SPEC §8, seed 001:107): the branch manager approves a door-to-door visit in advance,
two staff, the escort for cash or valuables; the work app's door-to-door contact must reference an
approved request and is refused with a clear message otherwise (through core.hooks.InteractionGuard)."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from rmdesk.compliance import services
from rmdesk.compliance.models import ServiceStatus, SpecialService
from rmdesk.core.models import AuditEvent
from rmdesk.work import services as work
from rmdesk.work.models import Interaction

from .conftest import approve

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def _now():
    return timezone.localtime().replace(second=0, microsecond=0) - timedelta(minutes=5)


def _request(world, customer, **kw):
    data = {
        "customer_id": customer.pk,
        "second_staff_id": world.rm_b.pk,
        "visit_on": TODAY,
        "place": "客户家中",
        "purpose": "为行动不便的客户办理挂失",
    } | kw
    return services.request_special_service(world.rm, **data)


def _visit(world, customer, **kw):
    return work.record_interaction(
        world.rm, customer.pk, kind="visit", occurred_at=_now(), purpose="上门服务", companions=[world.rm_b], **kw
    )


def test_request_rules(world, seeded, make_customer):
    c = make_customer(world.rm)
    with pytest.raises(ValidationError) as exc:
        _request(world, c, second_staff_id=world.rm.pk, visit_on=TODAY - timedelta(days=1), cash_or_valuables=True)
    assert set(exc.value.error_dict) == {"second_staff_id", "visit_on", "escort"}
    s = _request(world, c, cash_or_valuables=True, escort="保卫科 王强")
    assert s.status == ServiceStatus.PENDING and s.approval.kind == "compliance.special_service"


def test_the_branch_manager_approves_not_the_team_lead(world, seeded, make_customer):
    from rmdesk.core.approvals import may_decide

    s = _request(world, make_customer(world.rm))
    assert not may_decide(world.lead, s.approval) and may_decide(world.manager, s.approval)
    approve(world.manager, s.approval_id)
    s.refresh_from_db()
    assert s.status == ServiceStatus.APPROVED and s.approved_by == world.manager


def test_door_to_door_without_approval_is_refused(world, seeded, make_customer):
    c = make_customer(world.rm)
    with pytest.raises(ValidationError) as exc:
        _visit(world, c)
    assert "须事先经分管行长批准" in exc.value.message_dict["special_service_id"][0]
    pending = _request(world, c)
    with pytest.raises(ValidationError) as exc:
        _visit(world, c, special_service_id=pending.pk)
    assert "尚未经分管行长批准" in exc.value.message_dict["special_service_id"][0]
    assert not Interaction.objects.exists()
    assert not AuditEvent.objects.filter(action="work.interaction_recorded").exists()


def test_an_approved_request_is_referenced_and_kept(world, seeded, make_customer):
    c = make_customer(world.rm)
    s = _request(world, c)
    approve(world.manager, s.approval_id)
    inter = _visit(world, c)  # the only approved request of the day is used
    s.refresh_from_db()
    assert s.interaction == inter and s.status == ServiceStatus.DONE
    event = AuditEvent.objects.get(action="work.interaction_recorded")
    assert event.summary["after"]["special_service"] == s.pk
    with pytest.raises(ValidationError) as exc:  # used once
        _visit(world, c, special_service_id=s.pk)
    assert "已登记过" in exc.value.message_dict["special_service_id"][0]
    # a phone call needs nothing
    work.record_interaction(world.rm, c.pk, kind="phone", occurred_at=_now(), purpose="电话回访")


def test_another_customers_or_days_request_does_not_count(world, seeded, make_customer):
    c, other = make_customer(world.rm), make_customer(world.rm)
    s = _request(world, other)
    approve(world.manager, s.approval_id)
    with pytest.raises(ValidationError):
        _visit(world, c, special_service_id=s.pk)
    tomorrow = _request(world, c, visit_on=TODAY + timedelta(days=1))
    approve(world.manager, tomorrow.approval_id)
    with pytest.raises(ValidationError) as exc:
        _visit(world, c, special_service_id=tomorrow.pk)
    assert "不符" in exc.value.message_dict["special_service_id"][0]
    SpecialService.objects.filter(pk=tomorrow.pk).update(
        visit_on=TODAY, approved_at=timezone.now() + timedelta(hours=1)
    )
    with pytest.raises(ValidationError) as exc:  # approved after the visit: not in advance
        _visit(world, c, special_service_id=tomorrow.pk)
    assert "事先批准" in exc.value.message_dict["special_service_id"][0]
    assert not Interaction.objects.exists()


def test_the_work_api_and_page_refuse_with_the_message(world, seeded, make_customer, api_client, client):
    c = make_customer(world.rm)
    resp = api_client(world.rm).post(
        "/api/work/interactions",
        {
            "customer_id": c.pk,
            "kind": "visit",
            "occurred_at": _now().isoformat(),
            "purpose": "上门",
            "companion_ids": [world.rm_b.pk],
        },
        content_type="application/json",
    )
    assert resp.status_code == 422
    detail = {tuple(d["loc"]): d["msg"] for d in resp.json()["detail"]}
    assert "分管行长批准" in detail[("body", "special_service_id")]
    client.force_login(world.rm)
    page = client.post(
        "/work/interactions/new/",
        {
            "customer": c.pk,
            "kind": "visit",
            "occurred_at": _now().strftime("%Y-%m-%dT%H:%M"),
            "purpose": "上门拜访",
            "companions": [world.rm_b.pk],
            "next_step_kind": "none",
        },
    )
    assert page.status_code == 200 and "须事先经分管行长批准" in page.content.decode()
    assert not Interaction.objects.exists()
