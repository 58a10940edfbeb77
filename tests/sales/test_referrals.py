"""Referrals (SPEC §4): a referrer (大堂经理/柜员) refers by customer number without opening the archive,
the RM accepts or declines, and a won opportunity credits the referrer inside the window and not
outside it; statistics per referrer and outlet (issue 11, "Done when")."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from rmdesk.core.actions import RoleRefused
from rmdesk.customers.scope import visible_customers
from rmdesk.sales import services
from rmdesk.sales.models import Referral, SalesSettings

from .conftest import ver

pytestmark = pytest.mark.django_db


def _win(rm, referral, stages):
    opp = referral.opportunity
    services.move_opportunity(rm, opp.pk, stage_id=stages["signed"].pk, version=ver(opp), amount=Decimal("20000"))


def _referred_days_ago(world, customer, products, days):
    referral = services.refer_customer(
        world.referrer, customer_no=customer.customer_no, need="想办理定期存款", category="deposit"
    )
    Referral.objects.filter(pk=referral.pk).update(created_at=timezone.now() - timedelta(days=days))
    referral = services.accept_referral(
        world.rm, referral.pk, version=ver(referral), product_id=products["DEP-FIX1Y"].pk
    )
    return Referral.objects.select_related("opportunity").get(pk=referral.pk)


def test_credit_inside_the_window(world, make_customer, products, stages):
    assert SalesSettings.current().referral_window_days == 90
    referral = _referred_days_ago(world, make_customer(world.rm), products, 89)
    assert referral.opportunity.source == "referral"
    _win(world.rm, referral, stages)
    referral.refresh_from_db()
    assert (referral.status, referral.credited_on) == ("converted", timezone.localdate())
    stats = services.referral_stats(world.referrer)
    assert [(s["referred"], s["accepted"], s["credited"], s["rate"]) for s in stats] == [(1, 1, 1, Decimal("100.0"))]


def test_no_credit_outside_the_window(world, make_customer, products, stages):
    referral = _referred_days_ago(world, make_customer(world.rm), products, 91)
    _win(world.rm, referral, stages)
    referral.refresh_from_db()
    assert referral.credited_on is None and referral.status == "accepted"
    assert services.referral_stats(world.manager)[0]["credited"] == 0


def test_referrer_never_opens_the_archive_and_only_referrers_refer(world, make_customer):
    customer = make_customer(world.rm)
    assert not visible_customers(world.referrer).exists()
    with pytest.raises(RoleRefused):
        services.refer_customer(world.rm_b, customer_no=customer.customer_no, need="理财")
    with pytest.raises(ValidationError) as exc:
        services.refer_customer(world.referrer, customer_no="NOPE", need="")
    assert set(exc.value.message_dict) == {"customer_no", "need"}


def test_decline_needs_a_reason_and_only_the_receiving_rm_decides(world, make_customer):
    customer = make_customer(world.rm)
    referral = services.refer_customer(world.referrer, customer_no=customer.customer_no, need="咨询基金定投")
    with pytest.raises(PermissionDenied):
        services.accept_referral(world.lead, referral.pk, version=ver(referral))
    with pytest.raises(ValidationError) as exc:
        services.decline_referral(world.rm, referral.pk, version=ver(referral), reason=" ")
    assert "reason" in exc.value.message_dict
    services.decline_referral(world.rm, referral.pk, version=ver(referral), reason="客户已是他行理财客户")
    by_outlet = services.referral_stats(world.referrer, by="outlet")
    assert [(s["name"], s["referred"], s["declined"]) for s in by_outlet] == [("一网点", 1, 1)]
