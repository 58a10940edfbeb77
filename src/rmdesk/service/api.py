"""REST API of the service app (SPEC §5, §12): cases and their flow, SLA figures, surveys,
satisfaction index, churn rates and the watch list. Every read goes through the scope functions;
out-of-scope objects answer 404."""

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from ninja import File, Query, Router
from ninja.files import UploadedFile

from rmdesk.core.bounds import Day, Id

from . import churn, services, sla, surveys
from .models import CaseCategory, QualityFeedback, SlaPolicy, SurveyTemplate, WatchStatus
from .schemas import (
    ActionIn,
    ActionOut,
    AnswersIn,
    AssessIn,
    CaseDetailOut,
    CaseFilter,
    CaseIn,
    CaseOut,
    CategoryOut,
    CheckIn,
    ChurnRow,
    CloseWatchIn,
    DecideIn,
    FeedbackIn,
    FeedbackOut,
    FollowUpIn,
    IndexRow,
    InvestigateIn,
    NoteIn,
    PlanIn,
    PolicyOut,
    ReasonIn,
    ResponseOut,
    ResultIn,
    ResultOnlyIn,
    RoundIn,
    RoundOut,
    RunOut,
    ServiceAssignIn,
    ServiceReviewIn,
    ServiceTemplateOut,
    SignIn,
    SlaRow,
    TemplateIn,
    WatchIn,
    WatchOut,
)
from .scope import get_case_or_404, visible_cases, visible_responses, visible_rounds, visible_watch

router = Router(tags=["service"])


# --- configuration -----------------------------------------------------------------------------


@router.get("/categories", response=list[CategoryOut], summary="投诉/服务类别")
def list_categories(request):
    return list(CaseCategory.objects.filter(is_active=True).prefetch_related("checklist_items"))


@router.get("/sla/policies", response=list[PolicyOut], summary="SLA 时限规则")
def list_policies(request):
    return list(SlaPolicy.objects.filter(is_active=True).order_by("id"))


# --- cases -------------------------------------------------------------------------------------


def _case(request, pk):
    return (
        visible_cases(request.user)
        .select_related("customer")
        .prefetch_related("steps", "checks")
        .get(pk=get_case_or_404(request.user, pk).pk)
    )


@router.get("/cases", response=list[CaseOut], summary="工单列表（按数据权限）")
def list_cases(request, filters: Query[CaseFilter]):
    qs = visible_cases(request.user).select_related("customer").order_by("-registered_at", "-id")
    if filters.status == "open":
        qs = qs.exclude(status="closed")
    elif filters.status:
        qs = qs.filter(status=filters.status)
    if filters.customer_id:
        qs = qs.filter(customer_id=filters.customer_id)
    if filters.owner_id:
        qs = qs.filter(owner_id=filters.owner_id)
    if filters.breached:
        qs = qs.filter(Q(ack_breached=True) | Q(answer_breached=True))
    limit = max(1, min(filters.limit, 500))
    return list(qs[filters.offset : filters.offset + limit])


@router.post("/cases", response={201: CaseDetailOut}, summary="登记投诉/服务请求")
def create_case(request, payload: CaseIn):
    case = services.register_case(request.user, **payload.dict())
    return 201, _case(request, case.pk)


@router.get("/cases/{case_id}", response=CaseDetailOut, summary="工单详情与处理记录")
def get_case(request, case_id: Id):
    return _case(request, case_id)


@router.post("/cases/{case_id}/accept", response=CaseDetailOut, summary="受理")
def accept(request, case_id: Id, payload: NoteIn):
    services.accept_case(request.user, case_id, note=payload.note, version=payload.version)
    return _case(request, case_id)


@router.post("/cases/{case_id}/investigate", response=CaseDetailOut, summary="调查原因")
def investigate(request, case_id: Id, payload: InvestigateIn):
    services.record_investigation(
        request.user, case_id, cause=payload.cause, root_cause=payload.root_cause, version=payload.version
    )
    return _case(request, case_id)


@router.post("/cases/{case_id}/propose", response=CaseDetailOut, summary="提交方案")
def propose(request, case_id: Id, payload: PlanIn):
    services.propose_plan(request.user, case_id, plan=payload.plan, version=payload.version)
    return _case(request, case_id)


@router.post("/cases/{case_id}/decide", response=CaseDetailOut, summary="主管批示（同意或退回）")
def decide(request, case_id: Id, payload: DecideIn):
    services.decide_plan(
        request.user, case_id, approve=payload.approve, instruction=payload.instruction, version=payload.version
    )
    return _case(request, case_id)


@router.post("/cases/{case_id}/implement", response=CaseDetailOut, summary="实施")
def implement(request, case_id: Id, payload: ResultIn):
    services.implement_plan(request.user, case_id, result=payload.result, version=payload.version)
    return _case(request, case_id)


