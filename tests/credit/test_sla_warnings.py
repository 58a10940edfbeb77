"""Working-day review SLA (SPEC §6 "3–5 working days", seed 001:73) across a weekend and a holiday;
early warnings computed from hand-made yearly financials; escalation one level up the org tree per
interval when a warning is not handled; overdue post-loan check notices."""

import io
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from rmdesk.core.models import CalendarOverride, Notification
from rmdesk.credit import services
from rmdesk.credit.models import Warning, WarningStatus
from rmdesk.customers.models import FinancialYear

from .conftest import complete, ver

pytestmark = pytest.mark.django_db


def local(*args):
    return timezone.make_aware(datetime(*args))


def test_review_due_date_skips_the_weekend_and_the_dragon_boat_holiday(products):
    # Friday 2025-05-30; Sat–Mon 05-31..06-02 are the 端午 holiday: five working days end on Monday 06-09
    assert services.review_due_on(products["PL01"], local(2025, 5, 30, 16, 0)) == date(2025, 6, 9)
    # the same Friday without a holiday would be due on Friday 06-06
    assert services.review_due_on(products["PL01"], local(2025, 5, 23, 16, 0)) == date(2025, 5, 30)


def test_review_due_date_follows_the_banks_own_overrides_and_the_products_sla(products):
    product = products["PL01"]
    product.review_sla_days = 3
    # Thursday 2025-06-12 + 3 working days = Tuesday 06-17 (weekend skipped) …
    assert services.review_due_on(product, local(2025, 6, 12, 9, 0)) == date(2025, 6, 17)
    # … and Wednesday 06-18 when the bank closes on Monday 06-16
    CalendarOverride.objects.create(day=date(2025, 6, 16), is_working_day=False, name="行内假日")
    assert services.review_due_on(product, local(2025, 6, 12, 9, 0)) == date(2025, 6, 18)


def test_submission_stores_the_due_date(world, make_application):
    app = complete(make_application(), by=world.rm)
    app = services.submit(world.rm, app.pk, version=ver(app))
    assert app.review_due_on == services.review_due_on(app.product, app.submitted_at)
    assert app.review_due_on > timezone.localdate(app.submitted_at)


# --- warnings from the yearly financials --------------------------------------------------------


def financials(customer, *rows):
    for year, revenue, assets, liabilities in rows:
        FinancialYear.objects.create(
            customer=customer,
            year=year,
            revenue=Decimal(revenue),
            assets=Decimal(assets),
            liabilities=Decimal(liabilities),
        )


@pytest.fixture
def corporate(world, make_application, make_customer):
    customer = make_customer(world.rm, kind="corporate", credit_code="91110000MA00000000")
    make_application(customer=customer)
    return customer


def test_debt_ratio_rising_and_revenue_falling_raise_an_orange_warning_once(world, corporate):
    # debt ratio 50 % -> 62 %, revenue 10m -> 8m (-20 %)
    financials(corporate, (2024, "10000000", "1000000", "500000"), (2025, "8000000", "1000000", "620000"))
    made = services.scan_financials()
    assert len(made) == 1
    w = made[0]
    assert (w.category, w.level, w.owner, w.auto) == ("financial", "orange", world.rm, True)
    assert "50.00% 升至 62.00%" in w.title and "营业收入" in w.title
    assert services.scan_financials() == []  # never twice for the same year
    assert Warning.objects.count() == 1


def test_one_signal_is_yellow_and_small_moves_are_no_signal(world, corporate, make_customer, make_application):
    financials(corporate, (2024, "10000000", "1000000", "500000"), (2025, "9500000", "1000000", "560000"))
    calm = make_customer(world.rm, kind="corporate")
    make_application(customer=calm)
    financials(calm, (2024, "10000000", "1000000", "500000"), (2025, "9500000", "1000000", "540000"))
    made = services.scan_financials()
    assert [(w.customer_id, w.level) for w in made] == [(corporate.pk, "yellow")]
    assert "资产负债率" in made[0].title and "营业收入" not in made[0].title


def test_customers_without_credit_business_are_not_scanned(world, make_customer):
    idle = make_customer(world.rm, kind="corporate")
    financials(idle, (2024, "10000000", "1000000", "100000"), (2025, "1000000", "1000000", "900000"))
    assert services.scan_financials() == []


