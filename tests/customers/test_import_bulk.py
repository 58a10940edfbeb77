"""The bulk import path (bench/notes.md item 8): batches of look-ups, bulk inserts, one
`customers_imported` signal. Same results as the row-by-row import: all-or-nothing per file, per-row
error report, idempotent second run, conflicts instead of duplicates; results do not depend on
where the batch boundaries fall."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rmdesk.customers import importer, services, signals
from rmdesk.customers.importer import CUSTOMER_COLUMNS
from rmdesk.customers.models import (
    Conflict,
    Customer,
    ImportJob,
    KeyDate,
    OwnershipChange,
    Tag,
    TierChange,
)
from rmdesk.customers.search import initials_of

pytestmark = pytest.mark.django_db

HEADER = [label for _f, label in CUSTOMER_COLUMNS]


def csv_bytes(rows):
    import csv
    import io

    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(HEADER)
    w.writerows(rows)
    return out.getvalue().encode("utf-8")


def row(no, name, **kw):
    values = {"customer_no": no, "kind": "个人", "name": name, **kw}
    return [values.get(f, "") for f, _l in CUSTOMER_COLUMNS]


def run(actor, rows, name="c.csv"):
    job = ImportJob(kind="customers", original_name=name, created_by=actor)
    job.file.save(name, ContentFile(csv_bytes(rows)), save=False)
    job.save()
    return importer.run_import(job.pk)


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(importer, "BATCH_SIZE", 3)


def many_rows(world, ids, n=10, prefix="B"):
    out = []
    for i in range(n):
        rm = [world.rm, world.rm_b, None][i % 3]
        born = date(1980, 3, 1 + i % 9)
        out.append(
            row(
                f"{prefix}{i:03d}",
                f"张伟{i}",
                id_number=ids.id(born=born),
                mobile=f"1370{ord(prefix[0]) % 100:02d}{i:05d}",
                birth_date=born.isoformat(),
                a_rm_no=rm.employee_no if rm else "",
                org_unit_code="" if rm else "T1",
                tags="代发、高净值" if i % 2 else "新客",
            )
        )
    return out


def counts():
    return (
        Customer.objects.count(),
        TierChange.objects.count(),
        OwnershipChange.objects.count(),
        KeyDate.objects.count(),
        Conflict.objects.count(),
        Customer.tags.through.objects.count(),
    )


def test_new_archives_carry_what_the_single_save_gave_them(world, ids, small_batches):
    job = run(world.lead, many_rows(world, ids))
    assert job.status == "done", job.errors
    assert job.created_count == 10
    standard = services.tier_for_value(list(services.active_rule_set().tiers.all()), Decimal("0"))
    for i, c in enumerate(Customer.objects.order_by("customer_no").select_related("tier")):
        assert c.customer_no == f"B{i:03d}" and c.source == "import"
        assert c.name_initials == initials_of(c.name) and c.mobile_tail == c.mobile[-4:]
        assert c.id_tail == c.id_number[-4:]
        assert c.completeness == services.completeness_of(c, doc_kinds=set(), has_contacts=False, has_financials=False)
        assert c.tier == standard
        change = TierChange.objects.get(customer=c)
        assert (change.from_tier, change.to_tier, change.direction, change.reason) == (
            None,
            standard,
            "initial",
            "建档定级",
        )
        assert change.org_path == c.org_path and change.a_rm_id == c.a_rm_id
        own = OwnershipChange.objects.get(customer=c)
        assert (own.kind, own.to_a_id, own.actor, own.note) == ("create", c.a_rm_id, world.lead, "批量导入")
        birthday = KeyDate.objects.get(customer=c)
        assert (birthday.kind, birthday.date, birthday.month, birthday.day) == ("birthday", c.birth_date, 3, 1 + i % 9)
        assert sorted(c.tags.values_list("name", flat=True)) == (["代发", "高净值"] if i % 2 else ["新客"])
        expected_rm = [world.rm, world.rm_b, None][i % 3]
        assert c.a_rm == expected_rm and c.org_path == world.t1.path
    assert Tag.objects.filter(name="代发").count() == 1


def test_second_run_changes_nothing(world, ids, small_batches):
    rows = many_rows(world, ids)
    run(world.lead, rows)
    snapshot, before = list(Customer.objects.order_by("id").values()), counts()
    again = run(world.lead, rows)
    assert (again.status, again.created_count, again.updated_count, again.unchanged_count) == ("done", 0, 0, 10)
    assert list(Customer.objects.order_by("id").values()) == snapshot and counts() == before


def test_a_bad_row_in_the_last_batch_writes_nothing(world, ids, small_batches):
    rows = many_rows(world, ids) + [row("B999", "坏手机", mobile="1390000")]
    before = counts()
    job = run(world.lead, rows)
    assert job.status == "failed" and [e["row"] for e in job.errors] == [12] and job.errors[0]["field"] == "mobile"
    assert counts() == before


def test_in_file_duplicates_across_batches_are_bad_rows(world, ids, small_batches):
    rows = many_rows(world, ids, 8)
    rows.append(
        row("B100", "重复手机", mobile=rows[1][CUSTOMER_COLUMNS.index(("mobile", "手机号码"))])
    )  # two batches back
    rows.append(row("B000", "重复客户号", mobile="13700009999"))
    job = run(world.lead, rows)
    assert job.status == "failed"
    assert {(e["row"], e["field"]) for e in job.errors} == {(10, "mobile"), (11, "customer_no")}
    assert not Customer.objects.exists()


def test_unqualified_and_unknown_owners_are_reported_on_every_row(world, ids, small_batches):
    rows = [row(f"Q{i}", f"客户{i}", mobile=f"1360000{i:04d}", a_rm_no=world.lead.employee_no) for i in range(4)]
    rows.append(row("Q9", "无工号", mobile="13600009999", a_rm_no="NOPE"))
    job = run(world.lead, rows)
    assert job.status == "failed"
    assert [(e["row"], e["field"]) for e in job.errors] == [
        (2, "a_rm_no"),
        (3, "a_rm_no"),
        (4, "a_rm_no"),
        (5, "a_rm_no"),
        (6, "a_rm_no"),
    ]
    assert "不是客户经理" in job.errors[0]["message"] and "不存在" in job.errors[-1]["message"]


def test_conflicts_with_archives_on_file(world, ids, make_customer, small_batches):
    number = ids.id()
    other = make_customer(world.rm2, name="张伟明", id_number=number)
    mine = make_customer(world.rm, name="李小红", customer_no="M001", mobile="13500000001")
    taken = make_customer(world.rm, name="王五", mobile="13500000002")
    rows = many_rows(world, ids, 4) + [
        row("K100", "张伟明", id_number=number, mobile="13500000100"),  # create: same ID number as `other`
        row("M001", "李小红", mobile="13500000002"),  # update onto `taken`'s mobile
    ]
    job = run(world.lead, rows)
    assert job.status == "done", job.errors
    assert (job.created_count, job.updated_count, job.conflict_count) == (4, 0, 2)
    assert not Customer.objects.filter(customer_no="K100").exists()
    create_conflict = Conflict.objects.get(existing=other)
    assert create_conflict.source == "import" and create_conflict.proposed["customer_no"] == "K100"
    edit_conflict = Conflict.objects.get(existing=taken)
    assert edit_conflict.subject == mine and edit_conflict.match_field == "mobile"
    mine.refresh_from_db()
    assert mine.mobile == "13500000001"  # not applied
    again = run(world.lead, rows)
    assert again.conflict_count == 2 and Conflict.objects.count() == 2  # the same open claims


def test_an_update_moving_off_a_value_frees_it_for_a_new_row(world, ids, make_customer):
    make_customer(world.rm, name="李小红", customer_no="M001", mobile="13500000001")
    job = run(world.lead, [row("M001", "李小红", mobile="13500000009"), row("N001", "新客户", mobile="13500000001")])
    assert job.status == "done" and (job.created_count, job.updated_count, job.conflict_count) == (1, 1, 0)


def test_one_signal_for_the_file_and_no_per_row_signals(world, ids, make_customer, small_batches):
    existing = make_customer(world.rm, name="李小红", customer_no="M001", mobile="13500000001")
    got = {"imported": [], "tier": 0, "created": 0}

    def on_imported(sender, actor, customer_ids, **kw):
        got["imported"].append((actor, sorted(customer_ids)))

    def on_tier(sender, **kw):
        got["tier"] += 1

    def on_created(sender, **kw):
        got["created"] += 1

    signals.customers_imported.connect(on_imported, dispatch_uid="t.imported")
    signals.tier_changed.connect(on_tier, dispatch_uid="t.tier")
    signals.customer_created.connect(on_created, dispatch_uid="t.created")
    try:
        job = run(
            world.lead, many_rows(world, ids, 7) + [row("M001", "李小红", mobile="13500000001", occupation="会计")]
        )
    finally:
        signals.customers_imported.disconnect(dispatch_uid="t.imported")
        signals.tier_changed.disconnect(dispatch_uid="t.tier")
        signals.customer_created.disconnect(dispatch_uid="t.created")
    assert job.status == "done" and (job.created_count, job.updated_count) == (7, 1)
    ids_now = sorted(Customer.objects.values_list("pk", flat=True))
    assert got["imported"] == [(world.lead, ids_now)] and existing.pk in ids_now
    assert got["tier"] == 0 and got["created"] == 0


def test_new_archives_in_a_watched_stage_reach_the_churn_watch(world, ids):
    """A row created in 流失预警 sends `stage_changed` (old_stage None), which the service app watches."""
    from rmdesk.service.models import WatchEntry

    job = run(
        world.lead, [row("R001", "流失预警客户", mobile="13400000001", stage="流失预警", a_rm_no=world.rm.employee_no)]
    )
    assert job.status == "done", job.errors
    assert WatchEntry.objects.filter(customer__customer_no="R001").exists()


def test_queries_do_not_grow_with_the_rows(world, ids):
    def queries_for(n, prefix):
        with CaptureQueriesContext(connection) as ctx:
            job = run(world.lead, many_rows(world, ids, n, prefix))
        assert job.status == "done" and job.created_count == n, job.errors
        return len(ctx.captured_queries)

    small, large = queries_for(20, "S"), queries_for(80, "L")
    assert large - small <= 3, (small, large)  # progress updates, not per-row queries
