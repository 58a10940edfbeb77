"""Excel and PDF export of a list page (SPEC §11 "Excel and PDF everywhere"): the rows the user sees with
their filters, in their scope, written as they stream from the database.

A domain app's export view builds the same filtered, scoped queryset its list page shows, turns each row into
plain values (labels, never codes) and hands them here with the columns:

- Excel: xlsxwriter in constant-memory mode into a temporary file (rows fetched in chunks by the caller's
  ``.iterator(chunk_size=...)``), real numbers and dates, amounts as ``#,##0.00``, a frozen header row, column
  widths by kind, a second sheet naming the list, the filters, the user and the time;
- PDF: WeasyPrint with the CJK font, the bank's name in the running header, the generating user and time in
  the footer, page numbers; at most ``PDF_MAX_ROWS`` rows (a longer list says so on the page; Excel has all);
- every export is audited (``<app>.export_<list>``: format, row count, the filters used).
"""

import os
import re
import tempfile
import threading
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db import transaction
from django.http import FileResponse, HttpResponse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _

from . import audit

#: a PDF is for printing and sharing a page of work, not a data dump: longer lists are cut with a note
PDF_MAX_ROWS = 5000
FORMATS = ("xlsx", "pdf")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Col:
    """One exported column: its header (already translated or lazy) and how values are written:
    text, int, number, money (two decimals), date or datetime."""

    label: object
    kind: str = "text"
    width: int = 0

    def col_width(self) -> int:
        if self.width:
            return self.width
        return {"date": 12, "datetime": 17, "money": 16, "int": 10, "number": 12}.get(self.kind, 18)


def fmt_of(request) -> str:
    """The requested format (``?format=pdf``), Excel otherwise."""
    value = request.GET.get("format", "xlsx")
    return value if value in FORMATS else "xlsx"


def bank_name_of(user) -> str:
    unit = getattr(user, "unit", None)
    if unit is not None:
        try:
            return unit.get_root().name
        except AttributeError:  # a unit model without a tree
            return unit.name
    return _("客户经理工作台")


def _naive(value: datetime) -> datetime:
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.replace(tzinfo=None)


# --- the fast row writer ---------------------------------------------------------------------------
#
# xlsxwriter spends ~15 µs of Python per cell (argument decorators, a cell tuple, dimension checks,
# per-attribute escaping) — 16 s for 100,000 customer rows. In constant-memory mode it writes each
# finished row as XML to a temporary file and copies that file into the sheet at close. `stream_rows`
# writes the same XML for a run of rows itself, one string per row, into that file: xlsxwriter still
# makes the workbook (styles, formats, frozen panes, widths, other sheets, zip), only the data rows are
# bypassed (issue 18). The XML is what xlsxwriter 3.3 writes for write_string/write_number (inline
# strings, control characters as _xHHHH_, whitespace preserved), checked by tests/customers/test_export_*.

TEXT, NUMBER, INT, DATE, DATETIME = "text", "number", "int", "date", "datetime"
_XLS_STRMAX = 32767
# anything that needs the slow path: XML metacharacters, control characters, an _xHHHH_ look-alike,
# leading or trailing whitespace
_SPECIAL = re.compile(r"[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_|^\s|\s$")
_ESCAPE_1 = re.compile("(_x[0-9a-fA-F]{4}_)")
_ESCAPE_2 = re.compile(r"([\x00-\x08\x0b-\x1f])")


def _utf16_truncate(text: str) -> str:
    if len(text) <= _XLS_STRMAX // 2 or len(text.encode("utf-16-le")) // 2 <= _XLS_STRMAX:
        return text
    out, units = [], 0
    for ch in text:
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > _XLS_STRMAX:
            break
        out.append(ch)
    return "".join(out)


def _text_body(text: str) -> tuple[str, bool]:
    """(escaped text, needs xml:space="preserve") exactly as xlsxwriter writes an inline string."""
    text = _utf16_truncate(text)
    text = _ESCAPE_1.sub(r"_x005F\1", text)
    text = _ESCAPE_2.sub(lambda m: f"_x{ord(m.group(1)):04X}_", text)
    text = text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
    preserve = bool(re.search(r"^\s", text) or re.search(r"\s$", text))
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text, preserve


