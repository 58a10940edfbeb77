"""Bulk import of customers and holdings from .xlsx/.csv, and export of a list to .xlsx (SPEC §2).

Import rules: every row is validated first; any bad row fails the whole file (nothing written) and
the error report lists each bad row; a clean file is written in one transaction; rows are upserted
by the external customer number (客户号), so importing the same file twice changes nothing the
second time. A row whose ID number, credit code or mobile belongs to another archive opens a
conflict for the supervisor instead of a duplicate archive.
"""

import io
import itertools
import pickle
import tempfile
import time
from array import array
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.files.base import ContentFile
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _, gettext_lazy

from rmdesk.core import audit
from rmdesk.core.scope import subtree_paths
from rmdesk.org.models import OrgUnit, User
from rmdesk.org.services import ensure_can_be_assigned_customers

from . import services, signals
from .models import (
    AUM_CATEGORIES,
    Customer,
    CustomerKind,
    Holding,
    ImportJob,
    ImportStatus,
    KeyDate,
    KeyDateKind,
    OwnershipChange,
    OwnershipKind,
    Product,
    ProductCategory,
    Source,
    Stage,
    Tag,
    Tier,
    TierChange,
    TierDirection,
)
from .scope import visible_customers
from .services import import_holdings_sql, import_sql
from .services.import_fast import clean_new_row, fast_initials, iter_table, update_rows, write_rows
from .services.import_holdings_sql import ACCOUNT_MAX
from .validators import validate_mobile

CUSTOMER_COLUMNS = [
    ("customer_no", "客户号"),
    ("kind", "客户类型"),
    ("name", "客户名称"),
    ("id_number", "证件号码"),
    ("mobile", "手机号码"),
    ("credit_code", "统一社会信用代码"),
    ("gender", "性别"),
    ("birth_date", "出生日期"),
    ("address", "地址"),
    ("occupation", "职业"),
    ("employer", "工作单位"),
    ("annual_income", "年收入"),
    ("risk_tolerance", "风险承受能力"),
    ("industry", "行业"),
    ("legal_rep", "法定代表人"),
    ("registered_capital", "注册资本"),
    ("stage", "生命周期阶段"),
    ("source", "客户来源"),
    ("a_rm_no", "主办客户经理工号"),
    ("org_unit_code", "归属机构代码"),
    ("tags", "标签"),
]
HOLDING_COLUMNS = [
    ("customer_no", "客户号"),
    ("product_code", "产品代码"),
    ("account_no", "账号"),
    ("balance", "余额"),
    ("opened_on", "开户日期"),
    ("closed_on", "销户日期"),
    ("matures_on", "到期日"),
]
KIND_LABELS = {
    "个人": CustomerKind.INDIVIDUAL,
    "对公": CustomerKind.CORPORATE,
    "对公/集团": CustomerKind.CORPORATE,
    "集团": CustomerKind.CORPORATE,
    "零售户": CustomerKind.OUTLET,
}
GENDER_LABELS = {"男": "M", "女": "F"}
STAGE_LABELS = {str(label): value for value, label in Stage.choices}
SOURCE_LABELS = {str(label): value for value, label in Source.choices}
#: rows between two progress reports of the validation phase (each one an UPDATE of the job row)
PROGRESS_EVERY = 1000
#: errors kept on a failed job (the page lists the first 200; the report is built from these in the
#: reader's language); a file with more bad rows than this is the wrong file anyway
ERRORS_KEPT = 20000


CENT = Decimal("0.01")


def cents(value) -> float:
    """Money for a spreadsheet cell: the Decimal rounded half-up to the cent, then the nearest binary
    number to it (an xlsx number is a double), so 91827.18 reads back as 91827.18."""
    return float(Decimal(value or 0).quantize(CENT, rounding=ROUND_HALF_UP))


def _header_map(columns):
    m = {}
    for field, label in columns:
        m[label] = field
        m[field] = field
    return m


def read_rows(path: str, name: str, on_size=None):
    """Rows of the first sheet (xlsx, python-calamine) or of a CSV file (UTF-8 with or without BOM,
    else GB18030) as lists of cell values, streamed; the first row is the header (issue 18).
    `on_size(n)`: the number of rows the file appears to hold, told before the first row."""
    return iter_table(path, name, on_size)


class _Unreadable(Exception):
    """The file could not be read past its header (raised while rows are streamed)."""

    def __init__(self, exc):
        super().__init__(exc)
        self.exc = exc


def _cell(value):
    if value is None:
        return ""
    if type(value) is str:
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "date") and callable(value.date):
        return value.date().isoformat()
    return str(value).strip()


def _rows_as_dicts(rows, columns):
    rows, fields = _header(rows, columns)
    return _dict_rows(rows, fields)


def _header(rows, columns):
    """(the rows below the header, [(cell index, field)]) of a file's rows; a ValidationError when
    the file is empty or has no 客户号 column."""
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        raise ValidationError(_("文件是空的。"))
    hmap = _header_map(columns)
    header = []
    for h in first:
        h = _cell(h)
        key = hmap.get(h)
        if key is None and columns is CUSTOMER_COLUMNS:
            # other tier metrics (telecom monthly spend, tobacco sales): a column "指标:<code>" / "metric:<code>"
            for prefix in ("指标:", "指标：", "metric:"):
                if h.startswith(prefix) and h[len(prefix) :].strip():
                    key = "metric:" + h[len(prefix) :].strip()
        header.append(key)
    if "customer_no" not in header:
        raise ValidationError(_("缺少“客户号”列。请使用导入模板。"))
    return rows, [(j, f) for j, f in enumerate(header) if f]


def _dict_rows(rows, fields, only=None):
    """(row number, {field: cell}) of each non-empty row below the header, one at a time (the file is
    never held as a list: issue 18); a read error is raised as `_Unreadable`. `only`: the row numbers
    wanted (the others are skipped unread)."""
    i = 1
    try:
        for i, row in enumerate(rows, start=2):  # noqa: B007 - the row number is kept for errors
            if only is not None and i not in only:
                continue
            cells = [_cell(v) for v in row]
            if not any(cells):
                continue
            n = len(cells)
            yield i, {f: cells[j] if j < n else "" for j, f in fields}
    except Exception as exc:  # noqa: BLE001 - an unreadable row is the file's error, reported as such
        raise _Unreadable(exc) from exc


class _Spool:
    """The validated plan, kept out of memory (issue 18): each batch of plan items is pickled to an
    anonymous temporary file as it is validated and read back a batch at a time by the write phase.
    `rows` counts the file's rows seen by the validation (the job's total)."""

    def __init__(self):
        self.fh = tempfile.TemporaryFile(prefix="rmdesk_import_")
        self.batches = 0
        self.items = 0
        self.rows = 0
        self.fast = None  # the plain creates staged by the SQL screen (services.import_sql), if any

    def add(self, items):
        if items:
            pickle.dump(items, self.fh, protocol=pickle.HIGHEST_PROTOCOL)
            self.batches += 1
            self.items += len(items)

    def __iter__(self):
        """The batches, in the order they were added."""
        self.fh.seek(0)
        for _i in range(self.batches):
            yield pickle.load(self.fh)  # noqa: S301 - our own file, written above by this process

    def __len__(self):
        return self.items

    def close(self):
        self.fh.close()
        if self.fast is not None:
            self.fast.close()


_seen_seq = itertools.count(1)


