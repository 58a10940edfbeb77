"""What a user writes is stored whole or refused with the field named, never silently cut (issue 10):
notes of needs, key-date labels, tags, handover notes, conflict resolutions."""

import pytest
from django.core.exceptions import ValidationError

from rmdesk.core.models import ApprovalRequest
from rmdesk.customers import services
from rmdesk.customers.models import KeyDate, Need, Tag


def test_an_over_long_need_or_key_date_label_is_refused_whole(world, make_customer):
    customer = make_customer(world.rm, world.t1)
    with pytest.raises(ValidationError) as caught:
        services.add_need(world.rm, customer.pk, "需" * 301)
    assert "text" in caught.value.message_dict and not Need.objects.exists()
    services.add_need(world.rm, customer.pk, "需" * 300)
    with pytest.raises(ValidationError) as caught:
        services.add_key_date(world.rm, customer.pk, kind="anniversary", day="2026-05-01", label="纪" * 61)
    assert "label" in caught.value.message_dict and not KeyDate.objects.filter(label__startswith="纪").exists()


def test_an_over_long_tag_is_refused_not_cut(world, make_customer):
    customer = make_customer(world.rm, world.t1)
    with pytest.raises(ValidationError):
        services.set_tags(customer, ["标" * 31])
    assert not Tag.objects.filter(name__startswith="标").exists()


def test_an_over_long_handover_note_is_refused_when_requested(world, make_customer):
    a1 = make_customer(world.rm, world.t1)
    before = ApprovalRequest.objects.count()
    with pytest.raises(ValidationError) as caught:
        services.request_handover(world.lead, world.rm.pk, world.rm_b.pk, notes={a1.pk: "说" * 301}, reason="离职")
    assert f"notes.{a1.pk}" in caught.value.message_dict
    assert ApprovalRequest.objects.count() == before
