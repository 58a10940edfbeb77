"""Churn watch (名单制管理), SPEC §5.

Definition (docs/service.md): a customer churns on the day it moves to stage 流失 (lost) or, having
held a tier measured on a balance of the archive (AUM, deposits…: the bank's tiers), its AUM falls below
CHURN_AUM_FLOOR; a customer tiered on another figure (a subscriber's monthly bill, an outlet's sales: the
telecom and tobacco packs) churns only by stage, as AUM means nothing there. A duplicate archive merged
into another (合并, its `merged_into` set) is closed, not lost: it never counts as churn (customers'
`customers_merged` moves its rows to the archive it was merged into). Each churn is one ChurnEvent (this app's own
history, with the tier the customer held). A customer in stage 流失预警 (at risk) is put on the
watch list. The churn rate of a tier over a period is

    churned in the period / (customers now in the tier and not lost + churned in the period) · 100

over the customers in the viewer's scope, compared with the tier's target (ChurnTarget; a row
without a tier is the default for every tier).
"""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from rmdesk.core import audit
from rmdesk.core.actions import business_action, check_version
from rmdesk.core.roles import WORKERS
from rmdesk.customers.models import SNAPSHOT_METRICS, Customer, Stage, Tier
from rmdesk.customers.scope import visible_customers
from rmdesk.org.models import RoleCode, User

from . import notify
from .models import (
    ChurnEvent,
    ChurnTarget,
    RetentionAction,
    RetentionKind,
    RetentionTrigger,
    TriggerKind,
    WatchEntry,
    WatchReason,
    WatchStatus,
)
from .scope import get_retention_action_or_404, get_watch_or_404, visible_churn, visible_watch

CHURN_AUM_FLOOR = Decimal("100")
ACTIVE_STAGES = (Stage.NEW, Stage.ACTIVE, Stage.DORMANT, Stage.AT_RISK)


# the AUM floor applies to customers whose tier is measured on a balance the archive holds
_BALANCE_TIERED = Q(tier__rule_set__metric__in=SNAPSHOT_METRICS)


def record_churn(customer: Customer, *, on: date | None = None, reason="", actor=None) -> ChurnEvent | None:
    """Record one churn of a customer (idempotent: an unrecovered event is not repeated)."""
    if ChurnEvent.objects.filter(customer=customer, recovered_on__isnull=True).exists():
        return None
    with transaction.atomic():
        ev = ChurnEvent.objects.create(
            customer=customer,
            tier_id=customer.tier_id,
            occurred_on=on or timezone.localdate(),
            reason=reason or str(Stage(customer.stage).label),
            aum_before=customer.aum,
            rm=customer.a_rm,
            org_path=customer.org_path,
        )
        _ensure_watch(customer, WatchReason.LOST, actor)
        if actor is not None:
            audit.record(actor, "service.churn", ev, after={"customer": customer.pk, "tier": customer.tier_id})
    return ev


def _ensure_watch(customer, reason, actor=None, note="", trigger=None):
    entry = WatchEntry.objects.filter(customer=customer, status=WatchStatus.OPEN).first()
    if entry is None:
        entry = WatchEntry.objects.create(
            customer=customer,
            reason=reason,
            trigger=trigger,
            note=note,
            assigned_to=customer.a_rm,
            org_path=customer.org_path,
            added_by=actor,
        )
        if customer.a_rm:
            notify.send(
                customer.a_rm,
                "service.watch",
                _("客户列入流失预警名单：%(c)s") % {"c": customer.name},
                url=_watch_url(entry),
                obj=entry,
            )
    return entry


