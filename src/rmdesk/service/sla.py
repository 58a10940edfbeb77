"""The SLA engine (SPEC §5): deadlines in working time, pause while waiting for the customer,
at-risk and breach notices, escalation one level up the org tree per further breach interval.

Definitions (docs/service.md):
- a deadline of N `work_hours` is `add_working_time(start, N hours)` (09:00–17:00 of working days);
- a deadline of N `work_days` is the same time of day N working days later, counted from the first
  working instant at or after the start (a Saturday complaint counts from Monday 09:00, and a
  deadline landing exactly on 09:00 is shown as 17:00 of the working day before, the same instant
  in working time);
- while a case waits for the customer (paused) its timers stand still: on resume every open
  deadline moves by the working time spent waiting;
- a milestone is breached once per case and cycle (SlaBreach is unique), then each further
  `escalate_every_hours` of working time climbs exactly one rung of the escalation ladder (the heads
  of the responsible unit, then of each unit above it that has one) and stops at the top.
"""

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from rmdesk.core import calendar
from rmdesk.org.models import OrgUnit, RoleCode, User

from . import notify
from .models import (
    OPEN_STATUSES,
    Case,
    CaseStatus,
    DurationUnit,
    Milestone,
    SlaBreach,
    SlaEvent,
    SlaEventKind,
    SlaPolicy,
)

# --- deadlines ----------------------------------------------------------------------------------


def _first_working_instant(dt: datetime) -> datetime:
    start_t, end_t = calendar._work_hours()
    tz = timezone.get_current_timezone()
    local = timezone.localtime(dt)
    day = local.date()
    if calendar.is_working_day(day):
        if local.time() < start_t:
            return datetime.combine(day, start_t, tz)
        if local.time() < end_t:
            return local
    return datetime.combine(calendar.next_working_day(day, include_today=False), start_t, tz)


def deadline(start: datetime, amount: int, unit: str) -> datetime:
    """The due instant `amount` units of working time after `start` (see module docstring)."""
    if unit == DurationUnit.WORK_HOURS:
        return calendar.add_working_time(start, timedelta(hours=amount))
    begin = _first_working_instant(start)
    tz = timezone.get_current_timezone()
    day = calendar.add_working_days(begin.date(), amount)
    due = datetime.combine(day, begin.timetz().replace(tzinfo=None), tz)
    start_t, end_t = calendar._work_hours()
    if due.time() == start_t and amount > 0:
        prev = day - timedelta(days=1)
        while not calendar.is_working_day(prev):
            prev -= timedelta(days=1)
        due = datetime.combine(prev, end_t, tz)
    return due


def policy_for(category, severity) -> SlaPolicy | None:
    """The most specific active policy for the category and severity."""
    rows = (
        SlaPolicy.objects.filter(is_active=True)
        .filter(Q(category=category) | Q(category__isnull=True))
        .filter(Q(severity=severity) | Q(severity=""))
    )
    rows = sorted(rows, key=lambda p: (-p.specificity, p.pk))
    return rows[0] if rows else None


def set_deadlines(case: Case, start: datetime, *, ack=True):
    """Fill the case's deadlines from its policy, counting from `start`."""
    policy = case.policy
    if policy is None:
        case.ack_due_at = case.answer_due_at = None
        return
    if ack:
        case.ack_due_at = deadline(start, policy.ack_amount, policy.ack_unit)
    case.answer_due_at = deadline(start, policy.answer_amount, policy.answer_unit)


def shift_for_pause(case: Case, now: datetime) -> timedelta:
    """Move the open deadlines by the working time the case spent waiting for the customer."""
    waited = calendar.working_time_between(case.paused_at, now)
    if case.acknowledged_at is None and case.ack_due_at:
        case.ack_due_at = calendar.add_working_time(case.ack_due_at, waited)
    if case.answered_at is None and case.answer_due_at:
        case.answer_due_at = calendar.add_working_time(case.answer_due_at, waited)
    case.paused_seconds += int(waited.total_seconds())
    case.paused_at = None
    return waited


def remaining(case: Case, milestone: str, now=None):
    """Working time left until the milestone's deadline (negative when overdue), or None."""
    now = now or timezone.now()
    due = case.ack_due_at if milestone == Milestone.ACK else case.answer_due_at
    done = case.acknowledged_at if milestone == Milestone.ACK else case.answered_at
    if due is None or done is not None:
        return None
    at = case.paused_at or now
    if at <= due:
        return calendar.working_time_between(at, due)
    return -calendar.working_time_between(due, at)


# --- the escalation ladder ----------------------------------------------------------------------


def unit_heads(unit: OrgUnit, exclude=()) -> list:
    """The people who lead a unit: team leads of a team (or of an outlet without a team), branch managers."""
    qs = (
        User.objects.filter(is_active=True, status="active")
        .filter(
            Q(roles__code=RoleCode.TEAM_LEAD, team=unit)
            | Q(roles__code=RoleCode.TEAM_LEAD, unit=unit, team__isnull=True)
            | Q(roles__code=RoleCode.BRANCH_MANAGER, unit=unit)
        )
        .exclude(pk__in=[u.pk for u in exclude if u is not None])
        .distinct()
        .order_by("id")
    )
    return list(qs)


def escalation_ladder(case: Case) -> list[tuple]:
    """[(unit, heads)] from the responsible unit up to the root, skipping units with nobody to tell."""
    ladder = []
    unit = case.responsible_unit
    chain = [unit, *reversed(list(unit.get_ancestors()))] if unit else []
    for u in chain:
        heads = unit_heads(u, exclude=(case.owner,))
        if heads:
            ladder.append((u, heads))
    return ladder


# --- the periodic run ---------------------------------------------------------------------------


