"""Ownership of archives (SPEC §2): the A-post (主办) and optional B-post (协办) RM, assignment and
reassignment with a supervisor's approval (maker-checker, SPEC §1), and the bulk handover when an RM
leaves or moves (a note per customer, nobody left without an A-post, `customers_handed_over`).

The approval handlers are registered here (import side effect of the package)."""

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _, gettext_lazy

from rmdesk.core import audit
from rmdesk.core.actions import business_action, in_scope
from rmdesk.core.approvals import register_handler, request_approval
from rmdesk.core.roles import WORKERS
from rmdesk.org.models import User
from rmdesk.org.scope import visible_staff
from rmdesk.org.services import ensure_can_be_assigned_customers

from .. import signals
from ..models import Customer, CustomerKind, Handover, HandoverRecord, OwnershipChange, OwnershipKind, Stage
from ..scope import visible_customers
from .permissions import is_supervisor, require, supervises_all

#: the most customers one handover request moves, and the most the preview (page and API) lists; more
#: are handed over in several requests (the approver reads what they approve)
HANDOVER_MAX_CUSTOMERS = 2000


def owner_unit(rm):
    """The unit an RM's customers belong to: their team, else their unit."""
    return rm.team or rm.unit


def home_pool_unit(actor):
    """The unit whose unassigned pool a supervisor's new archives land in."""
    return actor.team or actor.unit


def validate_handover_size(count: int):
    """One limit for the page's form, the API and the service: at most HANDOVER_MAX_CUSTOMERS a request."""
    if count > HANDOVER_MAX_CUSTOMERS:
        raise ValidationError(
            _("一次最多移交 %(max)d 户客户（本次 %(n)d 户），请分批提交。")
            % {"max": HANDOVER_MAX_CUSTOMERS, "n": count},
            code="max_customers",
        )


def set_owners(customer, *, a_rm, b_rm, kind, actor, approved_by=None, note=""):
    """Set A-post/B-post; org_path follows the A-post RM's team (else unit), in the caller's transaction."""
    if b_rm is not None and a_rm is not None and b_rm.pk == a_rm.pk:
        b_rm = None
    change = OwnershipChange(
        customer=customer,
        kind=kind,
        from_a_id=customer.a_rm_id,
        from_b_id=customer.b_rm_id,
        to_a=a_rm,
        to_b=b_rm,
        actor=actor,
        approved_by=approved_by,
        note=note[:300],
    )
    customer.a_rm = a_rm
    customer.b_rm = b_rm
    if a_rm is not None:
        unit = owner_unit(a_rm)
        customer.org_unit = unit
        customer.org_path = unit.path
    customer.version += 1
    customer.save(update_fields=["a_rm", "b_rm", "org_unit", "org_path", "version", "updated_at"])
    change.save()
    return change


def load_rm(user_id, field):
    if user_id in (None, ""):
        return None
    rm = User.objects.filter(pk=user_id).first()
    if rm is None:
        raise ValidationError({field: [_("客户经理不存在。")]})
    rm._role_codes = None
    return rm


def check_assignable(rm, field):
    try:
        ensure_can_be_assigned_customers(rm)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from None


@business_action(roles=WORKERS, subject=in_scope(visible_customers, write=True))
def request_assignment(actor, customer_ids, a_rm_id, b_rm_id=None, reason: str = ""):
    """Ask for an A-post (and optional B-post) assignment or reassignment; a different supervisor
    approves it (maker-checker, SPEC §2 ownership). Both RMs must hold a valid qualification."""
    ids = [int(i) for i in customer_ids]
    if not ids:
        raise ValidationError({"customer_ids": [_("请选择客户。")]})
    customers = list(visible_customers(actor, write=True).filter(pk__in=ids).select_related("org_unit"))
    if len(customers) != len(set(ids)):
        raise Http404
    a_rm = load_rm(a_rm_id, "a_rm")
    if a_rm is None:
        raise ValidationError({"a_rm": [_("请选择主办客户经理（A岗）。")]})
    b_rm = load_rm(b_rm_id, "b_rm")
    check_assignable(a_rm, "a_rm")
    if b_rm is not None:
        if b_rm.pk == a_rm.pk:
            raise ValidationError({"b_rm": [_("A岗与B岗不能是同一人。")]})
        check_assignable(b_rm, "b_rm")
    staff = visible_staff(actor)
    for rm, field in ((a_rm, "a_rm"), (b_rm, "b_rm")):
        if rm is not None and not staff.filter(pk=rm.pk).exists():
            raise ValidationError({field: [_("只能分配给本机构范围内的客户经理。")]})
    names = "、".join(c.name for c in customers[:3]) + ("等" if len(customers) > 3 else "")
    kind = "assign" if all(c.a_rm_id is None for c in customers) else "reassign"
    title = (_("分配客户：%(names)s → %(rm)s") if kind == "assign" else _("调整客户归属：%(names)s → %(rm)s")) % {
        "names": names,
        "rm": a_rm.display_name,
    }
    return request_approval(
        actor,
        "customers.assign",
        title,
        {"customer_ids": [c.pk for c in customers], "a_rm": a_rm.pk, "b_rm": b_rm.pk if b_rm else None, "kind": kind},
        unit=customers[0].org_unit,
        reason=reason,
    )


