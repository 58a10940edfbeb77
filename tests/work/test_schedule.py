"""Weekly visit schedule (客户访问日程表): generation from cadence, appointments and area; edits;
confirmation; print and PDF; team completion (SPEC §3)."""

from datetime import date, datetime, time, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from rmdesk.core.actions import StaleVersion
from rmdesk.work import cadence, services
from rmdesk.work.models import Appointment, Interaction, ScheduleItem, VisitSchedule
from rmdesk.work.periods import next_monday

pytestmark = pytest.mark.django_db

WEEK = date(2026, 12, 7)  # an ordinary week (no holiday)


@pytest.fixture
def book(world, make_customer, tiers, local_dt):
    """rm's customers: two overdue in 鼓楼区, one overdue in 玄武区, one fresh (not due), one without a rule;
    rm_b's and rm2's overdue customers must never land on rm's schedule; one appointment on Wednesday."""
    old = local_dt(2025, 1, 1)
    c = {
        "g1": make_customer(world.rm, tier=tiers["gold"], created_at=old, address="南京市鼓楼区湖南路1号"),
        "g2": make_customer(world.rm, tier=tiers["gold"], created_at=old, address="南京市鼓楼区中山路2号"),
        "x1": make_customer(world.rm, tier=tiers["gold"], created_at=old, address="南京市玄武区珠江路3号"),
        "fresh": make_customer(world.rm, tier=tiers["diamond"], created_at=local_dt(2026, 11, 30)),
        "norule": make_customer(world.rm, tier=tiers["standard"], created_at=old),
        "b_post": make_customer(world.rm_t1b, tier=tiers["gold"], created_at=old, b_rm=world.rm, unit=world.t1b),
        "other": make_customer(world.rm2, tier=tiers["gold"], created_at=old),
        "appt": make_customer(
            world.rm, tier=tiers["diamond"], created_at=local_dt(2026, 11, 30), address="南京市江宁区"
        ),
    }
    cadence.recompute_all(today=date(2026, 12, 4))
    tz = timezone.get_current_timezone()
    Appointment.objects.create(
        owner=world.rm,
        org_path=world.t1.path,
        customer=c["appt"],
        subject="签约",
        start_at=datetime.combine(WEEK + timedelta(days=2), time(14, 0), tz),
        end_at=datetime.combine(WEEK + timedelta(days=2), time(15, 0), tz),
    )
    return c


def test_generation_respects_cadence_appointments_area_and_scope(world, book):
    s = services.generate_schedule(world.rm, WEEK)
    items = {i.customer_id: i for i in s.items.all()}
    assert set(items) == {book[k].pk for k in ("g1", "g2", "x1", "appt")}
    assert items[book["appt"].pk].day == WEEK + timedelta(days=2) and items[book["appt"].pk].source == "appointment"
    assert items[book["g1"].pk].day == items[book["g2"].pk].day  # same district, same day
    assert items[book["g1"].pk].area == "南京市鼓楼区"
    assert all(WEEK <= i.day <= WEEK + timedelta(days=4) for i in items.values())


def test_per_day_capacity_and_working_days_only(world, make_customer, tiers, local_dt):
    for _ in range(8):
        make_customer(world.rm, tier=tiers["gold"], created_at=local_dt(2025, 1, 1))
    cadence.recompute_all(today=date(2026, 9, 25))
    # National Day week 2026: 1–7 Oct off, so only Mon 28 Sep – Wed 30 Sep are working days
    s = services.generate_schedule(world.rm, date(2026, 9, 28), per_day=2)
    days = [i.day for i in s.items.all()]
    assert len(days) == 6 and set(days) == {date(2026, 9, 28), date(2026, 9, 29), date(2026, 9, 30)}


