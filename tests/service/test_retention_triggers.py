"""Retention triggers (SPEC §5 churn watch; seed 004 话费异动 and 零话费/欠费停机), as the telecom pack
configures them: a bill that fell by 30 % or more, or a zero bill, puts the subscriber on the watch list with
a call for the RM due in 3 working days and the seed's script on the entry; nothing fires twice."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from rmdesk.core.calendar import add_working_days
from rmdesk.core.models import AuditEvent
from rmdesk.packs.services import apply_pack
from rmdesk.service import churn
from rmdesk.service.models import (
    RetentionAction,
    RetentionKind,
    RetentionTrigger,
    TriggerKind,
    WatchEntry,
    WatchReason,
)

FRIDAY = datetime(2026, 12, 4, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def telecom(db):
    apply_pack("telecom")


def bill(now, before):
    return {"monthly_spend": str(now), "monthly_spend_prev": str(before)}


def test_a_bill_drop_puts_the_subscriber_on_watch_with_a_scripted_call(telecom, world, make_customer):
    dropped = make_customer(world.rm, metrics=bill(120, 400))  # -70 %
    slight = make_customer(world.rm, metrics=bill(380, 400))  # -5 %: no call
    silent = make_customer(world.rm2, metrics=bill(0, 260))  # 零话费
    no_bill = make_customer(world.rm)  # no billing figures: nothing to compare

    result = churn.scan(now=FRIDAY)

    assert result["triggered"] == 2
    entry = WatchEntry.objects.get(customer=dropped)
    assert (entry.reason, entry.trigger.code, entry.assigned_to) == (WatchReason.TRIGGER, "bill_drop", world.rm)
    assert "120" in entry.note and "400" in entry.note
    call = RetentionAction.objects.get(entry=entry)
    assert (call.kind, call.assigned_to, call.created_by) == (RetentionKind.CALL, world.rm, None)
    assert call.due_on == add_working_days(date(2026, 12, 4), 3) == date(2026, 12, 9)  # Fri + 3 working days
    # the zero bill is a 100 % drop as well: the zero trigger, the more specific, is the one that fires,
    # so the RM gets the 零话费/欠费停机 script (one entry per subscriber)
    assert WatchEntry.objects.get(customer=silent).trigger.code == "zero_bill"
    assert not WatchEntry.objects.filter(customer__in=[slight, no_bill]).exists()
    assert AuditEvent.objects.filter(action="service.retention_trigger").count() == 2
    assert world.rm.notifications.filter(kind="service.watch").exists()

    again = churn.scan(now=FRIDAY)
    assert again["triggered"] == 0 and WatchEntry.objects.count() == 2 and RetentionAction.objects.count() == 2


def test_the_rm_reads_the_script_on_the_watch_entry(telecom, world, make_customer, client):
    customer = make_customer(world.rm, metrics=bill(100, 300))
    churn.scan(now=FRIDAY)
    entry = WatchEntry.objects.get(customer=customer)
    client.force_login(world.rm)
    page = client.get(reverse("service:watch_detail", args=[entry.pk]))
    assert page.status_code == 200
    assert "我们很想了解一下您话费下降的原因" in page.text
    client.force_login(world.rm2)  # another outlet's RM: not in scope
    assert client.get(reverse("service:watch_detail", args=[entry.pk])).status_code == 404


def test_a_zero_bill_fires_the_zero_trigger(db, world, make_customer):
    RetentionTrigger.objects.create(
        code="zero", name="零话费", kind=TriggerKind.ZERO, metric="monthly_spend", script="您好", call_within_days=1
    )
    customer = make_customer(world.rm, metrics={"monthly_spend": "0.00"})
    paying = make_customer(world.rm, metrics={"monthly_spend": "58"})
    assert churn.scan(now=FRIDAY)["triggered"] == 1
    assert WatchEntry.objects.get(customer=customer).trigger.code == "zero"
    assert RetentionAction.objects.get(entry__customer=customer).due_on == date(2026, 12, 7)
    assert not WatchEntry.objects.filter(customer=paying).exists()


def test_an_inactive_trigger_or_unreadable_figures_fire_nothing(db, world, make_customer):
    trigger = RetentionTrigger.objects.create(
        code="drop",
        name="下降",
        kind=TriggerKind.DROP,
        metric="monthly_spend",
        previous_metric="monthly_spend_prev",
        drop_percent=30,
        script="您好",
        is_active=False,
    )
    make_customer(world.rm, metrics=bill(10, 100))
    make_customer(world.rm, metrics={"monthly_spend": "n/a", "monthly_spend_prev": "100"})
    assert churn.scan(now=FRIDAY)["triggered"] == 0
    trigger.is_active = True
    trigger.save()
    assert churn.scan(now=FRIDAY)["triggered"] == 1  # the unreadable figure is skipped, not a crash


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"previous_metric": "", "drop_percent": 30}, "previous_metric"),
        ({"previous_metric": "prev", "drop_percent": None}, "drop_percent"),
        ({"previous_metric": "prev", "drop_percent": 130}, "drop_percent"),
    ],
)
def test_a_drop_trigger_needs_a_previous_figure_and_a_sane_percentage(db, fields, field):
    trigger = RetentionTrigger(code="x", name="x", kind=TriggerKind.DROP, metric="m", script="s", **fields)
    with pytest.raises(ValidationError) as exc:
        trigger.full_clean()
    assert field in exc.value.message_dict
