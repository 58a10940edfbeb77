"""Scope matrix for every page and endpoint of the work app that takes an object id: each role
against records inside and outside its subtree (tests/scope_matrix.py). Out of scope answers 404, on
pages and API alike (SPEC §1); changes to one RM's own plan (schedule, tasks, journals) are refused
to other writers with 403."""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from rmdesk.work import cadence
from rmdesk.work.models import (
    Appointment,
    CadenceSetting,
    ChosenInterval,
    Interaction,
    Journal,
    JournalTemplate,
    Task,
    VisitSchedule,
)
from tests.scope_matrix import Matrix, Sample, fresh

pytestmark = pytest.mark.django_db

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
            "interaction": Interaction.objects.create(
                customer=c, kind="phone", occurred_at=timezone.now(), recorded_by=rm, purpose="回访"
            ),
            "appointment": Appointment.objects.create(
                owner=rm,
                org_path=team.path,
                customer=c,
                subject="面谈",
                start_at=start,
                end_at=start + timedelta(hours=1),
            ),
            "schedule": VisitSchedule.objects.create(
                owner=rm,
                org_path=team.path,
                week_start=timezone.localdate() - timedelta(days=timezone.localdate().weekday()),
            ),
            "task": Task.objects.create(owner=rm, org_path=team.path, title="跟进", customer=c),
            "journal": Journal.objects.create(
                template=JournalTemplate.objects.get(code="monthly_summary"),
                owner=rm,
                org_path=team.path,
                period_start=timezone.localdate().replace(day=1),
                period_end=timezone.localdate(),
                due_on=timezone.localdate(),
            ),
        }
    cadence.recompute_all()
    return out


def _next_day_in_week(week_start):
    """A working day of this week other than today (a schedule item may move to it)."""
    today = timezone.localdate()
    return next(week_start + timedelta(days=i) for i in range(5) if week_start + timedelta(days=i) != today)


@pytest.fixture
def work_samples(world, records, make_customer, tiers, settings, tmp_path):
    from django.core.files.base import ContentFile

    from rmdesk.work.models import InteractionAttachment, JournalStatus, ScheduleItem

    settings.MEDIA_ROOT = tmp_path / "media"
    # the customer's chosen callback interval (issue 19) is in use, so its page and API answer
    CadenceSetting.objects.update_or_create(code="default", defaults={"customer_interval": "shorter"})
    out = []
    for key, rm, readers, writers, lead, reviewers in (
        ("t1", world.rm, SEES_T1, WRITES_T1, world.lead, {"lead", "manager"}),
        ("t2", world.rm2, SEES_T2, SEES_T2, world.lead2, {"lead2"}),
    ):
        r = records[key]
        att = InteractionAttachment(interaction=r["interaction"], name="名片.txt", size=4, uploaded_by=rm)
        att.file.save("card.txt", ContentFile(b"card"), save=False)
        att.save()
        schedule = r["schedule"]
        item = ScheduleItem.objects.create(schedule=schedule, customer=r["customer"], day=schedule.week_start)
        submitted = Journal.objects.create(
            template=JournalTemplate.objects.get(code="weekly_summary"),
            owner=rm,
            org_path=r["journal"].org_path,
            period_start=schedule.week_start,
            period_end=schedule.week_start + timedelta(days=6),
            due_on=timezone.localdate(),
            status=JournalStatus.SUBMITTED,
            reviewer=lead,
            submitted_at=timezone.now(),
        )
        out.append(
            Sample(
                key,
                readers,
                writers,
                owner=rm.username,
                reviewers=reviewers,
                attachment=att,
                item=item,
                submitted=submitted,
                spare=make_customer(rm, tier=tiers["gold"]),
                **r,
            )
        )
    return out


def _owner_only(ok, read_only=404):
    """Only the record's RM may do it: other writers are refused (403), read-only viewers get
    `read_only` (404 when the record is looked up with write scope), others 404."""

    def expect(username, s):
        if username == s.owner:
            return ok
        if username in s.writers:
            return 403
        return read_only if username in s.readers else 404

    return expect


def _reviewers_only(username, s):
    """The RM's supervisors (team lead, branch manager) review; other viewers are refused."""
    if username not in s.readers:
        return 404
    return 200 if username in s.reviewers else 403


def _in_week(s):
    return f"?view=week&date={s.appointment.start_at.date().isoformat()}"


