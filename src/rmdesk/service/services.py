"""Business actions of the service app (SPEC §5): one function per action, the acting user first,
the audit event in the same transaction, Chinese validation messages next to the fields. Every step of
a case is an edit of a shared record: it names the version the user saw (rmdesk.core.actions)."""

from contextvars import ContextVar
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from rmdesk.core import approvals, audit
from rmdesk.core.actions import business_action, check_version
from rmdesk.core.approvals import ensure_not_self
from rmdesk.core.models import ApprovalRequest, ApprovalStatus
from rmdesk.core.roles import SUPERVISORS, WORKERS
from rmdesk.core.scope import covers
from rmdesk.customers.scope import visible_customers
from rmdesk.org.models import OrgUnit, User

from . import notify, sla
from .models import (
    AssignmentRule,
    AssignmentTarget,
    Case,
    CaseAttachment,
    CaseCategory,
    CaseCheck,
    CaseKind,
    CaseStatus,
    CaseStep,
    Channel,
    QualityFeedback,
    Responsibility,
    RootCause,
    Severity,
)
from .scope import get_case_or_404, visible_cases

#: who registers a complaint or service request (docs/roles.md: read-only roles do not)
REGISTER_ROLES = WORKERS
SUPERVISOR_ROLES = SUPERVISORS


# --- helpers -----------------------------------------------------------------------------------


def _locked_case(user, case_id) -> Case:
    get_case_or_404(user, case_id)  # 404 when out of read scope
    case = visible_cases(user, write=True).select_for_update().filter(pk=case_id).first()
    if case is None:
        raise PermissionDenied(_("您对该工单只有查看权限。"))
    return case


def _edit_case(user, case_id, version) -> Case:
    """The case locked for a step, at the version the user saw (required; a stale one: StaleVersion)."""
    case = _locked_case(user, case_id)
    check_version(case, version)
    return case


def is_supervisor_of(user, case: Case) -> bool:
    """A team lead or branch manager whose subtree covers the responsible unit or the customer's unit."""
    if not user.has_role(*SUPERVISOR_ROLES):
        return False
    return covers(user, case.org_path, write=True) or covers(user, case.customer_path, write=True)


def _require_supervisor(user, case):
    if not is_supervisor_of(user, case):
        raise PermissionDenied(_("只有责任机构的主管可以执行此操作。"))


def _require_status(case, *statuses):
    if case.status not in statuses:
        raise ValidationError(
            {"status": [_("工单当前状态为“%(s)s”，不能执行此操作。") % {"s": case.get_status_display()}]}
        )


def _required(**fields):
    errors = {
        k: [_("此项为必填项。")] for k, v in fields.items() if v is None or (isinstance(v, str) and not v.strip())
    }
    if errors:
        raise ValidationError(errors)


def _step(case, actor, action, status_from, note="", now=None, **data):
    CaseStep.objects.create(
        case=case,
        action=action,
        actor=actor,
        at=now or timezone.now(),
        status_from=status_from,
        status_to=case.status,
        note=note,
        data=data,
        cycle=case.cycle,
    )


def _save(case, actor, action, status_from, *, note="", now=None, before=None, **data):
    case.version += 1
    case.save()
    _step(case, actor, action, status_from, note, now, **data)
    audit.record(
        actor,
        f"service.{action}",
        case,
        before=before or {"status": status_from},
        after={"status": case.status, **{k: str(v) for k, v in data.items()}},
    )
    return case


def _home_unit(user):
    return user.team or user.unit


# --- assignment ---------------------------------------------------------------------------------


