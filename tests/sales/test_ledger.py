"""The materials' stock ledger (宣传促销品台账, SPEC §4): every movement with its running balance, which equals
opening + receipts − hand-outs − write-offs on hand-made movements; filters by period, material and kind;
a refused movement writes no line; the page, the Excel export and the API show the same lines, and a bad
filter is a field error (422 with ["query", field] in the API)."""

import io
from datetime import date, datetime, time

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from rmdesk.sales import config, ledger, services
from rmdesk.sales.models import Material, MaterialMovement

pytestmark = pytest.mark.django_db


def _on(day: date, hour: int = 10):
    return timezone.make_aware(datetime.combine(day, time(hour)))


@pytest.fixture
def book(world, make_customer):
    """An umbrella with hand-made movements on fixed days of November 2026:
    11-02 opening 10 · 11-05 receipt +5 · 11-10 hand-out −3 (rm, campaign-less) · 11-15 write-off −2 ·
    11-20 hand-out −4 (rm2, the other branch) · 11-25 receipt +1. Balances 10, 15, 12, 10, 6, 7."""
    umbrella = config.create_material(world.assistant, name="雨伞", unit_name="把", stock=10, is_active=True)
    mine = make_customer(world.rm, name="周敏")
    theirs = make_customer(world.rm2, name="吴刚")
    config.receive_material(world.assistant, umbrella.pk, quantity=5, note="总行配发")
    services.hand_out(world.rm, material_id=umbrella.pk, customer_id=mine.pk, quantity=3)
    config.receive_material(world.assistant, umbrella.pk, quantity=-2, note="受潮报损")
    services.hand_out(world.rm2, material_id=umbrella.pk, customer_id=theirs.pk, quantity=4)
    config.receive_material(world.assistant, umbrella.pk, quantity=1)
    days = [date(2026, 11, d) for d in (2, 5, 10, 15, 20, 25)]
    for line, day in zip(MaterialMovement.objects.filter(material=umbrella).order_by("id"), days, strict=True):
        MaterialMovement.objects.filter(pk=line.pk).update(at=_on(day))
    return {"material": umbrella, "mine": mine, "theirs": theirs}


def test_running_balance_is_receipts_minus_handouts_minus_writeoffs(world, book):
    umbrella = book["material"]
    lines = list(ledger.lines(world.admin, ledger.clean_filter({"material_id": umbrella.pk})))
    assert [(m.kind, m.quantity, m.balance) for m in lines] == [
        ("opening", 10, 10),
        ("receipt", 5, 15),
        ("handout", -3, 12),
        ("writeoff", -2, 10),
        ("handout", -4, 6),
        ("receipt", 1, 7),
    ]
    running = 0
    for m in lines:
        running += m.quantity
        assert m.balance == running
    umbrella.refresh_from_db()
    assert umbrella.stock == 7 == 10 + 5 + 1 - 3 - 4 - 2
    (row,) = ledger.summary(ledger.clean_filter({"material_id": umbrella.pk}))
    assert {k: row[k] for k in ("opening", "receipts", "handouts", "writeoffs", "closing")} == {
        "opening": 0,
        "receipts": 16,
        "handouts": 7,
        "writeoffs": 2,
        "closing": 7,
    }


def test_period_filter_opens_with_the_balance_before_it(world, book):
    f = ledger.clean_filter({"material_id": str(book["material"].pk), "start": "2026-11-08", "end": "2026-11-20"})
    assert [m.balance for m in ledger.lines(world.admin, f)] == [12, 10, 6]
    (row,) = ledger.summary(f)
    assert (row["opening"], row["receipts"], row["handouts"], row["writeoffs"], row["closing"]) == (15, 0, 7, 2, 6)
    f = ledger.clean_filter({"start": "2026-11-08", "end": "2026-11-20", "kind": "handout"})
    assert [m.quantity for m in ledger.lines(world.admin, f)] == [-3, -4]


def test_bad_filters_are_field_errors():
    with pytest.raises(ValidationError) as exc:
        ledger.clean_filter({"material_id": "999999", "start": "2026-13-01", "end": "x", "kind": "gift"})
    assert set(exc.value.message_dict) == {"material_id", "start", "end", "kind"}
    with pytest.raises(ValidationError) as exc:
        ledger.clean_filter({"start": "2026-11-20", "end": "2026-11-01"})
    assert exc.value.message_dict == {"end": ["结束日期不能早于开始日期。"]}
    with pytest.raises(ValidationError) as exc:
        ledger.clean_filter({"start": "0001-01-01", "end": "9999-12-31"})
    assert set(exc.value.message_dict) == {"start", "end"}


def test_refused_movements_write_no_line_and_stock_never_negative(world, book, api_client):
    umbrella, mine = book["material"], book["mine"]
    before = MaterialMovement.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.hand_out(world.rm, material_id=umbrella.pk, customer_id=mine.pk, quantity=8)
    assert exc.value.message_dict == {"quantity": ["库存不足（现有 7把）。"]}
    with pytest.raises(ValidationError) as exc:
        config.receive_material(world.assistant, umbrella.pk, quantity=-8)
    assert "quantity" in exc.value.message_dict
    resp = api_client(world.rm).post(
        "/api/sales/handouts",
        {"material_id": umbrella.pk, "customer_id": mine.pk, "quantity": 8},
        content_type="application/json",
    )
    assert resp.status_code == 422
    assert [d["loc"] for d in resp.json()["detail"]] == [["body", "quantity"]]
    assert MaterialMovement.objects.count() == before
    assert Material.objects.get(pk=umbrella.pk).stock == 7


