"""Business actions of RM daily work (SPEC §3). Each takes the acting user first, checks scope,
validates with Chinese messages next to fields, and writes its audit event in the same transaction."""

import re
from collections import defaultdict
from datetime import date, datetime, time, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from rmdesk.core import audit, calendar as bizcal, hooks
from rmdesk.core.actions import StaleVersion, business_action, check_version, in_scope
from rmdesk.core.approvals import ensure_not_self
from rmdesk.core.notifications import notify
from rmdesk.core.roles import READERS, WORKERS
from rmdesk.core.scope import get_or_404
from rmdesk.customers.scope import get_customer_or_404, visible_customers
from rmdesk.org.models import RoleCode, User
from rmdesk.org.scope import visible_staff

from . import cadence
from .models import (
    Appointment,
    AppointmentStatus,
    CadenceSetting,
    ChosenInterval,
    ContactStatus,
    ContactStatusCode,
    CustomerIntervalMode,
    Interaction,
    InteractionAttachment,
    InteractionKind,
    ItemSource,
    Journal,
    JournalEvent,
    JournalStatus,
    JournalTemplate,
    NextStepKind,
    ScheduleItem,
    ScheduleStatus,
    Task,
    TaskSource,
    TaskStatus,
    VisitSchedule,
    VisitWorkflow,
    staff_path,
)
from .periods import due_date, next_monday, period_bounds
from .scope import (
    PENDING_JOURNAL,
    may_review,
    supervisor_of,
    visible_appointments,
    visible_journals,
    visible_schedules,
    visible_tasks,
)

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


def _local(dt: datetime) -> datetime:
    return timezone.localtime(dt) if timezone.is_aware(dt) else timezone.make_aware(dt)


# --- interactions --------------------------------------------------------------------------------


def _schedule_items(user, *, write=False):
    """Items of the visit schedules the user may see (or edit)."""
    return ScheduleItem.objects.filter(schedule__in=visible_schedules(user, write=write))


