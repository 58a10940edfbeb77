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