@router.post("/cases/{case_id}/follow-up", response=CaseDetailOut, summary="回访（客户确认与满意度）")
def follow_up(request, case_id: Id, payload: FollowUpIn):
    services.record_follow_up(
        request.user,
        case_id,
        customer_confirmed=payload.customer_confirmed,
        satisfaction=payload.satisfaction,
        note=payload.note,
        version=payload.version,
    )
    return _case(request, case_id)


@router.post("/cases/{case_id}/close", response=CaseDetailOut, summary="关闭")
def close(request, case_id: Id, payload: NoteIn):
    services.close_case(request.user, case_id, note=payload.note, version=payload.version)
    return _case(request, case_id)


@router.post("/cases/{case_id}/checks/{order}", response=CaseDetailOut, summary="完成/撤销检查清单事项")
def check(request, case_id: Id, order: Id, payload: CheckIn):
    """The category's checklist (issue 19, e.g. the tobacco pack's 入网/退网 standard): every item done before
    the case closes; 422 `order` for an item the case does not have, 409 for a stale case version."""
    services.check_item(
        request.user, case_id, order=order, done=payload.done, note=payload.note, version=payload.version
    )
    return _case(request, case_id)


@router.post("/cases/{case_id}/reopen", response=CaseDetailOut, summary="重开")
def reopen(request, case_id: Id, payload: ReasonIn):
    services.reopen_case(request.user, case_id, reason=payload.reason, version=payload.version)
    return _case(request, case_id)


@router.post("/cases/{case_id}/pause", response=CaseDetailOut, summary="等待客户（暂停计时）")
def pause(request, case_id: Id, payload: ReasonIn):
    services.pause_case(request.user, case_id, reason=payload.reason, version=payload.version)
    return _case(request, case_id)


@router.post("/cases/{case_id}/resume", response=CaseDetailOut, summary="恢复计时")
def resume(request, case_id: Id, payload: NoteIn):
    services.resume_case(request.user, case_id, note=payload.note, version=payload.version)
    return _case(request, case_id)


@router.post("/cases/{case_id}/assess", response=CaseDetailOut, summary="有效投诉认定与责任归属")
def assess(request, case_id: Id, payload: AssessIn):
    services.assess_case(
        request.user,
        case_id,
        is_valid=payload.is_valid,
        responsibility=payload.responsibility,
        root_cause=payload.root_cause,
        responsible_staff_id=payload.responsible_staff_id,
        note=payload.note,
        version=payload.version,
    )
    return _case(request, case_id)


@router.post("/cases/{case_id}/assign", response=CaseDetailOut, summary="转派责任人")
def assign(request, case_id: Id, payload: ServiceAssignIn):
    services.assign_case(request.user, case_id, owner_id=payload.owner_id, note=payload.note, version=payload.version)
    return _case(request, case_id)


@router.post("/cases/{case_id}/attachments", response={201: dict}, summary="上传附件")
def attach(request, case_id: Id, file: File[UploadedFile]):
    att = services.add_attachment(request.user, case_id, uploaded_file=file)
    return 201, {"id": att.pk, "name": att.name}


@router.get("/cases/{case_id}/feedback", response=FeedbackOut, summary="商品及服务质量信息反馈单")
def get_feedback(request, case_id: Id):
    case = get_case_or_404(request.user, case_id)
    fb = QualityFeedback.objects.filter(case=case).first()
    if fb is None:
        raise Http404
    return fb


@router.put("/cases/{case_id}/feedback", response=FeedbackOut, summary="填写/修改质量信息反馈单")
def put_feedback(request, case_id: Id, payload: FeedbackIn):
    return services.save_feedback(request.user, case_id, **payload.dict())


@router.post("/cases/{case_id}/feedback/review", response=FeedbackOut, summary="主管审核反馈单")
def review_feedback(request, case_id: Id, payload: ServiceReviewIn):
    return services.review_feedback(request.user, case_id, note=payload.note, version=payload.version)


@router.post("/cases/{case_id}/feedback/sign", response=FeedbackOut, summary="客户签字确认反馈单")
def sign_feedback(request, case_id: Id, payload: SignIn):
    return services.confirm_feedback(request.user, case_id, signed_name=payload.signed_name, version=payload.version)


# --- SLA ---------------------------------------------------------------------------------------


@router.get("/sla/stats", response=list[SlaRow], summary="SLA 统计（按客户经理/团队/机构）")
def sla_stats(request, group: str = "rm", start: Day | None = None, end: Day | None = None):
    def aware(d, plus=0):
        return timezone.make_aware(datetime.fromordinal(d.toordinal() + plus)) if d else None

    return services.sla_stats(request.user, group=group, start=aware(start), end=aware(end, 1))