def _rule_owner(customer, kind, category, severity, channel):
    """Apply the first matching assignment rule; default: the customer's A-post RM (SPEC §5)."""
    for rule in AssignmentRule.objects.filter(is_active=True).select_related("user"):
        if (
            (rule.kind and rule.kind != kind)
            or (rule.category_id and rule.category_id != category.pk)
            or (rule.severity and rule.severity != severity)
            or (rule.channel and rule.channel != channel)
        ):
            continue
        if rule.target == AssignmentTarget.USER and rule.user and rule.user.is_active:
            return rule.user
        if rule.target == AssignmentTarget.UNIT_HEAD:
            heads = sla.unit_heads(customer.org_unit)
            if heads:
                return heads[0]
        if rule.target == AssignmentTarget.A_RM and customer.a_rm:
            return customer.a_rm
    return customer.a_rm


@business_action(roles=WORKERS)
def register_case(
    user, *, customer_id, kind, channel, category_id, severity, title, description, product="", owner_id=None, now=None
) -> Case:
    """登记: register a complaint or service request from any channel (SPEC §5). The responsible
    person comes from the assignment rules (default the A-post RM) unless a supervisor names one;
    the SLA policy fixes the deadlines; serious cases notify the supervisor at once."""
    now = now or timezone.now()
    if not user.has_role(*REGISTER_ROLES):
        raise PermissionDenied(_("您无权登记投诉或服务请求。"))
    _required(title=title, description=description, channel=channel, category_id=category_id)
    errors = {}
    customer = (
        visible_customers(user).select_related("org_unit", "a_rm").filter(pk=customer_id).first()
        if customer_id
        else None
    )
    if customer is None:
        errors["customer_id"] = [_("客户不存在或不在您的管辖范围内。")]
    if kind not in CaseKind.values:
        errors["kind"] = [_("类型无效。")]
    if channel not in Channel.values:
        errors["channel"] = [_("渠道无效。")]
    if severity not in Severity.values:
        errors["severity"] = [_("严重程度无效。")]
    category = CaseCategory.objects.filter(pk=category_id, is_active=True).first()
    if category is None:
        errors["category_id"] = [_("类别无效。")]
    if errors:
        raise ValidationError(errors)
    owner = None
    if owner_id:
        owner = User.objects.filter(pk=owner_id, is_active=True).first()
        if owner is None:
            raise ValidationError({"owner_id": [_("责任人不存在。")]})
    else:
        owner = _rule_owner(customer, kind, category, severity, channel)
    if owner is None:
        owner = user
    unit = _home_unit(owner) or customer.org_unit
    case = Case(
        kind=kind,
        channel=channel,
        category=category,
        severity=severity,
        customer=customer,
        product=product or "",
        title=title.strip(),
        description=description.strip(),
        responsible_unit=unit,
        owner=owner,
        org_path=unit.path,
        customer_path=customer.org_path,
        registered_by=user,
        registered_at=now,
    )
    if owner_id:
        probe = Case(org_path=unit.path, customer_path=customer.org_path)
        if owner.pk != user.pk and not is_supervisor_of(user, probe):
            raise ValidationError({"owner_id": [_("只有主管可以手工指定责任人。")]})
    case.policy = sla.policy_for(category, severity)
    sla.set_deadlines(case, now)
    case.save()
    case.number = f"{'TS' if kind == CaseKind.COMPLAINT else 'FW'}{timezone.localtime(now):%Y%m%d}{case.pk:06d}"
    case.save(update_fields=["number"])
    CaseCheck.objects.bulk_create(  # the category's checklist as it stands today (issue 19)
        CaseCheck(case=case, order=item.order, text=item.text)
        for item in category.checklist_items.filter(is_active=True).order_by("order")
    )
    _step(case, user, "register", "", description[:500], now, channel=channel, owner=owner.pk)
    audit.record(
        user,
        "service.register",
        case,
        after={"number": case.number, "customer": customer.pk, "owner": owner.pk, "severity": severity},
    )
    if owner.pk != user.pk:
        notify.send(
            owner,
            "service.assigned",
            _("新工单：%(no)s %(t)s") % {"no": case.number, "t": case.title},
            url=sla._url(case),
            obj=case,
            due_at=case.ack_due_at,
        )
    if case.policy and (case.policy.notify_supervisor_at_once or severity == Severity.SERIOUS):
        sla.notify_serious(case, now)
    return case


