"""The import pipeline itself (issue 18): the one-pass check of a new archive answers what the
archive form's check answers, pinyin initials from the per-character table, check-digit errors per
row, staging cleaned up when a write fails, exactly-once on retry, the CSV read without holding the
file in memory, and the write phase's progress seen while its transaction is open (PostgreSQL)."""

import csv
import tracemalloc
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import connection, connections, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings, strategies as st

from rmdesk.customers import importer, services
from rmdesk.customers.models import Customer, Holding, ImportJob, TierChange
from rmdesk.customers.search import initials_of
from rmdesk.customers.services.import_fast import clean_new_row, fast_initials, iter_table
from rmdesk.customers.validators import make_credit_code, make_resident_id

from .test_import import csv_bytes, good_rows, row, xlsx

pytestmark = pytest.mark.django_db

TODAY = date(2026, 12, 6)
ID_OK = make_resident_id("320106", date(1985, 3, 14), "123")
USCC_OK = make_credit_code("91320100MA1XYW12")


def _bad_check(number: str) -> str:
    """The same number with a wrong check character."""
    last = number[-1]
    return number[:-1] + ("1" if last != "1" else "2")


VALID = [
    {"kind": "individual", "name": "张伟明", "id_number": ID_OK, "mobile": "13900000001"},
    {"kind": "individual", "name": " 李小红 ", "mobile": "+86 139-0000-0002", "gender": "F", "stage": "active"},
    {"kind": "individual", "name": "王五", "id_number": ID_OK.lower(), "birth_date": "1985-03-14", "gender": "M"},
    {"kind": "individual", "name": "赵六", "mobile": "13900000003", "birth_date": "1990/1/5", "annual_income": "1,200"},
    {"kind": "individual", "name": "钱七", "mobile": "13900000004", "birth_date": datetime(1991, 2, 3, 0, 0)},
    {"kind": "corporate", "name": "金陵机械有限公司", "credit_code": USCC_OK.lower(), "registered_capital": "5000000"},
    {"kind": "outlet", "name": "鼓楼烟酒店", "metrics": {"tobacco_sales": "12000.5", "x": ""}, "source": "import"},
    {"kind": "individual", "name": "孙八", "mobile": "13900000005", "email": "a@b.cn", "risk_tolerance": "C3"},
    {"kind": "individual", "name": "周九", "mobile": "13900000006", "ka_payment_days": "30", "ka_growth": "-1.5"},
    {"kind": "individual", "name": "吴十", "mobile": "13900000007", "founded_on": "20200101", "tags": "x"},
]
INVALID = [
    {"kind": "individual", "name": "甲", "id_number": _bad_check(ID_OK)},  # check digit
    {"kind": "corporate", "name": "乙公司", "credit_code": _bad_check(USCC_OK)},  # check digit
    {"kind": "corporate", "name": "丙公司"},  # no credit code
    {"kind": "individual", "name": "丁"},  # neither ID nor mobile
    {"kind": "individual", "name": "", "mobile": "13900000001"},
    {"kind": "individual", "name": "戊", "mobile": "12345"},
    {"kind": "individual", "name": "己", "id_number": ID_OK, "birth_date": "1985-03-15"},
    {"kind": "individual", "name": "庚", "id_number": ID_OK, "gender": "F"},
    {"kind": "individual", "name": "辛", "mobile": "13900000001", "birth_date": "1985-02-30"},
    {"kind": "individual", "name": "壬", "mobile": "13900000001", "annual_income": "1.234"},
    {"kind": "individual", "name": "癸", "mobile": "13900000001", "annual_income": "-5"},
    {"kind": "individual", "name": "子", "mobile": "13900000001", "risk_tolerance": "C9"},
    {"kind": "individual", "name": "丑", "mobile": "13900000001", "stage": "nope"},
    {"kind": "individual", "name": "寅", "mobile": "13900000001", "email": "not-an-email"},
    {"kind": "individual", "name": "卯", "mobile": "13900000001", "ka_payment_days": "-1"},
    {"kind": "individual", "name": "辰" * 121, "mobile": "13900000001"},
    {"kind": "alien", "name": "巳", "mobile": "13900000001"},
    {"kind": "outlet", "name": "午", "metrics": {"m": "abc"}},
]