def _col_name(i: int) -> str:
    name = ""
    i += 1
    while i:
        i, rem = divmod(i - 1, 26)
        name = chr(65 + rem) + name
    return name


def _slow_text(v, ref: str, s_attr: str) -> str:
    body, keep = _text_body(v if type(v) is str else str(v))
    space = ' xml:space="preserve"' if keep else ""
    return f'<c r="{ref}"{s_attr} t="inlineStr"><is><t{space}>{body}</t></is></c>'


def _fit(row, n: int) -> tuple:
    row = tuple(row)
    return (row + (None,) * n)[:n]


def _cell_writer(kind: str, letter: str, s_attr: str, convert, day_s: str):
    """The function writing one column's cell as XML (`value`, row number as text) -> str."""
    if kind == TEXT:
        head, limit, special = f'<c r="{letter}', _XLS_STRMAX // 2, _SPECIAL.search

        def text(v, rs):
            if type(v) is str and len(v) <= limit and special(v) is None:
                return f'{head}{rs}"{s_attr} t="inlineStr"><is><t>{v}</t></is></c>'
            return _slow_text(v, letter + rs, s_attr)

        return text
    if kind in (NUMBER, INT):
        cast = float if kind == NUMBER else int

        def number(v, rs):
            return f'<c r="{letter}{rs}"{s_attr}><v>{cast(v):.16G}</v></c>'

        return number
    with_time = kind == DATETIME

    def day(v, rs):
        if with_time and isinstance(v, datetime):
            return f'<c r="{letter}{rs}"{s_attr}><v>{convert(_naive(v)):.16G}</v></c>'
        if isinstance(v, date):  # a date, or a datetime in a date column: the day, in the day format
            serial = convert(datetime(v.year, v.month, v.day))
            return f'<c r="{letter}{rs}"{day_s if with_time else s_attr}><v>{serial:.16G}</v></c>'
        return _slow_text(v, letter + rs, "")

    return day


def _write_rows(cols: list[tuple[str, str]], convert, day_s: str, rows: Iterable, first: int, fh, batch: int) -> int:
    """Write rows as the sheet XML xlsxwriter writes, one string per row (the export's floor: ~1.5 µs a
    cell); None and "" cells are left out, a row with no cell is not written."""
    n = len(cols)
    writers = [_cell_writer(kind, _col_name(i), s_attr, convert, day_s) for i, (kind, s_attr) in enumerate(cols)]
    buf, r = [], first
    for r, row in enumerate(rows, first + 1):
        if len(row) != n:
            row = _fit(row, n)
        rs = str(r)
        cells = "".join([w(v, rs) for w, v in zip(writers, row, strict=True) if v is not None and v != ""])
        if cells:
            buf.append(f'<row r="{rs}">{cells}</row>')
            if len(buf) >= batch:
                fh.write("".join(buf))
                buf.clear()
    if buf:
        fh.write("".join(buf))
    return r - first


def stream_rows(
    ws, first_row: int, specs: list[tuple[str, object]], rows: Iterable, *, day_format=None, batch: int = 2000
) -> int:
    """Write `rows` (tuples, one plain value per spec) as the sheet's rows from `first_row` (0-based)
    on, through xlsxwriter's constant-memory row file; returns the number of rows written.

    `specs`: (kind, Format or None) per column. Kinds: text (str() of the value), number (float),
    int, date (a date, or a datetime cut to its day, else text), datetime (a datetime with its time,
    a date as a day in `day_format`, else text). None and "" are left blank, as xlsxwriter leaves
    them. Must be the last rows written to `ws` (nothing may be written at or above `first_row`
    afterwards)."""
    if not ws.constant_memory:
        raise ValueError("stream_rows needs a constant_memory workbook")
    if not specs:
        return 0
    ws._write_single_row(first_row)  # flush the rows before (the header) and take over the row file
    cols = [(kind, f' s="{fmt._get_xf_index()}"' if fmt is not None else "") for kind, fmt in specs]
    day_s = f' s="{day_format._get_xf_index()}"' if day_format is not None else ""
    n = _write_rows(cols, ws._convert_date_time, day_s, rows, first_row, ws.fh, batch)
    if n:
        ws._check_dimensions(first_row + n - 1, 0)
        ws._check_dimensions(first_row + n - 1, len(specs) - 1)
    return n


