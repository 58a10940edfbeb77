"""Business actions of the compliance app (合规, SPEC §8): one function per action, the acting user
first, the audit event in the same transaction, field-named Chinese errors (422 in the API), nothing
written when an action is refused.

- pledges: compliance publishes template versions and opens signing rounds; each person signs their
  own pledge once, after reading it (the text they read is what is stored and hashed);
- violations: a supervisor or compliance officer reports; the person states their case (or waives
  it, or the statement period ends); compliance — never the reporter — decides through the chain
  "compliance.violation"; a confirmed violation takes the next rung of the penalty ladder;
- gifts: refused or handed in is recorded; acceptance only under the threshold, approved by a
  supervisor; compliance reviews every entry;
- special service: the branch manager approves a door-to-door visit in advance; the work app asks
  `interaction_guard` before recording a door-to-door contact (core.hooks.InteractionGuard);
- anomalies from the audit trail and A/B cross-reviews (anomalies.py computes the findings).
"""

from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from rmdesk.core import approvals, audit, calendar
from rmdesk.core.actions import EVERYONE, business_action, check_version, in_scope
from rmdesk.core.models import ApprovalRequest, DecisionKind
from rmdesk.core.notifications import notify_after_commit
from rmdesk.core.roles import SUPERVISORS, WORKERS, RoleCode
from rmdesk.core.scope import get_or_404
from rmdesk.customers.scope import visible_customers
from rmdesk.org.models import OrgUnit, StaffStatus, User
from rmdesk.org.scope import visible_staff
from rmdesk.work.models import VisitWorkflow

from .defaults import GIFT_KIND, SERVICE_KIND, VIOLATION_KIND
from .models import (
    LADDER,
    ConductRule,
    ConductRuleSet,
    CrossReview,
    FeeEntitlement,
    FeeGrant,
    FeeKind,
    Finding,
    FindingStatus,
    GiftEntry,
    GiftOutcome,
    GiftStatus,
    Obligation,
    PledgeKind,
    PledgeTemplate,
    RoundStatus,
    ServiceStatus,
    Signature,
    SigningRound,
    SpecialService,
    Threshold,
    Violation,
    ViolationStatus,
)
from .scope import (
    is_officer,
    visible_findings,
    visible_gifts,
    visible_obligations,
    visible_reviews,
    visible_rounds,
    visible_violations,
)

OFFICERS = (RoleCode.COMPLIANCE,)
#: who reports a violation: compliance and the supervisors who find it (SPEC §8 "found by whom")
REPORTERS = (RoleCode.COMPLIANCE, *SUPERVISORS)
#: everyone on the staff who may be offered a gift (administrators are not customer-facing)
STAFF = (*WORKERS, RoleCode.RISK, RoleCode.COMPLIANCE, RoleCode.ASSISTANT, RoleCode.REFERRER)
#: roles a signing round may target
ROUND_ROLES = tuple(c for c in RoleCode.values if c != RoleCode.ADMIN)


def _err(field, message):
    return ValidationError({field: [message]})


def threshold(code: str, default: Decimal = Decimal(0)) -> Decimal:
    value = Threshold.objects.filter(code=code).values_list("value", flat=True).first()
    return default if value is None else value


def staff_path(user) -> str:
    unit = user.team or user.unit
    return unit.path if unit else ""


def _home(user):
    return user.team or user.unit


def _url(name, *args) -> str:
    return reverse(f"compliance:{name}", args=args)


# --- pledges ------------------------------------------------------------------------------------------


@business_action(roles=(RoleCode.COMPLIANCE, RoleCode.ADMIN))
def publish_template(
    actor, *, kind: str, title: str, body: str, signature_block: str = "", is_public: bool = False
) -> PledgeTemplate:
    """Publish a pledge text as the next version of its kind (SPEC §8 "templates, versioned"): the
    earlier versions stay, since signatures point to the version signed."""
    errors = {}
    if kind not in PledgeKind.values:
        errors["kind"] = [_("请选择承诺书类型。")]
    if not (title or "").strip():
        errors["title"] = [_("请填写标题。")]
    if len((body or "").strip()) < 10:
        errors["body"] = [_("请填写承诺书正文。")]
    block = (signature_block or "").strip() or "承诺人:{signer}\n\n签署日期:{date}"
    if "{signer}" not in block or "{date}" not in block:
        errors["signature_block"] = [_("签署栏须包含 {signer} 和 {date}。")]
    if errors:
        raise ValidationError(errors)
    last = PledgeTemplate.objects.filter(kind=kind).order_by("-version").values_list("version", flat=True).first()
    template = PledgeTemplate.objects.create(
        kind=kind,
        title=title.strip(),
        version=(last or 0) + 1,
        body=body.strip(),
        signature_block=block,
        is_public=is_public,
        created_by=actor,
        source=_("发布"),
    )
    audit.record(actor, "compliance.template_publish", template, after={"kind": kind, "version": template.version})
    return template


def latest_templates():
    """The newest version of each kind."""
    seen, out = set(), []
    for t in PledgeTemplate.objects.order_by("kind", "-version"):
        if t.kind not in seen:
            seen.add(t.kind)
            out.append(t)
    return out


def signing_text(template: PledgeTemplate, signer, day: date) -> str:
    """The exact text a person signs: the template's body, then its signature block with their name
    and the date filled in (the copy they read is the copy stored and hashed)."""
    name = signer.display_name
    if signer.employee_no:
        name = f"{name}({signer.employee_no})"
    block = template.signature_block.replace("{signer}", name).replace(
        "{date}", f"{day.year}年{day.month}月{day.day}日"
    )
    return f"{template.body}\n\n{block}"


def _staff_for_round(unit: OrgUnit, roles) -> list:
    return list(
        User.objects.filter(is_active=True, roles__code__in=roles)
        .exclude(status=StaffStatus.LEFT)
        .filter(Q(unit__path__startswith=unit.path) | Q(team__path__startswith=unit.path))
        .select_related("unit", "team")
        .distinct()
        .order_by("id")
    )


@business_action(roles=OFFICERS)
def open_round(actor, *, template_id: int, unit_id: int, roles, deadline: date, name: str = "") -> SigningRound:
    """Open a signing round (SPEC §8): a template version, the staff of a unit's subtree holding the
    roles, a deadline; one obligation per person, each told to sign."""
    errors = {}
    template = PledgeTemplate.objects.filter(pk=template_id).first()
    if template is None:
        errors["template_id"] = [_("承诺书模板不存在。")]
    unit = OrgUnit.objects.filter(pk=unit_id).first()
    if unit is None or not actor.unit or not unit.path.startswith(actor.unit.path):
        errors["unit_id"] = [_("机构不存在或不在您的管辖范围内。")]
    roles = [r for r in (roles or []) if r]
    if not roles or any(r not in ROUND_ROLES for r in roles):
        errors["roles"] = [_("请选择须签署的角色。")]
    today = timezone.localdate()
    if deadline is None or deadline < today:
        errors["deadline"] = [_("截止日期不能早于今天。")]
    if errors:
        raise ValidationError(errors)
    people = _staff_for_round(unit, roles)
    if not people:
        raise _err("roles", _("该机构下没有须签署的员工。"))
    rnd = SigningRound.objects.create(
        name=(name or "").strip() or f"{template.title} {today.year}",
        template=template,
        unit=unit,
        org_path=unit.path,
        roles=sorted(set(roles)),
        deadline=deadline,
        created_by=actor,
    )
    Obligation.objects.bulk_create(
        [
            Obligation(round=rnd, signer=p, org_path=staff_path(p), unit_name=(_home(p).name if _home(p) else ""))
            for p in people
        ]
    )
    for ob in rnd.obligations.select_related("signer"):
        notify_after_commit(
            ob.signer,
            "compliance.sign",
            _("请签署《%(t)s》（截止 %(d)s）") % {"t": template.title, "d": deadline.isoformat()},
            url=_url("obligation", ob.pk),
            obj=ob,
            dedupe_key=f"compliance:sign:{ob.pk}",
        )
    audit.record(actor, "compliance.round_open", rnd, after={"template": template.pk, "people": len(people)})
    return rnd


