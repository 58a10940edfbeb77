"""The credit API's decision route (SPEC §1, §6): POST /api/credit/applications/{id}/decision decides the pending
approval step as the application page does. Out of scope is 404 like a missing application; a person in scope
who may not decide this step gets 403 with the reason (the framework's answer to PermissionDenied), a credit rule
that forbids them (审贷分离) 422 on `decider`; nothing is written by a refusal."""

import pytest

from rmdesk.core.models import ApprovalDecision
from rmdesk.credit import services
from rmdesk.credit.models import AppStatus

from .conftest import complete, ver
from .test_chain import at_final_step, heads  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def _url(app):
    return f"/api/credit/applications/{app.pk}/decision"


def _post(client, app, decision="approve", version=None):
    app.refresh_from_db()
    body = {"decision": decision, "opinion": "同意", "version": version or app.approval.version}
    return client.post(_url(app), body, content_type="application/json")


@pytest.fixture
def submitted_app(world, make_application):
    app = complete(make_application(), by=world.rm)
    return services.submit(world.rm, app.pk, version=ver(app))


def test_a_reader_in_scope_who_may_not_decide_gets_403_with_the_reason(api_client, world, submitted_app):
    """The 审查 step is the risk officer's: a team lead, a branch manager or compliance reading the application
    are not its deciders (403, not 404); the applying RM breaks 审贷分离 (422 on `decider`)."""
    for person in (world.lead, world.manager, world.compliance):
        resp = _post(api_client(person), submitted_app)
        assert resp.status_code == 403, (person.username, resp.content)
        assert resp.json()["detail"] == "您无权审批该申请。"
    maker = _post(api_client(world.rm), submitted_app)
    assert maker.status_code == 422 and maker.json()["detail"][0]["loc"][-1] == "decider"
    assert maker.json()["detail"][0]["msg"] == "申请客户经理不能审批本人的授信申请。"
    assert not ApprovalDecision.objects.exists()


def test_out_of_scope_is_404_like_a_missing_application(api_client, world, submitted_app):
    for person in (world.rm2, world.lead2, world.referrer):
        assert _post(api_client(person), submitted_app).status_code == 404, person.username
    missing = api_client(world.risk).post(
        "/api/credit/applications/999999/decision",
        {"decision": "approve", "version": 1},
        content_type="application/json",
    )
    assert missing.status_code == 404
    assert not ApprovalDecision.objects.exists()


def test_the_decider_decides_and_a_stale_version_is_409(api_client, world, submitted_app):
    risk = api_client(world.risk)
    stale = _post(risk, submitted_app, version=submitted_app.approval.version + 3)
    assert stale.status_code == 409 and not ApprovalDecision.objects.exists()
    bad = risk.post(_url(submitted_app), {"decision": "maybe", "version": 1}, content_type="application/json")
    assert bad.status_code == 422
    ok = _post(risk, submitted_app)
    assert ok.status_code == 200, ok.content
    body = ok.json()
    assert body["decisions"][-1]["decided_by_id"] == world.risk.pk and body["decisions"][-1]["opinion"] == "同意"
    assert body["approval_version"] == submitted_app.approval.__class__.objects.get(pk=body["approval_id"]).version
    # the same person may not decide the next step: credit's 审贷分离 names the reason (422 on decider)
    again = _post(risk, submitted_app)
    assert again.status_code == 422
    assert again.json()["detail"][0]["msg"] == "您已审批过本申请的前一环节，不能再审批后续环节。"


def test_a_credit_rule_forbidding_the_person_is_422_on_decider(
    api_client,
    world,
    heads,  # noqa: F811  (the fixture imported above)
    make_application,
    products,
    risk_b,
):
    app = at_final_step(world, make_application, products, risk_b, exclude=True)
    resp = _post(api_client(world.manager), app)
    assert resp.status_code == 422, resp.content
    assert resp.json()["detail"][0]["loc"][-1] == "decider"
    assert resp.json()["detail"][0]["msg"] == "本产品规定申请客户经理的上级不参与审批。"
    assert ApprovalDecision.objects.filter(step_order=3).count() == 0
    assert _post(api_client(heads[1]), app).status_code == 200
    app.refresh_from_db()
    assert app.status == AppStatus.APPROVED


def test_an_application_not_in_approval_is_422(api_client, world, make_application):
    app = make_application()
    resp = api_client(world.rm).post(_url(app), {"decision": "approve", "version": 1}, content_type="application/json")
    assert resp.status_code == 422 and resp.json()["detail"][0]["loc"][-1] == "decision"