@business_action(roles=SUPERVISORS, subject=get_case_or_404)
def assign_case(user, case_id, *, owner_id, version, note="") -> Case:
    """Hand a case to another responsible person (by hand, a supervisor's action, SPEC §5)."""
    case = _edit_case(user, case_id, version)
    _require_supervisor(user, case)
    _require_status(case, *[s for s in CaseStatus.values if s != CaseStatus.CLOSED])
    owner = User.objects.filter(pk=owner_id, is_active=True).first()
    if owner is None:
        raise ValidationError({"owner_id": [_("责任人不存在。")]})
    unit = _home_unit(owner)
    if unit is None or not covers(user, unit.path, write=True):
        raise ValidationError({"owner_id": [_("责任人必须在您管辖的机构内。")]})
    before = {"owner": case.owner_id, "unit": case.responsible_unit_id}
    case.owner, case.responsible_unit, case.org_path = owner, unit, unit.path
    _save(case, user, "assign", case.status, note=note, before=before, owner=owner.pk)
    notify.send(
        owner, "service.assigned", _("工单转派给您：%(no)s") % {"no": case.number}, url=sla._url(case), obj=case
    )
    return case


# --- the flow -----------------------------------------------------------------------------------


@business_action(roles=WORKERS, subject=get_case_or_404)
def accept_case(user, case_id, *, note="", version, now=None) -> Case:
    """受理: acknowledge the case; stops the acknowledgement timer (SPEC §5)."""
    now = now or timezone.now()
    case = _edit_case(user, case_id, version)
    _require_status(case, CaseStatus.REGISTERED)
    frm = case.status
    case.status, case.acknowledged_at = CaseStatus.ACCEPTED, now
    return _save(case, user, "accept", frm, note=note, now=now)


@business_action(roles=WORKERS, subject=get_case_or_404)
def record_investigation(user, case_id, *, cause, root_cause="", version, now=None) -> Case:
    """调查原因: the responsible unit records the cause it found (SPEC §5)."""
    case = _edit_case(user, case_id, version)
    _require_status(case, CaseStatus.ACCEPTED, CaseStatus.INVESTIGATED)
    _required(cause=cause)
    if root_cause and root_cause not in RootCause.values:
        raise ValidationError({"root_cause": [_("根因类别无效。")]})
    frm = case.status
    case.cause, case.status = cause.strip(), CaseStatus.INVESTIGATED
    if root_cause:
        case.root_cause = root_cause
    return _save(case, user, "investigate", frm, note=cause, now=now, root_cause=root_cause)


# --- 主管批示 through the approval inbox (rmdesk.core.approvals) -----------------------------------------

#: the approval kind of a complaint's handling plan (one-step chain by default: the supervisors above
#: the responsible unit; administrators may configure a longer chain for the kind)
PLAN_KIND = "service.plan"
#: the time of the decision being carried out (the demo replays past decisions); now when unset
_decided_at: ContextVar = ContextVar("service_plan_decided_at", default=None)


def _proposal_step_id(case):
    """The case's current proposal: the id of its latest 提交方案 step."""
    return case.steps.filter(action="propose").order_by("-id").values_list("id", flat=True).first()


def plan_request(case) -> ApprovalRequest | None:
    """The pending approval request of the case's current plan, if any."""
    current = _proposal_step_id(case)
    for req in ApprovalRequest.objects.filter(
        kind=PLAN_KIND, payload__case_id=case.pk, status=ApprovalStatus.PENDING
    ).order_by("-id"):
        if req.payload.get("step_id") == current:
            return req
    return None