def _may_decide_assignment(checker, req) -> bool:
    return supervises_all(checker, req.payload.get("customer_ids", []))


def _apply_assignment(checker, req):
    p = req.payload
    a_rm = load_rm(p["a_rm"], "a_rm")
    b_rm = load_rm(p.get("b_rm"), "b_rm")
    check_assignable(a_rm, "a_rm")
    if b_rm is not None:
        check_assignable(b_rm, "b_rm")
    kind = OwnershipKind.ASSIGN if p.get("kind") == "assign" else OwnershipKind.REASSIGN
    for customer in Customer.objects.select_for_update().filter(pk__in=p["customer_ids"]).order_by("id"):
        before = {"a_rm": customer.a_rm_id, "b_rm": customer.b_rm_id}
        set_owners(
            customer, a_rm=a_rm, b_rm=b_rm, kind=kind, actor=req.requested_by, approved_by=checker, note=req.reason
        )
        audit.record(
            checker,
            "customers.assign",
            customer,
            before=before,
            after={"a_rm": a_rm.pk, "b_rm": b_rm.pk if b_rm else None},
            approval=req.pk,
        )


register_handler(
    "customers.assign", gettext_lazy("客户分配/调整"), on_approved=_apply_assignment, may_decide=_may_decide_assignment
)


# --- handover ----------------------------------------------------------------------------------------


def handover_candidates(actor, from_rm):
    """The customers an RM holds as A-post or B-post inside the actor's write scope (the preview)."""
    return (
        visible_customers(actor, write=True)
        .filter(Q(a_rm=from_rm) | Q(b_rm=from_rm))
        .select_related("tier", "a_rm", "b_rm")
        .order_by("-aum", "id")
    )


def handover_preview(actor, from_rm, **filters) -> tuple[list, int]:
    """What the page and the API show before a handover: the first HANDOVER_MAX_CUSTOMERS candidates
    (by AUM) and how many the RM holds in the actor's scope in all (within `filters`: tier, stage,
    kind, as `filter_handover_candidates`)."""
    held = filter_handover_candidates(handover_candidates(actor, from_rm), **filters)
    shown = list(held[:HANDOVER_MAX_CUSTOMERS])
    return shown, (len(shown) if len(shown) < HANDOVER_MAX_CUSTOMERS else held.count())


def filter_handover_candidates(qs, *, tier=None, stage=None, kind=None):
    """The handover page's filters over the candidates (SPEC §2 search filters: tier, stage, kind);
    an unknown or malformed value selects nothing rather than everything."""
    if tier:
        qs = qs.filter(tier_id=int(tier)) if str(tier).isdigit() and int(tier) < 2**31 else qs.none()
    if stage:
        qs = qs.filter(stage=stage) if stage in Stage.values else qs.none()
    if kind:
        qs = qs.filter(kind=kind) if kind in CustomerKind.values else qs.none()
    return qs


def check_handover(actor, from_rm_id, to_rm_id, customer_ids=None):
    """Everything `request_handover` checks, without writing (the page's confirmation step shows the
    result): returns (from_rm, to_rm, ids). A customer id outside the actor's write scope or not held
    by the leaving RM is refused on `customer_ids`; nothing is handed over."""
    require(is_supervisor(actor), _("只有团队长或分管行长可以发起客户移交。"))
    from_rm = load_rm(from_rm_id, "from_rm")
    to_rm = load_rm(to_rm_id, "to_rm")
    if from_rm is None:
        raise ValidationError({"from_rm": [_("请选择移交人。")]})
    if to_rm is None:
        raise ValidationError({"to_rm": [_("请选择接收人。")]})
    if from_rm.pk == to_rm.pk:
        raise ValidationError({"to_rm": [_("接收人不能是移交人本人。")]})
    check_assignable(to_rm, "to_rm")
    staff = visible_staff(actor)
    if not staff.filter(pk=to_rm.pk).exists() or not staff.filter(pk=from_rm.pk).exists():
        raise ValidationError({"to_rm": [_("只能在本机构范围内移交。")]})
    candidates = handover_candidates(actor, from_rm)
    if customer_ids is not None:
        ids = {int(i) for i in customer_ids}
        _check_handover_size(len(ids))
        candidates = candidates.filter(pk__in=[i for i in ids if 0 < i < 2**63])
        if candidates.count() != len(ids):
            raise ValidationError({"customer_ids": [_("所选客户不都在移交人名下或不在您的管辖范围内。")]})
    ids = list(candidates.values_list("pk", flat=True))
    if not ids:
        raise ValidationError({"from_rm": [_("移交人名下没有可移交的客户。")]})
    _check_handover_size(len(ids))
    return from_rm, to_rm, ids