def _url(case):
    try:
        return reverse("service:case_detail", args=[case.pk])
    except Exception:  # noqa: BLE001 - URLs not loaded (e.g. a bare script)
        return ""


def _event(case, kind, recipient, *, milestone="", level=0, unit=None, title="", now=None, due_at=None):
    SlaEvent.objects.create(
        case=case,
        kind=kind,
        milestone=milestone,
        cycle=case.cycle,
        level=level,
        recipient=recipient,
        unit=unit,
        at=now or timezone.now(),
    )
    notify.send(
        recipient,
        f"service.{kind}",
        title,
        body=case.title,
        url=_url(case),
        obj=case,
        due_at=due_at,
        dedupe_key=f"service:{case.pk}:{case.cycle}:{kind}:{milestone}:{level}:{recipient.pk}",
    )


def notify_serious(case: Case, now=None):
    """Serious cases go to the head of the responsible unit at once (SPEC §5)."""
    ladder = escalation_ladder(case)
    if not ladder:
        return []
    unit, heads = ladder[0]
    for head in heads:
        _event(
            case,
            SlaEventKind.SERIOUS,
            head,
            unit=unit,
            now=now,
            title=_("严重投诉：%(no)s %(title)s") % {"no": case.number, "title": case.title},
        )
    return heads


def _milestones(case):
    if case.acknowledged_at is None and case.ack_due_at:
        yield Milestone.ACK, case.ack_due_at
    if case.answered_at is None and case.answer_due_at:
        yield Milestone.ANSWER, case.answer_due_at


def check_case(case: Case, now: datetime) -> dict:
    """One SLA pass over one case; idempotent (notices are recorded and never repeated)."""
    out = {"at_risk": 0, "breached": 0, "escalated": 0}
    if case.status == CaseStatus.CLOSED or case.paused_at is not None or case.policy is None:
        return out
    policy = case.policy
    for milestone, due in _milestones(case):
        label = Milestone(milestone).label
        if now < due:
            left = calendar.working_time_between(now, due)
            if left <= timedelta(hours=policy.warn_hours):
                exists = SlaEvent.objects.filter(
                    case=case, kind=SlaEventKind.AT_RISK, milestone=milestone, cycle=case.cycle
                ).exists()
                if not exists:
                    _event(
                        case,
                        SlaEventKind.AT_RISK,
                        case.owner,
                        milestone=milestone,
                        now=now,
                        due_at=due,
                        title=_("即将超时（%(m)s）：%(no)s") % {"m": label, "no": case.number},
                    )
                    out["at_risk"] += 1
            continue
        # breached: counted once per case, milestone and cycle
        breach = SlaBreach.objects.filter(case=case, milestone=milestone, cycle=case.cycle).first()
        if breach is None:
            try:
                with transaction.atomic():
                    breach = SlaBreach.objects.create(
                        case=case,
                        milestone=milestone,
                        cycle=case.cycle,
                        due_at=due,
                        detected_at=now,
                        owner=case.owner,
                        org_path=case.org_path,
                    )
            except IntegrityError:  # another worker recorded it first
                breach = SlaBreach.objects.get(case=case, milestone=milestone, cycle=case.cycle)
            else:
                field = "ack_breached" if milestone == Milestone.ACK else "answer_breached"
                setattr(case, field, True)
                Case.objects.filter(pk=case.pk).update(**{field: True})
                _event(
                    case,
                    SlaEventKind.BREACH,
                    case.owner,
                    milestone=milestone,
                    now=now,
                    due_at=due,
                    title=_("已超时（%(m)s）：%(no)s") % {"m": label, "no": case.number},
                )
                out["breached"] += 1
        # one rung per full further interval after the deadline, never past the top
        interval = timedelta(hours=max(policy.escalate_every_hours, 1))
        intervals = int(calendar.working_time_between(breach.due_at, now) / interval)
        ladder = escalation_ladder(case)
        target = min(intervals, len(ladder))
        while breach.level < target:
            unit, heads = ladder[breach.level]
            breach.level += 1
            for head in heads:
                _event(
                    case,
                    SlaEventKind.ESCALATION,
                    head,
                    milestone=milestone,
                    level=breach.level,
                    unit=unit,
                    now=now,
                    due_at=due,
                    title=_("超时上报（第 %(n)s 级，%(m)s）：%(no)s")
                    % {"n": breach.level, "m": label, "no": case.number},
                )
            out["escalated"] += 1
        if breach.level:
            SlaBreach.objects.filter(pk=breach.pk).update(level=breach.level)
            if breach.level > case.escalation_level:
                case.escalation_level = breach.level
                Case.objects.filter(pk=case.pk).update(escalation_level=breach.level)
    return out


def run(now=None) -> dict:
    """Check every open, running case (the periodic task and `manage.py run_sla`)."""
    now = now or timezone.now()
    totals = {"checked": 0, "at_risk": 0, "breached": 0, "escalated": 0}
    # only cases whose open deadline is near or past: no warning window spans more than ten calendar
    # days (the longest holiday with its weekends is nine), so the rest cannot need a notice yet
    horizon = now + timedelta(days=10)
    qs = (
        Case.objects.filter(status__in=OPEN_STATUSES, paused_at__isnull=True, policy__isnull=False)
        .filter(
            Q(acknowledged_at__isnull=True, ack_due_at__lte=horizon)
            | Q(answered_at__isnull=True, answer_due_at__lte=horizon)
        )
        .select_related("policy", "owner", "responsible_unit")
        .order_by("id")
    )
    for case in qs.iterator(chunk_size=500):
        with transaction.atomic():
            res = check_case(case, now)
        totals["checked"] += 1
        for k, v in res.items():
            totals[k] += v
    return totals