@pytest.mark.parametrize("data", VALID)
def test_the_one_pass_check_answers_what_the_form_check_answers(data):
    assert clean_new_row(dict(data), TODAY) == services.clean_customer_data(dict(data))


@pytest.mark.parametrize("data", INVALID)
def test_a_row_the_form_check_refuses_is_left_to_it(data):
    with pytest.raises(ValidationError):
        services.clean_customer_data(dict(data))
    assert clean_new_row(dict(data), TODAY) is None


def test_an_id_number_born_after_today_is_left_to_the_form_check():
    future = make_resident_id("320106", date(2026, 12, 7), "123")
    assert clean_new_row({"name": "未来", "id_number": future}, TODAY) is None


@pytest.mark.parametrize(
    "name", ["张伟明", "欧阳明月", "单田芳", "曾国藩", "重庆火锅店", "长孙无忌", "银行", "Tom 李", "李2", "", "乐乐"]
)
def test_initials_from_the_character_table_are_pypinyins(name):
    assert fast_initials(name) == initials_of(name)


def test_initials_of_many_generated_names():
    import random

    from rmdesk import demo_names

    rng = random.Random(3)
    names = [demo_names.person_name(rng) for _ in range(3000)]
    assert [fast_initials(n) for n in names] == [initials_of(n) for n in names]


def _run(world, content, name="c.csv", kind="customers"):
    job = ImportJob(kind=kind, original_name=name, created_by=world.lead)
    job.file.save(name, ContentFile(content), save=False)
    job.save()
    return importer.run_import(job.pk)


def test_check_digit_errors_are_reported_per_row_and_nothing_is_written(world, ids):
    rows = [
        row("C001", "张一", id_number=ids.id(), a_rm_no=world.rm.employee_no),
        row("C002", "张二", id_number=_bad_check(ids.id()), a_rm_no=world.rm.employee_no),
        row("C003", "某公司", kind="对公", credit_code=_bad_check(ids.credit()), a_rm_no=world.rm.employee_no),
        row("C004", "张四", id_number=_bad_check(ids.id()), a_rm_no=world.rm.employee_no),
    ]
    before = Customer.objects.count()
    job = _run(world, csv_bytes(rows))
    assert job.status == "failed" and job.error_count == 3
    found = {(e["row"], e["customer_no"], e["field"]) for e in job.errors}
    assert found == {(3, "C002", "id_number"), (4, "C003", "credit_code"), (5, "C004", "id_number")}
    assert all("校验位错误" in e["message"] for e in job.errors)
    assert Customer.objects.count() == before


def _staging_tables():
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT count(*) FROM pg_class WHERE relname LIKE 'import_stage_%%'")
        else:
            cur.execute("SELECT count(*) FROM sqlite_master WHERE name LIKE 'import_stage_%'")
        return cur.fetchone()[0]


class WorkerKilled(BaseException):
    """What a SIGKILL looks like from inside the worker: nothing after it runs."""


def _holdings(rows):
    return xlsx(rows, header=["客户号", "产品代码", "账号", "余额", "开户日期", "销户日期"])


def test_a_failed_holdings_write_leaves_no_staging_and_nothing_written_and_a_retry_writes_once(world, ids, monkeypatch):
    assert _run(world, xlsx(good_rows(world, ids)), name="c.xlsx").status == "done"
    first = _holdings(
        [["K001", "WM-STABLE", "A-1", "1500000", "2024-01-05", ""], ["K002", "DEP-CUR", "D-1", "10", "", ""]]
    )
    assert _run(world, first, name="h1.xlsx", kind="holdings").status == "done"
    # the second file updates A-1 (through the staging table) and opens A-2; the worker dies after
    # the holdings are written, before the sums
    second = _holdings(
        [["K001", "WM-STABLE", "A-1", "900000", "2024-01-05", ""], ["K001", "DEP-CUR", "A-2", "5", "", ""]]
    )
    before = (Holding.objects.count(), TierChange.objects.count(), Customer.objects.get(customer_no="K001").aum)

    def die(*args, **kwargs):
        raise WorkerKilled

    monkeypatch.setattr(importer, "_recompute_touched", die)
    job = ImportJob(kind="holdings", original_name="h2.xlsx", created_by=world.lead)
    job.file.save("h2.xlsx", ContentFile(second), save=False)
    job.save()
    with pytest.raises(WorkerKilled):
        importer.run_import(job.pk)
    monkeypatch.undo()
    assert (Holding.objects.count(), TierChange.objects.count(), Customer.objects.get(customer_no="K001").aum) == before
    assert Holding.objects.get(account_no="A-1").balance == Decimal("1500000.00")
    assert _staging_tables() == 0
    # the sweep fails it, the retry runs it to the end once; a task delivered again does nothing
    ImportJob.objects.filter(pk=job.pk).update(progress_at=timezone.now() - timedelta(minutes=30))
    assert services.sweep_stalled_imports() == 1
    job = services.retry_import(world.lead, ImportJob.objects.get(pk=job.pk))
    job.refresh_from_db()
    assert job.status == "done" and (job.created_count, job.updated_count) == (1, 1), job.errors
    assert importer.run_import(job.pk).status == "done"
    assert Holding.objects.filter(account_no="A-2").count() == 1
    assert Holding.objects.get(account_no="A-1").balance == Decimal("900000.00")
    assert Customer.objects.get(customer_no="K001").aum == Decimal("900005.00")
    assert _staging_tables() == 0
    again = _run(world, second, name="h3.xlsx", kind="holdings")
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 2)


