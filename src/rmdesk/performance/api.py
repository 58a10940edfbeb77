"""REST API of the performance app (SPEC §9, §12): the AHP step, the indicator library, scorecards,
assessment runs and their results, appeals, target letters, pay sheets and level advice. Reads go
through the scope functions (out of scope answers 404); writes call the services the pages call too."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from ninja import Router

from rmdesk.core.bounds import Id
from rmdesk.core.schemas import ValidationErrorOut, may_answer

from . import ahp, services
from .models import AssessmentResult, PayRule, PromotionRule, Scorecard
from .schemas import (
    PerformanceAdviceIn,
    PerformanceAdviceOut,
    PerformanceAhpIn,
    PerformanceAhpOut,
    PerformanceAppealIn,
    PerformanceAppealOut,
    PerformanceComputeIn,
    PerformanceGroupDetailOut,
    PerformanceGroupOut,
    PerformanceIndicatorIn,
    PerformanceIndicatorOut,
    PerformanceIndicatorUpdateIn,
    PerformanceLetterIn,
    PerformanceLetterOut,
    PerformanceManualValueChangeIn,
    PerformanceManualValueDetailOut,
    PerformanceManualValueIn,
    PerformanceManualValueOut,
    PerformanceNewVersionIn,
    PerformancePayOut,
    PerformancePayRuleIn,
    PerformancePayRuleOut,
    PerformancePayRuleUpdateIn,
    PerformancePromotionRuleIn,
    PerformancePromotionRuleOut,
    PerformancePromotionRuleUpdateIn,
    PerformanceResultDetailOut,
    PerformanceRunDetailOut,
    PerformanceRunOut,
    PerformanceScorecardIn,
    PerformanceScorecardOut,
    PerformanceScorecardUpdateIn,
    PerformanceScoresIn,
    PerformanceSignIn,
    PerformanceVersionIn,
)
from .scope import (
    get_advice_or_404,
    get_group_or_404,
    get_letter_or_404,
    get_manual_value_or_404,
    get_result_or_404,
    get_run_or_404,
    get_scorecard_or_404,
    visible_advice,
    visible_groups,
    visible_letters,
    visible_manual_values,
    visible_runs,
    visible_scorecards,
)

router = Router(tags=["performance"])


@router.post("/ahp", response={200: PerformanceAhpOut, 422: ValidationErrorOut}, summary="AHP 权重与一致性检验")
def weigh(request, payload: PerformanceAhpIn):
    """Weights of a pairwise comparison matrix in matrix order (Σ = 1), λmax, CI, CR (Saaty's RI) and
    whether CR < 0.1. A matrix that is not square, not positive or not reciprocal (within 1 %) answers 422
    naming the cell (`loc: ["body", "matrix", row, column]`)."""
    try:
        result = ahp.weigh(payload.matrix)
    except ahp.MatrixError as exc:
        loc = ["body", "matrix", *(exc.cell or ())]
        return 422, {"detail": [{"type": "ahp_matrix", "loc": loc, "msg": exc.message}]}
    return {
        "weights": result.weights,
        "lambda_max": result.lambda_max,
        "ci": result.ci,
        "cr": result.cr,
        "consistent": result.consistent,
    }


# --- indicator library ------------------------------------------------------------------------------


@router.get("/indicators", response=list[PerformanceIndicatorOut], summary="考核指标库")
def list_indicators(request):
    return services.library()


@router.post("/indicators", response={201: PerformanceIndicatorOut}, summary="新增手工指标")
def add_indicator(request, payload: PerformanceIndicatorIn):
    return 201, services.save_indicator(request.user, **payload.dict())


@router.put("/indicators/{indicator_id}", response=PerformanceIndicatorOut, summary="修改指标设置")
def update_indicator(request, indicator_id: Id, payload: PerformanceIndicatorUpdateIn):
    data = payload.dict(exclude={"code"})
    return services.save_indicator(request.user, indicator_id, **data)


@router.post("/manual-values", response={201: PerformanceManualValueOut}, summary="录入手工指标值")
def enter_value(request, payload: PerformanceManualValueIn):
    data = payload.dict()
    return 201, services.enter_manual_value(request.user, data.pop("indicator_id"), **data)


@router.get("/manual-values", response=list[PerformanceManualValueOut], summary="手工指标值（按数据权限）")
def list_manual_values(request):
    return list(visible_manual_values(request.user).order_by("-period_start", "-id")[:500])


@router.get(
    "/manual-values/{manual_value_id}", response=PerformanceManualValueDetailOut, summary="手工指标值及历史版本"
)
def get_manual_value(request, manual_value_id: Id):
    return get_manual_value_or_404(request.user, manual_value_id)


@router.put(
    "/manual-values/{manual_value_id}",
    response=PerformanceManualValueDetailOut,
    summary="修改手工指标值（原值保留为历史版本）",
)
def change_manual_value(request, manual_value_id: Id, payload: PerformanceManualValueChangeIn):
    services.change_manual_value(request.user, manual_value_id, **payload.dict())
    return get_manual_value_or_404(request.user, manual_value_id)


# --- pay rules and promotion rules (bank-wide configuration: supervisors read, administrators edit) -------


def _rule_reader(request):
    if not services.may_read_rules(request.user):
        raise PermissionDenied


def _rule_of(model, pk):
    row = model.objects.filter(pk=pk).first()
    if row is None:
        raise Http404
    return row


@router.get("/pay-rules", response=list[PerformancePayRuleOut], summary="薪酬规则", openapi_extra=may_answer(403))
def list_pay_rules(request):
    _rule_reader(request)
    return list(PayRule.objects.order_by("kind", "rm_level", "id"))


@router.post("/pay-rules", response={201: PerformancePayRuleOut}, summary="新增薪酬规则（系统管理员）")
def add_pay_rule(request, payload: PerformancePayRuleIn):
    return 201, services.save_pay_rule(request.user, **payload.dict())


@router.get(
    "/pay-rules/{rule_id}", response=PerformancePayRuleOut, summary="薪酬规则详情", openapi_extra=may_answer(403)
)
def get_pay_rule(request, rule_id: Id):
    _rule_reader(request)
    return _rule_of(PayRule, rule_id)


@router.put("/pay-rules/{rule_id}", response=PerformancePayRuleOut, summary="修改薪酬规则（系统管理员）")
def update_pay_rule(request, rule_id: Id, payload: PerformancePayRuleUpdateIn):
    return services.save_pay_rule(request.user, rule_id, **payload.dict())


@router.get(
    "/promotion-rules",
    response=list[PerformancePromotionRuleOut],
    summary="晋降级规则",
    openapi_extra=may_answer(403),
)
def list_promotion_rules(request):
    _rule_reader(request)
    return list(PromotionRule.objects.order_by("period_type", "move", "id"))


@router.post("/promotion-rules", response={201: PerformancePromotionRuleOut}, summary="新增晋降级规则（系统管理员）")
def add_promotion_rule(request, payload: PerformancePromotionRuleIn):
    return 201, services.save_promotion_rule(request.user, **payload.dict())


@router.get(
    "/promotion-rules/{rule_id}",
    response=PerformancePromotionRuleOut,
    summary="晋降级规则详情",
    openapi_extra=may_answer(403),
)
def get_promotion_rule(request, rule_id: Id):
    _rule_reader(request)
    return _rule_of(PromotionRule, rule_id)


@router.put("/promotion-rules/{rule_id}", response=PerformancePromotionRuleOut, summary="修改晋降级规则（系统管理员）")
def update_promotion_rule(request, rule_id: Id, payload: PerformancePromotionRuleUpdateIn):
    return services.save_promotion_rule(request.user, rule_id, **payload.dict())


# --- scorecards -------------------------------------------------------------------------------------


def _card(request, pk) -> Scorecard:
    get_scorecard_or_404(request.user, pk)
    return Scorecard.objects.prefetch_related("items").get(pk=pk)


@router.get("/scorecards", response=list[PerformanceScorecardOut], summary="考核方案（按数据权限）")
def list_scorecards(request):
    return list(visible_scorecards(request.user).prefetch_related("items").order_by("-year", "name")[:200])


@router.post("/scorecards", response={201: PerformanceScorecardOut}, summary="新建考核方案（CR ≥ 0.1 拒绝）")
def create_scorecard(request, payload: PerformanceScorecardIn):
    data = payload.dict()
    data["items"] = [dict(i) for i in data["items"]]
    card = services.save_scorecard(request.user, **data)
    return 201, _card(request, card.pk)


@router.get("/scorecards/{scorecard_id}", response=PerformanceScorecardOut, summary="考核方案详情")
def get_scorecard(request, scorecard_id: Id):
    return _card(request, scorecard_id)


@router.put("/scorecards/{scorecard_id}", response=PerformanceScorecardOut, summary="修改考核方案")
def update_scorecard(request, scorecard_id: Id, payload: PerformanceScorecardUpdateIn):
    data = payload.dict()
    data["items"] = [dict(i) for i in data["items"]]
    services.save_scorecard(request.user, scorecard_id, **data)
    return _card(request, scorecard_id)


@router.post("/scorecards/{scorecard_id}/versions", response={201: PerformanceScorecardOut}, summary="另建下一年度版本")
def new_version(request, scorecard_id: Id, payload: PerformanceNewVersionIn):
    card = services.new_version(request.user, scorecard_id, year=payload.year)
    return 201, _card(request, card.pk)


@router.post("/scorecards/{scorecard_id}/runs", response={201: PerformanceRunOut}, summary="计算一期考核")
def compute(request, scorecard_id: Id, payload: PerformanceComputeIn):
    return 201, services.compute_run(request.user, scorecard_id, **payload.dict())


# --- runs and results -------------------------------------------------------------------------------


@router.get("/runs", response=list[PerformanceRunOut], summary="考核批次（按数据权限）")
def list_runs(request):
    return list(visible_runs(request.user).order_by("-period_start", "-id")[:500])


@router.get("/runs/{run_id}", response=PerformanceRunDetailOut, summary="考核批次与结果")
def get_run(request, run_id: Id):
    run = get_run_or_404(request.user, run_id)
    run.results_list = list(run.results.select_related("rm").order_by("rank_unit", "id"))
    return {**{f: getattr(run, f) for f in PerformanceRunOut.model_fields}, "results": run.results_list}


@router.get("/runs/{run_id}/groups", response=list[PerformanceGroupOut], summary="团队与机构考核结果")
def run_groups(request, run_id: Id):
    """The run's team and unit results in the viewer's scope (a team lead: their own team's)."""
    run = get_run_or_404(request.user, run_id)
    return list(visible_groups(request.user).filter(run=run).select_related("unit").order_by("level", "rank", "id"))


@router.get("/groups/{group_id}", response=PerformanceGroupDetailOut, summary="团队/机构考核结果明细与趋势")
def get_group(request, group_id: Id):
    """A team's or unit's result: each item rolled up from the RMs (sums, or Σnumerator/Σdenominator for
    rates), the per-RM figure scored, and the trend over periods of the same type."""
    group = get_group_or_404(request.user, group_id)
    group = type(group).objects.select_related("unit", "run").get(pk=group.pk)
    group.trend = services.group_trend(request.user, group)
    return group


@router.post("/runs/{run_id}/review", response=PerformanceRunOut, summary="复核")
def review(request, run_id: Id, payload: PerformanceVersionIn):
    return services.review_run(request.user, run_id, version=payload.version)


@router.post("/runs/{run_id}/publish", response=PerformanceRunOut, summary="发布")
def publish(request, run_id: Id, payload: PerformanceVersionIn):
    return services.publish_run(request.user, run_id, version=payload.version)


@router.post("/runs/{run_id}/close", response=PerformanceRunOut, summary="关闭")
def close(request, run_id: Id, payload: PerformanceVersionIn):
    return services.close_run(request.user, run_id, version=payload.version)


@router.post("/runs/{run_id}/pay", response=list[PerformancePayOut], summary="计算薪酬表")
def pay(request, run_id: Id):
    return services.compute_pay(request.user, run_id)


def _result(request, pk, **kw) -> dict:
    get_result_or_404(request.user, pk, **kw)
    result = AssessmentResult.objects.select_related("rm", "run").get(pk=pk)
    return {
        **{f: getattr(result, f) for f in ("id", "run_id", "rm_id", "team_id", "gross", "deductions", "score")},
        **{f: getattr(result, f) for f in ("grade", "rank_team", "rank_unit", "version")},
        "rm": result.rm,
        "items": list(result.items.order_by("item__order", "id")),
        "trend": services.trend(request.user, result.rm_id, result.run.period_type),
    }


@router.get("/results/{result_id}", response=PerformanceResultDetailOut, summary="考核结果明细与趋势")
def get_result(request, result_id: Id):
    return _result(request, result_id)


@router.post("/results/{result_id}/qualitative", response=PerformanceResultDetailOut, summary="定性项评分")
def score_qualitative(request, result_id: Id, payload: PerformanceScoresIn):
    services.score_qualitative(request.user, result_id, scores=payload.scores, version=payload.version)
    return _result(request, result_id)


@router.post("/results/{result_id}/appeal", response={201: PerformanceAppealOut}, summary="提出申诉")
def appeal(request, result_id: Id, payload: PerformanceAppealIn):
    return 201, services.appeal(request.user, result_id, reason=payload.reason)


@router.post("/results/{result_id}/revise", response=PerformanceResultDetailOut, summary="申诉成立后重新评分")
def revise(request, result_id: Id, payload: PerformanceScoresIn):
    services.revise_result(request.user, result_id, scores=payload.scores, version=payload.version)
    return _result(request, result_id)


# --- target letters ---------------------------------------------------------------------------------


@router.get("/letters", response=list[PerformanceLetterOut], summary="目标责任书（按数据权限）")
def list_letters(request):
    return list(visible_letters(request.user).prefetch_related("lines").order_by("-year", "-number")[:500])


@router.post("/letters", response={201: PerformanceLetterOut}, summary="下达目标责任书（变更须审批）")
def propose_letter(request, payload: PerformanceLetterIn):
    data = payload.dict()
    data["targets"] = [dict(t) for t in data["targets"]]
    return 201, services.propose_letter(request.user, **data)


@router.get("/letters/{letter_id}", response=PerformanceLetterOut, summary="目标责任书详情")
def get_letter(request, letter_id: Id):
    return get_letter_or_404(request.user, letter_id)


@router.post("/letters/{letter_id}/sign", response=PerformanceLetterOut, summary="电子签署目标责任书")
def sign_letter(request, letter_id: Id, payload: PerformanceSignIn):
    return services.sign_letter(request.user, letter_id, text_hash=payload.text_hash, version=payload.version)


# --- level advice -----------------------------------------------------------------------------------


@router.get("/advice", response=list[PerformanceAdviceOut], summary="晋降级建议（按数据权限）")
def list_advice(request):
    return list(visible_advice(request.user).order_by("-created_at")[:500])


@router.get("/advice/{advice_id}", response=PerformanceAdviceOut, summary="晋降级建议详情")
def get_advice(request, advice_id: Id):
    return get_advice_or_404(request.user, advice_id)


@router.post("/advice/{advice_id}/submit", response=PerformanceAdviceOut, summary="提交晋降级审批")
def submit_advice(request, advice_id: Id, payload: PerformanceAdviceIn):
    return services.submit_advice(request.user, advice_id, version=payload.version, reason=payload.reason)


@router.post("/advice/{advice_id}/dismiss", response=PerformanceAdviceOut, summary="不予采纳")
def dismiss_advice(request, advice_id: Id, payload: PerformanceVersionIn):
    return services.dismiss_advice(request.user, advice_id, version=payload.version)
