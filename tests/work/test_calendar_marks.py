"""Deadlines computed on an unconfirmed calendar year are marked (SPEC §3 business calendar, decision
22, issue 10): journal due dates, follow-up tasks and schedules on the work pages, SLA deadlines on the
case pages show "节假日安排未确认" until an administrator confirms the year."""

from datetime import date, datetime

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.utils import timezone

from rmdesk.core import calendar
from rmdesk.core.models import CalendarYear
from rmdesk.core.templatetags.bizcal import unconfirmed_mark
from rmdesk.service import services as service_services
from rmdesk.service.defaults import seed as seed_service
from rmdesk.service.models import CaseCategory
from rmdesk.work import services
from rmdesk.work.models import Task, TaskSource

pytestmark = pytest.mark.django_db

MARK = "节假日安排未确认"
FAR = 2031  # a year chinese-calendar cannot know yet


@pytest.fixture(autouse=True)
def _fresh_calendar():
    calendar.clear_cache()
    yield
    calendar.clear_cache()


def test_the_mark_follows_the_calendar():
    assert not calendar.year_confirmed(FAR) and calendar.year_confirmed(2026)
    assert unconfirmed_mark(date(2026, 10, 8)) == "" and unconfirmed_mark(None) == ""
    html = unconfirmed_mark(date(FAR, 1, 6))
    assert MARK in html and f'data-calendar-unconfirmed="{FAR}"' in html and "title=" in html
    aware = timezone.make_aware(datetime(FAR, 3, 2, 17))
    assert MARK in unconfirmed_mark(aware)
    CalendarYear.objects.create(year=FAR, confirmed=True)
    calendar.clear_cache()
    assert unconfirmed_mark(date(FAR, 1, 6)) == ""


def test_journal_pages_mark_a_due_date_in_an_unconfirmed_year(client, world):
    late = services.open_journal(world.rm, "monthly_sales_analysis", date(FAR - 1, 12, 10))  # due in January FAR
    known = services.open_journal(world.rm, "monthly_sales_analysis", date(2026, 9, 10))  # due 2026-10-08
    assert late.due_on.year == FAR
    client.force_login(world.rm)
    assert MARK in client.get(f"/work/journals/{late.pk}/").content.decode()
    assert MARK not in client.get(f"/work/journals/{known.pk}/").content.decode()
    listing = client.get("/work/journals/").content.decode()
    assert listing.count(MARK) == 1 and f'data-calendar-unconfirmed="{FAR}"' in listing
    # the supervisor's list of overdue submissions marks one due in a past unconfirmed year (2003 is
    # before chinese-calendar's first year)
    old = services.open_journal(world.rm, "monthly_sales_analysis", date(2003, 3, 10))
    assert old.is_overdue and not calendar.year_confirmed(2003)
    client.force_login(world.lead)
    reviews = client.get("/work/reviews/").content.decode()
    assert reviews.count(MARK) == 1 and 'data-calendar-unconfirmed="2003"' in reviews
    # English
    client.force_login(world.rm)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "Holidays not confirmed" in client.get(f"/work/journals/{late.pk}/").content.decode()
    # once an administrator confirms the year the mark goes
    CalendarYear.objects.create(year=FAR, confirmed=True)
    calendar.clear_cache()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    assert MARK not in client.get(f"/work/journals/{late.pk}/").content.decode()


def test_follow_up_tasks_are_marked_but_manual_dates_are_not(client, world, make_customer):
    c = make_customer(world.rm)
    due = date(FAR, 2, 3)
    Task.objects.create(owner=world.rm, customer=c, title="移交跟进", source=TaskSource.HANDOVER, due_on=due)
    Task.objects.create(owner=world.rm, customer=c, title="手工待办", source=TaskSource.MANUAL, due_on=due)
    client.force_login(world.rm)
    html = client.get("/work/tasks/").content.decode()
    assert html.count(MARK) == 1


def test_case_pages_mark_sla_deadlines_in_an_unconfirmed_year(client, world, make_customer):
    seed_service(django_apps)
    cat = CaseCategory.objects.get(code="attitude")
    c = make_customer(world.rm)

    def register(when, title):
        return service_services.register_case(
            world.rm,
            customer_id=c.pk,
            kind="complaint",
            channel="branch",
            category_id=cat.pk,
            severity="normal",
            title=title,
            description="客户反映问题。",
            now=timezone.make_aware(when),
        )

    far = register(datetime(FAR, 3, 3, 10), "远期投诉")
    near = register(datetime(2026, 3, 3, 10), "近期投诉")
    assert far.answer_due_at.year == FAR and near.answer_due_at.year == 2026
    client.force_login(world.rm)
    detail = client.get(f"/service/{far.pk}/").content.decode()
    assert detail.count(MARK) == 2  # 受理时限 and 答复时限
    assert MARK not in client.get(f"/service/{near.pk}/").content.decode()
    assert client.get("/service/").content.decode().count(MARK) == 1


def test_the_digest_mail_marks_due_dates_in_an_unconfirmed_year(world):
    from django.core import mail

    from rmdesk.work.digest import send_digest

    services.open_journal(world.rm, "monthly_sales_analysis", date(2003, 3, 10))  # overdue, 2003 unconfirmed
    services.open_journal(world.rm, "monthly_sales_analysis", date(2026, 9, 10))  # overdue, 2026 known
    world.rm.email = "rm@bank.example"
    world.rm.save()
    mail.outbox.clear()
    assert send_digest(world.rm)
    msg = mail.outbox[0]
    lines = [line for line in msg.body.splitlines() if "客户月度销售情况分析报告" in line]
    assert len(lines) == 2
    assert [("节假日安排未确认" in line) for line in lines] == [("2003-" in line) for line in lines]
    assert msg.alternatives[0][0].count("节假日安排未确认") == 1
