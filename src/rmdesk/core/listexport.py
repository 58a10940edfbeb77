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
import tempfile
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
    kinds = [c.kind for c in columns]
    write_string, write_number, write_datetime, write_blank = (
        ws.write_string,
        ws.write_number,
        ws.write_datetime,
        ws.write_blank,
    )
    n = 0
    for n, row in enumerate(rows, start=1):
        for i, value in enumerate(row):
            if value is None or value == "":
                write_blank(n, i, None)
                continue
            kind = kinds[i]
            if kind == "money":
                write_number(n, i, float(value), money)
            elif kind == "number":
                write_number(n, i, float(value), number)
            elif kind == "int":
                write_number(n, i, int(value))
            elif kind == "datetime" and isinstance(value, datetime):
                write_datetime(n, i, _naive(value), stamp)
            elif kind in ("date", "datetime") and isinstance(value, date):
                write_datetime(n, i, datetime(value.year, value.month, value.day), day)
            else:
                write_string(n, i, str(value))
    info = wb.add_worksheet(_("说明"))
    info.set_column(0, 0, 60)
    for r, line in enumerate([title, *meta, _("共 %(n)d 行") % {"n": n}]):
        info.write_string(r, 0, line)
    wb.close()
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
