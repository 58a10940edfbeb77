"""The customers import's SQL screen and fast path (SPEC §2 bulk import; issue 18, fourth round).

The file's rows are streamed into a TEMP staging table (COPY on PostgreSQL, executemany on SQLite).
While streaming, a tight loop over plain tuples checks what SQL cannot cheaply check — the ID
number's and credit code's check characters, dates, the canonical form of every cell — and computes
what a new archive derives from them (pinyin initials, completeness, the birthday's month and day).
A row passing that check is a candidate; set-based SQL then keeps as "plain" only the candidates that
are provably a plain create: customer number unknown to the database and once in the file, ID
number / credit code / mobile on no live archive and once among the candidates, owner (RM number,
unit code or the importer's unit) resolved and assignable in the importer's write scope.

Plain rows are written with one `INSERT … SELECT` per chunk (and one per companion table: ownership,
first-tier history, birthday); every other row goes through the existing row-by-row path
(importer._validate_customer_row), which keeps every rule and message. The candidate check only
ACCEPTS a subset of what `clean_new_row`/`clean_customer_data` accept unchanged, so a plain row's
values are the ones the existing path would have written; the differential test
(tests/customers/test_import_fast_path.py) imports generated files both ways and compares the
database and the error report. A file with any error is validated again by the existing path alone
(the importer does that), so its report is the existing one byte for byte.

Switch: settings.RMDESK_IMPORT_FAST_PATH (default True); off, the importer never calls this module.
"""

import itertools
import re
from array import array
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction

from ..models import (
    Customer,
    CustomerKind,
    KeyDate,
    KeyDateKind,
    OwnershipChange,
    OwnershipKind,
    RiskTolerance,
    Stage,
    TierChange,
    TierDirection,
)
from ..validators import ID_CHECK, ID_WEIGHTS, USCC_CHARSET, USCC_WEIGHTS
from .cleaning import REQUIRED_DOCS, REQUIRED_FIELDS, TEXT_FIELDS
from .import_fast import clean_new_row, fast_initials, write_rows

_seq = itertools.count(1)


def enabled() -> bool:
    """Whether the importer screens a customers file for plain creates (settings switch)."""
    return bool(getattr(settings, "RMDESK_IMPORT_FAST_PATH", True))


#: the archive columns a plain row carries itself (everything else is the same for every plain
#: row: the value the existing path writes for a field the template has no column for)
ROW_COLUMNS = (
    "customer_no",
    "kind",
    "name",
    "gender",
    "birth_date",
    "id_number",
    "mobile",
    "credit_code",
    "address",
    "occupation",
    "employer",
    "industry",
    "legal_rep",
    "annual_income",
    "registered_capital",
    "risk_tolerance",
    "stage",
    "source",
    "name_initials",
    "mobile_tail",
    "id_tail",
    "completeness",
)
_TYPES_PG = {
    "birth_date": "date",
    "annual_income": "numeric",
    "registered_capital": "numeric",
    "completeness": "integer",
}
STAGE_COLUMNS = ("seq", "row_no", "plain", *ROW_COLUMNS, "a_rm_no", "org_unit_code", "bmonth", "bday")
_INT_COLUMNS = {"seq", "row_no", "bmonth", "bday"}

_ISO = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")
_ID = re.compile(r"^[0-9]{17}[0-9X]$")
_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
_AMOUNT = re.compile(r"^[0-9]{1,16}(\.[0-9]{1,2})?$")
_USCC = re.compile(f"^[{USCC_CHARSET}]{{2}}[0-9]{{6}}[{USCC_CHARSET}]{{10}}$")
_USCC_INDEX = {c: i for i, c in enumerate(USCC_CHARSET)}
_CENT = Decimal("0.01")
_RISKS = frozenset(RiskTolerance.values)


