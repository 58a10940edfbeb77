"""The team's open-cases panel reads through queries compiled once per process for the viewer's scope filters
(issue 18, decision 98; customers.slots.compiled): leads of two teams drawing in turn in one process each see their
own team's cases only, a new case shows on the next drawing, and a lead with no inbox candidate pays no inbox read."""

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from rmdesk.service.hooks import lead_panel
from rmdesk.service.models import Case

pytestmark = pytest.mark.django_db


def _numbers(user) -> tuple[set[str], list[str]]:
    request = RequestFactory().get("/")
    request.user = user
    user.role_codes()
    with CaptureQueriesContext(connection) as queries:
        panel = lead_panel(request)
    return {c["number"] for c in panel["context"]["cases"]}, [q["sql"] for q in queries]


def test_two_teams_leads_in_turn_see_their_own_cases(world, make_case, make_customer):
    mine = make_case(world.rm, make_customer(world.rm, world.t1))
    theirs = make_case(world.rm2, make_customer(world.rm2, world.t2))
    for _round in range(2):  # the second round draws from the compiled queries kept by the first
        assert _numbers(world.lead)[0] == {mine.number}
        assert _numbers(world.lead2)[0] == {theirs.number}
    later = make_case(world.rm, make_customer(world.rm, world.t1))
    assert _numbers(world.lead)[0] == {mine.number, later.number}
    assert _numbers(world.manager)[0] == {mine.number, later.number}  # the branch S1 holds team T1 only
    assert set(Case.objects.values_list("number", flat=True)) == {mine.number, theirs.number, later.number}


def test_no_candidate_means_no_inbox_read(world, make_case, make_customer):
    make_case(world.rm, make_customer(world.rm, world.t1))
    _found, sql = _numbers(world.lead)
    inbox_reads = [s for s in sql if "org_approvalrequest" in s and "LIMIT 1" not in s]
    assert inbox_reads == []  # only the candidates EXISTS touched the requests
    assert len([s for s in sql if "org_approvalrequest" in s]) == 1