@router.post("/sla/run", response=RunOut, summary="立即执行一次 SLA 检查（管理员）")
def sla_run(request):
    if not (request.user.is_superuser or request.user.has_role("admin")):
        raise PermissionDenied
    return sla.run()


# --- surveys -----------------------------------------------------------------------------------


@router.get("/surveys/templates", response=list[ServiceTemplateOut], summary="满意度调查问卷")
def list_templates(request):
    return list(SurveyTemplate.objects.filter(is_active=True).prefetch_related("questions"))


@router.post("/surveys/templates", response={201: ServiceTemplateOut}, summary="新建问卷")
def create_template(request, payload: TemplateIn):
    tpl = surveys.create_template(
        request.user,
        name=payload.name,
        description=payload.description,
        questions=[q.dict() for q in payload.questions],
    )
    return 201, tpl


@router.get("/surveys/rounds", response=list[RoundOut], summary="调查轮次")
def list_rounds(request):
    return list(visible_rounds(request.user).order_by("-created_at")[:200])


@router.post("/surveys/rounds", response={201: RoundOut}, summary="发起调查（向客户范围发送）")
def create_round(request, payload: RoundIn):
    rnd = surveys.start_round(
        request.user,
        template_id=payload.template_id,
        name=payload.name,
        due_on=payload.due_on,
        segment={"tier_ids": payload.tier_ids, "stages": payload.stages, "unit_id": payload.unit_id},
    )
    return 201, rnd


@router.get("/surveys/rounds/{round_id}/responses", response=list[ResponseOut], summary="答卷列表")
def list_responses(request, round_id: Id):
    if not visible_rounds(request.user).filter(pk=round_id).exists():
        raise Http404
    return list(visible_responses(request.user).filter(round_id=round_id).order_by("id"))


@router.post("/surveys/responses/{response_id}", response=ResponseOut, summary="录入答卷")
def answer(request, response_id: Id, payload: AnswersIn):
    return surveys.record_answers(
        request.user, response_id, answers=payload.answers, comment=payload.comment, version=payload.version
    )


@router.post("/surveys/rounds/{round_id}/import", response=dict, summary="导入答卷（Excel）")
def import_round(request, round_id: Id, file: File[UploadedFile]):
    return {"imported": surveys.import_answers(request.user, round_id, file)}


@router.get("/satisfaction", response=list[IndexRow], summary="满意度指数（按客户经理/团队/机构）")
def satisfaction(request, group: str = "rm", round_id: Id | None = None):
    return surveys.satisfaction_index(request.user, group=group, round_id=round_id)


# --- churn -------------------------------------------------------------------------------------


@router.get("/churn/rates", response=list[ChurnRow], summary="分层客户流失率与目标")
def churn_rates(request, start: Day | None = None, end: Day | None = None, period: str = "year"):
    if start is None or end is None:
        start, end = churn._period_bounds(period, timezone.localdate())
    return churn.churn_rates(request.user, start=start, end=end)


@router.get("/churn/watch", response=list[WatchOut], summary="流失预警名单")
def list_watch(request, status: str = WatchStatus.OPEN):
    qs = visible_watch(request.user).select_related("customer").prefetch_related("actions").order_by("-added_at")
    if status in WatchStatus.values:
        qs = qs.filter(status=status)
    return list(qs[:500])


@router.post("/churn/watch", response={201: WatchOut}, summary="列入名单")
def add_watch(request, payload: WatchIn):
    entry = churn.add_to_watch(request.user, **payload.dict())
    return 201, entry


@router.get("/churn/watch/{entry_id}", response=WatchOut, summary="名单详情")
def get_watch(request, entry_id: Id):
    entry = visible_watch(request.user).select_related("customer").filter(pk=entry_id).first()
    if entry is None:
        raise Http404
    return entry


@router.post("/churn/watch/{entry_id}/actions", response={201: ActionOut}, summary="安排挽留措施")
def add_action(request, entry_id: Id, payload: ActionIn):
    return 201, churn.add_retention_action(request.user, entry_id, **payload.dict())


@router.post("/churn/actions/{action_id}/done", response=ActionOut, summary="完成挽留措施")
def done_action(request, action_id: Id, payload: ResultOnlyIn):
    return churn.complete_action(request.user, action_id, result=payload.result)


@router.post("/churn/watch/{entry_id}/close", response=WatchOut, summary="结束跟进")
def close_watch(request, entry_id: Id, payload: CloseWatchIn):
    return churn.close_watch(
        request.user, entry_id, status=payload.status, outcome=payload.outcome, version=payload.version
    )
