"""Cross-sell (SPEC §4, §9): products per customer, coverage per product kind and wealth penetration per
RM, team and unit on hand-made data; next-best-product hints never above the tolerance."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from rmdesk.customers.models import Customer
from rmdesk.sales import services
from rmdesk.sales.models import CrossSellRule

from .conftest import hold

pytestmark = pytest.mark.django_db


def test_cross_sell_metrics_on_hand_made_data(world, make_customer, products):
    c1, c2, c3 = (make_customer(world.rm) for _ in range(3))
    hold(c1, products["DEP-CUR"])
    hold(c1, products["WM-STABLE"])
    hold(c1, products["DEP-FIX1Y"])
    hold(c2, products["DEP-CUR"])
    closed = hold(c3, products["CARD-CREDIT"])
    closed.closed_on = timezone.localdate() - timedelta(days=3)
    closed.save()
    d = make_customer(world.rm2)
    hold(d, products["FD-BOND"])
    rows = {r["key"]: r for r in services.cross_sell(Customer.objects.all(), group="rm")}
    rm = rows[world.rm.pk]
    assert (rm["customers"], rm["products"], rm["per_customer"]) == (3, 4, Decimal("1.33"))
    assert rm["coverage"]["deposit"] == Decimal("66.7")
    assert rm["coverage"]["wealth"] == rm["penetration"] == Decimal("33.3")
    assert rm["coverage"]["card"] == Decimal("0.0")  # the closed card does not count
    rm2 = rows[world.rm2.pk]
    assert (rm2["per_customer"], rm2["coverage"]["fund"], rm2["penetration"]) == (
        Decimal("1.00"),
        Decimal("100.0"),
        Decimal("0.0"),
    )
    by_unit = {r["key"]: r["customers"] for r in services.cross_sell(Customer.objects.all(), group="unit")}
    assert by_unit == {world.o1.pk: 3, world.o2.pk: 1}


def test_hints_follow_the_rules_and_never_exceed_tolerance(world, assessed, make_customer, products):
    c = assessed(world.rm, "C3", aum=Decimal("100000"))
    hold(c, products["DEP-CUR"])
    hints = [h["product"].code for h in services.next_best_products(c)]
    assert hints == ["WM-STABLE", "CARD-CREDIT"]
    # a rule that would push an R5 fund to a C3 customer is never shown
    CrossSellRule.objects.create(name="激进", lacks_category="fund", product=products["FD-QDII"], order=1)
    assert "FD-QDII" not in [h["product"].code for h in services.next_best_products(c)]
    # no valid assessment: no risk product at all, the card still
    unassessed = make_customer(world.rm, aum=Decimal("100000"))
    hold(unassessed, products["DEP-CUR"])
    assert [h["product"].code for h in services.next_best_products(unassessed)] == ["CARD-CREDIT"]