class Screen:
    """The file staged, screened and (once validated) written: see the module's docstring.
    `rows` counts the file's rows, `plain` the plain creates, `others` the row numbers left to the
    existing path. `close()` drops the temporary tables."""

    def __init__(self, actor, look):
        self.conn = connections[DEFAULT_DB_ALIAS]
        self.pg = self.conn.vendor == "postgresql"
        self.actor, self.look = actor, look
        n = next(_seq)
        self.t_stage, self.t_owner = f"import_stage_cust_{n}", f"import_stage_owner_{n}"
        self.t_ids, self.t_tier = f"import_stage_ids_{n}", f"import_stage_tier_{n}"
        self.tables = []
        self.rows = self.plain = 0
        self.others: list[int] = []

    # --- DDL -----------------------------------------------------------------------------------

    def _create(self, name, columns):
        qn = self.conn.ops.quote_name
        cols = ", ".join(f"{qn(c)} {t}" for c, t in columns)
        with self.conn.cursor() as cur:
            cur.execute(f"CREATE TEMPORARY TABLE {qn(name)} ({cols})")
        self.tables.append(name)

    def close(self):
        qn = self.conn.ops.quote_name
        try:
            with self.conn.cursor() as cur:
                for name in self.tables:
                    cur.execute(f"DROP TABLE IF EXISTS {qn(name)}")
        except DatabaseError:  # a broken transaction: the temporary tables end with the session
            pass
        self.tables = []

    def _col_type(self, c):
        if c in _INT_COLUMNS:
            return "integer"
        if c == "plain":
            return "boolean" if self.pg else "integer"
        return _TYPES_PG.get(c, "text") if self.pg else "text"

    # --- staging -------------------------------------------------------------------------------

    def stage(self, rows, fields, labels, today, progress, every=1000):
        """Stream `rows` (the file's raw rows below the header; `fields` [(cell index, field)]) into
        the staging table, each with its candidate check and derived values. `labels` holds the
        importer's label maps (kind, gender, stage, source). Raises what reading the file raises."""
        columns = [(c, self._col_type(c)) for c in STAGE_COLUMNS]
        self._create(self.t_stage, [("seq", "integer PRIMARY KEY"), *columns[1:]])
        names, chunk = list(STAGE_COLUMNS), []
        # a COPY (executemany) per `every` rows: progress is reported between two, never from
        # inside a COPY (a job failed meanwhile stops the import there: importer.JobAbandoned)
        for staged in self._staged(rows, fields, labels, today):
            chunk.append(staged)
            if len(chunk) >= every:
                write_rows(self.t_stage, names, chunk, prepared=True)
                chunk = []
                progress(staged[0])
        if chunk:
            write_rows(self.t_stage, names, chunk, prepared=True)

    def _staged(self, rows, fields, labels, today):
        from ..importer import _cell

        kinds, genders, stages, sources = labels
        pos = {f: j for j, f in fields}
        width = max(pos.values()) + 1
        (
            i_no,
            i_kind,
            i_name,
            i_id,
            i_mob,
            i_cc,
            i_gen,
            i_birth,
            i_addr,
            i_occ,
            i_emp,
            i_inc,
            i_risk,
            i_ind,
            i_rep,
            i_cap,
            i_stage,
            i_src,
            i_rm,
            i_unit,
            i_tags,
        ) = (pos.get(f, width) for f in _TEMPLATE)
        required = {k: (REQUIRED_FIELDS.get(k, ()), REQUIRED_DOCS.get(k, ())) for k in CustomerKind.values}
        max_len = TEXT_FIELDS
        pg = self.pg
        seq = 0
        row_no = 1
        for row_no, row in enumerate(rows, start=2):  # noqa: B007 - numbering as importer._dict_rows
            try:  # a CSV row (or a sheet's row of text cells): every cell a str, stripped as `_cell` strips it
                cells = [v.strip() for v in row]
            except AttributeError:  # a number, date or empty cell: `_cell` for each
                cells = [_cell(v) for v in row]
            if not any(cells):
                continue
            seq += 1
            cells += [""] * (width + 1 - len(cells))
            cells[width] = ""  # the cell of a column the file does not have
            no = cells[i_no]
            out = _candidate(
                cells,
                (i_kind, i_name, i_id, i_mob, i_cc, i_gen, i_birth, i_addr, i_occ, i_emp, i_inc, i_risk),
                (i_ind, i_rep, i_cap, i_stage, i_src, i_tags),
                kinds,
                genders,
                stages,
                sources,
                today,
                max_len,
                required,
            )
            if out is None or not no or len(no) > 32:
                # left to the existing path: only its number and place are staged
                yield (seq, row_no, False if pg else 0, no, *_EMPTY_ROW, cells[i_rm], cells[i_unit], None, None)
                continue
            birth = out[3]
            yield (
                seq,
                row_no,
                True if pg else 1,
                no,
                *out,
                cells[i_rm],
                cells[i_unit],
                birth.month if birth else None,
                birth.day if birth else None,
            )
        self.rows = seq

    # --- the screen ----------------------------------------------------------------------------

    def _taken(self, in_file: bool) -> str:
        """The condition (on staged row `s`) that its customer number is on an archive, or one of its
        ID number / credit code / mobile on a live archive; with `in_file`, also that the number is
        twice in the file or a key twice among the candidates. One builder for the screen and for
        its re-check at write time (`stale`)."""
        qn = self.conn.ops.quote_name
        s, c = qn(self.t_stage), qn(Customer._meta.db_table)
        live = "c.is_anonymised = " + ("false" if self.pg else "0") + " AND c.merged_into_id IS NULL"
        parts = [f"EXISTS (SELECT 1 FROM {c} c WHERE c.customer_no = s.customer_no)"]
        if in_file:
            parts.append(f"s.customer_no IN (SELECT customer_no FROM {s} GROUP BY customer_no HAVING COUNT(*) > 1)")
        for k in ("id_number", "credit_code", "mobile"):
            taken = f"EXISTS (SELECT 1 FROM {c} c WHERE c.{k} = s.{k} AND {live})"
            if in_file:
                twice = f"s.{k} IN (SELECT {k} FROM {s} WHERE plain AND {k} <> '' GROUP BY {k} HAVING COUNT(*) > 1)"
                taken = f"({taken} OR {twice})"
            parts.append(f"(s.{k} <> '' AND {taken})")
        return " OR ".join(parts)

    def screen(self):
        """Keep as plain only the candidates whose keys are new and once in the file and whose owner
        resolves (one UPDATE); fill `plain` and `others`."""
        qn = self.conn.ops.quote_name
        s = qn(self.t_stage)
        self._owners()
        false = "false" if self.pg else "0"
        with planner_settings(self.conn, _SCREEN) as cur:
            cur.execute(
                f"UPDATE {s} SET plain = {false} WHERE seq IN (SELECT s.seq FROM {s} s WHERE s.plain AND ("
                f"NOT EXISTS (SELECT 1 FROM {qn(self.t_owner)} o WHERE o.a_rm_no = s.a_rm_no "
                f"AND o.org_unit_code = s.org_unit_code) OR {self._taken(in_file=True)}))"
            )
            cur.execute(f"SELECT row_no FROM {s} WHERE NOT plain ORDER BY seq")
            self.others = [r[0] for r in cur.fetchall()]
        self.plain = self.rows - len(self.others)

    def _owners(self):
        """The owners the candidates name, resolved as the existing path resolves them (an RM by
        number with the assignability check, else a unit by code, else the importer's unit), kept
        only when assignable and in the importer's write scope."""
        look, qn = self.look, self.conn.ops.quote_name
        with self.conn.cursor() as cur:
            cur.execute(f"SELECT DISTINCT a_rm_no, org_unit_code FROM {qn(self.t_stage)} WHERE plain")
            pairs = cur.fetchall()
        look.load_rms(rm for rm, _u in pairs)
        look.load_units(u for rm, u in pairs if not rm)
        owners = []
        for rm_no, unit_code in pairs:
            rm = None
            if rm_no:
                rm, problem = look.rms[rm_no]
                if rm is None or problem:
                    continue
                unit = rm.team or rm.unit
            elif unit_code:
                unit = look.units[unit_code]
                if unit is None:
                    continue
            else:
                unit = self.actor.team or self.actor.unit
            if not look.in_write_scope(unit):
                continue
            owners.append((rm_no, unit_code, rm.pk if rm is not None else None, unit.pk, unit.path))
        self._create(
            self.t_owner,
            [
                ("a_rm_no", "text"),
                ("org_unit_code", "text"),
                ("rm_id", "bigint"),
                ("unit_id", "bigint"),
                ("org_path", "text"),
            ],
        )
        write_rows(self.t_owner, ["a_rm_no", "org_unit_code", "rm_id", "unit_id", "org_path"], owners, prepared=True)

    def stale(self) -> bool:
        """Whether, since the screen, an archive took a plain row's customer number or (live) one of
        its keys — another writer between validation and write. The importer then validates and
        writes the whole file through the existing path, which opens the conflicts as before."""
        if not self.plain:
            return False
        s = self.conn.ops.quote_name(self.t_stage)
        with self.conn.cursor() as cur:
            cur.execute(f"SELECT 1 FROM {s} s WHERE s.plain AND ({self._taken(in_file=False)}) LIMIT 1")
            return cur.fetchone() is not None

    def seed(self, seen_table):
        """Register the plain rows' keys in the existing path's in-file key table (importer._Seen:
        fields customer_no 0, id_number 1, credit_code 2, mobile 3), so a row of that path sharing a
        key with a plain row is reported as a duplicate."""
        qn = self.conn.ops.quote_name
        with self.conn.cursor() as cur:
            for i, k in enumerate(("customer_no", "id_number", "credit_code", "mobile")):
                cur.execute(
                    f"INSERT INTO {qn(seen_table)} (value, field, row_no) SELECT {k}, {i}, row_no "
                    f"FROM {qn(self.t_stage)} WHERE plain AND {k} <> ''"
                )

    # --- the write -----------------------------------------------------------------------------

    def write(self, actor, sets, reason, note, birthday, progress, chunk, done=0):
        """Insert the plain rows and their companion rows; returns (ids in file order as an array of
        int64, [ids of those created in a stage past 潜在]): 8 bytes a row, not a tuple (a 1,000,000-row
        file's peak RSS, issue 18)."""
        from ..importer import _metric_of, _new_row

        if not self.plain:
            return array("q"), []
        qn = self.conn.ops.quote_name
        # the tier (and metric value) a new archive of each kind gets: the existing path's own
        # computation on a row of that kind (a plain row has no metric column, no holdings)
        tiers = []
        for kind in CustomerKind.values:
            c = _new_row(
                {"kind": kind, "metrics": {}}, {"customer_no": "", "rm_id": None, "unit_id": None, "org_path": ""}, sets
            )
            if c.values.get("tier_id"):
                tiers.append((kind, c.values["tier_id"], _metric_of(c, sets)))
        self._create(
            self.t_tier, [("kind", "text"), ("tier_id", "bigint"), ("metric_value", "numeric" if self.pg else "text")]
        )
        write_rows(self.t_tier, ["kind", "tier_id", "metric_value"], tiers)
        self._create(self.t_ids, [("id", "bigint"), ("customer_no", "text")])
        # the constant columns: what the existing path writes for a plain row's absent fields
        reference = clean_new_row({"name": "x", "mobile": "13900000000"}, date(2000, 1, 1))
        sample = _new_row(reference, {"customer_no": "", "rm_id": None, "unit_id": None, "org_path": ""}, sets).values
        own = {**{c: f"s.{qn(c)}" for c in ROW_COLUMNS}, "a_rm_id": "o.rm_id", "org_unit_id": "o.unit_id"}
        own.update(org_path="o.org_path", tier_id="t.tier_id")
        cols, exprs, params = _select(Customer, own, {k: v for k, v in sample.items() if k not in own})
        s, o, t, ids = qn(self.t_stage), qn(self.t_owner), qn(self.t_tier), qn(self.t_ids)
        src = (
            f"FROM {s} s JOIN {o} o ON o.a_rm_no = s.a_rm_no AND o.org_unit_code = s.org_unit_code "
            f"LEFT JOIN {t} t ON t.kind = s.kind WHERE s.plain AND s.seq > %s AND s.seq <= %s"
        )
        insert = f"INSERT INTO {qn(Customer._meta.db_table)} ({cols}) SELECT {exprs} {src} ORDER BY s.seq"
        companions = self._companions(actor, reason, note, birthday)
        out, staged = array("q"), []
        with planner_settings(self.conn, NO_JIT) as cur:
            for lo in range(0, self.rows, chunk):
                hi = lo + chunk
                cur.execute(f"DELETE FROM {ids}")
                if self.pg:
                    cur.execute(
                        f"WITH ins AS ({insert} RETURNING id, customer_no) INSERT INTO {ids} (id, customer_no) "
                        "SELECT id, customer_no FROM ins",
                        [*params, lo, hi],
                    )
                else:
                    cur.execute(f"{insert} RETURNING id, customer_no", [*params, lo, hi])
                    new = cur.fetchall()
                    cur.executemany(f"INSERT INTO {ids} (id, customer_no) VALUES (%s, %s)", new)
                for sql, p in companions:
                    cur.execute(sql, [*p, lo, hi])
                cur.execute(
                    f"SELECT n.id, s.stage FROM {s} s JOIN {ids} n ON n.customer_no = s.customer_no "
                    "WHERE s.plain AND s.seq > %s AND s.seq <= %s ORDER BY s.seq",
                    [lo, hi],
                )
                got = cur.fetchall()
                out.extend(pk for pk, _stage in got)
                staged += [pk for pk, stage in got if stage != Stage.POTENTIAL]
                done += len(got)
                progress(done)
        return out, staged

    def _companions(self, actor, reason, note, birthday):
        """(sql, params) inserting the ownership, first-tier and birthday rows of the archives in the
        ids table, as importer._insert_new_customers builds them."""
        qn = self.conn.ops.quote_name
        s, o, t, ids = qn(self.t_stage), qn(self.t_owner), qn(self.t_tier), qn(self.t_ids)
        base = f"FROM {s} s JOIN {ids} n ON n.customer_no = s.customer_no"
        owner = f" JOIN {o} o ON o.a_rm_no = s.a_rm_no AND o.org_unit_code = s.org_unit_code"
        where = "s.plain AND s.seq > %s AND s.seq <= %s"  # the chunk's range: params added per chunk
        out = []
        cols, exprs, params = _select(
            OwnershipChange,
            {"customer_id": "n.id", "to_a_id": "o.rm_id"},
            {"kind": OwnershipKind.CREATE.value, "actor_id": actor.pk if actor else None, "note": note},
        )
        out.append(
            (
                f"INSERT INTO {qn(OwnershipChange._meta.db_table)} ({cols}) SELECT {exprs} {base}{owner} "
                f"WHERE {where} ORDER BY s.seq",
                params,
            )
        )
        cols, exprs, params = _select(
            TierChange,
            {"customer_id": "n.id", "to_tier_id": "t.tier_id", "metric_value": "t.metric_value"}
            | {"a_rm_id": "o.rm_id", "org_path": "o.org_path"},
            {"from_tier_id": None, "direction": TierDirection.INITIAL.value, "reason": reason},
        )
        out.append(
            (
                f"INSERT INTO {qn(TierChange._meta.db_table)} ({cols}) SELECT {exprs} {base}{owner} "
                f"JOIN {t} t ON t.kind = s.kind WHERE {where} ORDER BY s.seq",
                params,
            )
        )
        cols, exprs, params = _select(
            KeyDate,
            {"customer_id": "n.id", "date": "s.birth_date", "month": "s.bmonth", "day": "s.bday"},
            {"kind": KeyDateKind.BIRTHDAY.value, "label": birthday},
        )
        out.append(
            (
                f"INSERT INTO {qn(KeyDate._meta.db_table)} ({cols}) SELECT {exprs} {base} "
                f"WHERE s.kind = %s AND s.birth_date IS NOT NULL AND {where} ORDER BY s.seq",
                [*params, CustomerKind.INDIVIDUAL.value],
            )
        )
        return out


