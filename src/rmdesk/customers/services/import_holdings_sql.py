"""The holdings import's staging table and set-based write (SPEC §2 bulk import; issue 18, "same for
holdings"; decision 94).

The file's rows are streamed once into a TEMP staging table (COPY on PostgreSQL, executemany on
SQLite). Only the per-cell parsing runs in Python, in a tight loop: a balance already in canonical
form (plain decimal, ≤ 2 places) and dates already in ISO form are converted directly; any other cell
is given to the existing `parse_amount` / `parse_date`, so every staged value is the one the existing
path would have planned. Then set-based SQL does the rest of the checks and the plan:

- the customer of each row: the customers app's own scope function (`visible_customers(actor,
  write=True)`), restricted to the staged numbers, the lowest id per number;
- the product by its code;
- duplicate keys in the file (customer number + account number, else product code);
- the existing holding each row updates: by account number, else by product with no account, the
  lowest id (as `.first()`); and whether it changes.

A file with ANY problem (a bad cell, an unknown customer or product, a duplicate key, an account
number longer than the column, an amount of 10^13 or more — beyond the 15 significant digits SQLite's
REAL compares exactly) is handed back to the importer, which validates it again the existing way
(so its error report is byte for byte the existing one). A clean file is written per batch of
`BATCH_SIZE` staged rows with one `INSERT … SELECT` (new holdings, in file order) and one
`UPDATE … FROM` (changed ones); the importer then recomputes the touched archives exactly as before
(`importer._recompute_touched`: sums, tier, TierChange rows, one `customers_imported`).

Switch: settings.RMDESK_IMPORT_FAST_PATH (`import_sql.enabled()`, default on); off, the importer
never calls this module. Guarded by tests/customers/test_import_holdings_fast_path.py.
"""

import itertools
import re
from datetime import date
from decimal import Decimal

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.models.expressions import RawSQL

from ..models import Holding, Product
from ..scope import visible_customers
from .cleaning import parse_amount, parse_date
from .import_fast import write_rows
from .import_sql import NO_JIT, enabled, planner_settings  # noqa: F401 - `enabled`: one switch for both imports

BATCH_SIZE = 2000
_seq = itertools.count(1)
_AMOUNT = re.compile(r"^[0-9]{1,13}(\.[0-9]{1,2})?$")
_ISO = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_CENT = Decimal("0.01")
_BIG = Decimal(10) ** 13
#: the longest account number a holding takes (longer is a row error, not a database error); the importer shares it
ACCOUNT_MAX = Holding._meta.get_field("account_no").max_length


class NotClean(Exception):
    """The file needs the existing path (it has an error, or a value the fast path does not take)."""


def _date(text):
    """(ok, date or None) of a date cell, as `parse_date` reads it."""
    if not text:
        return True, None
    if _ISO.match(text):
        try:
            return True, date.fromisoformat(text)
        except ValueError:
            pass
    errs = {}
    value = parse_date(text, "d", errs)
    return not errs, value


def _balance(text):
    if _AMOUNT.match(text):
        return Decimal(text).quantize(_CENT)
    errs = {}
    value = parse_amount(text, "balance", errs)
    if errs or value is None or abs(value) >= _BIG:
        raise NotClean
    return value