# Deflate level 1 for the exports' workbooks: on 70 MB of sheet XML (100,000 customer rows) level 1
# takes ~1 s where xlsxwriter's default (zlib's 6) takes ~3 s, for a file ~20 % larger (11.8 vs 9.5
# MB). xlsxwriter makes its ZipFile inside Workbook.close() with no level option, so its module's
# ZipFile is replaced by one that reads the level from this thread's `close_workbook` call; every
# other workbook in the process keeps the default.
_zip_level = threading.local()


class _LeveledZipFile(zipfile.ZipFile):
    def __init__(self, *args, **kwargs):
        level = getattr(_zip_level, "value", None)
        if level is not None and "compresslevel" not in kwargs:
            kwargs["compresslevel"] = level
        super().__init__(*args, **kwargs)


def close_workbook(wb, *, level: int = 1) -> None:
    """Close (assemble and zip) an xlsxwriter workbook with deflate `level`."""
    import xlsxwriter.workbook

    if xlsxwriter.workbook.ZipFile is not _LeveledZipFile:
        xlsxwriter.workbook.ZipFile = _LeveledZipFile
    _zip_level.value = level
    try:
        wb.close()
    finally:
        _zip_level.value = None


def write_xlsx(path: str, *, title: str, columns: list[Col], rows: Iterable, meta: list[str]) -> int:
    """Stream rows into a constant-memory workbook at `path`; returns the number of rows written."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    ws = wb.add_worksheet(title[:31])
    head = wb.add_format({"bold": True, "bg_color": "#EEEEEE", "border": 1})
    money = wb.add_format({"num_format": "#,##0.00"})
    number = wb.add_format({"num_format": "0.00"})
    day = wb.add_format({"num_format": "yyyy-mm-dd"})
    stamp = wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    for i, c in enumerate(columns):
        ws.set_column(i, i, c.col_width())
    ws.freeze_panes(1, 0)
    for i, c in enumerate(columns):
        ws.write_string(0, i, str(c.label), head)
    by_kind = {
        "money": (NUMBER, money),
        "number": (NUMBER, number),
        "int": (INT, None),
        "date": (DATE, day),
        "datetime": (DATETIME, stamp),
    }
    specs = [by_kind.get(c.kind, (TEXT, None)) for c in columns]
    n = stream_rows(ws, 1, specs, rows, day_format=day)
    info = wb.add_worksheet(_("说明"))
    info.set_column(0, 0, 60)
    for r, line in enumerate([title, *meta, _("共 %(n)d 行") % {"n": n}]):
        info.write_string(r, 0, line)
    close_workbook(wb)
    return n


def _cell(value, kind: str) -> str:
    if value is None:
        return ""
    if kind == "money" and isinstance(value, Decimal | int | float):
        return f"{value:,.2f}"
    if isinstance(value, datetime):
        return f"{_naive(value):%Y-%m-%d %H:%M}"
    if isinstance(value, date):
        return value.isoformat()
    return escape(str(value))


def render_pdf(*, title: str, columns: list[Col], rows: Iterable, meta: list[str], user) -> tuple[bytes, int]:
    """The list as a PDF (at most PDF_MAX_ROWS rows); returns (content, rows written)."""
    from weasyprint import HTML

    kinds = [c.kind for c in columns]
    body, n, cut = [], 0, False
    for row in rows:
        if n >= PDF_MAX_ROWS:
            cut = True
            break
        n += 1
        cells = "".join(
            f'<td class="num">{_cell(v, k)}</td>' if k in ("money", "int", "number") else f"<td>{_cell(v, k)}</td>"
            for v, k in zip(row, kinds, strict=False)
        )
        body.append(f"<tr>{cells}</tr>")
    if not body:
        body.append(f'<tr><td colspan="{len(columns)}">{escape(_("无数据。"))}</td></tr>')
    note = (
        f'<p class="note">{escape(_("PDF 仅含前 %(n)d 行，完整清单请导出 Excel。") % {"n": PDF_MAX_ROWS})}</p>'
        if cut
        else ""
    )
    foot = _("%(name)s 生成于 %(at)s") % {
        "name": getattr(user, "display_name", "") or getattr(user, "username", ""),
        "at": f"{timezone.localtime():%Y-%m-%d %H:%M}",
    }
    head = "".join(f"<th>{escape(str(c.label))}</th>" for c in columns)
    html = f"""<!DOCTYPE html><html lang="zh-hans"><head><meta charset="utf-8"><style>
