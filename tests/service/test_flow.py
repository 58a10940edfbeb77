"""The case flow 登记 → 受理 → 调查原因 → 提交方案 → 主管批示 → 实施 → 回访 → 关闭 with reopen (SPEC §5)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from rmdesk.core.actions import StaleVersion
from rmdesk.core.approvals import SelfApprovalError
from rmdesk.core.models import AuditEvent
from rmdesk.service import services
from rmdesk.service.models import Case, CaseStatus, CaseStep

from .conftest import ver

pytestmark = pytest.mark.django_db


def _to_proposed(case, user):
    services.accept_case(user, case.pk, version=ver(case.pk))
    services.record_investigation(
        user, case.pk, cause="产品说明书风险提示不清", root_cause="marketing", version=ver(case.pk)
    )
    return services.propose_plan(user, case.pk, plan="向客户致歉并补偿手续费", version=ver(case.pk))


def test_full_flow_records_who_when_what(make_case, world):
    case = make_case()
    assert case.number.startswith("TS") and case.owner == world.rm and case.responsible_unit == world.t1
    _to_proposed(case, world.rm)
    services.decide_plan(world.lead, case.pk, approve=True, instruction="同意，三日内办结", version=ver(case.pk))
    services.implement_plan(world.rm, case.pk, result="已退还手续费 200 元", version=ver(case.pk))
    services.record_follow_up(
        world.rm, case.pk, customer_confirmed=True, satisfaction=4, note="客户表示满意", version=ver(case.pk)
    )
    services.close_case(world.rm, case.pk, note="办结", version=ver(case.pk))
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    assert case.approved_by == world.lead and case.satisfaction == 4 and case.customer_confirmed
    assert case.acknowledged_at and case.answered_at and case.closed_at
    steps = list(case.steps.values_list("action", "actor__username", "status_to"))
    assert steps == [
        ("register", "rm", "registered"),
        ("accept", "rm", "accepted"),
        ("investigate", "rm", "investigated"),
        ("propose", "rm", "proposed"),
        ("approve", "lead", "approved"),
        ("implement", "rm", "implemented"),
        ("follow_up", "rm", "visited"),
        ("close", "rm", "closed"),
    ]
    actions = set(
        AuditEvent.objects.filter(object_id=str(case.pk), object_type="service.case").values_list("action", flat=True)
    )
    assert {"service.register", "service.approve", "service.close"} <= actions


def test_proposer_cannot_approve_own_plan(make_case, world):
    # the team lead registers and proposes: the lead cannot also approve (maker-checker)
    case = make_case(user=world.lead)
    _to_proposed(case, world.lead)
    with pytest.raises(SelfApprovalError):
        services.decide_plan(world.lead, case.pk, approve=True, version=ver(case.pk))
    assert Case.objects.get(pk=case.pk).status == CaseStatus.PROPOSED
    services.decide_plan(world.manager, case.pk, approve=True, instruction="同意", version=ver(case.pk))
    assert Case.objects.get(pk=case.pk).approved_by == world.manager


def test_only_a_supervisor_approves(make_case, make_customer, world):
    from django.http import Http404

    case = make_case(customer=make_customer(world.rm, world.t1, b_rm=world.rm_b))
    _to_proposed(case, world.rm)
    with pytest.raises(PermissionDenied):
        services.decide_plan(
            world.rm_b, case.pk, approve=True, version=ver(case.pk)
        )  # the B-post RM sees it but is no supervisor
    with pytest.raises(Http404):
        services.decide_plan(
            world.lead2, case.pk, approve=True, version=ver(case.pk)
        )  # another team's lead: out of scope


def test_reject_sends_back_to_investigation(make_case, world):
    case = make_case()
    _to_proposed(case, world.rm)
    with pytest.raises(ValidationError) as exc:
        services.decide_plan(world.lead, case.pk, approve=False, instruction="", version=ver(case.pk))
    assert "instruction" in exc.value.error_dict
    services.decide_plan(world.lead, case.pk, approve=False, instruction="补充调查交易记录", version=ver(case.pk))
    case.refresh_from_db()
    assert case.status == CaseStatus.INVESTIGATED and case.instruction == "补充调查交易记录"


def test_reopen_keeps_history_and_starts_new_cycle(make_case, world):
    case = make_case()
    _to_proposed(case, world.rm)
    services.decide_plan(world.lead, case.pk, approve=True, version=ver(case.pk))
    services.implement_plan(world.rm, case.pk, result="已处理", version=ver(case.pk))
    services.record_follow_up(world.rm, case.pk, customer_confirmed=True, satisfaction=2, version=ver(case.pk))
    services.close_case(world.rm, case.pk, version=ver(case.pk))
    n_before = CaseStep.objects.filter(case=case).count()
    services.reopen_case(world.rm, case.pk, reason="客户来电表示问题未解决", version=ver(case.pk))
    case.refresh_from_db()
    assert case.status == CaseStatus.ACCEPTED and case.cycle == 2 and case.reopen_count == 1
    assert case.answered_at is None and case.satisfaction is None and case.approved_by is None
    steps = list(CaseStep.objects.filter(case=case).order_by("id"))
    assert len(steps) == n_before + 1
    assert steps[-1].action == "reopen" and steps[-1].cycle == 2
    assert [s.action for s in steps[:n_before]][-1] == "close" and all(s.cycle == 1 for s in steps[:n_before])


def test_wrong_state_and_missing_fields_are_refused(make_case, world):
    case = make_case()
    with pytest.raises(ValidationError) as exc:
        services.implement_plan(world.rm, case.pk, result="x", version=ver(case.pk))
    assert "status" in exc.value.error_dict
    services.accept_case(world.rm, case.pk, version=ver(case.pk))
    with pytest.raises(ValidationError) as exc:
        services.record_investigation(world.rm, case.pk, cause="  ", version=ver(case.pk))
    assert "cause" in exc.value.error_dict


def test_stale_version_is_refused(make_case, world):
    case = make_case()
    services.accept_case(world.rm, case.pk, version=case.version)
    with pytest.raises(StaleVersion) as exc:
        services.record_investigation(world.rm, case.pk, cause="原因", version=case.version)
    assert "version" in exc.value.error_dict
    with pytest.raises(ValidationError) as exc:
        services.record_investigation(world.rm, case.pk, cause="原因", version=None)  # required
    assert "version" in exc.value.error_dict and not isinstance(exc.value, StaleVersion)
    assert Case.objects.get(pk=case.pk).status == CaseStatus.ACCEPTED


def test_close_without_customer_confirmation_needs_supervisor(make_case, world):
    case = make_case()
    _to_proposed(case, world.rm)
    services.decide_plan(world.lead, case.pk, approve=True, version=ver(case.pk))
    services.implement_plan(world.rm, case.pk, result="已处理", version=ver(case.pk))
    services.record_follow_up(world.rm, case.pk, customer_confirmed=False, satisfaction=1, version=ver(case.pk))
    with pytest.raises(ValidationError):
        services.close_case(world.rm, case.pk, version=ver(case.pk))
    services.close_case(world.lead, case.pk, note="客户诉求不合理，主管决定办结", version=ver(case.pk))
    assert Case.objects.get(pk=case.pk).status == CaseStatus.CLOSED


def test_follow_up_satisfaction_range(make_case, world):
    case = make_case()
    _to_proposed(case, world.rm)
    services.decide_plan(world.lead, case.pk, approve=True, version=ver(case.pk))
    services.implement_plan(world.rm, case.pk, result="已处理", version=ver(case.pk))
    with pytest.raises(ValidationError) as exc:
        services.record_follow_up(world.rm, case.pk, customer_confirmed=True, satisfaction=6, version=ver(case.pk))
    assert "satisfaction" in exc.value.error_dict


def test_valid_complaint_flag_by_supervisor_only(make_case, world):
    case = make_case()
    with pytest.raises(PermissionDenied):
        services.assess_case(world.rm, case.pk, is_valid=True, responsibility="bank", version=ver(case.pk))
    with pytest.raises(ValidationError) as exc:
        services.assess_case(world.lead, case.pk, is_valid=True, version=ver(case.pk))
    assert "responsibility" in exc.value.error_dict
    services.assess_case(
        world.lead,
        case.pk,
        is_valid=True,
        responsibility="staff",
        root_cause="attitude",
        responsible_staff_id=world.rm.pk,
        version=ver(case.pk),
    )
    case.refresh_from_db()
    assert case.is_valid and case.responsible_staff == world.rm and case.valid_decided_by == world.lead


def test_register_out_of_scope_customer_refused(make_case, make_customer, world, defaults):
    other = make_customer(world.rm2, world.t2)
    with pytest.raises(ValidationError) as exc:
        services.register_case(
            world.rm,
            customer_id=other.pk,
            kind="complaint",
            channel="phone",
            category_id=defaults.pk,
            severity="normal",
            title="t",
            description="d",
        )
    assert "customer_id" in exc.value.error_dict
    with pytest.raises(PermissionDenied):
        services.register_case(
            world.referrer,
            customer_id=other.pk,
            kind="complaint",
            channel="phone",
            category_id=defaults.pk,
            severity="normal",
            title="t",
            description="d",
        )


def test_assignment_rule_and_manual_assignment(make_case, world, defaults):
    from rmdesk.service.models import AssignmentRule

    AssignmentRule.objects.create(name="严重投诉由团队长负责", severity="serious", target="unit_head")
    case = make_case(severity="serious")
    assert case.owner == world.lead
    services.assign_case(world.lead, case.pk, owner_id=world.rm_b.pk, version=ver(case.pk))
    case.refresh_from_db()
    assert case.owner == world.rm_b and case.org_path == world.t1.path
    with pytest.raises(ValidationError):
        services.assign_case(
            world.lead, case.pk, owner_id=world.rm2.pk, version=ver(case.pk)
        )  # outside the lead's subtree


def test_quality_feedback_form_with_customer_sign_off(make_case, world):
    case = make_case()
    with pytest.raises(StaleVersion):  # "new form" (0) while none exists is fine; any other number is stale
        services.save_feedback(world.rm, case.pk, product="稳健理财 90 天", problem="到期收益低于宣传", version=1)
    fb = services.save_feedback(
        world.rm, case.pk, product="稳健理财 90 天", problem="到期收益低于宣传", quantity="1 笔", version=0
    )
    with pytest.raises(StaleVersion):  # someone else filled it in meanwhile: the second "new form" is refused
        services.save_feedback(world.lead, case.pk, product="理财", problem="收益", version=0)
    with pytest.raises(PermissionDenied):
        services.review_feedback(world.rm, case.pk, version=fb.version)  # the RM who filled it is no reviewer
    fb = services.review_feedback(world.lead, case.pk, note="属实", version=fb.version)
    with pytest.raises(StaleVersion):
        services.confirm_feedback(world.rm, case.pk, signed_name="张三", version=fb.version - 1)
    fb = services.confirm_feedback(world.rm, case.pk, signed_name="张三", version=fb.version)
    assert fb.customer_signed_name == "张三" and fb.customer_signed_at and fb.reviewed_by == world.lead
    with pytest.raises(ValidationError):
        services.save_feedback(world.rm, case.pk, product="x", problem="y", version=fb.version)
