"""Customer structure risk (SPEC §6): good/general/poor borrowers by their worst loan's class, per RM
and unit, as of a day (from the classification history), only within the viewer's scope."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from rmdesk.credit import services, structure
from rmdesk.credit.models import AppStatus, ClassificationChange, CreditApplication

from .conftest import ver

pytestmark = pytest.mark.django_db


@pytest.fixture
def loan_of(make_application, make_customer):
    n = iter(range(1, 100))

    def _make(rm, customer=None):
        app = make_application(rm, customer=customer or make_customer(rm))
        CreditApplication.objects.filter(pk=app.pk).update(status=AppStatus.APPROVED)
        return services.record_loan(
            rm,
            app.pk,
            cms_ref=f"S{next(n)}",
            amount=Decimal("10000"),
            start_on=date(2025, 1, 10),
            end_on=date(2027, 1, 10),
            rate=Decimal("4"),
            version=ver(app),
        )

    return _make


def test_shares_by_worst_loan_and_as_of_a_day(world, loan_of, make_customer):
    a = loan_of(world.rm)
    b = loan_of(world.rm)
    loan_of(world.rm, customer=b.customer)  # a second, normal loan of the same borrower
    c = loan_of(world.rm)
    loan_of(world.rm2)  # another branch: not in the lead's scope
    services.classify_loan(world.lead, b.pk, classification="special", reason="逾期", version=b.version)
    services.classify_loan(world.lead, c.pk, classification="doubtful", reason="涉诉", version=c.version)
    (row,) = structure.structure(world.lead)
    assert (row["label"], row["total"], row["good"], row["general"], row["poor"]) == ("rm", 3, 1, 1, 1)
    assert row["poor_pct"] == 33.3
    # before the reclassifications every borrower was good
    ClassificationChange.objects.exclude(after="normal").update(at=timezone.now() + timedelta(days=1))
    (row,) = structure.structure(world.lead, day=timezone.localdate())
    assert (row["good"], row["general"], row["poor"]) == (3, 0, 0)
    assert a.customer_id != b.customer_id
    by_unit = structure.structure(world.manager, by="unit")
    assert [r["label"] for r in by_unit] == [world.t1.name]
    assert structure.structure(world.lead2)[0]["total"] == 1


def test_trend_points_and_page(world, loan_of, client):
    loan_of(world.rm)
    points = structure.quarter_ends(date(2026, 5, 20))
    assert points == [date(2025, 6, 30), date(2025, 9, 30), date(2025, 12, 31), date(2026, 3, 31), date(2026, 5, 20)]
    trend = structure.trend(world.lead, today=date(2026, 5, 20))
    assert [t["total"] for t in trend] == [1, 1, 1, 1, 1] and trend[0]["good_pct"] == 100.0
    client.force_login(world.lead)
    page = client.get("/credit/structure/?by=unit").content.decode()
    assert "优质客户" in page and world.t1.name in page


def test_annual_rating_and_credit_line_with_history(world, make_customer, api_client, client):
    from django.core.exceptions import PermissionDenied, ValidationError

    customer = make_customer(world.rm)
    year = timezone.localdate().year
    services.rate_customer(world.rm, customer_id=customer.pk, year=year - 1, grade="A", credit_line=Decimal("300000"))
    services.rate_customer(world.lead, customer_id=customer.pk, year=year, grade="AA", credit_line=Decimal("500000"))
    with pytest.raises(ValidationError) as err:
        services.rate_customer(world.rm, customer_id=customer.pk, year=year - 5, grade="Z", credit_line=Decimal("-1"))
    assert set(err.value.message_dict) == {"year", "grade", "credit_line"}
    with pytest.raises(PermissionDenied):
        services.rate_customer(world.risk, customer_id=customer.pk, year=year, grade="A", credit_line=Decimal("1"))
    with pytest.raises(ValidationError):  # not their customer
        services.rate_customer(world.rm2, customer_id=customer.pk, year=year, grade="A", credit_line=Decimal("1"))
    rows = api_client(world.rm).get(f"/api/credit/ratings?customer_id={customer.pk}").json()
    assert [(r["year"], r["grade"]) for r in rows] == [(year, "AA"), (year - 1, "A")]
    assert api_client(world.rm2).get(f"/api/credit/ratings?customer_id={customer.pk}").json() == []
    r = api_client(world.rm).post(
        "/api/credit/ratings",
        {"customer_id": customer.pk, "year": year, "grade": "AAA", "credit_line": "800000"},
        content_type="application/json",
    )
    assert r.status_code == 201 and r.json()["grade"] == "AAA"
    client.force_login(world.rm)
    page = client.get(f"/customers/{customer.pk}/").content.decode()
    assert 'data-testid="credit-ratings"' in page and "800000" in page