class Stage:
    """A holdings file staged and checked; `write()` writes it (see the module's docstring). `rows`
    counts the file's non-empty rows. `close()` drops the temporary table."""

    def __init__(self, actor):
        self.conn = connections[DEFAULT_DB_ALIAS]
        self.pg = self.conn.vendor == "postgresql"
        self.actor = actor
        self.table = f"import_stage_hold_{next(_seq)}"
        self.q = self.conn.ops.quote_name(self.table)
        self.p = self.conn.ops.quote_name(self.table + "_plan")
        self.planned = False
        self.rows = 0
        self.created = False

    def close(self):
        if not self.created:
            return
        try:
            with self.conn.cursor() as cur:
                cur.execute(f"DROP TABLE IF EXISTS {self.q}")
                cur.execute(f"DROP TABLE IF EXISTS {self.p}")
        except DatabaseError:  # a broken transaction: the temporary table ends with the session
            pass
        self.created = False

    def _sql(self, sql, params=()):
        with self.conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.rowcount

    def _no_jit(self, sql, params=()):
        """Run one statement with PostgreSQL's JIT off: the planner's cost of 100,000 index look-ups
        is far above `jit_above_cost`, and compiling the plan took 1.4 s of the statement's 2.7 s
        (100,000 rows). The session's own setting is put back after it (`planner_settings`)."""
        with planner_settings(self.conn, NO_JIT) as cur:
            cur.execute(sql, params)

    def _one(self, sql, params=()):
        with self.conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchone()

    # --- staging ---------------------------------------------------------------------------------

    def stage(self, rows, progress, every=1000):
        """Stream the (row number, {field: cell}) rows into the staging table; NotClean at the first
        row the existing path would reject or the fast path does not take."""
        money, day = ("numeric", "date") if self.pg else ("decimal", "date")
        self._sql(
            f"CREATE TEMPORARY TABLE {self.q} (seq integer NOT NULL, customer_no text NOT NULL, "
            f"product_code text NOT NULL, account_no text NOT NULL, balance {money} NOT NULL, "
            f"opened {day}, closed {day}, matures {day})"
        )
        self.created = True
        columns = ["seq", "customer_no", "product_code", "account_no", "balance", "opened", "closed", "matures"]
        parsed = self._parsed(rows)
        # a chunk per COPY: the job's progress is an UPDATE on the same connection, which cannot run
        # while a COPY is open
        while chunk := list(itertools.islice(parsed, every * 10)):
            write_rows(self.table, columns, chunk, batch=BATCH_SIZE)
            progress(self.rows)
        if self.pg:
            self._sql(f"ANALYZE {self.q}")

    def _parsed(self, rows):
        n = 0
        for _row_no, row in rows:
            n += 1
            self.rows = n
            no = row.get("customer_no", "")
            account = row.get("account_no", "")
            if not no or len(account) > ACCOUNT_MAX:
                raise NotClean
            balance = _balance(row.get("balance", ""))
            ok1, opened = _date(row.get("opened_on", ""))
            ok2, closed = _date(row.get("closed_on", ""))
            ok3, matures = _date(row.get("matures_on", ""))
            if not (ok1 and ok2 and ok3) or (opened and matures and matures < opened):
                raise NotClean
            yield (n, no, row.get("product_code", ""), account, balance, opened, closed, matures)

    # --- set-based checks ------------------------------------------------------------------------

    def check(self):
        """Resolve customers (write scope), products and existing holdings in SQL, into the plan
        table (one statement: each pass over a staged table rewrites every row of it); NotClean when
        a row has no customer in scope, no product, or a key another row of the file has."""
        t, p = self.q, self.p
        qn = self.conn.ops.quote_name
        writable = (
            visible_customers(self.actor, write=True)
            .filter(customer_no__in=RawSQL(f"SELECT customer_no FROM {t}", []))
            .order_by()
            .values_list("customer_no", "pk")
        )
        sql, params = writable.query.sql_with_params()
        products = qn(Product._meta.db_table)
        h = qn(Holding._meta.db_table)
        same = "IS NOT DISTINCT FROM" if self.pg else "IS"
        # the existing holding: by account number, else by product with no account, the lowest id;
        # unchanged as the existing path decides it: same product, balance and closing date, and an
        # opening / maturity date that is either not given or the same
        self._no_jit(
            f"CREATE TEMPORARY TABLE {p} AS SELECT x.*, CASE WHEN x.hid IS NULL THEN 'C' WHEN EXISTS ("
            f"SELECT 1 FROM {h} h WHERE h.id = x.hid AND h.product_id = x.product_id AND h.balance = x.balance "
            f"AND h.closed_on {same} x.closed AND (x.opened IS NULL OR h.opened_on {same} x.opened) "
            f"AND (x.matures IS NULL OR h.matures_on {same} x.matures)) THEN 'N' ELSE 'U' END AS state FROM ("
            "SELECT s.seq, s.customer_no, s.product_code, s.account_no, s.balance, s.opened, s.closed, s.matures, "
            "m.id AS customer_id, pr.id AS product_id, CASE WHEN s.account_no <> '' THEN "
            f"(SELECT MIN(h.id) FROM {h} h WHERE h.customer_id = m.id AND h.account_no = s.account_no) ELSE "
            f"(SELECT MIN(h.id) FROM {h} h WHERE h.customer_id = m.id AND h.product_id = pr.id AND h.account_no = '') "
            f"END AS hid FROM {t} s "
            f"LEFT JOIN (SELECT q.customer_no AS no, MIN(q.pk) AS id FROM ({sql}) q GROUP BY q.customer_no) m "
            f"ON m.no = s.customer_no LEFT JOIN {products} pr ON pr.code = s.product_code "
            # a fence: the look-up of `hid` is made once per row, not again for `state`
            f"{'OFFSET 0' if self.pg else 'LIMIT -1 OFFSET 0'}) x",
            params,
        )
        self.planned = True
        if self._one(f"SELECT 1 FROM {p} WHERE customer_id IS NULL OR product_id IS NULL LIMIT 1"):
            raise NotClean
        if self._one(
            f"SELECT 1 FROM {p} GROUP BY customer_no, CASE WHEN account_no <> '' THEN account_no "
            "ELSE product_code END HAVING COUNT(*) > 1 LIMIT 1"
        ):
            raise NotClean
        self._sql(f"CREATE INDEX {qn(self.table + '_seq')} ON {p} (seq)")
        if self.pg:
            self._sql(f"ANALYZE {p}")

    # --- write -----------------------------------------------------------------------------------

    def write(self, progress, today, now):
        """Insert the new holdings and update the changed ones, a batch of staged rows at a time
        (progress before each); returns (counts, the touched archive ids in file order)."""
        t = self.p
        h = self.conn.ops.quote_name(Holding._meta.db_table)
        field = Holding._meta.get_field
        today_db = field("opened_on").get_db_prep_save(today, self.conn)
        now_db = field("updated_at").get_db_prep_save(now, self.conn)
        for start in range(0, self.rows, BATCH_SIZE):
            progress(start)
            lo, hi = start + 1, start + BATCH_SIZE
            self._sql(
                f"INSERT INTO {h} (customer_id, product_id, account_no, balance, opened_on, closed_on, matures_on, "
                f"updated_at) SELECT customer_id, product_id, account_no, balance, COALESCE(opened, %s), closed, "
                f"matures, %s FROM {t} WHERE state = 'C' AND seq BETWEEN %s AND %s ORDER BY seq",
                [today_db, now_db, lo, hi],
            )
            self._sql(
                f"UPDATE {h} AS h SET product_id = s.product_id, balance = s.balance, "
                "opened_on = COALESCE(s.opened, h.opened_on), closed_on = s.closed, "
                f"matures_on = COALESCE(s.matures, h.matures_on), updated_at = %s FROM {t} s "
                "WHERE h.id = s.hid AND s.state = 'U' AND s.seq BETWEEN %s AND %s",
                [now_db, lo, hi],
            )
        progress(self.rows, force=True)
        with self.conn.cursor() as cur:
            cur.execute(f"SELECT state, COUNT(*) FROM {t} GROUP BY state")
            by_state = dict(cur.fetchall())
            cur.execute(f"SELECT customer_id FROM {t} WHERE state IN ('C', 'U') GROUP BY customer_id ORDER BY MIN(seq)")
            touched = [r[0] for r in cur.fetchall()]
        counts = {
            "created": by_state.get("C", 0),
            "updated": by_state.get("U", 0),
            "unchanged": by_state.get("N", 0),
            "conflicts": 0,
        }
        return counts, touched