#: the planner settings of the screen's and the write's statements on PostgreSQL (issue 18): JIT off
#: (compiling the screen's UPDATE took 1.4 of its 2.1 s at branch size, for a statement that runs once;
#: the write's statements are short)
NO_JIT = (("jit", "off"),)
#: and for the screen, work_mem pinned at PostgreSQL's default: its look-ups of the archives' keys are
#: then index probes (1 µs each); given more memory the planner hashes every archive's keys instead
#: (three scans of the whole archive table: the screen 0.7 → 4.7 s at branch size, measured)
_SCREEN = (*NO_JIT, ("work_mem", "4MB"))


@contextmanager
def planner_settings(conn, settings):
    """A cursor whose statements run with `settings` ((name, value) pairs) on PostgreSQL: inside a
    transaction (a savepoint when one is open), set locally and put back as they were after the
    block (rolled back with the savepoint when the block raises), so nothing else of the
    transaction runs with them. Elsewhere a plain cursor."""
    if conn.vendor != "postgresql":
        with conn.cursor() as cur:
            yield cur
        return

    def put(cur, pairs):
        cur.execute("SELECT " + ", ".join(["set_config(%s, %s, true)"] * len(pairs)), [x for kv in pairs for x in kv])

    with transaction.atomic(using=conn.alias), conn.cursor() as cur:
        names = [k for k, _v in settings]
        cur.execute("SELECT " + ", ".join(["current_setting(%s)"] * len(names)), names)
        before = list(zip(names, cur.fetchone(), strict=True))
        put(cur, settings)
        yield cur
        put(cur, before)


