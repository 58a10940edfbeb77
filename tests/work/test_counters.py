"""Per-(A-post RM, org path) contact counters: what leads' and managers' summaries and home panels read
instead of grouping every cadence row of their subtree. After every kind of change (full recompute,
interaction, handover, tier change, deletion) they must give exactly the numbers of a direct GROUP BY
over the visible state rows."""

from collections import Counter
from datetime import date, timedelta

import pytest
from django.db.models import Count
from django.utils import timezone

from rmdesk.customers import signals as customer_signals
from rmdesk.customers.models import Customer
from rmdesk.org.models import RoleCode
from rmdesk.work import cadence
from rmdesk.work.models import ContactCounter, ContactStatus
from rmdesk.work.scope import visible_statuses
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def _counter_totals():
    """Counters summed per (a_rm, org_path, status), zero buckets dropped."""
    out = Counter()
    for c in ContactCounter.objects.all():
        for code in cadence.COUNTED:
            out[(c.a_rm_id, c.org_path, code)] += getattr(c, code)
    return {k: v for k, v in out.items() if v}


def _direct_totals():
    rows = ContactStatus.objects.exclude(status="none").values("a_rm_id", "org_path", "status").annotate(n=Count("pk"))
    return {(r["a_rm_id"], r["org_path"], r["status"]): r["n"] for r in rows}


def _as_set(rows, keys):
    return {tuple(r[k] for k in keys) for r in rows}


RM_KEYS = ("a_rm", "a_rm__full_name", "a_rm__username", "overdue", "due", "soon", "ok", "total")
TEAM_KEYS = ("org_path", "unit_name", "overdue", "due", "soon", "total")


def assert_counters_match(users):
    assert _counter_totals() == _direct_totals()
    for u in users:
        direct = cadence.summary_by_rm(visible_statuses(u))
        fast = cadence.rm_summary(u)
        assert _as_set(fast, RM_KEYS) == _as_set(direct, RM_KEYS), u.username
        assert len(fast) == len(direct)
        assert [r["overdue"] for r in fast] == sorted((r["overdue"] for r in fast), reverse=True)
        assert _as_set(cadence.team_summary(u), TEAM_KEYS) == _as_set(
            cadence.summary_by_team(visible_statuses(u)), TEAM_KEYS
        ), u.username
        for by in ("a_rm", "org_path"):
            assert _as_set(cadence.overdue_counts_for(u, by), (by, "overdue", "name")) == _as_set(
                cadence.overdue_counts(visible_statuses(u), by), (by, "overdue", "name")
            ), (u.username, by)


@pytest.fixture
def book(world, make_customer, tiers, local_dt):
    """Customers of every status in two teams of one sub-branch and one team of the other; a lead who
    is also an RM and holds B-post customers outside their team (owner part of the scope)."""
    w = world
    w.lead_rm = make_user("lead_rm", [RoleCode.RM, RoleCode.TEAM_LEAD], w.o1, w.t1, level="1")
    today = timezone.localdate()
    old = local_dt(2024, 1, 5)
    made = []
    for owner, tier, created, b_rm in [
        (w.rm, "gold", old, None),
        (w.rm, "gold", old, None),
        (w.rm, "platinum", old, w.rm_b),
        (w.rm_b, "gold", old, None),
        (w.rm_b, "standard", old, None),
        (w.rm_t1b, "tob_core", old, None),
        (w.rm2, "gold", old, w.rm),
        (w.rm2, "t_silver", old, w.lead_rm),
        (w.rm2, "diamond", old, None),
        (w.lead_rm, "gold", old, None),
    ]:
        made.append(make_customer(owner, tier=tiers[tier], created_at=created, b_rm=b_rm))
    # recent contacts: one due today, one soon, one ok
    for c, days in zip(made[:3], (31, 27, 1), strict=True):
        when = timezone.localtime() - timedelta(days=days)
        from rmdesk.work.models import Interaction

        Interaction.objects.create(customer=c, kind="phone", occurred_at=when, recorded_by=c.a_rm, purpose="联系")
    cadence.recompute_all(today=today, from_interactions=True)
    w.customers = made
    w.users = [w.rm, w.rm_b, w.rm2, w.lead, w.lead2, w.lead_rm, w.manager, w.risk, w.compliance, w.assistant]
    return w


