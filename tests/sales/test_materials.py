"""Promotional materials (SPEC §4 宣传促销品): a hand-out takes stock, never beyond it; bad quantities are refused
next to the field with nothing written; the customer's sign-off is recorded once."""

import pytest
from django.core.exceptions import ValidationError

from rmdesk.sales import services
from rmdesk.sales.models import Handout, Material

pytestmark = pytest.mark.django_db


@pytest.fixture
def calendar_gift(db):
    return Material.objects.create(name="台历", unit_name="本", stock=3)


def test_hand_out_takes_stock_and_never_more_than_there_is(world, make_customer, calendar_gift):
    customer = make_customer(world.rm)
    services.hand_out(world.rm, material_id=calendar_gift.pk, customer_id=customer.pk, quantity=2)
    calendar_gift.refresh_from_db()
    assert calendar_gift.stock == 1
    with pytest.raises(ValidationError) as exc:
        services.hand_out(world.rm, material_id=calendar_gift.pk, customer_id=customer.pk, quantity=2)
    assert exc.value.message_dict["quantity"] == ["库存不足（现有 1本）。"]
    for bad in (0, -1):
        with pytest.raises(ValidationError) as exc:
            services.hand_out(world.rm, material_id=calendar_gift.pk, customer_id=customer.pk, quantity=bad)
        assert "quantity" in exc.value.message_dict
    calendar_gift.refresh_from_db()
    assert calendar_gift.stock == 1 and Handout.objects.count() == 1


def test_sign_off_once(world, make_customer, calendar_gift):
    handout = services.hand_out(
        world.rm, material_id=calendar_gift.pk, customer_id=make_customer(world.rm).pk, quantity=1
    )
    services.sign_handout(world.rm, handout.pk, signed_by="王富贵")
    with pytest.raises(ValidationError) as exc:
        services.sign_handout(world.rm, handout.pk, signed_by="王富贵")
    assert "signed_by" in exc.value.message_dict
    handout.refresh_from_db()
    assert handout.signed_by == "王富贵" and handout.signed_at is not None