def test_a_manual_warning_is_checked_and_handled(world, corporate):
    with pytest.raises(ValidationError) as err:
        services.raise_warning(world.rm, customer_id=corporate.pk, category="gossip", level="purple", title="")
    assert set(err.value.message_dict) == {"category", "level", "title"}
    w = services.raise_warning(world.rm, customer_id=corporate.pk, category="lawsuit", level="red", title="被起诉")
    assert w.owner == world.rm
    w = services.handle_warning(world.rm, w.pk, actions="要求补充担保", status="handling", version=w.version)
    assert w.status == WarningStatus.HANDLING


# --- escalation ------------------------------------------------------------------------------------


def test_an_unhandled_warning_climbs_one_level_per_interval(world, corporate, django_capture_on_commit_callbacks):
    w = services.raise_warning(
        world.rm, customer_id=corporate.pk, category="overdue", level="yellow", title="逾期 10 天"
    )
    Warning.objects.filter(pk=w.pk).update(raised_at=local(2025, 6, 9, 10, 0))  # a Monday
    # two working days later: not yet
    assert services.escalate_warnings(now=local(2025, 6, 11, 10, 0)) == []
    # three working days later: one level up, from team T1 to outlet O1
    moved = services.escalate_warnings(now=local(2025, 6, 12, 10, 0))
    assert [m.pk for m in moved] == [w.pk]
    w.refresh_from_db()
    assert (w.escalation_level, w.escalated_unit) == (1, world.o1)
    # the same day again: nothing (one level per interval)
    assert services.escalate_warnings(now=local(2025, 6, 12, 18, 0)) == []
    # the next interval (weekend skipped): sub-branch S1, whose manager and risk officer are told
    with django_capture_on_commit_callbacks(execute=True):
        services.escalate_warnings(now=local(2025, 6, 17, 10, 0))
    w.refresh_from_db()
    assert (w.escalation_level, w.escalated_unit) == (2, world.s1)
    told = set(Notification.objects.filter(kind="credit.escalation").values_list("recipient__username", flat=True))
    assert {"manager", "risk"} <= told and "rm2" not in told


def test_a_handled_warning_does_not_escalate(world, corporate):
    w = services.raise_warning(world.rm, customer_id=corporate.pk, category="overdue", level="yellow", title="逾期")
    Warning.objects.filter(pk=w.pk).update(raised_at=local(2025, 6, 9, 10, 0))
    services.handle_warning(world.rm, w.pk, actions="调整还款计划", status="handling", version=w.version)
    assert services.escalate_warnings(now=local(2025, 7, 1, 10, 0)) == []


def test_overdue_checks_are_noticed_once(world, make_application, risk_b, django_capture_on_commit_callbacks):
    from .test_flow import decide

    app = complete(make_application(), by=world.rm)
    app = services.submit(world.rm, app.pk, version=ver(app))
    for person in (world.risk, risk_b, world.manager):
        decide(person, app, "approve")
    today = timezone.localdate()
    services.record_loan(
        world.rm,
        app.pk,
        cms_ref="JJ-OD",
        amount=Decimal("100000"),
        start_on=today - timedelta(days=40),
        end_on=today + timedelta(days=300),
        rate=Decimal("4"),
        version=ver(app),
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.overdue_check_notices() == 1
        services.overdue_check_notices()
    assert Notification.objects.filter(kind="credit.check_overdue", recipient=world.rm).count() == 1


def test_review_due_and_overdue_notices_reach_the_steps_deciders(
    world, submitted, risk_b, django_capture_on_commit_callbacks
):
    from django.core.management import call_command

    due = submitted.review_due_on
    with django_capture_on_commit_callbacks(execute=True):
        assert services.review_notices(today=due - timedelta(days=1)) == 0
        assert services.review_notices(today=due) == 2  # both risk officers may decide 审查
        services.review_notices(today=due)  # once only
        services.review_notices(today=due + timedelta(days=1))
    at_risk = Notification.objects.filter(kind="credit.review_at_risk")
    assert sorted(at_risk.values_list("recipient__username", flat=True)) == ["risk", "risk_b"]
    breach = Notification.objects.filter(kind="credit.review_breach")
    assert breach.count() == 2 and "超时" in breach.first().title
    assert not Notification.objects.filter(recipient__in=[world.rm, world.manager], kind__startswith="credit.review")
    out = io.StringIO()
    call_command("run_credit", stdout=out)
    assert "review notices" in out.getvalue()
