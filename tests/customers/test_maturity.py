"""Holdings' maturity date (到期日, SPEC §3 product-maturity reminders): on the 360° page, in its add form,
in the API and in the holdings import (optional column; an empty cell keeps the date)."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from rmdesk.customers import services
from rmdesk.customers.models import Holding, Product

from .test_import import upload, xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture
def cust(world, make_customer):
    return make_customer(world.rm, name="张伟明")


def test_360_page_shows_and_saves_the_maturity_date(world, cust, client):
    services.save_holding(
        world.rm,
        cust.pk,
        product=Product.objects.get(code="DEP-FIX1Y"),
        balance="300000",
        account_no="F1",
        opened_on="2026-01-05",
        matures_on="2027-01-05",
    )
    client.force_login(world.rm)
    html = client.get(reverse("customers:detail", args=[cust.pk])).content.decode()
    assert "到期日" in html and '<td data-testid="holding-matures">2027-01-05</td>' in html
    assert 'name="matures_on"' in html
    client.post(
        reverse("customers:add", args=[cust.pk, "holding"]),
        {
            "product": Product.objects.get(code="WM-STABLE").pk,
            "balance": "100000",
            "account_no": "W1",
            "matures_on": "2026-12-01",
        },
    )
    assert Holding.objects.get(account_no="W1").matures_on == date(2026, 12, 1)
    # updating the balance without a date keeps the date
    client.post(
        reverse("customers:add", args=[cust.pk, "holding"]),
        {"product": Product.objects.get(code="WM-STABLE").pk, "balance": "120000", "account_no": "W1"},
    )
    w1 = Holding.objects.get(account_no="W1")
    assert (w1.balance, w1.matures_on) == (Decimal("120000.00"), date(2026, 12, 1))


def test_maturity_before_opening_is_refused(world, cust):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        services.save_holding(
            world.rm,
            cust.pk,
            product=Product.objects.get(code="DEP-FIX1Y"),
            balance="1",
            opened_on="2026-01-05",
            matures_on="2025-01-05",
        )
    assert "matures_on" in exc.value.message_dict


def test_api_reads_and_writes_the_maturity_date(world, cust, api_client):
    client = api_client(world.rm)
    resp = client.post(
        f"/api/customers/{cust.pk}/holdings",
        {"product_code": "DEP-LD3Y", "balance": "1000000", "account_no": "D1", "matures_on": "2029-03-01"},
        content_type="application/json",
    )
    assert resp.status_code == 201 and resp.json()["matures_on"] == "2029-03-01"
    body = client.get(f"/api/customers/{cust.pk}").json()
    assert [h["matures_on"] for h in body["holdings"]] == ["2029-03-01"]
    schema = client.get("/api/openapi.json").json()["components"]["schemas"]
    assert "matures_on" in schema["HoldingOut"]["properties"] and "matures_on" in schema["HoldingIn"]["properties"]


def test_holdings_import_reads_the_optional_maturity_column(world, cust, client):
    client.force_login(world.lead)
    header = ["客户号", "产品代码", "账号", "余额", "开户日期", "销户日期", "到期日"]
    content = xlsx(
        [
            [cust.customer_no, "DEP-FIX1Y", "F-1", "200000", "2026-01-10", "", "2027-01-10"],
            [cust.customer_no, "DEP-CUR", "C-1", "5000", "", "", ""],
        ],
        header=header,
    )
    job = upload(client, content, name="h.xlsx", kind="holdings")
    assert job.status == "done", job.errors
    assert Holding.objects.get(account_no="F-1").matures_on == date(2027, 1, 10)
    assert Holding.objects.get(account_no="C-1").matures_on is None
    again = upload(client, content, name="h.xlsx", kind="holdings")
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 2)
    # a file without the column (or an empty cell) keeps the date; a new date updates it
    old = xlsx([[cust.customer_no, "DEP-FIX1Y", "F-1", "200000", "", ""]], header=header[:6])
    assert upload(client, old, name="h.xlsx", kind="holdings").unchanged_count == 1
    renewed = xlsx([[cust.customer_no, "DEP-FIX1Y", "F-1", "200000", "", "", "2028-01-10"]], header=header)
    assert upload(client, renewed, name="h.xlsx", kind="holdings").updated_count == 1
    assert Holding.objects.get(account_no="F-1").matures_on == date(2028, 1, 10)
    bad = xlsx([[cust.customer_no, "DEP-FIX1Y", "F-2", "1", "2026-01-10", "", "2025-01-10"]], header=header)
    job = upload(client, bad, name="h.xlsx", kind="holdings")
    assert job.status == "failed" and job.errors[0]["field"] == "matures_on"


def test_template_has_the_column():
    from rmdesk.customers.importer import HOLDING_COLUMNS

    assert ("matures_on", "到期日") in HOLDING_COLUMNS


def test_demo_gives_maturity_dates_some_within_thirty_days(db, make_demo_ctx):
    from datetime import timedelta

    from django.utils import timezone

    from rmdesk.customers import demo as customers_demo
    from rmdesk.org import demo as org_demo

    ctx = make_demo_ctx(scale=0.1)
    org_demo.build(ctx)
    customers_demo.build(ctx)
    today = timezone.localdate()
    dated = Holding.objects.filter(matures_on__isnull=False)
    assert set(dated.values_list("product__code", flat=True)) <= set(customers_demo.TERMS)
    assert not dated.filter(matures_on__lt=today).exists()
    assert dated.filter(matures_on__lte=today + timedelta(days=30), customer__a_rm__isnull=False).exists()
    assert not Holding.objects.filter(product__code__in=["DEP-CUR", "FD-BOND"], matures_on__isnull=False).exists()
