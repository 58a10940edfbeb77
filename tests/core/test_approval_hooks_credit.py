"""The kernel's `allowed_decisions` hook (SPEC §6 "no override"): a kind's handler may narrow the
conclusions a decider can take; a refused conclusion is a 422 on `decision` and writes nothing."""

import pytest
from django.core.exceptions import ValidationError

from rmdesk.core import approvals, hooks
from rmdesk.core.models import ApprovalChain, ApprovalDecision, ApprovalStatus, ApprovalStep, AuditEvent, StepDecider

pytestmark = pytest.mark.django_db

KIND = "test.narrowed"


@pytest.fixture
def narrowed():
    """A two-step kind whose handler allows only return/reject while payload says "binding"."""
    chain = ApprovalChain.objects.create(kind=KIND, name="两级")
    ApprovalStep.objects.create(chain=chain, order=1, name="审查", decider=StepDecider.RISK)
    ApprovalStep.objects.create(chain=chain, order=2, name="审批", decider=StepDecider.BRANCH_MANAGER)
    approvals.register_handler(
        KIND,
        "测试",
        allowed_decisions=lambda checker, req: {"return", "reject"} if req.payload.get("binding") else {"approve"},
    )
    yield
    hooks.unregister(hooks.ApprovalHandler, KIND)


def _open(world, binding):
    return approvals.request_approval(world.rm, KIND, "t", {"binding": binding}, unit=world.t1)


def test_a_refused_conclusion_is_a_field_error_and_writes_nothing(world, narrowed):
    req = _open(world, binding=True)
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as err:
        approvals.decide(world.risk, req.pk, "approve", opinion="同意", version=req.version)
    assert "decision" in err.value.message_dict
    req.refresh_from_db()
    assert req.status == ApprovalStatus.PENDING and req.step_order == 1 and req.version == 1
    assert not ApprovalDecision.objects.filter(request=req).exists()
    assert AuditEvent.objects.count() == events
    assert approvals.allowed_decisions(world.risk, req) == {"return", "reject"}
    # the allowed ones still work
    approvals.decide(world.risk, req.pk, "return", opinion="补充调查", version=req.version)
    req.refresh_from_db()
    assert req.status == ApprovalStatus.RETURNED


def test_the_hook_narrows_every_conclusion_it_leaves_out(world, narrowed):
    req = _open(world, binding=False)
    with pytest.raises(ValidationError):
        approvals.decide(world.risk, req.pk, "reject", version=req.version)
    approvals.decide(world.risk, req.pk, "approve", version=req.version)
    req.refresh_from_db()
    assert req.step_order == 2


def test_kinds_without_the_hook_allow_all_three(world):
    req = approvals.request_approval(world.rm, "test.plain", "t", {}, unit=world.t1)
    assert approvals.allowed_decisions(world.lead, req) == {"approve", "reject", "return"}