class _Seen:
    """The first row of the file holding each key (customer number, ID number, credit code, mobile;
    a holding's customer and account), kept in a temporary staging table instead of memory (issue 18:
    a 1,000,000-row file's keys would take hundreds of MB as dicts). `seen[field]` behaves as the
    dict {value: first row} the row-by-row check used; a batch's candidate keys are read with one
    query (`prefetch`), a key not prefetched is looked up on its own, and the keys a batch registers
    are written with one COPY / executemany (`flush`). The table is dropped by `close`."""

    FIELDS = ("customer_no", "id_number", "credit_code", "mobile", "holding")

    def __init__(self):
        self.conn = connections[DEFAULT_DB_ALIAS]
        self.table = f"import_stage_seen_{next(_seen_seq)}"
        qn = self.conn.ops.quote_name
        self.qtable = qn(self.table)
        with self.conn.cursor() as cur:
            cur.execute(
                f"CREATE TEMPORARY TABLE {self.qtable} (value text NOT NULL, field smallint NOT NULL, "
                "row_no integer NOT NULL, PRIMARY KEY (value, field))"
            )
        self.views = {f: _SeenField(self, i) for i, f in enumerate(self.FIELDS)}
        self.pending = []
        self.known: dict = {}  # (field index, value) -> row, of this batch
        self.checked: set = set()  # (field index, value) looked up in this batch

    def __getitem__(self, field):
        return self.views[field]

    def prefetch(self, keys):
        """Read the rows of the candidate keys {(field, value)} of the next batch."""
        self.flush()
        self.known.clear()
        self.checked.clear()
        wanted = {(self.FIELDS.index(f), v) for f, v in keys if v}
        self.checked |= wanted
        values = sorted({v for _i, v in wanted})
        # one array parameter on PostgreSQL; SQLite's placeholders a chunk of 900 at a time
        step = max(1, len(values)) if self.conn.vendor == "postgresql" else 900
        for i in range(0, len(values), step):
            self._read(values[i : i + step])

    def _read(self, values):
        with self.conn.cursor() as cur:
            if self.conn.vendor == "postgresql":
                cur.execute(f"SELECT field, value, row_no FROM {self.qtable} WHERE value = ANY(%s)", [values])
            else:
                marks = ", ".join(["%s"] * len(values))
                cur.execute(f"SELECT field, value, row_no FROM {self.qtable} WHERE value IN ({marks})", values)
            for field, value, row_no in cur.fetchall():
                self.known.setdefault((field, value), row_no)

    def lookup(self, i, value):
        key = (i, value)
        if key not in self.checked:
            self.checked.add(key)
            self._read([value])
        return self.known.get(key)

    def register(self, i, value, row_no):
        self.known[(i, value)] = row_no
        self.checked.add((i, value))
        self.pending.append((value, i, row_no))

    def flush(self):
        if self.pending:
            write_rows(self.table, ["value", "field", "row_no"], self.pending, prepared=True)
            self.pending = []

    def close(self):
        try:
            with self.conn.cursor() as cur:
                cur.execute(f"DROP TABLE IF EXISTS {self.qtable}")
        except DatabaseError:  # a broken transaction: the temporary table ends with the session
            pass


class _SeenField:
    """One field of `_Seen` as a dict {value: first row}: `in`, `[value]`, `[value] = row`."""

    __slots__ = ("seen", "i")

    def __init__(self, seen, i):
        self.seen, self.i = seen, i

    def __contains__(self, value):
        return self.seen.lookup(self.i, value) is not None

    def __getitem__(self, value):
        row_no = self.seen.lookup(self.i, value)
        if row_no is None:
            raise KeyError(value)
        return row_no

    def __setitem__(self, value, row_no):
        self.seen.register(self.i, value, row_no)


def _candidate_keys(row):
    """The keys a customer row may check in `_Seen`, as its cleaned values are likely to be: the
    number, the ID number and credit code upper-cased, the mobile as the form normalises it (a value
    cleaned otherwise is looked up on its own)."""
    yield "customer_no", row.get("customer_no", "")
    for field in ("id_number", "credit_code"):
        yield field, (row.get(field) or "").strip().upper()
    mobile = (row.get("mobile") or "").strip()
    if mobile:
        try:
            mobile = validate_mobile(mobile)
        except ValidationError:
            return
        yield "mobile", mobile


def _batches(rows, size):
    """Lists of up to `size` items of the stream `rows`."""
    rows = iter(rows)
    while batch := list(itertools.islice(rows, size)):
        yield batch


class _Errors:
    def __init__(self):
        self.items = []

    def add(self, row_no, customer_no, field, message):
        self.items.append({"row": row_no, "customer_no": customer_no, "field": field, "message": str(message)})

    def add_validation(self, row_no, customer_no, exc: ValidationError):
        if hasattr(exc, "error_dict"):
            for field, errs in exc.error_dict.items():
                for e in errs:
                    self.add(row_no, customer_no, field, " ".join(e.messages))
        else:
            for m in exc.messages:
                self.add(row_no, customer_no, "", m)


class JobAbandoned(Exception):
    """The job is no longer this worker's: the stall sweep failed it (or a retry restarted it)."""


_RUNNING = (ImportStatus.VALIDATING, ImportStatus.WRITING)


def _progress(job, n):
    """Record progress and its time (the stall sweep reads `progress_at`); stop when the job was
    failed meanwhile (JobAbandoned)."""
    running = ImportJob.objects.filter(pk=job.pk, status__in=_RUNNING)
    if not running.update(processed_rows=n, progress_at=timezone.now()):
        raise JobAbandoned(job.pk)


class _WriteProgress:
    """Progress of the write phase, seen by the job page and the stall sweep while the write
    transaction is still open (issue 18). On PostgreSQL the job row is updated through a second,
    autocommit connection: the writer holds its job row FOR KEY SHARE, which that non-key UPDATE does
    not wait for, while the sweep's FOR UPDATE SKIP LOCKED still skips the row. SQLite has one writer
    at a time, so there the write phase shows its progress when it commits. At most one update a
    second."""

    EVERY_S = 1.0

    def __init__(self, job):
        self.job_id, self.side, self.last = job.pk, None, 0.0
        conn = connections[DEFAULT_DB_ALIAS]
        if conn.vendor == "postgresql":
            self.side = conn.get_new_connection(conn.get_connection_params())
            self.side.autocommit = True
            self.table = conn.ops.quote_name(ImportJob._meta.db_table)

    def __call__(self, n: int, *, force=False):
        if self.side is None:
            return
        now = time.monotonic()
        if not force and now - self.last < self.EVERY_S:
            return
        self.last = now
        self.side.execute(
            f"UPDATE {self.table} SET processed_rows = %s, progress_at = %s WHERE id = %s AND status = %s",
            (n, timezone.now(), self.job_id, ImportStatus.WRITING.value),
        )

    def close(self):
        if self.side is not None:
            self.side.close()
            self.side = None


def _noop_progress(n, *, force=False):
    return None


def _lock_writing_job(job) -> bool:
    """Lock the job row for the write transaction (the sweep skips a locked row; a dead worker's
    rollback releases it): FOR KEY SHARE on PostgreSQL, so `_WriteProgress` can still update it.
    False when the job is no longer being written (the sweep failed it)."""
    conn = connections[DEFAULT_DB_ALIAS]
    if conn.vendor != "postgresql":
        return ImportJob.objects.select_for_update().filter(pk=job.pk, status=ImportStatus.WRITING).exists()
    table = conn.ops.quote_name(ImportJob._meta.db_table)
    with conn.cursor() as cur:
        cur.execute(
            f"SELECT 1 FROM {table} WHERE id = %s AND status = %s FOR KEY SHARE",
            [job.pk, ImportStatus.WRITING.value],
        )
        return cur.fetchone() is not None


def _matching(qs, field: str, values):
    """`qs.filter(<field>__in=values)`; on PostgreSQL as `= ANY(%s)` with one array parameter, so a
    look-up of thousands of keys is one short statement (psycopg's client-side binding parses every
    placeholder of an IN list in Python: about 5 ms a statement of 1,000; issue 18)."""
    values = list(values)
    if connections[qs.db].vendor != "postgresql":
        return qs.filter(**{f"{field}__in": values})
    model = qs.model
    column = model._meta.get_field(field).column
    qn = connections[qs.db].ops.quote_name
    return qs.extra(where=[f"{qn(model._meta.db_table)}.{qn(column)} = ANY(%s)"], params=[values])


# --- customers -----------------------------------------------------------------------------------

BATCH_SIZE = 2000  # rows validated per round of look-ups, rows per INSERT


