"""Approval chains and the one inbox (SPEC §1 maker-checker, §6 审查→审核→审批): the kernel's rules,
on SQLite and PostgreSQL alike."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from rmdesk.core import approvals, hooks
from rmdesk.core.models import (
    ApprovalChain,
    ApprovalDecision,
    ApprovalStatus,
    ApprovalStep,
    AuditEvent,
    Notification,
    StepDecider,
)
from rmdesk.org.models import RoleCode
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def three_step_chain(kind="test.credit", **bounds):
    chain = ApprovalChain.objects.create(kind=kind, name="三级审批", **bounds)
    ApprovalStep.objects.create(chain=chain, order=1, name="审查", decider=StepDecider.RISK, due_hours=16)
    ApprovalStep.objects.create(chain=chain, order=2, name="审核", decider=StepDecider.TEAM_LEAD)
    ApprovalStep.objects.create(chain=chain, order=3, name="审批", decider=StepDecider.BRANCH_MANAGER, levels_up=2)
    return chain


@pytest.fixture
def handled():
    done = []
    approvals.register_handler(
        "test.credit",
        "测试授信",
        on_approved=lambda checker, req: done.append(("approved", checker.username)),
        on_rejected=lambda checker, req: done.append(("rejected", checker.username)),
        on_returned=lambda checker, req: done.append(("returned", checker.username)),
    )
    yield done
    hooks.unregister(hooks.ApprovalHandler, "test.credit")


def open_request(world, maker=None, amount=None, kind="test.credit"):
    return approvals.request_approval(
        maker or world.rm, kind, "授信申请 A-001", {"application": 1}, unit=world.t1, reason="经营周转", amount=amount
    )


def test_three_steps_decided_by_three_people_in_order(world, handled):
    chain = three_step_chain()
    req = open_request(world)
    assert req.chain == chain and req.step_order == 1 and req.step_due_at is not None
    # only the step's decider sees it in the inbox
    assert [r.pk for r in approvals.pending_for(world.risk)] == [req.pk]
    assert approvals.pending_for(world.lead) == [] and approvals.pending_for(world.manager) == []
    with pytest.raises(PermissionDenied):
        approvals.decide(world.lead, req.pk, "approve")  # step 2's decider cannot jump the queue
    approvals.decide(world.risk, req.pk, "approve", opinion="材料真实完整")
    req.refresh_from_db()
    assert (req.status, req.step_order) == (ApprovalStatus.PENDING, 2)
    assert [r.pk for r in approvals.pending_for(world.lead)] == [req.pk] and approvals.pending_for(world.risk) == []
    approvals.decide(world.lead, req.pk, "approve", opinion="同意")
    assert handled == []
    approvals.decide(world.manager, req.pk, "approve", opinion="批准")
    req.refresh_from_db()
    assert req.status == ApprovalStatus.APPROVED and req.decided_by == world.manager
    assert handled == [("approved", "manager")]
    rows = list(
        ApprovalDecision.objects.filter(request=req).values_list(
            "step_name", "decided_by__username", "decision", "opinion"
        )
    )
    assert rows == [
        ("审查", "risk", "approve", "材料真实完整"),
        ("审核", "lead", "approve", "同意"),
        ("审批", "manager", "approve", "批准"),
    ]
    assert all(d.decided_at is not None for d in ApprovalDecision.objects.filter(request=req))
    assert AuditEvent.objects.filter(object_type="core.approvalrequest", object_id=str(req.pk)).count() == 4


def test_maker_is_refused_at_every_step(world, handled):
    three_step_chain()
    maker = make_user(
        "maker_all", [RoleCode.RM, RoleCode.RISK, RoleCode.TEAM_LEAD, RoleCode.BRANCH_MANAGER], world.s1, world.t1
    )
    req = open_request(world, maker=maker)
    for decider in (world.risk, world.lead, world.manager):
        assert req.pk not in [r.pk for r in approvals.pending_for(maker)]
        with pytest.raises(approvals.SelfApprovalError):
            approvals.decide(maker, req.pk, "approve")
        approvals.decide(decider, req.pk, "approve")
        req.refresh_from_db()
    assert req.status == ApprovalStatus.APPROVED
    assert not ApprovalDecision.objects.filter(request=req, decided_by=maker).exists()


def test_same_person_refused_on_a_second_step(world, handled):
    three_step_chain()
    dual = make_user("dual", [RoleCode.RISK, RoleCode.TEAM_LEAD], world.o1, world.t1, qualified=False)
    req = open_request(world)
    approvals.decide(dual, req.pk, "approve")  # 审查 as risk officer
    req.refresh_from_db()
    assert req.step_order == 2
    assert req.pk not in [r.pk for r in approvals.pending_for(dual)]
    with pytest.raises(PermissionDenied):
        approvals.decide(dual, req.pk, "approve")  # 审核 as team lead: refused, already decided this chain
    approvals.decide(world.lead, req.pk, "approve")
    req.refresh_from_db()
    assert req.step_order == 3


def test_return_sends_it_back_to_the_maker_who_resubmits(world, handled, django_capture_on_commit_callbacks):
    three_step_chain()
    req = open_request(world)
    approvals.decide(world.risk, req.pk, "approve")
    with django_capture_on_commit_callbacks(execute=True):
        approvals.decide(world.lead, req.pk, "return", opinion="补充还款来源")
    req.refresh_from_db()
    assert req.status == ApprovalStatus.RETURNED and handled == [("returned", "lead")]
    assert approvals.pending_for(world.manager) == [] and approvals.pending_for(world.lead) == []
    assert Notification.objects.filter(recipient=world.rm, kind="approval.returned").exists()
    with pytest.raises(ValidationError):
        approvals.decide(world.manager, req.pk, "approve")
    with pytest.raises(Http404):  # only the maker resubmits
        approvals.resubmit(world.lead, req.pk, version=req.version)
    approvals.resubmit(world.rm, req.pk, version=req.version, reason="已补充")
    req.refresh_from_db()
    assert (req.status, req.round, req.step_order) == (ApprovalStatus.PENDING, 2, 1)
    approvals.decide(world.risk, req.pk, "approve")  # a new round: the same deciders decide again
    approvals.decide(world.lead, req.pk, "approve")
    approvals.decide(world.manager, req.pk, "reject", opinion="风险过高")
    req.refresh_from_db()
    assert req.status == ApprovalStatus.REJECTED
    with pytest.raises(ValidationError):  # a rejection is final
        approvals.decide(world.manager, req.pk, "approve")


def test_chain_chosen_by_amount(world, handled):
    small = ApprovalChain.objects.create(kind="test.credit", name="小额", max_amount=Decimal("1000000"))
    ApprovalStep.objects.create(chain=small, order=1, name="审批", decider=StepDecider.TEAM_LEAD)
    large = three_step_chain(min_amount=Decimal("1000000"))
    assert open_request(world, amount=Decimal("500000")).chain == small
    assert open_request(world, amount=Decimal("1000000")).chain == large
    assert open_request(world, amount=Decimal("8000000")).chain == large
    req = open_request(world, amount=Decimal("999999.99"))
    approvals.decide(world.lead, req.pk, "approve")
    req.refresh_from_db()
    assert req.status == ApprovalStatus.APPROVED


def test_kind_without_chain_is_one_supervisor_step(world, handled):
    req = open_request(world, kind="test.unconfigured")
    assert req.chain is None
    assert {r.pk for r in approvals.pending_for(world.lead)} == {req.pk}
    assert {r.pk for r in approvals.pending_for(world.manager)} == {req.pk}
    assert approvals.pending_for(world.lead2) == [] and approvals.pending_for(world.rm_b) == []
    with pytest.raises(PermissionDenied):
        approvals.decide(world.lead2, req.pk, "approve")  # another branch's lead
    approvals.decide(world.manager, req.pk, "approve")
    req.refresh_from_db()
    assert req.status == ApprovalStatus.APPROVED


def test_inbox_count_matches_and_deciders_are_notified(client, world, handled, django_capture_on_commit_callbacks):
    three_step_chain()
    with django_capture_on_commit_callbacks(execute=True):
        reqs = [open_request(world) for _ in range(3)]
    assert Notification.objects.filter(recipient=world.risk, kind="approval.pending").count() == 3
    assert not Notification.objects.filter(recipient=world.lead, kind="approval.pending").exists()
    with django_capture_on_commit_callbacks(execute=True):
        approvals.decide(world.risk, reqs[0].pk, "approve")
    assert Notification.objects.filter(recipient=world.lead, kind="approval.pending").count() == 1
    client.force_login(world.risk)
    html = client.get("/").content.decode()
    assert 'data-testid="counter-approvals"' in html
    counter = html.split('data-testid="counter-approvals"', 1)[1].split("</a>", 1)[0]
    assert ">2<" in counter.replace(" ", "")
    page = client.get("/org/approvals/?kind=test.credit").content.decode()
    assert page.count('name="request_id"') == len(approvals.pending_for(world.risk)) == 2
    assert client.get("/org/approvals/?kind=other.kind").content.decode().count('name="request_id"') == 0


def test_api_decision_requires_version_and_refuses_stale(api_client, world, handled):
    three_step_chain()
    req = open_request(world)
    risk = api_client(world.risk)
    url = f"/api/org/approvals/{req.pk}/decision"
    assert risk.post(url, {"decision": "approve"}, content_type="application/json").status_code == 422
    assert (
        risk.post(url, {"decision": "maybe", "version": req.version}, content_type="application/json").status_code
        == 422
    )
    assert (
        risk.post(url, {"decision": "approve", "version": req.version + 5}, content_type="application/json").status_code
        == 409
    )
    ok = risk.post(
        url, {"decision": "approve", "version": req.version, "opinion": "同意"}, content_type="application/json"
    )
    assert ok.status_code == 200 and ok.json()["step_order"] == 2
    assert ok.json()["decisions"][0]["opinion"] == "同意"
    # the maker and an out-of-scope lead get 404, like a missing request
    assert (
        api_client(world.rm)
        .post(url, {"decision": "approve", "version": ok.json()["version"]}, content_type="application/json")
        .status_code
        == 404
    )
    assert (
        api_client(world.lead2)
        .post(url, {"decision": "approve", "version": ok.json()["version"]}, content_type="application/json")
        .status_code
        == 404
    )
    assert (
        api_client(world.lead)
        .post(
            "/api/org/approvals/999999/decision", {"decision": "approve", "version": 1}, content_type="application/json"
        )
        .status_code
        == 404
    )


def test_a_group_step_is_decided_by_its_members_at_or_above_the_unit(world, handled):
    """贷审会-style step: any role, but only members of the named group whose unit covers the request."""
    from django.contrib.auth.models import Group

    committee = Group.objects.create(name="贷审会")
    member_here = make_user("committee_s1", [RoleCode.RM], world.s1, qualified=False)
    member_there = make_user("committee_s2", [RoleCode.RM], world.s2, qualified=False)
    for member in (member_here, member_there):
        member.groups.add(committee)
    chain = ApprovalChain.objects.create(kind="test.credit", name="贷审会")
    ApprovalStep.objects.create(chain=chain, order=1, name="贷审会审议", decider=StepDecider.ANY, group=committee)
    req = open_request(world)
    assert approvals.pending_for(world.lead) == []  # not a member
    assert approvals.pending_for(member_there) == []  # a member, but of another sub-branch
    with pytest.raises(PermissionDenied):
        approvals.decide(member_there, req.pk, "approve")
    assert [r.pk for r in approvals.pending_for(member_here)] == [req.pk]
    approvals.decide(member_here, req.pk, "approve")
    req.refresh_from_db()
    assert req.status == ApprovalStatus.APPROVED and handled == [("approved", "committee_s1")]