work = Matrix("work", samples="work_samples")
# pages
work.page("work:interaction_detail", obj="interaction")
work.page("work:interactions", obj=None, query=lambda s: f"?customer={s.customer.pk}")
work.page("work:attachment", obj="interaction", params=lambda s: {"pk": s.interaction.pk, "att_pk": s.attachment.pk})
work.page("work:appointment_detail", obj="appointment")
work.page("work:schedule_detail", obj="schedule")
work.page("work:schedule_print", obj="schedule")
work.page("work:schedule_pdf", obj="schedule", users=("rm", "lead2", "referrer"))  # WeasyPrint is slow
work.page("work:journal_detail", obj="journal")
work.page("work:chosen_interval", obj="customer", write=True)  # an edit form: writers only
work.listing(
    "work:cadence",
    obj="customer",
    query="?status=all",
    contains=lambda html, c: f'data-testid="cadence-row-{c.pk}"' in html,
)
work.listing(
    "work:appointments",
    obj="appointment",
    query=_in_week,
    contains=lambda html, a: f'data-appointment="{a.pk}"' in html,
)
# API reads
work.api("GET /api/work/cadence/{customer_id}", obj="customer")
work.api("GET /api/work/interactions/{interaction_id}", obj="interaction")
work.api("GET /api/work/appointments/{appointment_id}", obj="appointment")
work.api("GET /api/work/schedules/{schedule_id}", obj="schedule")
work.api("GET /api/work/journals/{journal_id}", obj="journal")
work.listing("GET /api/work/cadence", obj="customer", field="customer_id")
work.listing("GET /api/work/interactions", obj="interaction")
work.listing(
    "GET /api/work/appointments", obj="appointment", query=lambda s: f"?start={timezone.localdate().isoformat()}"
)
work.listing("GET /api/work/schedules", obj="schedule")
work.listing("GET /api/work/tasks", obj="task", query="?mine=false")
work.listing("GET /api/work/journals", obj="journal")
# API writes
work.api(
    "POST /api/work/interactions",
    obj="customer",
    ok=201,
    body=lambda s: {
        "customer_id": s.customer.pk,
        "kind": "phone",
        "purpose": "电话回访",
        "occurred_at": (timezone.now() - timedelta(minutes=5)).isoformat(),
    },
)
work.api(
    "PATCH /api/work/appointments/{appointment_id}",
    obj="appointment",
    body=lambda s: {"version": fresh(s.appointment).version, "place": "网点贵宾室"},
)
work.api(
    "POST /api/work/appointments/{appointment_id}/cancel",
    obj="appointment",
    body=lambda s: {"reason": "客户出差", "version": fresh(s.appointment).version},
)
work.api("GET /api/work/cadence/{customer_id}/interval", obj="customer")


def _chosen_version(s):
    found = ChosenInterval.objects.filter(customer=s.customer).first()
    return found.version if found else 0


work.api(
    "PUT /api/work/cadence/{customer_id}/interval",
    obj="customer",
    body=lambda s: {"interval_months": 1, "version": _chosen_version(s)},
)
work.api(  # after the PUT above: the writers withdraw the choice they recorded
    "DELETE /api/work/cadence/{customer_id}/interval",
    obj="customer",
    ok=204,
    query=lambda s: f"?version={_chosen_version(s)}",
)
# the weekly schedule, tasks and journals are changed by their RM only
work.api(
    "POST /api/work/schedules/{schedule_id}/items",
    obj="schedule",
    expect=_owner_only(201),
    body=lambda s: {
        "customer_id": s.spare.pk,
        "day": _next_day_in_week(s.schedule.week_start).isoformat(),
        "version": fresh(s.schedule).version,
    },
)
work.api(
    "POST /api/work/schedules/items/{item_id}/move",
    obj="item",
    expect=_owner_only(200),
    body=lambda s: {"day": _next_day_in_week(s.schedule.week_start).isoformat(), "version": fresh(s.schedule).version},
)
work.api(
    "DELETE /api/work/schedules/items/{item_id}",
    obj="item",
    expect=_owner_only(204),
    query=lambda s: f"?version={fresh(s.schedule).version}",
)
work.api(
    "POST /api/work/schedules/{schedule_id}/confirm",
    obj="schedule",
    expect=_owner_only(200),
    body=lambda s: {"version": fresh(s.schedule).version},
)
work.api("POST /api/work/tasks/{task_id}/done", obj="task", expect=_owner_only(200))
work.api(
    "PUT /api/work/journals/{journal_id}",
    obj="journal",
    expect=_owner_only(200, read_only=403),
    body=lambda s: {"content": {"results": "拜访3户"}, "version": fresh(s.journal).version},
)
work.api(
    "POST /api/work/journals/{journal_id}/submit",
    obj="journal",
    expect=_owner_only(200, read_only=403),
    body=lambda s: {
        "content": {sec["key"]: "已完成" for sec in s.journal.template.sections},
        "version": fresh(s.journal).version,
    },
)
# a submitted journal is reviewed by the RM's supervisors only
work.api(
    "POST /api/work/journals/{journal_id}/review",
    obj="submitted",
    expect=_reviewers_only,
    body=lambda s: {"approve": True, "version": fresh(s.submitted).version},
)

test_scope_matrix = work.test()


def test_api_validation_is_422_with_field_paths(api_client, world, records):
    api = api_client(world.rm)
    c = records["t1"]["customer"]
    resp = api.post(
        "/api/work/interactions",
        {"customer_id": c.pk, "kind": "visit", "occurred_at": timezone.now().isoformat(), "purpose": "上门"},
        content_type="application/json",
    )
    assert resp.status_code == 422
    assert ["body", "companions"] in [d["loc"] for d in resp.json()["detail"]]
    j = records["t1"]["journal"]
    resp = api.post(
        f"/api/work/journals/{j.pk}/submit", {"content": {}, "version": j.version}, content_type="application/json"
    )
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
    confirmed = api.post(
        f"/api/work/schedules/{body['id']}/confirm", {"version": body["version"]}, content_type="application/json"
    )
    assert confirmed.json()["status"] == "confirmed"
    j = api.post("/api/work/journals", {"template": "daily_plan"}, content_type="application/json").json()
    saved = api.put(
        f"/api/work/journals/{j['id']}",
        {"content": {"plan": "拜访3户"}, "version": j["version"]},
        content_type="application/json",
    ).json()
    sub = api.post(
        f"/api/work/journals/{j['id']}/submit", {"version": saved["version"]}, content_type="application/json"
    )
    assert sub.json()["status"] == "submitted"
    lead = api_client(world.lead)
    assert j["id"] in [x["id"] for x in lead.get("/api/work/journals?to_review=true").json()]
    review = {"approve": True, "version": sub.json()["version"]}
    other = api_client(world.lead2)
    assert (
        other.post(f"/api/work/journals/{j['id']}/review", review, content_type="application/json").status_code == 404
    )
    rev = lead.post(f"/api/work/journals/{j['id']}/review", review, content_type="application/json")
    assert rev.json()["status"] == "approved"