class _Lookups:
    """What validation looks up, read a batch at a time (`__in`) and kept for the whole file: staff by
    employee number with their assignability (qualification, role, status) checked once per person,
    units by code, the importer's write scope."""

    def __init__(self, actor):
        self.actor = actor
        self.paths = subtree_paths(actor, write=True)
        self.writable = visible_customers(actor, write=True)
        self.rms: dict = {}  # employee_no -> (user | None, error | "")
        self.units: dict = {}  # code -> unit | None
        self.today = timezone.localdate()  # the bound of a birth date read from an ID number

    def load_rms(self, numbers):
        missing = sorted({n for n in numbers if n and n not in self.rms})
        if not missing:
            return
        found = {}
        for user in User.objects.filter(employee_no__in=missing).select_related("team", "unit").order_by("pk"):
            found.setdefault(user.employee_no, user)
        for no in missing:
            user, error = found.get(no), ""
            if user is not None:
                try:
                    ensure_can_be_assigned_customers(user)
                except ValidationError as exc:
                    error = exc.messages[0]
            self.rms[no] = (user, error)

    def load_units(self, codes):
        missing = sorted({c for c in codes if c and c not in self.units})
        if not missing:
            return
        found = {}
        for unit in OrgUnit.objects.filter(code__in=missing).order_by("pk"):
            found.setdefault(unit.code, unit)
        self.units.update({c: found.get(c) for c in missing})

    def in_write_scope(self, unit) -> bool:
        return unit is not None and any(unit.path.startswith(p) for p in self.paths)


def _validate_customer_rows(job, actor, rows, errors):
    """Validate every row of the stream `rows`; returns the plan [(row_no, action, values, extra)] as
    a `_Spool` of batches (kept while the file is clean: once a row is bad nothing will be written,
    so only the errors are collected from there on).

    Rows are read in batches of BATCH_SIZE: the existing archives of a batch (with their tags), which
    of them the importer may change, the owners and units it names are each one query per batch."""
    if isinstance(rows, _FileRows) and rows.screenable():
        plan = _validate_customers_screened(job, actor, rows, errors)
        if plan is not None:
            return plan
        errors.items.clear()  # a bad row: the existing path alone, for the existing report
        rows = rows.again()
    plan = _Spool()
    seen = _Seen()
    try:
        return _validate_customer_batches(job, actor, rows, errors, plan, seen)
    except BaseException:
        plan.close()
        raise
    finally:
        seen.close()


def _validate_customer_batches(job, actor, rows, errors, plan, seen, look=None, offset=0):
    look = look or _Lookups(actor)
    start = 0
    for batch in _batches(rows, BATCH_SIZE):
        items = []
        seen.prefetch(key for _n, r in batch for key in _candidate_keys(r))
        numbers = [r.get("customer_no", "") for _n, r in batch if r.get("customer_no", "")]
        existing_by_no = {
            c.customer_no: c for c in _matching(Customer.objects.all(), "customer_no", numbers).prefetch_related("tags")
        }
        writable_ids = (
            set(look.writable.filter(pk__in=[c.pk for c in existing_by_no.values()]).values_list("pk", flat=True))
            if existing_by_no
            else set()
        )
        new_rows = [r for _n, r in batch if r.get("customer_no", "") not in existing_by_no]
        look.load_rms(r.get("a_rm_no", "") for r in new_rows)
        look.load_units(r.get("org_unit_code", "") for r in new_rows if not r.get("a_rm_no", ""))
        for n, (row_no, row) in enumerate(batch, start=offset + start + 1):
            if n % PROGRESS_EVERY == 0:
                _progress(job, n)
            item = _validate_customer_row(row_no, row, existing_by_no, writable_ids, look, seen, errors, actor)
            if item is not None:
                items.append(item)
        start += len(batch)
        if not errors.items:
            plan.add(items)
    plan.rows = start
    _progress(job, offset + start)
    return plan


def _screen_labels():
    """{cell: code} of the cells a plain row may hold for its kind, gender, stage and source: each
    cell mapped as `_validate_customer_row` and the check map it, kept when the check accepts it."""
    kinds, genders, stages, sources = {}, {}, {}, {}
    for cell in ("", *KIND_LABELS, *CustomerKind.values):
        code = (KIND_LABELS.get(cell, cell) if cell else cell) or CustomerKind.INDIVIDUAL
        if code in CustomerKind.values:
            kinds[cell] = str(CustomerKind(code).value)
    for cell in ("", *GENDER_LABELS, "M", "F"):
        code = GENDER_LABELS.get(cell, cell)
        if code in ("", "M", "F"):
            genders[cell] = code
    for cell in ("", *STAGE_LABELS, *Stage.values):
        code = STAGE_LABELS.get(cell, cell) or Stage.POTENTIAL
        if code in Stage.values:
            stages[cell] = str(Stage(code).value)
    for cell in ("", *SOURCE_LABELS, *Source.values):
        code = SOURCE_LABELS.get(cell, cell) or Source.IMPORT
        if code in Source.values:
            sources[cell] = str(Source(code).value)
    return kinds, genders, stages, sources


def _guarded(rows):
    """The raw rows, a read error raised as `_Unreadable` (as `_dict_rows` raises it)."""
    try:
        yield from rows
    except Exception as exc:  # noqa: BLE001 - an unreadable row is the file's error, reported as such
        raise _Unreadable(exc) from exc


class _FileRows:
    """A customers file's rows below its header: iterated, the (row number, {field: cell}) pairs of
    `_dict_rows`; also readable raw (`rows`, `fields`) by the SQL screen, and again from the file."""

    def __init__(self, job, rows, fields):
        self.job, self.rows, self.fields = job, rows, fields

    def __iter__(self):
        return _dict_rows(self.rows, self.fields)

    def screenable(self) -> bool:
        """Whether the SQL screen takes the file: switched on, and no metric column (those rows
        always take the existing path)."""
        return import_sql.enabled() and not any(f.startswith("metric:") for _j, f in self.fields)

    def again(self, only=None):
        rows, fields = _header(read_rows(self.job.file.path, self.job.original_name), CUSTOMER_COLUMNS)
        return _FileRows(self.job, rows, fields) if only is None else _dict_rows(rows, fields, only=only)


def _validate_customers_screened(job, actor, file_rows, errors):
    """The customers file through the SQL screen (services.import_sql): staged, the plain creates
    kept aside, every other row validated by the existing path (`_validate_customer_batches`, with
    the plain rows' keys registered as seen). Returns the plan (its `fast` holds the plain rows), or
    None when a row has an error: the caller then validates the whole file again with the existing
    path alone, so the error report is the existing one."""
    look = _Lookups(actor)
    screen = import_sql.Screen(actor, look)
    plan = _Spool()
    try:
        fields = file_rows.fields
        screen.stage(
            _guarded(file_rows.rows), fields, _screen_labels(), look.today, lambda n: _progress(job, n), PROGRESS_EVERY
        )
        screen.screen()
        seen = _Seen()
        try:
            if screen.others:  # the plain rows' keys, for the duplicate check of the others
                screen.seed(seen.table)
                others = file_rows.again(only=set(screen.others))
                _validate_customer_batches(job, actor, others, errors, plan, seen, look=look, offset=screen.plain)
        finally:
            seen.close()
    except BaseException:
        plan.close()
        screen.close()
        raise
    if errors.items:
        plan.close()
        screen.close()
        return None
    plan.rows, plan.fast = screen.rows, screen
    _progress(job, screen.rows)
    return plan