def test_a_holdings_file_sends_one_customers_imported_and_no_tier_changed(world, ids):
    from rmdesk.customers import signals

    _run(world, xlsx(good_rows(world, ids)), name="c.xlsx")
    seen = {"imported": [], "tier": 0}

    def on_imported(sender, customer_ids, **kw):
        seen["imported"].append(sorted(customer_ids))

    def on_tier(sender, **kw):
        seen["tier"] += 1

    signals.customers_imported.connect(on_imported, dispatch_uid="test.pipeline.imported")
    signals.tier_changed.connect(on_tier, dispatch_uid="test.pipeline.tier")
    try:
        content = _holdings([["K001", "WM-STABLE", "A-1", "1500000", "", ""], ["K002", "DEP-CUR", "D-1", "10", "", ""]])
        job = _run(world, content, name="h.xlsx", kind="holdings")
    finally:
        signals.customers_imported.disconnect(dispatch_uid="test.pipeline.imported")
        signals.tier_changed.disconnect(dispatch_uid="test.pipeline.tier")
    assert job.status == "done"
    k1, k2 = (Customer.objects.get(customer_no=n) for n in ("K001", "K002"))
    assert seen == {"imported": [sorted([k1.pk, k2.pk])], "tier": 0}
    change = TierChange.objects.filter(customer=k1).order_by("-id").first()
    assert change.to_tier_id == k1.tier_id and change.metric_value == Decimal("1500000.00")


def test_the_csv_is_read_without_holding_the_file_in_memory(tmp_path):
    path = tmp_path / "big.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["客户号", "客户名称", "地址"])
        for i in range(50_000):
            w.writerow([f"S{i:07d}", "张三", "南京市鼓楼区中山路1号" * 4])
    size = path.stat().st_size
    assert size > 6_000_000
    tracemalloc.start()
    try:
        rows = iter_table(str(path), "big.csv")
        assert iter(rows) is rows  # a generator, not a list
        n = sum(1 for _ in rows)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert n == 50_001
    assert peak < size / 4  # a few 256 KB chunks of the file at a time, never the whole of it


def test_a_gb18030_file_and_an_unreadable_one(tmp_path):
    good = tmp_path / "g.csv"
    good.write_bytes("客户号,客户名称\nA1,张三\n".encode("gb18030"))
    assert list(iter_table(str(good), "g.csv")) == [["客户号", "客户名称"], ["A1", "张三"]]
    bad = tmp_path / "b.csv"
    bad.write_bytes(b"\x81\x30\xff\xff\xff")
    with pytest.raises(ValidationError):
        list(iter_table(str(bad), "b.csv"))


