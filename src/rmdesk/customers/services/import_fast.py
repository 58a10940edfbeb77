"""The import pipeline's fast paths (SPEC §2 bulk import; issue 18): a streaming reader for .xlsx
(python-calamine) and .csv (the csv module, never the whole file in memory), the check of a new
archive's fields in one pass, the pinyin initials from a per-character table, and bulk writes with
COPY (PostgreSQL) or batched executemany (SQLite).

Nothing here decides a rule of its own: `clean_new_row` answers exactly what
`services.clean_customer_data` answers for a clean new row and None for anything else (a row that
fails any rule, or an input it does not handle), and the importer then asks `clean_customer_data`,
so every error message and field stays the one the archive form gives. The tests compare both on
valid and invalid rows (tests/customers/test_import_pipeline.py)."""

import codecs
import csv
import json
import re
from datetime import date, datetime
from decimal import Decimal
from operator import mul

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connections
from django.utils.translation import gettext as _

from ..models import CustomerKind, IdType, RiskTolerance, Source, Stage
from ..search import initials_of
from ..validators import ID_CHECK, ID_WEIGHTS, validate_amount, validate_credit_code, validate_mobile
from .cleaning import TEXT_FIELDS, parse_date

# --- reading ---------------------------------------------------------------------------------------

_CHUNK = 1 << 18


def _csv_encoding(path: str) -> str:
    """UTF-8 (with or without BOM) when the whole file decodes as such, else GB18030; checked in 256 KB
    chunks with an incremental decoder, so the file is never held in memory."""
    for enc in ("utf-8-sig", "gb18030"):
        dec = codecs.getincrementaldecoder(enc)()
        try:
            with open(path, "rb") as fh:
                while chunk := fh.read(_CHUNK):
                    dec.decode(chunk)
                dec.decode(b"", final=True)
            return enc
        except UnicodeDecodeError:
            continue
    raise ValidationError(_("无法识别文件编码，请使用 UTF-8 或 GB18030。"))