def _validate_customer_row(row_no, row, existing_by_no, writable_ids, look, seen, errors, actor):
    no = row.get("customer_no", "")
    if not no:
        errors.add(row_no, no, "customer_no", _("缺少客户号。"))
        return None
    if len(no) > 32:
        errors.add(row_no, no, "customer_no", _("客户号不能超过32个字符。"))
        return None
    if no in seen["customer_no"]:
        errors.add(row_no, no, "customer_no", _("客户号与第 %(r)d 行重复。") % {"r": seen["customer_no"][no]})
        return None
    seen["customer_no"][no] = row_no
    existing = existing_by_no.get(no)
    data = {k: v for k, v in row.items() if not k.startswith("metric:")}
    metrics = {k[len("metric:") :]: v for k, v in row.items() if k.startswith("metric:") and v != ""}
    if metrics:
        data["metrics"] = {**((existing.metrics if existing is not None else None) or {}), **metrics}
    kind_label = data.get("kind", "")
    if kind_label:
        data["kind"] = KIND_LABELS.get(kind_label, kind_label)
    data["gender"] = GENDER_LABELS.get(data.get("gender", ""), data.get("gender", ""))
    data["stage"] = STAGE_LABELS.get(data.get("stage", ""), data.get("stage", "")) or None
    data["source"] = SOURCE_LABELS.get(data.get("source", ""), data.get("source", "")) or Source.IMPORT
    if existing is not None and existing.pk not in writable_ids:
        errors.add(row_no, no, "customer_no", _("客户号不可用（已被其他机构使用）。"))
        return None
    base = services.customer_values(existing) if existing else None
    if existing is not None:
        # keep what the file does not carry
        data = {k: v for k, v in data.items() if v not in ("", None)}
        if not data.get("kind"):
            data["kind"] = existing.kind
        if not row.get("stage"):
            data.pop("stage", None)
        if not row.get("source"):
            data.pop("source", None)
    # a new archive's row is checked in one pass; anything it does not pass gets the form's check
    values = clean_new_row(data, look.today) if existing is None else None
    if values is None:
        try:
            values = services.clean_customer_data(data, partial_base=base)
        except ValidationError as exc:
            errors.add_validation(row_no, no, exc)
            return None
    bad = False
    for field in services.DUPLICATE_FIELDS:
        v = values.get(field)
        if v and v in seen[field]:
            errors.add(row_no, no, field, _("与第 %(r)d 行重复。") % {"r": seen[field][v]})
            bad = True
        elif v:
            seen[field][v] = row_no
    if bad:
        return None
    extra = {"tags": [t for t in row.get("tags", "").replace("，", ",").replace("、", ",").split(",") if t.strip()]}
    if existing is None:
        rm_no, unit_code = row.get("a_rm_no", ""), row.get("org_unit_code", "")
        rm = unit = None
        if rm_no:
            rm, problem = look.rms[rm_no]
            if rm is None:
                errors.add(row_no, no, "a_rm_no", _("工号 %(no)s 不存在。") % {"no": rm_no})
                return None
            if problem:
                errors.add(row_no, no, "a_rm_no", problem)
                return None
            unit = rm.team or rm.unit
        elif unit_code:
            unit = look.units[unit_code]
            if unit is None:
                errors.add(row_no, no, "org_unit_code", _("机构代码 %(c)s 不存在。") % {"c": unit_code})
                return None
        else:
            unit = actor.team or actor.unit
        if not look.in_write_scope(unit):
            errors.add(row_no, no, "org_unit_code", _("归属机构不在您的管辖范围内。"))
            return None
        extra.update(rm_id=rm.pk if rm is not None else None, unit_id=unit.pk, org_path=unit.path, customer_no=no)
        return (row_no, "create", values, extra)
    changed = {k: v for k, v in values.items() if base.get(k) != v}
    tags_now = sorted(t.name for t in existing.tags.all())
    if "tags" in row and row.get("tags", "") != "" and sorted({t.strip() for t in extra["tags"]}) != tags_now:
        extra["set_tags"] = True
    if not changed and not extra.get("set_tags"):
        return (row_no, "same", None, None)  # counted only
    return (row_no, "update", changed, {**extra, "customer": existing})


class _Duplicates:
    """`services.find_duplicate` for a whole plan: the archives sharing an ID number, credit code or
    mobile with any planned row, read as (id, value) with one query per field and batch (a model
    instance only for an archive a row conflicts with: issue 18). An archive this file updates counts
    with the values it will have after the file (the row-by-row import saw earlier rows' updates;
    values are unique inside a file, so only swaps between rows can differ)."""

    def __init__(self, plan):
        self.after = {}  # pk -> (customer, {field: value after this file})
        wanted = {f: set() for f in services.DUPLICATE_FIELDS}
        for _row, action, values, extra in plan:
            if action == "same":
                continue
            full = values if action == "create" else {**services.customer_values(extra["customer"]), **values}
            if action == "update":
                self.after[extra["customer"].pk] = (extra["customer"], full)
            for f in services.DUPLICATE_FIELDS:
                if full.get(f):
                    wanted[f].add(full[f])
        self.owners = {f: {} for f in services.DUPLICATE_FIELDS}  # field -> value -> {pk}
        self.stored = {}  # (pk, field) -> the value in the database
        self.loaded = {}  # pk -> the archive a row conflicts with
        live = Customer.objects.filter(is_anonymised=False, merged_into__isnull=True)
        for f, found in wanted.items():
            found = sorted(found)
            for i in range(0, len(found), BATCH_SIZE):
                for pk, value in _matching(live, f, found[i : i + BATCH_SIZE]).values_list("pk", f).order_by():
                    self.owners[f].setdefault(value, set()).add(pk)
                    self.stored[(pk, f)] = value
        for pk, (c, full) in self.after.items():
            if c.is_anonymised or c.merged_into_id:
                continue
            for f in services.DUPLICATE_FIELDS:
                if full.get(f):
                    self.owners[f].setdefault(full[f], set()).add(pk)

    def _value(self, pk, field):
        if pk in self.after:
            return self.after[pk][1].get(field)
        return self.stored.get((pk, field))

    def _archive(self, pk):
        if pk in self.after:
            return self.after[pk][0]
        if pk not in self.loaded:
            self.loaded[pk] = Customer.objects.get(pk=pk)
        return self.loaded[pk]

    def find(self, values, exclude_pk=None):
        """(field, value, other archive) of the first duplicate, lowest id first, or None."""
        for f in services.DUPLICATE_FIELDS:
            value = values.get(f)
            if not value:
                continue
            for pk in sorted(self.owners[f].get(value, ())):
                if pk != exclude_pk and self._value(pk, f) == value:
                    return f, value, self._archive(pk)
        return None


def _tier_sets():
    """kind -> (rule set, its tiers): each kind is tiered by its own set in use (SPEC §2)."""
    return {kind: (rs, list(rs.tiers.all())) for kind, rs in services.active_rule_sets().items()}


def _metric_of(c, sets):
    rs = sets.get(c.kind, (None, None))[0]
    return services.metric_value(c, rs.metric if rs else "aum")


def _new_customer(values, extra, sets):
    """The archive a create row becomes, with everything `Customer.save`, `completeness_of` and the
    first `recompute_tier` would have set (the tier of its kind's set), ready for bulk_create."""
    rm, unit = extra["rm"], extra["unit"]
    c = Customer(**values, customer_no=extra["customer_no"], a_rm=rm, org_unit=unit, org_path=unit.path)
    c.refresh_derived()
    c.completeness = services.completeness_of(c, doc_kinds=set(), has_contacts=False, has_financials=False)
    rule_set, tiers = sets.get(c.kind, (None, None))
    if rule_set is not None:
        c.tier = services.tier_for_value(tiers, services.metric_value(c, rule_set.metric))
    return c


_DEFAULTS: dict = {}


def _customer_defaults() -> dict:
    """attname -> the value an unsaved `Customer()` holds for it (its field's default)."""
    if not _DEFAULTS:
        _DEFAULTS.update({f.attname: f.get_default() for f in Customer._meta.concrete_fields})
    return _DEFAULTS


class _NewArchive:
    """A new archive of the file as the attribute values `_new_customer` gives its Customer (by
    attname), without building a model instance per row: what `completeness_of`, `metric_value` and
    the bulk inserts read. `pk` is set once the rows are inserted."""

    __slots__ = ("values", "pk")

    def __init__(self, values: dict):
        self.values, self.pk = values, None

    def __getattr__(self, name):
        try:
            return self.values[name]
        except KeyError:
            defaults = _customer_defaults()
            if name in defaults:
                return defaults[name]
            raise AttributeError(name) from None


def _new_row(values, extra, sets) -> _NewArchive:
    """`_new_customer` as plain values: the same columns (derived search keys, completeness with no
    document yet, the tier of its kind's set), ready for `_insert_rows`. `extra` names the owner and
    unit by id (rm_id, unit_id, org_path), as the plan keeps them."""
    v = dict(values)
    v["customer_no"] = extra["customer_no"]
    v["a_rm_id"] = extra["rm_id"]
    v["org_unit_id"], v["org_path"] = extra["unit_id"], extra["org_path"]
    v["name_initials"] = fast_initials(v.get("name") or "")
    v["mobile_tail"] = (v.get("mobile") or "")[-4:]
    v["id_tail"] = (v.get("id_number") or "")[-4:]
    c = _NewArchive(v)
    v["completeness"] = services.completeness_of(c, doc_kinds=set(), has_contacts=False, has_financials=False)
    rule_set, tiers = sets.get(c.kind, (None, None))
    if rule_set is not None:
        tier = services.tier_for_value(tiers, services.metric_value(c, rule_set.metric))
        v["tier_id"] = tier.pk if tier is not None else None
    return c


