"""Optimistic locking on every edit of the work app (issue 9, ARCHITECTURE "Concurrency"): every edit
endpoint requires the version the client read (missing: 422 on `version`), a stale one answers 409,
and in both cases nothing is written; the pages show a clear error instead of overwriting."""

from datetime import timedelta

import pytest
from django.db.models import F
from django.forms.models import model_to_dict
from django.utils import timezone

from rmdesk.core.models import AuditEvent
from rmdesk.work import services
from rmdesk.work.models import Appointment, Journal, JournalTemplate, ScheduleItem, VisitSchedule
from rmdesk.work.periods import next_monday

pytestmark = pytest.mark.django_db


def _filled(template_code):
    return {s["key"]: "已完成" for s in JournalTemplate.objects.get(code=template_code).sections}


@pytest.fixture
def edits(world, make_customer):
    """One shared record of each kind: an appointment, a draft schedule with one item, a draft journal
    and a submitted one waiting for the team lead."""
    rm = world.rm
    c1, c2 = make_customer(rm, world.t1), make_customer(rm, world.t1)
    start = timezone.localtime().replace(second=0, microsecond=0) + timedelta(days=2)
    appt = services.create_appointment(rm, c1.pk, subject="理财面谈", start_at=start)
    week = next_monday(timezone.localdate())
    schedule = VisitSchedule.objects.create(owner=rm, week_start=week, org_path=world.t1.path)
    item = ScheduleItem.objects.create(schedule=schedule, customer=c1, day=week, source="manual")
    draft = services.open_journal(rm, "daily_summary", timezone.localdate())
    plan = services.open_journal(rm, "daily_plan", timezone.localdate())
    plan = services.submit_journal(rm, plan.pk, content=_filled("daily_plan"), version=plan.version)
    return {
        "appointment": appt,
        "schedule": schedule,
        "item": item,
        "journal": draft,
        "submitted": plan,
        "customer": c2,
        "week": week,
    }


def _row(obj):
    obj = type(obj).objects.get(pk=obj.pk)
    return model_to_dict(obj)


#: (name, who, method, url, body without the version, the record whose version counts, what must not change)
EDITS = [
    (
        "appointment edit",
        "rm",
        "patch",
        "/api/work/appointments/{appointment.pk}",
        lambda e: {"subject": "改期面谈"},
        "appointment",
        lambda e: [_row(e["appointment"])],
    ),
    (
        "appointment cancel",
        "rm",
        "post",
        "/api/work/appointments/{appointment.pk}/cancel",
        lambda e: {"reason": "客户出差"},
        "appointment",
        lambda e: [_row(e["appointment"])],
    ),
    (
        "schedule add item",
        "rm",
        "post",
        "/api/work/schedules/{schedule.pk}/items",
        lambda e: {"customer_id": e["customer"].pk, "day": e["week"].isoformat()},
        "schedule",
        lambda e: [_row(e["schedule"]), list(ScheduleItem.objects.values_list("customer_id", "day", "position"))],
    ),
    (
        "schedule move item",
        "rm",
        "post",
        "/api/work/schedules/items/{item.pk}/move",
        lambda e: {"day": (e["week"] + timedelta(days=1)).isoformat()},
        "schedule",
        lambda e: [_row(e["schedule"]), list(ScheduleItem.objects.values_list("customer_id", "day", "position"))],
    ),
    (
        "schedule remove item",
        "rm",
        "delete",
        "/api/work/schedules/items/{item.pk}",
        None,
        "schedule",
        lambda e: [_row(e["schedule"]), list(ScheduleItem.objects.values_list("customer_id", "day", "position"))],
    ),
    (
        "schedule confirm",
        "rm",
        "post",
        "/api/work/schedules/{schedule.pk}/confirm",
        lambda e: {},
        "schedule",
        lambda e: [_row(e["schedule"])],
    ),
    (
        "journal save",
        "rm",
        "put",
        "/api/work/journals/{journal.pk}",
        lambda e: {"content": {"done": "拜访3户"}},
        "journal",
        lambda e: [_row(e["journal"])],
    ),
    (
        "journal submit",
        "rm",
        "post",
        "/api/work/journals/{journal.pk}/submit",
        lambda e: {"content": _filled("daily_summary")},
        "journal",
        lambda e: [_row(e["journal"])],
    ),
    (
        "journal review",
        "lead",
        "post",
        "/api/work/journals/{submitted.pk}/review",
        lambda e: {"approve": True, "comment": "同意"},
        "submitted",
        lambda e: [_row(e["submitted"])],
    ),
]


