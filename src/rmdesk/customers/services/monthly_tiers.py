"""Tiers on the monthly daily-average balance, the way Chinese banks' OCRM systems tier (SPEC §2; issue 19,
the bank pack): a rule set with `measure = monthly_avg` is judged at month end on the month's daily
average (月日均) of its metric, built from daily snapshots.

- `snapshot_balances(day)`: one set-based upsert per rule set in use adds the day's value of every
  archive of the set's kind to its month's row (`MonthlyBalance`); the row keeps the last date it
  counted, so running it twice on a day counts the day once (and a date before the last one counted
  is refused: snapshots go forward).
- `evaluate_month(month)`: for each such set, a fixed number of statements (no loop per customer):
  1. the tier the month's average reaches; 2. the consecutive months below the current tier; 3. the
  outcome (initial / up / stay / watch / down); 4. a TierChange per change, with the reason and the
  average; 5. the archives' new tier; 6. the watch rows ended (recovered, moved) and 7. upserted; the
  RMs of customers entering the watch are notified once per RM; one audit event per set; the other
  apps refresh what they derive from tiers through one `customers_imported` for the changed ids.

The rules: an upgrade takes effect at once, on the first month-end whose average reaches the higher
threshold (or, with `upgrade_rule = immediate`, as soon as the current value does: services.tiers); a
downgrade only when the average has stayed below the current tier's threshold `downgrade_months`
consecutive evaluated months (default 3): before that the customer is on watch (关注, month k), and the
watch ends when a month's average is back at the threshold. A month without snapshots breaks the run.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _, gettext_lazy

from rmdesk.core import audit
from rmdesk.core.notifications import notify, register_kind

from .. import signals
from ..models import (
    SNAPSHOT_METRICS,
    Customer,
    MonthlyBalance,
    MonthlyOutcome,
    Tier,
    TierChange,
    TierRuleSet,
    TierWatch,
)

MONTHLY_AVG = "monthly_avg"
NOTIFY_KIND = "customers.tier_watch"
register_kind(NOTIFY_KIND, gettext_lazy("客户降级关注"))

CHANGED = (MonthlyOutcome.INITIAL.value, MonthlyOutcome.UP.value, MonthlyOutcome.DOWN.value)


def month_of(day: date) -> date:
    return day.replace(day=1)


def previous_month(month: date) -> date:
    return (month.replace(day=1) - timedelta(days=1)).replace(day=1)


def parse_month(text: str) -> date:
    """'2026-11' -> date(2026, 11, 1); ValueError otherwise."""
    year, _sep, mon = text.strip().partition("-")
    if not (year.isdigit() and mon.isdigit() and len(year) == 4):
        raise ValueError(text)
    return date(int(year), int(mon), 1)


def monthly_rule_sets():
    """The rule sets in use that tier on the monthly daily average, one per customer kind at most."""
    return list(TierRuleSet.objects.filter(is_active=True, measure=MONTHLY_AVG).order_by("kind", "id"))


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _tables() -> dict:
    return {
        "mb": _q(MonthlyBalance._meta.db_table),
        "cust": _q(Customer._meta.db_table),
        "tier": _q(Tier._meta.db_table),
        "tc": _q(TierChange._meta.db_table),
        "watch": _q(TierWatch._meta.db_table),
    }


def _d(value: date):
    return connection.ops.adapt_datefield_value(value)


# --- snapshots ------------------------------------------------------------------------------------


def snapshot_balances(day: date | None = None) -> int:
    """Add `day`'s balance of every archive tiered on the monthly average to its month (SPEC §2, issue 19).
    Idempotent per day; returns the number of archives whose month counted the day."""
    day = day or timezone.localdate()
    month = month_of(day)
    counted = 0
    with transaction.atomic():
        for rule_set in monthly_rule_sets():
            if rule_set.metric not in SNAPSHOT_METRICS:  # refused by TierRuleSet.clean; never read as SQL
                continue
            counted += _snapshot_kind(rule_set, day, month)
        audit.record(
            None,
            "customers.balances_snapshot",
            object_type="customers.monthlybalance",
            object_id=day.isoformat(),
            after={"date": day.isoformat(), "counted": counted},
        )
    return counted


def _snapshot_kind(rule_set, day: date, month: date) -> int:
    t = _tables()
    metric = _q(rule_set.metric)
    sql = f"""
        INSERT INTO {t["mb"]} (customer_id, month, total_cents, days, last_date, outcome, watch_month)
        SELECT c.id, %s, CAST(ROUND(c.{metric} * 100) AS BIGINT), 1, %s, '', 0
        FROM {t["cust"]} c
        WHERE c.kind = %s AND c.merged_into_id IS NULL
        ON CONFLICT (customer_id, month) DO UPDATE SET
            total_cents = {t["mb"]}.total_cents + excluded.total_cents,
            days = {t["mb"]}.days + 1,
            last_date = excluded.last_date
        WHERE {t["mb"]}.last_date < excluded.last_date
    """
    with connection.cursor() as cur:
        cur.execute(sql, [_d(month), _d(day), rule_set.kind])
        return max(cur.rowcount, 0)


# --- month-end evaluation -------------------------------------------------------------------------


@dataclass
class Evaluation:
    month: date
    counts: dict = field(default_factory=dict)  # outcome -> number of customers, over every set
    entered_watch: int = 0
    changed_ids: list = field(default_factory=list)

    def add(self, outcome: str, n: int) -> None:
        self.counts[outcome] = self.counts.get(outcome, 0) + n


class EvaluationRefused(Exception):
    pass


def evaluate_month(month: date) -> Evaluation:
    """The month-end tier evaluation of `month` for every rule set on the monthly average (SPEC §2,
    issue 19): upgrades at once, downgrades after the set's consecutive months below with the watch
    (关注) first; every change in TierChange with its reason, one audit event per set, the RMs of
    customers entering the watch notified. Re-running a month gives the same result; a month before
    one already evaluated is refused (it would rewrite the run of months)."""
    month = month_of(month)
    later = MonthlyBalance.objects.filter(month__gt=month).exclude(outcome="").exists()
    if later:
        raise EvaluationRefused(_("已评定过更晚的月份，不能重新评定 %(month)s。") % {"month": f"{month:%Y-%m}"})
    result = Evaluation(month=month)
    entered: list[tuple[int, int, int]] = []
    with transaction.atomic():
        for rule_set in monthly_rule_sets():
            entered += _evaluate_set(rule_set, month, result)
        if result.changed_ids:
            # the other apps refresh what they derive from tiers (cadence) set-based, as after an import
            signals.customers_imported.send(sender=Customer, actor=None, customer_ids=result.changed_ids)
        transaction.on_commit(lambda: _notify_entered(entered, month))
    result.entered_watch = sum(n for _rm, n, _c in entered)
    return result


def _evaluate_set(rule_set, month: date, result: Evaluation) -> list:
    t = _tables()
    p = {
        "rs": rule_set.pk,
        "kind": rule_set.kind,
        "m": _d(month),
        "prev": _d(previous_month(month)),
        "n": max(int(rule_set.downgrade_months or 1), 1),
        "now": connection.ops.adapt_datetimefield_value(timezone.now()),
        "reason": (_("月日均评定 %(month)s") % {"month": f"{month:%Y-%m}"})[:200],
    }
    this_month = f"""{t["mb"]}.month = %(m)s AND {t["mb"]}.customer_id IN
        (SELECT c.id FROM {t["cust"]} c WHERE c.kind = %(kind)s AND c.merged_into_id IS NULL)"""
    cur_rank = f"""(SELECT ct.rank FROM {t["cust"]} c JOIN {t["tier"]} ct ON ct.id = c.tier_id
        WHERE c.id = {t["mb"]}.customer_id AND ct.rule_set_id = %(rs)s)"""
    new_rank = f"""(SELECT nt.rank FROM {t["tier"]} nt WHERE nt.id = {t["mb"]}.evaluated_tier_id)"""
    steps = [
        # 1. the tier the average reaches: the highest whose threshold × days ≤ the month's total (in cents,
        # exact on both databases; no division)
        f"""UPDATE {t["mb"]} SET evaluated_tier_id = (
                SELECT tt.id FROM {t["tier"]} tt
                WHERE tt.rule_set_id = %(rs)s AND ROUND(tt.threshold * 100) * {t["mb"]}.days <= {t["mb"]}.total_cents
                ORDER BY tt.rank DESC, tt.id LIMIT 1)
            WHERE {this_month} AND {t["mb"]}.days > 0""",
        # 2. the consecutive months below the current tier: a watch on the same tier evaluated last month
        # goes on, one evaluated this month (a re-run) stays, anything else starts at 1
        f"""UPDATE {t["mb"]} SET watch_month = CASE WHEN {new_rank} < {cur_rank} THEN COALESCE((
                SELECT CASE WHEN w.last_month = %(m)s THEN w.months
                            WHEN w.last_month = %(prev)s THEN w.months + 1 ELSE 1 END
                FROM {t["watch"]} w JOIN {t["cust"]} c ON c.id = w.customer_id
                WHERE w.customer_id = {t["mb"]}.customer_id AND w.tier_id = c.tier_id), 1) ELSE 0 END
            WHERE {this_month}""",
        # 3. the outcome
        f"""UPDATE {t["mb"]} SET outcome = CASE
                WHEN evaluated_tier_id IS NULL THEN ''
                WHEN {cur_rank} IS NULL THEN 'initial'
                WHEN {new_rank} > {cur_rank} THEN 'up'
                WHEN watch_month = 0 THEN 'stay'
                WHEN watch_month >= %(n)s THEN 'down'
                ELSE 'watch' END
            WHERE {this_month}""",
        # 4. the history of every change, with the month's average as its figure
        f"""INSERT INTO {t["tc"]} (customer_id, from_tier_id, to_tier_id, direction, at, reason, metric_value,
                a_rm_id, org_path)
            SELECT c.id, c.tier_id, {t["mb"]}.evaluated_tier_id, {t["mb"]}.outcome, %(now)s, %(reason)s,
                ROUND({t["mb"]}.total_cents / 100.0 / {t["mb"]}.days, 2), c.a_rm_id, c.org_path
            FROM {t["mb"]} JOIN {t["cust"]} c ON c.id = {t["mb"]}.customer_id
            WHERE {this_month} AND {t["mb"]}.outcome IN ('initial', 'up', 'down')""",
        # 5. the archives' tier
        f"""UPDATE {t["cust"]} SET tier_id = (
                SELECT {t["mb"]}.evaluated_tier_id FROM {t["mb"]}
                WHERE {t["mb"]}.customer_id = {t["cust"]}.id AND {t["mb"]}.month = %(m)s)
            WHERE {t["cust"]}.kind = %(kind)s AND {t["cust"]}.id IN (
                SELECT {t["mb"]}.customer_id FROM {t["mb"]}
                WHERE {t["mb"]}.month = %(m)s AND {t["mb"]}.outcome IN ('initial', 'up', 'down'))""",
    ]
    # 6. watches that end: the average recovered, the customer moved tier, or the set changed
    end_watch = f"""DELETE FROM {t["watch"]} WHERE customer_id IN (
            SELECT {t["mb"]}.customer_id FROM {t["mb"]}
            WHERE {this_month} AND {t["mb"]}.outcome IN ('initial', 'up', 'stay', 'down'))"""
    # customers entering the watch this month, counted per A-post RM (before 7 writes this month's rows)
    entering = f"""SELECT c.a_rm_id, COUNT(*), MIN(c.id)
            FROM {t["mb"]} JOIN {t["cust"]} c ON c.id = {t["mb"]}.customer_id
            WHERE {this_month} AND {t["mb"]}.outcome = 'watch' AND {t["mb"]}.watch_month = 1
              AND c.a_rm_id IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM {t["watch"]} w
                              WHERE w.customer_id = c.id AND w.last_month = %(m)s AND w.tier_id = c.tier_id)
            GROUP BY c.a_rm_id"""
    # 7. the watch rows of this month
    upsert_watch = f"""INSERT INTO {t["watch"]} (customer_id, rule_set_id, tier_id, months, since, last_month, average)
            SELECT c.id, %(rs)s, c.tier_id, {t["mb"]}.watch_month, %(m)s, %(m)s,
                ROUND({t["mb"]}.total_cents / 100.0 / {t["mb"]}.days, 2)
            FROM {t["mb"]} JOIN {t["cust"]} c ON c.id = {t["mb"]}.customer_id
            WHERE {this_month} AND {t["mb"]}.outcome = 'watch'
            ON CONFLICT (customer_id) DO UPDATE SET
                rule_set_id = excluded.rule_set_id,
                tier_id = excluded.tier_id,
                months = excluded.months,
                since = CASE WHEN excluded.months = 1 THEN excluded.since ELSE {t["watch"]}.since END,
                last_month = excluded.last_month,
                average = excluded.average"""
    counts_sql = f"""SELECT {t["mb"]}.outcome, COUNT(*) FROM {t["mb"]} WHERE {this_month} GROUP BY {t["mb"]}.outcome"""
    changed_sql = f"""SELECT {t["mb"]}.customer_id FROM {t["mb"]}
            WHERE {this_month} AND {t["mb"]}.outcome IN ('initial', 'up', 'down')"""
    with connection.cursor() as cur:
        for sql in steps[:3]:
            cur.execute(sql, p)
        cur.execute(changed_sql, p)
        changed = [row[0] for row in cur.fetchall()]
        for sql in steps[3:]:
            cur.execute(sql, p)
        cur.execute(end_watch, p)
        cur.execute(entering, p)
        entered = [(rm, n, first) for rm, n, first in cur.fetchall()]
        cur.execute(upsert_watch, p)
        cur.execute(counts_sql, p)
        counts = {outcome or "none": n for outcome, n in cur.fetchall()}
    for outcome, n in counts.items():
        result.add(outcome, n)
    result.changed_ids += changed
    audit.record(
        None,
        "customers.tiers_evaluated",
        object_type="customers.tierruleset",
        object_id=rule_set.pk,
        after={
            "rule_set": rule_set.code,
            "kind": rule_set.kind,
            "month": f"{month:%Y-%m}",
            "downgrade_months": p["n"],
            "outcomes": counts,
            "entered_watch": sum(n for _rm, n, _c in entered),
        },
    )
    return entered


def _notify_entered(entered, month: date) -> None:
    """One notification per RM for the customers of their book that entered the watch this month: the
    customer's 360° page when it is one, the list filtered on the watch otherwise."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.in_bulk([rm for rm, _n, _c in entered])
    for rm_id, n, first in entered:
        rm = users.get(rm_id)
        if rm is None:
            continue
        if n == 1:
            watch = TierWatch.objects.select_related("customer", "tier").filter(customer_id=first).first()
            if watch is None:
                continue
            title = _("%(name)s 进入降级关注：日均资产低于 %(tier)s 门槛") % {
                "name": watch.customer.name,
                "tier": watch.tier.name,
            }
            notify(
                rm,
                NOTIFY_KIND,
                title,
                url=reverse("customers:detail", args=[first]),
                obj=watch.customer,
                dedupe_key=f"tier_watch:{first}:{month:%Y-%m}",
            )
        else:
            title = _("%(n)s 位客户进入降级关注（%(month)s 月日均低于层级门槛）") % {"n": n, "month": f"{month:%Y-%m}"}
            notify(
                rm,
                NOTIFY_KIND,
                title,
                url=reverse("customers:list") + "?watch=1",
                dedupe_key=f"tier_watch:{month:%Y-%m}",
            )
