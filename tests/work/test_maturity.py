"""Product-maturity reminders (SPEC §3 "Reminders"): open holdings with a balance maturing within the
window are announced once to the customer's A-post RM, and once more on the day itself."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from rmdesk.core.models import Notification
from rmdesk.core.notifications import mark_read
from rmdesk.customers.models import Holding, Product
from rmdesk.work import reminders
from rmdesk.work.digest import send_digest

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 20)


def holding(customer, matures_on, *, balance="500000", closed_on=None, code="DEP-FIX1Y", account="A1"):
    return Holding.objects.create(
        customer=customer,
        product=Product.objects.get(code=code),
        account_no=account,
        balance=Decimal(balance),
        opened_on=date(2025, 11, 30),
        closed_on=closed_on,
        matures_on=matures_on,
    )


def maturity_notes():
    return Notification.objects.filter(kind="maturity")


def test_a_holding_maturing_in_ten_days_is_announced_once_to_the_a_post_rm(world, make_customer):
    c = make_customer(world.rm, b_rm=world.rm_b, name="张伟明")
    h = holding(c, TODAY + timedelta(days=10), balance="1234567.8")
    make_customer(world.rm2)  # another RM's customer without holdings
    assert reminders.maturity_reminders(TODAY) == 1
    n = maturity_notes().get()
    assert n.recipient == world.rm
    assert n.title == "产品到期：张伟明 一年期定期存款 1,234,567.80 于 2026-11-30 到期"
    assert n.url == reverse("customers:detail", args=[c.pk])
    assert (n.object_type, n.object_id) == ("customers.holding", str(h.pk))
    assert not Notification.objects.filter(recipient__in=[world.rm_b, world.rm2, world.lead]).exists()
    # a second run the same day, and the next days after the RM read it: nothing new
    assert reminders.maturity_reminders(TODAY) == 0
    mark_read(world.rm)
    assert reminders.maturity_reminders(TODAY + timedelta(days=1)) == 0
    assert maturity_notes().count() == 1
    # on the day itself, one more
    assert reminders.maturity_reminders(TODAY + timedelta(days=10)) == 1
    assert reminders.maturity_reminders(TODAY + timedelta(days=10)) == 0
    day = maturity_notes().latest("id")
    assert day.recipient == world.rm and day.title.startswith("产品今日到期：张伟明 一年期定期存款")
    # a renewed holding (new maturity date) is announced again when its new date comes near
    h.matures_on = TODAY + timedelta(days=375)
    h.save()
    assert reminders.maturity_reminders(TODAY + timedelta(days=350)) == 1


def test_closed_zero_balance_out_of_window_and_pool_holdings_produce_none(world, make_customer):
    c = make_customer(world.rm)
    holding(c, TODAY + timedelta(days=5), closed_on=TODAY - timedelta(days=1), account="closed")
    holding(c, TODAY + timedelta(days=5), balance="0", account="empty")
    holding(c, TODAY + timedelta(days=31), account="beyond")
    holding(c, TODAY - timedelta(days=1), account="past")
    holding(c, None, account="no-date")
    holding(make_customer(world.rm, is_anonymised=True), TODAY + timedelta(days=5), account="anon")
    pool = make_customer(None, unit=world.t1)  # unassigned pool: no A-post RM, nobody is told (docs/work.md)
    holding(pool, TODAY + timedelta(days=5), account="pool")
    assert reminders.maturity_reminders(TODAY) == 0
    assert not maturity_notes().exists()
    # the edge of the window is inside it
    holding(c, TODAY + timedelta(days=30), account="edge")
    assert reminders.maturity_reminders(TODAY) == 1
    assert maturity_notes().get().recipient == world.rm


def test_window_is_configurable(world, make_customer, settings):
    holding(make_customer(world.rm), TODAY + timedelta(days=45))
    assert reminders.maturity_reminders(TODAY) == 0
    settings.RMDESK_MATURITY_REMINDER_DAYS = 60
    assert reminders.maturity_reminders(TODAY) == 1
    assert reminders.maturity_reminders(TODAY, days_ahead=7) == 0


def test_daily_reminders_and_digest_carry_maturities(world, make_customer):
    c = make_customer(world.rm, name="李小红")
    holding(c, TODAY + timedelta(days=3), code="WM-STABLE", balance="80000")
    counts = reminders.generate_reminders(TODAY)
    assert counts["maturities"] == 1
    assert reminders.generate_reminders(TODAY)["maturities"] == 0
    world.rm.email = "rm@bank.example"
    world.rm.save()
    mail.outbox.clear()
    assert send_digest(world.rm, TODAY)
    assert "产品到期：李小红 稳盈理财90天 80,000.00 于 2026-11-23 到期" in mail.outbox[0].body