def _select(model, exprs: dict, values: dict):
    """(column list, select list, params) of an INSERT … SELECT into `model`: `exprs` {attname: SQL}
    per row, `values` {attname: value} as the existing path gives them, every other column its
    default prepared as importer._insert_rows prepares it."""
    from ..importer import _insert_defaults

    conn = connections[DEFAULT_DB_ALIAS]
    qn = conn.ops.quote_name
    fields, defaults = _insert_defaults(model)
    cols, sel, params = [], [], []
    for f, default in zip(fields, defaults, strict=True):
        cols.append(qn(f.column))
        if f.attname in exprs:
            sel.append(exprs[f.attname])
            continue
        value = values[f.attname] if f.attname in values else default
        if f.attname in values:
            value = _prep(f, value, conn)
        sel.append(_placeholder(f, value, conn))
        params.append(value)
    return ", ".join(cols), ", ".join(sel), params


def _prep(f, value, conn):
    plain = {str, int, bool, type(None)}
    if conn.vendor == "postgresql":
        plain |= {Decimal, date, datetime}
    return value if value.__class__ in plain else f.get_db_prep_save(value, conn)


def _placeholder(f, value, conn):
    """`%s`, typed on PostgreSQL (a bare parameter in a SELECT list has no type to infer)."""
    if conn.vendor != "postgresql":
        return "%s"
    db_type = f.db_type(conn)
    return "%s::text" if db_type.startswith("varchar") else f"%s::{db_type}"