def test_recompute_builds_counters_equal_to_group_by(book):
    statuses = set(ContactStatus.objects.values_list("status", flat=True))
    assert {"overdue", "none", "ok"} <= statuses  # the data covers several statuses
    assert ContactCounter.objects.exists()
    assert_counters_match(book.users)
    # the manager's team summary covers both teams of the sub-branch
    assert {r["unit_name"] for r in cadence.team_summary(book.manager)} == {"一队", "一队乙"}


def test_counters_follow_an_interaction(book):
    from rmdesk.work.services import record_interaction

    c = book.customers[0]
    before = ContactStatus.objects.get(customer=c).status
    assert before != "ok"
    record_interaction(book.rm, c.pk, kind="phone", occurred_at=timezone.localtime(), purpose="回访")
    assert ContactStatus.objects.get(customer=c).status in ("ok", "soon")
    assert_counters_match(book.users)


def test_counters_follow_a_handover_to_another_team(book):
    c = book.customers[1]
    c.a_rm, c.org_unit, c.org_path = book.rm2, book.t2, book.t2.path
    c.save()
    customer_signals.customers_handed_over.send(
        sender=Customer, actor=book.manager, customers=[c], from_rm=book.rm, to_rm=book.rm2, notes={}
    )
    assert ContactStatus.objects.get(customer=c).a_rm_id == book.rm2.pk
    assert_counters_match(book.users)


def test_counters_follow_a_tier_change(book, tiers):
    c = book.customers[3]  # gold, overdue -> standard (no cadence rule): leaves the counters
    old = c.tier
    c.tier = tiers["standard"]
    Customer.objects.filter(pk=c.pk).update(tier=c.tier)
    customer_signals.tier_changed.send(sender=Customer, customer=c, old_tier=old, new_tier=c.tier, change=None)
    assert ContactStatus.objects.get(customer=c).status == "none"
    assert_counters_match(book.users)
    c2 = book.customers[4]  # standard -> diamond: enters them
    c2.tier = tiers["diamond"]
    Customer.objects.filter(pk=c2.pk).update(tier=c2.tier)
    customer_signals.tier_changed.send(
        sender=Customer, customer=c2, old_tier=tiers["standard"], new_tier=c2.tier, change=None
    )
    assert ContactStatus.objects.get(customer=c2).status != "none"
    assert_counters_match(book.users)


def test_counters_follow_a_deleted_customer_and_a_later_day(book):
    book.customers[0].delete()
    assert_counters_match(book.users)
    # the next nightly run moves statuses on (soon -> due -> overdue) and rebuilds the counters
    cadence.recompute_all(today=timezone.localdate() + timedelta(days=40))
    assert_counters_match(book.users)


def test_summaries_read_a_constant_number_of_queries(book, make_customer, tiers, django_assert_max_num_queries):
    for _ in range(30):
        make_customer(book.rm, tier=tiers["gold"], created_at=book.customers[0].created_at)
    cadence.recompute_all(today=date.today())
    mgr = type(book.manager).objects.get(pk=book.manager.pk)
    with django_assert_max_num_queries(8):
        cadence.rm_summary(mgr)
    assert_counters_match(book.users)