@business_action(roles=EVERYONE, subject=in_scope(visible_obligations))
def sign(
    actor, obligation_id: int, *, text_sha256: str, read_confirmed: bool, ip=None, user_agent: str = ""
) -> Signature:
    """Sign one's own pledge after reading it (SPEC §8 e-signature): only the person it names, once,
    in an open round; `text_sha256` is the digest of the text shown, so a text that changed since it
    was read is refused rather than signed."""
    get_or_404(visible_obligations(actor), obligation_id)
    ob = Obligation.objects.select_for_update().select_related("round", "round__template").get(pk=obligation_id)
    if ob.signer_id != actor.pk:
        raise PermissionDenied(_("承诺书只能由本人签署，不能代他人签署。"))
    if ob.signed_at is not None or Signature.objects.filter(obligation=ob).exists():
        raise _err("obligation", _("您已签署过本承诺书，不能重复签署。"))
    if ob.round.status != RoundStatus.OPEN:
        raise _err("obligation", _("该签署批次已结束。"))
    if not read_confirmed:
        raise _err("read_confirmed", _("请先阅读承诺书全文并确认。"))
    today = timezone.localdate()
    text = signing_text(ob.round.template, actor, today)
    if (text_sha256 or "").lower() != Signature.digest(text):
        raise _err("text_sha256", _("承诺书内容与您阅读的版本不一致，请刷新后重新阅读。"))
    sig = Signature.objects.create(
        obligation=ob,
        template=ob.round.template,
        signer=actor,
        org_path=ob.org_path,
        ip=ip,
        user_agent=(user_agent or "")[:300],
        text=text,
    )
    ob.signed_at = sig.signed_at
    ob.save(update_fields=["signed_at"])
    audit.record(actor, "compliance.pledge_sign", sig, after={"obligation": ob.pk, "sha256": sig.sha256})
    return sig


def outstanding_by_unit(rnd: SigningRound, user) -> list[dict]:
    """Per unit: how many must sign, how many signed, who is outstanding (in the viewer's scope)."""
    rows = (
        visible_obligations(user)
        .filter(round=rnd)
        .values("org_path", "unit_name")
        .annotate(total=Count("id"), signed=Count("id", filter=Q(signed_at__isnull=False)))
        .order_by("org_path")
    )
    waiting = {}
    for ob in visible_obligations(user).filter(round=rnd, signed_at__isnull=True).select_related("signer"):
        waiting.setdefault(ob.org_path, []).append(ob.signer)
    return [{**r, "outstanding": r["total"] - r["signed"], "people": waiting.get(r["org_path"], [])} for r in rows]


def _round_to_run(actor, round_id) -> SigningRound:
    rnd = get_or_404(visible_rounds(actor), round_id)
    if not visible_rounds(actor, write=True).filter(pk=round_id).exists():
        raise PermissionDenied(_("只有本机构的合规人员可以管理签署批次。"))
    return rnd


@business_action(roles=OFFICERS, subject=in_scope(visible_rounds))
def remind_round(actor, round_id: int) -> int:
    """Remind everyone who has not signed yet (SPEC §8 "outstanding list with reminders")."""
    rnd = _round_to_run(actor, round_id)
    n = _remind(rnd)
    audit.record(actor, "compliance.round_remind", rnd, after={"reminded": n})
    return n


def _remind(rnd) -> int:
    now = timezone.now()
    obs = list(rnd.obligations.filter(signed_at__isnull=True).select_related("signer"))
    for ob in obs:
        notify_after_commit(
            ob.signer,
            "compliance.sign",
            _("提醒：请尽快签署《%(t)s》（截止 %(d)s）") % {"t": rnd.template.title, "d": rnd.deadline.isoformat()},
            url=_url("obligation", ob.pk),
            obj=ob,
            dedupe_key=f"compliance:sign:{ob.pk}",
        )
    Obligation.objects.filter(pk__in=[o.pk for o in obs]).update(reminded_at=now)
    return len(obs)


@business_action(roles=OFFICERS, subject=in_scope(visible_rounds))
def close_round(actor, round_id: int) -> SigningRound:
    rnd = _round_to_run(actor, round_id)
    if rnd.status == RoundStatus.CLOSED:
        raise _err("status", _("该签署批次已结束。"))
    rnd.status = RoundStatus.CLOSED
    rnd.save(update_fields=["status"])
    audit.record(actor, "compliance.round_close", rnd)
    return rnd


# --- violations -------------------------------------------------------------------------------------------


def statement_due(v: Violation) -> date:
    days = int(threshold("statement_days", Decimal(3)))
    return calendar.add_working_days(timezone.localdate(v.reported_at), days)


@business_action(roles=REPORTERS)
def report_violation(actor, *, person_id: int, rule_id: int, occurred_on: date, facts: str, evidence=None) -> Violation:
    """Record a violation (SPEC §8): who, when, which rule, the facts and evidence, found by whom. It
    goes to compliance as a request of the chain "compliance.violation"; the person is told and may
    state their case before it is decided."""
    errors = {}
    person = visible_staff(actor).filter(pk=person_id, is_active=True).exclude(pk=actor.pk).first()
    if person is None:
        errors["person_id"] = [_("当事人不存在或不在您的管辖范围内（不能登记本人）。")]
    rule = ConductRule.objects.filter(pk=rule_id, rule_set__is_active=True).select_related("rule_set").first()
    if rule is None:
        errors["rule_id"] = [_("请选择违反的行为规范条款。")]
    if occurred_on is None or occurred_on > timezone.localdate():
        errors["occurred_on"] = [_("发生日期不能晚于今天。")]
    if len((facts or "").strip()) < 5:
        errors["facts"] = [_("请写明违规事实。")]
    if errors:
        raise ValidationError(errors)
    v = Violation.objects.create(
        person=person,
        rule=rule,
        occurred_on=occurred_on,
        facts=facts.strip(),
        reported_by=actor,
        org_path=staff_path(person),
    )
    if evidence is not None:
        v.evidence.save(evidence.name, evidence, save=True)
    v.approval = approvals.request_approval(
        actor,
        VIOLATION_KIND,
        _("违规认定：%(p)s · %(r)s") % {"p": person.display_name, "r": rule.text[:60]},
        {"violation": v.pk},
        unit=_home(person),
    )
    v.save(update_fields=["approval"])
    notify_after_commit(
        person,
        "compliance.violation",
        _("您有一条违规记录待认定，可在 %(d)s 前申辩") % {"d": statement_due(v).isoformat()},
        url=_url("violation_detail", v.pk),
        obj=v,
    )
    audit.record(actor, "compliance.violation_report", v, after={"person": person.pk, "rule": rule.pk})
    return v


