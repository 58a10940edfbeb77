"""审贷分离: the RM's own supervisor line kept out of the chain when the product says so (SPEC §6, issue
12), each forbidden person one by one, with the reason shown; the other forbidden deciders and the
no-override rule are in test_flow.py."""

import pytest
from django.core.exceptions import ValidationError

from rmdesk.core import approvals
from rmdesk.core.models import ApprovalChain, ApprovalDecision
from rmdesk.credit import services
from rmdesk.credit.defaults import KIND
from rmdesk.credit.models import AppStatus
from rmdesk.org.models import RoleCode
from tests.conftest import make_user

from .conftest import complete, ver

pytestmark = pytest.mark.django_db


def decide(user, app, decision, opinion="意见"):
    app.refresh_from_db()
    req = app.approval
    req.refresh_from_db()
    return approvals.decide(user, req.pk, decision, opinion=opinion, version=req.version)


@pytest.fixture
def heads(world):
    """Two branch-level (分行) managers: one is the RM's direct supervisor (直接上级), one is not."""
    boss = make_user("boss", [RoleCode.BRANCH_MANAGER], world.br, qualified=False)
    other = make_user("credit_head", [RoleCode.BRANCH_MANAGER], world.br, qualified=False)
    world.rm.supervisor = boss
    world.rm.save(update_fields=["supervisor"])
    return boss, other


def at_final_step(world, make_application, products, risk_b, *, exclude: bool):
    """An application whose 审批 step is open to any team lead or branch manager covering the customer,
    decided up to 审批 by the two risk officers."""
    product = products["PL01"]
    product.exclude_supervisor_line = exclude
    product.save()
    ApprovalChain.objects.get(kind=KIND).steps.filter(order=3).update(decider="supervisor")
    app = complete(make_application(), by=world.rm)
    app = services.submit(world.rm, app.pk, version=ver(app))
    decide(world.risk, app, "approve", "审查通过")
    decide(risk_b, app, "approve", "审核通过")
    app.refresh_from_db()
    assert app.approval.step_order == 3
    return app


def test_the_supervisor_line(world, heads):
    boss, other = heads
    line = services.supervisor_line(world.rm)
    # the direct supervisor, the team lead of the RM's team and the sub-branch manager; not the team
    # lead of another team, not the branch-level manager who is nobody's line, never the risk officer
    assert line == {boss.pk, world.lead.pk, world.manager.pk}
    assert world.lead2.pk not in services.supervisor_line(world.rm) and world.lead.pk not in services.supervisor_line(
        world.rm2
    )


@pytest.mark.parametrize("who", ["lead", "manager", "boss"])
def test_each_of_the_rms_supervisor_line_is_refused_when_configured(
    world, heads, make_application, products, risk_b, who
):
    app = at_final_step(world, make_application, products, risk_b, exclude=True)
    person = {"lead": world.lead, "manager": world.manager, "boss": heads[0]}[who]
    assert not approvals.may_decide(person, app.approval)
    assert services.forbidden_reason(person, app, app.approval) == "本产品规定申请客户经理的上级不参与审批。"
    with pytest.raises(ValidationError) as refused:
        decide(person, app, "approve")
    assert refused.value.message_dict["decider"] == ["本产品规定申请客户经理的上级不参与审批。"]
    assert ApprovalDecision.objects.filter(step_order=3).count() == 0
    # someone outside the line decides it
    decide(heads[1], app, "approve", "同意")
    app.refresh_from_db()
    assert app.status == AppStatus.APPROVED


def test_without_the_setting_the_line_may_decide(world, heads, make_application, products, risk_b):
    app = at_final_step(world, make_application, products, risk_b, exclude=False)
    for person in (world.lead, world.manager, heads[0], heads[1]):
        assert approvals.may_decide(person, app.approval), person.username
    decide(world.lead, app, "approve")
    app.refresh_from_db()
    assert app.status == AppStatus.APPROVED


def test_the_page_shows_the_reason_and_writes_nothing(world, heads, make_application, products, risk_b, client):
    app = at_final_step(world, make_application, products, risk_b, exclude=True)
    client.force_login(world.manager)
    page = client.get(f"/credit/{app.pk}/").content.decode()
    assert 'data-testid="credit-decide"' not in page  # not offered
    resp = client.post(
        f"/credit/{app.pk}/act/decide/",
        {"decision": "approve", "opinion": "同意", "request_version": app.approval.version},
    )
    assert resp.status_code == 422 and "本产品规定申请客户经理的上级不参与审批。" in resp.content.decode()
    assert ApprovalDecision.objects.filter(step_order=3).count() == 0
    # the API's decision route lists only requests one may decide: for this person the request is not there
    api = client.post(
        f"/api/org/approvals/{app.approval_id}/decision",
        {"decision": "approve", "opinion": "同意", "version": app.approval.version},
        content_type="application/json",
    )
    assert api.status_code == 404
    assert ApprovalDecision.objects.filter(step_order=3).count() == 0


def test_deciding_on_the_application_page(world, heads, make_application, products, risk_b, client):
    app = at_final_step(world, make_application, products, risk_b, exclude=True)
    client.force_login(heads[1])
    page = client.get(f"/credit/{app.pk}/").content.decode()
    assert 'data-testid="credit-decide"' in page and "待您审批：审批" in page
    resp = client.post(
        f"/credit/{app.pk}/act/decide/",
        {"decision": "approve", "opinion": "同意发放", "request_version": app.approval.version},
    )
    assert resp.status_code == 302
    app.refresh_from_db()
    assert app.status == AppStatus.APPROVED
    assert services.opinion_history(app)[-1].opinion == "同意发放"


def test_the_page_offers_only_return_or_reject_after_a_recommended_rejection(world, make_application, client):
    app = complete(make_application(), by=world.rm, recommendation="reject")
    app = services.submit(world.rm, app.pk, version=ver(app))
    client.force_login(world.risk)
    page = client.get(f"/credit/{app.pk}/").content.decode()
    assert 'value="return"' in page and 'value="reject"' in page and 'value="approve"' not in page
    resp = client.post(
        f"/credit/{app.pk}/act/decide/",
        {"decision": "approve", "opinion": "批", "request_version": app.approval.version},
    )
    assert resp.status_code == 422 and not ApprovalDecision.objects.exists()
