"""Approval chains and the one inbox (审批中心), SPEC §1 maker-checker, §6 审查→审核→审批, §7, §8, §9.

A request of a kind is decided along the chain chosen for it (`choose_chain`: by kind and amount;
a kind without a configured chain is decided in one step by a team lead or branch manager whose
scope covers the request's unit). The rules every chain keeps:

- the maker never decides, at any step;
- nobody decides two steps of the same submission (round);
- each decision records the person, the time and the opinion (ApprovalDecision);
- approve moves to the next step, or approves the request after the last one (the kind's handler
  then carries the business action out, in the same transaction); reject ends it (no override);
  return sends it back to the maker, who may resubmit (a new round from the first step);
- every pending step has a working-time due date; its deciders are notified when it arrives.

Apps register a handler per kind through the hook registry (`register_handler`): what their request
does when it is approved, rejected, returned or withdrawn (`on_cancelled`), and where the business record
behind it is (`subject_url`, the inbox's link, given only to a viewer who may see that record).
"""

from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _, gettext_lazy

from . import audit, calendar, hooks
from .actions import EVERYONE, StaleVersion, business_action, check_version
from .models import (
    ApprovalChain,
    ApprovalDecision,
    ApprovalRequest,
    ApprovalStatus,
    ApprovalStep,
    DecisionKind,
    StepDecider,
)
from .notifications import notify_after_commit
from .roles import SUPERVISORS
from .scope import paths_q, subtree_units

__all__ = [
    "SelfApprovalError",
    "StaleVersion",
    "register_handler",
    "choose_chain",
    "request_approval",
    "decide",
    "resubmit",
    "cancel",
    "pending_for",
    "subject_url",
    "may_decide",
    "allowed_decisions",
    "steps_of",
    "current_step",
    "ensure_not_self",
]


class SelfApprovalError(PermissionDenied):
    """Maker-checker: nobody decides their own request (SPEC §1)."""


def ensure_not_self(maker, checker):
    """Refuse a decision by the person who made the request (maker-checker, SPEC §1)."""
    if maker is not None and checker is not None and maker.pk == checker.pk:
        raise SelfApprovalError(_("不能审批本人提交的申请。"))


def register_handler(
    kind: str,
    label,
    *,
    on_approved=None,
    on_rejected=None,
    on_returned=None,
    may_decide=None,
    maker_acts_in_inbox: bool = True,
    allowed_decisions=None,
    refusal_reason=None,
    on_cancelled=None,
    subject_url=None,
):
    """What happens when a request of `kind` is decided (inside the decision's transaction), and a
    further condition its deciders must meet (e.g. supervising every customer it names).
    `maker_acts_in_inbox=False`: the maker resubmits or withdraws from the request's own business page
    (which calls `resubmit`/`cancel`), not from the inbox, because the business record changes with it.
    `allowed_decisions(checker, request) -> set` narrows the conclusions a decider may take (e.g. only
    return or reject when the investigator recommended rejection, SPEC §6 "no override").
    `refusal_reason(checker, request) -> str` names a rule that forbids a person to decide (e.g. 审贷分离):
    `decide()` then refuses with that message as a 422 on `decider` instead of a bare 403.
    `on_cancelled(maker, request)` runs when the maker withdraws the request (`cancel`), in its transaction.
    `subject_url(viewer, request) -> str | None` is the URL of the business record the request is about,
    or None when the viewer may not see it (the inbox then shows no link: never a link to a 404)."""
    return hooks.register(
        hooks.ApprovalHandler(
            kind,
            label,
            on_approved=on_approved,
            on_rejected=on_rejected,
            on_returned=on_returned,
            may_decide=may_decide,
            maker_acts_in_inbox=maker_acts_in_inbox,
            allowed_decisions=allowed_decisions,
            refusal_reason=refusal_reason,
            on_cancelled=on_cancelled,
            subject_url=subject_url,
        )
    )


def maker_acts_in_inbox(req: ApprovalRequest) -> bool:
    """Whether the maker resubmits and withdraws requests of this kind in the inbox (page and API)."""
    handler = hooks.get(hooks.ApprovalHandler, req.kind)
    return handler is None or handler.maker_acts_in_inbox


def kind_label(kind: str):
    handler = hooks.get(hooks.ApprovalHandler, kind)
    return handler.label if handler else kind


