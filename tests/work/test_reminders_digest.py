"""Reminders, appointment reminders, daily digest e-mail and the periodic command (SPEC §3)."""

from datetime import date, datetime, time, timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from rmdesk.core.models import Notification
from rmdesk.work import cadence, reminders, services
from rmdesk.work.digest import digest_for, send_digests
from rmdesk.work.models import Appointment, Task

pytestmark = pytest.mark.django_db


def test_birthday_and_key_date_reminders_are_deduplicated(world, make_customer):
    from rmdesk.customers.models import KeyDate

    today = date(2026, 11, 20)
    c = make_customer(world.rm, birth_date=date(1980, 11, 22))
    make_customer(world.rm, birth_date=date(1980, 12, 22))  # too far ahead
    other = make_customer(world.rm2, birth_date=date(1975, 11, 20))
    KeyDate.objects.create(customer=c, kind="anniversary", label="结婚纪念日", date=date(2010, 11, 21))
    assert reminders.birthday_reminders(today) == 3
    assert reminders.birthday_reminders(today) == 3  # same reminders, no new rows
    titles = sorted(Notification.objects.filter(recipient=world.rm).values_list("title", flat=True))
    assert titles == [f"客户 {c.name} 11-21：结婚纪念日", f"客户 {c.name} 11-22 生日"]
    assert Notification.objects.get(recipient=world.rm2).title == f"客户 {other.name} 今天 生日"


def test_appointment_reminder_fires_once_inside_its_window(world, make_customer):
    c = make_customer(world.rm)
    now = timezone.now()
    soon = services.create_appointment(
        world.rm, c.pk, subject="面谈", start_at=now + timedelta(minutes=30), remind_minutes=60
    )
    later = services.create_appointment(
        world.rm, c.pk, subject="回访", start_at=now + timedelta(hours=5), remind_minutes=60
    )
    assert reminders.appointment_reminders(now) == 1
    assert reminders.appointment_reminders(now) == 0
    n = Notification.objects.get(recipient=world.rm, kind="appointment")
    assert n.object_id == str(soon.pk) and "面谈" in n.title
    assert reminders.appointment_reminders(now + timedelta(hours=4, minutes=5)) == 1
    later.refresh_from_db()
    assert later.reminded_at is not None


def test_digest_lists_exactly_the_users_due_items(world, make_customer, tiers, local_dt):
    old = local_dt(2025, 1, 1)
    mine_overdue = make_customer(world.rm, tier=tiers["gold"], created_at=old)
    make_customer(world.rm, tier=tiers["diamond"], created_at=timezone.now())  # not due
    b_post = make_customer(world.rm_t1b, tier=tiers["gold"], created_at=old, b_rm=world.rm, unit=world.t1b)
    theirs = make_customer(world.rm2, tier=tiers["gold"], created_at=old)
    cadence.recompute_all()
    today = timezone.localdate()
    tz = timezone.get_current_timezone()
    at = datetime.combine(today, time(15, 0), tz)
    appt = Appointment.objects.create(
        owner=world.rm,
        org_path=world.t1.path,
        customer=mine_overdue,
        subject="面谈",
        start_at=at,
        end_at=at + timedelta(hours=1),
    )
    Appointment.objects.create(
        owner=world.rm2,
        org_path=world.t2.path,
        customer=theirs,
        subject="别人的",
        start_at=at,
        end_at=at + timedelta(hours=1),
    )
    t_due = Task.objects.create(owner=world.rm, org_path=world.t1.path, title="寄送资料", due_on=today)
    Task.objects.create(owner=world.rm, org_path=world.t1.path, title="下月再办", due_on=today + timedelta(days=30))
    Task.objects.create(owner=world.rm2, org_path=world.t2.path, title="别人的待办", due_on=today)
    j = services.open_journal(world.rm, "daily_summary", today)
    d = digest_for(world.rm, today)
    assert [s.customer_id for s in d["contacts"]] == [mine_overdue.pk]  # A-post only, not the B-post one
    assert b_post.pk not in [s.customer_id for s in d["contacts"]]
    assert d["appointments"] == [appt]
    assert d["tasks"] == [t_due]
    assert d["journals"] == [j]
    assert d["reviews"] == [] and d["late_submissions"] == []
    # the lead's digest: the submitted journal waits for review; nothing of rm's own lists
    j.content = {"done": "完成3户拜访", "issues": "无"}
    j.save()
    services.submit_journal(world.rm, j.pk, version=j.version)
    lead = digest_for(world.lead, today)
    assert lead["reviews"] == [j] and lead["contacts"] == [] and lead["tasks"] == []
    assert [n.kind for n in lead["notifications"]] == ["journal.review"]


def test_send_digests_to_every_user_with_email(world, make_customer, tiers, local_dt):
    make_customer(world.rm, tier=tiers["gold"], created_at=local_dt(2025, 1, 1), name="逾期客户甲")
    cadence.recompute_all()
    for u in (world.rm, world.rm2):
        u.email = f"{u.username}@bank.example"
        u.save()
    mail.outbox.clear()
    assert send_digests() == 2  # rm2 has nothing due and still gets the (quiet) digest
    msg = next(m for m in mail.outbox if m.to == ["rm@bank.example"])
    assert msg.to == ["rm@bank.example"] and "工作提醒" in msg.subject and "逾期客户甲" in msg.body


def test_run_periodic_command(world, make_customer, tiers, local_dt):
    make_customer(world.rm, tier=tiers["gold"], created_at=local_dt(2025, 1, 1))
    world.rm.email = "rm@bank.example"
    world.rm.save()
    out = StringIO()
    mail.outbox.clear()
    call_command("run_periodic", stdout=out)
    text = out.getvalue()
    assert "cadence:" in text and "reminders:" in text and "digest: 1" in text
    assert Notification.objects.filter(recipient=world.rm, kind="contacts_due").count() == 1
    call_command("run_periodic", "--only", "reminders", stdout=StringIO())
    assert Notification.objects.filter(recipient=world.rm, kind="contacts_due").count() == 1
    out = StringIO()
    call_command("recompute_cadence", "--from-interactions", stdout=out)
    assert "cadence:" in out.getvalue()


def test_tasks_enqueue_inline(world):
    from rmdesk.work.tasks import daily_jobs

    result = daily_jobs.enqueue()
    assert result.status == "SUCCESSFUL" or str(result.status).endswith("SUCCESSFUL")