@business_action(roles=WORKERS, subject=in_scope(visible_customers, write=True))
def record_interaction(
    actor,
    customer_id,
    *,
    kind,
    occurred_at,
    purpose,
    content="",
    place="",
    door_to_door=None,
    companions=(),
    needs_found="",
    products_recommended="",
    next_step="",
    next_step_kind=NextStepKind.NONE,
    next_step_at=None,
    confirmed_by_name="",
    confirmed_at=None,
    minutes_spent=None,
    attachments=(),
    appointment_id=None,
    special_service_id=None,
) -> Interaction:
    """Record a contact with a customer (服务日志/拜访记录, SPEC §3).

    Rules: only someone who may work on the customer records it; door-to-door service (上门拜访, and a
    special visit made on site) needs two staff present; the time cannot lie in the future; a customer
    confirmation has both a name and a time; the next step can open a follow-up appointment or task.
    The rules other apps add through `core.hooks.InteractionGuard` are checked with these (SPEC §8: a
    door-to-door visit names the branch manager's approved special-service request, `special_service_id`).
    The customer's cadence row is updated at once (the due date restarts from this contact).
    """
    customer = get_customer_or_404(actor, customer_id, write=True)
    errors = defaultdict(list)
    if kind not in InteractionKind.values:
        errors["kind"].append(_("请选择联系方式。"))
    if door_to_door is None:
        door_to_door = kind == InteractionKind.VISIT
    if kind == InteractionKind.VISIT:
        door_to_door = True
    occurred_at = _local(occurred_at) if occurred_at else None
    now = timezone.now()
    if occurred_at is None:
        errors["occurred_at"].append(_("请填写联系时间。"))
    elif occurred_at > now + timedelta(minutes=10):
        errors["occurred_at"].append(_("联系时间不能晚于当前时间。"))
    if not (purpose or "").strip():
        errors["purpose"].append(_("请填写本次联系的目的。"))
    staff = [u for u in companions if u is not None and u.pk != actor.pk]
    staff_ids = {u.pk for u in staff}
    allowed = set(visible_staff(actor).filter(pk__in=staff_ids, is_active=True).values_list("pk", flat=True))
    if staff_ids - allowed:
        errors["companions"].append(_("陪同人员不在您的机构范围内。"))
    needed = VisitWorkflow.current().door_to_door_staff if door_to_door else 1  # the industry's rule (issue 19)
    if len(staff) + 1 < needed:
        errors["companions"].append(
            _("上门服务须有 %(n)d 名员工在场，请填写陪同人员。") % {"n": needed}
            if needed != 2
            else _("上门服务须有两名员工在场，请填写陪同人员。")
        )
    if bool(confirmed_by_name.strip()) != bool(confirmed_at):
        errors["confirmed_by_name" if not confirmed_by_name.strip() else "confirmed_at"].append(
            _("客户确认须同时填写确认人和确认时间。")
        )
    if confirmed_at and occurred_at and _local(confirmed_at) < occurred_at - timedelta(minutes=1):
        errors["confirmed_at"].append(_("客户确认时间不能早于联系时间。"))
    if minutes_spent is not None and not (0 <= int(minutes_spent) <= 24 * 60):
        errors["minutes_spent"].append(_("服务时长应在 0 到 1440 分钟之间。"))
    if next_step_kind == NextStepKind.APPOINTMENT:
        if not next_step_at:
            errors["next_step_at"].append(_("预约下次见面须填写时间。"))
        elif _local(next_step_at) <= now:
            errors["next_step_at"].append(_("下次见面时间须晚于当前时间。"))
    if next_step_kind in (NextStepKind.APPOINTMENT, NextStepKind.TASK) and not next_step.strip():
        errors["next_step"].append(_("请填写下一步要做的事。"))
    for f in attachments:
        if f.size > MAX_ATTACHMENT_BYTES:
            errors["attachments"].append(_("附件 %(name)s 超过 10MB。") % {"name": f.name})
    facts = {
        "kind": kind,
        "door_to_door": door_to_door,
        "occurred_at": occurred_at,
        "companions": staff,
        "special_service_id": special_service_id,
    }
    for field, messages in hooks.check_interaction(actor, customer, facts).items():
        errors[field].extend(messages)
    if errors:
        raise ValidationError(dict(errors))

    inter = Interaction(
        customer=customer,
        kind=kind,
        occurred_at=occurred_at,
        place=place,
        door_to_door=door_to_door,
        recorded_by=actor,
        purpose=purpose.strip(),
        content=content,
        needs_found=needs_found,
        products_recommended=products_recommended,
        next_step=next_step,
        next_step_kind=next_step_kind,
        next_step_at=next_step_at,
        confirmed_by_name=confirmed_by_name.strip(),
        confirmed_at=confirmed_at,
        minutes_spent=minutes_spent,
    )
    inter.save()
    if staff:
        inter.companions.set(staff)
    for f in attachments:
        InteractionAttachment.objects.create(
            interaction=inter, file=f, name=f.name[:200], size=f.size, uploaded_by=actor
        )
    follow_up = None
    if next_step_kind == NextStepKind.APPOINTMENT:
        start = _local(next_step_at)
        follow_up = Appointment.objects.create(
            owner=actor,
            org_path=staff_path(actor),
            customer=customer,
            subject=next_step.strip()[:200],
            start_at=start,
            end_at=start + timedelta(hours=1),
            place=place,
            source_interaction=inter,
        )
    elif next_step_kind == NextStepKind.TASK:
        due = _local(next_step_at).date() if next_step_at else bizcal.add_working_days(occurred_at.date(), 3)
        follow_up = Task.objects.create(
            owner=actor,
            org_path=staff_path(actor),
            customer=customer,
            title=next_step.strip()[:200],
            due_on=due,
            source=TaskSource.NEXT_STEP,
            source_interaction=inter,
            created_by=actor,
        )
    if appointment_id:
        appt = visible_appointments(actor, write=True).filter(pk=appointment_id, customer=customer).first()
        if appt is not None and appt.status == AppointmentStatus.PLANNED:
            appt.status = AppointmentStatus.DONE
            appt.version += 1
            appt.save(update_fields=["status", "version"])
    _feed_needs(actor, customer, inter)
    hooks.interaction_recorded(actor, inter, facts)
    row = cadence.on_interaction(customer, occurred_at)
    audit.record(
        actor,
        "work.interaction_recorded",
        inter,
        after={
            "customer": customer.pk,
            "kind": kind,
            "occurred_at": occurred_at.isoformat(),
            "door_to_door": door_to_door,
            "companions": sorted(staff_ids),
            "next_step_kind": next_step_kind,
            "follow_up": follow_up.pk if follow_up else None,
            "next_due_on": row.next_due_on.isoformat() if row.next_due_on else None,
            "special_service": facts.get("special_service_id"),
        },
    )
    return inter


def _feed_needs(actor, customer, inter):
    """Needs found in a contact feed the customer's archive (SPEC §2 "needs captured over time")."""
    from rmdesk.customers.services import add_need

    for line in inter.needs_found.splitlines():
        if line.strip():
            add_need(actor, customer.pk, line.strip())


# --- the customer's chosen callback interval (issue 19) -------------------------------------------

MAX_CHOSEN_MONTHS = 24
MAX_CHOSEN_DAYS = 366


def _as_count(value, field: str, top: int, errors) -> int:
    """A whole number 0..top from a form or API value (None and "" are 0); anything else an error on `field`."""
    if value in (None, ""):
        return 0
    try:
        n = int(value)
    except (TypeError, ValueError):
        errors[field].append(_("请填写整数。"))
        return 0
    if isinstance(value, float) and value != n:
        errors[field].append(_("请填写整数。"))
    elif not 0 <= n <= top:
        errors[field].append(_("应在 0 到 %(top)d 之间。") % {"top": top})
    return n


def chosen_snapshot(chosen: ChosenInterval | None) -> dict | None:
    if chosen is None:
        return None
    return {
        "interval_months": chosen.interval_months,
        "interval_days": chosen.interval_days,
        "declined": chosen.declined,
        "note": chosen.note,
    }