def subject_url(viewer, req: ApprovalRequest) -> str | None:
    """The URL of the business record `req` is about, as the owning app's handler gives it for `viewer`
    (None when the kind gives no link or the viewer may not see the record: never a link to a 404)."""
    handler = hooks.get(hooks.ApprovalHandler, req.kind)
    if handler is None or handler.subject_url is None:
        return None
    return handler.subject_url(viewer, req) or None


# --- chains and steps --------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepSpec:
    """One step as the engine reads it (a configured ApprovalStep, or the default single step)."""

    order: int
    name: str
    decider: str
    levels_up: int = 0
    group_id: int | None = None
    due_hours: int = 8

    @classmethod
    def of(cls, step: ApprovalStep):
        return cls(step.order, step.name, step.decider, step.levels_up, step.group_id, step.due_hours)


DEFAULT_STEP = StepSpec(1, gettext_lazy("审批"), StepDecider.SUPERVISOR)


def choose_chain(kind: str, amount=None) -> ApprovalChain | None:
    """The active chain of `kind` whose amount band holds `amount` (lowest priority number first)."""
    qs = ApprovalChain.objects.filter(kind=kind, is_active=True, steps__isnull=False).distinct()
    if amount is not None:
        qs = qs.filter(Q(min_amount__isnull=True) | Q(min_amount__lte=amount))
        qs = qs.filter(Q(max_amount__isnull=True) | Q(max_amount__gt=amount))
    else:
        qs = qs.filter(min_amount__isnull=True)
    return qs.order_by("priority", "-min_amount", "id").first()


def steps_of(req: ApprovalRequest) -> list[StepSpec]:
    cached = getattr(req, "_steps", None)
    if cached is None:
        if req.chain_id is None:
            cached = [DEFAULT_STEP]
        else:
            # .all() reads the inbox's prefetched steps; elsewhere it is one query, as before
            cached = [StepSpec.of(s) for s in sorted(req.chain.steps.all(), key=lambda s: s.order)]
        req._steps = cached
    return cached


def current_step(req: ApprovalRequest) -> StepSpec | None:
    for step in steps_of(req):
        if step.order == req.step_order:
            return step
    return None


def _due(step: StepSpec, start=None):
    return calendar.add_working_time(start or timezone.now(), timedelta(hours=step.due_hours))


# --- who may decide ---------------------------------------------------------------------------------


def _holds_decider_role(user, decider: str) -> bool:
    if decider == StepDecider.ANY:
        return True
    if decider == StepDecider.SUPERVISOR:
        return user.has_role(*SUPERVISORS)
    return user.has_role(decider)


def _deciders_held(user) -> list[str]:
    """The step deciders (StepDecider values) this person can be, from their roles."""
    held = [StepDecider.ANY] + [
        code for code in StepDecider.values if code not in ("any", "supervisor") and user.has_role(code)
    ]
    if user.has_role(*SUPERVISORS):
        held.append(StepDecider.SUPERVISOR)
    return held


def _depth(unit) -> int:
    return len(unit.path) // type(unit).steplen


def qualifies_for_step(user, req: ApprovalRequest, step: StepSpec) -> bool:
    """The step's role (and group), at the step's level of the org tree above the request's unit."""
    if not getattr(user, "is_active", False) or not _holds_decider_role(user, step.decider):
        return False
    if step.group_id is not None and not user.groups.filter(pk=step.group_id).exists():
        return False
    if req.unit_id is None:
        return step.levels_up == 0
    # supervisors decide with the scope they may change; read-only overseers (risk, compliance) with their read
    # scope; a step open to any role (a named group such as 贷审会) or to RMs, from the person's own unit down
    write = step.decider in (StepDecider.SUPERVISOR, StepDecider.TEAM_LEAD, StepDecider.BRANCH_MANAGER)
    homes = list(subtree_units(user, write))
    if step.decider in (StepDecider.ANY, StepDecider.RM) and (user.team or user.unit) is not None:
        homes.append(user.team or user.unit)
    unit = req.unit
    for home in homes:
        if unit.path.startswith(home.path) and _depth(unit) - _depth(home) >= step.levels_up:
            return True
    return False