def scan(now=None) -> dict:
    """Periodic scan: churned customers get a ChurnEvent, at-risk ones a watch-list entry; a churned
    customer that is active again is marked recovered."""
    today = timezone.localdate(now) if now else timezone.localdate()
    out = {"churned": 0, "watched": 0, "recovered": 0}
    open_churn = set(ChurnEvent.objects.filter(recovered_on__isnull=True).values_list("customer_id", flat=True))
    archives = Customer.objects.filter(merged_into__isnull=True)  # a merged duplicate is not a lost customer
    candidates = archives.filter(stage=Stage.LOST) | archives.filter(
        _BALANCE_TIERED, stage__in=ACTIVE_STAGES, aum__lt=CHURN_AUM_FLOOR
    )
    for c in candidates.exclude(pk__in=open_churn).iterator(chunk_size=500):
        if record_churn(c, on=today):
            out["churned"] += 1
    watched = set(WatchEntry.objects.filter(status=WatchStatus.OPEN).values_list("customer_id", flat=True))
    for c in archives.filter(stage=Stage.AT_RISK).exclude(pk__in=watched).iterator(chunk_size=500):
        with transaction.atomic():
            _ensure_watch(c, WatchReason.AT_RISK)
        out["watched"] += 1
    back = (
        ChurnEvent.objects.filter(recovered_on__isnull=True)
        .exclude(customer__stage=Stage.LOST)
        .exclude(customer__tier__rule_set__metric__in=SNAPSHOT_METRICS, customer__aum__lt=CHURN_AUM_FLOOR)
        .exclude(customer__tier__isnull=True, customer__aum__lt=CHURN_AUM_FLOOR)
    )
    out["recovered"] = back.update(recovered_on=today)
    out["triggered"] = scan_triggers(today)
    return out


def scan_triggers(today: date) -> int:
    """Retention triggers (seed 004: 话费异动, 零话费/欠费停机): a customer whose metrics fire an active trigger
    and who is not on the watch list yet is put on it, with a call for the A-role RM due in the trigger's
    working days and the trigger's script on the entry. Returns the number of customers put on the list."""
    from rmdesk.core.calendar import add_working_days

    made = 0
    # a figure that fell to zero fires both kinds: the zero trigger (零话费/欠费停机) is the more specific, so
    # it is tried first and its script is the one the RM gets
    triggers = sorted(
        RetentionTrigger.objects.filter(is_active=True), key=lambda t: (t.kind != TriggerKind.ZERO, t.code)
    )
    for trigger in triggers:
        watched = WatchEntry.objects.filter(status=WatchStatus.OPEN).values("customer_id")
        candidates = (
            Customer.objects.filter(merged_into__isnull=True, metrics__has_key=trigger.metric)
            .exclude(stage=Stage.LOST)
            .exclude(pk__in=watched)
            .select_related("a_rm")
        )
        for customer in candidates.iterator(chunk_size=500):
            value = trigger.fires(customer.metrics)
            if value is None:
                continue
            with transaction.atomic():
                note = _("%(trigger)s：本期 %(now)s，上期 %(before)s") % {
                    "trigger": trigger.name,
                    "now": value,
                    "before": customer.metrics.get(trigger.previous_metric, "—") if trigger.previous_metric else "—",
                }
                entry = _ensure_watch(customer, WatchReason.TRIGGER, note=note, trigger=trigger)
                if customer.a_rm_id:
                    RetentionAction.objects.create(
                        entry=entry,
                        kind=RetentionKind.CALL,
                        description=trigger.name,
                        assigned_to_id=customer.a_rm_id,
                        due_on=add_working_days(today, trigger.call_within_days),
                    )
                audit.record(
                    None,
                    "service.retention_trigger",
                    entry,
                    after={"customer": customer.pk, "trigger": trigger.code, "value": str(value)},
                )
            made += 1
    return made


def on_stage_changed(actor, customer, new_stage):
    """A customer's lifecycle stage changed (customers' `stage_changed`): react at once when it is
    marked lost (a churn event and the watch list) or at risk (the watch list); the AUM rule is left
    to the periodic scan. A merged archive is never churn."""
    if customer.merged_into_id is not None:
        return
    if new_stage == Stage.LOST:
        record_churn(customer, actor=actor)
    elif (
        new_stage == Stage.AT_RISK
        and not WatchEntry.objects.filter(customer=customer, status=WatchStatus.OPEN).exists()
    ):
        _ensure_watch(customer, WatchReason.AT_RISK, actor)