@business_action(roles=EVERYONE, subject=in_scope(visible_violations))
def state_case(actor, violation_id: int, *, statement: str = "", waive: bool = False, version: int) -> Violation:
    """The person states their case (or waives it) before the decision (SPEC §8)."""
    get_or_404(visible_violations(actor), violation_id)
    v = Violation.objects.select_for_update().get(pk=violation_id)
    if v.person_id != actor.pk:
        raise PermissionDenied(_("只有当事人本人可以申辩。"))
    check_version(v, version)
    if v.status != ViolationStatus.PENDING:
        raise _err("status", _("该违规记录已认定，不能再申辩。"))
    if v.may_be_decided:
        raise _err("statement", _("您已申辩或放弃申辩，不能重复提交。"))
    if not waive and len((statement or "").strip()) < 2:
        raise _err("statement", _("请填写申辩内容，或选择放弃申辩。"))
    v.statement = "" if waive else statement.strip()
    v.statement_waived = bool(waive)
    v.statement_at = timezone.now()
    v.version += 1
    v.save(update_fields=["statement", "statement_waived", "statement_at", "version"])
    audit.record(actor, "compliance.violation_statement", v, after={"waived": bool(waive)})
    return v


def ladder_step(person_id: int, *, exclude_id=None) -> int:
    """The rung a newly confirmed violation of this person takes: 0 for the first, one higher for each
    violation confirmed before it, the top rung at most (履职承诺书 art. 7)."""
    prior = Violation.objects.filter(person_id=person_id, status=ViolationStatus.CONFIRMED)
    if exclude_id is not None:
        prior = prior.exclude(pk=exclude_id)
    return min(prior.count(), len(LADDER) - 1)


def decision_problem(checker, v: Violation) -> str | None:
    """Why `checker` may not decide this violation now (None when they may)."""
    if v.reported_by_id == checker.pk:
        return _("违规记录的发现人不能认定本记录。")
    if v.person_id == checker.pk:
        return _("当事人不能认定本人的违规记录。")
    if not v.may_be_decided and timezone.localdate() <= statement_due(v):
        return _("当事人尚未申辩，申辩期限（%(d)s）届满前不能认定。") % {"d": statement_due(v).isoformat()}
    return None


@business_action(roles=OFFICERS, subject=in_scope(visible_violations))
def decide_violation(actor, violation_id: int, *, decision: str, opinion: str = "", version: int) -> Violation:
    """Compliance decides a violation through its chain: never the reporter or the person, and only
    after the person stated their case (or waived it, or the period ended). Confirmation climbs the
    penalty ladder and sets the points assessment deducts (SPEC §8, §9)."""
    get_or_404(visible_violations(actor), violation_id)
    v = visible_violations(actor, write=True).filter(pk=violation_id).select_related("approval").first()
    if v is None:
        raise PermissionDenied(_("该违规记录不在您的认定范围内。"))
    check_version(v, version)
    if v.status != ViolationStatus.PENDING:
        raise _err("status", _("该违规记录已认定。"))
    problem = decision_problem(actor, v)
    if problem:
        raise PermissionDenied(problem)
    if decision not in (DecisionKind.APPROVE, DecisionKind.REJECT):
        raise _err("decision", _("请选择认定或不予认定。"))
    approvals.decide(actor, v.approval_id, decision, opinion=opinion, version=v.approval.version)
    v.refresh_from_db()
    return v


def _violation_of(req) -> Violation | None:
    return Violation.objects.select_for_update().filter(pk=(req.payload or {}).get("violation")).first()


def may_decide_violation(checker, req) -> bool:
    v = Violation.objects.filter(pk=(req.payload or {}).get("violation")).first()
    return v is not None and decision_problem(checker, v) is None


def violation_decisions(checker, req) -> set:
    return {DecisionKind.APPROVE, DecisionKind.REJECT}


def on_violation_approved(checker, req):
    v = _violation_of(req)
    if v is None:
        return
    step = ladder_step(v.person_id, exclude_id=v.pk)
    v.status = ViolationStatus.CONFIRMED
    v.ladder_step = step
    v.penalty = LADDER[step]
    v.points = v.rule.points
    v.decided_by, v.decided_at, v.decision_note = checker, timezone.now(), req.comment
    v.version += 1
    v.save()
    audit.record(checker, "compliance.violation_confirm", v, after={"penalty": v.penalty, "points": v.points})
    notify_after_commit(
        v.person,
        "compliance.violation",
        _("违规记录已认定：%(p)s，扣 %(n)s 分") % {"p": v.get_penalty_display(), "n": v.points},
        url=_url("violation_detail", v.pk),
        obj=v,
    )


def on_violation_rejected(checker, req):
    v = _violation_of(req)
    if v is None:
        return
    v.status = ViolationStatus.DISMISSED
    v.decided_by, v.decided_at, v.decision_note = checker, timezone.now(), req.comment
    v.version += 1
    v.save()
    audit.record(checker, "compliance.violation_dismiss", v)


# --- gifts --------------------------------------------------------------------------------------------------


@business_action(roles=STAFF)
def register_gift(
    actor,
    *,
    giver: str,
    offered_on: date,
    description: str,
    value: Decimal,
    outcome: str,
    customer_id: int | None = None,
) -> GiftEntry:
    """Record a gift or hospitality offered and what was done (SPEC §8): refused or handed in; accepting
    is only possible under the threshold and needs a supervisor's approval; over it, acceptance is
    refused (seeds 001:41, 77 forbid gifts)."""
    errors = {}
    if not (giver or "").strip():
        errors["giver"] = [_("请填写赠送方。")]
    if not (description or "").strip():
        errors["description"] = [_("请填写礼品或宴请内容。")]
    if offered_on is None or offered_on > timezone.localdate():
        errors["offered_on"] = [_("日期不能晚于今天。")]
    if value is None or value < 0:
        errors["value"] = [_("估值不能为负数。")]
    if outcome not in GiftOutcome.values:
        errors["outcome"] = [_("请选择处理方式。")]
    limit = threshold("gift_limit", Decimal(200))
    if outcome == GiftOutcome.ACCEPTED and value is not None and value > limit:
        errors["value"] = [_("估值超过 %(l)s 元的礼品不得接受，请拒收或上交。") % {"l": limit.quantize(Decimal("1"))}]
    customer = None
    if customer_id:
        customer = visible_customers(actor).filter(pk=customer_id).first()
        if customer is None:
            errors["customer_id"] = [_("客户不存在或不在您的管辖范围内。")]
    if errors:
        raise ValidationError(errors)
    gift = GiftEntry.objects.create(
        staff=actor,
        org_path=staff_path(actor),
        customer=customer,
        giver=giver.strip(),
        offered_on=offered_on,
        description=description.strip(),
        value=value,
        outcome=outcome,
        status=GiftStatus.PENDING if outcome == GiftOutcome.ACCEPTED else GiftStatus.RECORDED,
    )
    if outcome == GiftOutcome.ACCEPTED:
        gift.approval = approvals.request_approval(
            actor,
            GIFT_KIND,
            _("礼品接受审批：%(d)s（%(v)s 元）") % {"d": gift.description[:60], "v": value},
            {"gift": gift.pk},
            unit=_home(actor),
            amount=value,
        )
        gift.save(update_fields=["approval"])
    audit.record(actor, "compliance.gift_register", gift, after={"outcome": outcome, "value": value})
    return gift