def _decided_this_round(user, req) -> bool:
    return ApprovalDecision.objects.filter(request=req, round=req.round, decided_by=user).exists()


def refusal_reason(user, req: ApprovalRequest) -> str:
    """Why a rule of the request's kind forbids `user` to decide it (the handler's `refusal_reason`), or ""."""
    handler = hooks.get(hooks.ApprovalHandler, req.kind)
    if handler is None or handler.refusal_reason is None:
        return ""
    return str(handler.refusal_reason(user, req) or "")


def may_decide(user, req: ApprovalRequest) -> bool:
    """True when `user` may decide the pending step of `req` now."""
    if req.status != ApprovalStatus.PENDING or req.requested_by_id == user.pk:
        return False
    step = current_step(req)
    if step is None or not qualifies_for_step(user, req, step):
        return False
    if _decided_this_round(user, req):
        return False
    handler = hooks.get(hooks.ApprovalHandler, req.kind)
    return handler is None or handler.may_decide is None or handler.may_decide(user, req)


def allowed_decisions(user, req: ApprovalRequest) -> set[str]:
    """The conclusions `user` may take on the pending step: all three unless the kind's handler narrows them."""
    handler = hooks.get(hooks.ApprovalHandler, req.kind)
    if handler is None or handler.allowed_decisions is None:
        return set(DecisionKind.values)
    return set(handler.allowed_decisions(user, req)) & set(DecisionKind.values)


def _candidate_inputs(user):
    """Everything `_pending_candidates` builds its query from: the units in reach and the deciders held."""
    units = list(subtree_units(user, write=False))
    if (user.team or user.unit) is not None:  # group and RM steps are decided from the person's own unit down
        units.append(user.team or user.unit)
    return units, _deciders_held(user)


def _pending_candidates(user, inputs=None):
    """Pending requests in reach of `user` whose pending step names a decider they can be (not their own), or
    None for nobody; the rest of `may_decide` is checked per request."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    units, mine = inputs or _candidate_inputs(user)
    where = Q(unit__isnull=True)
    covered = paths_q("unit__path", units)
    if covered is not None:
        where |= covered
    # only requests whose pending step names a decider this person can be (the header counts this on
    # every page, so most people's inbox is settled in SQL without reading a request)
    step_for_me = ApprovalStep.objects.filter(chain=OuterRef("chain"), order=OuterRef("step_order"), decider__in=mine)
    held = Exists(step_for_me)
    if StepDecider.SUPERVISOR in mine:
        held |= Q(chain__isnull=True)  # the default single step
    return ApprovalRequest.objects.filter(Q(status=ApprovalStatus.PENDING), where, held).exclude(requested_by=user)


def pending_for(user, *, kind: str | None = None) -> list[ApprovalRequest]:
    """Every pending step `user` may decide (never their own requests), newest first: the inbox."""
    qs = _pending_candidates(user)
    if qs is None:
        return []
    qs = qs.select_related("requested_by", "unit", "chain").prefetch_related("chain__steps")
    qs = qs.order_by("-requested_at", "-id")
    if kind:
        qs = qs.filter(kind=kind)
    return [r for r in qs if may_decide(user, r)]


_CANDIDATES_SQL: dict = {}  # what the query is built from -> its compiled EXISTS (per process)
_CANDIDATES_SQL_MAX = 4096


def candidates_fact(user):
    """The header's "does anything wait for me" EXISTS as a shell fact (hooks.ShellFact), compiled once per process
    for everything `_pending_candidates` builds it from — the person's id, the paths (and leafness) of the units
    in reach, the deciders held — so an unchanged person's badge costs no query compilation (issue 18)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    units, mine = inputs = _candidate_inputs(user)
    key = (user.pk, tuple((u.path, getattr(u, "numchild", None) == 0) for u in units), tuple(mine))
    fact = _CANDIDATES_SQL.get(key)
    if fact is None:
        qs = _pending_candidates(user, inputs)
        sql, params = qs.query.exists(limit=True).get_compiler(using=qs.db).as_sql()
        fact = hooks.FactSQL(ApprovalRequest, sql, tuple(params))
        if len(_CANDIDATES_SQL) >= _CANDIDATES_SQL_MAX:
            _CANDIDATES_SQL.clear()
        _CANDIDATES_SQL[key] = fact
    return fact