def absorb_merged_customer(actor, source, target) -> dict:
    """A duplicate archive `source` was merged into `target` (SPEC §2 不争夺客户, customers_merged): its
    cases, watch entries, churn history and survey responses now belong to `target`, in the merge's
    transaction. Case and watch-entry scope copies follow the target's unit; where both archives
    answered the same survey round, the answered response is kept (the target's when both did)."""
    from .models import Case, SurveyResponse

    moved = {
        "cases": Case.objects.filter(customer=source).update(customer=target, customer_path=target.org_path),
        "watch_entries": WatchEntry.objects.filter(customer=source).update(customer=target, org_path=target.org_path),
        "churn_events": ChurnEvent.objects.filter(customer=source).update(customer=target),
    }
    theirs = {r.round_id: r for r in SurveyResponse.objects.filter(customer=target)}
    drop = []
    for resp in SurveyResponse.objects.filter(customer=source, round_id__in=list(theirs)):
        kept = theirs[resp.round_id]
        if resp.answered_at is not None and kept.answered_at is None:
            drop.append(kept.pk)
        else:
            drop.append(resp.pk)
    SurveyResponse.objects.filter(pk__in=drop).delete()
    moved["survey_responses"] = SurveyResponse.objects.filter(customer=source).update(customer=target)
    audit.record(actor, "service.customers_merged", target, after={"source": source.pk, **moved})
    return moved


def target_for(tier) -> Decimal | None:
    targets = {t.tier_id: t.max_rate for t in ChurnTarget.objects.all()}
    if tier is not None and tier.pk in targets:
        return targets[tier.pk]
    return targets.get(None)


def churn_rates(user, *, start: date, end: date) -> list[dict]:
    """Churn rate per tier over [start, end] for the customers in the user's scope (SPEC §5)."""
    churned = dict(
        visible_churn(user)
        .filter(occurred_on__gte=start, occurred_on__lte=end, tier__isnull=False, customer__merged_into__isnull=True)
        .values("tier")
        .annotate(n=Count("id"))
        .values_list("tier", "n")
    )
    archives = visible_customers(user).filter(merged_into__isnull=True, tier__isnull=False)
    base = dict(archives.exclude(stage=Stage.LOST).values("tier").annotate(n=Count("id")).values_list("tier", "n"))
    at_risk = dict(archives.filter(stage=Stage.AT_RISK).values("tier").annotate(n=Count("id")).values_list("tier", "n"))
    targets = {t.tier_id: t.max_rate for t in ChurnTarget.objects.all()}
    out = []
    for tier in Tier.objects.filter(pk__in=set(churned) | set(base)).select_related("rule_set").order_by("-rank"):
        lost = churned.get(tier.pk, 0)
        population = base.get(tier.pk, 0) + lost
        rate = (
            (Decimal(lost * 100) / population).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) if population else None
        )
        target = targets.get(tier.pk, targets.get(None))
        out.append(
            {
                "tier_id": tier.pk,
                "tier": tier.name,
                "rank": tier.rank,
                "customers": population,
                "churned": lost,
                "at_risk": at_risk.get(tier.pk, 0),
                "rate": rate,
                "target": target,
                "ok": None if rate is None or target is None else rate < target,
            }
        )
    return out


def _period_bounds(period: str, today: date) -> tuple[date, date]:
    if period == "year":
        return date(today.year, 1, 1), date(today.year, 12, 31)
    if period == "quarter":
        q0 = (today.month - 1) // 3 * 3 + 1
        end_month = q0 + 2
        nxt = date(today.year + (end_month == 12), end_month % 12 + 1, 1)
        return date(today.year, q0, 1), date.fromordinal(nxt.toordinal() - 1)
    nxt = date(today.year + (today.month == 12), today.month % 12 + 1, 1)
    return date(today.year, today.month, 1), date.fromordinal(nxt.toordinal() - 1)


# --- the watch list --------------------------------------------------------------------------------

WATCH_ROLES = (RoleCode.RM, RoleCode.TEAM_LEAD, RoleCode.BRANCH_MANAGER)


def _watch_url(entry) -> str:
    """Where a churn notice leads: the watch-list entry (SPEC §3: every notification links to its object)."""
    from django.urls import reverse

    return reverse("service:watch_detail", args=[entry.pk])


