"""Tiers (SPEC §2): configurable rule sets, a customer's tier from its metric, the history of every
change (TierChange) and the `tier_changed` event that feeds cadence and the §9 indicators."""

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from rmdesk.core import audit
from rmdesk.core.actions import business_action
from rmdesk.core.roles import RoleCode, is_admin

from .. import signals
from ..models import Customer, CustomerKind, Tier, TierChange, TierDirection, TierRuleSet
from .permissions import require


def active_rule_set(kind: str = CustomerKind.INDIVIDUAL):
    """The rule set in use for one customer kind (SPEC §2: each kind is tiered by its own set)."""
    return TierRuleSet.objects.filter(is_active=True, kind=kind).prefetch_related("tiers").order_by("id").first()


def active_rule_sets() -> dict:
    """kind -> the rule set in use for it (with its tiers), for every kind that has one."""
    out = {}
    for rs in TierRuleSet.objects.filter(is_active=True).prefetch_related("tiers").order_by("id"):
        out.setdefault(rs.kind, rs)
    return out


def metric_value(customer, metric: str) -> Decimal:
    if metric in ("aum", "deposits", "loans", "contribution"):
        return getattr(customer, metric) or Decimal("0")
    raw = (customer.metrics or {}).get(metric)
    try:
        return Decimal(str(raw)) if raw not in (None, "") else Decimal("0")
    except ArithmeticError:
        return Decimal("0")


def tier_for_value(tiers, value: Decimal):
    """The highest-ranked tier whose threshold the value reaches (tiers of one rule set)."""
    best = None
    for tier in tiers:
        if value >= tier.threshold and (best is None or tier.rank > best.rank):
            best = tier
    return best


def _moves_now(rule_set, old, new) -> bool:
    """Whether a current-value recompute may move the customer from `old` to `new`. A set on the monthly
    daily average (issue 19) moves only at month end (services.monthly_tiers): here it gives a first
    tier, and upgrades at once only when its `upgrade_rule` is `immediate`; it never downgrades."""
    if getattr(rule_set, "measure", "current") != "monthly_avg":
        return True
    if old is None or old.rule_set_id != rule_set.pk:
        return True
    return rule_set.upgrade_rule == "immediate" and new.rank > old.rank


def _direction(old, new):
    if old is None or new is None or old.rule_set_id != new.rule_set_id:
        return TierDirection.INITIAL
    return TierDirection.UP if new.rank > old.rank else TierDirection.DOWN


def recompute_tier(customer, *, reason: str, rule_set=None, tiers=None, send=True):
    """Put the customer in the tier its metric reaches under the set in use for its kind; keep a
    TierChange and send tier_changed (SPEC §2). A `rule_set` for another kind is ignored."""
    if rule_set is None or rule_set.kind != customer.kind:
        rule_set, tiers = active_rule_set(customer.kind), None
    if rule_set is None:
        return None
    tiers = tiers if tiers is not None else list(rule_set.tiers.all())
    value = metric_value(customer, rule_set.metric)
    new = tier_for_value(tiers, value)
    old_id = customer.tier_id
    if new is None or new.pk == old_id:
        return None
    old = Tier.objects.filter(pk=old_id).first() if old_id else None
    if not _moves_now(rule_set, old, new):
        return None
    customer.tier = new
    Customer.objects.filter(pk=customer.pk).update(tier=new)
    change = TierChange.objects.create(
        customer=customer,
        from_tier=old,
        to_tier=new,
        direction=_direction(old, new),
        reason=reason[:200],
        metric_value=value,
        a_rm_id=customer.a_rm_id,
        org_path=customer.org_path,
    )
    if send:
        signals.tier_changed.send(sender=Customer, customer=customer, old_tier=old, new_tier=new, change=change)
    return change


def recompute_all_tiers(*, rule_set=None, batch_size: int = 2000, reason: str = "") -> int:
    """The periodic recompute: every archive against the set in use for its kind (or, with `rule_set`,
    only the archives of that set's kind against it); returns the number of changes (SPEC §2)."""
    sets = [rule_set] if rule_set is not None else list(active_rule_sets().values())
    return sum(_recompute_kind(rs, batch_size=batch_size, reason=reason) for rs in sets)


def _recompute_kind(rule_set, *, batch_size: int, reason: str) -> int:
    tiers = list(rule_set.tiers.all())
    tiers_by_id = {t.pk: t for t in Tier.objects.all()}
    reason = reason or _("定期重算")
    changed = 0
    last_id = 0
    while True:
        rows = list(
            Customer.objects.filter(id__gt=last_id, kind=rule_set.kind)
            .order_by("id")
            .only("id", "tier_id", "aum", "deposits", "loans", "contribution", "metrics", "a_rm_id", "org_path")[
                :batch_size
            ]
        )
        if not rows:
            break
        last_id = rows[-1].id
        with transaction.atomic():
            changes = []
            for c in rows:
                new = tier_for_value(tiers, metric_value(c, rule_set.metric))
                if new is None or new.pk == c.tier_id:
                    continue
                old = tiers_by_id.get(c.tier_id)
                if not _moves_now(rule_set, old, new):
                    continue
                Customer.objects.filter(pk=c.pk).update(tier=new)
                changes.append(
                    (
                        c,
                        old,
                        new,
                        TierChange(
                            customer=c,
                            from_tier=old,
                            to_tier=new,
                            direction=_direction(old, new),
                            reason=reason,
                            metric_value=metric_value(c, rule_set.metric),
                            a_rm_id=c.a_rm_id,
                            org_path=c.org_path,
                        ),
                    )
                )
            TierChange.objects.bulk_create([ch for *_, ch in changes])
            for c, old, new, ch in changes:
                c.tier = new
                signals.tier_changed.send(sender=Customer, customer=c, old_tier=old, new_tier=new, change=ch)
            changed += len(changes)
    if changed:
        audit.record(
            None,
            "customers.tiers_recomputed",
            object_type="customers.tierruleset",
            object_id=rule_set.pk,
            after={"changes": changed, "rule_set": rule_set.code, "kind": rule_set.kind},
        )
    return changed


@business_action(roles=(RoleCode.ADMIN,))
def activate_rule_set(actor, rule_set_id: int) -> int:
    """Make a tier rule set the one in use for its customer kind and re-tier the archives of that kind
    against it; other kinds keep their sets (administrators, SPEC §2)."""
    require(is_admin(actor), _("只有系统管理员可以切换分层规则。"))
    rule_set = TierRuleSet.objects.get(pk=rule_set_id)
    TierRuleSet.objects.filter(kind=rule_set.kind).exclude(pk=rule_set.pk).update(is_active=False)
    rule_set.is_active = True
    rule_set.save(update_fields=["is_active"])
    audit.record(actor, "customers.rule_set_activate", rule_set, after={"code": rule_set.code})
    return recompute_all_tiers(rule_set=rule_set, reason=_("切换分层规则：%(name)s") % {"name": rule_set.name})


def retier_after_edit(actor, rule_set) -> int:
    """An administrator changed a set's tiers or thresholds: re-tier the archives of its kind only,
    and only when the set is in use (SPEC §2). Audited with the number of changes."""
    if not rule_set.is_active:
        return 0
    n = recompute_all_tiers(rule_set=rule_set, reason=_("分层规则调整：%(name)s") % {"name": rule_set.name})
    audit.record(actor, "customers.rule_set_edit", rule_set, after={"code": rule_set.code, "changes": n})
    return n