def _submit_plan(user, case, plan):
    """Ask for the supervisor's instruction in the inbox: the proposer's request returned for rework is
    submitted again (a new round of the same request), otherwise a new request is opened."""
    payload = {"case_id": case.pk, "step_id": _proposal_step_id(case)}
    mine = list(
        ApprovalRequest.objects.filter(
            kind=PLAN_KIND,
            payload__case_id=case.pk,
            requested_by=user,
            status__in=(ApprovalStatus.PENDING, ApprovalStatus.RETURNED),
        ).order_by("-id")
    )
    for req in mine:
        if req.status == ApprovalStatus.PENDING:  # resubmitted from the inbox without a new plan: withdrawn
            approvals.cancel(user, req.pk, version=req.version)
    returned = next((r for r in mine if r.status == ApprovalStatus.RETURNED), None)
    if returned is not None:
        return approvals.resubmit(user, returned.pk, version=returned.version, reason=plan, payload=payload)
    return approvals.request_approval(
        user,
        PLAN_KIND,
        _("投诉处理方案批示：%(no)s") % {"no": case.number},
        payload,
        unit=case.responsible_unit,
        reason=plan,
    )


@business_action(roles=WORKERS, subject=get_case_or_404)
def propose_plan(user, case_id, *, plan, version, now=None) -> Case:
    """提交方案: propose the handling plan for the supervisor's instruction (SPEC §5); the request
    waits in the approval inbox (审批中心) of the supervisors above the responsible unit."""
    now = now or timezone.now()
    case = _edit_case(user, case_id, version)
    _require_status(case, CaseStatus.INVESTIGATED)
    _required(plan=plan)
    frm = case.status
    case.plan, case.plan_by, case.plan_at, case.status = plan.strip(), user, now, CaseStatus.PROPOSED
    _save(case, user, "propose", frm, note=plan, now=now)
    _submit_plan(user, case, case.plan)
    return case


def may_decide_plan(user, case) -> bool:
    """Whether `user` may give the 主管批示 of the case's current plan now (the inbox's rule)."""
    if case.status != CaseStatus.PROPOSED or case.plan_by_id == user.pk or not is_supervisor_of(user, case):
        return False
    req = plan_request(case)
    return req is None or approvals.may_decide(user, req)


@business_action(roles=SUPERVISORS, subject=get_case_or_404)
def decide_plan(user, case_id, *, approve: bool, version, instruction="", now=None) -> Case:
    """主管批示 from the case page: decides the case's request in the approval inbox, the one path of
    the decision (rmdesk.core.approvals.decide; the handler below carries the transition out). The
    proposer can never approve (maker-checker, SPEC §1, §5); a rejection needs an instruction and sends
    the case back to investigation."""
    case = _edit_case(user, case_id, version)
    _require_status(case, CaseStatus.PROPOSED)
    ensure_not_self(case.plan_by, user)
    _require_supervisor(user, case)
    if not approve:
        _required(instruction=instruction)
    req = plan_request(case)
    if req is None:  # proposed before plans went through the inbox: open its request now
        req = approvals.request_approval(
            case.plan_by,
            PLAN_KIND,
            _("投诉处理方案批示：%(no)s") % {"no": case.number},
            {"case_id": case.pk, "step_id": _proposal_step_id(case)},
            unit=case.responsible_unit,
            reason=case.plan,
        )
    token = _decided_at.set(now)
    try:
        approvals.decide(
            user, req.pk, "approve" if approve else "reject", opinion=(instruction or "").strip(), version=req.version
        )
    finally:
        _decided_at.reset(token)
    case.refresh_from_db()
    return case


def _plan_case(req) -> Case:
    case = Case.objects.select_for_update().filter(pk=req.payload.get("case_id")).first()
    if case is None:
        raise Http404
    _require_status(case, CaseStatus.PROPOSED)
    return case


def _plan_decided(checker, req, case, action, frm, now):
    opinion = (req.comment or "").strip()
    _save(case, checker, action, frm, note=opinion, now=now)
    if case.owner_id != req.requested_by_id:  # the proposer hears it from the inbox
        notify.send(
            case.owner,
            "service.decided",
            (_("方案已批示：%(no)s") if action == "approve" else _("方案被退回：%(no)s")) % {"no": case.number},
            url=sla._url(case),
            obj=case,
        )


