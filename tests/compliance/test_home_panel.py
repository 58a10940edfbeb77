"""The staff home panel lists one's own pledges to sign and nothing else (issue 18: read without the subtree
part of the scope): a manager whose subtree holds the RMs' obligations gets no panel; signing removes the line."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from rmdesk.compliance.hooks import staff_panel

from .conftest import sign_as

pytestmark = pytest.mark.django_db


def _panel(user):
    request = RequestFactory().get("/")
    request.user = user
    return staff_panel(request)


def test_only_ones_own_unsigned_pledges(world, make_round):
    rnd = make_round(unit=world.s1, roles=("rm",))
    mine = rnd.obligations.get(signer=world.rm)
    panel = _panel(world.rm)
    assert [ob.pk for ob in panel["context"]["mine"]] == [mine.pk]
    assert panel["context"]["violations"] == []
    assert _panel(world.manager) is None  # sees the subtree's obligations elsewhere, signs none of them
    assert _panel(world.rm2) is None  # outside the round's unit
    sign_as(world.rm, mine)
    assert _panel(world.rm) is None
    other = rnd.obligations.get(signer=world.rm_b)
    assert [ob.pk for ob in _panel(world.rm_b)["context"]["mine"]] == [other.pk]
    world.rm_b.is_active = False
    assert _panel(world.rm_b) is None


def test_the_home_page_links_the_pledge(client, world, make_round):
    rnd = make_round(unit=world.s1, roles=("rm",))
    mine = rnd.obligations.get(signer=world.rm)
    client.force_login(world.rm)
    html = client.get("/").content.decode()
    assert 'data-panel="compliance_staff"' in html
    assert f'href="{reverse("compliance:obligation", args=[mine.pk])}"' in html
    client.force_login(world.manager)
    assert 'data-panel="compliance_staff"' not in client.get("/").content.decode()
