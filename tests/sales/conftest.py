"""Fixtures of the sales tests: the seeded stages, lost reasons and products by code, and a customer
factory with a valid risk assessment."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from rmdesk.customers.models import Holding, Product
from rmdesk.sales.models import LostReason, OpportunityStage


@pytest.fixture
def stages(db):
    return {s.code: s for s in OpportunityStage.objects.all()}


@pytest.fixture
def lost(db):
    return {r.code: r for r in LostReason.objects.all()}


@pytest.fixture
def products(db):
    return {p.code: p for p in Product.objects.all()}


@pytest.fixture
def assessed(make_customer):
    """assessed(rm, tolerance="C3", days_ago=10, **fields) -> a customer with a risk assessment."""

    def _make(rm, tolerance="C3", days_ago=10, **fields):
        return make_customer(
            rm,
            risk_tolerance=tolerance,
            risk_assessed_on=timezone.localdate() - timedelta(days=days_ago),
            **fields,
        )

    return _make


def hold(customer, product, balance="10000"):
    return Holding.objects.create(customer=customer, product=product, balance=Decimal(balance))


def ver(obj) -> int:
    return type(obj).objects.values_list("version", flat=True).get(pk=obj.pk)