@business_action(roles=WORKERS)
def add_to_watch(user, *, customer_id, reason=WatchReason.MANUAL, note="", assigned_to_id=None) -> WatchEntry:
    """列入名单: put a customer in scope on the watch list (SPEC §5 名单制管理)."""
    if not user.has_role(*WATCH_ROLES):
        raise PermissionDenied(_("您无权维护流失预警名单。"))
    customer = visible_customers(user).filter(pk=customer_id).first()
    if customer is None:
        raise ValidationError({"customer_id": [_("客户不存在或不在您的管辖范围内。")]})
    if reason not in WatchReason.values:
        raise ValidationError({"reason": [_("列入原因无效。")]})
    if WatchEntry.objects.filter(customer=customer, status=WatchStatus.OPEN).exists():
        raise ValidationError({"customer_id": [_("该客户已在名单中。")]})
    assignee = customer.a_rm
    if assigned_to_id:
        assignee = User.objects.filter(pk=assigned_to_id, is_active=True).first()
        if assignee is None:
            raise ValidationError({"assigned_to_id": [_("人员不存在。")]})
    entry = WatchEntry.objects.create(
        customer=customer,
        reason=reason,
        note=note or "",
        assigned_to=assignee,
        org_path=customer.org_path,
        added_by=user,
    )
    audit.record(user, "service.watch_add", entry, after={"customer": customer.pk, "reason": reason})
    if assignee and assignee.pk != user.pk:
        notify.send(
            assignee,
            "service.watch",
            _("客户列入流失预警名单：%(c)s") % {"c": customer.name},
            url=_watch_url(entry),
            obj=entry,
        )
    return entry


def _entry_for_write(user, entry_id) -> WatchEntry:
    if not visible_watch(user).filter(pk=entry_id).exists():
        raise Http404
    entry = visible_watch(user, write=True).select_for_update().filter(pk=entry_id).first()
    if entry is None:
        raise PermissionDenied(_("您对该名单只有查看权限。"))
    return entry


@business_action(roles=WORKERS, subject=get_watch_or_404)
def add_retention_action(user, entry_id, *, kind, description, due_on, assigned_to_id=None) -> RetentionAction:
    """Assign a retention action (visit, offer, senior visit...) with a due date."""
    entry = _entry_for_write(user, entry_id)
    if entry.status != WatchStatus.OPEN:
        raise ValidationError({"kind": [_("名单已结束，不能再安排措施。")]})
    errors = {}
    if kind not in RetentionKind.values:
        errors["kind"] = [_("挽留措施无效。")]
    if not description or not description.strip():
        errors["description"] = [_("此项为必填项。")]
    if not due_on:
        errors["due_on"] = [_("此项为必填项。")]
    assignee = entry.assigned_to or user
    if assigned_to_id:
        assignee = User.objects.filter(pk=assigned_to_id, is_active=True).first()
        if assignee is None:
            errors["assigned_to_id"] = [_("人员不存在。")]
    if errors:
        raise ValidationError(errors)
    action = RetentionAction.objects.create(
        entry=entry, kind=kind, description=description.strip(), due_on=due_on, assigned_to=assignee, created_by=user
    )
    entry.version += 1
    entry.save(update_fields=["version"])
    audit.record(user, "service.retention_action", action, after={"entry": entry.pk, "kind": kind})
    if assignee.pk != user.pk:
        notify.send(
            assignee,
            "service.retention",
            _("挽留任务：%(c)s") % {"c": entry.customer.name},
            url=_watch_url(entry),
            obj=action,
            due_at=None,
        )
    return action


@business_action(roles=WORKERS, subject=get_retention_action_or_404)
def complete_action(user, action_id, *, result) -> RetentionAction:
    action = RetentionAction.objects.select_related("entry").filter(pk=action_id).first()
    if action is None:
        raise Http404
    _entry_for_write(user, action.entry_id)
    if not result or not result.strip():
        raise ValidationError({"result": [_("此项为必填项。")]})
    if action.done_at:
        raise ValidationError({"result": [_("该措施已完成。")]})
    action.done_at, action.result = timezone.now(), result.strip()
    action.save()
    audit.record(user, "service.retention_done", action, after={"result": result})
    return action


@business_action(roles=WORKERS, subject=get_watch_or_404)
def close_watch(user, entry_id, *, status, version, outcome="") -> WatchEntry:
    """End a watch-list entry as retained or lost (the version the user saw is required)."""
    entry = _entry_for_write(user, entry_id)
    check_version(entry, version)
    if entry.status != WatchStatus.OPEN:
        raise ValidationError({"status": [_("名单已结束。")]})
    if status not in (WatchStatus.RETAINED, WatchStatus.LOST):
        raise ValidationError({"status": [_("结论无效。")]})
    entry.status, entry.outcome, entry.closed_at = status, outcome or "", timezone.now()
    entry.version += 1
    entry.save()
    audit.record(user, "service.watch_close", entry, after={"status": status})
    return entry