def iter_table(path: str, name: str, on_size=None):
    """Rows of the first sheet (xlsx, read by python-calamine) or of a CSV file (UTF-8 with or
    without BOM, else GB18030), one list of cell values at a time; the first row is the header.
    `on_size(n)`, when given, is called before the first row with the number of rows the file
    appears to hold below the header (the sheet's height; the CSV's line count): for progress only."""
    if name.lower().endswith(".xlsx"):
        from python_calamine import CalamineWorkbook

        wb = CalamineWorkbook.from_path(path)
        try:
            sheet = wb.get_sheet_by_index(0)
            if on_size is not None:
                on_size(max(0, sheet.height - 1))
            yield from sheet.iter_rows()
        finally:
            close = getattr(wb, "close", None)
            if close:
                close()
        return
    enc = _csv_encoding(path)
    if on_size is not None:
        lines = 0
        with open(path, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                lines += chunk.count(b"\n")
        on_size(max(0, lines - 1))
    with open(path, encoding=enc, newline="") as fh:
        yield from csv.reader(fh)


# --- pinyin initials ----------------------------------------------------------------------------------

_HAN = re.compile(r"^[\u4e00-\u9fff]+$")
_char_initials: dict[str, str] = {}


def _phrase_inside(name: str) -> bool:
    from pypinyin.constants import PHRASES_DICT

    n = len(name)
    return any(name[i:j] in PHRASES_DICT for i in range(n) for j in range(i + 2, n + 1))


def fast_initials(name: str) -> str:
    """`search.initials_of(name)` without calling pypinyin per name: a name of Chinese characters
    none of whose runs is a phrase of pypinyin's dictionary is converted character by character
    (pypinyin segments it so), from a per-character table; anything else asks `initials_of`."""
    if not name or len(name) > 8 or not _HAN.match(name) or _phrase_inside(name):
        return initials_of(name or "")
    out = []
    for ch in name:
        v = _char_initials.get(ch)
        if v is None:
            v = _char_initials[ch] = initials_of(ch)
        out.append(v)
    return "".join(out)[:60]


# --- the check of a new archive -------------------------------------------------------------------

_KINDS, _RISKS = frozenset(CustomerKind.values), frozenset(RiskTolerance.values)
_SOURCES, _STAGES = frozenset(Source.values), frozenset(Stage.values)
_ID_TYPES = frozenset(IdType.values)
_STANDINGS = frozenset(("AAA", "AA", "A", "BBB", "BB", "B", "C"))
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_RESIDENT_ID = re.compile(r"^\d{17}[\dX]$")
_AMOUNTS = ("annual_income", "registered_capital", "ka_volume", "ka_margin", "ka_growth", "ka_wallet_share")
_UNSET = object()


def _date(value):
    """`parse_date` of one cell; _UNSET when the cell is not a date (the caller then falls back)."""
    if value in (None, ""):
        return None
    if isinstance(value, str):
        m = _ISO_DATE.match(value)
        if m:
            try:
                return date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                return _UNSET
    errors = {}
    d = parse_date(value, "d", errors)
    return _UNSET if errors else d


def _amount(value, allow_negative=False):
    if value in (None, ""):
        return None
    try:
        return validate_amount(value, allow_negative=allow_negative)
    except ValidationError:
        return _UNSET


def clean_new_row(data: dict, today: date):
    """The values `clean_customer_data(data)` returns for a new archive, or None when the row breaks
    a rule (or holds an input this fast path does not take): the caller then runs
    `clean_customer_data` for the errors. `today` bounds the birth date in an ID number."""
    g = data.get
    kind = g("kind") or CustomerKind.INDIVIDUAL
    if kind not in _KINDS:
        return None
    out = {"kind": kind}
    for field, max_len in TEXT_FIELDS.items():
        value = g(field)
        value = "" if value is None else str(value).strip()
        if len(value) > max_len:
            return None
        out[field] = value
    if not out["name"]:
        return None
    gender = out["gender"]
    if gender and gender not in ("M", "F"):
        return None
    id_type = out["id_type"] = out["id_type"] or IdType.RESIDENT_ID
    if id_type not in _ID_TYPES:
        return None
    birth = _date(g("birth_date"))
    founded = _date(g("founded_on"))
    if birth is _UNSET or founded is _UNSET:
        return None
    out["founded_on"] = founded
    id_number = str(g("id_number") or "").strip().upper()
    if id_number and id_type == "resident_id":
        if not _RESIDENT_ID.match(id_number):
            return None
        try:
            born = date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
        except ValueError:
            return None
        if born.year < 1900 or born > today:
            return None
        if ID_CHECK[sum(map(mul, map(int, id_number[:17]), ID_WEIGHTS)) % 11] != id_number[17]:
            return None
        if birth and birth != born:
            return None
        birth = birth or born
        id_gender = "M" if int(id_number[16]) % 2 else "F"
        if gender and gender != id_gender:
            return None
        out["gender"] = gender or id_gender
    out["birth_date"] = birth
    out["id_number"] = id_number
    mobile = str(g("mobile") or "").strip()
    if mobile:
        try:
            mobile = validate_mobile(mobile)
        except ValidationError:
            return None
    out["mobile"] = mobile
    email = str(g("email") or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            return None
    out["email"] = email
    credit_code = str(g("credit_code") or "").strip().upper()
    if credit_code:
        try:
            credit_code = validate_credit_code(credit_code)
        except ValidationError:
            return None
    elif kind == CustomerKind.CORPORATE:
        return None
    out["credit_code"] = credit_code
    if kind == CustomerKind.INDIVIDUAL and not (id_number or mobile):
        return None
    for field in _AMOUNTS:
        value = _amount(g(field), allow_negative=field == "ka_growth")
        if value is _UNSET:
            return None
        out[field] = value
    days = g("ka_payment_days")
    if days in (None, ""):
        out["ka_payment_days"] = None
    else:
        try:
            days = int(days)
        except (TypeError, ValueError):
            return None
        if days < 0:
            return None
        out["ka_payment_days"] = days
    standing = g("ka_credit_standing") or ""
    if standing and standing not in _STANDINGS:
        return None
    out["ka_credit_standing"] = standing
    out["is_key_account"] = bool(g("is_key_account"))
    risk = g("risk_tolerance") or ""
    if risk and risk not in _RISKS:
        return None
    out["risk_tolerance"] = risk
    source = g("source") or Source.SELF
    stage = g("stage") or Stage.POTENTIAL
    if source not in _SOURCES or stage not in _STAGES:
        return None
    out["source"], out["stage"] = source, stage
    metrics = g("metrics") or {}
    if not isinstance(metrics, dict):
        return None
    clean_metrics = {}
    for key, value in metrics.items():
        amount = _amount(value, allow_negative=True)
        if amount is _UNSET:
            return None
        if amount is not None:
            clean_metrics[str(key)] = str(amount)
    out["metrics"] = clean_metrics
    return out


# --- bulk writes -------------------------------------------------------------------------------------


def write_rows(
    table: str, columns: list[str], rows, *, using: str = "default", batch: int = 1000, prepared: bool = False
) -> int:
    """Append `rows` (sequences of database-ready values, in `columns` order) to `table`: COPY FROM
    STDIN on PostgreSQL (one statement, streamed), executemany of `batch` rows on SQLite. A dict value
    (JSON) is written as its JSON text, unless `prepared` says the rows are written as they are (JSON
    already adapted). Returns the number of rows written."""
    conn = connections[using]
    qn = conn.ops.quote_name
    cols = ", ".join(qn(c) for c in columns)
    n = 0
    with conn.cursor() as cur:
        if conn.vendor == "postgresql":
            with cur.cursor.copy(f"COPY {qn(table)} ({cols}) FROM STDIN") as copy:
                write_row = copy.write_row
                if prepared:
                    for row in rows:
                        write_row(row)
                        n += 1
                    return n
                for row in rows:
                    write_row([json.dumps(v) if isinstance(v, (dict, list)) else v for v in row])
                    n += 1
            return n
        sql = f"INSERT INTO {qn(table)} ({cols}) VALUES ({', '.join(['%s'] * len(columns))})"
        chunk = []
        for row in rows:
            chunk.append([json.dumps(v) if isinstance(v, (dict, list)) else _sqlite_value(v) for v in row])
            if len(chunk) >= batch:
                cur.executemany(sql, chunk)
                n += len(chunk)
                chunk = []
        if chunk:
            cur.executemany(sql, chunk)
            n += len(chunk)
    return n


def _sqlite_value(v):
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, date) and not isinstance(v, datetime):
        return v.isoformat()
    return v


_column_types: dict = {}


def _pg_types(conn, table: str, columns: list[str]) -> list[str]:
    """The SQL types of `columns` of `table` (PostgreSQL), read once per process and table."""
    key = (conn.alias, table)
    if key not in _column_types:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
                "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
                [conn.ops.quote_name(table)],
            )
            _column_types[key] = dict(cur.fetchall())
    types = _column_types[key]
    return [types[c] for c in columns]


