"""Next-best-product hints from holdings the 360° page has already read (issue 18: sales' slot reuses the
prefetched holdings instead of two queries): the same hints as from the database, closed holdings left out,
and holdings prefetched without their products are read afresh rather than product by product."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Prefetch, prefetch_related_objects
from django.utils import timezone

from rmdesk.customers.models import Customer, Holding
from rmdesk.sales import services

from .conftest import hold

pytestmark = pytest.mark.django_db


def _codes(customer):
    return [h["product"].code for h in services.next_best_products(customer)]


def test_prefetched_holdings_give_the_same_hints_without_holding_queries(
    world, assessed, make_customer, products, django_assert_num_queries
):
    c = assessed(world.rm, "C3", aum=Decimal("100000"))
    hold(c, products["DEP-CUR"])
    closed = hold(c, products["WM-STABLE"])
    closed.closed_on = timezone.localdate() - timedelta(days=2)
    closed.save()
    fresh = Customer.objects.get(pk=c.pk)
    expected = _codes(fresh)
    assert "WM-STABLE" in expected  # the closed holding does not count as held
    page = Customer.objects.get(pk=c.pk)
    prefetch_related_objects(
        [page], Prefetch("holdings", queryset=Holding.objects.select_related("product").order_by("closed_on"))
    )
    assert _codes(page) == expected
    with django_assert_num_queries(0):
        services._open_holdings(page)


def test_holdings_prefetched_without_products_are_read_in_one_query(
    world, assessed, make_customer, products, django_assert_num_queries
):
    c = assessed(world.rm, "C3", aum=Decimal("100000"))
    hold(c, products["DEP-CUR"])
    hold(c, products["FD-BOND"])
    bare = Customer.objects.prefetch_related("holdings").get(pk=c.pk)
    with django_assert_num_queries(1):
        rows = services._open_holdings(bare)
    assert sorted(rows) == sorted(
        Holding.objects.filter(customer=c, closed_on__isnull=True).values_list("product_id", "product__category")
    )
    assert _codes(bare) == _codes(Customer.objects.get(pk=c.pk))
