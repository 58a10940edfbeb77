"""The seeds' sales, account and market reports (SPEC §11, SEED-NOTES §11): exact figures on hand-made data in
the viewer's scope (a team lead's report never counts another team), the pages with Excel and PDF exports."""

import io
import subprocess
from datetime import timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.apps import apps as django_apps
from django.utils import timezone

from rmdesk.analytics.reports import REPORTS
from rmdesk.analytics.reports_sales import accounts, funnel, monthly_sales, referrals, top_tier, top_tiers
from rmdesk.core.models import AuditEvent
from rmdesk.customers.models import Holding, Product, Tier, TierChange
from rmdesk.sales import services as sales_services
from rmdesk.sales.models import Opportunity, Referral, Sale
from rmdesk.service import services as service_services
from rmdesk.service.defaults import seed as seed_service
from rmdesk.service.models import Case, CaseCategory

pytestmark = pytest.mark.django_db


def table(report, table_id):
    return next(t for t in report.tables if t.id == table_id)


@pytest.fixture
def period():
    today = timezone.localdate()
    return today.replace(day=1), today


@pytest.fixture
def sales_data(world, make_customer, period):
    start, end = period
    deposit = Product.objects.get(code="DEP-FIX1Y")
    fund = Product.objects.filter(category="fund").first()
    c1, c2, c3 = make_customer(world.rm), make_customer(world.rm_b), make_customer(world.rm2)
    for rm, customer, product, amount in (
        (world.rm, c1, deposit, "100000"),
        (world.rm, c1, fund, "50000"),
        (world.rm_b, c2, deposit, "20000"),
        (world.rm2, c3, deposit, "999999"),
    ):
        Sale.objects.create(
            rm=rm,
            customer=customer,
            product=product,
            amount=Decimal(amount),
            priced_amount=Decimal(amount) / 10,
            sold_on=end,
            org_path=customer.org_path,
        )
    seed_service(django_apps)
    cat = CaseCategory.objects.get(code="attitude")
    for customer, satisfaction in ((c1, 4), (c1, 2), (c3, 5)):
        case = service_services.register_case(
            customer.a_rm,
            customer_id=customer.pk,
            kind="complaint",
            channel="branch",
            category_id=cat.pk,
            severity="normal",
            title="服务态度",
            description="客户反映问题。",
        )
        Case.objects.filter(pk=case.pk).update(satisfaction=satisfaction)
    opp = sales_services.create_opportunity(
        world.rm,
        customer_id=c1.pk,
        product_id=deposit.pk,
        amount=Decimal("200000"),
        expected_on=end + timedelta(days=1),
    )
    Opportunity.objects.filter(pk=opp.pk).update(probability=30)
    sales_services.create_opportunity(world.rm2, customer_id=c3.pk, product_id=deposit.pk, amount=Decimal("5"))
    return {"c1": c1, "c2": c2, "c3": c3, "category": cat}


def test_monthly_sales_report_exact_and_in_scope(world, sales_data, period):
    start, end = period
    report = monthly_sales(world.lead, start, end, None)
    rows = table(report, "monthly-rm").rows
    assert rows[0] == [
        "rm",
        2,
        Decimal("15.00"),
        Decimal("1.50"),
        2,
        0,
        Decimal("3.00"),
        1,
        Decimal("20.00"),
        Decimal("6.00"),
    ]
    assert rows[1] == ["rm_b", 1, Decimal("2.00"), Decimal("0.20"), 0, 0, "", 0, Decimal("0.00"), Decimal("0.00")]
    assert rows[2] == ["合计", 3, Decimal("17.00"), Decimal("1.70"), 2, 0, "", 1, Decimal("20.00"), Decimal("6.00")]
    cats = {r[0]: (r[1], r[2]) for r in table(report, "monthly-category").rows}
    assert cats == {"存款": (2, Decimal("12.00")), "基金": (1, Decimal("5.00"))}
    assert table(report, "monthly-problems").rows == [[sales_data["category"].name, 2]]
    # the branch manager of S1 gets a row per sub-unit of S1 (one outlet) and never S2's 99.9999 万
    report = monthly_sales(world.manager, start, end, world.s1)
    assert table(report, "monthly-unit").rows == [["一网点", 3, Decimal("17.00")]]


