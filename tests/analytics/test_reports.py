"""Reports (SPEC §11): exact figures on hand-made data (tier migration between two dates, complaints, AUM trend),
the viewer's scope, filters refused next to the field (page) and with the field's path (API), Excel cells of the
right types, and a PDF carrying the Chinese text (pdftotext)."""

import io
import re
import subprocess
from datetime import datetime, time, timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from rmdesk.analytics import snapshots
from rmdesk.analytics.reports import aum_trend, complaints, parse_filters, tier_migration
from rmdesk.core.models import AuditEvent
from rmdesk.customers.models import Customer, Tier, TierChange
from rmdesk.service import services as service_services
from rmdesk.service.models import Case, CaseCategory

pytestmark = pytest.mark.django_db


def _at(days_ago: int):
    return timezone.make_aware(datetime.combine(timezone.localdate() - timedelta(days=days_ago), time(10)))


@pytest.fixture
def tiers():
    bank = sorted(Tier.objects.filter(rule_set__is_active=True, rule_set__industry="bank"), key=lambda t: -t.rank)
    return bank[0], bank[-1]


@pytest.fixture
def moves(world, make_customer, tiers):
    top, low = tiers

    def customer(rm, tier, aum, created_days_ago):
        c = make_customer(rm, tier=tier, aum=Decimal(aum))
        Customer.objects.filter(pk=c.pk).update(created_at=_at(created_days_ago))
        return c

    def change(c, from_tier, to_tier, days_ago):
        direction = "up" if to_tier.rank > from_tier.rank else "down"
        TierChange.objects.create(
            customer=c, from_tier=from_tier, to_tier=to_tier, direction=direction, at=_at(days_ago), org_path=c.org_path
        )

    c1 = customer(world.rm, top, "1000000", 400)
    change(c1, low, top, 10)  # moved up inside the period
    c2 = customer(world.rm, low, "20000", 400)
    change(c2, top, low, 2)  # moved down after the period: still top at its end
    customer(world.rm_b, low, "30000", 400)  # no change
    customer(world.rm, top, "600000", 10)  # new in the period
    customer(world.rm, top, "5000", 1)  # created after the period's end: not counted
    customer(world.rm2, top, "7000000", 400)  # the other branch's
    return {"start": timezone.localdate() - timedelta(days=20), "end": timezone.localdate() - timedelta(days=5)}


def test_tier_migration_matrix_on_hand_made_moves(world, moves, tiers):
    top, low = tiers
    report = tier_migration(world.lead, moves["start"], moves["end"], world.t1)
    summary, matrix = report.tables
    assert matrix.rows == [
        [top.name, top.name, 1, Decimal("2.00")],
        [low.name, top.name, 1, Decimal("100.00")],
        [low.name, low.name, 1, Decimal("3.00")],
        ["（新客户）", top.name, 1, Decimal("60.00")],
    ]
    assert summary.rows == [["升级", 1], ["降级", 0], ["（新客户）", 1]]
    # the other branch's lead sees only theirs
    other = tier_migration(world.lead2, moves["start"], moves["end"], world.t2).tables[1]
    assert other.rows == [[top.name, top.name, 1, Decimal("700.00")]]


def test_complaints_report_figures(world, make_customer):
    category = CaseCategory.objects.get(code="attitude")
    made = []
    for i in range(3):
        made.append(
            service_services.register_case(
                world.rm,
                customer_id=make_customer(world.rm).pk,
                kind="complaint",
                channel="branch",
                category_id=category.pk,
                severity="normal" if i else "major",
                title=f"投诉{i}",
                description="服务态度",
            )
        )
    Case.objects.filter(pk=made[0].pk).update(answer_breached=True, is_valid=True, root_cause="attitude")
    Case.objects.filter(pk=made[1].pk).update(root_cause="attitude")
    today = timezone.localdate()
    report = complaints(world.manager, today - timedelta(days=1), today, world.s1)
    by_id = {t.id: t for t in report.tables}
    assert by_id["complaints-summary"].rows == [
        ["投诉件数", 3],
        ["超时件数", 1],
        ["有效投诉", 1],
        ["时效达标率（%）", Decimal("66.67")],
    ]
    assert by_id["complaints-category"].rows == [[category.name, 3, 1]]
    assert sorted(by_id["complaints-severity"].rows) == sorted([["一般", 2], ["较重", 1]])
    assert by_id["complaints-cause"].rows == [["服务态度", 2]]
    assert complaints(world.lead2, today - timedelta(days=1), today, world.t2).tables[0].rows[0] == ["投诉件数", 0]