def test_xlsx_and_csv_of_the_same_rows_import_the_same(world, ids):
    rows = good_rows(world, ids)
    a = _run(world, xlsx(rows), name="a.xlsx")
    assert a.status == "done" and a.created_count == len(rows)
    b = _run(world, csv_bytes(rows), name="b.csv")
    assert b.status == "done" and (b.created_count, b.unchanged_count) == (0, len(rows))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_write_progress_is_seen_while_the_write_transaction_is_open(world):
    if connection.vendor != "postgresql":
        # SQLite has one writer at a time: the write phase shows its progress when it commits
        job = ImportJob.objects.create(kind="customers", original_name="x.csv", created_by=world.lead)
        progress = importer._WriteProgress(job)
        assert progress.side is None
        progress(5, force=True)
        assert ImportJob.objects.get(pk=job.pk).processed_rows == 0
        return
    job = ImportJob.objects.create(kind="customers", original_name="x.csv", created_by=world.lead, status="writing")
    other = connections.create_connection("default")
    try:
        with transaction.atomic():
            assert importer._lock_writing_job(job)
            progress = importer._WriteProgress(job)
            try:
                progress(42, force=True)
            finally:
                progress.close()
            with other.cursor() as cur:
                cur.execute("SELECT processed_rows FROM customers_importjob WHERE id = %s", [job.pk])
                assert cur.fetchone()[0] == 42  # committed by the side connection, seen outside
                # the stall sweep's FOR UPDATE SKIP LOCKED still skips the job being written
                cur.execute("SELECT id FROM customers_importjob WHERE id = %s FOR UPDATE SKIP LOCKED", [job.pk])
                assert cur.fetchone() is None
    finally:
        other.close()
    assert ImportJob.objects.get(pk=job.pk).processed_rows == 42


def test_write_progress_reports_are_made_during_the_write(world, ids, monkeypatch):
    seen = []
    real = importer._WriteProgress.__call__

    def spy(self, n, *, force=False):
        seen.append(n)
        return real(self, n, force=force)

    monkeypatch.setattr(importer._WriteProgress, "__call__", spy)
    monkeypatch.setattr(importer, "BATCH_SIZE", 2)
    rows = [row(f"W{i:03d}", f"客户{i}", mobile=f"1380000{i:04d}") for i in range(7)]
    job = _run(world, csv_bytes(rows))
    assert job.status == "done" and job.created_count == 7
    assert seen[0] == 0 and seen[-1] == 7 and {0, 2, 4, 6} <= set(seen)


def test_the_customers_insert_streams_rows_to_copy_on_postgresql(world, ids, monkeypatch):
    """The bulk insert hands the rows to the writer as they are made (PostgreSQL: one COPY)."""
    from rmdesk.customers.services import import_fast

    calls = []
    real = import_fast.write_rows

    def spy(table, columns, rows, **kw):
        calls.append((table, type(rows).__name__))
        return real(table, columns, rows, **kw)

    monkeypatch.setattr(importer, "write_rows", spy)
    job = _run(world, xlsx(good_rows(world, ids)), name="c.xlsx")
    assert job.status == "done"
    if connection.vendor == "postgresql":
        assert ("customers_customer", "generator") in calls
    else:
        assert calls == []


# --- streaming and the staged keys (issue 18, round two) ------------------------------------------


def _validating_job(world):
    return ImportJob.objects.create(kind="customers", original_name="s.csv", created_by=world.lead, status="validating")


def test_validation_reads_the_file_at_most_one_batch_ahead(world, monkeypatch):
    """The rows are pulled from the reader a batch at a time: when row k is read, every row up to
    k - BATCH_SIZE has been validated (no list of the whole file is ever built)."""
    monkeypatch.setattr(importer, "BATCH_SIZE", 5)
    monkeypatch.setattr(importer, "PROGRESS_EVERY", 1)
    validated = [0]
    real = importer._progress

    def spy(job, n):
        validated[0] = n
        real(job, n)

    monkeypatch.setattr(importer, "_progress", spy)
    ahead = []

    def table():
        yield [label for _f, label in importer.CUSTOMER_COLUMNS]
        for i in range(23):
            ahead.append(i + 1 - validated[0])
            yield row(f"R{i:03d}", f"客户{i}", mobile=f"1360000{i:04d}")

    job = _validating_job(world)
    rows = importer._rows_as_dicts(table(), importer.CUSTOMER_COLUMNS)
    assert iter(rows) is rows and ahead == []  # nothing read below the header yet
    errors = importer._Errors()
    plan = importer._validate_customer_rows(job, world.lead, rows, errors)
    try:
        assert errors.items == [] and plan.rows == 23 and len(plan) == 23
        assert max(ahead) <= 5, ahead
        assert [len(b) for b in plan] == [5, 5, 5, 5, 3]  # spooled batch by batch, read back in order
    finally:
        plan.close()
    assert _staging_tables() == 0  # the staged keys are dropped once the file is validated


