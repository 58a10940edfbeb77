"""The set-based parts of the holdings import (issue 18): `update_rows` (one UPDATE … FROM unnest of
arrays on PostgreSQL, executemany on SQLite) writes every kind of column it is given, and a holdings
file leaves each archive with exactly the sums, tier and tier history that the one-archive service
(`services.recompute_aggregates`) computes from the same holdings, whatever the batch boundaries."""

import random
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile

from rmdesk.customers import importer, services
from rmdesk.customers.models import Customer, Holding, ImportJob, Product, TierChange
from rmdesk.customers.services.import_fast import update_rows

from .test_import import csv_bytes, good_rows, xlsx

pytestmark = pytest.mark.django_db

HEADER = ["客户号", "产品代码", "账号", "余额", "开户日期", "销户日期"]


def _run(actor, content, name, kind):
    job = ImportJob(kind=kind, original_name=name, created_by=actor)
    job.file.save(name, ContentFile(content), save=False)
    job.save()
    return importer.run_import(job.pk)


def _archives(world, ids):
    job = _run(world.lead, xlsx(good_rows(world, ids)), "c.xlsx", "customers")
    assert job.status == "done", job.errors
    return list(Customer.objects.order_by("customer_no").values_list("customer_no", flat=True))


def test_update_rows_writes_decimals_dates_json_and_nulls(world, make_customer):
    a = make_customer(world.rm, metrics={"old": "1"}, birth_date=date(1980, 1, 1))
    b = make_customer(world.rm, aum=Decimal("5.00"))
    c = make_customer(world.rm)
    tier = services.active_rule_set().tiers.order_by("rank").last()
    rows = [
        (a.pk, Decimal("1234567.89"), None, {"tobacco_sales": "12.5", "名": "值"}, date(1990, 2, 3), "新名"),
        (b.pk, Decimal("0.00"), tier.pk, {}, None, "乙"),
        (c.pk, Decimal("-1.50"), None, {"k": [1, 2]}, date(2000, 12, 31), "丙"),
    ]
    # batch=2: the last row goes in a second statement
    n = update_rows(Customer._meta.db_table, "id", ["aum", "tier_id", "metrics", "birth_date", "name"], rows, batch=2)
    assert n == 3
    got = {
        r[0]: r[1:]
        for r in Customer.objects.filter(pk__in=[a.pk, b.pk, c.pk]).values_list(
            "pk", "aum", "tier_id", "metrics", "birth_date", "name"
        )
    }
    assert got == {r[0]: r[1:] for r in rows}
    assert update_rows(Customer._meta.db_table, "id", ["aum"], []) == 0


def _random_file(rng, numbers, codes, accounts):
    """Rows of a holdings file: new accounts, changed balances of accounts already held, closed ones,
    rows with no account (matched by product); each account at most once in the file."""
    rows, used = [], set()
    for _i in range(rng.randint(4, 12)):
        no = rng.choice(numbers)
        code = rng.choice(codes)
        pick = rng.random()
        if pick < 0.3 and accounts.get(no):
            account = rng.choice(accounts[no])
        elif pick < 0.45:
            account = ""
        else:
            account = f"A{rng.randint(1, 30)}"
        key = (no, account or code)
        if key in used:
            continue
        used.add(key)
        balance = f"{rng.randint(0, 3_000_000)}.{rng.randint(0, 99):02d}"
        closed = "2025-06-30" if rng.random() < 0.15 else ""
        rows.append([no, code, account, balance, "2024-01-05", closed])
        if account:
            accounts.setdefault(no, []).append(account)
    return rows


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_holdings_files_leave_the_sums_and_tier_the_service_computes(world, ids, monkeypatch, seed):
    monkeypatch.setattr(importer, "BATCH_SIZE", 2)  # batch boundaries inside every file
    numbers = _archives(world, ids)
    codes = list(Product.objects.order_by("code").values_list("code", flat=True))
    rng = random.Random(seed)
    accounts: dict = {}
    for round_no in range(3):
        rows = _random_file(rng, numbers, codes, accounts)
        changes_before = TierChange.objects.count()
        job = _run(world.lead, csv_bytes(rows, header=HEADER), f"h{round_no}.csv", "holdings")
        assert job.status == "done", job.errors
        imported = {
            c.pk: (c.aum, c.deposits, c.loans, c.tier_id) for c in Customer.objects.filter(customer_no__in=numbers)
        }
        new_changes = TierChange.objects.count() - changes_before
        # the reference: the one-archive service over the same holdings changes nothing more
        for c in Customer.objects.filter(customer_no__in=numbers):
            assert services.recompute_aggregates(c) == {}, (seed, round_no, c.customer_no)
            c.refresh_from_db()
            assert (c.aum, c.deposits, c.loans, c.tier_id) == imported[c.pk], (seed, round_no, c.customer_no)
        assert TierChange.objects.count() - changes_before == new_changes
        # and each archive's last tier change names the tier it now has
        for pk, (*_sums, tier_id) in imported.items():
            last = TierChange.objects.filter(customer_id=pk).order_by("-id").first()
            assert last is None or last.to_tier_id == tier_id
    # the last file again changes nothing
    again = _run(world.lead, csv_bytes(rows, header=HEADER), "again.csv", "holdings")
    assert (again.status, again.created_count, again.updated_count) == ("done", 0, 0)
    assert again.unchanged_count == len(rows) and Holding.objects.count() >= len(rows)