def on_plan_approved(checker, req):
    """The plan was approved (the chain's last step): the case moves on to 实施."""
    case = _plan_case(req)
    now = _decided_at.get() or timezone.now()
    frm = case.status
    case.instruction = (req.comment or "").strip()
    case.status, case.approved_by, case.approved_at = CaseStatus.APPROVED, checker, now
    _plan_decided(checker, req, case, "approve", frm, now)


def _plan_sent_back(checker, req, action):
    if not (req.comment or "").strip():
        raise ValidationError({"instruction": [_("退回方案时请填写批示意见。")]})
    case = _plan_case(req)
    frm = case.status
    case.instruction, case.status = req.comment.strip(), CaseStatus.INVESTIGATED
    _plan_decided(checker, req, case, action, frm, _decided_at.get() or timezone.now())


def on_plan_rejected(checker, req):
    """The plan was refused: the case goes back to investigation with the instruction."""
    _plan_sent_back(checker, req, "reject")


def on_plan_returned(checker, req):
    """The plan was returned for rework: back to investigation; proposing again resubmits the request."""
    _plan_sent_back(checker, req, "return")


def may_decide_plan_request(checker, req) -> bool:
    """The inbox's further condition: a supervisor of the case (is_supervisor_of), never its proposer,
    and only the case's current proposal while it waits for the instruction."""
    case = Case.objects.filter(pk=req.payload.get("case_id")).first()
    if case is None or case.status != CaseStatus.PROPOSED or case.plan_by_id == checker.pk:
        return False
    return req.payload.get("step_id") == _proposal_step_id(case) and is_supervisor_of(checker, case)


@business_action(roles=WORKERS, subject=get_case_or_404)
def implement_plan(user, case_id, *, result, version, now=None) -> Case:
    """实施: carry out the approved plan and answer the customer; stops the answer timer (SPEC §5)."""
    now = now or timezone.now()
    case = _edit_case(user, case_id, version)
    _require_status(case, CaseStatus.APPROVED)
    _required(result=result)
    if case.category.requires_feedback:  # seed 001 §4.6.3: the exchange follows the supervisor's review
        fb = QualityFeedback.objects.filter(case=case).first()
        if fb is None or fb.reviewed_at is None:
            raise ValidationError({"feedback": [_("该类别须先填写质量反馈单并经主管审核，才能实施。")]})
    frm = case.status
    case.result, case.status, case.answered_at = result.strip(), CaseStatus.IMPLEMENTED, now
    if case.paused_at:
        sla.shift_for_pause(case, now)
    return _save(case, user, "implement", frm, note=result, now=now)


@business_action(roles=WORKERS, subject=get_case_or_404)
def record_follow_up(
    user, case_id, *, customer_confirmed: bool, satisfaction: int | None, note="", version, now=None
) -> Case:
    """回访: the customer's confirmation and satisfaction (1–5) are captured (SPEC §5)."""
    case = _edit_case(user, case_id, version)
    _require_status(case, CaseStatus.IMPLEMENTED)
    if satisfaction is None or not 1 <= int(satisfaction) <= 5:
        raise ValidationError({"satisfaction": [_("满意度须为 1–5 分。")]})
    frm = case.status
    case.customer_confirmed, case.satisfaction = bool(customer_confirmed), int(satisfaction)
    case.follow_up_note, case.status = note or "", CaseStatus.VISITED
    return _save(
        case,
        user,
        "follow_up",
        frm,
        note=note,
        now=now,
        confirmed=bool(customer_confirmed),
        satisfaction=int(satisfaction),
    )