def test_aum_trend_from_snapshots_and_an_rm_sees_only_their_book(world, make_customer):
    make_customer(world.rm, aum=Decimal("100000"))
    make_customer(world.rm2, aum=Decimal("300000"))
    today = timezone.localdate()
    snapshots.take(today - timedelta(days=1))
    make_customer(world.rm, aum=Decimal("50000"))
    snapshots.take(today)
    report = aum_trend(world.manager, today - timedelta(days=7), today, world.s1)
    (table,) = report.tables
    assert table.columns[1:] == [u.name for u in world.s1.get_children().order_by("path")]
    first, second = table.rows
    assert first[0] == (today - timedelta(days=1)).isoformat() and sum(first[1:]) == Decimal("10.00")
    assert sum(second[1:]) == Decimal("15.00")
    own = aum_trend(world.rm, today - timedelta(days=7), today, world.o1).tables[0]
    assert own.columns == ["日期", "本人管户"] and [r[1] for r in own.rows] == [Decimal("10.00"), Decimal("15.00")]
    by_tier = aum_trend(world.manager, today - timedelta(days=7), today, world.s1, by="tier").tables[0]
    assert sum(by_tier.rows[-1][1:]) == Decimal("15.00")


def test_filters_are_refused_with_the_field_named(world, client):
    with pytest.raises(Exception) as exc:
        parse_filters(world.lead, start=timezone.localdate(), end=timezone.localdate() - timedelta(days=1))
    assert "end" in exc.value.message_dict
    with pytest.raises(Exception) as exc:
        parse_filters(world.lead, unit_id=world.t2.pk)  # another branch's team: not in the lead's subtree
    assert "unit" in exc.value.message_dict
    client.force_login(world.lead)
    url = reverse("analytics:report", args=["complaints"])
    page = client.get(url, {"start": "2026-05-01", "end": "2026-04-01"})
    assert page.status_code == 200 and "结束日期不能早于开始日期。" in page.content.decode()
    api = client.get("/api/analytics/reports/complaints", {"start": "2026-05-01", "end": "2026-04-01"})
    assert api.status_code == 422 and api.json()["detail"][0]["loc"] == ["query", "end"]
    assert client.get("/api/analytics/reports/complaints", {"unit": world.t2.pk}).status_code == 422
    assert client.get("/api/analytics/reports/nonsense").status_code == 422
    assert client.get(reverse("analytics:report", args=["nonsense"])).status_code == 404


def test_excel_has_real_numbers_dates_and_a_frozen_header(world, moves, client):
    client.force_login(world.lead)
    url = reverse("analytics:report", args=["tier-migration"])
    response = client.get(url, {"start": moves["start"].isoformat(), "end": moves["end"].isoformat(), "format": "xlsx"})
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    ws = wb["层级迁移矩阵"]
    assert [c.value for c in ws[1]] == ["期初层级", "期末层级", "客户数", "金融资产（万元）"]
    assert ws.freeze_panes == "A2"
    assert ws["C2"].data_type == "n" and ws["C2"].value == 1
    assert ws["D2"].data_type == "n" and ws["D2"].value == 2 and ws["D2"].number_format == "#,##0.00"
    assert AuditEvent.objects.filter(action="analytics.export_report", actor=world.lead).count() == 1
    trend = client.get(reverse("analytics:report", args=["aum-trend"]), {"format": "xlsx"})
    assert trend.status_code == 200


def test_pdf_carries_the_chinese_text(world, moves, client):
    client.force_login(world.lead)
    url = reverse("analytics:report", args=["tier-migration"])
    response = client.get(url, {"start": moves["start"].isoformat(), "end": moves["end"].isoformat(), "format": "pdf"})
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-", "-"], input=response.content, capture_output=True, check=True).stdout
    text = text.decode()
    assert "客户层级迁移报告" in text and "层级迁移矩阵" in text and "（新客户）" in text
    assert f"{world.lead.display_name} 生成于" in text and re.search(r"\b1\s*/\s*1\b", text)  # page numbers


@pytest.mark.parametrize("who", ["assistant", "referrer"])
def test_reports_are_not_there_for_people_without_customer_figures(world, client, who):
    client.force_login(getattr(world, who))
    assert client.get(reverse("analytics:report_index")).status_code == 404
    assert client.get(reverse("analytics:report", args=["complaints"])).status_code == 404
    assert client.get("/api/analytics/reports/complaints").status_code == 404


def _column(table, code):
    from rmdesk.core.indicators import get

    ind = get(code)
    return table.columns.index(f"{ind.name}（{ind.unit}）")


def test_indicator_report_reads_every_app_through_the_registry(world, make_customer):
    from rmdesk.analytics.reports import indicators

    for rm, n in ((world.rm, 2), (world.rm_b, 1), (world.rm2, 4)):
        for _i in range(n):
            make_customer(rm, aum=Decimal("10000"))
    today = timezone.localdate()
    table = indicators(world.lead, today - timedelta(days=1), today, world.t1).tables[0]
    col = _column(table, "customers.new_customers")
    rows = {r[0]: r[col] for r in table.rows}
    assert rows[world.rm.display_name] == Decimal("2.00") and rows[world.rm_b.display_name] == Decimal("1.00")
    assert rows["合计"] == Decimal("3.00") and world.rm2.display_name not in rows
    own = indicators(world.rm, today - timedelta(days=1), today, world.o1).tables[0]
    assert [r[0] for r in own.rows] == [world.rm.display_name]
    assert own.rows[0][_column(own, "customers.new_customers")] == Decimal("2.00")
