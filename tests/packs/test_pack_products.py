"""Product kinds by pack (issue 19; customers/packs.py `products`): each industry pack ships its own catalogue, and
loading it retires the bank's untouched products (a telecom organisation is not offered a bank's funds); a bank
product an administrator changed is theirs and stays on sale; a second load changes nothing."""

import pytest

from rmdesk.customers.models import Product
from rmdesk.packs import services

pytestmark = pytest.mark.django_db

INDUSTRIES = ["telecom", "tobacco", "insurance", "key_account"]


@pytest.fixture
def bank_products():
    """The bank's catalogue as every new database has it (a flushed test database gets it from the bank pack)."""
    services.apply_pack("bank")
    codes = {row["code"] for row in services.read_pack("bank").sections["products"]}
    assert set(Product.objects.filter(is_active=True).values_list("code", flat=True)) == codes
    return codes


@pytest.mark.parametrize("name", INDUSTRIES)
def test_a_pack_offers_its_own_product_kinds_and_retires_the_bank_s(bank_products, name):
    listed = {row["code"]: row for row in services.read_pack(name).sections["products"]}
    assert len(listed) >= 5 and not set(listed) & bank_products
    result = services.apply_pack(name)
    on_sale = {p.code: p for p in Product.objects.filter(is_active=True)}
    assert set(on_sale) == set(listed)
    assert all(on_sale[code].name == row["name"] for code, row in listed.items())
    assert {f'customers.Product ["{code}"]' for code in bank_products} <= set(result.retired)
    assert not services.apply_pack(name).changed  # a second load changes nothing


def test_the_insurance_channel_s_products_are_risk_products():
    services.apply_pack("insurance")
    products = Product.objects.filter(code__startswith="BI-")
    assert products.count() == 5 and all(p.is_risk_product for p in products)  # a sale needs a risk assessment


def test_a_bank_product_an_administrator_changed_stays_on_sale(bank_products):
    changed = Product.objects.get(code="PAYROLL")
    changed.name = "代发工资（含社保代缴）"
    changed.save()
    result = services.apply_pack("telecom")
    changed.refresh_from_db()
    assert changed.is_active and 'customers.Product ["PAYROLL"]' not in result.retired
    assert not Product.objects.get(code="FD-QDII").is_active
