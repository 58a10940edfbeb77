"""The cadence receiver of an import file (issue 18, decision 95): when every archive of the file is new
(no state row yet), their rows come from the one INSERT and the UPDATE over the file's archives (and the
ANALYZE that plans it) is skipped. The rows must be the ones the generic path writes, the skipped UPDATE
must have nothing to change, and the counters still equal a direct count."""

from array import array
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rmdesk.customers import signals as customer_signals
from rmdesk.customers.models import Customer
from rmdesk.work import cadence
from rmdesk.work.models import CadenceSetting, ChosenInterval, ContactStatus

from .test_counters import _counter_totals, _direct_totals

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 15)
FIELDS = ("org_path", "a_rm_id", "b_rm_id", "rule_id", "last_contact_at", "next_due_on", "due_basis", "status")


def _updates(queries):
    """The statements of a recompute that rewrite or re-plan existing state rows."""
    return [
        q["sql"] for q in queries if q["sql"].startswith(("UPDATE work_contactstatus", "ANALYZE work_contactstatus"))
    ]


def _rows(ids):
    return sorted(ContactStatus.objects.filter(customer_id__in=ids).values_list("customer_id", *FIELDS))


@pytest.fixture
def archives(world, make_customer, tiers, local_dt):
    """Archives of every tier kind (monthly, quarterly, weekly, no rule, none), opened on days that give
    every status on TODAY, some with a chosen interval (read when the setting is on)."""
    made = []
    owners = [(world.rm, None), (world.rm_b, world.rm), (world.rm2, None), (world.rm_t1b, world.rm2)]
    tier_names = ["gold", "platinum", "diamond", "standard", "tob_core", "t_silver", None]
    opened = [TODAY - timedelta(days=d) for d in (0, 2, 6, 9, 29, 31, 33, 90, 400)]
    n = 0
    for tier in tier_names:
        for day in opened:
            owner, b_rm = owners[n % len(owners)]
            made.append(
                make_customer(
                    owner,
                    b_rm=b_rm,
                    tier=tiers[tier] if tier else None,
                    created_at=local_dt(day.year, day.month, day.day),
                )
            )
            n += 1
    for i, c in enumerate(made[::5]):
        ChosenInterval.objects.create(
            customer=c, interval_months=i % 2, interval_days=0 if i % 2 else 10, declined=(i % 4 == 3)
        )
    return made


@pytest.mark.parametrize("mode", ["off", "shorter", "customer"])
def test_a_file_of_new_archives_gets_the_generic_paths_rows(world, make_customer, tiers, local_dt, archives, mode):
    CadenceSetting.objects.update_or_create(code="default", defaults={"customer_interval": mode})
    anchor = make_customer(world.rm, tier=tiers["gold"], created_at=local_dt(2026, 1, 2))
    cadence.recompute_all(today=TODAY, customer_ids=[anchor.pk])  # a row that exists before the file
    ids = [c.pk for c in archives]

    with CaptureQueriesContext(connection) as fast_path:
        out = cadence.recompute_all(today=TODAY, customer_ids=array("q", reversed(ids)))
    assert out == {"inserted": len(ids), "updated": 0}
    assert _updates(fast_path.captured_queries) == []
    fast = _rows(ids)
    assert len(fast) == len(ids)
    assert {r[-1] for r in fast} >= {"overdue", "due", "soon", "ok", "none"}
    # the UPDATE that was skipped, run now over the same archives, has nothing to change
    assert cadence.recompute_all(today=TODAY, customer_ids=ids) == {"inserted": 0, "updated": 0}
    assert _counter_totals() == _direct_totals()

    # the generic path (one archive of the file already has its row, so the UPDATE runs) writes the same rows
    ContactStatus.objects.filter(customer_id__in=ids).delete()
    with CaptureQueriesContext(connection) as generic:
        out = cadence.recompute_all(today=TODAY, customer_ids=[*ids, anchor.pk])
    assert out["inserted"] == len(ids)
    assert _updates(generic.captured_queries)  # the UPDATE ran here
    assert _rows(ids) == fast
    assert _counter_totals() == _direct_totals()


def test_the_import_signal_with_new_archives_and_a_missing_id(world, make_customer, tiers, local_dt, archives):
    """An id with no archive (deleted since) makes the file not all new: the generic path runs, same rows."""
    ids = [c.pk for c in archives]
    gone = make_customer(world.rm, tier=tiers["gold"], created_at=local_dt(2026, 1, 2))
    gone_pk = gone.pk
    Customer.objects.filter(pk=gone_pk).delete()
    customer_signals.customers_imported.send(sender=Customer, actor=world.lead, customer_ids=[*ids, gone_pk])
    with_missing = _rows(ids)
    ContactStatus.objects.filter(customer_id__in=ids).delete()
    customer_signals.customers_imported.send(sender=Customer, actor=world.lead, customer_ids=ids)
    assert _rows(ids) == with_missing
    assert not ContactStatus.objects.filter(customer_id=gone_pk).exists()
    assert _counter_totals() == _direct_totals()
