"""The periodic SLA task and command, notifications through the centre, SLA figures per RM/team/unit,
and the service API in the OpenAPI document."""

from io import StringIO

import pytest
from django.core.management import call_command

from rmdesk.service import services, sla
from rmdesk.service.tasks import run_sla_task, scan_churn_task

from .conftest import local, ver

pytestmark = pytest.mark.django_db


def test_breach_and_escalation_reach_the_notification_centre(make_case, world):
    from rmdesk.core.models import Notification

    case = make_case(now=local(2026, 3, 9, 10, 0))
    sla.run(now=local(2026, 3, 10, 10, 5))
    sla.run(now=local(2026, 3, 11, 10, 5))
    sla.run(now=local(2026, 3, 11, 10, 6))
    kinds = sorted(Notification.objects.filter(object_id=str(case.pk)).values_list("recipient__username", "kind"))
    assert ("rm", "service.breach") in kinds and ("lead", "service.escalation") in kinds
    assert len(kinds) == len(set(kinds))  # nothing repeated


def test_task_and_command_run_the_engine(make_case, world):
    make_case(now=local(2026, 3, 9, 10, 0))
    result = run_sla_task.enqueue()  # the ImmediateBackend runs it inline in tests
    assert result.return_value["checked"] == 1
    assert scan_churn_task.enqueue().return_value == {"churned": 0, "watched": 0, "recovered": 0, "triggered": 0}
    out = StringIO()
    call_command("run_sla", "--churn", stdout=out)
    assert "sla: checked=1" in out.getvalue() and "churn:" in out.getvalue()


def test_sla_figures_per_rm_team_and_unit(make_case, make_customer, world):
    a = make_case(now=local(2026, 3, 9, 10, 0))  # rm, breached below
    b = make_case(now=local(2026, 3, 9, 10, 0))  # rm, acknowledged in time
    services.accept_case(world.rm, b.pk, now=local(2026, 3, 9, 11, 0), version=ver(b.pk))
    c = make_case(world.rm_t1b, customer=make_customer(world.rm_t1b, world.t1b), now=local(2026, 3, 9, 10, 0))
    services.accept_case(world.rm_t1b, c.pk, now=local(2026, 3, 9, 11, 0), version=ver(c.pk))
    sla.run(now=local(2026, 3, 10, 12, 0))
    by_rm = {r["key"]: r for r in services.sla_stats(world.manager, group="rm")}
    assert (by_rm[world.rm.pk]["total"], by_rm[world.rm.pk]["ack_late"], by_rm[world.rm.pk]["on_time_rate"]) == (
        2,
        1,
        50.0,
    )
    assert (by_rm[world.rm_t1b.pk]["total"], by_rm[world.rm_t1b.pk]["breached"]) == (1, 0)
    by_team = {r["key"]: r["breached"] for r in services.sla_stats(world.manager, group="team")}
    assert by_team == {world.t1.pk: 1, world.t1b.pk: 0}
    by_unit = {r["key"]: r["total"] for r in services.sla_stats(world.lead, group="unit")}
    assert by_unit == {world.t1.pk: 2}  # the lead sees only the team's cases
    assert a.pk


def test_openapi_lists_the_service_api(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    for p in (
        "/api/service/cases",
        "/api/service/cases/{case_id}/decide",
        "/api/service/sla/stats",
        "/api/service/surveys/rounds",
        "/api/service/satisfaction",
        "/api/service/churn/rates",
        "/api/service/churn/watch",
    ):
        assert p in paths, p