@business_action(roles=WORKERS, subject=get_case_or_404)
def close_case(user, case_id, *, note="", version, now=None) -> Case:
    """关闭: close after the follow-up visit. Without the customer's confirmation only a supervisor may close."""
    now = now or timezone.now()
    case = _edit_case(user, case_id, version)
    _require_status(case, CaseStatus.VISITED)
    if not case.customer_confirmed and not is_supervisor_of(user, case):
        raise ValidationError({"status": [_("客户未确认处理结果，须由主管关闭或重新处理。")]})
    errors = {}
    if case.category.requires_feedback:  # seed 001 §4.6.4: the customer signs the form's 客户确认
        fb = QualityFeedback.objects.filter(case=case).first()
        if fb is None or fb.customer_signed_at is None:
            errors["feedback"] = [_("质量反馈单尚未经客户签字确认，不能关闭。")]
    pending = [c.text for c in case.checks.filter(done_at__isnull=True)]
    if pending:
        errors["checklist"] = [
            _("检查清单尚有 %(n)s 项未完成：%(items)s") % {"n": len(pending), "items": "；".join(pending)}
        ]
    if errors:
        raise ValidationError(errors)
    frm = case.status
    case.status, case.closed_at, case.paused_at = CaseStatus.CLOSED, now, None
    return _save(case, user, "close", frm, note=note, now=now)


@business_action(roles=WORKERS, subject=get_case_or_404)
def check_item(user, case_id, *, order, done: bool, note="", version, now=None) -> CaseCheck:
    """Tick (or untick) one item of the case's checklist (issue 19; seed 001 §4.3 入网/退网 standard), with
    who and when; a closed case's checklist is final. An edit of the case: `version` is the case's."""
    now = now or timezone.now()
    case = _edit_case(user, case_id, version)
    if case.status == CaseStatus.CLOSED:
        raise ValidationError({"status": [_("工单已关闭，检查清单不能再修改。")]})
    check = case.checks.select_for_update().filter(order=order).first() if str(order).isdigit() else None
    if check is None:
        raise ValidationError({"order": [_("该工单没有这一检查事项。")]})
    note = (note or "").strip()
    if len(note) > 200:
        raise ValidationError({"note": [_("说明不能超过 200 字。")]})
    before = {"order": check.order, "done": check.done, "note": check.note}
    if done:
        check.done_by, check.done_at = user, now
    else:
        check.done_by = check.done_at = None
    check.note = note
    check.save()
    _save(case, user, "check", case.status, note=check.text, now=now, before=before, order=check.order, done=bool(done))
    return check


@business_action(roles=WORKERS, subject=get_case_or_404)
def reopen_case(user, case_id, *, reason, version, now=None) -> Case:
    """重开: a closed or followed-up case goes back to investigation in a new cycle; its history
    stays and a new answer deadline runs from now (SPEC §5)."""
    now = now or timezone.now()
    case = _edit_case(user, case_id, version)
    _require_status(case, CaseStatus.CLOSED, CaseStatus.VISITED)
    _required(reason=reason)
    frm = case.status
    case.cycle += 1
    case.reopen_count += 1
    case.status = CaseStatus.ACCEPTED
    case.closed_at = case.answered_at = case.approved_at = case.approved_by = None
    case.customer_confirmed = case.satisfaction = None
    case.escalation_level = 0
    if case.acknowledged_at is None:
        case.acknowledged_at = now
    sla.set_deadlines(case, now, ack=False)
    return _save(case, user, "reopen", frm, note=reason, now=now)


@business_action(roles=WORKERS, subject=get_case_or_404)
def pause_case(user, case_id, *, reason, version, now=None) -> Case:
    """等待客户: the SLA timers stand still while the case waits for the customer (SPEC §5)."""
    now = now or timezone.now()
    case = _edit_case(user, case_id, version)
    if case.status == CaseStatus.CLOSED or case.paused_at is not None:
        raise ValidationError({"status": [_("工单已关闭或已在等待客户。")]})
    _required(reason=reason)
    case.paused_at, case.pause_reason = now, reason.strip()
    return _save(case, user, "pause", case.status, note=reason, now=now)


