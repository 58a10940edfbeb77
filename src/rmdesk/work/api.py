"""API of the work app (SPEC §3, §12): notifications, cadence, schedules, appointments, interactions,
journals, tasks. Every list and detail goes through the scope functions of rmdesk.work.scope."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone
from ninja import Router

from rmdesk.core import calendar as bizcal, notifications as notif
from rmdesk.core.bounds import Count, Day, Id, Limit, Offset
from rmdesk.core.models import Notification
from rmdesk.core.schemas import may_answer
from rmdesk.core.scope import get_or_404
from rmdesk.customers.scope import get_customer_or_404
from rmdesk.org.scope import visible_staff

from . import cadence, services
from .models import CadenceSetting, ChosenInterval, JournalStatus, JournalTemplate, ScheduleItem
from .periods import next_monday
from .schemas import (
    AddWorkingDaysOut,
    AppointmentIn,
    AppointmentOut,
    AppointmentPatch,
    CancelIn,
    ChosenIntervalIn,
    ChosenIntervalOut,
    ContactStatusOut,
    CountOut,
    GenerateIn,
    InteractionIn,
    InteractionOut,
    ItemIn,
    JournalOpenIn,
    JournalOut,
    JournalSaveIn,
    JournalSubmitIn,
    MoveIn,
    NotificationOut,
    ReadIn,
    RMSummaryOut,
    ScheduleItemOut,
    ScheduleOut,
    TaskIn,
    TaskOut,
    WorkingDayOut,
    WorkReviewIn,
    WorkTemplateOut,
    WorkVersionIn,
)
from .scope import (
    supervised_journals,
    visible_appointments,
    visible_interactions,
    visible_journals,
    visible_schedules,
    visible_statuses,
    visible_tasks,
)

router = Router(tags=["work"])


@router.get("/notifications", response=list[NotificationOut], summary="我的消息")
def list_notifications(request, unread: bool = False, limit: Limit = 100, offset: Offset = 0):
    qs = Notification.objects.filter(recipient=request.user)
    if unread:
        qs = qs.filter(read_at__isnull=True)
    return list(qs[offset : offset + min(limit, 500)])


@router.get("/notifications/unread-count", response=CountOut, summary="未读消息数")
def notifications_unread_count(request):
    return {"count": notif.unread_count(request.user)}


@router.post("/notifications/read", response=CountOut, summary="标为已读（不传 ids 即全部）")
def notifications_mark_read(request, payload: ReadIn):
    return {"count": notif.mark_read(request.user, payload.ids)}


# --- business calendar -------------------------------------------------------------------------------


@router.get("/calendar/day", response=WorkingDayOut, summary="是否工作日（含调休与行内调整）")
def calendar_day(request, day: Day):
    return {"day": day, "is_working_day": bizcal.is_working_day(day), "next_working_day": bizcal.next_working_day(day)}


@router.get("/calendar/add-working-days", response=AddWorkingDaysOut, summary="n 个工作日之后的日期")
def calendar_add(request, start: Day, n: int):
    if not 0 <= n <= 3650:
        raise ValidationError({"n": ["n 应在 0 到 3650 之间。"]})
    return {"start": start, "n": n, "result": bizcal.add_working_days(start, n)}


# --- cadence -------------------------------------------------------------------------------------------


@router.get("/cadence", response=list[ContactStatusOut], summary="客户联系状态（逾期/到期/将到期）")
def cadence_list(request, status: str = "", rm: Id | None = None, limit: Limit = 100, offset: Offset = 0):
    qs = visible_statuses(request.user).select_related("customer")
    if status:
        qs = qs.filter(status__in=status.split(","))
    if rm:
        qs = qs.filter(a_rm_id=rm)
    return list(qs.order_by("next_due_on", "customer_id")[offset : offset + min(limit, 1000)])


@router.get("/cadence/summary", response=list[RMSummaryOut], summary="按客户经理汇总的维护情况")
def cadence_summary(request):
    return cadence.rm_summary(request.user)


@router.get("/cadence/{customer_id}", response=ContactStatusOut, summary="某客户的联系状态")
def cadence_detail(request, customer_id: Id):
    return get_or_404(visible_statuses(request.user).select_related("customer"), customer_id)


def _chosen_out(customer_id: int) -> dict:
    chosen = ChosenInterval.objects.filter(customer_id=customer_id).first()
    out = {"customer_id": customer_id, "mode": CadenceSetting.mode(), "recorded_by_id": None, "recorded_at": None}
    out.update(services.chosen_snapshot(chosen) or {"interval_months": 0, "interval_days": 0, "declined": False})
    out.setdefault("note", "")
    out["version"] = 0
    if chosen is not None:
        out.update(recorded_by_id=chosen.recorded_by_id, recorded_at=chosen.recorded_at, version=chosen.version)
    return out


@router.get("/cadence/{customer_id}/interval", response=ChosenIntervalOut, summary="客户选择的回访周期")
def chosen_interval_detail(request, customer_id: Id):
    customer = get_customer_or_404(request.user, customer_id)
    return _chosen_out(customer.pk)


@router.put(
    "/cadence/{customer_id}/interval",
    response=ChosenIntervalOut,
    summary="记录客户选择的回访周期（version 0：尚无记录）",
)
def chosen_interval_set(request, customer_id: Id, payload: ChosenIntervalIn):
    services.set_chosen_interval(request.user, customer_id, **payload.dict())
    return _chosen_out(customer_id)


@router.delete("/cadence/{customer_id}/interval", response={204: None}, summary="撤销客户选择的回访周期")
def chosen_interval_clear(request, customer_id: Id, version: Count):
    services.clear_chosen_interval(request.user, customer_id, version=version)
    return 204, None


# --- interactions ------------------------------------------------------------------------------------


@router.get("/interactions", response=list[InteractionOut], summary="服务记录")
def interaction_list(request, customer_id: Id | None = None, kind: str = "", limit: Limit = 100, offset: Offset = 0):
    qs = visible_interactions(request.user).prefetch_related("companions")
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    if kind:
        qs = qs.filter(kind=kind)
    return list(qs[offset : offset + min(limit, 500)])


@router.post("/interactions", response={201: InteractionOut}, openapi_extra=may_answer(404), summary="记录服务")
def interaction_create(request, payload: InteractionIn):
    data = payload.dict()
    ids = data.pop("companion_ids")
    companions = list(visible_staff(request.user).filter(pk__in=ids)) if ids else []
    if len(companions) != len(set(ids)):
        raise ValidationError({"companion_ids": ["陪同人员不存在或不在您的机构范围内。"]})
    customer_id = data.pop("customer_id")
    inter = services.record_interaction(request.user, customer_id, companions=companions, **data)
    return 201, inter


@router.get("/interactions/{interaction_id}", response=InteractionOut, summary="服务记录详情")
def interaction_detail(request, interaction_id: Id):
    return get_or_404(visible_interactions(request.user), interaction_id)


# --- appointments ----------------------------------------------------------------------------------------


@router.get("/appointments", response=list[AppointmentOut], summary="预约（按时间段）")
def appointment_list(request, start: Day | None = None, end: Day | None = None, owner_id: Id | None = None):
    from datetime import time, timedelta

    tz = timezone.get_current_timezone()
    start = start or timezone.localdate()
    end = end or start + timedelta(days=31)
    qs = visible_appointments(request.user).filter(
        start_at__gte=datetime.combine(start, time.min, tz), start_at__lt=datetime.combine(end, time.min, tz)
    )
    if owner_id:
        qs = qs.filter(owner_id=owner_id)
    return list(qs.order_by("start_at")[:2000])


@router.post("/appointments", response={201: AppointmentOut}, openapi_extra=may_answer(404), summary="新建预约")
def appointment_create(request, payload: AppointmentIn):
    data = payload.dict()
    return 201, services.create_appointment(request.user, data.pop("customer_id"), **data)


@router.get("/appointments/{appointment_id}", response=AppointmentOut, summary="预约详情")
def appointment_detail(request, appointment_id: Id):
    return get_or_404(visible_appointments(request.user), appointment_id)


@router.patch("/appointments/{appointment_id}", response=AppointmentOut, summary="修改预约（乐观锁 version）")
def appointment_update(request, appointment_id: Id, payload: AppointmentPatch):
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    return services.update_appointment(request.user, appointment_id, version=version, **data)


@router.post("/appointments/{appointment_id}/cancel", response=AppointmentOut, summary="取消预约")
def appointment_cancel(request, appointment_id: Id, payload: CancelIn):
    return services.cancel_appointment(request.user, appointment_id, reason=payload.reason, version=payload.version)


# --- weekly visit schedules ------------------------------------------------------------------------------


@router.get("/schedules", response=list[ScheduleOut], summary="访问日程表（本人及团队）")
def schedule_list(request, week_start: Day | None = None, owner_id: Id | None = None):
    qs = visible_schedules(request.user)
    if week_start:
        qs = qs.filter(week_start=week_start)
    if owner_id:
        qs = qs.filter(owner_id=owner_id)
    return list(qs.order_by("-week_start", "owner_id")[:200])


@router.post("/schedules/generate", response=ScheduleOut, summary="生成（或重新生成）某周日程")
def schedule_generate(request, payload: GenerateIn):
    return services.generate_schedule(
        request.user, payload.week_start or next_monday(timezone.localdate()), per_day=max(1, min(payload.per_day, 20))
    )


@router.get("/schedules/{schedule_id}", response=ScheduleOut, summary="日程详情与完成情况")
def schedule_detail(request, schedule_id: Id):
    return get_or_404(visible_schedules(request.user), schedule_id)


@router.post("/schedules/{schedule_id}/items", response={201: ScheduleItemOut}, summary="添加日程条目")
def schedule_add(request, schedule_id: Id, payload: ItemIn):
    return 201, services.add_schedule_item(
        request.user, schedule_id, payload.customer_id, payload.day, note=payload.note, version=payload.version
    )


@router.delete("/schedules/items/{item_id}", response={204: None}, summary="删除日程条目（version：日程的版本）")
def schedule_remove(request, item_id: Id, version: Count):
    _item_in_scope(request.user, item_id)
    services.remove_schedule_item(request.user, item_id, version=version)
    return 204, None


@router.post("/schedules/items/{item_id}/move", response=ScheduleItemOut, summary="调整顺序或改期")
def schedule_move(request, item_id: Id, payload: MoveIn):
    _item_in_scope(request.user, item_id)
    return services.move_schedule_item(
        request.user, item_id, day=payload.day, direction=payload.direction, version=payload.version
    )


def _item_in_scope(user, item_id):
    item = ScheduleItem.objects.filter(pk=item_id).first()
    if item is None or not visible_schedules(user).filter(pk=item.schedule_id).exists():
        raise Http404


@router.post("/schedules/{schedule_id}/confirm", response=ScheduleOut, summary="确认日程")
def schedule_confirm(request, schedule_id: Id, payload: WorkVersionIn):
    return services.confirm_schedule(request.user, schedule_id, version=payload.version)


# --- tasks ------------------------------------------------------------------------------------------------


@router.get("/tasks", response=list[TaskOut], summary="待办事项")
def task_list(request, status: str = "open", mine: bool = True):
    qs = visible_tasks(request.user)
    if mine:
        qs = qs.filter(owner=request.user)
    if status:
        qs = qs.filter(status=status)
    return list(qs[:500])


@router.post("/tasks", response={201: TaskOut}, openapi_extra=may_answer(404), summary="新建待办")
def task_create(request, payload: TaskIn):
    return 201, services.create_task(
        request.user, title=payload.title, due_on=payload.due_on, detail=payload.detail, customer_id=payload.customer_id
    )


@router.post("/tasks/{task_id}/done", response=TaskOut, summary="完成待办")
def task_done(request, task_id: Id):
    return services.complete_task(request.user, task_id)


# --- journals ---------------------------------------------------------------------------------------------


@router.get("/journal-templates", response=list[WorkTemplateOut], summary="日志/计划/总结模板")
def template_list(request):
    return list(JournalTemplate.objects.filter(is_active=True))


@router.get("/journals", response=list[JournalOut], summary="日志（本人、待审阅、下属）")
def journal_list(
    request,
    status: str = "",
    owner_id: Id | None = None,
    to_review: bool = False,
    overdue: bool = False,
    limit: Limit = 100,
    offset: Offset = 0,
):
    qs = supervised_journals(request.user) if (to_review or overdue) else visible_journals(request.user)
    qs = qs.select_related("template")
    if to_review:
        qs = qs.filter(status=JournalStatus.SUBMITTED)
    if overdue:
        qs = qs.filter(status__in=[JournalStatus.DRAFT, JournalStatus.RETURNED], due_on__lt=timezone.localdate())
    if status:
        qs = qs.filter(status=status)
    if owner_id:
        qs = qs.filter(owner_id=owner_id)
    return list(qs.order_by("-due_on", "id")[offset : offset + min(limit, 500)])


@router.post("/journals", response={201: JournalOut}, summary="打开某期的日志（不存在则建立）")
def journal_open(request, payload: JournalOpenIn):
    return 201, services.open_journal(request.user, payload.template, payload.day)


@router.get("/journals/{journal_id}", response=JournalOut, summary="日志详情")
def journal_detail(request, journal_id: Id):
    return get_or_404(visible_journals(request.user).select_related("template"), journal_id)


@router.put("/journals/{journal_id}", response=JournalOut, summary="保存草稿")
def journal_save(request, journal_id: Id, payload: JournalSaveIn):
    return services.save_journal(request.user, journal_id, content=payload.content, version=payload.version)


@router.post("/journals/{journal_id}/submit", response=JournalOut, summary="提交审阅")
def journal_submit(request, journal_id: Id, payload: JournalSubmitIn):
    return services.submit_journal(request.user, journal_id, content=payload.content, version=payload.version)


@router.post("/journals/{journal_id}/review", response=JournalOut, summary="审阅：通过或退回")
def journal_review(request, journal_id: Id, payload: WorkReviewIn):
    return services.review_journal(
        request.user, journal_id, approve=payload.approve, comment=payload.comment, version=payload.version
    )
