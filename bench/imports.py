"""Item 10 (issue 18): the import against its floor, for customers and for holdings.

The floor is a raw bulk load of the same file into a scratch copy of the same table with its indexes:
the file read with the csv module, labels mapped to codes by dict look-ups, the RM / customer numbers
resolved by one query before the clock starts, and the rows written with `COPY ... FROM STDIN`
(PostgreSQL) or `executemany` in batches (SQLite) into `CREATE TABLE ... (LIKE t INCLUDING ALL)`
(PostgreSQL: columns, defaults, indexes and checks, no foreign keys) or a copy of the columns with
each index of the table recreated on it (SQLite). The import is the product's `run_import` on the
same file (every check, the write of the archive and what goes with it: ownership and first-tier
history, birthdays; for holdings the AUM/deposits/loans and tier of every touched archive).

Both run in a fresh child process each (bench.heavy's runner: peak RSS from wait4) inside one
transaction rolled back at the end, so the bench dataset stays as it is. Figures: import rows/s
(≥ 10,000), floor rows/s (info), import/floor (≥ 50 %), the import's peak RSS (≤ 300 MB; the budget is
for a 1,000,000-row file: `--rss-rows 1000000` adds a customers import of a file that long, measured for
its peak RSS, its rows/s shown beside it).
"""

import csv
import random
import tempfile
import time
from pathlib import Path

from bench.heavy import _child, write_csv
from bench.items import Budget, Figure, NotBuilt

RATE_BUDGET = 10_000  # rows/s, PostgreSQL branch size and SQLite at 100k
RATIO_BUDGET = 0.5  # import rows/s over the floor's
RSS_BUDGET_MB = 300


def write_holdings_csv(path: Path, customer_nos: list[str], product_codes: list[str], seed: int = 11):
    """One new account per customer number (a holding the archive does not have yet)."""
    rng = random.Random(seed)
    stamp = int(time.time()) % 100000
    with open(path, "w", newline="", encoding="utf-8-sig") as fh:
        w = csv.writer(fh)
        w.writerow(["客户号", "产品代码", "账号", "余额", "开户日期"])
        for i, no in enumerate(customer_nos):
            w.writerow(
                [
                    no,
                    product_codes[i % len(product_codes)],
                    f"BX{stamp:05d}{i:08d}",
                    f"{rng.randint(1, 500_000)}.{rng.randint(0, 99):02d}",
                    f"20{rng.randint(10, 25)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                ]
            )


def _figures(kind: str, label: str):
    imp = Figure(
        "10",
        f"{label} import through the pipeline",
        "service",
        unit="rows/s",
        budget=Budget("value", ">=", RATE_BUDGET, "rows/s"),
    )
    floor = Figure("10", f"{label}: raw bulk load of the same file (floor)", "raw", unit="rows/s")
    ratio = Figure(
        "10", f"{label}: import / floor", "service", unit="x", budget=Budget("value", ">=", RATIO_BUDGET, "x")
    )
    return imp, floor, ratio, _rss_figure(label)


def _rss_figure(label: str) -> Figure:
    return Figure(
        "10",
        f"{label} import: peak RSS of the process",
        "service",
        unit="MB",
        budget=Budget("value", "<=", RSS_BUDGET_MB, "MB"),
    )


def _measure(ctx, kind, label, path: Path, n: int):
    imp, floor, ratio, rss = figs = _figures(kind, label)
    try:
        fl = _child("floor", ctx, csv=path, kind=kind, user=ctx.manager.pk)
        floor.value = fl["rows"] / fl["seconds"]
        floor.extra = {"rows": fl["rows"], "seconds": round(fl["seconds"], 2), "peak RSS MB": round(fl["peak_rss_mb"])}
        res = _child("import", ctx, csv=path, kind=kind, user=ctx.manager.pk)
        imp.value = res["rows"] / res["seconds"]
        imp.extra = {"rows": res["rows"], "seconds": round(res["seconds"], 2), "status": res.get("status")}
        rss.value = res["peak_rss_mb"]
        rss.name += f" ({n:,}-row file)"
        ratio.value = imp.value / floor.value if floor.value else None
        for f in (imp, floor):
            f.name += f" ({n:,} rows)"
    except NotBuilt as exc:
        for f in figs:
            f.na = f"not built yet: {exc}"
    except Exception as exc:  # noqa: BLE001
        for f in figs:
            f.error = f"{type(exc).__name__}: {exc}"[:300]
    return list(figs)


def item_10(ctx) -> list[Figure]:
    from rmdesk.customers.models import Product
    from rmdesk.customers.scope import visible_customers
    from rmdesk.org.models import User

    args = getattr(ctx, "args", None)
    n = args.rows if args and args.rows else (1000 if ctx.smoke else 100_000)
    tmpdir = Path(tempfile.mkdtemp(prefix="bench_imports_"))
    out = []
    try:
        rm_nos = list(User.objects.filter(pk__in=[u.pk for u in ctx.rms]).values_list("employee_no", flat=True))
        cust_csv = tmpdir / "customers.csv"
        write_csv(cust_csv, n, rm_nos, seed=10)
        out += _measure(ctx, "customers", "customers", cust_csv, n)
        cust_csv.unlink()
        numbers = list(
            visible_customers(ctx.manager, write=True).order_by("id").values_list("customer_no", flat=True)[:n]
        )
        codes = list(Product.objects.order_by("code").values_list("code", flat=True))
        hold_csv = tmpdir / "holdings.csv"
        write_holdings_csv(hold_csv, numbers, codes)
        out += _measure(ctx, "holdings", "holdings", hold_csv, len(numbers))
        hold_csv.unlink()
        if args and args.rss_rows and not ctx.smoke:
            out.append(_measure_rss(ctx, tmpdir / "customers_big.csv", args.rss_rows, rm_nos))
    finally:
        for p in tmpdir.iterdir():
            p.unlink()
        tmpdir.rmdir()
    return out


def _measure_rss(ctx, path: Path, n: int, rm_nos) -> Figure:
    """The customers import of an n-row file, for its peak RSS (the memory budget is for 1,000,000 rows)."""
    rss = _rss_figure("customers")
    rss.name += f" ({n:,}-row file)"
    try:
        write_csv(path, n, rm_nos, seed=12)
        res = _child("import", ctx, csv=path, kind="customers", user=ctx.manager.pk)
        rss.value = res["peak_rss_mb"]
        rss.extra = {
            "rows": res["rows"],
            "seconds": round(res["seconds"], 1),
            "rows/s": round(res["rows"] / res["seconds"]),
            "status": res.get("status"),
        }
    except NotBuilt as exc:
        rss.na = f"not built yet: {exc}"
    except Exception as exc:  # noqa: BLE001
        rss.error = f"{type(exc).__name__}: {exc}"[:300]
    return rss


# --- child side (run by `python -m bench.heavy floor ...`) -----------------------------------------


class _Rollback(Exception):
    pass


def _scratch(cur, vendor, table) -> str:
    """An empty copy of `table` with its indexes, in the current transaction; returns its name."""
    name = f"bench_floor_{table}"[:60]
    if vendor == "postgresql":
        cur.execute(f'CREATE TABLE "{name}" (LIKE "{table}" INCLUDING ALL)')
        return name
    cur.execute(f'CREATE TABLE "{name}" AS SELECT * FROM "{table}" WHERE 0')
    cur.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL", [table]
    )
    for idx, sql in cur.fetchall():
        sql = sql.replace(f'"{idx}"', f'"{name}_{idx}"', 1).replace(f'"{table}"', f'"{name}"', 1)
        cur.execute(sql)
    return name


