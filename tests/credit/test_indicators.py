"""Credit indicators for assessment (SPEC §9; rmdesk.core.indicators) on hand-made loans: exact figures per
RM, rates that roll up as the ratio of sums, classification as of the period's end, drill-down in scope."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from rmdesk.core.indicators import Measure, registry, rollup
from rmdesk.credit import indicators
from rmdesk.credit.models import AppStatus, ClassificationChange, CreditApplication, Loan, PostLoanCheck

pytestmark = pytest.mark.django_db

Q1 = (date(2026, 1, 1), date(2026, 3, 31))


def at(*args):
    return timezone.make_aware(datetime(*args))


@pytest.fixture
def book(world, make_application, make_customer):
    def loan(rm, ref, amount, start, end, *history):
        app = make_application(rm, customer=make_customer(rm))
        CreditApplication.objects.filter(pk=app.pk).update(status=AppStatus.APPROVED)
        last = history[-1][1] if history else "normal"
        row = Loan.objects.create(
            application=app,
            customer=app.customer,
            rm=rm,
            cms_ref=ref,
            amount=Decimal(amount),
            start_on=start,
            end_on=end,
            rate=Decimal("4.35"),
            classification=last,
            org_path=app.org_path,
            recorded_by=rm,
        )
        ClassificationChange.objects.create(loan=row, after="normal", by=rm, at=at(start.year, start.month, start.day))
        for when, after in history:
            ClassificationChange.objects.create(loan=row, before="normal", after=after, by=world.risk, at=when)
        return row

    l1 = loan(world.rm, "L1", "100000", date(2026, 1, 10), date(2027, 1, 10))
    l2 = loan(world.rm, "L2", "300000", date(2026, 2, 1), date(2027, 2, 1), (at(2026, 3, 15, 10), "substandard"))
    l3 = loan(world.rm, "L3", "50000", date(2025, 6, 1), date(2026, 2, 15))  # matured in February
    l4 = loan(world.rm2, "L4", "200000", date(2026, 3, 5), date(2027, 3, 5), (at(2026, 3, 20, 9), "special"))
    for seq, due, done in (
        (1, date(2026, 1, 25), at(2026, 1, 24, 16)),  # on time
        (2, date(2026, 3, 10), at(2026, 3, 12, 9)),  # late
        (3, date(2026, 3, 20), None),  # not done
        (4, date(2026, 4, 10), at(2026, 4, 1, 9)),  # due after the period
    ):
        PostLoanCheck.objects.create(loan=l1, seq=seq, due_on=due, done_at=done)
    # done late in the evening of its due day (local time): on time
    PostLoanCheck.objects.create(loan=l4, seq=1, due_on=date(2026, 3, 20), done_at=at(2026, 3, 20, 23, 30))
    return {"l1": l1, "l2": l2, "l3": l3, "l4": l4}


def values(result):
    return {k: v.value for k, v in result.items()}


def test_the_five_indicators_are_registered():
    codes = {c for c in registry() if c.startswith("credit.")}
    assert codes == {
        "credit.loans_granted",
        "credit.loans_granted_amount",
        "credit.loan_quality",
        "credit.npl_ratio",
        "credit.checks_on_time",
    }


def test_loans_granted_in_the_period(world, book):
    assert values(indicators.loans_granted(*Q1, None)) == {world.rm.pk: 2, world.rm2.pk: 1}
    assert values(indicators.loans_granted_amount(*Q1, None)) == {world.rm.pk: 40, world.rm2.pk: 20}
    assert values(indicators.loans_granted(*Q1, [world.rm2.pk])) == {world.rm2.pk: 1}


def test_quality_and_npl_use_the_classification_on_the_last_day(world, book):
    quality = indicators.loan_quality(*Q1, None)
    assert quality[world.rm.pk] == Measure.ratio(100000, 400000)  # L2 became 次级 on 03-15; L3 matured
    assert quality[world.rm.pk].value == Decimal("25.0000") and quality[world.rm2.pk].value == 0
    npl = indicators.npl_ratio(*Q1, None)
    assert npl[world.rm.pk].value == Decimal("75.0000") and npl[world.rm2.pk].value == 0  # 关注 is not bad
    # at the end of February L2 was still 正常 and L3 had matured: all good
    feb = indicators.loan_quality(date(2026, 2, 1), date(2026, 2, 28), None)
    assert feb[world.rm.pk] == Measure.ratio(400000, 400000) and world.rm2.pk not in feb
    # a team rolls up the ratio of sums, not the average of the RMs' rates
    team = rollup(quality.values(), percent=True)
    assert team.value == Decimal("16.6667")


def test_post_loan_checks_on_time(world, book):
    rates = indicators.checks_on_time(*Q1, None)
    assert rates[world.rm.pk] == Measure.ratio(1, 3) and rates[world.rm2.pk] == Measure.ratio(1, 1)


def test_drill_down_is_in_the_viewers_scope(world, book):
    assert {loan.cms_ref for loan in indicators.granted_records(world.lead, world.rm.pk, *Q1)} == {"L1", "L2"}
    assert not indicators.granted_records(world.lead, world.rm2.pk, *Q1).exists()  # another branch
    rows = indicators.outstanding_records(world.manager, world.rm.pk, *Q1)
    assert {(loan.cms_ref, loan.cls_then) for loan in rows} == {("L1", "normal"), ("L2", "substandard")}
    assert indicators.check_records(world.rm, world.rm.pk, *Q1).count() == 3