def test_customer_page_work_slot_reads_two_queries(world, make_customer, tiers, client):
    """The 360° page's interactions slot: the interaction list and the cadence row, nothing else (the
    write permission comes from the page's own scoped read)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from rmdesk.work.models import Interaction, InteractionKind

    c = make_customer(world.rm, tier=tiers["gold"])
    for i in range(3):
        Interaction.objects.create(
            customer=c,
            kind=InteractionKind.PHONE,
            occurred_at=timezone.now() - timedelta(days=i),
            recorded_by=world.rm,
            purpose=f"联系{i}",
        )
    cadence.recompute_all()
    client.force_login(world.rm)
    with CaptureQueriesContext(connection) as ctx:
        resp = client.get(f"/customers/{c.pk}/")
    assert resp.status_code == 200
    body = resp.content.decode()
    assert 'data-testid="slot-interactions"' in body and "联系2" in body
    assert f"/work/appointments/new/?customer={c.pk}" in body  # the RM may record / plan
    work_sql = [
        q["sql"] for q in ctx.captured_queries if "work_interaction" in q["sql"] or "work_contactstatus" in q["sql"]
    ]
    assert len(work_sql) == 2, work_sql
    # the slot itself, given the page's customer (scoped read with `writable`): two queries
    from django.test import RequestFactory

    from rmdesk.customers.models import Customer as C
    from rmdesk.work.registry import _slot_context

    req = RequestFactory().get("/")
    req.user = type(world.rm).objects.get(pk=world.rm.pk)
    req.user.has_role("rm"), req.user.team, req.user.unit  # per-request caches the page has already filled
    page_customer = C.objects.get(pk=c.pk)
    page_customer.writable = True
    with CaptureQueriesContext(connection) as ctx:
        slot = _slot_context(req, page_customer)
    assert len(ctx.captured_queries) == 2, [q["sql"] for q in ctx.captured_queries]
    assert slot["can_write"] and len(slot["items"]) == 3 and slot["status"].customer_id == c.pk
    # a reader who may not write sees the slot without the links
    client.logout()
    client.force_login(world.risk)
    body = client.get(f"/customers/{c.pk}/").content.decode()
    assert 'data-testid="slot-interactions"' in body and "联系2" in body
    assert f"/work/appointments/new/?customer={c.pk}" not in body


def test_rebuild_from_scratch_equals_update_of_existing_rows(book):
    """recompute_all writes complete rows on INSERT (last contact, rule, due date, status): the result
    equals the one of updating existing rows, and a second run changes nothing."""
    today = timezone.localdate()
    fields = (
        "customer_id",
        "a_rm_id",
        "b_rm_id",
        "org_path",
        "rule_id",
        "last_contact_at",
        "last_contact_on",
        "next_due_on",
        "status",
    )

    def snapshot():
        return sorted(ContactStatus.objects.values_list(*fields))

    expected = snapshot()
    assert any(r[6] for r in expected) and any(r[7] for r in expected)
    ContactStatus.objects.all().delete()
    out = cadence.recompute_all(today=today, from_interactions=True)
    assert out["inserted"] == len(expected) and out["updated"] == 0 and out["contacts"] == 0
    assert snapshot() == expected
    assert_counters_match(book.users)
    # existing rows without their last contacts and with stale statuses: the UPDATE path restores them
    ContactStatus.objects.update(last_contact_at=None, last_contact_on=None, status="none", next_due_on=None)
    out = cadence.recompute_all(today=today, from_interactions=True)
    assert out["inserted"] == 0 and out["contacts"] > 0 and out["updated"] > 0
    assert snapshot() == expected
    assert cadence.recompute_all(today=today, from_interactions=True) == {"inserted": 0, "contacts": 0, "updated": 0}
    assert_counters_match(book.users)


def test_import_signal_refreshes_only_the_imported_archives(book, make_customer, tiers, local_dt):
    """customers_imported(actor, customer_ids): the file's archives get their cadence rows (new ones
    inserted, changed tiers re-derived) in set-based statements; other customers are left alone."""
    new = [make_customer(book.rm2, tier=tiers["gold"], created_at=local_dt(2024, 1, 5)) for _ in range(3)]
    untouched = make_customer(book.rm2, tier=tiers["gold"], created_at=local_dt(2024, 1, 5))
    changed = book.customers[4]  # standard (no rule) -> gold
    Customer.objects.filter(pk=changed.pk).update(tier=tiers["gold"])
    other = book.customers[5]
    ContactStatus.objects.filter(customer=other).update(status="ok")  # stale on purpose: not in the file
    customer_signals.customers_imported.send(
        sender=Customer, actor=book.manager, customer_ids=[c.pk for c in new] + [changed.pk]
    )
    assert set(ContactStatus.objects.filter(customer__in=new).values_list("status", flat=True)) == {"overdue"}
    assert not ContactStatus.objects.filter(customer=untouched).exists()
    assert ContactStatus.objects.get(customer=changed).status == "overdue"
    assert ContactStatus.objects.get(customer=other).status == "ok"
    assert _counter_totals() == _direct_totals()


def test_unassigned_customers_are_labelled_in_the_lead_panel():
    from rmdesk.work.cadence import _label_rows

    rows = _label_rows([{"a_rm": None, "overdue": 3}], "a_rm")
    assert rows[0]["name"] == "未分配"
