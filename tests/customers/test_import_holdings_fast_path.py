"""The holdings import's staging table and set-based write (issue 18, decision 94; SPEC §2 bulk
import) is the existing path: fixed and generated holdings files — new, updated and unchanged
holdings, with and without account numbers, closed, maturing, awkward-but-valid cells ("1,234.50",
"2020/1/5"), duplicate keys, bad cells, customers out of the importer's scope — are imported once with
the fast path and once with it switched off (settings.RMDESK_IMPORT_FAST_PATH) from the same database
state, and every column of the holdings and archives, the tier history, the job (counts, errors,
message) and the `customers_imported` signal are compared."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import transaction
from django.test import override_settings
from hypothesis import HealthCheck, given, settings, strategies as st

from rmdesk.customers import importer, signals
from rmdesk.customers.models import Customer, Holding, Product, TierChange
from rmdesk.customers.services import import_holdings_sql

from .import_compare import job_outcome, plain_rows, run_file
from .test_import import csv_bytes, xlsx

pytestmark = pytest.mark.django_db

HEADER = ["客户号", "产品代码", "账号", "余额", "开户日期", "销户日期", "到期日"]
IN_SCOPE = ["H01", "H02", "H03"]


def _codes():
    return list(Product.objects.order_by("code").values_list("code", flat=True))


def _existing(world, make_customer):
    """H01–H03 in the lead's team, X01 in another team (out of the lead's write scope); holdings
    already there: by account, and two without an account on the same product (the lowest id is
    the one a file updates)."""
    codes = _codes()
    made = {no: make_customer(world.rm, customer_no=no) for no in IN_SCOPE}
    made["X01"] = make_customer(world.rm2, customer_no="X01")
    h01, h02 = made["H01"], made["H02"]
    Holding.objects.create(
        customer=h01, product_id=_pid(codes[0]), account_no="A1", balance=Decimal("100.00"), opened_on=date(2020, 1, 5)
    )
    Holding.objects.create(
        customer=h01, product_id=_pid(codes[1]), account_no="", balance=Decimal("7.50"), opened_on=date(2021, 3, 1)
    )
    Holding.objects.create(customer=h01, product_id=_pid(codes[1]), account_no="", balance=Decimal("9.00"))
    Holding.objects.create(
        customer=h02,
        product_id=_pid(codes[2]),
        account_no="A2",
        balance=Decimal("500000.00"),
        opened_on=date(2019, 12, 31),
        matures_on=date(2024, 6, 30),
    )
    return codes


def _pid(code):
    return Product.objects.get(code=code).pk


def _run(world, content, name="h.csv"):
    return run_file(world, "holdings", content, name)


def _state(job, sent):
    numbers = dict(Customer.objects.values_list("pk", "customer_no"))
    return {
        "job": (*job_outcome(job), bool(job.error_report)),
        "holdings": plain_rows(Holding),
        "customers": plain_rows(Customer),
        "tiers": plain_rows(TierChange),
        "signal": [[numbers[pk] for pk in ids] for ids in sent],
        "holdings_updated_at_set": not Holding.objects.filter(updated_at__isnull=True).exists(),
    }


def _both_ways(world, content, name="h.csv"):
    """(state with the fast path off, state with it on, files the fast path wrote), each from the same
    database state."""
    written = []
    real = import_holdings_sql.Stage.write

    def spy(self, *args, **kwargs):
        written.append(self.rows)
        return real(self, *args, **kwargs)

    states = []
    for fast in (False, True):
        sid = transaction.savepoint()
        sent = []

        def listen(sender, customer_ids, sent=sent, **kwargs):
            sent.append(list(customer_ids))

        signals.customers_imported.connect(listen)
        try:
            with override_settings(RMDESK_IMPORT_FAST_PATH=fast):
                import_holdings_sql.Stage.write = spy
                try:
                    job = _run(world, content, name)
                finally:
                    import_holdings_sql.Stage.write = real
            states.append(_state(job, sent))
        finally:
            signals.customers_imported.disconnect(listen)
            transaction.savepoint_rollback(sid)
    return states[0], states[1], len(written)


def _row(no, code, account="", balance="1.00", opened="", closed="", matures=""):
    return [no, code, account, balance, opened, closed, matures]


def _fixed_rows(codes):
    return [
        _row("H01", codes[2], "A1", "100.00", "2020-01-05"),  # by account A1: the product changes
        _row("H01", codes[1], "", "8.00"),  # updates the lower-id holding without an account
        _row("H02", codes[2], "A2", "500000", "", "", ""),  # unchanged: empty dates keep the current ones
        _row("H02", codes[3], "A2b", "1,234.50", "2020/1/5", "", "2030-01-01"),  # new, awkward cells
        _row("H03", codes[0], "", "0", "2024-02-29", "2024-06-30"),  # new, closed
        _row("H03", codes[4], "Z9", "12.3", "20200105", "", "20201231"),  # new, maturing
    ]


@pytest.mark.parametrize("as_xlsx", [False, True])
def test_a_clean_file_gives_the_same_holdings_archives_and_signal_both_ways(world, make_customer, as_xlsx):
    codes = _existing(world, make_customer)
    rows = _fixed_rows(codes)
    content = xlsx(rows, header=HEADER) if as_xlsx else csv_bytes(rows, header=HEADER)
    slow, fast, written = _both_ways(world, content, "h.xlsx" if as_xlsx else "h.csv")
    assert written == 1  # the fast path wrote it
    assert slow["job"][0] == "done" and slow["job"][3:6] == (3, 2, 1)
    assert slow == fast


def test_reimporting_a_file_changes_nothing_on_the_fast_path(world, make_customer):
    codes = _existing(world, make_customer)
    content = csv_bytes(_fixed_rows(codes), header=HEADER)
    first = _run(world, content)
    assert first.status == "done"
    before = plain_rows(Holding), plain_rows(Customer), plain_rows(TierChange)
    again = _run(world, content, "again.csv")
    assert (again.status, again.created_count, again.updated_count, again.unchanged_count) == ("done", 0, 0, 6)
    assert (plain_rows(Holding), plain_rows(Customer), plain_rows(TierChange)) == before


@pytest.mark.parametrize(
    "bad",
    [
        _row("X01", "CODE0", "Q1"),  # out of the lead's scope
        _row("NOPE", "CODE0", "Q1"),  # unknown number
        _row("", "CODE0", "Q1"),  # no number
        _row("H03", "NO-SUCH", "Q1"),  # unknown product
        _row("H03", "CODE0", "Q1", "abc"),  # bad amount
        _row("H03", "CODE0", "Q1", ""),  # no balance
        _row("H03", "CODE0", "Q1", "-3"),  # negative
        _row("H03", "CODE0", "Q1", "1.234"),  # three places
        _row("H03", "CODE0", "Q1", "1", "2020-02-30"),  # no such day
        _row("H03", "CODE0", "Q1", "1", "2021-01-01", "", "2020-01-01"),  # matures before it opened
        _row("H03", "CODE0", "A1"),  # same key as the file's first H03 row below
        _row("H03", "CODE0", "A" * 41),  # account longer than the column (the existing path's way)
        _row("H03", "CODE0", "Q1", "99999999999999.99"),  # ≥ 10^13: left to the existing path
    ],
)
def test_a_file_the_fast_path_does_not_take_goes_the_existing_way(world, make_customer, bad):
    codes = _existing(world, make_customer)
    bad = [codes[0] if c == "CODE0" else c for c in bad]
    rows = [_row("H03", codes[0], "A1", "5"), *_fixed_rows(codes)[:3], bad]
    slow, fast, written = _both_ways(world, csv_bytes(rows, header=HEADER))
    assert written == 0
    assert slow == fast


def test_the_switch_off_never_stages(world, make_customer, monkeypatch):
    codes = _existing(world, make_customer)

    def refuse(*args, **kwargs):
        raise AssertionError("staged with the fast path off")

    monkeypatch.setattr(import_holdings_sql.Stage, "stage", refuse)
    with override_settings(RMDESK_IMPORT_FAST_PATH=False):
        job = _run(world, csv_bytes([_row("H03", codes[0], "N1")], header=HEADER))
    assert job.status == "done" and job.created_count == 1


_NUMBERS = [*IN_SCOPE, "H01", "X01", "NOPE"]
_ACCOUNTS = ["", "", "A1", "A2", "A2b", "Z9", "N1", "N2"]
_AMOUNTS = ["0", "1", "8.00", "100.00", "100", "7.5", "500000", "1,234.50", " 42 ", "12.345", "-3", "abc", ""]
_DATES = ["", "", "", "2020-01-05", "2019-12-31", "2024-06-30", "2020/1/5", "20301231", "2021-02-29", "x"]


@st.composite
def _files(draw, clean=False):
    n = draw(st.integers(1, 12))
    rows = []
    for _i in range(n):
        if clean:
            no = draw(st.sampled_from(IN_SCOPE))
            amount = draw(st.sampled_from(_AMOUNTS[:9]))
            dates = [draw(st.sampled_from(_DATES[:8])) for _d in range(3)]
        else:
            no = draw(st.sampled_from(_NUMBERS))
            amount = draw(st.sampled_from(_AMOUNTS))
            dates = [draw(st.sampled_from(_DATES)) for _d in range(3)]
        rows.append([no, draw(st.integers(0, 5)), draw(st.sampled_from(_ACCOUNTS)), amount, *dates])
    return rows


def _materialise(rows, codes, clean):
    out, keys = [], set()
    for no, p, account, amount, opened, closed, matures in rows:
        code = codes[p]
        if clean:
            key = (no, account or code)
            if key in keys:
                continue
            keys.add(key)
            if (
                opened
                and matures
                and importer.services.parse_date(matures, "m", {}) < importer.services.parse_date(opened, "o", {})
            ):
                matures = ""
        out.append([no, code, account, amount, opened, closed, matures])
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=_files(), as_xlsx=st.booleans(), batch=st.sampled_from([1, 2, 2000]))
def test_generated_files_give_the_same_database_and_report_both_ways(
    world, make_customer, monkeypatch, table, as_xlsx, batch
):
    sid = transaction.savepoint()
    try:
        codes = _existing(world, make_customer)
        monkeypatch.setattr(import_holdings_sql, "BATCH_SIZE", batch)
        rows = _materialise(table, codes, clean=False)
        content = xlsx(rows, header=HEADER) if as_xlsx else csv_bytes(rows, header=HEADER)
        slow, fast, _written = _both_ways(world, content, "h.xlsx" if as_xlsx else "h.csv")
        assert slow == fast
    finally:
        transaction.savepoint_rollback(sid)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=_files(clean=True), batch=st.sampled_from([1, 3, 2000]))
def test_generated_clean_files_are_written_by_the_fast_path_as_the_existing_path_writes_them(
    world, make_customer, monkeypatch, table, batch
):
    sid = transaction.savepoint()
    try:
        codes = _existing(world, make_customer)
        monkeypatch.setattr(import_holdings_sql, "BATCH_SIZE", batch)
        slow, fast, written = _both_ways(world, csv_bytes(_materialise(table, codes, clean=True), header=HEADER))
        assert slow["job"][0] == "done", slow["job"]
        assert written == 1
        assert slow == fast
    finally:
        transaction.savepoint_rollback(sid)


def test_an_account_number_longer_than_the_column_is_a_row_error_not_a_crash(world, make_customer):
    codes = _existing(world, make_customer)
    job = _run(world, csv_bytes([_row("H03", codes[0], "A" * 41), _row("H03", codes[0], "A" * 40)], header=HEADER))
    assert job.status == "failed"
    assert [(e["row"], e["field"]) for e in job.errors] == [(2, "account_no")]
    assert not Holding.objects.filter(customer__customer_no="H03").exists()


def test_a_file_of_only_the_header_gives_the_same_job_both_ways(world, make_customer):
    _existing(world, make_customer)
    slow, fast, written = _both_ways(world, csv_bytes([], header=HEADER))
    assert written == 1 and slow["job"][:6] == ("done", 0, 0, 0, 0, 0)
    assert slow == fast


def test_the_sessions_jit_setting_is_put_back(world, make_customer, monkeypatch):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's JIT")
    codes = _existing(world, make_customer)
    real, after = import_holdings_sql.Stage.check, []

    def check(self):  # read right after the planning statement (the cadence receiver sets its own LOCAL jit later)
        real(self)
        with connection.cursor() as cur:
            cur.execute("SELECT current_setting('jit')")
            after.append(cur.fetchone()[0])

    monkeypatch.setattr(import_holdings_sql.Stage, "check", check)
    with connection.cursor() as cur:
        cur.execute("SELECT set_config('jit', 'on', false)")
    job = _run(world, csv_bytes(_fixed_rows(codes), header=HEADER))
    assert (job.status, after) == ("done", ["on"])
