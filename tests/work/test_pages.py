"""Pages and shell integration: menu, home panels, calendar views, tasks, 360° slot, signals (SPEC §3)."""

from datetime import timedelta

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import timezone

from rmdesk.work import cadence, services
from rmdesk.work.models import ContactStatus, Task

pytestmark = pytest.mark.django_db


def test_menu_by_role(client, world):
    client.force_login(world.rm)
    html = client.get("/work/cadence/").content.decode()
    for label in ("客户维护", "访问日程", "预约日历", "服务记录", "工作日志", "消息中心"):
        assert label in html
    assert 'data-nav="work_reviews"' not in html
    client.force_login(world.lead)
    assert 'data-nav="work_reviews"' in client.get("/work/reviews/").content.decode()
    client.force_login(world.referrer)
    html = client.get("/work/notifications/").content.decode()
    assert 'data-nav="work_cadence"' not in html and 'data-nav="work_notifications"' in html


def test_home_panels_for_rm_and_lead(client, world, make_customer, tiers, local_dt):
    make_customer(world.rm, tier=tiers["gold"], created_at=local_dt(2025, 1, 1), name="逾期的王先生")
    cadence.recompute_all()
    client.force_login(world.rm)
    html = client.get("/").content.decode()
    assert 'data-testid="panel-rm"' in html and "逾期的王先生" in html
    make_customer(world.rm2, tier=tiers["gold"], created_at=local_dt(2025, 1, 1))
    cadence.recompute_all()
    client.force_login(world.lead)
    html = client.get("/").content.decode()
    assert 'data-testid="panel-lead"' in html
    assert f'?status=overdue&rm={world.rm.pk}">1<' in html and f"rm={world.rm2.pk}" not in html
    client.force_login(world.manager)
    html = client.get("/").content.decode()
    assert "<td>一队</td>" in html and "二队" not in html


def test_cadence_page_filters_and_lead_summary(client, world, make_customer, tiers, local_dt):
    make_customer(world.rm, tier=tiers["gold"], created_at=local_dt(2025, 1, 1), name="甲")
    make_customer(world.rm_b, tier=tiers["gold"], created_at=local_dt(2025, 1, 1), name="乙")
    make_customer(world.rm, tier=tiers["diamond"], created_at=timezone.now(), name="丙")
    cadence.recompute_all()
    client.force_login(world.lead)
    html = client.get("/work/cadence/").content.decode()
    assert "甲" in html and "乙" in html and "丙" not in html and 'data-testid="by-rm"' in html
    html = client.get(f"/work/cadence/?status=overdue&rm={world.rm_b.pk}").content.decode()
    assert "乙" in html and ">甲<" not in html


def test_calendar_views(client, world, make_customer):
    c = make_customer(world.rm, name="预约客户")
    start = timezone.localtime() + timedelta(days=1)
    a = services.create_appointment(world.rm, c.pk, subject="理财面谈", start_at=start)
    client.force_login(world.rm)
    d = start.date().isoformat()
    for view in ("day", "week", "month"):
        html = client.get(f"/work/appointments/?view={view}&date={d}").content.decode()
        assert f'data-testid="calendar-{view}"' in html and f'data-appointment="{a.pk}"' in html
    resp = client.post(
        f"/work/appointments/{a.pk}/",
        {
            "action": "save",
            "subject": "理财面谈（改期）",
            "start_at": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "end_at": (start + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
            "remind_minutes": 30,
            "version": a.version - 1,
        },
    )
    assert "该记录已被他人修改" in resp.content.decode()
    resp = client.post(
        f"/work/appointments/{a.pk}/",
        {
            "action": "save",
            "subject": "理财面谈（改期）",
            "start_at": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "end_at": (start + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
            "remind_minutes": 30,
            "version": a.version,
        },
    )
    assert resp.status_code == 302
    a.refresh_from_db()
    assert a.subject == "理财面谈（改期）" and a.version == 2
    resp = client.post(
        "/work/appointments/new/",
        {"customer": c.pk, "subject": "", "start_at": "2020-01-01T10:00", "remind_minutes": 60},
    )
    html = resp.content.decode()
    assert "请填写预约事由" in html and "不能预约已经过去的时间" in html


def test_tasks_page(client, world):
    client.force_login(world.rm)
    assert client.post("/work/tasks/", {"action": "create", "title": "整理客户资料"}).status_code == 302
    t = Task.objects.get()
    client.post("/work/tasks/", {"action": "done", "task": t.pk})
    t.refresh_from_db()
    assert t.status == "done"
    client.force_login(world.lead)
    client.post("/work/tasks/", {"action": "done", "task": t.pk})  # not the lead's: refused quietly


def test_360_slot_lists_interactions(world, make_customer):
    from rmdesk.customers.slots import slots_for

    c = make_customer(world.rm)
    services.record_interaction(
        world.rm, c.pk, kind="phone", occurred_at=timezone.now() - timedelta(minutes=1), purpose="电话回访理财到期"
    )
    request = RequestFactory().get("/")
    request.user = world.rm
    slot = next(s for s in slots_for(request, c) if s["key"] == "interactions")
    html = render_to_string(slot["template"], {"slot": slot["context"], "customer": c}, request=request)
    assert "电话回访理财到期" in html and "记录服务" in html
    request.user = world.risk
    slot = next(s for s in slots_for(request, c) if s["key"] == "interactions")
    assert slot["context"]["can_write"] is False


def test_handover_signal_creates_follow_up_tasks(world, make_customer, tiers):
    from rmdesk.customers.models import Customer
    from rmdesk.customers.signals import customers_handed_over, tier_changed

    a = make_customer(world.rm, tier=tiers["gold"])
    b = make_customer(world.rm, tier=tiers["gold"])
    Customer.objects.filter(pk__in=[a.pk, b.pk]).update(a_rm=world.rm_b)
    a.refresh_from_db()
    b.refresh_from_db()
    customers_handed_over.send(
        sender=Customer,
        actor=world.lead,
        customers=[a, b],
        from_rm=world.rm,
        to_rm=world.rm_b,
        notes={a.pk: "客户偏好电话联系"},
        handover=None,
    )
    tasks = Task.objects.filter(owner=world.rm_b, source="handover").order_by("customer_id")
    assert [t.customer_id for t in tasks] == [a.pk, b.pk] and tasks[0].detail == "客户偏好电话联系"
    assert ContactStatus.objects.get(customer=a).a_rm_id == world.rm_b.pk
    old = a.tier
    a.tier = tiers["diamond"]
    a.save()
    tier_changed.send(sender=Customer, customer=a, old_tier=old, new_tier=a.tier, change=None)
    assert ContactStatus.objects.get(customer=a).rule.interval_months == 6
