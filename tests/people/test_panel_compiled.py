"""The supervisors' people panel reads through queries compiled once per process under the viewer's id, subtree
paths and day (issue 18, decision 98; customers.slots.compiled): leads of two teams drawing in turn see their own
team's RMs only, and an inspection recorded since takes its RM off the next drawing."""

import pytest
from django.test import RequestFactory
from django.utils import timezone

from rmdesk.people.hooks import supervisor_panel
from rmdesk.people.models import Inspection

pytestmark = pytest.mark.django_db


def _due(user) -> set[str]:
    request = RequestFactory().get("/")
    request.user = user
    return {u.display_name for u in supervisor_panel(request)["context"]["due"]}


def test_two_teams_leads_in_turn_see_their_own_rms(world):
    for _round in range(2):  # the second round draws from the compiled queries kept by the first
        assert _due(world.lead) == {world.rm.display_name, world.rm_b.display_name}
        assert _due(world.lead2) == {world.rm2.display_name}
    today = timezone.localdate()
    Inspection.objects.create(
        person=world.rm_b,
        org_path=world.t1.path,
        year=today.year,
        quarter=(today.month - 1) // 3 + 1,
        inspected_on=today,
        inspector=world.lead,
        score=100,
    )
    assert _due(world.lead) == {world.rm.display_name}
    assert _due(world.lead2) == {world.rm2.display_name}
