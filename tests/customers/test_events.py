"""Domain events of the archive (customers/signals.py, issue 9): `stage_changed` when a service
really changes the lifecycle stage (edit, import update), `customers_merged` when a duplicate archive
is merged; a merge is not churn (no `stage_changed` for the merged archive). All are sent inside
the action's transaction: a receiver's failure rolls the action back."""

from contextlib import contextmanager

import pytest
from django.core.files.base import ContentFile

from rmdesk.customers import importer, services, signals
from rmdesk.customers.importer import CUSTOMER_COLUMNS
from rmdesk.customers.models import Customer, ImportJob, Note, Product

pytestmark = pytest.mark.django_db


@contextmanager
def listening(signal):
    got = []

    def receiver(sender, **kw):
        got.append(kw)

    signal.connect(receiver, dispatch_uid="test.events")
    try:
        yield got
    finally:
        signal.disconnect(dispatch_uid="test.events")


def individual(ids, **extra):
    return {"kind": "individual", "name": "张伟明", "id_number": ids.id(), "mobile": ids.mobile(), **extra}


def test_an_edit_changing_the_stage_sends_stage_changed(world, ids):
    c, _ = services.create_customer(world.rm, individual(ids))
    with listening(signals.stage_changed) as got:
        c, _ = services.update_customer(world.rm, c.pk, {"stage": "at_risk"}, version=c.version)
    assert [(e["actor"], e["customer"].pk, e["old_stage"], e["new_stage"]) for e in got] == [
        (world.rm, c.pk, "potential", "at_risk")
    ]


def test_creating_past_potential_sends_stage_changed_from_none(world, ids):
    with listening(signals.stage_changed) as got:
        c, _ = services.create_customer(world.rm, individual(ids, stage="at_risk"))
        services.create_customer(world.rm, individual(ids))  # 潜在, the initial stage: nothing to announce
    assert [(e["customer"].pk, e["old_stage"], e["new_stage"]) for e in got] == [(c.pk, None, "at_risk")]


def test_an_edit_keeping_the_stage_sends_nothing(world, ids):
    c, _ = services.create_customer(world.rm, individual(ids, stage="active"))
    with listening(signals.stage_changed) as got:
        services.update_customer(world.rm, c.pk, {"occupation": "教师", "stage": "active"}, version=c.version)
    assert got == []


def test_a_failing_receiver_rolls_the_edit_back(world, ids):
    c, _ = services.create_customer(world.rm, individual(ids))

    def boom(sender, **kw):
        raise RuntimeError("receiver failed")

    signals.stage_changed.connect(boom, dispatch_uid="test.boom")
    try:
        with pytest.raises(RuntimeError):
            services.update_customer(world.rm, c.pk, {"stage": "lost"}, version=c.version)
    finally:
        signals.stage_changed.disconnect(dispatch_uid="test.boom")
    c.refresh_from_db()
    assert (c.stage, c.version) == ("potential", 1)


def _run_import(actor, rows):
    import csv
    import io

    out = io.StringIO()
    w = csv.writer(out)
    w.writerow([label for _f, label in CUSTOMER_COLUMNS])
    for values in rows:
        w.writerow([values.get(f, "") for f, _l in CUSTOMER_COLUMNS])
    job = ImportJob(kind="customers", original_name="c.csv", created_by=actor)
    job.file.save("c.csv", ContentFile(out.getvalue().encode()), save=False)
    job.save()
    return importer.run_import(job.pk)


def test_an_import_sends_stage_changed_per_row_whose_stage_changed(world, make_customer):
    moved = make_customer(world.rm, name="李小红", customer_no="M001", mobile="13500000001", stage="active")
    kept = make_customer(world.rm, name="王五", customer_no="M002", mobile="13500000002", stage="active")
    with listening(signals.stage_changed) as got:
        job = _run_import(
            world.lead,
            [
                {"customer_no": "M001", "kind": "个人", "name": "李小红", "stage": "流失预警"},
                {"customer_no": "M002", "kind": "个人", "name": "王五", "stage": "活跃", "occupation": "教师"},
                {
                    "customer_no": "N001",
                    "kind": "个人",
                    "name": "新客户",
                    "mobile": "13500000003",
                    "stage": "活跃",
                    "a_rm_no": world.rm.employee_no,
                },
            ],
        )
    assert job.status == "done", job.errors
    new = Customer.objects.get(customer_no="N001")
    assert [(e["actor"], e["customer"].pk, e["old_stage"], e["new_stage"]) for e in got] == [
        (world.lead, moved.pk, "active", "at_risk"),
        (world.lead, new.pk, None, "active"),
    ]
    assert kept.pk not in [e["customer"].pk for e in got]


def test_a_merge_sends_customers_merged_and_no_stage_changed(world, ids):
    a, _ = services.create_customer(world.rm, individual(ids, stage="active"))
    b, _ = services.create_customer(world.rm, individual(ids, name="张伟明", stage="active"))
    services.save_holding(world.rm, b.pk, product=Product.objects.get(code="DEP-CUR"), balance="1000")
    services.add_note(world.rm, b.pk, "重要客户")
    _, conflict = services.update_customer(world.rm, b.pk, {"mobile": a.mobile}, version=b.version)
    seen_in_receiver = {}

    def on_merged(sender, actor, source, target, **kw):
        # sent after the archive's own rows moved, inside the transaction
        seen_in_receiver["notes_of_source"] = Note.objects.filter(customer=source).count()
        seen_in_receiver["merged_into"] = Customer.objects.get(pk=source.pk).merged_into_id

    signals.customers_merged.connect(on_merged, dispatch_uid="test.merged.check")
    try:
        with listening(signals.customers_merged) as merged, listening(signals.stage_changed) as staged:
            services.resolve_conflict(world.lead, conflict.pk, "merge")
    finally:
        signals.customers_merged.disconnect(dispatch_uid="test.merged.check")
    assert [(e["actor"], e["source"].pk, e["target"].pk) for e in merged] == [(world.lead, b.pk, a.pk)]
    assert staged == []
    assert seen_in_receiver == {"notes_of_source": 0, "merged_into": a.pk}
    b.refresh_from_db()
    assert b.merged_into_id == a.pk


def test_a_merge_of_a_claim_without_an_archive_sends_no_merge(world, ids):
    first, _ = services.create_customer(world.rm, individual(ids))
    _, conflict = services.create_customer(world.rm_b, individual(ids, id_number=first.id_number, occupation="医生"))
    with listening(signals.customers_merged) as merged:
        services.resolve_conflict(world.lead, conflict.pk, "merge")
    assert merged == []
    first.refresh_from_db()
    assert first.occupation == "医生"


def test_a_failing_merge_receiver_rolls_the_merge_back(world, ids):
    a, _ = services.create_customer(world.rm, individual(ids))
    b, _ = services.create_customer(world.rm, individual(ids))
    services.add_note(world.rm, b.pk, "重要客户")
    _, conflict = services.update_customer(world.rm, b.pk, {"mobile": a.mobile}, version=b.version)

    def boom(sender, **kw):
        raise RuntimeError("receiver failed")

    signals.customers_merged.connect(boom, dispatch_uid="test.boom")
    try:
        with pytest.raises(RuntimeError):
            services.resolve_conflict(world.lead, conflict.pk, "merge")
    finally:
        signals.customers_merged.disconnect(dispatch_uid="test.boom")
    b.refresh_from_db()
    assert b.merged_into_id is None and Note.objects.filter(customer=b).count() == 1