def child_floor(opts) -> dict:
    """Bulk-load the file into a scratch copy of its table (rolled back): rows and seconds."""
    from django.db import connection, transaction

    from bench.generate import Table
    from rmdesk.customers.models import Customer, Holding, Product

    path, kind = Path(opts["csv"]), opts.get("kind") or "customers"
    vendor = connection.vendor
    result = {}
    if kind == "customers":
        from rmdesk.org.models import User

        staff = {
            u.employee_no: (u.pk, (u.team or u.unit).pk, (u.team or u.unit).path)
            for u in User.objects.exclude(employee_no="").select_related("team", "unit")
            if (u.team or u.unit)
        }
        provided = [
            "customer_no",
            "kind",
            "name",
            "id_number",
            "mobile",
            "gender",
            "birth_date",
            "address",
            "occupation",
            "annual_income",
            "risk_tolerance",
            "stage",
            "source",
            "a_rm_id",
            "org_unit_id",
            "org_path",
        ]
        plan = Table(Customer, provided)
        kinds, genders = {"个人": "individual", "对公": "corporate"}, {"男": "M", "女": "F"}
        stages, sources = {"潜在": "potential"}, {"系统导入": "import"}

        def rows(reader):
            for r in reader:
                rm = staff.get(r[13])
                yield (
                    r[0],
                    kinds.get(r[1], r[1]),
                    r[2],
                    r[3],
                    r[4],
                    genders.get(r[5], r[5]),
                    r[6],
                    r[7],
                    r[8],
                    r[9] or None,
                    r[10],
                    stages.get(r[11], "potential"),
                    sources.get(r[12], "import"),
                    rm[0] if rm else None,
                    rm[1] if rm else None,
                    rm[2] if rm else "",
                )
    else:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            numbers = [r[0] for r in list(csv.reader(fh))[1:]]
        ids = {}
        for i in range(0, len(numbers), 5000):
            ids.update(Customer.objects.filter(customer_no__in=numbers[i : i + 5000]).values_list("customer_no", "id"))
        products = dict(Product.objects.values_list("code", "id"))
        plan = Table(Holding, ["customer_id", "product_id", "account_no", "balance", "opened_on"])

        def rows(reader):
            for r in reader:
                yield (ids.get(r[0]), products.get(r[1]), r[2], r[3], r[4] or None)

    const = plan.const_tuple
    cols = ", ".join(f'"{c}"' for c in plan.columns)
    try:
        with transaction.atomic():
            with connection.cursor() as cur:
                name = _scratch(cur, vendor, plan.table)
                raw = cur.cursor
                t0 = time.perf_counter()
                n = 0
                with open(path, encoding="utf-8-sig", newline="") as fh:
                    reader = csv.reader(fh)
                    next(reader)
                    if vendor == "postgresql":
                        with raw.copy(f'COPY "{name}" ({cols}) FROM STDIN') as cp:
                            for row in rows(reader):
                                cp.write_row(row + const)
                                n += 1
                    else:
                        sql = f'INSERT INTO "{name}" ({cols}) VALUES ({", ".join("?" * len(plan.columns))})'
                        batch = []
                        for row in rows(reader):
                            batch.append(row + const)
                            if len(batch) >= 1000:
                                raw.executemany(sql, batch)
                                n += len(batch)
                                batch = []
                        if batch:
                            raw.executemany(sql, batch)
                            n += len(batch)
                result = {"rows": n, "seconds": time.perf_counter() - t0}
            raise _Rollback
    except _Rollback:
        pass
    return result
