"""Tiers on the monthly daily-average AUM with the 关注 downgrade watch (SPEC §2; issue 19, the bank pack):
daily snapshots counted once per day, the month's average over the days snapshotted, an upgrade at
once, a downgrade only after N consecutive months below with the watch first (cleared on recovery),
the RM notified on entering the watch, the list filter, and the set-based evaluation against a
plain-Python reference over random monthly series (hypothesis)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings, strategies as st

from rmdesk.core.models import AuditEvent, Notification
from rmdesk.customers import services
from rmdesk.customers.models import Customer, MonthlyBalance, Tier, TierChange, TierRuleSet, TierWatch
from rmdesk.customers.services import monthly_tiers

pytestmark = pytest.mark.django_db

NOV, DEC, JAN, FEB = date(2026, 11, 1), date(2026, 12, 1), date(2027, 1, 1), date(2027, 2, 1)


@pytest.fixture
def bank(db):
    """The seeded personal bank set switched to the monthly daily average with a 3-month watch."""
    TierRuleSet.objects.filter(code="bank").update(measure="monthly_avg", downgrade_months=3, upgrade_rule="month_end")
    return TierRuleSet.objects.get(code="bank")


def tier(code):
    return Tier.objects.get(rule_set__code="bank", code=code)


def set_aum(customer, amount):
    Customer.objects.filter(pk=customer.pk).update(aum=Decimal(amount))


def month_at(customer, month, amount, days=None):
    """Snapshot `amount` as the customer's AUM on each of the month's first `days` days (all by default)."""
    last = (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    set_aum(customer, amount)
    for d in range(1, (days or last.day) + 1):
        monthly_tiers.snapshot_balances(month.replace(day=d))


def tiered(make_customer, rm, code, aum):
    """A customer already in tier `code` (as last month's evaluation left it)."""
    c = make_customer(rm, aum=Decimal(aum))
    Customer.objects.filter(pk=c.pk).update(tier=tier(code))
    c.refresh_from_db()
    return c


# --- snapshots ------------------------------------------------------------------------------------


def test_a_snapshot_counts_a_day_once_and_refuses_an_earlier_day(bank, world, make_customer):
    c = make_customer(world.rm, aum=Decimal("1000.55"))
    corporate = make_customer(world.rm, kind="corporate", name="某公司", aum=Decimal("999"))
    assert monthly_tiers.snapshot_balances(date(2026, 11, 5)) == 1  # corporates: their set is not monthly
    assert monthly_tiers.snapshot_balances(date(2026, 11, 5)) == 0  # the same day again counts nothing
    set_aum(c, "2000.10")
    monthly_tiers.snapshot_balances(date(2026, 11, 6))
    monthly_tiers.snapshot_balances(date(2026, 11, 6))
    set_aum(c, "5000")
    assert monthly_tiers.snapshot_balances(date(2026, 11, 4)) == 0  # an earlier day than the last counted
    row = MonthlyBalance.objects.get(customer=c, month=NOV)
    assert (row.total_cents, row.days, row.last_date) == (100055 + 200010, 2, date(2026, 11, 6))
    assert row.average == Decimal("1500.33")  # 3000.65 / 2, to the cent
    assert not MonthlyBalance.objects.filter(customer=corporate).exists()
    monthly_tiers.snapshot_balances(date(2026, 12, 1))
    assert MonthlyBalance.objects.get(customer=c, month=DEC).total_cents == 500000  # a new month starts afresh
    assert AuditEvent.objects.filter(action="customers.balances_snapshot").count() == 6


def test_the_average_is_over_the_days_snapshotted_when_days_are_missing(bank, world, make_customer):
    c = make_customer(world.rm, aum=Decimal("0"))
    for day, amount in ((1, "900000"), (2, "900000"), (20, "1200000")):  # 27 days without a snapshot
        set_aum(c, amount)
        monthly_tiers.snapshot_balances(date(2026, 11, day))
    row = MonthlyBalance.objects.get(customer=c, month=NOV)
    assert (row.days, row.average) == (3, Decimal("1000000.00"))
    monthly_tiers.evaluate_month(NOV)
    c.refresh_from_db()
    assert c.tier == tier("platinum")  # 1,000,000 reaches the platinum threshold exactly


def test_the_commands(bank, world, make_customer, capsys):
    c = make_customer(world.rm, aum=Decimal("600000"))
    call_command("snapshot_balances", "--date", "2026-11-30")
    call_command("evaluate_tiers", "--month", "2026-11")
    out = capsys.readouterr().out
    assert "balances snapshotted: 1" in out and "2026-11 initial: 1" in out
    c.refresh_from_db()
    assert c.tier == tier("gold")
    with pytest.raises(CommandError):
        call_command("snapshot_balances", "--date", "30/11/2026")
    with pytest.raises(CommandError):
        call_command("evaluate_tiers", "--month", "2026-13")
    call_command("snapshot_balances", "--date", "2026-12-01")
    call_command("evaluate_tiers", "--month", "2026-12")
    with pytest.raises(CommandError, match="更晚的月份"):
        call_command("evaluate_tiers", "--month", "2026-11")


# --- the rules ------------------------------------------------------------------------------------


def test_an_upgrade_takes_effect_at_the_first_month_end_the_average_reaches(bank, world, make_customer):
    c = tiered(make_customer, world.rm, "gold", "600000")
    month_at(c, NOV, "1200000", days=10)
    set_aum(c, "600000")  # the current value dropped again: the month's average decides
    monthly_tiers.evaluate_month(NOV)
    c.refresh_from_db()
    assert c.tier == tier("platinum")
    change = TierChange.objects.get(customer=c)
    assert (change.from_tier, change.to_tier, change.direction) == (tier("gold"), tier("platinum"), "up")
    assert change.metric_value == Decimal("1200000.00") and "2026-11" in change.reason
    assert change.a_rm == world.rm and change.org_path == c.org_path
    event = AuditEvent.objects.get(action="customers.tiers_evaluated")
    assert event.summary["after"]["outcomes"] == {"up": 1} and event.summary["after"]["month"] == "2026-11"


def test_a_downgrade_only_after_the_third_month_below_with_the_watch_first(bank, world, make_customer, client):
    c = tiered(make_customer, world.rm, "platinum", "1500000")
    client.force_login(world.rm)
    for k, month in enumerate((NOV, DEC), start=1):
        month_at(c, month, "600000", days=3)
        monthly_tiers.evaluate_month(month)
        c.refresh_from_db()
        assert c.tier == tier("platinum"), k  # still platinum while on watch
        watch = TierWatch.objects.get(customer=c)
        assert (watch.months, watch.tier, watch.since, watch.last_month) == (k, tier("platinum"), NOV, month)
        assert watch.average == Decimal("600000.00")
        html = client.get(reverse("customers:detail", args=[c.pk])).content.decode()
        assert f"关注：日均资产低于 白金客户 门槛 (第 {k} 个月)" in html
    assert not TierChange.objects.filter(customer=c).exists()
    month_at(c, JAN, "600000", days=3)
    monthly_tiers.evaluate_month(JAN)
    c.refresh_from_db()
    assert c.tier == tier("gold")
    change = TierChange.objects.get(customer=c)
    assert (change.from_tier, change.to_tier, change.direction) == (tier("platinum"), tier("gold"), "down")
    assert not TierWatch.objects.filter(customer=c).exists()
    assert "关注：" not in client.get(reverse("customers:detail", args=[c.pk])).content.decode()
    outcomes = dict(MonthlyBalance.objects.filter(customer=c).values_list("month", "outcome"))
    assert outcomes == {NOV: "watch", DEC: "watch", JAN: "down"}


def test_the_watch_ends_when_the_average_recovers_and_the_count_starts_again(bank, world, make_customer):
    c = tiered(make_customer, world.rm, "platinum", "1500000")
    month_at(c, NOV, "900000", days=2)
    monthly_tiers.evaluate_month(NOV)
    assert TierWatch.objects.get(customer=c).months == 1
    month_at(c, DEC, "1000000", days=2)  # back at the threshold
    monthly_tiers.evaluate_month(DEC)
    assert not TierWatch.objects.filter(customer=c).exists()
    month_at(c, JAN, "900000", days=2)
    monthly_tiers.evaluate_month(JAN)
    assert TierWatch.objects.get(customer=c).months == 1  # a new run, not the third month
    c.refresh_from_db()
    assert c.tier == tier("platinum") and not TierChange.objects.filter(customer=c).exists()


def test_a_month_without_snapshots_breaks_the_run(bank, world, make_customer):
    c = tiered(make_customer, world.rm, "platinum", "1500000")
    month_at(c, NOV, "900000", days=1)
    monthly_tiers.evaluate_month(NOV)
    monthly_tiers.evaluate_month(DEC)  # no snapshot in December
    month_at(c, JAN, "900000", days=1)
    monthly_tiers.evaluate_month(JAN)
    assert TierWatch.objects.get(customer=c).months == 1


def test_evaluating_a_month_twice_changes_nothing_more(bank, world, make_customer):
    up = tiered(make_customer, world.rm, "gold", "600000")
    watched = tiered(make_customer, world.rm, "diamond", "2500000")
    set_aum(watched, "1100000")
    month_at(up, NOV, "1100000", days=1)  # snapshots both
    monthly_tiers.evaluate_month(NOV)
    state = (list(TierChange.objects.values_list("customer", "direction")), list(TierWatch.objects.values()))
    again = monthly_tiers.evaluate_month(NOV)
    assert again.changed_ids == [] and again.counts == {"stay": 1, "watch": 1}
    assert (list(TierChange.objects.values_list("customer", "direction")), list(TierWatch.objects.values())) == state


@pytest.mark.parametrize("months", [1, 2, 4])
def test_the_number_of_months_is_the_rule_sets(bank, world, make_customer, months):
    bank.downgrade_months = months
    bank.save()
    c = tiered(make_customer, world.rm, "diamond", "2500000")
    series = [date(2026, m, 1) for m in range(1, 6)]
    for month in series:
        month_at(c, month, "1500000", days=1)
        monthly_tiers.evaluate_month(month)
    down = TierChange.objects.get(customer=c, direction="down")
    row = MonthlyBalance.objects.get(customer=c, outcome="down")
    assert row.month == series[months - 1] and down.to_tier == tier("platinum")


def test_the_set_rejects_a_bad_number_of_months_and_a_json_metric(bank):
    from django.core.exceptions import ValidationError

    bank.downgrade_months = 0
    with pytest.raises(ValidationError) as exc:
        bank.full_clean()
    assert "downgrade_months" in exc.value.message_dict
    bank.downgrade_months, bank.metric = 3, "monthly_spend"
    with pytest.raises(ValidationError) as exc:
        bank.full_clean()
    assert "metric" in exc.value.message_dict


def test_the_daily_recompute_never_downgrades_a_monthly_set_and_upgrades_only_when_told(bank, world, make_customer):
    c = tiered(make_customer, world.rm, "platinum", "100")  # the current value fell far below
    assert services.recompute_all_tiers() == 0
    set_aum(c, "3000000")
    assert services.recompute_all_tiers() == 0  # month_end: the average decides
    fresh = make_customer(world.rm, aum=Decimal("600000"))
    assert services.recompute_tier(fresh, reason="新建").direction == "initial"  # a first tier at once
    bank.upgrade_rule = "immediate"
    bank.save()
    assert services.recompute_all_tiers() == 1
    c.refresh_from_db()
    assert c.tier == tier("diamond")
    set_aum(c, "0")
    assert services.recompute_tier(c, reason="编辑") is None


def test_sets_on_the_current_value_keep_todays_behaviour(world, make_customer):
    assert TierRuleSet.objects.get(code="bank").measure == "current"
    c = tiered(make_customer, world.rm, "platinum", "100")
    assert services.recompute_all_tiers() == 1
    c.refresh_from_db()
    assert c.tier == tier("standard")
    assert monthly_tiers.snapshot_balances(NOV) == 0 and not MonthlyBalance.objects.exists()


# --- the RM, the 360° page, the list --------------------------------------------------------------


def test_the_rm_is_notified_once_when_customers_enter_the_watch(
    bank, world, make_customer, django_capture_on_commit_callbacks
):
    one = tiered(make_customer, world.rm, "platinum", "1500000")
    two = tiered(make_customer, world.rm2, "gold", "600000")
    three = tiered(make_customer, world.rm2, "diamond", "2500000")
    Customer.objects.update(aum=Decimal("100"))
    monthly_tiers.snapshot_balances(date(2026, 11, 30))
    with django_capture_on_commit_callbacks(execute=True):
        result = monthly_tiers.evaluate_month(NOV)
    assert result.entered_watch == 3
    assert set(TierWatch.objects.values_list("customer", flat=True)) == {one.pk, two.pk, three.pk}
    mine = Notification.objects.get(recipient=world.rm)
    assert mine.kind == "customers.tier_watch" and one.name in mine.title and "白金客户" in mine.title
    assert mine.url == reverse("customers:detail", args=[one.pk])
    theirs = Notification.objects.get(recipient=world.rm2)
    assert theirs.title.startswith("2 位客户进入降级关注") and theirs.url.endswith("?watch=1")
    with django_capture_on_commit_callbacks(execute=True):
        monthly_tiers.evaluate_month(NOV)  # a re-run tells nobody again
    monthly_tiers.snapshot_balances(date(2026, 12, 31))
    with django_capture_on_commit_callbacks(execute=True):
        assert monthly_tiers.evaluate_month(DEC).entered_watch == 0  # the second month is not an entry
    assert Notification.objects.count() == 2


def test_the_list_filters_on_the_watch(bank, world, make_customer, client, api_client):
    watched = tiered(make_customer, world.rm, "platinum", "1500000")
    calm = tiered(make_customer, world.rm, "gold", "600000")
    month_at(watched, NOV, "500000", days=1)  # snapshots both: calm at 600,000
    monthly_tiers.evaluate_month(NOV)
    client.force_login(world.rm)
    page = client.get(reverse("customers:list"), {"watch": "1"}).content.decode()
    assert watched.name in page and calm.name not in page
    assert "降级关注" in client.get(reverse("customers:list")).content.decode()  # the filter is offered
    body = api_client(world.rm).get("/api/customers/", {"watch": "1"}).json()
    assert [row["id"] for row in body["items"]] == [watched.pk]
    everyone = api_client(world.rm).get("/api/customers/").json()
    assert {row["id"] for row in everyone["items"]} == {watched.pk, calm.pk}
    outside = api_client(world.rm2).get("/api/customers/", {"watch": "1"}).json()
    assert outside["items"] == []  # the filter stays inside the viewer's scope


# --- the set-based evaluation against a plain-Python reference ------------------------------------

THRESHOLDS = {1: 0, 2: 500_000_00, 3: 1_000_000_00, 4: 2_000_000_00, 5: 5_000_000_00}  # rank -> cents


def reference(rank, months, n):
    """The rules in plain Python: months is a list of (total_cents, days) or None (no snapshot)."""
    watch, history = None, []  # watch: (rank, k, index of the month)
    for i, month in enumerate(months):
        if month is None:
            continue
        total, days = month
        target = max(r for r, t in THRESHOLDS.items() if t * days <= total)
        if target > rank:
            rank, watch = target, None
            history.append("up")
        elif target == rank:
            watch = None
        else:
            k = watch[1] + 1 if watch and watch[0] == rank and watch[2] == i - 1 else 1
            if k >= n:
                rank, watch = target, None
                history.append("down")
            else:
                watch = (rank, k, i)
    return rank, (watch[1] if watch else None), history


_near = st.sampled_from([0, 499_999_99, 500_000_00, 999_999_99, 1_000_000_00, 1_999_999_99, 2_000_000_00, 5_000_000_00])
_avg = st.one_of(_near, st.integers(0, 8_000_000_00))
_month = st.one_of(
    st.none(),
    st.tuples(_avg, st.integers(1, 31), st.integers(0, 30)).map(lambda m: (m[0] * m[1] + m[2] % m[1], m[1])),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    n=st.integers(1, 4),
    customers=st.lists(st.tuples(st.integers(1, 5), st.lists(_month, min_size=6, max_size=6)), min_size=1, max_size=4),
)
def test_the_set_based_evaluation_matches_the_plain_rules(bank, world, make_customer, n, customers):
    months = [date(2025, m, 1) for m in range(1, 7)]
    ranks = {t.rank: t for t in Tier.objects.filter(rule_set=bank)}
    with transaction.atomic():
        bank.downgrade_months = n
        bank.save()
        made = []
        for start, series in customers:
            c = make_customer(world.rm, aum=Decimal("0"))
            Customer.objects.filter(pk=c.pk).update(tier=ranks[start])
            MonthlyBalance.objects.bulk_create(
                MonthlyBalance(customer=c, month=m, total_cents=v[0], days=v[1], last_date=m)
                for m, v in zip(months, series, strict=True)
                if v is not None
            )
            made.append(c)
        for month in months:
            monthly_tiers.evaluate_month(month)
        for c, (start, series) in zip(made, customers, strict=True):
            rank, watch_months, history = reference(start, series, n)
            c.refresh_from_db()
            assert c.tier.rank == rank, (start, series, n)
            watch = TierWatch.objects.filter(customer=c).first()
            assert (watch.months if watch else None) == watch_months, (start, series, n)
            directions = list(TierChange.objects.filter(customer=c).order_by("id").values_list("direction", flat=True))
            assert directions == history, (start, series, n)
        transaction.set_rollback(True)


# --- the bank pack --------------------------------------------------------------------------------


def test_the_bank_pack_tiers_on_the_monthly_average_and_a_second_load_changes_nothing(world, make_customer):
    from rmdesk.packs.services import apply_pack

    c = tiered(make_customer, world.rm, "platinum", "100")  # far below today: a current-value load would drop it
    first = apply_pack("bank")
    assert 'customers.TierRuleSet ["bank"]' in first.updated and not first.kept
    for code in ("bank", "bank_corporate"):
        rule_set = TierRuleSet.objects.get(code=code)
        assert (rule_set.measure, rule_set.upgrade_rule, rule_set.downgrade_months, rule_set.is_active) == (
            "monthly_avg",
            "month_end",
            3,
            True,
        )
    c.refresh_from_db()
    assert c.tier == tier("platinum") and not TierChange.objects.filter(customer=c).exists()
    second = apply_pack("bank")
    assert not second.changed and not second.kept
    changed = TierRuleSet.objects.get(code="bank")
    changed.downgrade_months = 6  # an administrator's choice
    changed.save()
    assert 'customers.TierRuleSet ["bank"]' in apply_pack("bank").kept  # theirs, not overwritten
    assert TierRuleSet.objects.get(code="bank").downgrade_months == 6