@business_action(roles=WORKERS, subject=get_case_or_404)
def resume_case(user, case_id, *, note="", version, now=None) -> Case:
    """Resume the timers; every open deadline moves by the working time spent waiting (SPEC §5)."""
    now = now or timezone.now()
    case = _edit_case(user, case_id, version)
    if case.paused_at is None:
        raise ValidationError({"status": [_("工单不在等待客户状态。")]})
    waited = sla.shift_for_pause(case, now)
    case.pause_reason = ""
    return _save(case, user, "resume", case.status, note=note, now=now, waited_seconds=int(waited.total_seconds()))


@business_action(roles=SUPERVISORS, subject=get_case_or_404)
def assess_case(
    user, case_id, *, is_valid: bool, responsibility="", root_cause="", responsible_staff_id=None, note="", version
) -> Case:
    """有效投诉认定: the supervisor decides whether a complaint is valid, who is responsible and the root
    cause (SPEC §5; valid complaints feed §9 assessment)."""
    case = _edit_case(user, case_id, version)
    _require_supervisor(user, case)
    if case.kind != CaseKind.COMPLAINT:
        raise ValidationError({"is_valid": [_("只有投诉需要认定是否有效。")]})
    errors = {}
    if responsibility and responsibility not in Responsibility.values:
        errors["responsibility"] = [_("责任归属无效。")]
    if root_cause and root_cause not in RootCause.values:
        errors["root_cause"] = [_("根因类别无效。")]
    if is_valid and not responsibility:
        errors["responsibility"] = [_("有效投诉须认定责任归属。")]
    staff = None
    if responsible_staff_id:
        staff = User.objects.filter(pk=responsible_staff_id).first()
        if staff is None:
            errors["responsible_staff_id"] = [_("人员不存在。")]
    if errors:
        raise ValidationError(errors)
    before = {"is_valid": case.is_valid, "responsibility": case.responsibility}
    case.is_valid, case.responsibility, case.responsible_staff = bool(is_valid), responsibility, staff
    if root_cause:
        case.root_cause = root_cause
    case.valid_decided_by, case.valid_decided_at = user, timezone.now()
    return _save(
        case,
        user,
        "assess",
        case.status,
        note=note,
        before=before,
        is_valid=bool(is_valid),
        responsibility=responsibility,
    )


@business_action(roles=WORKERS, subject=get_case_or_404)
def add_attachment(user, case_id, *, uploaded_file) -> CaseAttachment:
    """Attach a document (letter, screenshot, voucher) to a case."""
    case = _locked_case(user, case_id)
    if uploaded_file is None:
        raise ValidationError({"file": [_("请选择文件。")]})
    if uploaded_file.size > 10 * 1024 * 1024:
        raise ValidationError({"file": [_("附件不能超过 10 MB。")]})
    att = CaseAttachment.objects.create(case=case, file=uploaded_file, name=uploaded_file.name[:200], uploaded_by=user)
    _step(case, user, "attach", case.status, att.name)
    audit.record(user, "service.attach", case, after={"file": att.name})
    return att


# --- quality feedback form (商品及服务质量信息反馈单) --------------------------------------------------


@business_action(roles=WORKERS, subject=get_case_or_404)
def save_feedback(
    user, case_id, *, product, problem, version, quantity="", customer_opinion="", handling=""
) -> QualityFeedback:
    """Fill in or update the product/service quality feedback form (seed 001 §4.6). `version` is the
    form's version as read, 0 when the case had none (two people filling it in at once: one is refused)."""
    case = _locked_case(user, case_id)
    fb = QualityFeedback.objects.select_for_update().filter(case=case).first()
    check_version(fb or QualityFeedback(version=0), version)
    _required(product=product, problem=problem)
    if fb is not None:
        if fb.customer_signed_at:
            raise ValidationError({"product": [_("客户已签字确认，反馈单不能再修改。")]})
        fb.version += 1
    else:
        fb = QualityFeedback(case=case, filled_by=user)
    fb.product, fb.problem, fb.quantity = product.strip(), problem.strip(), quantity or ""
    fb.customer_opinion, fb.handling = customer_opinion or "", handling or ""
    fb.save()
    _step(case, user, "feedback", case.status, product)
    audit.record(user, "service.feedback_save", fb, after={"case": case.pk, "product": product})
    return fb