def test_funnel_and_referrals_reports(world, make_customer, period):
    start, end = period
    deposit = Product.objects.get(code="DEP-FIX1Y")
    for rm in (world.rm, world.rm, world.rm_b, world.rm2):
        sales_services.create_opportunity(rm, customer_id=make_customer(rm).pk, product_id=deposit.pk)
    report = funnel(world.lead, start, end, None)
    assert table(report, "funnel").rows[0][1] == 3
    per_rm = {r[0]: r[1] for r in table(report, "funnel-rm").rows}
    assert per_rm == {"rm": 2, "rm_b": 1}
    c1, c2 = make_customer(world.rm), make_customer(world.rm2)
    Referral.objects.create(
        referrer=world.referrer, customer=c1, rm=world.rm, need="理财", status="accepted", org_path=c1.org_path
    )
    Referral.objects.create(
        referrer=world.referrer, customer=c1, rm=world.rm, need="贷款", status="declined", org_path=c1.org_path
    )
    Referral.objects.create(referrer=world.referrer, customer=c2, rm=world.rm2, need="存款", org_path=c2.org_path)
    report = referrals(world.manager, start, end, None)
    assert table(report, "referrals-person").rows == [["referrer", 2, 1, 1, 0, 0]]
    assert table(report, "referrals-outlet").rows == [["一网点", 2, 1, 1, 0, 0]]


def test_accounts_report_weekly(world, make_customer, period):
    start, end = period
    deposit = Product.objects.get(code="DEP-FIX1Y")
    card = Product.objects.filter(category="card").first()
    c1, c2 = make_customer(world.rm), make_customer(world.rm2)
    Holding.objects.create(customer=c1, product=deposit, balance=1, opened_on=end)
    Holding.objects.create(customer=c1, product=card, balance=0, opened_on=end, closed_on=end)
    Holding.objects.create(
        customer=c1, product=deposit, balance=0, opened_on=start - timedelta(days=400), closed_on=end
    )
    Holding.objects.create(customer=c2, product=deposit, balance=1, opened_on=end)
    report = accounts(world.lead, start, end, None)
    weekly = table(report, "accounts-weekly")
    monday = (end - timedelta(days=end.weekday())).isoformat()
    assert [r for r in weekly.rows if r[0] == monday] == [[monday, 2, 2, 1]]  # c1 was created today
    assert sum(r[1] for r in weekly.rows) == 2 and sum(r[2] for r in weekly.rows) == 2
    by_cat = {r[0]: r[1:] for r in table(report, "accounts-category").rows}
    assert by_cat == {"银行卡": [1, 1, 0], "存款": [1, 1, 0]}


def test_top_tier_report(world, make_customer, period):
    start, end = period
    top = top_tiers()
    bank_top = [t for t in top if t.rule_set.industry == "bank"]
    low = Tier.objects.filter(rule_set=bank_top[0].rule_set).order_by("rank").first()
    a = make_customer(world.rm, tier=bank_top[0], aum=Decimal("3000000"))
    b = make_customer(world.rm, tier=bank_top[1], aum=Decimal("1000000"))
    make_customer(world.rm, tier=low, aum=Decimal("1000000"))
    make_customer(world.rm2, tier=bank_top[0], aum=Decimal("8000000"))  # another team
    TierChange.objects.create(customer=a, from_tier=low, to_tier=bank_top[0], direction="up", at=timezone.now())
    TierChange.objects.create(
        customer=b, from_tier=bank_top[0], to_tier=bank_top[1], direction="down", at=timezone.now()
    )
    report = top_tier(world.lead, start, end, None)
    assert table(report, "top-tier").rows == [
        [bank_top[0].name, 1, Decimal("300.00")],
        [bank_top[1].name, 1, Decimal("100.00")],
    ]
    assert "80.0%" in table(report, "top-tier").note  # 400 of 500 万
    moves = {r[0]: (r[1], r[2]) for r in table(report, "top-tier-moves").rows}
    assert moves[bank_top[0].name] == (1, 0) and moves[bank_top[1].name] == (0, 0)  # a move within the top is neither


def test_report_pages_export_excel_and_pdf(client, world, sales_data, period, tmp_path):
    assert {"monthly-sales", "accounts", "top-tier", "funnel", "referrals"} <= set(REPORTS)
    client.force_login(world.lead)
    start, end = period
    query = f"start={start.isoformat()}&end={end.isoformat()}"
    for key in ("monthly-sales", "accounts", "top-tier", "funnel", "referrals"):
        resp = client.get(f"/analytics/reports/{key}/?{query}")
        assert resp.status_code == 200, key
    resp = client.get(f"/analytics/reports/monthly-sales/?{query}&format=xlsx")
    ws = openpyxl.load_workbook(io.BytesIO(resp.content))["各客户经理销售、问题、客户意见与预测"]
    assert ws["A2"].value == "rm" and ws["B2"].data_type == "n" and ws["C2"].value == 15
    resp = client.get(f"/analytics/reports/monthly-sales/?{query}&format=pdf")
    path = tmp_path / "r.pdf"
    path.write_bytes(resp.content)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "客户月度销售情况分析报告" in text and "各客户经理销售" in text
    assert AuditEvent.objects.filter(action="analytics.export_report", object_id="monthly-sales").count() == 2


def test_api_lists_every_report(api_client, world, period):
    client = api_client(world.lead)
    for key in REPORTS:
        resp = client.get(f"/api/analytics/reports/{key}")
        assert resp.status_code == 200, (key, resp.content[:200])
        assert resp.json()["key"] == key