def _write_customer_plan(job, actor, plan, progress=_noop_progress):
    """Write a validated plan. New archives are inserted in bulk (BATCH_SIZE rows per INSERT) with
    their tier computed before the insert, and their tags, birthdays, ownership and first-tier history
    rows in bulk too; updated rows keep the row-by-row path. The per-row `tier_changed` signal is not
    sent: one `customers_imported(actor, customer_ids)` covers every created or updated archive. A row
    whose lifecycle stage changes sends `stage_changed`: an updated archive with its old stage, a new
    one created in a stage past 潜在 with old_stage None (as `services.create_customer`).

    The plan is written a batch at a time as the validation spooled it (issue 18: memory bounded by
    the batch, not the file); within a batch the updates come first, then the new archives. Conflicts
    are looked for against the database as it stands when the batch is written, so an earlier
    batch's updates and new archives count as they are (as the row-by-row import saw them)."""
    counts = {"created": 0, "updated": 0, "unchanged": 0, "conflicts": 0}
    sets = _tier_sets()
    created, touched = array("q"), array("q")
    done = 0  # rows written (or found unchanged / sent to a conflict) so far
    conflicts = []
    redo = None
    if plan.fast is not None and plan.fast.stale():
        plan = redo = _revalidated(job, actor)
    try:
        return _write_customer_rows(job, actor, plan, progress, sets, counts, created, touched, done, conflicts)
    finally:
        if redo is not None:
            redo.close()


class _StillInvalid(Exception):
    """The file, validated again at write time, has errors (`items`): reported as a failed import."""

    def __init__(self, items):
        super().__init__(len(items))
        self.items = items


def _revalidated(job, actor):
    """The plan of the whole file through the existing path alone (the SQL screen's verdict went
    stale: another writer took a plain row's number or key since); its errors raise _StillInvalid."""
    errors = _Errors()
    rows, fields = _header(read_rows(job.file.path, job.original_name), CUSTOMER_COLUMNS)
    plan = _validate_customer_rows(job, actor, _dict_rows(rows, fields), errors)
    if errors.items:
        plan.close()
        raise _StillInvalid(errors.items)
    return plan


def _write_customer_rows(job, actor, plan, progress, sets, counts, created, touched, done, conflicts):
    """The body of `_write_customer_plan` once the plan is settled."""
    if plan.fast is not None:  # the plain creates of the SQL screen: INSERT … SELECT
        new, staged = plan.fast.write(actor, sets, _("建档定级")[:200], _("批量导入"), _("生日"), progress, BATCH_SIZE)
        counts["created"] += len(new)
        created.extend(new)
        done += len(new)
        del new
    else:
        staged = []
    for batch in plan:
        done = _write_customer_batch(actor, batch, sets, counts, created, touched, conflicts, progress, done)
    # the plain rows' stage events go after the other rows' (sent as each of those is written), not
    # interleaved in file order: each event is about one archive, so their order carries nothing (decision 92)
    _send_created_stages(actor, staged)
    # the conflicts are opened last: each is audited under the audit chain's lock, which is then
    # held until the commit, so it is taken at the end of the write and not from the first conflicting
    # row on (issue 18: the chain's lock is not held for the length of an import)
    for other, field, value, kw in conflicts:
        services.open_conflict(actor, other, field, value, source="import", **kw)
    ids = created + touched  # int64 arrays: 8 bytes an archive, not a Python int (1,000,000-row files)
    if ids:
        signals.customers_imported.send(sender=Customer, actor=actor, customer_ids=ids)
    return counts


def _write_customer_batch(actor, batch, sets, counts, created, touched, conflicts, progress, done):
    """One batch of `_write_customer_plan`; returns the rows done so far. The conflicts found are
    appended to `conflicts` (opened by the caller once every batch is written)."""
    dups = _Duplicates(batch)
    creates = []
    for _row_no, action, values, extra in batch:
        if action != "create":
            done += 1
            progress(done)
        if action == "same":
            counts["unchanged"] += 1
            continue
        if action == "create":
            dup = dups.find(values)
            if dup is not None:
                field, value, other = dup
                conflicts.append(
                    (other, field, value, {"proposed": {**values, "customer_no": extra.get("customer_no", "")}})
                )
                counts["conflicts"] += 1
                done += 1
                continue
            creates.append((_new_row(values, extra, sets), extra))
            continue
        customer = extra["customer"]
        dup = dups.find({**services.customer_values(customer), **values}, exclude_pk=customer.pk)
        if dup is not None:
            field, value, other = dup
            proposed = {**values, "customer_no": customer.customer_no}
            conflicts.append((other, field, value, {"subject": customer, "proposed": proposed}))
            counts["conflicts"] += 1
            continue
        old_stage = customer.stage
        for k, v in values.items():
            setattr(customer, k, v)
        if values:
            customer.version += 1
            customer.completeness = services.completeness_of(customer)
            customer.save()  # the search keys follow: Customer.refresh_derived
            services.sync_birthday(customer)
            if "metrics" in values:
                rule_set, tiers = sets.get(customer.kind, (None, None))
                services.recompute_tier(customer, reason=_("指标变动"), rule_set=rule_set, tiers=tiers, send=False)
            if customer.stage != old_stage:
                signals.stage_changed.send(
                    sender=Customer, actor=actor, customer=customer, old_stage=old_stage, new_stage=customer.stage
                )
        if extra.get("set_tags"):
            services.set_tags(customer, extra["tags"])
        touched.append(customer.pk)
        counts["updated"] += 1
    new = _insert_new_customers(actor, creates, sets, progress=progress, done=done)
    counts["created"] += len(new)
    created.extend(c.pk for c in new)
    return done + len(creates)