#: the longest handover note per customer (OwnershipChange.note)
HANDOVER_NOTE_MAX = 300


@business_action(roles=WORKERS)
def request_handover(actor, from_rm_id, to_rm_id, *, notes: dict | None = None, customer_ids=None, reason=""):
    """Bulk handover when an RM leaves or moves (SPEC §2): a team lead or branch manager prepares it
    with a note per customer, a different supervisor approves; on approval every customer gets the
    receiving RM and none is left without an A-post. At most HANDOVER_MAX_CUSTOMERS a request
    (`customer_ids` given or not): more is refused on `customer_ids`."""
    from_rm, to_rm, ids = check_handover(actor, from_rm_id, to_rm_id, customer_ids)
    notes = {str(k): str(v) for k, v in (notes or {}).items() if str(k) in {str(i) for i in ids} and v}
    too_long = sorted(k for k, v in notes.items() if len(v) > HANDOVER_NOTE_MAX)
    if too_long:  # checked now, not when the handover is approved and the notes are written
        raise ValidationError(
            {f"notes.{k}": [_("移交说明不能超过 %(n)d 个字符。") % {"n": HANDOVER_NOTE_MAX}] for k in too_long}
        )
    title = _("客户移交：%(from)s → %(to)s，共 %(n)d 户") % {
        "from": from_rm.display_name,
        "to": to_rm.display_name,
        "n": len(ids),
    }
    unit = owner_unit(from_rm)
    return request_approval(
        actor,
        "customers.handover",
        title,
        {"from_rm": from_rm.pk, "to_rm": to_rm.pk, "customer_ids": ids, "notes": notes},
        unit=unit,
        reason=reason,
    )


def _check_handover_size(count):
    try:
        validate_handover_size(count)
    except ValidationError as exc:
        raise ValidationError({"customer_ids": exc.error_list}) from None


def _may_decide_handover(checker, req) -> bool:
    return supervises_all(checker, req.payload.get("customer_ids", []))


def _apply_handover(checker, req):
    p = req.payload
    from_rm = load_rm(p["from_rm"], "from_rm")
    to_rm = load_rm(p["to_rm"], "to_rm")
    check_assignable(to_rm, "to_rm")
    handover = Handover.objects.create(
        from_rm=from_rm, to_rm=to_rm, reason=req.reason[:200], requested_by=req.requested_by, approved_by=checker
    )
    notes = p.get("notes") or {}
    moved = []
    records = []
    for customer in Customer.objects.select_for_update().filter(pk__in=p["customer_ids"]).order_by("id"):
        note = notes.get(str(customer.pk), "")
        if customer.a_rm_id == from_rm.pk:
            b_rm = customer.b_rm if customer.b_rm_id != to_rm.pk else None
            set_owners(
                customer,
                a_rm=to_rm,
                b_rm=b_rm,
                kind=OwnershipKind.HANDOVER,
                actor=req.requested_by,
                approved_by=checker,
                note=note,
            )
            records.append(HandoverRecord(handover=handover, customer=customer, post="A", note=note))
        elif customer.b_rm_id == from_rm.pk:
            b_rm = to_rm if customer.a_rm_id != to_rm.pk else None
            set_owners(
                customer,
                a_rm=customer.a_rm,
                b_rm=b_rm,
                kind=OwnershipKind.HANDOVER,
                actor=req.requested_by,
                approved_by=checker,
                note=note,
            )
            records.append(HandoverRecord(handover=handover, customer=customer, post="B", note=note))
        else:
            continue  # changed hands since the request: nothing to hand over
        moved.append(customer)
    HandoverRecord.objects.bulk_create(records)
    orphaned = [c.pk for c in moved if c.a_rm_id is None]
    if orphaned:
        raise ValidationError(_("移交后仍有客户没有A岗客户经理，已取消。"))
    audit.record(
        checker,
        "customers.handover",
        handover,
        after={"from_rm": from_rm.pk, "to_rm": to_rm.pk, "count": len(moved)},
        approval=req.pk,
    )
    signals.customers_handed_over.send(
        sender=Customer,
        actor=checker,
        customers=moved,
        from_rm=from_rm,
        to_rm=to_rm,
        notes={c.pk: notes.get(str(c.pk), "") for c in moved},
        handover=handover,
    )
    return handover


register_handler(
    "customers.handover", gettext_lazy("客户批量移交"), on_approved=_apply_handover, may_decide=_may_decide_handover
)
