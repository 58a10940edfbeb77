"""The supervisor's home panel reads only the eight RMs it lists (issue 18: `inspections_due(limit=8)`), the
same first eight, in the same order, as the inspection page's full list."""

import pytest
from django.test import RequestFactory

from rmdesk.org.models import RoleCode
from rmdesk.people import services
from rmdesk.people.hooks import supervisor_panel
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def test_the_panel_lists_the_first_eight_of_the_full_list(world):
    for i in range(10):
        make_user(f"rm_x{i:02d}", [RoleCode.RM], world.o1, world.t1, level="3")
    full = services.inspections_due(world.manager)
    assert len(full) == 13  # rm, rm_b, rm_t1b (nothing recorded this quarter) and the ten above
    assert services.inspections_due(world.manager, limit=8) == full[:8]
    assert services.inspections_due(world.manager, limit=0) == []
    request = RequestFactory().get("/")
    request.user = world.manager
    panel = supervisor_panel(request)
    assert panel["context"]["due"] == full[:8]
