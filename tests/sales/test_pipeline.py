"""Opportunities (SPEC §4): configurable stages with required fields, 失败 with a lost reason, stage
history, a won opportunity records the sale, and the funnel's exact counts and conversion rates per RM,
team and unit on hand-made data (issue 11, "Done when")."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from rmdesk.core.actions import RoleRefused, StaleVersion
from rmdesk.sales import services
from rmdesk.sales.models import Opportunity, Sale, StageChange
from rmdesk.sales.scope import visible_opportunities

from .conftest import ver

pytestmark = pytest.mark.django_db


@pytest.fixture
def opp_for(world, make_customer, products, stages):
    """opp_for(rm, path=("contact", ...), amount=...) -> an opportunity moved along the path."""

    def _make(rm, path=(), amount=Decimal("10000"), product="DEP-FIX1Y", lost_reason=None):
        customer = make_customer(rm)
        opp = services.create_opportunity(rm, customer_id=customer.pk, product_id=products[product].pk)
        for code in path:
            kwargs = {}
            if code == "lost":
                kwargs["lost_reason_id"] = lost_reason.pk
            services.move_opportunity(
                rm,
                opp.pk,
                stage_id=stages[code].pk,
                version=ver(opp),
                amount=amount,
                expected_on=timezone.localdate(),
                **kwargs,
            )
        return Opportunity.objects.get(pk=opp.pk)

    return _make


def test_skipping_a_stage_needs_its_required_fields(world, make_customer, products, stages):
    customer = make_customer(world.rm)
    opp = services.create_opportunity(world.rm, customer_id=customer.pk, product_id=products["DEP-FIX1Y"].pk)
    with pytest.raises(ValidationError) as exc:
        services.move_opportunity(world.rm, opp.pk, stage_id=stages["closing"].pk, version=ver(opp))
    assert set(exc.value.message_dict) == {"amount", "expected_on"}  # 方案 needs the amount, 促成 the date too
    assert "方案" in exc.value.message_dict["amount"][0]
    assert StageChange.objects.filter(opportunity=opp).count() == 1  # nothing written
    services.move_opportunity(world.rm, opp.pk, stage_id=stages["proposal"].pk, version=ver(opp), amount=Decimal("5"))
    assert Opportunity.objects.get(pk=opp.pk).probability == 50


def test_lost_needs_a_reason_and_closes(world, make_customer, products, stages, lost):
    customer = make_customer(world.rm)
    opp = services.create_opportunity(world.rm, customer_id=customer.pk, product_id=products["DEP-FIX1Y"].pk)
    with pytest.raises(ValidationError) as exc:
        services.move_opportunity(world.rm, opp.pk, stage_id=stages["lost"].pk, version=ver(opp))
    assert "lost_reason_id" in exc.value.message_dict
    services.move_opportunity(
        world.rm, opp.pk, stage_id=stages["lost"].pk, version=ver(opp), lost_reason_id=lost["competitor"].pk
    )
    opp.refresh_from_db()
    assert (opp.stage.code, opp.lost_reason.code, opp.probability) == ("lost", "competitor", 0)
    with pytest.raises(ValidationError):
        services.move_opportunity(world.rm, opp.pk, stage_id=stages["contact"].pk, version=ver(opp))


def test_won_records_the_sale_and_the_history(world, opp_for):
    opp = opp_for(world.rm, ("contact", "proposal", "signed"), amount=Decimal("250000"))
    sale = Sale.objects.get(opportunity=opp)
    assert (sale.rm, sale.customer_id, sale.amount, sale.sold_on) == (
        world.rm,
        opp.customer_id,
        Decimal("250000"),
        timezone.localdate(),
    )
    codes = list(opp.history.values_list("to_stage__code", flat=True))
    assert codes == ["identify", "contact", "proposal", "signed"]


def test_stale_version_and_roles(world, opp_for, stages):
    opp = opp_for(world.rm, ())
    with pytest.raises(StaleVersion):
        services.move_opportunity(world.rm, opp.pk, stage_id=stages["contact"].pk, version=ver(opp) + 1)
    with pytest.raises(RoleRefused):
        services.move_opportunity(world.risk, opp.pk, stage_id=stages["contact"].pk, version=ver(opp))


def test_funnel_exact_counts_and_rates(world, opp_for, lost):
    opp_for(world.rm, ())
    opp_for(world.rm, ("contact",))
    opp_for(world.rm, ("contact", "proposal", "lost"), lost_reason=lost["price"])
    opp_for(world.rm, ("contact", "proposal", "closing"))
    opp_for(world.rm, ("contact", "proposal", "closing", "signed"))
    opp_for(world.rm2, ())
    opp_for(world.rm2, ("signed",))  # skipped straight to 签约: counts at every stage before it

    everything = services.funnel(Opportunity.objects.all())[0]
    assert [lv["count"] for lv in everything["levels"]] == [7, 5, 4, 3, 2]
    assert everything["total"] == 7 and everything["won"] == 2
    assert everything["win_rate"] == Decimal("28.6")

    by_rm = {g["key"]: g for g in services.funnel(Opportunity.objects.all(), group="rm")}
    rm = by_rm[world.rm.pk]
    assert [lv["count"] for lv in rm["levels"]] == [5, 4, 3, 2, 1]
    assert [lv["conversion"] for lv in rm["levels"]] == [
        None,
        Decimal("80.0"),
        Decimal("75.0"),
        Decimal("66.7"),
        Decimal("50.0"),
    ]
    assert rm["win_rate"] == Decimal("20.0")
    rm2 = by_rm[world.rm2.pk]
    assert [lv["count"] for lv in rm2["levels"]] == [2, 1, 1, 1, 1]
    assert rm2["levels"][1]["conversion"] == Decimal("50.0") and rm2["levels"][4]["conversion"] == Decimal("100.0")

    by_team = {g["key"]: g["won"] for g in services.funnel(Opportunity.objects.all(), group="team")}
    assert by_team == {world.t1.pk: 1, world.t2.pk: 1}
    by_unit = {g["key"]: g["total"] for g in services.funnel(Opportunity.objects.all(), group="unit")}
    assert by_unit == {world.o1.pk: 5, world.o2.pk: 2}

    # the manager of sub-branch S1 sees only rm's pipeline
    managed = services.funnel(visible_opportunities(world.manager))[0]
    assert [lv["count"] for lv in managed["levels"]] == [5, 4, 3, 2, 1]


def test_funnel_api_answers_the_same_figures(world, opp_for, api_client):
    opp_for(world.rm, ("contact",))
    opp_for(world.rm, ())
    resp = api_client(world.rm).get("/api/sales/funnel")
    assert resp.status_code == 200
    levels = resp.json()[0]["levels"]
    assert [(lv["stage"], lv["count"]) for lv in levels[:2]] == [("identify", 2), ("contact", 1)]
    assert levels[1]["conversion"] == "50.0"
