"""The private iCal feed (SPEC §3, rmdesk.core.ical): parses with the icalendar library, lists only the
person's own appointments, schedule days and due tasks, hides customer names unless chosen, and answers
404 once revoked or for any unknown token."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from rmdesk.core import notices
from rmdesk.core.models import CalendarFeed
from rmdesk.work.models import Appointment, ScheduleItem, Task, VisitSchedule

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def diary(world, make_customer):
    today = timezone.localdate()
    mine = make_customer(world.rm, name="王富贵")
    theirs = make_customer(world.rm2, name="李四海")
    start = datetime.combine(today + timedelta(days=2), datetime.min.time(), SH).replace(hour=10)
    out = {}
    for key, owner, customer in (("mine", world.rm, mine), ("theirs", world.rm2, theirs)):
        out[key] = Appointment.objects.create(
            owner=owner,
            org_path=owner.team.path,
            customer=customer,
            subject=f"{customer.name}理财到期沟通",
            start_at=start,
            end_at=start + timedelta(hours=1),
            place="客户家中",
        )
    schedule = VisitSchedule.objects.create(owner=world.rm, org_path=world.rm.team.path, week_start=today)
    out["item"] = ScheduleItem.objects.create(schedule=schedule, customer=mine, day=today + timedelta(days=1))
    out["task"] = Task.objects.create(owner=world.rm, org_path=world.rm.team.path, title="回访王富贵", due_on=today)
    Task.objects.create(owner=world.rm2, org_path=world.rm2.team.path, title="别人的待办", due_on=today)
    return out


def _feed(client, world, token):
    response = client.get(reverse("core:ical_feed", args=[token]))
    return response, (Calendar.from_ical(response.content) if response.status_code == 200 else None)


def test_the_feed_lists_only_ones_own_items_without_customer_names(world, diary, client):
    _feed_row, token = notices.issue_calendar_feed(world.rm)
    response, cal = _feed(client, world, token)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    events = {str(e["uid"]): e for e in cal.walk("VEVENT")}
    assert set(events) == {
        f"work-appointment-{diary['mine'].pk}@rmdesk",
        f"work-schedule-item-{diary['item'].pk}@rmdesk",
        f"work-task-{diary['task'].pk}@rmdesk",
    }
    appointment = events[f"work-appointment-{diary['mine'].pk}@rmdesk"]
    assert str(appointment["summary"]) == "客户预约" and "location" not in appointment
    assert appointment.decoded("dtstart") == diary["mine"].start_at
    assert str(appointment.decoded("dtstart").tzinfo) in ("Asia/Shanghai", "CST")
    body = response.content.decode()
    assert "王富贵" not in body and "李四海" not in body and "别人的待办" not in body


def test_customer_names_only_when_chosen(world, diary, client):
    _feed_row, token = notices.issue_calendar_feed(world.rm, show_customer_names=True)
    _response, cal = _feed(client, world, token)
    summaries = sorted(str(e["summary"]) for e in cal.walk("VEVENT"))
    assert summaries == ["待办：回访王富贵", "拜访：王富贵", "王富贵理财到期沟通（王富贵）"]


def test_revoked_replaced_and_unknown_tokens_answer_404(world, diary, client):
    _row, old = notices.issue_calendar_feed(world.rm)
    _row, new = notices.issue_calendar_feed(world.rm)  # a new address replaces the old one
    assert _feed(client, world, old)[0].status_code == 404
    assert _feed(client, world, new)[0].status_code == 200
    assert CalendarFeed.objects.filter(user=world.rm, revoked_at__isnull=True).count() == 1
    assert CalendarFeed.objects.get(revoked_at__isnull=True).token_hash != new  # only the hash is stored
    notices.revoke_calendar_feed(world.rm)
    assert _feed(client, world, new)[0].status_code == 404
    assert _feed(client, world, "x" * 43)[0].status_code == 404
    world.rm.is_active = False
    world.rm.save()
    _row, token = notices.issue_calendar_feed(world.rm2)
    assert _feed(client, world, token)[0].status_code == 200


def test_the_page_issues_shows_once_and_revokes(world, diary, client):
    client.force_login(world.rm)
    page = client.post(reverse("core:my_notices"), {"feed": "issue"})
    html = page.content.decode()
    assert page.status_code == 200 and "/core/ical/" in html
    url = html.split('data-testid="feed-url"')[0].rsplit('value="', 1)[1].split('"', 1)[0]
    client.logout()
    assert client.get(url).status_code == 200  # no sign-in needed: the address is the key
    client.force_login(world.rm)
    assert "/core/ical/" not in client.get(reverse("core:my_notices")).content.decode()  # shown once
    client.post(reverse("core:my_notices"), {"feed": "revoke"})
    assert client.get(url).status_code == 404


def test_preferences_page_keeps_errors_next_to_the_field(world, client):
    client.force_login(world.rm)
    page = client.post(reverse("core:my_notices"), {"quiet_from": "21:00"})
    assert page.status_code == 200 and "免打扰时段须同时填写开始和结束时间。" in page.content.decode()
    ok = client.post(
        reverse("core:my_notices"), {"quiet_from": "21:00", "quiet_until": "08:00", "opted_out": ["task_due"]}
    )
    assert ok.status_code == 302
    assert world.rm.notice_preference.opted_out == ["task_due"]