def _gift_of(req):
    return GiftEntry.objects.select_for_update().filter(pk=(req.payload or {}).get("gift")).first()


def on_gift_approved(checker, req):
    gift = _gift_of(req)
    if gift is not None:
        gift.status = GiftStatus.APPROVED
        gift.version += 1
        gift.save(update_fields=["status", "version"])


def on_gift_rejected(checker, req):
    gift = _gift_of(req)
    if gift is not None:
        gift.status = GiftStatus.REJECTED
        gift.version += 1
        gift.save(update_fields=["status", "version"])
        notify_after_commit(
            gift.staff,
            "compliance.gift",
            _("礼品不准接受，请退还或上交：%(d)s") % {"d": gift.description[:60]},
            url=_url("gift_list"),
            obj=gift,
        )


@business_action(roles=OFFICERS, subject=in_scope(visible_gifts))
def review_gift(actor, gift_id: int, *, note: str, version: int) -> GiftEntry:
    """Compliance reviews an entry of its subtree (SPEC §8), once its approval (if any) is decided."""
    get_or_404(visible_gifts(actor), gift_id)
    gift = GiftEntry.objects.select_for_update().get(pk=gift_id)
    if not is_officer(actor) or not gift.org_path.startswith(actor.unit.path if actor.unit else "\x00"):
        raise PermissionDenied(_("只有本机构的合规人员可以复核。"))
    check_version(gift, version)
    if gift.reviewed_at is not None:
        raise _err("note", _("该登记已复核。"))
    if gift.status == GiftStatus.PENDING:
        raise _err("note", _("接受礼品的审批尚未完成，暂不能复核。"))
    if len((note or "").strip()) < 2:
        raise _err("note", _("请填写复核意见。"))
    gift.reviewed_by, gift.reviewed_at, gift.review_note = actor, timezone.now(), note.strip()
    gift.version += 1
    gift.save(update_fields=["reviewed_by", "reviewed_at", "review_note", "version"])
    audit.record(actor, "compliance.gift_review", gift)
    return gift


def unreviewed_gift_reminders(*, today: date | None = None) -> int:
    """Remind each compliance officer of entries in their subtree left unreviewed for 3 days or more."""
    today = today or timezone.localdate()
    stale = GiftEntry.objects.filter(reviewed_at__isnull=True, created_at__date__lte=today - timedelta(days=3)).exclude(
        status=GiftStatus.PENDING
    )
    sent = 0
    for officer in User.objects.filter(is_active=True, roles__code=RoleCode.COMPLIANCE, unit__isnull=False).distinct():
        n = stale.filter(org_path__startswith=officer.unit.path).count()
        if n:
            notify_after_commit(
                officer,
                "compliance.gift_review",
                _("有 %(n)d 条礼品登记待复核") % {"n": n},
                url=_url("gift_list") + "?unreviewed=1",
                dedupe_key="compliance:gifts",
            )
            sent += 1
    return sent


# --- special service ------------------------------------------------------------------------------------


@business_action(roles=WORKERS)
def request_special_service(
    actor,
    *,
    customer_id: int,
    second_staff_id: int,
    visit_on: date,
    place: str,
    purpose: str,
    cash_or_valuables: bool = False,
    escort: str = "",
) -> SpecialService:
    """Ask the branch manager in advance for a door-to-door visit (seed 001:107): two staff, and the
    escort named when cash or valuables are carried; approved through the chain
    "compliance.special_service"."""
    errors = {}
    customer = visible_customers(actor, write=True).filter(pk=customer_id).first()
    if customer is None:
        errors["customer_id"] = [_("客户不存在或不在您的管辖范围内。")]
    second = visible_staff(actor).filter(pk=second_staff_id, is_active=True).exclude(pk=actor.pk).first()
    if second is None:
        errors["second_staff_id"] = [_("上门服务须由双人办理，请选择另一名本机构员工同行。")]
    if visit_on is None or visit_on < timezone.localdate():
        errors["visit_on"] = [_("上门服务须事先审批，上门日期不能早于今天。")]
    if not (place or "").strip():
        errors["place"] = [_("请填写上门地点。")]
    if not (purpose or "").strip():
        errors["purpose"] = [_("请填写服务内容。")]
    if cash_or_valuables and not (escort or "").strip():
        errors["escort"] = [_("涉及现金或贵重物品的，须填写随行保卫人员。")]
    if errors:
        raise ValidationError(errors)
    req = SpecialService.objects.create(
        customer=customer,
        applicant=actor,
        second_staff=second,
        org_path=customer.org_path,
        visit_on=visit_on,
        place=place.strip(),
        purpose=purpose.strip(),
        cash_or_valuables=bool(cash_or_valuables),
        escort=(escort or "").strip(),
    )
    req.approval = approvals.request_approval(
        actor,
        SERVICE_KIND,
        _("上门服务：%(c)s %(d)s") % {"c": customer.name, "d": visit_on.isoformat()},
        {"special_service": req.pk},
        unit=_home(actor),
    )
    req.save(update_fields=["approval"])
    audit.record(actor, "compliance.service_request", req, after={"customer": customer.pk, "visit_on": visit_on})
    return req


def _service_of(req):
    return SpecialService.objects.select_for_update().filter(pk=(req.payload or {}).get("special_service")).first()


def on_service_approved(checker, req):
    s = _service_of(req)
    if s is not None:
        s.status, s.approved_by, s.approved_at = ServiceStatus.APPROVED, checker, timezone.now()
        s.save(update_fields=["status", "approved_by", "approved_at"])


def on_service_rejected(checker, req):
    s = _service_of(req)
    if s is not None:
        s.status = ServiceStatus.REJECTED
        s.save(update_fields=["status"])


def usable_services(actor, customer, day):
    """Approved, unused requests for this customer that name `actor` as one of the two staff, for `day`."""
    return SpecialService.objects.filter(
        customer=customer, status=ServiceStatus.APPROVED, interaction__isnull=True, visit_on=day
    ).filter(Q(applicant=actor) | Q(second_staff=actor))