@business_action(roles=WORKERS, subject=in_scope(visible_customers, write=True))
def set_chosen_interval(
    actor, customer_id, *, interval_months=0, interval_days=0, declined=False, note=None, version
) -> ChosenInterval:
    """Record the callback interval the customer chose, or that they want none (issue 19; seed 004 电话回访:
    您希望我们多长时间回访您一次比较合适). Whoever may work on the customer records it; the industry must use it
    (CadenceSetting not off). Months 0–24 and days 0–366, not both zero unless the customer declines, and no
    interval with a refusal; the note at most 200 characters (None keeps the recorded one). `version` is the
    choice's version the user saw, 0 when none was recorded: a stale one is refused (409). The customer's
    cadence row follows at once (cadence.refresh_one); audited with before and after."""
    customer = get_customer_or_404(actor, customer_id, write=True)
    if CadenceSetting.mode() == CustomerIntervalMode.OFF:
        raise ValidationError(_("本机构未启用客户选择的回访周期。"))
    errors = defaultdict(list)
    months = _as_count(interval_months, "interval_months", MAX_CHOSEN_MONTHS, errors)
    days = _as_count(interval_days, "interval_days", MAX_CHOSEN_DAYS, errors)
    if not isinstance(declined, bool):
        errors["declined"].append(_("请选择是否需要回访。"))
    elif declined and (months or days):
        errors["declined"].append(_("客户不需要回访时不能同时填写回访周期。"))
    elif not declined and not (months or days) and not errors:
        errors["interval_months"].append(_("请填写回访周期（月数或天数），或选择“不需要回访”。"))
    if note is not None and len(str(note)) > 200:
        errors["note"].append(_("备注不能超过 200 个字符。"))
    chosen = ChosenInterval.objects.select_for_update().filter(customer_id=customer.pk).first()
    if chosen is None:
        check_version(ChosenInterval(version=0), version)
    else:
        check_version(chosen, version)
    if errors:
        raise ValidationError(dict(errors))
    before = chosen_snapshot(chosen)
    if chosen is None:
        chosen = ChosenInterval(customer=customer, version=0)
    chosen.interval_months, chosen.interval_days, chosen.declined = months, days, declined
    if note is not None:
        chosen.note = str(note).strip()
    chosen.recorded_by, chosen.recorded_at = actor, timezone.now()
    chosen.version += 1
    if chosen.version == 1:
        try:
            with transaction.atomic():
                chosen.save(force_insert=True)
        except IntegrityError:  # recorded by someone else since the user read "none"
            raise StaleVersion({"version": [_("该记录已被他人修改，请刷新后重试。")]}, code="stale") from None
    else:
        chosen.save()
    row = cadence.refresh_one(customer)
    audit.record(
        actor,
        "work.chosen_interval_set",
        chosen,
        before=before,
        after={
            **chosen_snapshot(chosen),
            "next_due_on": row.next_due_on.isoformat() if row.next_due_on else None,
            "due_basis": row.due_basis,
        },
    )
    return chosen


@business_action(roles=WORKERS, subject=in_scope(visible_customers, write=True))
def clear_chosen_interval(actor, customer_id, *, version) -> None:
    """The customer withdrew their choice: the tier rule alone applies again (issue 19). `version` as for
    set_chosen_interval; nothing recorded answers 404."""
    customer = get_customer_or_404(actor, customer_id, write=True)
    chosen = ChosenInterval.objects.select_for_update().filter(customer_id=customer.pk).first()
    if chosen is None:
        raise Http404
    check_version(chosen, version)
    before = chosen_snapshot(chosen)
    chosen.delete()
    row = cadence.refresh_one(customer)
    audit.record(
        actor,
        "work.chosen_interval_cleared",
        customer,
        before=before,
        after={"next_due_on": row.next_due_on.isoformat() if row.next_due_on else None},
    )


# --- appointments ----------------------------------------------------------------------------------


def _appointment_errors(start_at, end_at, subject, remind_minutes, *, new=True):
    errors = defaultdict(list)
    if not (subject or "").strip():
        errors["subject"].append(_("请填写预约事由。"))
    if start_at is None:
        errors["start_at"].append(_("请填写开始时间。"))
    if end_at is None:
        errors["end_at"].append(_("请填写结束时间。"))
    if start_at and end_at and end_at <= start_at:
        errors["end_at"].append(_("结束时间须晚于开始时间。"))
    if new and start_at and start_at < timezone.now() - timedelta(hours=1):
        errors["start_at"].append(_("不能预约已经过去的时间。"))
    if remind_minutes is not None and not (0 <= int(remind_minutes) <= 7 * 24 * 60):
        errors["remind_minutes"].append(_("提醒时间应在 0 到 10080 分钟之间。"))
    return errors