_TEMPLATE = (
    "customer_no",
    "kind",
    "name",
    "id_number",
    "mobile",
    "credit_code",
    "gender",
    "birth_date",
    "address",
    "occupation",
    "employer",
    "annual_income",
    "risk_tolerance",
    "industry",
    "legal_rep",
    "registered_capital",
    "stage",
    "source",
    "a_rm_no",
    "org_unit_code",
    "tags",
)
#: the staged values of a row left to the existing path (ROW_COLUMNS after customer_no)
_EMPTY_ROW = tuple(None if c in _TYPES_PG else "" for c in ROW_COLUMNS[1:])


def _id_ok(number: str, today: date):
    """The birth date of a canonical resident ID number (18 characters, upper-case X) that
    `validate_resident_id` accepts unchanged, else None."""
    if not _ID.match(number):
        return None
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None
    if born.year < 1900 or born > today:
        return None
    total = 0
    for ch, w in zip(number, ID_WEIGHTS, strict=False):
        total += (ord(ch) - 48) * w
    if ID_CHECK[total % 11] != number[17]:
        return None
    return born


def _uscc_ok(code: str) -> bool:
    """Whether `validate_credit_code` accepts `code` unchanged (already upper-case)."""
    if len(code) != 18 or not _USCC.match(code):
        return False
    index = _USCC_INDEX
    total = sum(index[c] * w for c, w in zip(code, USCC_WEIGHTS, strict=False))
    return USCC_CHARSET[(31 - total % 31) % 31] == code[17]