def pending_count(user) -> int:
    """How many steps wait for `user` (the header's badge on every page): `len(pending_for(user))`, settled by
    one lean EXISTS when no candidate is in reach — most people on most pages (issue 18); while the shell is drawn
    that EXISTS is one of the shell's facts, read with the others in one query (hooks.fact)."""
    candidates = hooks.fact(user, "approvals.candidates")
    if candidates is None:
        qs = _pending_candidates(user)
        candidates = qs is not None and qs.exists()
    if not candidates:
        return 0
    return len(pending_for(user))


def eligible_deciders(req: ApprovalRequest):
    """Active staff who may decide the pending step (for its arrival notice)."""
    from django.contrib.auth import get_user_model

    step = current_step(req)
    if step is None:
        return []
    users = get_user_model().objects.filter(is_active=True).exclude(pk=req.requested_by_id)
    if req.unit_id is not None:
        unit = req.unit
        steplen = type(unit).steplen
        prefixes = [unit.path[:i] for i in range(steplen, len(unit.path) + 1, steplen)]
        users = users.filter(Q(unit__path__in=prefixes) | Q(team__path__in=prefixes))
    if step.decider == StepDecider.SUPERVISOR:
        users = users.filter(roles__code__in=SUPERVISORS)
    elif step.decider != StepDecider.ANY:
        users = users.filter(roles__code=step.decider)
    return [u for u in users.distinct().order_by("id")[:200] if may_decide(u, req)]


def _announce(req: ApprovalRequest):
    step = current_step(req)
    for user in eligible_deciders(req):
        notify_after_commit(
            user,
            "approval.pending",
            _("待审批（%(step)s）：%(title)s") % {"step": step.name, "title": req.title},
            url="/org/approvals/",
            obj=req,
            due_at=req.step_due_at,
            dedupe_key=f"approval:{req.pk}:{req.round}:{req.step_order}",
        )


# --- the maker's actions ----------------------------------------------------------------------------


@business_action(roles=EVERYONE)
def request_approval(maker, kind: str, title: str, payload: dict, *, unit=None, reason: str = "", amount=None):
    """Open a request; nothing changes until the chain's deciders (never the maker) approve it."""
    chain = choose_chain(kind, amount)
    req = ApprovalRequest(
        kind=kind,
        title=title,
        payload=payload,
        unit=unit,
        requested_by=maker,
        reason=reason,
        chain=chain,
        amount=amount,
        step_order=1,
    )
    req.step_due_at = _due(steps_of(req)[0])
    req.save()
    audit.record(
        maker,
        "approval.request",
        req,
        after={"kind": kind, "chain": chain.pk if chain else None, "amount": amount, "payload": payload},
    )
    _announce(req)
    return req


def _mine_or_404(maker, request_id):
    req = ApprovalRequest.objects.select_for_update().filter(pk=request_id, requested_by=maker).first()
    if req is None:
        raise Http404
    return req


@business_action(roles=EVERYONE)
def resubmit(maker, request_id: int, *, version: int, reason: str = "", payload: dict | None = None):
    """The maker sends a returned request again: a new round from the first step."""
    req = _mine_or_404(maker, request_id)
    check_version(req, version)
    if req.status != ApprovalStatus.RETURNED:
        raise ValidationError({"status": [_("只有退回修改的申请可以重新提交。")]})
    req.status = ApprovalStatus.PENDING
    req.round += 1
    req.step_order = 1
    req.step_due_at = _due(steps_of(req)[0])
    if reason:
        req.reason = reason
    if payload is not None:
        req.payload = payload
    req.version += 1
    req.save()
    audit.record(maker, "approval.resubmit", req, after={"round": req.round})
    _announce(req)
    return req


@business_action(roles=EVERYONE)
def cancel(maker, request_id: int, *, version: int):
    """The maker withdraws a pending or returned request; the kind's `on_cancelled` handler runs with it."""
    req = _mine_or_404(maker, request_id)
    check_version(req, version)
    if req.status not in (ApprovalStatus.PENDING, ApprovalStatus.RETURNED):
        raise ValidationError({"status": [_("该申请已处理，不能撤回。")]})
    req.status = ApprovalStatus.CANCELLED
    req.version += 1
    req.save()
    handler = hooks.get(hooks.ApprovalHandler, req.kind)
    if handler is not None and handler.on_cancelled is not None:
        handler.on_cancelled(maker, req)  # the owning app settles its record in the same transaction
    audit.record(maker, "approval.cancel", req)
    return req


