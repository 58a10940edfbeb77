"""No poaching (不争夺客户, SPEC §2): a second claim on the same person or company (same ID number,
credit code or mobile) opens a Conflict that a supervisor settles (merge, assign, dismiss; the
claimant never settles their own claim), and the unassigned pool with the coverage rule (seed 001)."""

from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from rmdesk.core import audit
from rmdesk.core.actions import business_action
from rmdesk.core.approvals import ensure_not_self
from rmdesk.core.roles import SUPERVISORS
from rmdesk.core.scope import ScopeSpec, visible

from .. import signals
from ..models import (
    Conflict,
    ConflictStatus,
    Contact,
    Customer,
    CustomerKind,
    Document,
    FinancialYear,
    Holding,
    KeyDate,
    Need,
    Note,
    OwnershipKind,
    Stage,
)
from ..scope import visible_customers
from .cleaning import DUPLICATE_FIELDS, EDITABLE_FIELDS, completeness_of, customer_values, plain
from .holdings import recompute_aggregates
from .ownership import check_assignable, load_rm, owner_unit, set_owners
from .permissions import is_supervisor, require, supervises_all

#: who sees a conflict: the claimant, and supervisors of the existing archive's or the claimant's unit
CONFLICT_SCOPE = ScopeSpec(personal_fields=("claimant",), path_fields=("org_path", "claimant_path"))


def visible_conflicts(user):
    """Conflicts a user may see: supervisors those touching their subtree (the existing archive's or
    the claimant's team), everyone the claims they made themselves."""
    if not getattr(user, "is_authenticated", False):
        return Conflict.objects.none()
    return visible(Conflict.objects.all(), user, CONFLICT_SCOPE, write=True)