def interaction_guard(actor, customer, facts: dict) -> dict:
    """core.hooks.InteractionGuard: a door-to-door contact names an approved special-service request of
    this customer, for that day, approved before the visit, that names the recorder as one of its two
    staff, and not used by another record. Without a reference, the only such request is used."""
    if not facts.get("door_to_door"):
        return {}
    if not VisitWorkflow.current().door_to_door_needs_approval:
        return {}  # this industry's door-to-door visits need no advance approval (the pack's visit workflow)
    field = "special_service_id"
    occurred = facts.get("occurred_at")
    if occurred is None:
        return {}
    day = timezone.localdate(occurred)
    ref = facts.get(field)
    if ref in (None, ""):
        found = list(usable_services(actor, customer, day)[:2])
        if len(found) == 1:
            facts[field] = found[0].pk
            return {}
        if not found:
            return {
                field: [_("上门服务须事先经分管行长批准：未找到该客户当天已批准的上门服务申请，请先提交特殊服务申请。")]
            }
        return {field: [_("该客户当天有多份已批准的上门服务申请，请选择本次对应的申请。")]}
    try:
        ref = int(ref)
    except (TypeError, ValueError):
        return {field: [_("上门服务申请编号无效。")]}
    s = SpecialService.objects.filter(pk=ref, customer=customer).first()
    if s is None or actor.pk not in (s.applicant_id, s.second_staff_id):
        return {field: [_("上门服务申请不存在，或不是您办理的该客户的申请。")]}
    if s.interaction_id is not None:
        return {field: [_("该上门服务申请已登记过服务记录。")]}
    if s.status != ServiceStatus.APPROVED or s.approved_at is None:
        return {field: [_("该上门服务申请尚未经分管行长批准，不能登记上门服务。")]}
    if s.visit_on != day:
        return {field: [_("上门日期与批准的日期（%(d)s）不符。") % {"d": s.visit_on.isoformat()}]}
    if s.approved_at > occurred:
        return {field: [_("上门服务须事先批准：批准时间晚于上门时间。")]}
    facts[field] = s.pk
    return {}


def interaction_recorded(actor, interaction, facts: dict) -> None:
    """Link the recorded visit to its request, kept for inspection (seed 001:107 "做好记录备查")."""
    ref = facts.get("special_service_id")
    if interaction.door_to_door and ref:
        SpecialService.objects.filter(pk=ref, interaction__isnull=True).update(
            interaction=interaction, status=ServiceStatus.DONE
        )


# --- anomalies ------------------------------------------------------------------------------------------


@business_action(roles=(RoleCode.ADMIN,))
def detect_anomalies(actor=None, *, day: date | None = None, rules=None) -> list[Finding]:
    """Compute the day's anomaly findings from the audit trail (SPEC §8) and tell compliance (`rules`:
    only these rule functions of anomalies.RULES, e.g. the demo's fee check over past days)."""
    from . import anomalies

    day = day or (timezone.localdate() - timedelta(days=1))
    found = anomalies.detect(day, rules or anomalies.RULES)
    for f in found:
        audit.record(actor, "compliance.anomaly_found", f, after={"rule": f.rule, "person": f.person_id})
        for officer in anomalies.officers_for(f.org_path):
            notify_after_commit(
                officer,
                "compliance.anomaly",
                _("异常线索：%(r)s（%(p)s）") % {"r": f.get_rule_display(), "p": f.person.display_name},
                url=_url("finding_detail", f.pk),
                obj=f,
            )
    return found


@business_action(roles=OFFICERS, subject=in_scope(visible_findings))
def close_finding(actor, finding_id: int, *, note: str, version: int) -> Finding:
    """Compliance closes a finding with a note of what was established (SPEC §8)."""
    get_or_404(visible_findings(actor), finding_id)
    f = Finding.objects.select_for_update().get(pk=finding_id)
    check_version(f, version)
    if f.status == FindingStatus.CLOSED:
        raise _err("note", _("该线索已办结。"))
    if len((note or "").strip()) < 2:
        raise _err("note", _("请填写办结说明。"))
    f.status, f.closed_by, f.closed_at, f.note = FindingStatus.CLOSED, actor, timezone.now(), note.strip()
    f.version += 1
    f.save(update_fields=["status", "closed_by", "closed_at", "note", "version"])
    audit.record(actor, "compliance.finding_close", f)
    return f


# --- A/B cross-review -----------------------------------------------------------------------------------


def month_bounds(day: date) -> tuple[date, date]:
    start = day.replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return start, end


@business_action(roles=(RoleCode.ADMIN,))
def schedule_cross_reviews(actor=None, *, month_of: date | None = None) -> int:
    """For the month before `month_of` (default: last month), one review per pair of RMs sharing
    customers as B-post and A-post (seed 001:133), due a number of days after the month ends."""
    from rmdesk.customers.models import Customer

    first, _last = month_bounds(month_of or timezone.localdate())
    start, end = month_bounds(first - timedelta(days=1))
    due = end + timedelta(days=int(threshold("review_days", Decimal(10))))
    pairs = (
        Customer.objects.filter(a_rm__isnull=False, b_rm__isnull=False, b_rm__is_active=True)
        .exclude(a_rm=F("b_rm"))
        .values_list("b_rm", "a_rm")
        .distinct()
    )
    people = {u.pk: u for u in User.objects.filter(pk__in={p for pair in pairs for p in pair})}
    rows = [
        CrossReview(
            reviewer_id=b,
            reviewee_id=a,
            org_path=staff_path(people[a]),
            period_start=start,
            period_end=end,
            due_on=due,
        )
        for b, a in pairs
    ]
    made = CrossReview.objects.bulk_create(rows, ignore_conflicts=True)
    return len(made)


def review_contacts(review: CrossReview):
    """The A-post RM's contacts with the customers they share, in the review's month."""
    from rmdesk.work.models import Interaction

    return (
        Interaction.objects.filter(
            recorded_by=review.reviewee,
            customer__b_rm=review.reviewer,
            occurred_on__gte=review.period_start,
            occurred_on__lte=review.period_end,
        )
        .select_related("customer")
        .order_by("occurred_at")
    )


@business_action(roles=(RoleCode.RM, *SUPERVISORS), subject=in_scope(visible_reviews))
def record_cross_review(actor, review_id: int, *, notes: str, has_doubts: bool, version: int) -> CrossReview:
    """The B-post RM records the review and any doubts (疑点和工作漏洞); doubts go to compliance."""
    get_or_404(visible_reviews(actor), review_id)
    review = CrossReview.objects.select_for_update().get(pk=review_id)
    if review.reviewer_id != actor.pk:
        raise PermissionDenied(_("只有B岗客户经理本人可以填写交叉复查。"))
    check_version(review, version)
    if review.done_at is not None:
        raise _err("notes", _("该交叉复查已完成。"))
    if has_doubts and len((notes or "").strip()) < 2:
        raise _err("notes", _("发现疑点时请写明疑点。"))
    review.notes, review.has_doubts, review.done_at = (notes or "").strip(), bool(has_doubts), timezone.now()
    review.version += 1
    review.save(update_fields=["notes", "has_doubts", "done_at", "version"])
    audit.record(actor, "compliance.cross_review", review, after={"doubts": bool(has_doubts)})
    if has_doubts:
        from . import anomalies

        for officer in anomalies.officers_for(review.org_path):
            notify_after_commit(
                officer,
                "compliance.cross_review",
                _("交叉复查发现疑点：%(a)s") % {"a": review.reviewee.display_name},
                url=_url("review_detail", review.pk),
                obj=review,
            )
    return review


