"""Scope matrix for every page and endpoint of the work app: each role against records inside and
outside its subtree. Out of scope answers 404, on pages and API alike (SPEC §1)."""
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from rmdesk.work import cadence, services
from rmdesk.work.models import Appointment, Interaction, Journal, JournalTemplate, Task, VisitSchedule

pytestmark = pytest.mark.django_db

USERS = ["rm", "rm_b", "rm_t1b", "lead", "rm2", "lead2", "manager", "risk", "compliance", "assistant", "referrer", "admin"]
SEES_T1 = {"rm", "lead", "manager", "risk", "compliance", "assistant"}
SEES_T2 = {"rm2", "lead2"}
WRITES_T1 = {"rm", "lead", "manager"}


@pytest.fixture
def records(world, make_customer, tiers):
    tz = timezone.get_current_timezone()
    out = {}
    for key, rm, team in (("t1", world.rm, world.t1), ("t2", world.rm2, world.t2)):
        c = make_customer(rm, tier=tiers["gold"])
        start = datetime.combine(timezone.localdate() + timedelta(days=2), time(10), tz)
        out[key] = {
            "customer": c,
            "interaction": Interaction.objects.create(customer=c, kind="phone", occurred_at=timezone.now(),
                                                      recorded_by=rm, purpose="回访"),
            "appointment": Appointment.objects.create(owner=rm, org_path=team.path, customer=c, subject="面谈",
                                                      start_at=start, end_at=start + timedelta(hours=1)),
            "schedule": VisitSchedule.objects.create(owner=rm, org_path=team.path,
                                                     week_start=timezone.localdate() - timedelta(
                                                         days=timezone.localdate().weekday())),
            "task": Task.objects.create(owner=rm, org_path=team.path, title="跟进", customer=c),
            "journal": Journal.objects.create(template=JournalTemplate.objects.get(code="monthly_summary"), owner=rm,
                                              org_path=team.path, period_start=timezone.localdate().replace(day=1),
                                              period_end=timezone.localdate(), due_on=timezone.localdate()),
        }
    cadence.recompute_all()
    return out


def _expect(username, key):
    return 200 if username in (SEES_T1 if key == "t1" else SEES_T2) else 404


@pytest.mark.parametrize("username", USERS)
def test_pages_follow_scope(client, world, records, username):
    client.force_login(getattr(world, username))
    for key, r in records.items():
        want = _expect(username, key)
        for url in (f"/work/interactions/{r['interaction'].pk}/", f"/work/interactions/?customer={r['customer'].pk}",
                    f"/work/appointments/{r['appointment'].pk}/", f"/work/schedule/{r['schedule'].pk}/",
                    f"/work/schedule/{r['schedule'].pk}/print/", f"/work/journals/{r['journal'].pk}/"):
            assert client.get(url).status_code == want, (username, key, url)
        cadence_page = client.get("/work/cadence/?status=all").content.decode()
        assert (f'data-testid="cadence-row-{r["customer"].pk}"' in cadence_page) == (want == 200), (username, key)
        cal = client.get(f"/work/appointments/?view=week&date={r['appointment'].start_at.date().isoformat()}")
        assert (f'data-appointment="{r["appointment"].pk}"' in cal.content.decode()) == (want == 200)


@pytest.mark.parametrize("username", USERS)
def test_api_follows_scope(api_client, world, records, username):
    api = api_client(getattr(world, username))
    for key, r in records.items():
        want = _expect(username, key)
        for url in (f"/api/work/cadence/{r['customer'].pk}", f"/api/work/interactions/{r['interaction'].pk}",
                    f"/api/work/appointments/{r['appointment'].pk}", f"/api/work/schedules/{r['schedule'].pk}",
                    f"/api/work/journals/{r['journal'].pk}"):
            assert api.get(url).status_code == want, (username, key, url)

    def ids(url, field="id"):
        return {row[field] for row in api.get(url).json()}

    start = (timezone.localdate()).isoformat()
    listed = {
        "customer": ids("/api/work/cadence", "customer_id"),
        "interaction": ids("/api/work/interactions"),
        "appointment": ids(f"/api/work/appointments?start={start}"),
        "schedule": ids("/api/work/schedules"),
        "task": ids("/api/work/tasks?mine=false"),
        "journal": ids("/api/work/journals"),
    }
    for key, r in records.items():
        for kind, seen in listed.items():
            assert (r[kind].pk in seen) == (_expect(username, key) == 200), (username, key, kind)


