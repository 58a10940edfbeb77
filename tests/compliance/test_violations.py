"""Violations (SPEC §8): reported by a supervisor or compliance, the person states their case, compliance
(never the reporter) decides through the chain; the penalty ladder climbs on repeats; points feed the
assessment indicator."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from rmdesk.compliance import services
from rmdesk.compliance.indicators import INDICATORS
from rmdesk.compliance.models import Penalty, Violation, ViolationStatus
from rmdesk.core.approvals import SelfApprovalError, decide
from rmdesk.core.models import ApprovalRequest, ApprovalStatus, AuditEvent
from rmdesk.org.models import RoleCode
from tests.conftest import make_user

from .conftest import rule

pytestmark = pytest.mark.django_db

YESTERDAY = timezone.localdate() - timedelta(days=1)


def _report(world, by=None, person=None, code="ten_bans", order=1):
    return services.report_violation(
        by or world.lead,
        person_id=(person or world.rm).pk,
        rule_id=rule(code, order).pk,
        occurred_on=YESTERDAY,
        facts="代客户在网银转账，违反不代客户银行付款的规定",
    )


def _state(world, v, person=None):
    return services.state_case(
        person or world.rm, v.pk, statement="客户当时行动不便，我事后已补齐手续", version=v.version
    )


def _confirm(world, v):
    v = Violation.objects.get(pk=v.pk)
    return services.decide_violation(world.compliance, v.pk, decision="approve", opinion="情况属实", version=v.version)


def test_report_state_and_decide(world, seeded):
    v = _report(world)
    assert v.status == ViolationStatus.PENDING and v.approval.kind == "compliance.violation"
    v = _state(world, v)
    assert v.statement.startswith("客户当时") and v.may_be_decided
    v = _confirm(world, v)
    assert (v.status, v.penalty, v.ladder_step, v.points) == (ViolationStatus.CONFIRMED, Penalty.FINE, 0, Decimal("5"))
    assert v.decided_by == world.compliance and v.decision_note == "情况属实"
    assert ApprovalRequest.objects.get(pk=v.approval_id).status == ApprovalStatus.APPROVED
    assert AuditEvent.objects.filter(action="compliance.violation_confirm", object_id=str(v.pk)).exists()


def test_the_reporter_may_not_decide(world, seeded):
    second = make_user("compliance_b", [RoleCode.COMPLIANCE], world.s1, qualified=False)
    v = _report(world, by=world.compliance)
    _state(world, v)
    v = Violation.objects.get(pk=v.pk)
    with pytest.raises(PermissionDenied) as exc:
        services.decide_violation(world.compliance, v.pk, decision="approve", version=v.version)
    assert "发现人不能认定" in str(exc.value)
    with pytest.raises(SelfApprovalError):  # nor through the approval centre
        decide(world.compliance, v.approval_id, "approve", version=v.approval.version)
    assert Violation.objects.get(pk=v.pk).status == ViolationStatus.PENDING
    assert not AuditEvent.objects.filter(action__in=("approval.approve", "compliance.violation_confirm")).exists()
    services.decide_violation(second, v.pk, decision="approve", version=v.version)  # another officer may
    assert Violation.objects.get(pk=v.pk).status == ViolationStatus.CONFIRMED


def test_the_person_states_their_case_first(world, seeded):
    v = _report(world)
    with pytest.raises(PermissionDenied) as exc:
        services.decide_violation(world.compliance, v.pk, decision="approve", version=v.version)
    assert "尚未申辩" in str(exc.value)
    with pytest.raises(PermissionDenied):  # only the person states it
        services.state_case(world.lead, v.pk, statement="不是这样", version=v.version)
    waived = services.state_case(world.rm, v.pk, waive=True, version=v.version)
    assert waived.statement_waived
    with pytest.raises(ValidationError):  # once
        services.state_case(world.rm, v.pk, statement="补充", version=waived.version)
    _confirm(world, v)


def test_after_the_statement_period_compliance_may_decide(world, seeded):
    v = _report(world)
    Violation.objects.filter(pk=v.pk).update(reported_at=timezone.now() - timedelta(days=14))
    _confirm(world, v)
    assert Violation.objects.get(pk=v.pk).status == ViolationStatus.CONFIRMED


def test_the_ladder_climbs_on_each_repeat(world, seeded):
    seen = []
    for _i in range(5):
        v = _report(world)
        _state(world, v)
        seen.append(_confirm(world, v).penalty)
    assert seen == [
        Penalty.FINE,
        Penalty.PAY_COEFFICIENT,
        Penalty.REMOVAL,
        Penalty.TERMINATION,
        Penalty.TERMINATION,
    ]
    # a dismissed report does not count as a repeat; another person starts at the bottom
    v = _report(world)
    _state(world, v)
    services.decide_violation(world.compliance, v.pk, decision="reject", version=Violation.objects.get(pk=v.pk).version)
    assert Violation.objects.get(pk=v.pk).status == ViolationStatus.DISMISSED
    other = _report(world, person=world.rm_b)
    _state(world, other, person=world.rm_b)
    assert _confirm(world, other).penalty == Penalty.FINE


def test_bad_reports_are_refused_with_fields(world, seeded):
    with pytest.raises(ValidationError) as exc:
        services.report_violation(
            world.lead, person_id=world.rm2.pk, rule_id=999999, occurred_on=date(2999, 1, 1), facts=""
        )
    assert set(exc.value.error_dict) == {"person_id", "rule_id", "occurred_on", "facts"}
    with pytest.raises(PermissionDenied):
        services.report_violation(
            world.rm, person_id=world.rm_b.pk, rule_id=rule().pk, occurred_on=YESTERDAY, facts="x" * 9
        )
    assert not Violation.objects.exists()


def test_points_indicator_per_rm(world, seeded):
    for order in (1, 5):  # 5 points (serious) and 2 points (minor)
        v = _report(world, order=order)
        _state(world, v)
        _confirm(world, v)
    _report(world, person=world.rm_b)  # pending: not counted
    indicator = {i.code: i for i in INDICATORS}["compliance.violation_points"]
    today = timezone.localdate()
    result = indicator.compute(today - timedelta(days=1), today, None)
    assert result[world.rm.pk].value == Decimal("7.00") and world.rm_b.pk not in result
    assert indicator.records(world.compliance, world.rm.pk, today, today).count() == 2
    assert indicator.records(world.rm2, world.rm.pk, today, today).count() == 0