def _insert_rows(model, objs, progress=None):
    """INSERT `objs`: COPY FROM STDIN on PostgreSQL, one prepared statement per BATCH_SIZE rows
    (executemany) on SQLite. `objs` are unsaved instances, or dicts {attname: value} / `_NewArchive`
    (fields left out take their default, evaluated once).

    What bulk_create does per value, minus its SQL assembly: each field's pre_save (defaults,
    auto_now) and its database preparation, skipped for values the drivers take as they are (str,
    int, bool, None). Like bulk_create, no pre_save/post_save signal is sent and primary keys are not
    read back (see `_insert_new_customers`)."""
    if not objs:
        return
    conn = connections[DEFAULT_DB_ALIAS]
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    qn = conn.ops.quote_name
    sql = (
        f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    plain = {str, int, bool, type(None)}
    if conn.vendor == "postgresql":
        # psycopg writes these as they are (the backend's adapt_* hand them through unchanged)
        plain |= {Decimal, date, datetime}

    def prep(f, value):
        return value if value.__class__ in plain else f.get_db_prep_save(value, conn)

    def rows():
        if isinstance(objs[0], (dict, _NewArchive)):
            # start from the defaults (prepared once) and put in what each row carries
            base = _insert_defaults(model)[1]
            index = {f.attname: i for i, f in enumerate(fields)}
            for n, obj in enumerate(objs):
                if progress is not None and n % BATCH_SIZE == 0:
                    progress(n)
                row = base.copy()
                for k, v in (obj.values if isinstance(obj, _NewArchive) else obj).items():
                    i = index.get(k)
                    if i is not None:
                        row[i] = v if v.__class__ in plain else fields[i].get_db_prep_save(v, conn)
                yield row
        else:
            for obj in objs:
                yield [prep(f, f.pre_save(obj, True)) for f in fields]

    if conn.vendor == "postgresql":
        # one COPY FROM STDIN per table, streamed (issue 18): PostgreSQL's own bulk path
        write_rows(model._meta.db_table, [f.column for f in fields], rows(), prepared=True)
        return
    with conn.cursor() as cur:
        chunk = []
        for row in rows():
            chunk.append(row)
            if len(chunk) >= BATCH_SIZE:
                cur.executemany(sql, chunk)
                chunk = []
        if chunk:
            cur.executemany(sql, chunk)


def _insert_defaults(model):
    """(the columns `_insert_rows` writes, each one's default as it writes it: the field's pre_save
    on a new instance, prepared for the database unless the driver takes the value as it is)."""
    conn = connections[DEFAULT_DB_ALIAS]
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    plain = {str, int, bool, type(None)}
    if conn.vendor == "postgresql":
        plain |= {Decimal, date, datetime}
    obj = model()
    values = [f.pre_save(obj, True) for f in fields]
    return fields, [
        v if v.__class__ in plain else f.get_db_prep_save(v, conn) for f, v in zip(fields, values, strict=True)
    ]


def _insert_new_customers(actor, creates, sets, *, progress=_noop_progress, done=0):
    """Insert the new archives and what creating one writes besides (ownership and first-tier
    history, birthday, tags), in bulk; then `stage_changed` (old_stage None) for each one created in
    a stage past 潜在, as `services.create_customer` sends it."""
    if not creates:
        return []
    customers = [c for c, _extra in creates]
    _insert_rows(Customer, customers, progress=lambda i: progress(done + i))
    numbers = [c.customer_no for c in customers]
    pks = {}
    for i in range(0, len(numbers), BATCH_SIZE):
        chunk = numbers[i : i + BATCH_SIZE]
        pks.update(_matching(Customer.objects.all(), "customer_no", chunk).values_list("customer_no", "pk"))
    for c in customers:
        c.pk = pks[c.customer_no]
    note, reason, birthday = _("批量导入"), _("建档定级")[:200], _("生日")
    actor_id = actor.pk if actor else None
    _insert_rows(
        OwnershipChange,
        [
            {
                "customer_id": c.pk,
                "kind": OwnershipKind.CREATE.value,
                "to_a_id": c.a_rm_id,
                "actor_id": actor_id,
                "note": note,
            }
            for c in customers
        ],
    )
    _insert_rows(
        TierChange,
        [
            {
                "customer_id": c.pk,
                "from_tier_id": None,
                "to_tier_id": c.tier_id,
                "direction": TierDirection.INITIAL.value,
                "reason": reason,
                "metric_value": _metric_of(c, sets),
                "a_rm_id": c.a_rm_id,
                "org_path": c.org_path,
            }
            for c in customers
            if c.tier_id
        ],
    )
    _insert_rows(
        KeyDate,
        [
            {
                "customer_id": c.pk,
                "kind": KeyDateKind.BIRTHDAY.value,
                "label": birthday,
                "date": c.birth_date,
                "month": c.birth_date.month,
                "day": c.birth_date.day,
            }
            for c in customers
            if c.kind == CustomerKind.INDIVIDUAL and c.birth_date
        ],
    )
    _bulk_tags(customers, [extra["tags"] for _c, extra in creates])
    # e.g. 流失预警 from the core system: the service app's watch list sees it (receivers get the
    # saved archive, read back a batch at a time)
    _send_created_stages(actor, [c.pk for c in customers if c.stage != Stage.POTENTIAL])
    return customers


def _send_created_stages(actor, staged):
    """`stage_changed` (old_stage None) for each new archive (by id) created past 潜在."""
    for i in range(0, len(staged), BATCH_SIZE):
        saved = Customer.objects.in_bulk(staged[i : i + BATCH_SIZE])
        for pk in staged[i : i + BATCH_SIZE]:
            c = saved[pk]
            signals.stage_changed.send(sender=Customer, actor=actor, customer=c, old_stage=None, new_stage=c.stage)


def _bulk_tags(customers, names_per_customer):
    """`services.set_tags` for new archives: missing tags created, links inserted in bulk."""
    wanted = [[n.strip()[:30] for n in names if n and n.strip()] for names in names_per_customer]
    all_names = sorted({n for names in wanted for n in names})
    if not all_names:
        return
    tags = {t.name: t for t in Tag.objects.filter(name__in=all_names)}
    missing = [n for n in all_names if n not in tags]
    if missing:
        Tag.objects.bulk_create([Tag(name=n) for n in missing], ignore_conflicts=True)
        tags = {t.name: t for t in Tag.objects.filter(name__in=all_names)}
    through = Customer.tags.through
    _insert_rows(
        through,
        [
            {"customer_id": c.pk, "tag_id": tags[n].pk}
            for c, names in zip(customers, wanted, strict=True)
            for n in dict.fromkeys(names)
        ],
    )


# --- holdings ------------------------------------------------------------------------------------


#: what the holdings import reads of an archive: its number, and what its sums and tier are made of
_HOLDER_FIELDS = (
    "id",
    "customer_no",
    "kind",
    "aum",
    "deposits",
    "loans",
    "contribution",
    "metrics",
    "tier_id",
    "a_rm_id",
    "org_path",
)


def _validate_holdings(job, actor, rows, fields, errors):
    """The plan of a holdings file: staged and checked in SQL (`services.import_holdings_sql`, decision
    94) while the fast path is on; a file that needs the existing path (any error, any value the fast
    path does not take) is read again and validated row by row, so its report is the existing one."""
    if import_holdings_sql.enabled():
        stage = import_holdings_sql.Stage(actor)
        try:
            stage.stage(_dict_rows(rows, fields), lambda n: _progress(job, n))
            stage.check()
            return stage
        except import_holdings_sql.NotClean:
            stage.close()
            rows, fields = _header(read_rows(job.file.path, job.original_name), HOLDING_COLUMNS)
        except BaseException:
            stage.close()
            raise
    return _validate_holding_rows(job, actor, _dict_rows(rows, fields), errors)


def _validate_holding_rows(job, actor, rows, errors):
    """Validate every holding row of the stream `rows`; the customers of a batch of BATCH_SIZE rows
    are read with one query (their ids, in the importer's write scope), the products once for the
    file. The plan [(row_no, customer_id, product_id, account, balance, opened, closed, matures)] is
    a `_Spool` of batches, kept while the file is clean (as for customers)."""
    plan = _Spool()
    seen = _Seen()
    try:
        return _validate_holding_batches(job, actor, rows, errors, plan, seen)
    except BaseException:
        plan.close()
        raise
    finally:
        seen.close()


def _validate_holding_batches(job, actor, rows, errors, plan, seen):
    products = {p.code: p for p in Product.objects.all()}
    writable = visible_customers(actor, write=True)
    start = 0
    for batch in _batches(rows, BATCH_SIZE):
        items = []
        seen.prefetch(("holding", _holding_key(r.get("customer_no", ""), r)) for _n, r in batch)
        wanted = sorted({r.get("customer_no", "") for _n, r in batch} - {""})
        customers = {}
        if wanted:
            for no, pk in _matching(writable, "customer_no", wanted).order_by("-pk").values_list("customer_no", "pk"):
                customers[no] = pk  # the lowest id last, so it stays
        for n, (row_no, row) in enumerate(batch, start=start + 1):
            if n % PROGRESS_EVERY == 0:
                _progress(job, n)
            no = row.get("customer_no", "")
            customer = customers.get(no) if no else None
            if customer is None:
                errors.add(row_no, no, "customer_no", _("客户号不存在或不在您的管辖范围内。"))
                continue
            product = products.get(row.get("product_code", ""))
            if product is None:
                errors.add(row_no, no, "product_code", _("产品代码不存在。"))
                continue
            errs = {}
            if len(row.get("account_no", "")) > ACCOUNT_MAX:  # PostgreSQL would refuse the row (a 5xx)
                errs["account_no"] = _("账号最多 %(n)d 个字符。") % {"n": ACCOUNT_MAX}
            balance = services.parse_amount(row.get("balance"), "balance", errs)
            opened = services.parse_date(row.get("opened_on"), "opened_on", errs)
            closed = services.parse_date(row.get("closed_on"), "closed_on", errs)
            matures = services.parse_date(row.get("matures_on"), "matures_on", errs)  # optional column
            if balance is None and "balance" not in errs:
                errs["balance"] = _("请填写余额。")
            if opened and matures and matures < opened:
                errs["matures_on"] = _("到期日不能早于开户日期。")
            for f, m in errs.items():
                errors.add(row_no, no, f, m)
            if errs:
                continue
            account = row.get("account_no", "")
            key = _holding_key(no, row, product.code)
            if key in seen["holding"]:
                errors.add(row_no, no, "account_no", _("与第 %(r)d 行重复。") % {"r": seen["holding"][key]})
                continue
            seen["holding"][key] = row_no
            items.append((row_no, customer, product.pk, account, balance, opened, closed, matures))
        start += len(batch)
        if not errors.items:
            plan.add(items)
    plan.rows = start
    _progress(job, start)
    return plan


def _holding_key(no, row, product_code=None):
    """A holding's key in the file: its customer and account number, else its product."""
    return f"{no}\x1f{row.get('account_no', '') or (product_code or row.get('product_code', ''))}"


def _write_holding_plan(job, actor, plan, progress=_noop_progress):
    """Write a validated holdings plan, a batch of BATCH_SIZE rows at a time: the existing holdings
    of the batch's customers read with one query as plain tuples (by account number, else by product
    with no account, the lowest id first as `.first()`), new holdings inserted in bulk (COPY on
    PostgreSQL), changed ones updated in bulk; then AUM, deposits and loans of every touched archive
    from one grouped query per batch, and its tier (SPEC §2). A staged file (decision 94) is written
    by its `import_holdings_sql.Stage` and recomputed the same way."""
    if isinstance(plan, import_holdings_sql.Stage):
        counts, touched = plan.write(progress, timezone.localdate(), timezone.now())
        _recompute_touched(actor, touched, reason=_("持仓导入"))
        return counts
    counts = {"created": 0, "updated": 0, "unchanged": 0, "conflicts": 0}
    touched = {}
    today = timezone.localdate()
    now = timezone.now()
    now_db = Holding._meta.get_field("updated_at").get_db_prep_save(now, connections[DEFAULT_DB_ALIAS])
    start = 0
    for batch in plan:
        progress(start)
        start += len(batch)
        by_account, by_product = {}, {}
        existing = _matching(Holding.objects.all(), "customer_id", {r[1] for r in batch}).order_by("pk")
        # (id, customer, product, account, balance, opened, closed, matures): no model instance per
        # holding (issue 18: a batch's customers hold tens of thousands of them)
        for h in existing.values_list(
            "id", "customer_id", "product_id", "account_no", "balance", "opened_on", "closed_on", "matures_on"
        ):
            if h[3]:
                by_account.setdefault((h[1], h[3]), h)
            else:
                by_product.setdefault((h[1], h[2]), h)
        creates, updates = [], []
        for _row, customer_id, product_id, account, balance, opened, closed, matures in batch:
            h = by_account.get((customer_id, account)) if account else by_product.get((customer_id, product_id))
            if h is None:
                creates.append(
                    {
                        "customer_id": customer_id,
                        "product_id": product_id,
                        "account_no": account,
                        "balance": balance,
                        "opened_on": opened or today,
                        "closed_on": closed,
                        "matures_on": matures,
                        "updated_at": now,
                    }
                )
                counts["created"] += 1
            elif (
                (h[2], h[4], h[6]) == (product_id, balance, closed)
                and (not opened or h[5] == opened)
                and (not matures or h[7] == matures)
            ):
                counts["unchanged"] += 1
                continue
            else:
                # an empty 开户日期 / 到期日 cell keeps the current date
                updates.append((h[0], product_id, balance, opened or h[5], closed, matures or h[7], now_db))
                counts["updated"] += 1
            touched[customer_id] = None
        _insert_rows(Holding, creates)
        if updates:
            update_rows(
                Holding._meta.db_table,
                "id",
                ["product_id", "balance", "opened_on", "closed_on", "matures_on", "updated_at"],
                updates,
            )
    progress(start, force=True)
    _recompute_touched(actor, list(touched), reason=_("持仓导入"))
    return counts


class _Holder:
    """What `metric_value` reads of an archive (its sums, contribution and metrics), without a model
    instance (issue 18)."""

    __slots__ = ("aum", "deposits", "loans", "contribution", "metrics")

    def __init__(self, aum, deposits, loans, contribution, metrics):
        self.aum, self.deposits, self.loans = aum, deposits, loans
        self.contribution, self.metrics = contribution, metrics


def _recompute_touched(actor, customer_ids, *, reason):
    """`services.recompute_aggregates` for many archives (by id), set-based: each BATCH_SIZE archives
    read with one query as plain tuples (what their sums and tier are made of), the open holdings'
    sums from one grouped query per batch, each archive's tier against its kind's set in use, the
    changed archives written with one bulk UPDATE (`UPDATE … FROM` a COPYed staging table on
    PostgreSQL) and their TierChange rows with one bulk INSERT per batch. As for a customers file, no
    `tier_changed` per row: one `customers_imported` with every touched archive (the work app then
    recomputes their cadence set-based)."""
    sets = _tier_sets()
    tiers_by_id = {t.pk: t for _rs, tiers in sets.values() for t in tiers}
    zero = Decimal("0.00")
    aum = Q(product__category__in=AUM_CATEGORIES)
    reason = reason[:200]
    for start in range(0, len(customer_ids), BATCH_SIZE):
        ids = customer_ids[start : start + BATCH_SIZE]
        found = {r[0]: r for r in _matching(Customer.objects.all(), "id", ids).values_list(*_HOLDER_FIELDS).order_by()}
        batch = [found[pk] for pk in ids if pk in found]
        sums = {
            r[0]: r[1:]
            for r in _matching(Holding.objects.all(), "customer_id", [c[0] for c in batch])
            .filter(closed_on__isnull=True)
            .values("customer_id")
            .annotate(
                aum=Sum("balance", filter=aum),
                deposits=Sum("balance", filter=Q(product__category=ProductCategory.DEPOSIT)),
                loans=Sum("balance", filter=Q(product__category=ProductCategory.LOAN)),
            )
            .order_by()
            .values_list("customer_id", "aum", "deposits", "loans")
        }
        changed, changes = [], []
        none = (None, None, None)
        for pk, _no, kind, old_aum, old_deposits, old_loans, contribution, metrics, tier_id, a_rm_id, org_path in batch:
            new_aum, new_deposits, new_loans = (v or zero for v in sums.get(pk, none))
            dirty = (old_aum, old_deposits, old_loans) != (new_aum, new_deposits, new_loans)
            new_tier_id = tier_id
            rule_set, tiers = sets.get(kind, (None, None))
            if rule_set is not None:
                value = services.metric_value(
                    _Holder(new_aum, new_deposits, new_loans, contribution, metrics), rule_set.metric
                )
                tier = services.tier_for_value(tiers, value)
                if tier is not None and tier.pk != tier_id:
                    old = tiers_by_id.get(tier_id) if tier_id else None
                    if old is None and tier_id:
                        old = Tier.objects.filter(pk=tier_id).first()
                    changes.append(
                        {
                            "customer_id": pk,
                            "from_tier_id": old.pk if old else None,
                            "to_tier_id": tier.pk,
                            "direction": _direction(old, tier),
                            "reason": reason,
                            "metric_value": value,
                            "a_rm_id": a_rm_id,
                            "org_path": org_path,
                        }
                    )
                    new_tier_id = tier.pk
                    dirty = True
            if dirty:
                changed.append((pk, new_aum, new_deposits, new_loans, new_tier_id))
        if changed:
            update_rows(Customer._meta.db_table, "id", ["aum", "deposits", "loans", "tier_id"], changed)
        _insert_rows(TierChange, changes)
    if customer_ids:
        signals.customers_imported.send(sender=Customer, actor=actor, customer_ids=list(customer_ids))


def _direction(old, new):
    """As `recompute_tier`: a first tier or a move between sets is INITIAL, else UP or DOWN."""
    if old is None or new is None or old.rule_set_id != new.rule_set_id:
        return TierDirection.INITIAL.value
    return (TierDirection.UP if new.rank > old.rank else TierDirection.DOWN).value


# --- the job ----------------------------------------------------------------------------------


#: import columns that are not archive fields, by the label of their template header
_COLUMN_LABELS = {
    "customer_no": gettext_lazy("客户号"),
    "a_rm_no": gettext_lazy("主办客户经理工号"),
    "org_unit_code": gettext_lazy("归属机构代码"),
    "product_code": gettext_lazy("产品代码"),
    "tags": gettext_lazy("标签"),
}


def field_label(kind: str, field: str) -> str:
    """The label of a field named in an error (in the active language): the import template's
    column label or the archive/holding field's verbose name, never the code (issue 10)."""
    if not field:
        return ""
    if field.startswith("metric:"):
        return _("指标:%(code)s") % {"code": field[len("metric:") :]}
    if field in _COLUMN_LABELS:
        return str(_COLUMN_LABELS[field])
    for model in (Holding, Customer) if kind == "holdings" else (Customer, Holding):
        try:
            return str(model._meta.get_field(field).verbose_name)
        except FieldDoesNotExist:
            continue
    return _("其他")


def labelled_errors(kind: str, errors) -> list[dict]:
    """The errors of a job with the field's label next to its code (the page and the report)."""
    return [{**e, "field_label": field_label(kind, e.get("field", ""))} for e in errors]


def error_report_bytes(errors, kind: str = "customers") -> bytes:
    """The downloadable error report: headers and field names as labels in the active language."""
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet(_("错误报告"))
    bold = wb.add_format({"bold": True})
    for col, title in enumerate([_("行号"), _("客户号"), _("字段"), _("错误说明")]):
        ws.write(0, col, title, bold)
    for i, e in enumerate(labelled_errors(kind, errors), start=1):
        ws.write_number(i, 0, e["row"])
        ws.write_string(i, 1, e["customer_no"])
        ws.write_string(i, 2, e["field_label"])
        ws.write_string(i, 3, e["message"])
    ws.set_column(0, 0, 8)
    ws.set_column(1, 2, 20)
    ws.set_column(3, 3, 60)
    wb.close()
    return buf.getvalue()


def run_import(job_id: int):
    """Carry out one import job (called by the background task). The worker claims a pending job
    (so a task delivered twice runs it once) and reports progress with its time; a job the stall
    sweep failed meanwhile is left as the sweep wrote it (SPEC §2, nothing half-written)."""
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    now = timezone.now()
    claimed = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.PENDING).update(
        status=ImportStatus.VALIDATING, progress_at=now, attempts=job.attempts + 1
    )
    if not claimed:
        return job
    try:
        return _run_claimed(job)
    except JobAbandoned:
        job.refresh_from_db()
        return job