def update_rows(table: str, key: str, columns: list[str], rows, *, using: str = "default", batch: int = 1000) -> int:
    """Set `columns` of the rows of `table` whose `key` column matches: `rows` are sequences (key value
    first, then the columns' values, database-ready). PostgreSQL: one `UPDATE ... FROM unnest(...)`
    per `batch` rows, each column passed as one array parameter (the planner joins the few rows
    through the key's index: no staging table, no scan of the table; issue 18); SQLite: one prepared
    UPDATE per row through executemany. Returns the number of rows given."""
    conn = connections[using]
    qn = conn.ops.quote_name
    n = 0
    with conn.cursor() as cur:
        if conn.vendor == "postgresql":
            cols = [key, *columns]
            types = _pg_types(conn, table, cols)
            # a json/jsonb column travels as text[] and is cast per value
            arrays = ", ".join("%s::text[]" if t in ("json", "jsonb") else f"%s::{t}[]" for t in types)
            casts = {c: f"::{t}" for c, t in zip(cols, types, strict=True) if t in ("json", "jsonb")}
            sets = ", ".join(f"{qn(c)} = s.{qn(c)}{casts.get(c, '')}" for c in columns)
            sql = (
                f"UPDATE {qn(table)} AS t SET {sets} FROM unnest({arrays}) AS s({', '.join(qn(c) for c in cols)}) "
                f"WHERE t.{qn(key)} = s.{qn(key)}"
            )
            jsons = [t in ("json", "jsonb") for t in types]

            def flush(chunk):
                params = [
                    [None if v is None else json.dumps(v) if isinstance(v, (dict, list)) else v for v in col]
                    if is_json
                    else list(col)
                    for col, is_json in zip(zip(*chunk, strict=True), jsons, strict=True)
                ]
                cur.execute(sql, params)

            chunk = []
            for row in rows:
                chunk.append(row)
                if len(chunk) >= batch:
                    flush(chunk)
                    n += len(chunk)
                    chunk = []
            if chunk:
                flush(chunk)
                n += len(chunk)
            return n
        sql = f"UPDATE {qn(table)} SET {', '.join(f'{qn(c)} = %s' for c in columns)} WHERE {qn(key)} = %s"
        chunk = []
        for row in rows:
            chunk.append(
                [json.dumps(v) if isinstance(v, (dict, list)) else _sqlite_value(v) for v in row[1:]] + [row[0]]
            )
            if len(chunk) >= batch:
                cur.executemany(sql, chunk)
                n += len(chunk)
                chunk = []
        if chunk:
            cur.executemany(sql, chunk)
            n += len(chunk)
    return n
