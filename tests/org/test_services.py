"""Maker-checker and the qualification rule (SPEC §1)."""
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from rmdesk.org import services
from rmdesk.org.models import ApprovalStatus, AuditEvent, StaffStatus
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def test_self_approval_is_refused(world):
    req = services.request_approval(world.lead, "test.kind", "自批", {}, unit=world.t1)
    with pytest.raises(services.SelfApprovalError):
        services.decide_approval(world.lead, req.pk, approve=True)
    req.refresh_from_db()
    assert req.status == ApprovalStatus.PENDING


def test_supervisor_approves_and_handler_runs(world):
    done = []
    services.register_approval_handler("test.handled", lambda checker, req: done.append((checker, req.payload)))
    req = services.request_approval(world.rm, "test.handled", "分配客户", {"x": 1}, unit=world.t1)
    services.decide_approval(world.lead, req.pk, approve=True, comment="同意")
    req.refresh_from_db()
    assert req.status == ApprovalStatus.APPROVED and req.decided_by == world.lead
    assert done == [(world.lead, {"x": 1})]
    assert AuditEvent.objects.filter(action="approval.approve", object_id=str(req.pk)).exists()


def test_out_of_scope_or_wrong_role_cannot_decide(world):
    req = services.request_approval(world.rm, "test.other", "分配客户", {}, unit=world.t1)
    with pytest.raises(PermissionDenied):
        services.decide_approval(world.lead2, req.pk, approve=True)  # another branch's lead
    with pytest.raises(PermissionDenied):
        services.decide_approval(world.rm_b, req.pk, approve=True)  # a peer RM
    services.decide_approval(world.manager, req.pk, approve=False, comment="不同意")
    req.refresh_from_db()
    assert req.status == ApprovalStatus.REJECTED
    with pytest.raises(ValidationError):
        services.decide_approval(world.lead, req.pk, approve=True)


def test_qualified_rm_can_be_assigned(world):
    services.ensure_can_be_assigned_customers(world.rm)


def test_rm_without_valid_qualification_cannot_be_assigned(world):
    unqualified = make_user("newbie", ["rm"], world.o1, world.t1, qualified=False)
    with pytest.raises(ValidationError, match="岗位资质"):
        services.ensure_can_be_assigned_customers(unqualified)
    world.rm.qualifications.update(expires_on=timezone.localdate() - timedelta(days=1))
    with pytest.raises(ValidationError, match="岗位资质"):
        services.ensure_can_be_assigned_customers(world.rm)


def test_expiry_day_itself_is_still_valid(world):
    today = timezone.localdate()
    world.rm.qualifications.update(expires_on=today)
    services.ensure_can_be_assigned_customers(world.rm, on=today)
    with pytest.raises(ValidationError):
        services.ensure_can_be_assigned_customers(world.rm, on=today + timedelta(days=1))


def test_non_rm_and_departed_staff_cannot_be_assigned(world):
    with pytest.raises(ValidationError, match="不是客户经理"):
        services.ensure_can_be_assigned_customers(world.lead)
    world.rm.status = StaffStatus.LEFT
    world.rm.save()
    with pytest.raises(ValidationError, match="不在岗"):
        services.ensure_can_be_assigned_customers(world.rm)