def _locked_feedback(case, version) -> QualityFeedback:
    fb = QualityFeedback.objects.select_for_update().filter(case=case).first()
    if fb is None:
        raise Http404
    check_version(fb, version)
    return fb


@business_action(roles=SUPERVISORS, subject=get_case_or_404)
def review_feedback(user, case_id, *, version, note="") -> QualityFeedback:
    """The supervisor (区域市场经理) reviews the feedback form (never the one who filled it in)."""
    case = _locked_case(user, case_id)
    _require_supervisor(user, case)
    fb = _locked_feedback(case, version)
    ensure_not_self(fb.filled_by, user)
    fb.reviewed_by, fb.reviewed_at, fb.review_note = user, timezone.now(), note or ""
    fb.version += 1
    fb.save()
    _step(case, user, "feedback_review", case.status, note)
    audit.record(user, "service.feedback_review", fb, after={"note": note})
    return fb


@business_action(roles=WORKERS, subject=get_case_or_404)
def confirm_feedback(user, case_id, *, signed_name, version) -> QualityFeedback:
    """客户确认: record the customer's signature on the feedback form (name and time)."""
    case = _locked_case(user, case_id)
    fb = _locked_feedback(case, version)
    _required(signed_name=signed_name)
    if fb.customer_signed_at:
        raise ValidationError({"signed_name": [_("客户已签字确认。")]})
    fb.customer_signed_name, fb.customer_signed_at = signed_name.strip(), timezone.now()
    fb.version += 1
    fb.save()
    _step(case, user, "feedback_sign", case.status, signed_name)
    audit.record(user, "service.feedback_sign", fb, after={"signed_name": signed_name})
    return fb


# --- SLA figures ---------------------------------------------------------------------------------


def sla_stats(user, *, group="rm", start: datetime | None = None, end: datetime | None = None) -> list[dict]:
    """SLA figures per RM (owner), team or unit over the cases the user may see (SPEC §5)."""
    from django.db.models import Count, Q

    qs = visible_cases(user)
    if start:
        qs = qs.filter(registered_at__gte=start)
    if end:
        qs = qs.filter(registered_at__lt=end)
    key = {"rm": "owner", "team": "owner__team", "unit": "responsible_unit"}.get(group, "owner")
    rows = (
        qs.values(key)
        .annotate(
            total=Count("id"),
            open=Count("id", filter=~Q(status=CaseStatus.CLOSED)),
            acked=Count("id", filter=Q(acknowledged_at__isnull=False)),
            ack_late=Count("id", filter=Q(ack_breached=True)),
            answered=Count("id", filter=Q(answered_at__isnull=False)),
            answer_late=Count("id", filter=Q(answer_breached=True)),
            breached=Count("id", filter=Q(ack_breached=True) | Q(answer_breached=True)),
            escalated=Count("id", filter=Q(escalation_level__gt=0)),
            valid=Count("id", filter=Q(is_valid=True)),
        )
        .order_by(key)
    )
    ids = [r[key] for r in rows if r[key]]
    names = (
        {u.pk: u.display_name for u in User.objects.filter(pk__in=ids)}
        if group == "rm"
        else {u.pk: u.name for u in OrgUnit.objects.filter(pk__in=ids)}
    )
    out = []
    for r in rows:
        total = r["total"]
        on_time = total - r["breached"]
        out.append(
            {
                "key": r[key],
                "name": names.get(r[key], _("（未归属）")),
                "total": total,
                "open": r["open"],
                "ack_late": r["ack_late"],
                "answer_late": r["answer_late"],
                "breached": r["breached"],
                "escalated": r["escalated"],
                "valid_complaints": r["valid"],
                "on_time_rate": round(on_time * 100 / total, 1) if total else None,
            }
        )
    return out