# --- the deciders' action ---------------------------------------------------------------------------


@business_action(roles=EVERYONE)
def decide(checker, request_id: int, decision: str, *, opinion: str = "", version: int | None = None):
    """Decide the pending step of a request: approve, reject or return (SPEC §1, §6).

    `version`, when given (the inbox and the API always give it), must be the version the checker
    saw: a request another decider moved on meanwhile answers 409.
    """
    if decision not in DecisionKind.values:
        raise ValidationError({"decision": [_("审批结论无效。")]})
    req = (
        ApprovalRequest.objects.select_for_update(of=("self",))
        .select_related("unit", "chain")
        .filter(pk=request_id)
        .first()
    )
    if req is None:
        raise Http404
    if version is not None:
        check_version(req, version)
    if req.status != ApprovalStatus.PENDING:
        raise ValidationError({"status": [_("该申请已处理，不能重复审批。")]})
    reason = refusal_reason(checker, req)
    if reason:  # a rule of the request's kind forbids this person (e.g. 审贷分离): a clear 422, not a bare 403
        raise ValidationError({"decider": [reason]}, code="forbidden_decider")
    ensure_not_self(req.requested_by, checker)
    if _decided_this_round(checker, req):
        raise PermissionDenied(_("您已审批过本申请的其他步骤，同一申请不能由同一人审批两次。"))
    if not may_decide(checker, req):
        raise PermissionDenied(_("您无权审批该申请。"))
    if decision not in allowed_decisions(checker, req):
        raise ValidationError(
            {"decision": [_("该申请不允许作出“%(d)s”的结论。") % {"d": DecisionKind(decision).label}]},
            code="not_allowed",
        )
    step = current_step(req)
    now = timezone.now()
    ApprovalDecision.objects.create(
        request=req,
        round=req.round,
        step_order=step.order,
        step_name=str(step.name),
        decided_by=checker,
        decision=decision,
        opinion=opinion,
        decided_at=now,
    )
    handler = hooks.get(hooks.ApprovalHandler, req.kind)
    later = [s for s in steps_of(req) if s.order > step.order]
    finished = decision != DecisionKind.APPROVE or not later
    if decision == DecisionKind.APPROVE and later:
        req.step_order = later[0].order
        req.step_due_at = _due(later[0], now)
    else:
        req.status = {
            DecisionKind.APPROVE: ApprovalStatus.APPROVED,
            DecisionKind.REJECT: ApprovalStatus.REJECTED,
            DecisionKind.RETURN: ApprovalStatus.RETURNED,
        }[decision]
        req.decided_by, req.decided_at, req.comment = checker, now, opinion
        req.step_due_at = None
    req.version += 1
    req.save()
    if finished and handler is not None:
        callback = {
            DecisionKind.APPROVE: handler.on_approved,
            DecisionKind.REJECT: handler.on_rejected,
            DecisionKind.RETURN: handler.on_returned,
        }[decision]
        if callback is not None:
            callback(checker, req)
    audit.record(
        checker,
        f"approval.{decision}",
        req,
        after={"step": step.order, "round": req.round, "opinion": opinion, "status": req.status},
    )
    if finished:
        notify_after_commit(
            req.requested_by,
            "approval.returned" if decision == DecisionKind.RETURN else "approval.decided",
            _("%(title)s：%(result)s") % {"title": req.title, "result": req.get_status_display()},
            url="/org/approvals/",
            obj=req,
        )
    else:
        _announce(req)
    return req


def act_in_inbox(maker, request_id: int, action: str, *, version: int):
    """The inbox's maker actions ("resubmit" or "cancel"): only on the maker's own requests, and only
    for kinds whose maker acts in the inbox; anything else answers 404 like a missing request."""
    req = ApprovalRequest.objects.filter(pk=request_id, requested_by=maker).first()
    if req is None or not maker_acts_in_inbox(req) or action not in ("resubmit", "cancel"):
        raise Http404
    return (resubmit if action == "resubmit" else cancel)(maker, request_id, version=version)
