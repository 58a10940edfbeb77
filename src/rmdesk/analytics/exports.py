"""Excel and PDF of a report (SPEC §11 "Excel and PDF everywhere"): Excel with real numbers and dates, a frozen
header row and column widths (xlsxwriter, constant memory); PDF with the bank's header, page numbers, and the
generating user and time (WeasyPrint, the CJK font). Both written from the same `Report` the page shows."""

import io
from datetime import date
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import timezone

from .reports import Report

MAX_SHEET_NAME = 31


def _width(value) -> int:
    text = str(value)
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)  # CJK characters are two columns wide


def to_xlsx(report: Report, *, user) -> bytes:
    import xlsxwriter

    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    bold = wb.add_format({"bold": True, "bg_color": "#EEEEEE", "border": 1})
    money = wb.add_format({"num_format": "#,##0.00"})
    day = wb.add_format({"num_format": "yyyy-mm-dd"})
    used = set()
    for table in report.tables:
        name = table.title[:MAX_SHEET_NAME]
        while name in used:
            name = f"{name[: MAX_SHEET_NAME - 2]}_{len(used)}"
        used.add(name)
        ws = wb.add_worksheet(name)
        widths = [_width(c) for c in table.columns]
        for col, title in enumerate(table.columns):
            ws.write_string(0, col, str(title), bold)
        for r, row in enumerate(table.rows, start=1):
            for col, value in enumerate(row):
                if isinstance(value, Decimal):
                    ws.write_number(r, col, float(value), money)
                elif isinstance(value, int | float) and not isinstance(value, bool):
                    ws.write_number(r, col, value)
                elif isinstance(value, date):
                    ws.write_datetime(r, col, timezone.datetime(value.year, value.month, value.day), day)
                elif isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
                    try:
                        parsed = date.fromisoformat(value)
                    except ValueError:
                        ws.write_string(r, col, value)
                    else:
                        ws.write_datetime(r, col, timezone.datetime(parsed.year, parsed.month, parsed.day), day)
                else:
                    ws.write_string(r, col, str(value))
                widths[col] = max(widths[col], _width(value))
        for col, w in enumerate(widths):
            ws.set_column(col, col, min(max(w + 2, 8), 60))
        ws.freeze_panes(1, 0)
        if table.note:
            ws.write_string(len(table.rows) + 2, 0, str(table.note))
    meta = wb.add_worksheet("说明")
    meta.write_string(0, 0, str(report.title))
    meta.write_string(1, 0, f"{report.start.isoformat()} ~ {report.end.isoformat()}")
    meta.write_string(2, 0, f"{getattr(report.unit, 'name', '')}")
    meta.write_string(3, 0, f"{user.display_name} {timezone.localtime():%Y-%m-%d %H:%M}")
    meta.set_column(0, 0, 40)
    wb.close()
    return out.getvalue()


def to_pdf(report: Report, *, user, bank_name: str) -> bytes:
    from weasyprint import HTML

    html = render_to_string(
        "analytics/report_pdf.html",
        {"report": report, "user": user, "generated_at": timezone.localtime(), "bank_name": bank_name},
    )
    return HTML(string=html).write_pdf()
