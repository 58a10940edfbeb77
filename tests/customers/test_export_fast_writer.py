"""The export's fast row writer (issue 18: 100,000 rows ≤ 5 s): it writes the very XML xlsxwriter's own
write_* calls write (escaping, control characters, whitespace, long strings, numbers, dates), and the
customer export written with it reads back with masks, labels, exact money and XML-unsafe names."""

import zipfile
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO

import pytest
import xlsxwriter
from django.utils import timezone

from rmdesk.core import listexport
from rmdesk.core.listexport import DATE, DATETIME, INT, NUMBER, TEXT, close_workbook, stream_rows
from rmdesk.core.models import AuditEvent

TRICKY = [
    "plain",
    "中文客户名称",
    "A&B <公司> \"q\" 'a'",
    " leading",
    "trailing ",
    "\ttab",
    "line\nbreak",
    "ctl\x01\x1f char",
    "_x0041_ looks escaped",
    "non\ufffechar\uffff",
    "emoji 😀",
    "x" * 20000,  # between half of and the cell limit
    "y" * 40000,  # cut to 32,767 characters
    "😀" * 17000,  # cut by UTF-16 units
    12345,
]


def _sheet_xml(path) -> bytes:
    with zipfile.ZipFile(path) as z:
        return z.read("xl/worksheets/sheet1.xml")


def _workbook(path):
    wb = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    ws = wb.add_worksheet("t")
    fmts = {
        "money": wb.add_format({"num_format": "#,##0.00"}),
        "day": wb.add_format({"num_format": "yyyy-mm-dd"}),
        "stamp": wb.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
    }
    ws.write_string(0, 0, "header")
    return wb, ws, fmts


def _reference(ws, fmts, rows, kinds):
    """xlsxwriter's own per-cell calls, as core.listexport.write_xlsx made them before issue 18."""
    for n, row in enumerate(rows, start=1):
        for i, value in enumerate(row):
            if value is None or value == "":
                ws.write_blank(n, i, None)
                continue
            kind = kinds[i]
            if kind == "money":
                ws.write_number(n, i, float(value), fmts["money"])
            elif kind == "int":
                ws.write_number(n, i, int(value))
            elif kind == "datetime" and isinstance(value, datetime):
                ws.write_datetime(n, i, listexport._naive(value), fmts["stamp"])
            elif kind in ("date", "datetime") and isinstance(value, date):
                ws.write_datetime(n, i, datetime(value.year, value.month, value.day), fmts["day"])
            else:
                ws.write_string(n, i, str(value))


def test_fast_rows_write_the_xml_xlsxwriter_writes(tmp_path, settings):
    settings.USE_TZ = True
    aware = timezone.make_aware(datetime(2026, 3, 1, 9, 30, 15))
    kinds = ["text", "money", "int", "date", "datetime", "text"]
    rows = [(t, Decimal("91827.18"), 7, date(2026, 1, 2), aware, None) for t in TRICKY]
    rows += [
        ("", None, "", None, None, ""),  # an empty row: no <row> at all
        ("a", Decimal("-0.01"), 0, datetime(2026, 1, 2, 23, 59), date(2025, 12, 31), "b"),
        ("short",),  # a short row: the missing cells are blank
        ("x", 1e17, 10**17, "not a date", "n/a", date(1900, 1, 1)),
        ("a", Decimal("1"), 3, date(1900, 2, 28), datetime(1900, 3, 1, 12), "z"),
    ]
    ref_wb, ref_ws, fmts = _workbook(tmp_path / "ref.xlsx")
    _reference(ref_ws, fmts, rows, kinds)
    ref_wb.close()

    fast_wb, fast_ws, fmts = _workbook(tmp_path / "fast.xlsx")
    by_kind = {"money": (NUMBER, fmts["money"]), "int": (INT, None), "date": (DATE, fmts["day"])}
    by_kind["datetime"] = (DATETIME, fmts["stamp"])
    specs = [by_kind.get(k, (TEXT, None)) for k in kinds]
    assert stream_rows(fast_ws, 1, specs, iter(rows), day_format=fmts["day"], batch=3) == len(rows)
    close_workbook(fast_wb)

    ref, fast = _sheet_xml(tmp_path / "ref.xlsx"), _sheet_xml(tmp_path / "fast.xlsx")
    assert b"_x0001_" in fast and b"_x005F_x0041_" in fast and b"&amp;" in fast  # the tricky cases are there
    assert fast == ref


def test_fast_rows_need_a_constant_memory_workbook(tmp_path):
    wb = xlsxwriter.Workbook(tmp_path / "x.xlsx")
    ws = wb.add_worksheet()
    with pytest.raises(ValueError, match="constant_memory"):
        stream_rows(ws, 1, [(TEXT, None)], [("a",)])
    wb.close()


def test_close_workbook_deflates_fast_only_its_own_workbook(tmp_path):
    wb, ws, _fmts = _workbook(tmp_path / "fast.xlsx")
    stream_rows(ws, 1, [(TEXT, None)], [(f"row {i} " * 20,) for i in range(2000)])
    close_workbook(wb)
    other = xlsxwriter.Workbook(tmp_path / "other.xlsx", {"constant_memory": True})
    other_ws = other.add_worksheet()
    for i in range(2000):
        other_ws.write_string(i, 0, f"row {i} " * 20)
    other.close()
    # deflate level 1 writes a bigger sheet than the default level for the same text
    with zipfile.ZipFile(tmp_path / "fast.xlsx") as z1, zipfile.ZipFile(tmp_path / "other.xlsx") as z2:
        fast_size = z1.getinfo("xl/worksheets/sheet1.xml").compress_size
        other_size = z2.getinfo("xl/worksheets/sheet1.xml").compress_size
    assert fast_size > other_size
    assert listexport._zip_level.value is None


@pytest.fixture
def customers(world, make_customer, ids):
    odd = make_customer(
        world.rm,
        world.t1,
        name="A&B <贸易> 公司 ",
        name_initials="ab",
        id_number=ids.id(),
        mobile="13912345678",
        address="南京市鼓楼区湖南路100号",
        annual_income=Decimal("360000"),
        aum=Decimal("91827.18"),
    )
    plain = make_customer(world.rm, world.t1, name="李四", name_initials="ls", aum=Decimal("5.05"))
    return odd, plain


def test_customer_export_reads_back(world, customers, api_client):
    from openpyxl import load_workbook

    odd, plain = customers
    resp = api_client(world.lead).get("/api/customers/export")
    assert resp.status_code == 200
    rows = list(load_workbook(BytesIO(b"".join(resp.streaming_content))).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("客户号", "客户类型", "客户名称") and len(rows) == 3
    first, second = rows[1], rows[2]  # ordered by assets, largest first
    assert first[0] == odd.customer_no and first[2] == "A&B <贸易> 公司 "
    assert first[1] == str(odd.get_kind_display()) and first[9] == str(odd.get_stage_display())
    assert first[3].startswith(odd.id_number[:3]) and "*" in first[3] and odd.id_number not in first
    assert first[4] == "139****5678" and first[6] == "南京市鼓楼区****" and first[7] == "******"
    assert first[10] == 91827.18 and isinstance(first[15], int)
    assert second[2] == "李四" and second[10] == 5.05 and second[3] is None and second[7] is None
    ev = AuditEvent.objects.get(action="customers.export")
    assert ev.summary["after"]["rows"] == 2