def mark_existing_visibility(user, conflicts):
    """Set `existing_visible` on each conflict: whether `user` may see the existing archive it names.

    A claimant learns only that their claim went to a supervisor (the conflict's own reference and what
    they submitted), never the existing archive (id, name, number, owners, AUM) unless it lies in
    their own scope; a supervisor covering both sees both (SPEC §2 不争夺客户, data scope §1).
    Returns the conflicts (a list)."""
    conflicts = list(conflicts)
    ids = {c.existing_id for c in conflicts}
    shown = set(visible_customers(user).filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
    for c in conflicts:
        c.existing_visible = c.existing_id in shown
    return conflicts


def open_conflict(claimant, existing, field, value, *, source, proposed, subject=None):
    """Record a second claim on an existing archive; the same open claim is not duplicated."""
    proposed = {k: plain(v) for k, v in proposed.items()}
    same = Conflict.objects.filter(
        existing=existing,
        subject=subject,
        claimant=claimant,
        match_field=field,
        match_value=value,
        status=ConflictStatus.OPEN,
    ).first()
    if same is not None and same.proposed.get("customer_no", "") == proposed.get("customer_no", ""):
        return same
    claimant_unit = owner_unit(claimant)
    conflict = Conflict.objects.create(
        existing=existing,
        subject=subject,
        match_field=field,
        match_value=value,
        source=source,
        proposed=proposed,
        claimant=claimant,
        org_path=existing.org_path,
        claimant_path=claimant_unit.path if claimant_unit else "",
    )
    audit.record(
        claimant, "customers.conflict_open", conflict, after={"existing": existing.pk, "field": field, "source": source}
    )
    return conflict


MERGE_FILL_FIELDS = [f for f in EDITABLE_FIELDS if f not in ("kind", "name", "source", "stage", "metrics")]


@business_action(roles=SUPERVISORS)
def resolve_conflict(actor, conflict_id, action: str, *, owner_id=None, note: str = ""):
    """The supervisor settles a conflict (SPEC §2 不争夺客户):
    - merge: the claim's data fills the blanks of the existing archive (an edited duplicate archive is
      merged into it: holdings, contacts, needs, notes, dates and documents move over, and
      `customers_merged` lets every other app move what it holds; the merged archive is closed, which
      is not churn: no `stage_changed` is sent for it);
    - assign: the existing archive's A-post goes to `owner_id` (e.g. the claimant);
    - dismiss: the claim is refused, nothing changes.
    The claimant can never settle their own claim."""
    require(is_supervisor(actor), _("只有团队长或分管行长可以处理客户冲突。"))
    conflict = visible_conflicts(actor).select_for_update().filter(pk=conflict_id).first()
    if conflict is None:
        raise Http404
    if conflict.status != ConflictStatus.OPEN:
        raise ValidationError({"__all__": [_("该冲突已处理。")]})
    ensure_not_self(conflict.claimant, actor)
    existing = Customer.objects.select_for_update().get(pk=conflict.existing_id)
    if not supervises_all(actor, [existing.pk]):
        raise PermissionDenied(_("已有客户不在您的管辖范围内，请由其上级处理。"))
    if action == "merge":
        subject = conflict.subject
        source_values = customer_values(subject) if subject else conflict.proposed
        filled = {}
        for field in MERGE_FILL_FIELDS:
            new = source_values.get(field)
            if new in (None, "") or getattr(existing, field) not in (None, ""):
                continue
            if field in ("birth_date", "founded_on") and isinstance(new, str):
                new = date.fromisoformat(new)
            if field in ("annual_income", "registered_capital", "ka_volume") and isinstance(new, str):
                new = Decimal(new)
            setattr(existing, field, new)
            filled[field] = new
        if subject is not None and subject.pk != existing.pk:
            for model in (Holding, Contact, Need, Note, KeyDate, Document, FinancialYear):
                model.objects.filter(customer=subject).update(customer=existing)
            existing.tags.add(*subject.tags.all())
            subject.merged_into = existing
            # closed as merged; no stage_changed: a merge is not churn (signals.customers_merged)
            subject.stage = Stage.LOST
            for f in DUPLICATE_FIELDS:
                setattr(subject, f, "")
            subject.version += 1
            subject.save()  # the search keys (tails) follow: Customer.refresh_derived
        existing.version += 1
        existing.save()
        existing.completeness = completeness_of(existing)
        Customer.objects.filter(pk=existing.pk).update(completeness=existing.completeness)
        if subject is not None:
            recompute_aggregates(existing, reason=_("合并重复档案"))
            if subject.pk != existing.pk:
                # every other app re-points what it holds for the merged archive, in this transaction
                signals.customers_merged.send(sender=Customer, actor=actor, source=subject, target=existing)
        conflict.status = ConflictStatus.MERGED
        after = {"filled": sorted(filled), "merged_subject": subject.pk if subject else None}
    elif action == "assign":
        owner = load_rm(owner_id or conflict.claimant_id, "owner")
        check_assignable(owner, "owner")
        b_rm = existing.b_rm if existing.b_rm_id != owner.pk else None
        set_owners(
            existing,
            a_rm=owner,
            b_rm=b_rm,
            kind=OwnershipKind.CONFLICT,
            actor=conflict.claimant,
            approved_by=actor,
            note=note,
        )
        conflict.status = ConflictStatus.ASSIGNED
        after = {"a_rm": owner.pk}
    elif action == "dismiss":
        conflict.status = ConflictStatus.DISMISSED
        after = {}
    else:
        raise ValidationError({"action": [_("处理方式无效。")]})
    conflict.resolved_by = actor
    conflict.resolved_at = timezone.now()
    conflict.resolution_note = note or ""
    conflict.save()
    audit.record(actor, "customers.conflict_resolve", conflict, after={"action": action, **after})
    return conflict


# --- lists used by pages and API ---------------------------------------------------------------------


def pool_customers(user):
    """The unassigned pool (no A-post) inside a supervisor's subtree (SPEC §2)."""
    if not is_supervisor(user):
        return Customer.objects.none()
    return visible_customers(user, write=True).filter(a_rm__isnull=True, merged_into__isnull=True)


def coverage_gaps(user):
    """Corporate customers that need a dedicated A-post (deposits ≥ 100,000 or loans ≥ 500,000, seed 001)
    but have none, for the team lead."""
    return (
        pool_customers(user)
        .filter(kind=CustomerKind.CORPORATE)
        .filter(Q(deposits__gte=Decimal("100000")) | Q(loans__gte=Decimal("500000")))
    )