@business_action(roles=WORKERS, subject=in_scope(visible_customers, write=True))
def create_appointment(
    actor, customer_id, *, subject, start_at, end_at=None, place="", notes="", remind_minutes=60
) -> Appointment:
    """Book an appointment with a customer (预约, SPEC §3): arrive within 10 minutes of the agreed time;
    the RM is reminded `remind_minutes` before it starts."""
    customer = get_customer_or_404(actor, customer_id, write=True)
    start_at = _local(start_at) if start_at else None
    end_at = _local(end_at) if end_at else (start_at + timedelta(hours=1) if start_at else None)
    errors = _appointment_errors(start_at, end_at, subject, remind_minutes)
    if errors:
        raise ValidationError(dict(errors))
    appt = Appointment.objects.create(
        owner=actor,
        org_path=staff_path(actor),
        customer=customer,
        subject=subject.strip(),
        start_at=start_at,
        end_at=end_at,
        place=place,
        notes=notes,
        remind_minutes=remind_minutes,
    )
    audit.record(
        actor,
        "work.appointment_created",
        appt,
        after={"customer": customer.pk, "start_at": start_at.isoformat(), "subject": appt.subject},
    )
    return appt


@business_action(roles=WORKERS, subject=in_scope(visible_appointments, write=True))
def update_appointment(actor, appointment_id, *, version, **fields) -> Appointment:
    """Reschedule or edit an appointment (optimistic locking: `version` is required, a stale one is refused)."""
    appt = get_or_404(visible_appointments(actor, write=True).select_for_update(), appointment_id)
    check_version(appt, version)
    if appt.status != AppointmentStatus.PLANNED:
        raise ValidationError({"status": [_("只能修改尚未完成或取消的预约。")]})
    before = {"start_at": appt.start_at.isoformat(), "end_at": appt.end_at.isoformat(), "subject": appt.subject}
    for name in ("subject", "start_at", "end_at", "place", "notes", "remind_minutes"):
        if name in fields and fields[name] is not None:
            value = fields[name]
            if name in ("start_at", "end_at"):
                value = _local(value)
            setattr(appt, name, value)
    errors = _appointment_errors(
        appt.start_at, appt.end_at, appt.subject, appt.remind_minutes, new="start_at" in fields
    )
    if errors:
        raise ValidationError(dict(errors))
    if "start_at" in fields:
        appt.reminded_at = None
    appt.version += 1
    appt.save()
    audit.record(
        actor,
        "work.appointment_updated",
        appt,
        before=before,
        after={"start_at": appt.start_at.isoformat(), "end_at": appt.end_at.isoformat(), "subject": appt.subject},
    )
    return appt


@business_action(roles=WORKERS, subject=in_scope(visible_appointments, write=True))
def cancel_appointment(actor, appointment_id, *, version, reason="") -> Appointment:
    """Cancel a planned appointment (the version the user saw is required)."""
    appt = get_or_404(visible_appointments(actor, write=True).select_for_update(), appointment_id)
    check_version(appt, version)
    if appt.status != AppointmentStatus.PLANNED:
        raise ValidationError({"status": [_("该预约已完成或已取消。")]})
    appt.status = AppointmentStatus.CANCELLED
    appt.notes = (appt.notes + "\n" if appt.notes else "") + _("取消原因：%(r)s") % {"r": reason}
    appt.version += 1
    appt.save()
    audit.record(actor, "work.appointment_cancelled", appt, after={"reason": reason})
    return appt


# --- weekly visit schedule (客户访问日程表) ---------------------------------------------------------

_AREA_RE = re.compile(r"^(.*?[区县旗]|.*?[镇乡街道]+)")


def area_of(customer) -> str:
    """The area used to group visits on one day: the district of the address, else the owning unit."""
    addr = (customer.address or "").strip()
    if addr:
        m = _AREA_RE.match(addr)
        return (m.group(1) if m else addr[:6])[:100]
    return ""


def _schedule_customers(owner):
    """Customers an RM may put on their schedule: those where they are the A-post and in scope."""
    return visible_customers(owner, write=True).filter(a_rm=owner)