@pytest.mark.parametrize("username", USERS)
def test_writes_follow_write_scope(api_client, world, records, username):
    api = api_client(getattr(world, username))
    r = records["t1"]
    when = (timezone.now() - timedelta(minutes=5)).isoformat()
    resp = api.post("/api/work/interactions", {"customer_id": r["customer"].pk, "kind": "phone", "occurred_at": when,
                                               "purpose": "电话回访"}, content_type="application/json")
    assert resp.status_code == (201 if username in WRITES_T1 else 404), (username, resp.content)
    appt = r["appointment"]
    resp = api.post(f"/api/work/appointments/{appt.pk}/cancel", {"reason": "客户出差"}, content_type="application/json")
    assert resp.status_code == (200 if username in WRITES_T1 else 404), username


def test_api_validation_is_422_with_field_paths(api_client, world, records):
    api = api_client(world.rm)
    c = records["t1"]["customer"]
    resp = api.post("/api/work/interactions", {"customer_id": c.pk, "kind": "visit",
                                               "occurred_at": timezone.now().isoformat(), "purpose": "上门"},
                    content_type="application/json")
    assert resp.status_code == 422
    assert ["body", "companions"] in [d["loc"] for d in resp.json()["detail"]]
    j = records["t1"]["journal"]
    resp = api.post(f"/api/work/journals/{j.pk}/submit", {"content": {}}, content_type="application/json")
    assert resp.status_code == 422
    assert ["body", "content", "results"] in [d["loc"] for d in resp.json()["detail"]]
    resp = api.get("/api/work/calendar/add-working-days?start=2026-09-30&n=1")
    assert resp.json()["result"] == "2026-10-08"


def test_api_schedule_and_journal_flow(api_client, world, records, make_customer, tiers, local_dt):
    overdue = make_customer(world.rm, tier=tiers["gold"], created_at=local_dt(2025, 1, 1))
    cadence.recompute_all()
    api = api_client(world.rm)
    s = api.post("/api/work/schedules/generate", {}, content_type="application/json")
    assert s.status_code == 200, s.content
    body = s.json()
    assert overdue.pk in [i["customer_id"] for i in body["items"]]
    assert records["t2"]["customer"].pk not in [i["customer_id"] for i in body["items"]]
    confirmed = api.post(f"/api/work/schedules/{body['id']}/confirm", {"version": body["version"]},
                         content_type="application/json")
    assert confirmed.json()["status"] == "confirmed"
    j = api.post("/api/work/journals", {"template": "daily_plan"}, content_type="application/json").json()
    api.put(f"/api/work/journals/{j['id']}", {"content": {"plan": "拜访3户"}}, content_type="application/json")
    sub = api.post(f"/api/work/journals/{j['id']}/submit", {}, content_type="application/json")
    assert sub.json()["status"] == "submitted"
    lead = api_client(world.lead)
    assert j["id"] in [x["id"] for x in lead.get("/api/work/journals?to_review=true").json()]
    rev = lead.post(f"/api/work/journals/{j['id']}/review", {"approve": True}, content_type="application/json")
    assert rev.json()["status"] == "approved"
    other = api_client(world.lead2)
    assert other.post(f"/api/work/journals/{j['id']}/review", {"approve": True},
                      content_type="application/json").status_code == 404