def approval_request(pk) -> ApprovalRequest | None:
    return ApprovalRequest.objects.filter(pk=pk).first()


# --- account-change monitoring: fees and discounts against entitlements (SPEC §8, seed 001:135) ----------


def entitled_percent(tier_id, fee_kind) -> Decimal:
    """The largest discount (percent of the standard fee) a customer of the tier is entitled to on the
    kind of fee; no rule means none."""
    value = (
        FeeEntitlement.objects.filter(tier_id=tier_id, fee_kind=fee_kind).values_list("max_discount_percent", flat=True)
        if tier_id
        else []
    )
    return next(iter(value), Decimal("0"))


#: who configures the fee entitlements of the tiers: compliance officers and administrators
ENTITLEMENT_EDITORS = (RoleCode.COMPLIANCE, RoleCode.ADMIN)
MONEY_LIMIT = Decimal("1e16")


def _fee_grant_problems(actor, *, customer_id, fee_kind, standard_fee, charged_fee, granted_on, note):
    """The field-named errors of a fee grant as entered (one rule for recording and correcting it), the
    customer it names (in the actor's write scope) and the note cleaned."""
    errors = {}
    customer = visible_customers(actor, write=True).filter(pk=customer_id).select_related("tier").first()
    if customer is None:
        errors["customer_id"] = [_("客户不存在或不在您的管户范围内。")]
    if fee_kind not in FeeKind.values:
        errors["fee_kind"] = [_("请选择费用类型。")]
    if standard_fee is None or standard_fee <= 0:
        errors["standard_fee"] = [_("标准收费须大于零。")]
    if charged_fee is None or charged_fee < 0:
        errors["charged_fee"] = [_("实收不能为负数。")]
    elif standard_fee is not None and standard_fee > 0 and charged_fee > standard_fee:
        errors["charged_fee"] = [_("实收不能高于标准收费。")]
    if granted_on is None:
        errors["granted_on"] = [_("请填写办理日期。")]
    elif granted_on > timezone.localdate():
        errors["granted_on"] = [_("办理日期不能晚于今天。")]
    note = (note or "").strip()
    if len(note) > 200:
        errors["note"] = [_("说明不能超过 200 个字。")]
    return errors, customer, note


@business_action(roles=WORKERS)
def record_fee_grant(
    actor,
    *,
    customer_id: int,
    fee_kind: str,
    standard_fee: Decimal,
    charged_fee: Decimal,
    granted_on: date,
    note: str = "",
) -> FeeGrant:
    """Record a fee waived or discounted on a customer's account (费用减免/优惠, SPEC §8 account-change
    monitoring): the customer in the actor's own book or subtree, a standard fee above zero, the amount
    charged between zero and it, a day not in the future. The customer's tier is kept with the grant;
    the daily check compares the discount with the tier's entitlement."""
    errors, customer, note = _fee_grant_problems(
        actor,
        customer_id=customer_id,
        fee_kind=fee_kind,
        standard_fee=standard_fee,
        charged_fee=charged_fee,
        granted_on=granted_on,
        note=note,
    )
    if errors:
        raise ValidationError(errors)
    grant = FeeGrant.objects.create(
        customer=customer,
        fee_kind=fee_kind,
        standard_fee=standard_fee,
        charged_fee=charged_fee,
        granted_by=actor,
        granted_on=granted_on,
        note=note,
        tier=customer.tier,
        org_path=customer.org_path,
    )
    audit.record(
        actor,
        "compliance.fee_grant",
        grant,
        after={
            "customer": customer.pk,
            "kind": fee_kind,
            "standard": standard_fee,
            "charged": charged_fee,
            "tier": customer.tier_id,
        },
    )
    return grant


def fee_grant_reviewed(grant) -> bool:
    """A grant is reviewed once the daily check has put it before compliance (a 费用减免超出客户权益
    finding about it, open or closed): from then on the record is the evidence and stays as it is."""
    from .models import AnomalyRule

    return Finding.objects.filter(rule=AnomalyRule.FEE_BEYOND, key=f"fee:{grant.pk}").exists()


def may_correct_fee_grant(actor, grant) -> bool:
    """Its author, or a team lead / branch manager whose subtree holds it, while it is not reviewed."""
    from .scope import visible_fee_grants

    if grant.granted_by_id == actor.pk:
        return True
    return actor.has_role(*SUPERVISORS) and visible_fee_grants(actor, write=True).filter(pk=grant.pk).exists()


def _grant_snapshot(g) -> dict:
    return {
        "customer": g.customer_id,
        "kind": g.fee_kind,
        "standard": g.standard_fee,
        "charged": g.charged_fee,
        "granted_on": g.granted_on,
        "note": g.note,
        "tier": g.tier_id,
    }


def _visible_grant_lookup(actor, pk):
    from .scope import visible_fee_grants

    return get_or_404(visible_fee_grants(actor), pk)


@business_action(roles=WORKERS, subject=_visible_grant_lookup)
def update_fee_grant(
    actor,
    grant_id: int,
    *,
    version,
    customer_id: int,
    fee_kind: str,
    standard_fee: Decimal,
    charged_fee: Decimal,
    granted_on: date,
    note: str = "",
) -> FeeGrant:
    """Correct a fee grant (SPEC §8 account-change monitoring) with the same checks as recording it: by
    its author or a supervisor over it (others who see it: 403), on the version read (409), only while
    compliance has not got it for review (a finding about it). The customer's tier is taken again only
    when the customer changes. Audited with before/after; the daily check looks again at grants
    corrected on its day, so a correction cannot slip a discount past it."""
    from .scope import visible_fee_grants

    grant = get_or_404(visible_fee_grants(actor).select_for_update(of=("self",)), grant_id)
    if not may_correct_fee_grant(actor, grant):
        raise PermissionDenied(_("只有办理人或其主管可以更正这笔费用减免。"))
    check_version(grant, version)
    if fee_grant_reviewed(grant):
        raise _err("__all__", _("这笔费用减免已列入合规复核，不能再更正。"))
    errors, customer, note = _fee_grant_problems(
        actor,
        customer_id=customer_id,
        fee_kind=fee_kind,
        standard_fee=standard_fee,
        charged_fee=charged_fee,
        granted_on=granted_on,
        note=note,
    )
    if errors:
        raise ValidationError(errors)
    before = _grant_snapshot(grant)
    if customer.pk != grant.customer_id:
        grant.customer = customer
        grant.tier = customer.tier
        grant.org_path = customer.org_path
    grant.fee_kind = fee_kind
    grant.standard_fee = standard_fee
    grant.charged_fee = charged_fee
    grant.granted_on = granted_on
    grant.note = note
    grant.changed_at = timezone.now()
    grant.version += 1
    grant.save()
    audit.record(actor, "compliance.fee_grant_changed", grant, before=before, after=_grant_snapshot(grant))
    return grant


def entitlement_rules() -> dict:
    """{(tier id, fee kind): FeeEntitlement} of every configured entitlement."""
    return {(e.tier_id, e.fee_kind): e for e in FeeEntitlement.objects.all()}