def test_editing_and_confirming(world, book):
    week = next_monday(timezone.localdate())
    s = services.generate_schedule(world.rm, week)

    def v():  # the version the RM's page shows now
        return VisitSchedule.objects.get(pk=s.pk).version

    fresh = book["fresh"]
    item = services.add_schedule_item(world.rm, s.pk, fresh.pk, week, note="送生日贺卡", version=v())
    assert item.source == "manual"
    with pytest.raises(ValidationError):
        services.add_schedule_item(world.rm, s.pk, book["other"].pk, week, version=v())  # someone else's customer
    with pytest.raises(ValidationError):
        services.add_schedule_item(world.rm, s.pk, book["b_post"].pk, week, version=v())  # B-post: not the A-post's
    with pytest.raises(ValidationError):
        services.add_schedule_item(world.rm, s.pk, fresh.pk, week, version=v())  # already there
    services.move_schedule_item(world.rm, item.pk, day=week + timedelta(days=1), version=v())
    item.refresh_from_db()
    assert item.day == week + timedelta(days=1)
    second = services.add_schedule_item(world.rm, s.pk, book["norule"].pk, week + timedelta(days=1), version=v())
    services.move_schedule_item(world.rm, second.pk, direction="up", version=v())
    order = list(s.items.filter(day=week + timedelta(days=1)).values_list("customer_id", flat=True))
    assert order.index(book["norule"].pk) < order.index(fresh.pk)
    with pytest.raises(StaleVersion):
        services.remove_schedule_item(world.rm, second.pk, version=v() - 1)  # a stale page changes nothing
    with pytest.raises(ValidationError) as exc:
        services.remove_schedule_item(world.rm, second.pk, version=None)  # the version is required
    assert "version" in exc.value.error_dict
    assert s.items.filter(customer=book["norule"]).exists()
    services.remove_schedule_item(world.rm, second.pk, version=v())
    assert not s.items.filter(customer=book["norule"]).exists()
    # regenerating keeps manual items
    s = services.generate_schedule(world.rm, week)
    assert s.items.filter(customer=fresh, source="manual").exists()
    with pytest.raises(StaleVersion):
        services.confirm_schedule(world.rm, s.pk, version=s.version - 1)  # stale copy
    with pytest.raises(PermissionDenied):
        services.confirm_schedule(world.lead, s.pk, version=s.version)  # the lead sees it but it is the RM's
    services.confirm_schedule(world.rm, s.pk, version=s.version)
    with pytest.raises(ValidationError):
        services.add_schedule_item(world.rm, s.pk, book["norule"].pk, week, version=v())
    with pytest.raises(ValidationError):
        services.generate_schedule(world.rm, week)


def test_completion_rate_and_team_view(client, world, book):
    s = services.generate_schedule(world.rm, WEEK)
    Interaction.objects.create(
        customer=book["g1"],
        kind="visit",
        occurred_at=datetime.combine(WEEK + timedelta(days=1), time(10), timezone.get_current_timezone()),
        recorded_by=world.rm,
        purpose="拜访",
    )
    assert services.schedule_completion(s) == (1, 4)
    client.force_login(world.lead)
    page = client.get(f"/work/schedule/team/?week={WEEK.isoformat()}").content.decode()
    assert "25%" in page and "rm_b" in page
    assert client.get(f"/work/schedule/{s.pk}/").status_code == 200
    client.force_login(world.lead2)
    assert client.get(f"/work/schedule/{s.pk}/").status_code == 404
    assert "rm_b" not in client.get(f"/work/schedule/team/?week={WEEK.isoformat()}").content.decode()


def test_schedule_pages_print_and_pdf(client, world, book):
    client.force_login(world.rm)
    week = next_monday(timezone.localdate())
    resp = client.post(f"/work/schedule/?week={week.isoformat()}", {"action": "generate"})
    assert resp.status_code == 302
    s = VisitSchedule.objects.get(owner=world.rm, week_start=week)
    page = client.get(f"/work/schedule/?week={week.isoformat()}").content.decode()
    assert book["g1"].name in page and book["other"].name not in page
    printed = client.get(f"/work/schedule/{s.pk}/print/").content.decode()
    assert "客户访问日程表" in printed and book["g1"].name in printed
    pdf = client.get(f"/work/schedule/{s.pk}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content[:4] == b"%PDF"
    client.post(f"/work/schedule/?week={week.isoformat()}", {"action": "confirm", "version": s.version})
    s.refresh_from_db()
    assert s.status == "confirmed"
    assert ScheduleItem.objects.filter(schedule=s).exists()