def _run_claimed(job):
    actor = job.created_by
    columns = CUSTOMER_COLUMNS if job.kind == "customers" else HOLDING_COLUMNS
    errors = _Errors()

    def size(n):  # the row count the file appears to hold, for the progress bar until it is known
        ImportJob.objects.filter(pk=job.pk).update(total_rows=n)
        job.total_rows = n

    try:
        rows, fields = _header(read_rows(job.file.path, job.original_name, on_size=size), columns)
    except ValidationError as exc:
        return _fail(job, actor, [{"row": 0, "customer_no": "", "field": "", "message": m} for m in exc.messages])
    except Exception as exc:  # noqa: BLE001 - an unreadable upload is the user's error, reported as such
        return _fail(job, actor, [_unreadable(exc)])
    plan = None
    try:
        try:
            if job.kind == "customers":
                plan = _validate_customer_rows(job, actor, _FileRows(job, rows, fields), errors)
            else:
                plan = _validate_holdings(job, actor, rows, fields, errors)
        except _Unreadable as exc:  # a row further down the file could not be read
            return _fail(job, actor, [_unreadable(exc.exc)])
        if errors.items:
            return _fail(job, actor, errors.items)
        ImportJob.objects.filter(pk=job.pk).update(total_rows=plan.rows)
        job.total_rows = plan.rows
        return _write_claimed(job, actor, plan)
    finally:
        if plan is not None:
            plan.close()