def test_handout_lines_show_the_customer_only_in_scope(world, book):
    f = ledger.clean_filter({"material_id": book["material"].pk, "kind": "handout"})
    as_rm = [ledger.line_dict(m) for m in ledger.lines(world.rm, f)]
    assert [(r["customer_name"], r["by_name"], r["kind_label"], r["quantity"], r["balance"]) for r in as_rm] == [
        ("周敏", world.rm.display_name, "发放", -3, 12),
        ("", "", "范围外发放", -4, 6),
    ]
    as_manager = [ledger.line_dict(m)["customer_name"] for m in ledger.lines(world.manager, f)]
    assert as_manager == ["周敏", ""]  # manager of S1: rm2's customer sits in S2
    as_lead2 = [ledger.line_dict(m)["customer_name"] for m in ledger.lines(world.lead2, f)]
    assert as_lead2 == ["", "吴刚"]
    # the administrator keeps the stock but, as everywhere, does not read customer work
    as_admin = [ledger.line_dict(m) for m in ledger.lines(world.admin, f)]
    assert [(r["customer_name"], r["quantity"], r["balance"]) for r in as_admin] == [("", -3, 12), ("", -4, 6)]


def test_page_and_export(client, world, book):
    client.force_login(world.rm)
    url = f"/sales/materials/ledger/?material_id={book['material'].pk}&start=2026-11-01&end=2026-11-30"
    resp = client.get(url)
    assert resp.status_code == 200
    rows = resp.context["rows"]
    assert [(r["kind"], r["quantity"], r["balance"]) for r in rows] == [
        ("opening", 10, 10),
        ("receipt", 5, 15),
        ("handout", -3, 12),
        ("writeoff", -2, 10),
        ("handout", -4, 6),
        ("receipt", 1, 7),
    ]
    html = resp.content.decode()
    assert "周敏" in html and "吴刚" not in html and "范围外发放" in html
    assert 'data-testid="ledger-export-xlsx"' in html
    assert client.get("/sales/materials/ledger/?start=0001-01-01&end=9999-12-31").status_code == 422
    assert client.get("/sales/materials/ledger/?material_id=99999999999999999999").status_code == 422
    assert client.get("/sales/materials/ledger/export/?material_id=-1&format=xlsx").status_code == 422
    resp = client.get("/sales/materials/ledger/?start=2026-11-30&end=2026-11-01&material_id=abc")
    assert resp.status_code == 422
    assert resp.context["errors"] == {"end": ["结束日期不能早于开始日期。"], "material_id": ["促销品不存在。"]}
    assert "结束日期不能早于开始日期。" in resp.content.decode()

    from openpyxl import load_workbook

    resp = client.get(url.replace("/ledger/?", "/ledger/export/?") + "&format=xlsx")
    assert resp.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(resp.streaming_content))).active
    values = [row for row in sheet.iter_rows(values_only=True) if row and row[0] == "雨伞"]
    assert [(r[2], r[3], r[4], r[8]) for r in values] == [
        ("期初", 10, 10, None),
        ("入库", 5, 15, None),
        ("发放", -3, 12, "周敏"),
        ("报损", -2, 10, None),
        ("范围外发放", -4, 6, None),
        ("入库", 1, 7, None),
    ]
    client.force_login(world.referrer)
    assert client.get(url).status_code == 404


def test_api_ledger_and_its_422(api_client, world, book):
    rm = api_client(world.rm)
    resp = rm.get(f"/api/sales/materials/ledger?material_id={book['material'].pk}&start=2026-11-08&end=2026-11-20")
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["count"] == 3
    assert [(x["kind"], x["quantity"], x["balance"], x["customer_name"], x["shown"]) for x in body["lines"]] == [
        ("handout", -3, 12, "周敏", True),
        ("writeoff", -2, 10, "", True),
        ("handout", -4, 6, "", False),
    ]
    (row,) = body["summary"]
    assert (row["opening"], row["receipts"], row["handouts"], row["writeoffs"], row["closing"]) == (15, 0, 7, 2, 6)
    for query, loc in (
        ("start=2026-11-31", ["query", "start"]),
        ("start=2026-11-20&end=2026-11-01", ["query", "end"]),
        ("material_id=999999", ["query", "material_id"]),
        ("kind=gift", ["query", "kind"]),
    ):
        resp = rm.get(f"/api/sales/materials/ledger?{query}")
        assert resp.status_code == 422, (query, resp.content)
        assert [d["loc"] for d in resp.json()["detail"]] == [loc], query
    assert api_client(world.referrer).get("/api/sales/materials/ledger").status_code == 404


def test_ledger_page_in_english(client, world, book):
    from django.conf import settings

    client.force_login(world.rm)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(f"/sales/materials/ledger/?material_id={book['material'].pk}").content.decode()
    for text in ("Promotional materials ledger", "Opening balance", "Closing balance", "Write-off", "Receipt"):
        assert text in html, text
    assert "Hand-out outside your scope" in html
    assert "期初结存" not in html