@page {{ size: A4 landscape; margin: 18mm 10mm 16mm;
  @top-center {{ content: element(page-head); width: 100%; }}
  @bottom-left {{ content: element(page-foot); }}
  @bottom-right {{ content: counter(page) " / " counter(pages); font-family: "Noto Sans CJK SC", sans-serif;
    font-size: 8pt; color: #666; }} }}
.page-head {{ position: running(page-head); font-size: 8.5pt; color: #444; border-bottom: 0.5pt solid #999; }}
.page-head span {{ float: right; }}
.page-foot {{ position: running(page-foot); font-size: 8pt; color: #666; }}
body {{ font-family: "Noto Sans CJK SC", sans-serif; font-size: 8pt; }}
h1 {{ font-size: 13pt; text-align: center; margin: 0 0 3pt; }} p.meta {{ text-align: center; margin: 0 0 6pt; }}
table {{ width: 100%; border-collapse: collapse; }} thead {{ display: table-header-group; }}
th, td {{ border: 0.5pt solid #888; padding: 1.5pt 3pt; text-align: left; }} th {{ background: #eee; }}
td.num {{ text-align: right; }} .note {{ color: #555; }}
</style></head><body>
<div class="page-head">{escape(bank_name_of(user))}<span>{escape(title)}</span></div>
<div class="page-foot">{escape(foot)}</div>
<h1>{escape(title)}</h1><p class="meta">{escape(" · ".join(meta))}</p>{note}
<table><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></body></html>"""
    return HTML(string=html).write_pdf(), n


def describe_filters(filters: dict) -> str:
    shown = [f"{k}={v}" for k, v in filters.items() if v not in (None, "", [])]
    return _("筛选：%(f)s") % {"f": "; ".join(shown)} if shown else _("筛选：无")


def export_response(
    request, *, title: str, filename: str, columns: list[Col], rows: Iterable, action: str, filters: dict
) -> HttpResponse:
    """Write `rows` (an iterator of tuples, one value per column) as the requested format, record the
    export in the audit chain, and answer the download."""
    fmt = fmt_of(request)
    user = request.user
    meta = [
        describe_filters(filters),
        _("导出人：%(name)s  时间：%(at)s")
        % {"name": getattr(user, "display_name", user.username), "at": f"{timezone.localtime():%Y-%m-%d %H:%M}"},
    ]
    stem = f"{filename}-{timezone.localdate():%Y%m%d}"
    if fmt == "pdf":
        content, n = render_pdf(title=title, columns=columns, rows=rows, meta=meta, user=user)
        _record(user, action, fmt, n, filters)
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{stem}.pdf"'
        return response
    tmp = tempfile.NamedTemporaryFile(prefix="export_", suffix=".xlsx", delete=False)
    tmp.close()
    try:
        n = write_xlsx(tmp.name, title=title, columns=columns, rows=rows, meta=meta)
        _record(user, action, fmt, n, filters)
        handle = open(tmp.name, "rb")  # noqa: SIM115 - FileResponse closes it
    finally:
        os.unlink(tmp.name)  # the open handle keeps the data readable on POSIX
    return FileResponse(handle, as_attachment=True, filename=f"{stem}.xlsx", content_type=XLSX_TYPE)


def _record(user, action: str, fmt: str, n: int, filters: dict) -> None:
    with transaction.atomic():
        audit.record(
            user,
            action,
            object_type=action.split(".", 1)[0],
            object_id="",
            after={"rows": n, "format": fmt, "filters": {k: v for k, v in filters.items() if v not in (None, "")}},
        )
