"""The complaint's 主管批示 goes through the one approval inbox (审批中心, issue 9): proposing a plan
opens a request of kind "service.plan" for the supervisors above the responsible unit; deciding it in
/org/approvals/ or with the case page's buttons is the same decision (rmdesk.core.approvals.decide)."""

import pytest

from rmdesk.core import approvals
from rmdesk.core.models import ApprovalRequest, ApprovalStatus
from rmdesk.service import services
from rmdesk.service.models import Case, CaseStatus

from .conftest import ver

pytestmark = pytest.mark.django_db


def _propose(case, user, plan="向客户致歉并补偿手续费"):
    services.accept_case(user, case.pk, version=ver(case.pk))
    services.record_investigation(user, case.pk, cause="产品说明书风险提示不清", version=ver(case.pk))
    return services.propose_plan(user, case.pk, plan=plan, version=ver(case.pk))


def _request(case):
    return ApprovalRequest.objects.filter(kind=services.PLAN_KIND, payload__case_id=case.pk).order_by("-id").first()


def test_plan_waits_in_the_supervisors_inbox_and_is_decided_there(client, world, make_case):
    case = make_case()
    _propose(case, world.rm)
    req = _request(case)
    assert req.status == ApprovalStatus.PENDING and req.unit == case.responsible_unit
    assert req.requested_by == world.rm and req.payload["case_id"] == case.pk
    assert case.number in req.title and case.customer.name not in req.title  # no customer data in the title
    # the team lead and the branch manager above see it; the proposer, another team and risk do not
    assert [r.pk for r in approvals.pending_for(world.lead)] == [req.pk]
    assert [r.pk for r in approvals.pending_for(world.manager)] == [req.pk]
    for other in (world.rm, world.rm_b, world.lead2, world.risk):
        assert approvals.pending_for(other) == []
    client.force_login(world.lead)
    home = client.get("/").content.decode()
    assert 'data-testid="counter-approvals"' in home and "counter-service_approvals" not in home
    inbox = client.get("/org/approvals/?kind=service.plan").content.decode()
    assert req.title in inbox and "投诉处理方案批示" in inbox

    r = client.post(
        "/org/approvals/",
        {"request_id": req.pk, "version": req.version, "decision": "approve", "comment": "同意，三日内答复客户"},
    )
    assert r.status_code == 302
    case = Case.objects.get(pk=case.pk)
    assert case.status == CaseStatus.APPROVED and case.approved_by == world.lead
    assert case.instruction == "同意，三日内答复客户"
    assert list(case.steps.values_list("action", "actor__username"))[-1] == ("approve", "lead")
    assert _request(case).status == ApprovalStatus.APPROVED
    assert approvals.pending_for(world.manager) == []  # decided once, gone from every inbox
    services.implement_plan(world.rm, case.pk, result="已退还手续费", version=ver(case.pk))  # and the case moves on


def test_case_page_buttons_decide_the_same_request(client, world, make_case):
    case = make_case()
    _propose(case, world.rm)
    client.force_login(world.lead)
    assert 'data-testid="act-approve"' in client.get(f"/service/{case.pk}/").content.decode()
    r = client.post(f"/service/{case.pk}/act/reject/", {"version": ver(case.pk), "instruction": "补充调查交易记录"})
    assert r.status_code == 302
    req = _request(case)
    assert req.status == ApprovalStatus.REJECTED and req.decided_by == world.lead and req.comment == "补充调查交易记录"
    case.refresh_from_db()
    assert case.status == CaseStatus.INVESTIGATED and case.instruction == "补充调查交易记录"
    # a new plan opens a new request, approved from the page
    services.propose_plan(world.rm, case.pk, plan="退还手续费并致歉", version=ver(case.pk))
    new = _request(case)
    assert new.pk != req.pk and new.status == ApprovalStatus.PENDING
    client.post(f"/service/{case.pk}/act/approve/", {"version": ver(case.pk), "instruction": "同意"})
    assert Case.objects.get(pk=case.pk).status == CaseStatus.APPROVED
    assert ApprovalRequest.objects.get(pk=new.pk).status == ApprovalStatus.APPROVED


def test_returned_plan_is_resubmitted_by_proposing_again(client, world, make_case):
    case = make_case()
    _propose(case, world.rm)
    req = _request(case)
    client.force_login(world.lead)
    # returning (or refusing) needs an instruction: nothing changes without one
    client.post("/org/approvals/", {"request_id": req.pk, "version": req.version, "decision": "return"})
    assert Case.objects.get(pk=case.pk).status == CaseStatus.PROPOSED
    assert ApprovalRequest.objects.get(pk=req.pk).status == ApprovalStatus.PENDING
    client.post(
        "/org/approvals/",
        {"request_id": req.pk, "version": req.version, "decision": "return", "comment": "请补充补偿金额依据"},
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.INVESTIGATED and case.instruction == "请补充补偿金额依据"
    assert case.steps.order_by("-id").first().action == "return"
    assert ApprovalRequest.objects.get(pk=req.pk).status == ApprovalStatus.RETURNED
    # a resubmission from the inbox without a new plan is nobody's to decide
    approvals.resubmit(world.rm, req.pk, version=ApprovalRequest.objects.get(pk=req.pk).version)
    assert approvals.pending_for(world.lead) == []
    # proposing again submits the same request in a new round
    services.propose_plan(world.rm, case.pk, plan="按合同补偿手续费 200 元", version=ver(case.pk))
    again = _request(case)
    assert again.status == ApprovalStatus.PENDING and [r.pk for r in approvals.pending_for(world.lead)] == [again.pk]
    assert again.reason == "按合同补偿手续费 200 元"
    services.decide_plan(world.manager, case.pk, approve=True, instruction="同意", version=ver(case.pk))
    assert Case.objects.get(pk=case.pk).approved_by == world.manager


def test_proposer_never_decides_even_as_a_supervisor(client, world, make_case):
    case = make_case(user=world.lead)
    _propose(case, world.lead)
    req = _request(case)
    assert approvals.pending_for(world.lead) == [] and [r.pk for r in approvals.pending_for(world.manager)] == [req.pk]
    with pytest.raises(approvals.SelfApprovalError):
        approvals.decide(world.lead, req.pk, "approve", version=req.version)
    client.force_login(world.lead)
    assert 'data-testid="act-approve"' not in client.get(f"/service/{case.pk}/").content.decode()
    assert Case.objects.get(pk=case.pk).status == CaseStatus.PROPOSED


def test_a_plan_proposed_before_the_inbox_is_still_decided(world, make_case):
    """A case left in 待主管批示 without a request (data from before) gets one when decided."""
    case = make_case()
    _propose(case, world.rm)
    ApprovalRequest.objects.filter(kind=services.PLAN_KIND).delete()
    services.decide_plan(world.lead, case.pk, approve=True, instruction="同意", version=ver(case.pk))
    assert Case.objects.get(pk=case.pk).status == CaseStatus.APPROVED
    assert _request(case).status == ApprovalStatus.APPROVED and _request(case).requested_by == world.rm
