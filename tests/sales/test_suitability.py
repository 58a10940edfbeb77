"""Suitability (SPEC §4): a product above the customer's tolerance is refused in a recommendation, an
opportunity and a sale; no valid risk assessment, no risk product; every risk-product sale records the
disclosure and the confirmation (issue 11, "Done when")."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from hypothesis import given, settings, strategies as st

from rmdesk.core.models import AuditEvent
from rmdesk.sales import services
from rmdesk.sales.models import Opportunity, Recommendation, Sale

from .conftest import ver

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def _field_error(exc, field):
    return exc.value.message_dict[field][0]


def test_recommendation_above_tolerance_is_refused(world, assessed, products):
    customer = assessed(world.rm, "C3")
    with pytest.raises(ValidationError) as exc:
        services.recommend_product(world.rm, customer_id=customer.pk, product_id=products["FD-EQUITY"].pk)
    assert "R4" in _field_error(exc, "product_id") and "C3" in _field_error(exc, "product_id")
    assert not Recommendation.objects.exists()
    rec = services.recommend_product(world.rm, customer_id=customer.pk, product_id=products["WM-BAL"].pk)
    assert rec.product.code == "WM-BAL"


def test_opportunity_above_tolerance_is_refused(world, assessed, products):
    customer = assessed(world.rm, "C2")
    with pytest.raises(ValidationError) as exc:
        services.create_opportunity(world.rm, customer_id=customer.pk, product_id=products["WM-BAL"].pk)
    assert "R3" in _field_error(exc, "product_id")
    assert not Opportunity.objects.exists()


def test_sale_above_tolerance_is_refused(world, assessed, products):
    customer = assessed(world.rm, "C1")
    with pytest.raises(ValidationError) as exc:
        services.record_sale(
            world.rm,
            customer_id=customer.pk,
            product_id=products["WM-STABLE"].pk,
            amount=Decimal("50000"),
            sold_on=TODAY(),
            risk_disclosed=True,
            customer_confirmed=True,
        )
    assert "C1" in _field_error(exc, "product_id")
    assert not Sale.objects.exists()


def test_no_valid_assessment_means_no_risk_product_but_deposits_still_sell(world, make_customer, assessed, products):
    never = make_customer(world.rm)  # no tolerance at all
    stale = assessed(world.rm, "C5", days_ago=400)  # assessment older than a year
    for customer in (never, stale):
        with pytest.raises(ValidationError) as exc:
            services.create_opportunity(world.rm, customer_id=customer.pk, product_id=products["FD-BOND"].pk)
        assert "有效的风险测评" in _field_error(exc, "product_id")
    sale = services.record_sale(
        world.rm, customer_id=never.pk, product_id=products["DEP-FIX1Y"].pk, amount=Decimal("10000"), sold_on=TODAY()
    )
    assert sale.risk_disclosed is False  # not a risk product: nothing to disclose


def test_risk_sale_needs_disclosure_and_confirmation_and_records_them(world, assessed, products):
    customer = assessed(world.rm, "C4")
    with pytest.raises(ValidationError) as exc:
        services.record_sale(
            world.rm,
            customer_id=customer.pk,
            product_id=products["FD-EQUITY"].pk,
            amount=Decimal("1000"),
            sold_on=TODAY(),
        )
    assert set(exc.value.message_dict) == {"risk_disclosed", "customer_confirmed"}
    sale = services.record_sale(
        world.rm,
        customer_id=customer.pk,
        product_id=products["FD-EQUITY"].pk,
        amount=Decimal("100000"),
        sold_on=TODAY(),
        risk_disclosed=True,
        customer_confirmed=True,
    )
    assert sale.risk_disclosed and sale.customer_confirmed
    # 产品计价: 30 per sale + 5‰ of 100000
    assert sale.priced_amount == Decimal("530.00")
    event = AuditEvent.objects.filter(action="sales.sale_record").get()
    assert event.summary["after"]["risk_disclosed"] is True


def test_won_opportunity_of_risk_product_needs_the_disclosure(world, assessed, products, stages):
    customer = assessed(world.rm, "C4")
    opp = services.create_opportunity(
        world.rm, customer_id=customer.pk, product_id=products["FD-BOND"].pk, amount=Decimal("80000")
    )
    with pytest.raises(ValidationError) as exc:
        services.move_opportunity(world.rm, opp.pk, stage_id=stages["signed"].pk, version=ver(opp))
    assert "risk_disclosed" in exc.value.message_dict
    assert not Sale.objects.exists()
    opp.refresh_from_db()
    assert opp.stage.code == "identify"


def test_sale_outside_the_sale_window_is_refused(world, assessed, products):
    product = products["WM-STABLE"]
    product.sale_ends_on = TODAY() - timedelta(days=1)
    product.save()
    customer = assessed(world.rm, "C3")
    with pytest.raises(ValidationError) as exc:
        services.record_sale(
            world.rm,
            customer_id=customer.pk,
            product_id=product.pk,
            amount=Decimal("1000"),
            sold_on=TODAY(),
            risk_disclosed=True,
            customer_confirmed=True,
        )
    assert "销售期" in _field_error(exc, "sold_on")


@settings(max_examples=40, deadline=None)
@given(tolerance=st.sampled_from(["C1", "C2", "C3", "C4", "C5"]), level=st.sampled_from(["R1", "R2", "R3", "R4", "R5"]))
def test_suitability_is_exactly_risk_rank_within_tolerance(tolerance, level):
    from rmdesk.customers.models import Customer, Product

    customer = Customer(risk_tolerance=tolerance, risk_assessed_on=TODAY())
    product = Product(code="X", name="X", category="fund", risk_level=level)
    refused = bool(services.suitability_problem(customer, product))
    assert refused == (int(level[1]) > int(tolerance[1]))