@business_action(roles=(RoleCode.RM,))
def generate_schedule(actor, week_start: date | None = None, *, per_day: int = 6) -> VisitSchedule:
    """Generate (or regenerate a draft of) the RM's visit schedule for a week (SPEC §3): appointments
    of the week on their days, then the customers whose contact is overdue, due or soon due by the end
    of the week, most urgent first, grouped by area onto the working days of the week (调休 included),
    at most `per_day` per day. Manual items of a draft are kept. Only the RM's own in-scope customers
    are ever scheduled."""
    if not actor.has_role(RoleCode.RM):
        raise PermissionDenied(_("只有客户经理可以编制访问日程。"))
    today = timezone.localdate()
    week_start = week_start or next_monday(today)
    week_start = week_start - timedelta(days=week_start.weekday())
    week_end = week_start + timedelta(days=6)
    days = [week_start + timedelta(days=i) for i in range(7) if bizcal.is_working_day(week_start + timedelta(days=i))]
    if not days:
        raise ValidationError({"week_start": [_("该周没有工作日。")]})
    schedule, created = VisitSchedule.objects.select_for_update().get_or_create(
        owner=actor, week_start=week_start, defaults={"org_path": staff_path(actor)}
    )
    if not created and schedule.status == ScheduleStatus.CONFIRMED:
        raise ValidationError({"week_start": [_("该周日程已确认，不能重新生成。")]})
    schedule.items.exclude(source=ItemSource.MANUAL).delete()
    kept = {i.customer_id: i for i in schedule.items.all()}
    load = defaultdict(int)
    areas_by_day = defaultdict(set)
    for item in kept.values():
        load[item.day] += 1
        areas_by_day[item.day].add(item.area)
    allowed = _schedule_customers(actor)
    tz = timezone.get_current_timezone()
    start_dt = datetime.combine(week_start, time.min, tz)
    appts = (
        Appointment.objects.filter(
            owner=actor,
            status=AppointmentStatus.PLANNED,
            start_at__gte=start_dt,
            start_at__lt=start_dt + timedelta(days=7),
            customer__in=visible_customers(actor, write=True),
        )
        .select_related("customer")
        .order_by("start_at")
    )
    new_items = []
    for appt in appts:
        if appt.customer_id in kept:
            continue
        day = timezone.localtime(appt.start_at).date()
        area = area_of(appt.customer)
        kept[appt.customer_id] = None
        load[day] += 1
        areas_by_day[day].add(area)
        new_items.append(
            ScheduleItem(
                schedule=schedule,
                customer=appt.customer,
                day=day,
                source=ItemSource.APPOINTMENT,
                appointment=appt,
                area=area,
                note=f"{timezone.localtime(appt.start_at):%H:%M} {appt.subject}"[:200],
            )
        )
    capacity = max(0, per_day * len(days) - sum(load[d] for d in days))
    due = (
        ContactStatus.objects.filter(customer__in=allowed, next_due_on__lte=week_end)
        .exclude(status=ContactStatusCode.NONE)
        .exclude(customer_id__in=list(kept))
        .select_related("customer")
        .order_by("next_due_on", "customer_id")[:capacity]
    )
    groups = defaultdict(list)
    for row in due:
        groups[area_of(row.customer)].append(row)
    for area, rows in sorted(groups.items(), key=lambda kv: kv[1][0].next_due_on):
        for row in rows:
            same = [d for d in days if area in areas_by_day[d] and load[d] < per_day]
            free = same or [d for d in days if load[d] < per_day]
            if not free:
                break
            day = free[0] if same else min(free, key=lambda d: (load[d], d))
            load[day] += 1
            areas_by_day[day].add(area)
            label = row.get_status_display()
            new_items.append(
                ScheduleItem(
                    schedule=schedule,
                    customer=row.customer,
                    day=day,
                    source=ItemSource.CADENCE,
                    area=area,
                    note=_("维护到期：%(s)s，应联系日 %(d)s") % {"s": label, "d": row.next_due_on.isoformat()},
                )
            )
    ScheduleItem.objects.bulk_create(new_items)
    _renumber(schedule)
    schedule.generated_at = timezone.now()
    schedule.version += 1
    schedule.save()
    audit.record(
        actor,
        "work.schedule_generated",
        schedule,
        after={"week_start": week_start.isoformat(), "items": schedule.items.count()},
    )
    return schedule


def _renumber(schedule):
    by_day = defaultdict(list)
    for item in schedule.items.order_by("day", "position", "id"):
        by_day[item.day].append(item)
    for items in by_day.values():
        for pos, item in enumerate(items):
            if item.position != pos:
                item.position = pos
                item.save(update_fields=["position"])


def _editable_schedule(actor, schedule_id, version):
    """The RM's own draft schedule, locked, at the version the RM saw (required; stale: StaleVersion)."""
    schedule = get_or_404(visible_schedules(actor, write=True).select_for_update(), schedule_id)
    if schedule.owner_id != actor.pk:
        raise PermissionDenied(_("只有日程的客户经理本人可以修改。"))
    if schedule.status == ScheduleStatus.CONFIRMED:
        raise ValidationError({"status": [_("日程已确认，不能再修改。")]})
    check_version(schedule, version)
    return schedule


def _touch(schedule):
    schedule.version += 1
    schedule.save(update_fields=["version"])


@business_action(roles=(RoleCode.RM,), subject=in_scope(visible_schedules, write=True))
def add_schedule_item(actor, schedule_id, customer_id, day: date, *, version, note="") -> ScheduleItem:
    """Add one of the RM's own customers to a day of the draft schedule."""
    schedule = _editable_schedule(actor, schedule_id, version)
    customer = _schedule_customers(actor).filter(pk=customer_id).first()
    if customer is None:
        raise ValidationError({"customer": [_("只能安排本人主办的客户。")]})
    if not (schedule.week_start <= day <= schedule.week_end):
        raise ValidationError({"day": [_("日期须在本周之内。")]})
    if schedule.items.filter(customer=customer).exists():
        raise ValidationError({"customer": [_("该客户已在本周日程中。")]})
    pos = schedule.items.filter(day=day).count()
    item = ScheduleItem.objects.create(
        schedule=schedule,
        customer=customer,
        day=day,
        position=pos,
        source=ItemSource.MANUAL,
        area=area_of(customer),
        note=note,
    )
    _touch(schedule)
    audit.record(actor, "work.schedule_item_added", schedule, after={"customer": customer.pk, "day": day.isoformat()})
    return item


