"""Contact cadence: rules of three industries, edge days, set-based recompute equals the per-row
computation, an interaction resets the due date (SPEC §3)."""

from datetime import date

import pytest

from rmdesk.work import cadence
from rmdesk.work.models import ContactStatus, Interaction, add_months

pytestmark = pytest.mark.django_db


def test_add_months_clamps_to_month_end():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert add_months(date(2026, 5, 15), 12) == date(2027, 5, 15)


def _contact(customer, user, when):
    Interaction.objects.create(customer=customer, kind="phone", occurred_at=when, recorded_by=user, purpose="联系")


# (tier key, last contact, today, expected due, expected status)
CASES = [
    # bank gold: monthly, soon 5 days before
    ("gold", (2026, 1, 31), date(2026, 2, 27), date(2026, 2, 28), "soon"),
    ("gold", (2026, 1, 31), date(2026, 2, 28), date(2026, 2, 28), "due"),
    ("gold", (2026, 1, 31), date(2026, 3, 1), date(2026, 2, 28), "overdue"),
    ("gold", (2026, 3, 10), date(2026, 4, 4), date(2026, 4, 10), "ok"),
    ("gold", (2026, 3, 10), date(2026, 4, 5), date(2026, 4, 10), "soon"),
    # bank platinum: quarterly, soon 10 days
    ("platinum", (2026, 11, 30), date(2027, 2, 17), date(2027, 2, 28), "ok"),
    ("platinum", (2026, 11, 30), date(2027, 2, 18), date(2027, 2, 28), "soon"),
    # bank diamond: half-yearly
    ("diamond", (2026, 8, 31), date(2027, 3, 1), date(2027, 2, 28), "overdue"),
    # telecom diamond / gold monthly, silver quarterly
    ("t_diamond", (2026, 5, 20), date(2026, 6, 20), date(2026, 6, 20), "due"),
    ("t_gold", (2026, 5, 20), date(2026, 6, 21), date(2026, 6, 20), "overdue"),
    ("t_silver", (2026, 5, 20), date(2026, 6, 21), date(2026, 8, 20), "ok"),
    ("t_silver", (2026, 5, 20), date(2026, 8, 21), date(2026, 8, 20), "overdue"),
    # tobacco: weekly visit cycle, soon 2 days
    ("tob_core", (2026, 11, 16), date(2026, 11, 20), date(2026, 11, 23), "ok"),
    ("tob_core", (2026, 11, 16), date(2026, 11, 21), date(2026, 11, 23), "soon"),
    ("tob_core", (2026, 11, 16), date(2026, 11, 23), date(2026, 11, 23), "due"),
    ("tob_core", (2026, 11, 16), date(2026, 11, 24), date(2026, 11, 23), "overdue"),
]


@pytest.mark.parametrize("tier_key,last,today,due,status", CASES)
def test_status_per_rule_set_and_edge_days(world, make_customer, tiers, local_dt, tier_key, last, today, due, status):
    c = make_customer(world.rm, tier=tiers[tier_key])
    _contact(c, world.rm, local_dt(*last, 23, 30))  # late evening: the local day counts, not UTC
    cadence.recompute_all(today=today, from_interactions=True)
    row = ContactStatus.objects.get(customer=c)
    assert (row.next_due_on, row.status) == (due, status)
    # the per-row path (used on a new interaction) agrees with the set-based one
    row2 = cadence.refresh_one(c, today=today)
    assert (row2.next_due_on, row2.status) == (due, status)


def test_no_rule_means_status_none_and_never_contacted_counts_from_opening(world, make_customer, tiers, local_dt):
    plain = make_customer(world.rm, tier=tiers["standard"])
    untiered = make_customer(world.rm)
    fresh = make_customer(world.rm, tier=tiers["gold"], created_at=local_dt(2026, 1, 10))
    cadence.recompute_all(today=date(2026, 2, 11))
    rows = {r.customer_id: r for r in ContactStatus.objects.all()}
    assert rows[plain.pk].status == rows[untiered.pk].status == "none"
    assert rows[plain.pk].next_due_on is None
    assert (rows[fresh.pk].next_due_on, rows[fresh.pk].status) == (date(2026, 2, 10), "overdue")