def fee_breach(grant, rules: dict, tolerance: Decimal):
    """(entitled %, the entitlement or None) when `grant` goes beyond its tier's entitlement: the
    discount above the percentage by more than the tolerance, or the amount waived above the rule's
    per-grant cap; None when it is within."""
    rule = rules.get((grant.tier_id, grant.fee_kind))
    allowed = rule.max_discount_percent if rule else Decimal("0")
    if grant.discount_percent > allowed + tolerance:
        return allowed, rule
    cap = rule.max_discount_amount if rule else None
    if cap is not None and grant.standard_fee - grant.charged_fee > cap:
        return allowed, rule
    return None


def grants_beyond_entitlement(grants) -> list[tuple]:
    """(grant, discount %, entitled %) for every grant whose discount exceeds its tier's entitlement by
    more than the `fee_tolerance_percent` threshold (default 0), or waives more than the rule's cap."""
    tolerance = threshold("fee_tolerance_percent", Decimal("0"))
    rules = entitlement_rules()
    out = []
    for g in grants:
        hit = fee_breach(g, rules, tolerance)
        if hit is not None:
            out.append((g, g.discount_percent, hit[0]))
    return out


def _entitlement_problems(*, tier_id, fee_kind, max_discount_percent, max_discount_amount, note, entitlement_id=None):
    from rmdesk.customers.models import Tier

    errors: dict[str, list] = {}
    tier = Tier.objects.filter(pk=tier_id).select_related("rule_set").first() if tier_id else None
    if tier is None:
        errors["tier_id"] = [_("请选择客户层级。")]
    if fee_kind not in FeeKind.values:
        errors["fee_kind"] = [_("请选择费用类型。")]
    if tier is not None and fee_kind in FeeKind.values:
        taken = FeeEntitlement.objects.filter(tier=tier, fee_kind=fee_kind).exclude(pk=entitlement_id).exists()
        if taken:
            errors["fee_kind"] = [_("该层级的这项费用已配置权益，请修改原有的一条。")]
    pct = max_discount_percent
    if pct is None:
        errors["max_discount_percent"] = [_("请填写最高减免比例。")]
    elif not pct.is_finite() or pct < 0 or pct > 100:
        errors["max_discount_percent"] = [_("减免比例须在 0–100 之间。")]
    elif pct != pct.quantize(Decimal("0.01")):
        errors["max_discount_percent"] = [_("最多两位小数。")]
    cap = max_discount_amount
    if cap is not None:
        if not cap.is_finite() or cap < 0 or abs(cap) >= MONEY_LIMIT:
            errors["max_discount_amount"] = [_("金额须为不小于零的数字。")]
        elif cap != cap.quantize(Decimal("0.01")):
            errors["max_discount_amount"] = [_("最多两位小数。")]
    note = (note or "").strip()
    if len(note) > 200:
        errors["note"] = [_("依据不能超过 200 个字。")]
    return errors, tier, note


def _entitlement_snapshot(e) -> dict:
    return {
        "tier": e.tier_id,
        "kind": e.fee_kind,
        "percent": e.max_discount_percent,
        "amount": e.max_discount_amount,
        "note": e.note,
    }


@business_action(roles=ENTITLEMENT_EDITORS)
def create_entitlement(
    actor, *, tier_id: int, fee_kind: str, max_discount_percent, max_discount_amount=None, note: str = ""
) -> FeeEntitlement:
    """Configure what customers of a tier are entitled to on one kind of fee (SPEC §8, seed 001:135 对优质
    客户的优惠是否到位): the largest discount in percent (0–100) and optionally the largest amount one grant
    may waive; one rule per tier and fee kind. Audited; nothing written when refused."""
    errors, tier, note = _entitlement_problems(
        tier_id=tier_id,
        fee_kind=fee_kind,
        max_discount_percent=max_discount_percent,
        max_discount_amount=max_discount_amount,
        note=note,
    )
    if errors:
        raise ValidationError(errors)
    e = FeeEntitlement.objects.create(
        tier=tier,
        fee_kind=fee_kind,
        max_discount_percent=max_discount_percent,
        max_discount_amount=max_discount_amount,
        note=note,
    )
    audit.record(actor, "compliance.entitlement_created", e, after=_entitlement_snapshot(e))
    return e


def _entitlement_lookup(actor, pk):
    return get_or_404(FeeEntitlement.objects.all(), pk)


@business_action(roles=ENTITLEMENT_EDITORS, subject=_entitlement_lookup)
def update_entitlement(
    actor,
    entitlement_id: int,
    *,
    version,
    tier_id: int,
    fee_kind: str,
    max_discount_percent,
    max_discount_amount=None,
    note: str = "",
) -> FeeEntitlement:
    """Change an entitlement on the version read (409 when stale), with the checks of creating one.
    Grants already checked keep their findings; later checks read the new rule. Audited before/after."""
    e = get_or_404(FeeEntitlement.objects.select_for_update(), entitlement_id)
    check_version(e, version)
    errors, tier, note = _entitlement_problems(
        tier_id=tier_id,
        fee_kind=fee_kind,
        max_discount_percent=max_discount_percent,
        max_discount_amount=max_discount_amount,
        note=note,
        entitlement_id=e.pk,
    )
    if errors:
        raise ValidationError(errors)
    before = _entitlement_snapshot(e)
    e.tier = tier
    e.fee_kind = fee_kind
    e.max_discount_percent = max_discount_percent
    e.max_discount_amount = max_discount_amount
    e.note = note
    e.version += 1
    e.save()
    audit.record(actor, "compliance.entitlement_changed", e, before=before, after=_entitlement_snapshot(e))
    return e


@business_action(roles=ENTITLEMENT_EDITORS, subject=_entitlement_lookup)
def delete_entitlement(actor, entitlement_id: int, *, version) -> None:
    """Remove an entitlement on the version read (409 when stale): the tier is then entitled to no
    discount on that fee. Audited with what it was."""
    e = get_or_404(FeeEntitlement.objects.select_for_update(), entitlement_id)
    check_version(e, version)
    audit.record(actor, "compliance.entitlement_deleted", e, before=_entitlement_snapshot(e))
    e.delete()


# --- thresholds edited on a page (SPEC §8: thresholds in the database) ------------------------------------

HOUR_CODES = ("work_start_hour", "work_end_hour")
#: thresholds that are amounts or percentages; every other one counts events, customers, rows or days
DECIMAL_CODES = ("gift_limit", "fee_tolerance_percent")


@business_action(roles=(RoleCode.COMPLIANCE, RoleCode.ADMIN))
def set_threshold(actor, threshold_id: int, *, value: Decimal, version: int) -> Threshold:
    """Change one threshold the compliance rules read (SPEC §8): not negative; counts are whole numbers;
    working hours lie in 0–24 with the start before the end; a percentage at most 100. The version the
    user read must be current (409); the change is audited with the old and new value."""
    t = Threshold.objects.select_for_update().filter(pk=threshold_id).first()
    if t is None:
        from django.http import Http404

        raise Http404
    check_version(t, version)
    if value is None:
        raise _err("value", _("请填写数值。"))
    if value < 0:
        raise _err("value", _("阈值不能为负数。"))
    if t.code not in DECIMAL_CODES and value != value.to_integral_value():
        raise _err("value", _("该阈值须为整数。"))
    if t.code in HOUR_CODES:
        if value > 24:
            raise _err("value", _("时间须在 0–24 时之间。"))
        start = value if t.code == "work_start_hour" else threshold("work_start_hour", Decimal("7"))
        end = value if t.code == "work_end_hour" else threshold("work_end_hour", Decimal("21"))
        if start >= end:
            raise _err("value", _("工作开始时间须早于工作结束时间。"))
    if t.code == "fee_tolerance_percent" and value > 100:
        raise _err("value", _("比例不能超过 100。"))
    before = t.value
    t.value = value
    t.version += 1
    t.save(update_fields=["value", "version"])
    audit.record(actor, "compliance.threshold_set", t, before={"value": before}, after={"value": value, "code": t.code})
    return t