@business_action(roles=(RoleCode.RM,), subject=in_scope(_schedule_items, write=True))
def remove_schedule_item(actor, item_id, *, version):
    """Drop a customer from the draft schedule."""
    item = ScheduleItem.objects.filter(pk=item_id).first()
    if item is None:
        raise Http404
    schedule = _editable_schedule(actor, item.schedule_id, version)
    item.delete()
    _renumber(schedule)
    _touch(schedule)
    audit.record(actor, "work.schedule_item_removed", schedule, after={"customer": item.customer_id})


@business_action(roles=(RoleCode.RM,), subject=in_scope(_schedule_items, write=True))
def move_schedule_item(actor, item_id, *, version, day: date | None = None, direction: str = ""):
    """Reorder within a day (direction "up"/"down") or move to another day of the week."""
    item = ScheduleItem.objects.filter(pk=item_id).first()
    if item is None:
        raise Http404
    schedule = _editable_schedule(actor, item.schedule_id, version)
    if day is not None and day != item.day:
        if not (schedule.week_start <= day <= schedule.week_end):
            raise ValidationError({"day": [_("日期须在本周之内。")]})
        item.day = day
        item.position = schedule.items.filter(day=day).count()
        item.save(update_fields=["day", "position"])
    elif direction in ("up", "down"):
        siblings = list(schedule.items.filter(day=item.day).order_by("position", "id"))
        idx = next(i for i, s in enumerate(siblings) if s.pk == item.pk)
        j = idx - 1 if direction == "up" else idx + 1
        if 0 <= j < len(siblings):
            siblings[idx], siblings[j] = siblings[j], siblings[idx]
            for pos, s in enumerate(siblings):
                if s.position != pos:
                    s.position = pos
                    s.save(update_fields=["position"])
    _renumber(schedule)
    _touch(schedule)
    audit.record(
        actor,
        "work.schedule_item_moved",
        schedule,
        after={"item": item.pk, "day": item.day.isoformat(), "direction": direction},
    )
    return item


@business_action(roles=(RoleCode.RM,), subject=in_scope(visible_schedules, write=True))
def confirm_schedule(actor, schedule_id, *, version) -> VisitSchedule:
    """The RM confirms the week's schedule before the week starts (SPEC §3: made by the end of the
    previous week); afterwards it can no longer be edited."""
    schedule = _editable_schedule(actor, schedule_id, version)
    if timezone.localdate() >= schedule.week_start + timedelta(days=7):
        raise ValidationError({"week_start": [_("该周已经结束，不能再确认。")]})
    if not schedule.items.exists():
        raise ValidationError({"items": [_("日程为空，不能确认。")]})
    schedule.status = ScheduleStatus.CONFIRMED
    schedule.confirmed_at = timezone.now()
    schedule.version += 1
    schedule.save()
    audit.record(actor, "work.schedule_confirmed", schedule, after={"items": schedule.items.count()})
    return schedule


def schedule_completion(schedule) -> tuple[int, int]:
    """(visited, planned): a planned customer counts as visited when any contact with them was
    recorded during the schedule's week."""
    items = list(schedule.items.values_list("customer_id", flat=True))
    if not items:
        return 0, 0
    done = (
        Interaction.objects.filter(
            customer_id__in=items, occurred_on__gte=schedule.week_start, occurred_on__lte=schedule.week_end
        )
        .values("customer_id")
        .distinct()
        .count()
    )
    return done, len(items)


# --- tasks (待办) -----------------------------------------------------------------------------------


@business_action(roles=WORKERS)
def create_task(
    actor, *, title, due_on=None, detail="", customer_id=None, owner=None, source=TaskSource.MANUAL
) -> Task:
    """Create a to-do for oneself (or, for a lead, for a member of the team)."""
    owner = owner or actor
    if owner.pk != actor.pk and not visible_staff(actor).filter(pk=owner.pk).exists():
        raise Http404
    customer = get_customer_or_404(actor, customer_id) if customer_id else None
    if not (title or "").strip():
        raise ValidationError({"title": [_("请填写待办事项。")]})
    task = Task.objects.create(
        owner=owner,
        org_path=staff_path(owner),
        customer=customer,
        title=title.strip(),
        detail=detail,
        due_on=due_on,
        source=source,
        created_by=actor,
    )
    audit.record(actor, "work.task_created", task, after={"owner": owner.pk, "title": task.title})
    return task


@business_action(roles=READERS, subject=in_scope(visible_tasks, write=True))
def complete_task(actor, task_id) -> Task:
    """Mark one's to-do done."""
    task = get_or_404(visible_tasks(actor, write=True).select_for_update(), task_id)
    if task.owner_id != actor.pk:
        raise PermissionDenied(_("只能完成本人的待办事项。"))
    if task.status != TaskStatus.OPEN:
        raise ValidationError({"status": [_("该待办已处理。")]})
    task.status = TaskStatus.DONE
    task.done_at = timezone.now()
    task.save()
    audit.record(actor, "work.task_done", task)
    return task