def _unreadable(exc) -> dict:
    return {
        "row": 0,
        "customer_no": "",
        "field": "",
        "message": _("文件无法读取：%(e)s") % {"e": exc.__class__.__name__},
    }


def _write_claimed(job, actor, plan):
    """The write phase of a validated file: one transaction (SPEC §2 all-or-nothing)."""
    total = plan.rows
    if not ImportJob.objects.filter(pk=job.pk, status=ImportStatus.VALIDATING).update(
        status=ImportStatus.WRITING, progress_at=timezone.now()
    ):
        raise JobAbandoned(job.pk)
    try:
        with transaction.atomic():
            # the job row stays locked while the file is written: the stall sweep skips a job whose
            # writer is alive (PostgreSQL), and a worker that dies releases it with its rollback
            if not _lock_writing_job(job):
                raise JobAbandoned(job.pk)
            progress = _WriteProgress(job)
            try:
                progress(0, force=True)
                if job.kind == "customers":
                    counts = _write_customer_plan(job, actor, plan, progress)
                else:
                    counts = _write_holding_plan(job, actor, plan, progress)
                progress(total, force=True)
            finally:
                progress.close()
            job.refresh_from_db()
            job.status = ImportStatus.DONE
            job.processed_rows = total
            job.created_count, job.updated_count = counts["created"], counts["updated"]
            job.unchanged_count, job.conflict_count = counts["unchanged"], counts["conflicts"]
            job.finished_at = job.progress_at = timezone.now()
            job.message = _("导入完成。")
            job.save()
            audit.record(actor, "customers.import", job, after={**counts, "file": job.original_name, "kind": job.kind})
    except ValidationError as exc:
        return _fail(job, actor, [{"row": 0, "customer_no": "", "field": "", "message": m} for m in exc.messages])
    except _StillInvalid as exc:
        return _fail(job, actor, exc.items)
    return job


def _fail(job, actor, items):
    job.refresh_from_db()
    job.status = ImportStatus.FAILED
    job.error_count = len({e["row"] for e in items})
    job.errors = items[:ERRORS_KEPT]
    job.finished_at = timezone.now()
    job.message = _("文件中有 %(n)d 行错误，未导入任何数据。请下载错误报告修正后重新上传。") % {"n": job.error_count}
    job.error_report.save(f"errors_{job.pk}.xlsx", ContentFile(error_report_bytes(items, job.kind)), save=False)
    job.save()
    with transaction.atomic():
        audit.record(
            actor, "customers.import_failed", job, after={"errors": job.error_count, "file": job.original_name}
        )
    return job


def template_bytes(kind: str) -> bytes:
    import xlsxwriter

    columns = CUSTOMER_COLUMNS if kind == "customers" else HOLDING_COLUMNS
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet(_("导入模板"))
    for col, (_f, label) in enumerate(columns):
        ws.write_string(0, col, label)
        ws.set_column(col, col, 16)
    wb.close()
    return buf.getvalue()


# --- export ------------------------------------------------------------------------------------

EXPORT_COLUMNS = [
    ("customer_no", "客户号"),
    ("kind", "客户类型"),
    ("name", "客户名称"),
    ("id_number", "证件号码"),
    ("mobile", "手机号码"),
    ("credit_code", "统一社会信用代码"),
    ("address", "地址"),
    ("annual_income", "年收入"),
    ("tier", "层级"),
    ("stage", "生命周期阶段"),
    ("aum", "金融资产"),
    ("deposits", "存款"),
    ("loans", "贷款"),
    ("a_rm", "主办客户经理"),
    ("b_rm", "协办客户经理"),
    ("completeness", "档案完整度"),
]


def export_xlsx(actor, qs, *, filters: dict) -> str:
    """Write the filtered list to a temporary .xlsx (constant memory) with sensitive fields masked;
    permission-gated and audited (SPEC §2 protection). Returns the file path. The writer is
    customers.exporting (issue 18: rows in chunks, the kernel's fast row writer)."""
    from .exporting import export_xlsx as write

    return write(actor, qs, filters=filters, columns=EXPORT_COLUMNS)


def decimal_or_zero(v):
    try:
        return Decimal(str(v))
    except ArithmeticError:
        return Decimal("0")