def _amount(text):
    """A canonical amount cell (digits, at most two decimals, at most 16 integer digits) as the
    Decimal the existing check gives; None for an empty cell; False for anything else."""
    if not text:
        return None
    if not _AMOUNT.match(text):
        return False
    return Decimal(text).quantize(_CENT)


def _candidate(cells, a, b, kinds, genders, stages, sources, today, max_len, required):
    """ROW_COLUMNS[1:] of a row the existing path would create unchanged, or None (see the
    module's docstring). Conservative: an unusual but valid form (a lower-case x, "+86 …",
    "1,200", "1990/1/5", tags, metric columns) is None and goes to the existing path."""
    i_kind, i_name, i_id, i_mob, i_cc, i_gen, i_birth, i_addr, i_occ, i_emp, i_inc, i_risk = a
    i_ind, i_rep, i_cap, i_stage, i_src, i_tags = b
    if cells[i_tags]:
        return None
    kind = kinds.get(cells[i_kind])
    if kind is None:
        return None
    name, address, occupation = cells[i_name], cells[i_addr], cells[i_occ]
    employer, industry, legal_rep = cells[i_emp], cells[i_ind], cells[i_rep]
    if (
        not name
        or len(name) > max_len["name"]
        or len(address) > max_len["address"]
        or len(occupation) > max_len["occupation"]
        or len(employer) > max_len["employer"]
        or len(industry) > max_len["industry"]
        or len(legal_rep) > max_len["legal_rep"]
    ):
        return None
    gender = genders.get(cells[i_gen])
    if gender is None:
        return None
    text = cells[i_birth]
    birth = None
    if text:
        m = _ISO.match(text)
        if m is None:
            return None
        try:
            birth = date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return None
    id_number = cells[i_id]
    if id_number:
        born = _id_ok(id_number, today)
        if born is None or (birth is not None and birth != born):
            return None
        birth = born
        id_gender = "M" if (ord(id_number[16]) - 48) % 2 else "F"
        if gender and gender != id_gender:
            return None
        gender = id_gender
    mobile = cells[i_mob]
    if mobile and not _MOBILE.match(mobile):
        return None
    credit_code = cells[i_cc]
    if credit_code:
        if not _uscc_ok(credit_code):
            return None
    elif kind == "corporate":
        return None
    if kind == "individual" and not (id_number or mobile):
        return None
    income, capital = _amount(cells[i_inc]), _amount(cells[i_cap])
    if income is False or capital is False:
        return None
    risk = cells[i_risk]
    if risk and risk not in _RISKS:
        return None
    stage, source = stages.get(cells[i_stage]), sources.get(cells[i_src])
    if stage is None or source is None:
        return None
    values = {
        "name": name,
        "gender": gender,
        "birth_date": birth,
        "id_number": id_number,
        "mobile": mobile,
        "address": address,
        "occupation": occupation,
        "risk_tolerance": risk,
        "credit_code": credit_code,
        "industry": industry,
        "legal_rep": legal_rep,
        "registered_capital": capital,
    }
    fields, docs = required[kind]
    present = sum(1 for f in fields if values[f] not in (None, ""))
    total = len(fields) + len(docs) + (2 if kind == "corporate" else 0)
    completeness = round(present * 100 / total) if total else 100
    return (
        kind,
        name,
        gender,
        birth,
        id_number,
        mobile,
        credit_code,
        address,
        occupation,
        employer,
        industry,
        legal_rep,
        income,
        capital,
        risk,
        stage,
        source,
        fast_initials(name),
        mobile[-4:],
        id_number[-4:],
        completeness,
    )
