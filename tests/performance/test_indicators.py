"""The indicators the customer archive, daily work and service declare for assessment (SPEC §9), on
hand-made rows: exact figures per RM for a period, computed for many RMs at once, the rows counted for the
drill-down in the viewer's scope, and the registry that holds them."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from rmdesk.core.indicators import registry, rollup

pytestmark = pytest.mark.django_db
D = Decimal
SH = ZoneInfo("Asia/Shanghai")
MARCH = (date(2026, 3, 1), date(2026, 3, 31))


def at(day, hour=10):
    return (
        datetime(2026, 3, day, hour, tzinfo=SH)
        if isinstance(day, int)
        else datetime.combine(day, datetime.min.time(), SH)
    )


def compute(code, rm_ids):
    return registry()[code].compute(*MARCH, rm_ids)


def test_registry_holds_the_three_apps_indicators():
    codes = set(registry())
    assert {
        "customers.new_customers", "customers.aum", "customers.aum_growth", "customers.completeness",
        "customers.tier_upgrades", "customers.high_end", "work.contacts", "work.visit_completion",
        "work.journal_punctuality", "service.satisfaction", "service.valid_complaints", "service.key_churn",
    } <= codes  # fmt: skip


def test_customer_indicators(world, make_customer):
    from rmdesk.customers.models import Customer, Tier, TierChange

    gold, standard = Tier.objects.get(code="gold"), Tier.objects.get(code="standard")
    old = make_customer(world.rm, aum=D("1000000"), completeness=80, tier=gold)
    Customer.objects.filter(pk=old.pk).update(created_at=at(date(2025, 6, 1)))
    new1 = make_customer(world.rm, aum=D("200000"), completeness=40, tier=standard)
    Customer.objects.filter(pk=new1.pk).update(created_at=at(5))
    new2 = make_customer(world.rm, aum=D("50000"), completeness=60)
    Customer.objects.filter(pk=new2.pk).update(created_at=at(31, 23))
    april = make_customer(world.rm, aum=D("1"), completeness=0)
    Customer.objects.filter(pk=april.pk).update(created_at=datetime(2026, 4, 1, 0, 0, tzinfo=SH))
    other = make_customer(world.rm_b, aum=D("30000"), completeness=100, tier=gold)
    Customer.objects.filter(pk=other.pk).update(created_at=at(2))
    TierChange.objects.create(customer=old, direction="up", at=at(9), a_rm=world.rm, to_tier=gold)
    TierChange.objects.create(customer=old, direction="down", at=at(10), a_rm=world.rm)
    TierChange.objects.create(customer=other, direction="up", at=at(date(2026, 2, 28)), a_rm=world.rm_b)
    ids = [world.rm.pk, world.rm_b.pk, world.rm2.pk]

    new = compute("customers.new_customers", ids)
    assert (new[world.rm.pk].value, new[world.rm_b.pk].value) == (D(2), D(1)) and world.rm2.pk not in new
    aum = compute("customers.aum", ids)
    assert aum[world.rm.pk].value == D("125.0001")  # 万元: 1,250,001 yuan
    growth = compute("customers.aum_growth", ids)[world.rm.pk]
    # 250,000 new over the rest of the book (1,000,001)
    assert (growth.numerator, growth.denominator) == (D("250000"), D("1000001"))
    assert growth.value == (D(250000) / D(1000001) * 100).quantize(D("0.0001"))
    comp = compute("customers.completeness", ids)
    assert comp[world.rm.pk].value == D(45) and comp[world.rm_b.pk].value == D(100)  # (80+40+60+0)/4
    assert rollup(comp.values()).value == D(56)  # (180 + 100) / 5, not the mean of means
    ups = compute("customers.tier_upgrades", ids)
    assert ups == {world.rm.pk: ups[world.rm.pk]} and ups[world.rm.pk].value == D(1)
    high = compute("customers.high_end", ids)
    assert (high[world.rm.pk].value, high[world.rm_b.pk].value) == (D(1), D(1))
    # drill-down: the rows counted, in the viewer's scope (rm2 sees none of rm's customers)
    rec = registry()["customers.new_customers"].records
    assert set(rec(world.lead, world.rm.pk, *MARCH)) == {new1, new2}
    assert not rec(world.rm2, world.rm.pk, *MARCH).exists()


def test_work_indicators(world, make_customer):
    from rmdesk.work.models import Interaction, Journal, JournalTemplate, ScheduleItem, VisitSchedule

    a, b, c = (make_customer(world.rm) for _ in range(3))
    for day, customer, who in ((3, a, world.rm), (4, a, world.rm), (20, b, world.rm), (5, c, world.rm_b)):
        Interaction.objects.create(
            customer=customer, kind="phone", occurred_at=at(day), recorded_by=who, purpose="维护"
        )
    Interaction.objects.create(
        customer=a, kind="phone", occurred_at=at(date(2026, 4, 1)), recorded_by=world.rm, purpose="x"
    )
    week = VisitSchedule.objects.create(owner=world.rm, week_start=date(2026, 3, 2))
    ScheduleItem.objects.create(schedule=week, customer=a, day=date(2026, 3, 4))  # visited that day
    ScheduleItem.objects.create(schedule=week, customer=b, day=date(2026, 3, 5))  # visited later (20th)
    ScheduleItem.objects.create(schedule=week, customer=c, day=date(2026, 3, 6))  # only rm_b visited c
    template = JournalTemplate.objects.order_by("id").first()
    for due, sent in ((date(2026, 3, 10), at(10, 23)), (date(2026, 3, 11), at(12, 9)), (date(2026, 3, 20), None)):
        Journal.objects.create(
            template=template, owner=world.rm, period_start=due - timedelta(days=1), period_end=due - timedelta(days=1),
            due_on=due, submitted_at=sent, status="submitted" if sent else "draft",
        )  # fmt: skip
    ids = [world.rm.pk, world.rm_b.pk]
    contacts = compute("work.contacts", ids)
    assert (contacts[world.rm.pk].value, contacts[world.rm_b.pk].value) == (D(3), D(1))
    visits = compute("work.visit_completion", ids)[world.rm.pk]
    assert (visits.numerator, visits.denominator) == (D(2), D(3))
    punctual = compute("work.journal_punctuality", ids)[world.rm.pk]
    assert (punctual.numerator, punctual.denominator) == (
        D(1),
        D(3),
    )  # 23:00 on the due day counts; late and unsent do not
    assert registry()["work.contacts"].records(world.rm, world.rm.pk, *MARCH).count() == 3


def test_service_indicators(world, make_customer):
    from rmdesk.customers.models import Tier
    from rmdesk.service.models import Case, CaseCategory, ChurnEvent

    gold = Tier.objects.get(code="gold")
    kept = [make_customer(world.rm, tier=gold) for _ in range(3)]
    lost = make_customer(world.rm, tier=None)
    ChurnEvent.objects.create(
        customer=lost, tier=gold, occurred_on=date(2026, 3, 15), rm=world.rm, org_path=world.t1.path
    )
    ChurnEvent.objects.create(
        customer=lost, tier=None, occurred_on=date(2026, 3, 16), rm=world.rm, org_path=world.t1.path
    )
    churn = compute("service.key_churn", [world.rm.pk])[world.rm.pk]
    assert (churn.numerator, churn.denominator, churn.value) == (D(1), D(4), D(25))
    category = CaseCategory.objects.first() or CaseCategory.objects.create(code="x", name="服务")
    common = {
        "channel": "phone",
        "category": category,
        "title": "投诉",
        "description": "d",
        "responsible_unit": world.t1,
    }
    for valid, staff, day in ((True, world.rm, 3), (True, None, 4), (False, world.rm, 5), (True, world.rm, 40)):
        Case.objects.create(
            customer=kept[0], owner=world.rm_b, registered_by=world.lead, is_valid=valid, responsible_staff=staff,
            registered_at=at(day) if day < 32 else at(date(2026, 4, 9)), org_path=world.t1.path,
            customer_path=world.t1.path, **common,
        )  # fmt: skip
    complaints = compute("service.valid_complaints", [world.rm.pk, world.rm_b.pk])
    # one valid against rm (responsible staff), one against the case owner rm_b (no staff named)
    assert (complaints[world.rm.pk].value, complaints[world.rm_b.pk].value) == (D(1), D(1))
    assert registry()["service.valid_complaints"].direction == "lower"