def _send(api, method, url, body, version):
    if body is None:  # DELETE: the version travels in the query string
        return getattr(api, method)(url + ("" if version is None else f"?version={version}"))
    payload = dict(body) if version is None else {**body, "version": version}
    return getattr(api, method)(url, payload, content_type="application/json")


@pytest.mark.parametrize("name,who,method,url,body,record,state", EDITS, ids=[e[0] for e in EDITS])
def test_edit_requires_a_current_version(api_client, world, edits, name, who, method, url, body, record, state):
    api = api_client(getattr(world, who))
    url = url.format(**edits)
    data = body(edits) if body else None
    obj = edits[record]
    before, events = state(edits), AuditEvent.objects.count()

    missing = _send(api, method, url, data, None)
    assert missing.status_code == 422, missing.content
    assert any(d["loc"][-1] == "version" for d in missing.json()["detail"])
    assert state(edits) == before and AuditEvent.objects.count() == events

    # someone else saved meanwhile: the version the client read is now stale
    seen = type(obj).objects.get(pk=obj.pk).version
    type(obj).objects.filter(pk=obj.pk).update(version=F("version") + 1)
    before = state(edits)
    stale = _send(api, method, url, data, seen)
    assert stale.status_code == 409, stale.content
    assert "已被他人修改" in stale.json()["detail"]
    assert state(edits) == before and AuditEvent.objects.count() == events

    ok = _send(api, method, url, data, seen + 1)
    assert ok.status_code in (200, 201, 204), ok.content
    assert AuditEvent.objects.count() > events


def test_appointment_page_refuses_a_stale_or_missing_version(client, world, edits):
    appt = edits["appointment"]
    start = timezone.localtime(appt.start_at)
    form = {
        "customer": appt.customer_id,
        "subject": "改期",
        "start_at": start.strftime("%Y-%m-%dT%H:%M"),
        "end_at": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "remind_minutes": 30,
    }
    client.force_login(world.rm)
    page = client.post(f"/work/appointments/{appt.pk}/", form)
    assert page.status_code == 200 and "缺少版本号" in page.content.decode()
    page = client.post(f"/work/appointments/{appt.pk}/", {**form, "version": appt.version + 1})
    assert page.status_code == 200 and "已被他人修改" in page.content.decode()
    page = client.post(f"/work/appointments/{appt.pk}/", {"action": "cancel", "reason": "x"})
    assert "缺少版本号" in page.content.decode()
    appt = Appointment.objects.get(pk=appt.pk)
    assert appt.subject == "理财面谈" and appt.status == "planned" and appt.version == 1


def test_journal_page_keeps_the_text_and_says_it_is_stale(client, world, edits):
    j = edits["journal"]
    Journal.objects.filter(pk=j.pk).update(version=F("version") + 1)  # saved in another tab meanwhile
    client.force_login(world.rm)
    page = client.post(f"/work/journals/{j.pk}/", {"action": "save", "version": j.version, "content_done": "我的草稿"})
    body = page.content.decode()
    assert "已被他人修改" in body and "我的草稿" in body
    assert Journal.objects.get(pk=j.pk).content == j.content


def test_schedule_page_reports_a_stale_version(client, world, edits):
    s = edits["schedule"]
    client.force_login(world.rm)
    week = s.week_start.isoformat()
    resp = client.post(f"/work/schedule/?week={week}", {"action": "confirm", "version": s.version + 1}, follow=True)
    assert "已被他人修改" in resp.content.decode()
    resp = client.post(f"/work/schedule/?week={week}", {"action": "confirm"}, follow=True)
    assert "缺少版本号" in resp.content.decode()
    assert VisitSchedule.objects.get(pk=s.pk).status == "draft"