def handover_tasks(actor, customers, from_rm, to_rm, notes=None):
    """Customers handed over to another RM: a follow-up task (待办) per customer for the receiver
    (SPEC §2 "a follow-up task for the new RM") and their cadence rows follow the new owner."""
    notes = notes or {}
    due = bizcal.add_working_days(timezone.localdate(), 5)
    tasks = []
    for c in customers:
        note = notes.get(c.pk, "") if isinstance(notes, dict) else str(notes or "")
        tasks.append(
            Task(
                owner=to_rm,
                org_path=staff_path(to_rm),
                customer=c,
                title=_("移交客户跟进：%(name)s") % {"name": c.name},
                detail=note,
                due_on=due,
                source=TaskSource.HANDOVER,
                created_by=actor,
            )
        )
        cadence.refresh_one(c)
    Task.objects.bulk_create(tasks)
    if tasks:
        notify(to_rm, "handover", _("您接收了 %(n)d 位移交客户，请及时跟进") % {"n": len(tasks)}, url="/work/tasks/")
        audit.record(
            actor,
            "work.handover_tasks",
            None,
            object_type="org.user",
            object_id=to_rm.pk,
            after={"from": getattr(from_rm, "pk", None), "customers": [c.pk for c in customers]},
        )
    return tasks


def absorb_merged_customer(actor, source, target) -> dict:
    """A duplicate archive `source` was merged into `target` (SPEC §2 不争夺客户, customers_merged):
    every work record of `source` now belongs to `target`, in the merge's transaction. Interactions,
    appointments and tasks move; a schedule item moves unless the target is already planned in the
    same week (then it goes: one visit per customer and week); the source's cadence row goes (its
    counter bucket follows) and the target's row is recomputed from the contacts it now holds."""
    moved = {
        "interactions": Interaction.objects.filter(customer=source).update(customer=target),
        "appointments": Appointment.objects.filter(customer=source).update(customer=target),
        "tasks": Task.objects.filter(customer=source).update(customer=target),
    }
    planned = ScheduleItem.objects.filter(customer=target).values("schedule_id")
    ScheduleItem.objects.filter(customer=source, schedule_id__in=planned).delete()
    moved["schedule_items"] = ScheduleItem.objects.filter(customer=source).update(customer=target)
    if not ChosenInterval.objects.filter(customer=target).exists():  # the customer's wish follows the archive
        moved["chosen_interval"] = ChosenInterval.objects.filter(customer=source).update(customer=target)
    ContactStatus.objects.filter(customer=source).delete()  # its counter bucket: receivers.on_status_deleted
    last = Interaction.objects.filter(customer=target).order_by("-occurred_at").only("occurred_at").first()
    cadence.on_interaction(target, last.occurred_at if last else None)
    audit.record(actor, "work.customers_merged", target, after={"source": source.pk, **moved})
    return moved


# --- journals, plans, summaries -----------------------------------------------------------------------


@business_action(roles=WORKERS)
def open_journal(actor, template_code, day: date | None = None) -> Journal:
    """Open (or return the existing) journal of a kind for the period containing `day`; its due date
    follows the template's rule (e.g. monthly report by the 5th, next working day on holidays)."""
    template = JournalTemplate.objects.filter(code=template_code, is_active=True).first()
    if template is None:
        raise ValidationError({"template": [_("没有这种日志类型。")]})
    start, end = period_bounds(template.period, day or timezone.localdate())
    journal, created = Journal.objects.get_or_create(
        template=template,
        owner=actor,
        period_start=start,
        defaults={
            "period_end": end,
            "due_on": due_date(template, start, end),
            "org_path": staff_path(actor),
            "content": {s["key"]: "" for s in template.sections},
        },
    )
    if created:
        audit.record(
            actor, "work.journal_opened", journal, after={"template": template.code, "period": journal.period_label}
        )
    return journal


def _own_journal(actor, journal_id, version, *, lock=True):
    qs = visible_journals(actor)
    if lock:
        qs = qs.select_for_update(of=("self",))
    journal = get_or_404(qs.select_related("template"), journal_id)
    if journal.owner_id != actor.pk:
        raise PermissionDenied(_("只能修改本人的日志。"))
    check_version(journal, version)
    return journal


@business_action(roles=WORKERS, subject=in_scope(visible_journals))
def save_journal(actor, journal_id, *, content: dict, version) -> Journal:
    """Write the parts of a draft or returned journal."""
    journal = _own_journal(actor, journal_id, version)
    if journal.status not in PENDING_JOURNAL:
        raise ValidationError({"status": [_("已提交的日志不能修改。")]})
    keys = [s["key"] for s in journal.template.sections]
    journal.content = {k: str(content.get(k, journal.content.get(k, "")) or "") for k in keys}
    journal.version += 1
    journal.save()
    audit.record(actor, "work.journal_saved", journal)
    return journal