# --- conduct rule sets edited on pages and the API (SPEC §8: rule sets are configurable data) --------------

#: who edits conduct rule sets (十不准, 七不准, 四原则…): compliance officers and administrators
RULE_EDITORS = (RoleCode.COMPLIANCE, RoleCode.ADMIN)
MAX_RULES = 50
MAX_POINTS = Decimal("100")


def _rule_set_problems(*, code, name, source, rules, rule_set_id=None) -> tuple[dict, list[dict], dict]:
    """Field-named errors of a rule set as entered, and its rules cleaned (order = position + 1)."""
    import re

    from .models import Severity

    errors: dict[str, list] = {}
    code = (code or "").strip()
    name = (name or "").strip()
    source = (source or "").strip()
    if not code:
        errors["code"] = [_("请填写代码。")]
    elif len(code) > 30 or not re.fullmatch(r"[a-z][a-z0-9_]*", code):
        errors["code"] = [_("代码由小写字母、数字和下划线组成，以字母开头，不超过 30 个字符。")]
    elif ConductRuleSet.objects.filter(code=code).exclude(pk=rule_set_id).exists():
        errors["code"] = [_("该代码已被其他行为规范使用。")]
    if not name:
        errors["name"] = [_("请填写名称。")]
    elif len(name) > 100:
        errors["name"] = [_("名称不能超过 100 个字。")]
    if len(source) > 300:
        errors["source"] = [_("依据不能超过 300 个字。")]
    rules = list(rules or [])
    if not rules:
        errors["rules"] = [_("至少需要一条条款。")]
    elif len(rules) > MAX_RULES:
        errors["rules"] = [_("条款不能超过 %(n)s 条。") % {"n": MAX_RULES}]
    cleaned = []
    for i, r in enumerate(rules[:MAX_RULES]):
        text = (r.get("text") or "").strip()
        severity = r.get("severity") or ""
        points = r.get("points")
        if not text:
            errors[f"rules.{i}.text"] = [_("请填写条款内容。")]
        elif len(text) > 300:
            errors[f"rules.{i}.text"] = [_("条款不能超过 300 个字。")]
        if severity not in Severity.values:
            errors[f"rules.{i}.severity"] = [_("请选择严重程度。")]
        if points is None:
            errors[f"rules.{i}.points"] = [_("请填写扣分。")]
        else:
            try:
                points = Decimal(points)
            except (ArithmeticError, ValueError, TypeError):
                points = None
            if points is None or not points.is_finite():
                errors[f"rules.{i}.points"] = [_("请输入有效的数字。")]
            elif points < 0 or points > MAX_POINTS:
                errors[f"rules.{i}.points"] = [_("扣分须在 0–100 之间。")]
            elif points != points.quantize(Decimal("0.01")):
                errors[f"rules.{i}.points"] = [_("扣分最多两位小数。")]
        cleaned.append({"order": i + 1, "text": text, "severity": severity, "points": points})
    return errors, cleaned, {"code": code, "name": name, "source": source}


def _rules_snapshot(rule_set) -> list:
    return [[r.order, r.text, r.severity, str(r.points)] for r in rule_set.rules.order_by("order")]


@business_action(roles=RULE_EDITORS)
def create_rule_set(actor, *, code: str, name: str, source: str = "", is_active: bool = True, rules) -> ConductRuleSet:
    """Create a conduct rule set with its rules (SPEC §8): a unique lower-case code, a name, each rule a
    text, a severity and the points a confirmed violation deducts (0–100). Audited; nothing is written
    when anything is refused."""
    errors, cleaned, head = _rule_set_problems(code=code, name=name, source=source, rules=rules)
    if errors:
        raise ValidationError(errors)
    rs = ConductRuleSet.objects.create(**head, is_active=bool(is_active))
    ConductRule.objects.bulk_create([ConductRule(rule_set=rs, **r) for r in cleaned])
    audit.record(
        actor,
        "compliance.rule_set_created",
        rs,
        after={**head, "is_active": rs.is_active, "rules": _rules_snapshot(rs)},
    )
    return rs


@business_action(roles=RULE_EDITORS)
def update_rule_set(
    actor,
    rule_set_id: int,
    *,
    version,
    code: str,
    name: str,
    source: str = "",
    is_active: bool = True,
    rules,
) -> ConductRuleSet:
    """Change a rule set and its rules (SPEC §8) on the version the editor read (409 when stale). Rules
    are matched by position: a rule keeps its id (violations already recorded point to it) and takes the
    new wording, severity and points — a violation already decided keeps the points it was given. A rule
    that a violation refers to cannot be removed (deactivate the set instead). Audited with before/after."""
    from django.http import Http404

    rs = ConductRuleSet.objects.select_for_update().filter(pk=rule_set_id).first()
    if rs is None:
        raise Http404
    check_version(rs, version)
    errors, cleaned, head = _rule_set_problems(code=code, name=name, source=source, rules=rules, rule_set_id=rs.pk)
    existing = {r.order: r for r in rs.rules.all()}
    removed = [r for order, r in existing.items() if order > len(cleaned)]
    used = set(Violation.objects.filter(rule__in=removed).values_list("rule__order", flat=True)) if removed else set()
    if used and "rules" not in errors:
        errors["rules"] = [
            _("第 %(orders)s 条已有违规记录引用，不能删除；可停用整套规范。")
            % {"orders": "、".join(str(o) for o in sorted(used))}
        ]
    if errors:
        raise ValidationError(errors)
    before = {
        "code": rs.code,
        "name": rs.name,
        "source": rs.source,
        "is_active": rs.is_active,
        "rules": _rules_snapshot(rs),
    }
    ConductRule.objects.filter(pk__in=[r.pk for r in removed]).delete()
    for r in cleaned:
        rule = existing.get(r["order"])
        if rule is None:
            ConductRule.objects.create(rule_set=rs, **r)
        elif (rule.text, rule.severity, rule.points) != (r["text"], r["severity"], r["points"]):
            rule.text, rule.severity, rule.points = r["text"], r["severity"], r["points"]
            rule.save(update_fields=["text", "severity", "points"])
    for field, value in head.items():
        setattr(rs, field, value)
    rs.is_active = bool(is_active)
    rs.version += 1
    rs.save()
    after = {**head, "is_active": rs.is_active, "rules": _rules_snapshot(rs)}
    audit.record(actor, "compliance.rule_set_changed", rs, before=before, after=after)
    return rs