_SEEN_FIELDS = importer._Seen.FIELDS


class _DictSeen:
    """The reference: the first row of each key in plain dicts, as the row-by-row check kept them."""

    def __init__(self):
        self.d = {f: {} for f in _SEEN_FIELDS}

    def __getitem__(self, field):
        return self.d[field]

    def prefetch(self, keys):
        list(keys)

    def close(self):
        pass


def _errors_of(world, table, *, seen_class, kind="customers"):
    job = _validating_job(world)
    errors = importer._Errors()
    columns = importer.CUSTOMER_COLUMNS if kind == "customers" else importer.HOLDING_COLUMNS
    rows = importer._rows_as_dicts(iter(table), columns)
    real = importer._Seen
    importer._Seen = seen_class
    try:
        if kind == "customers":
            plan = importer._validate_customer_rows(job, world.lead, rows, errors)
        else:
            plan = importer._validate_holding_rows(job, world.lead, rows, errors)
    finally:
        importer._Seen = real
    n = len(plan)
    plan.close()
    return errors.items, n


_NOS = ["D1", "D2", "D3", "D4", "D5", "D6", "", "X" * 33]
_MOBILES = ["13600000001", "+86 136-0000-0001", "13600000002", "136 0000 0003", "12345", ""]


@st.composite
def _customer_files(draw):
    id_a = make_resident_id("320106", date(1980, 1, 2), "111")
    id_b = make_resident_id("320106", date(1981, 5, 6), "222")
    uscc = make_credit_code("91320100MA1XYW12")
    n = draw(st.integers(min_value=1, max_value=14))
    out = [[label for _f, label in importer.CUSTOMER_COLUMNS]]
    for i in range(n):
        kind = draw(st.sampled_from(["个人", "个人", "对公"]))
        values = {
            "customer_no": draw(st.sampled_from(_NOS)),
            "id_number": draw(st.sampled_from([id_a, id_a.lower(), id_b, _bad_check(id_b), ""])),
            "mobile": draw(st.sampled_from(_MOBILES)),
            "credit_code": draw(st.sampled_from([uscc, uscc.lower(), _bad_check(uscc), ""])) if kind == "对公" else "",
        }
        out.append(row(values.pop("customer_no"), f"客户{i}", kind=kind, **values))
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=_customer_files(), batch=st.integers(min_value=1, max_value=6))
def test_staged_keys_find_the_errors_the_row_by_row_dicts_find(world, monkeypatch, table, batch):
    """Random files with duplicate numbers, ID numbers, credit codes and mobiles (some written
    differently: lower case, +86 and dashes), bad check digits and missing fields: the staged keys
    give the same errors, in the same order, as the dicts of the row-by-row check, whatever the
    batch size (keys seen in an earlier batch come from the staging table)."""
    monkeypatch.setattr(importer, "BATCH_SIZE", batch)
    staged, n_staged = _errors_of(world, table, seen_class=importer._Seen)
    reference, n_reference = _errors_of(world, table, seen_class=_DictSeen)
    assert staged == reference and n_staged == n_reference
    assert _staging_tables() == 0


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lines=st.lists(
        st.tuples(
            st.sampled_from(["K001", "K002", "NOPE"]),
            st.sampled_from(["WM-STABLE", "DEP-CUR", "BAD"]),
            st.sampled_from(["A-1", "A-2", ""]),
            st.sampled_from(["10", "x", ""]),
        ),
        min_size=1,
        max_size=10,
    ),
    batch=st.integers(min_value=1, max_value=4),
)
def test_staged_holding_keys_find_the_errors_the_dicts_find(world, ids, monkeypatch, lines, batch):
    if not Customer.objects.filter(customer_no="K001").exists():
        assert _run(world, xlsx(good_rows(world, ids)), name="c.xlsx").status == "done"
    monkeypatch.setattr(importer, "BATCH_SIZE", batch)
    table = [["客户号", "产品代码", "账号", "余额"], *[list(line) for line in lines]]
    staged = _errors_of(world, table, seen_class=importer._Seen, kind="holdings")
    reference = _errors_of(world, table, seen_class=_DictSeen, kind="holdings")
    assert staged == reference