@business_action(roles=WORKERS, subject=in_scope(visible_journals))
def submit_journal(actor, journal_id, *, version, content: dict | None = None) -> Journal:
    """Submit to the supervisor for review (SPEC §3). Every part must be filled in; the reviewer is
    the supervisor (user.supervisor, else the team lead)."""
    journal = _own_journal(actor, journal_id, version)
    if journal.status not in PENDING_JOURNAL:
        raise ValidationError({"status": [_("该日志已提交。")]})
    if content is not None:
        keys = [s["key"] for s in journal.template.sections]
        journal.content = {k: str(content.get(k, journal.content.get(k, "")) or "") for k in keys}
    missing = {
        f"content.{s['key']}": [_("请填写“%(t)s”。") % {"t": s["title"]}]
        for s in journal.template.sections
        if not str(journal.content.get(s["key"], "")).strip()
    }
    if missing:
        raise ValidationError(missing)
    reviewer = supervisor_of(actor)
    if reviewer is None:
        raise ValidationError({"reviewer": [_("没有找到您的上级或团队长，无法提交审阅。")]})
    journal.status = JournalStatus.SUBMITTED
    journal.reviewer = reviewer
    journal.submitted_at = timezone.now()
    journal.version += 1
    journal.save()
    JournalEvent.objects.create(journal=journal, actor=actor, action="submit")
    notify(
        reviewer,
        "journal.review",
        _("%(who)s 提交了%(what)s，请审阅") % {"who": actor.display_name, "what": journal},
        url=f"/work/journals/{journal.pk}/",
        obj=journal,
        dedupe_key=f"journal-review:{journal.pk}",
    )
    audit.record(
        actor,
        "work.journal_submitted",
        journal,
        after={"reviewer": reviewer.pk, "late": timezone.localdate() > journal.due_on},
    )
    return journal


@business_action(roles=WORKERS, subject=in_scope(visible_journals))
def review_journal(actor, journal_id, *, approve: bool, version, comment: str = "") -> Journal:
    """The supervisor approves or returns a submitted journal with comments; a returned one goes back
    to its author to revise and resubmit. Nobody reviews their own (maker-checker, SPEC §1); the
    reviewer names the version they read (two reviewers cannot both decide)."""
    journal = get_or_404(visible_journals(actor).select_for_update(of=("self",)), journal_id)
    ensure_not_self(journal.owner, actor)
    if not may_review(actor, journal):
        raise PermissionDenied(_("您无权审阅该日志。"))
    check_version(journal, version)
    if journal.status != JournalStatus.SUBMITTED:
        raise ValidationError({"status": [_("只有待审阅的日志可以审阅。")]})
    if not approve and not comment.strip():
        raise ValidationError({"comment": [_("退回时请填写审阅意见。")]})
    journal.status = JournalStatus.APPROVED if approve else JournalStatus.RETURNED
    journal.reviewed_at = timezone.now()
    journal.review_comment = comment.strip()
    journal.version += 1
    journal.save()
    JournalEvent.objects.create(
        journal=journal, actor=actor, action="approve" if approve else "return", comment=comment.strip()
    )
    from rmdesk.core.models import Notification

    Notification.objects.filter(
        recipient=actor, dedupe_key=f"journal-review:{journal.pk}", read_at__isnull=True
    ).update(read_at=timezone.now())
    notify(
        journal.owner,
        "journal.reviewed",
        (_("%(what)s 已通过审阅") if approve else _("%(what)s 被退回，请修改后重新提交")) % {"what": journal},
        body=comment,
        url=f"/work/journals/{journal.pk}/",
        obj=journal,
    )
    audit.record(
        actor,
        "work.journal_approved" if approve else "work.journal_returned",
        journal,
        after={"comment": comment.strip()},
    )
    return journal


def ensure_required_journals(today: date | None = None, users=None) -> int:
    """Open the required journals whose due date is near (within 7 days) for every active RM, so that
    missing submissions show up as overdue for the supervisor. Returns how many were created."""
    from .periods import shift_period

    today = today or timezone.localdate()
    users = users if users is not None else User.objects.filter(roles__code=RoleCode.RM, is_active=True).distinct()
    templates = list(JournalTemplate.objects.filter(required=True, is_active=True))
    existing = set()
    wanted = []
    for t in templates:
        start, _end = period_bounds(t.period, today)
        for n in (-1, 0, 1):
            s, e = shift_period(t.period, start, n)
            due = due_date(t, s, e)
            if today - timedelta(days=40) <= due <= today + timedelta(days=7):
                wanted.append((t, s, e, due))
    user_list = list(users)
    for row in Journal.objects.filter(owner__in=user_list, template__in=templates).values_list(
        "owner_id", "template_id", "period_start"
    ):
        existing.add(row)
    new = []
    for u in user_list:
        path = staff_path(u)
        for t, s, e, due in wanted:
            if (u.pk, t.pk, s) in existing:
                continue
            new.append(
                Journal(
                    template=t,
                    owner=u,
                    org_path=path,
                    period_start=s,
                    period_end=e,
                    due_on=due,
                    content={sec["key"]: "" for sec in t.sections},
                )
            )
    Journal.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def overdue_submissions(user, today: date | None = None):
    """Journals the user supervises that are past their due date and not submitted (SPEC §3)."""
    from .scope import supervised_journals

    today = today or timezone.localdate()
    return (
        supervised_journals(user)
        .filter(status__in=PENDING_JOURNAL, due_on__lt=today)
        .select_related("owner", "template")
        .order_by("due_on")
    )