def test_recompute_copies_owners_and_tier_changes_and_is_idempotent(world, make_customer, tiers, local_dt):
    c = make_customer(world.rm, tier=tiers["gold"], created_at=local_dt(2026, 1, 10))
    first = cadence.recompute_all(today=date(2026, 1, 20))
    assert first["inserted"] == 1
    assert cadence.recompute_all(today=date(2026, 1, 20))["updated"] == 0
    c.tier = tiers["platinum"]
    c.a_rm = world.rm_b
    c.save()
    cadence.recompute_all(today=date(2026, 1, 20))
    row = ContactStatus.objects.get(customer=c)
    assert row.a_rm_id == world.rm_b.pk and row.next_due_on == date(2026, 4, 10) and row.status == "ok"


def test_interaction_resets_due_date(world, make_customer, tiers, local_dt):
    from rmdesk.work.services import record_interaction

    c = make_customer(world.rm, tier=tiers["gold"], created_at=local_dt(2025, 1, 1))
    cadence.recompute_all()
    assert ContactStatus.objects.get(customer=c).status == "overdue"
    from django.utils import timezone

    now = timezone.localtime()
    record_interaction(world.rm, c.pk, kind="phone", occurred_at=now, purpose="季度回访")
    row = ContactStatus.objects.get(customer=c)
    assert row.last_contact_on == now.date()
    assert row.next_due_on == add_months(now.date(), 1)
    assert row.status in ("ok", "soon")
    # an older contact recorded later does not move the last contact back
    record_interaction(world.rm, c.pk, kind="wechat", occurred_at=local_dt(2025, 6, 1), purpose="补录")
    assert ContactStatus.objects.get(customer=c).last_contact_on == now.date()


def test_overdue_lists_per_rm_and_team(world, make_customer, tiers, local_dt):
    make_customer(world.rm, tier=tiers["gold"], created_at=local_dt(2025, 1, 1))
    make_customer(world.rm, tier=tiers["gold"], created_at=local_dt(2025, 1, 1))
    make_customer(world.rm_b, tier=tiers["gold"], created_at=local_dt(2025, 1, 1))
    make_customer(world.rm2, tier=tiers["gold"], created_at=local_dt(2025, 1, 1))
    cadence.recompute_all()
    from rmdesk.work.scope import visible_statuses

    by_rm = {r["a_rm"]: r["overdue"] for r in cadence.summary_by_rm(visible_statuses(world.lead))}
    assert by_rm == {world.rm.pk: 2, world.rm_b.pk: 1}
    teams = cadence.summary_by_team(visible_statuses(world.manager))
    assert [(t["unit_name"], t["overdue"]) for t in teams] == [("一队", 3)]
    assert visible_statuses(world.rm).filter(status="overdue").count() == 2


def test_rebuild_from_scratch_keeps_every_index(world, make_customer, tiers, local_dt):
    """A rebuild into an empty state table drops the secondary indexes on PostgreSQL and builds them
    again: afterwards the table has exactly the indexes it had, with the same definitions."""
    from django.db import connection

    from rmdesk.work.models import ContactStatus

    table = ContactStatus._meta.db_table

    def indexes():
        with connection.cursor() as cur:
            if connection.vendor == "postgresql":
                cur.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table])
            else:
                cur.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s", [table])
            return sorted(cur.fetchall())

    before = indexes()
    assert len(before) >= 4
    make_customer(world.rm, tier=tiers["gold"], created_at=local_dt(2025, 1, 1))
    make_customer(world.rm2, tier=tiers["gold"], created_at=local_dt(2025, 1, 1))
    ContactStatus.objects.all().delete()
    out = cadence.recompute_all(from_interactions=True)
    assert out["inserted"] == 2 and ContactStatus.objects.count() == 2
    assert indexes() == before
    # a table that is not empty is not rebuilt that way: indexes stay as they are
    assert cadence.recompute_all(from_interactions=True)["inserted"] == 0
    assert indexes() == before
