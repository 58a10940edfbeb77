"""REST API of the sales app (SPEC §4, §12): the product catalogue, opportunities and their funnel, the
daily sales log, recommendations, segments, campaigns with quotas and lists, marketing tasks,
referrals, cross-sell figures and hints, materials, hand-outs and nominations. Reads go through the
scope functions (out of scope answers 404); writes call the services, which the pages call too."""

from typing import Literal

from django.core.exceptions import ValidationError
from django.http import Http404
from ninja import Query, Router

from rmdesk.core.bounds import Id
from rmdesk.core.schemas import ValidationErrorOut, may_answer
from rmdesk.customers.models import Product
from rmdesk.customers.scope import get_customer_or_404, visible_customers

from . import ledger, services
from .models import Campaign, LostReason, Material, Opportunity
from .schemas import (
    SalesAcceptIn,
    SalesCampaignCancelIn,
    SalesCampaignDetailOut,
    SalesCampaignEditIn,
    SalesCampaignIn,
    SalesCampaignOut,
    SalesCountOut,
    SalesCriteria,
    SalesCrossSellOut,
    SalesDeclineIn,
    SalesFunnelOut,
    SalesHandoutIn,
    SalesHandoutOut,
    SalesHintOut,
    SalesLedgerFilter,
    SalesLedgerOut,
    SalesLostReasonOut,
    SalesMaterialOut,
    SalesMoveIn,
    SalesNominationIn,
    SalesNominationOut,
    SalesOpportunityDetailOut,
    SalesOpportunityFilter,
    SalesOpportunityIn,
    SalesOpportunityOut,
    SalesPage,
    SalesProductOut,
    SalesQuotaOut,
    SalesRecommendationIn,
    SalesRecommendationOut,
    SalesReferralIn,
    SalesReferralOut,
    SalesReferralStatOut,
    SalesResultIn,
    SalesSaleFilter,
    SalesSaleIn,
    SalesSaleOut,
    SalesSegmentIn,
    SalesSegmentOut,
    SalesSignIn,
    SalesSplitIn,
    SalesStageOut,
    SalesTargetOut,
    SalesTaskIn,
    SalesTaskOut,
    SalesTaskProgressIn,
)
from .scope import (
    get_campaign_or_404,
    get_opportunity_or_404,
    visible_campaigns,
    visible_opportunities,
    visible_quotas,
    visible_referrals,
    visible_sales,
    visible_segments,
    visible_targets,
    visible_tasks,
)

router = Router(tags=["sales"])
Group = Literal["rm", "team", "unit"]


def _criteria(c: SalesCriteria) -> dict:
    return {k: (str(v) if k in ("aum_min", "aum_max") else v) for k, v in c.dict().items() if v not in (None, [], "")}


# --- catalogue -------------------------------------------------------------------------------------------


@router.get("/products", response=list[SalesProductOut], summary="产品目录（风险等级、销售期、计价）")
def list_products(request):
    return list(Product.objects.filter(is_active=True))


@router.get("/stages", response=list[SalesStageOut], summary="商机阶段")
def list_stages(request):
    return services.stages()


@router.get("/lost-reasons", response=list[SalesLostReasonOut], summary="商机失败原因")
def list_lost_reasons(request):
    return list(LostReason.objects.filter(is_active=True))


# --- opportunities ---------------------------------------------------------------------------------------


def _opportunity(pk) -> Opportunity:
    return Opportunity.objects.select_related("customer", "product", "stage").get(pk=pk)


@router.get("/opportunities", response=list[SalesOpportunityOut], summary="商机列表（按数据权限）")
def list_opportunities(request, filters: Query[SalesOpportunityFilter]):
    qs = (
        visible_opportunities(request.user)
        .select_related("customer", "product", "stage")
        .order_by("-created_at", "-id")
    )
    if filters.stage:
        qs = qs.filter(stage__code=filters.stage)
    if filters.customer_id:
        qs = qs.filter(customer_id=filters.customer_id)
    if filters.mine:
        qs = qs.filter(owner=request.user)
    return list(qs[filters.offset : filters.offset + filters.limit])


@router.post("/opportunities", response={201: SalesOpportunityDetailOut}, summary="新建商机（适当性检查）")
def create_opportunity(request, payload: SalesOpportunityIn):
    opp = services.create_opportunity(request.user, **payload.dict())
    return 201, _opportunity(opp.pk)


@router.get("/opportunities/{opportunity_id}", response=SalesOpportunityDetailOut, summary="商机详情与阶段历史")
def get_opportunity(request, opportunity_id: Id):
    get_opportunity_or_404(request.user, opportunity_id)
    return _opportunity(opportunity_id)


@router.post(
    "/opportunities/{opportunity_id}/move", response=SalesOpportunityDetailOut, summary="推进商机阶段（签约即登记销售）"
)
def move_opportunity(request, opportunity_id: Id, payload: SalesMoveIn):
    services.move_opportunity(request.user, opportunity_id, **payload.dict())
    return _opportunity(opportunity_id)


@router.get("/funnel", response=list[SalesFunnelOut], summary="商机漏斗与转化率（全部或按客户经理、团队、机构）")
def get_funnel(request, by: Group | None = None):
    out = services.funnel(visible_opportunities(request.user), group=by)
    for g in out:
        g["levels"] = [
            {"stage": lv["stage"].code, "name": lv["stage"].name, "count": lv["count"], "conversion": lv["conversion"]}
            for lv in g["levels"]
        ]
    return out


# --- sales log and recommendations -----------------------------------------------------------------------


@router.get("/sales", response=list[SalesSaleOut], summary="营销业绩登记（按数据权限）")
def list_sales(request, filters: Query[SalesSaleFilter]):
    qs = visible_sales(request.user).order_by("-sold_on", "-id")
    if filters.start:
        qs = qs.filter(sold_on__gte=filters.start)
    if filters.end:
        qs = qs.filter(sold_on__lte=filters.end)
    if filters.rm_id:
        qs = qs.filter(rm_id=filters.rm_id)
    return list(qs[filters.offset : filters.offset + filters.limit])


@router.post("/sales", response={201: SalesSaleOut}, summary="登记营销业绩（风险产品须揭示并确认）")
def record_sale(request, payload: SalesSaleIn):
    return 201, services.record_sale(request.user, **payload.dict())


@router.post("/recommendations", response={201: SalesRecommendationOut}, summary="推荐产品（不得超过客户风险承受能力）")
def recommend(request, payload: SalesRecommendationIn):
    return 201, services.recommend_product(request.user, **payload.dict())


# --- segments and campaigns ------------------------------------------------------------------------------


@router.get("/segments", response=list[SalesSegmentOut], summary="目标客群")
def list_segments(request, page: Query[SalesPage]):
    return list(visible_segments(request.user).order_by("-created_at")[page.offset : page.offset + page.limit])


@router.post("/segments", response={201: SalesSegmentOut}, summary="保存目标客群")
def save_segment(request, payload: SalesSegmentIn):
    return 201, services.save_segment(request.user, name=payload.name, criteria=_criteria(payload.criteria))


@router.post("/segments/count", response=SalesCountOut, summary="按条件统计客户数（在本人管辖范围内）")
def count_segment(request, payload: SalesCriteria):
    criteria = services.clean_criteria(_criteria(payload))
    return {"count": services.segment_customers(request.user, criteria).count()}


@router.get("/segments/{segment_id}/count", response=SalesCountOut, summary="目标客群的当前客户数")
def segment_count(request, segment_id: Id):
    segment = visible_segments(request.user).filter(pk=segment_id).first()
    if segment is None:
        raise Http404
    return {"count": services.segment_customers(request.user, segment.criteria).count()}


def _campaign_detail(request, campaign: Campaign) -> dict:
    progress = services.campaign_progress(request.user, campaign)
    data = SalesCampaignOut.from_orm(campaign).dict()
    data["product_ids"] = list(campaign.products.values_list("pk", flat=True))
    data["quotas"] = [
        {
            "id": row["quota"].pk,
            "parent_id": row["quota"].parent_id,
            "unit_id": row["quota"].unit_id,
            "rm_id": row["quota"].rm_id,
            "holder": row["quota"].holder_name,
            "target_count": row["quota"].target_count,
            "target_amount": row["quota"].target_amount,
            "done_count": row["done_count"],
            "done_amount": row["done_amount"],
            "version": row["quota"].version,
        }
        for row in progress["quotas"]
    ]
    return data


@router.get("/campaigns", response=list[SalesCampaignOut], summary="营销活动（按数据权限）")
def list_campaigns(request, page: Query[SalesPage]):
    return list(visible_campaigns(request.user).order_by("-starts_on", "-id")[page.offset : page.offset + page.limit])


@router.post("/campaigns", response={201: SalesCampaignDetailOut}, summary="发起营销活动（生成名单与本级任务）")
def launch_campaign(request, payload: SalesCampaignIn):
    campaign = services.launch_campaign(request.user, **payload.dict())
    return 201, _campaign_detail(request, campaign)


@router.get("/campaigns/{campaign_id}", response=SalesCampaignDetailOut, summary="营销活动详情、任务分解与进度")
def get_campaign(request, campaign_id: Id):
    return _campaign_detail(request, get_campaign_or_404(request.user, campaign_id))


@router.put("/campaigns/{campaign_id}", response=SalesCampaignDetailOut, summary="修改进行中的营销活动（版本过期 409）")
def edit_campaign(request, campaign_id: Id, payload: SalesCampaignEditIn):
    campaign = services.edit_campaign(request.user, campaign_id, **payload.dict())
    return _campaign_detail(request, campaign)


@router.post(
    "/campaigns/{campaign_id}/cancel", response=SalesCampaignDetailOut, summary="取消营销活动（须填原因，版本过期 409）"
)
def cancel_campaign(request, campaign_id: Id, payload: SalesCampaignCancelIn):
    campaign = services.cancel_campaign(request.user, campaign_id, **payload.dict())
    return _campaign_detail(request, campaign)


@router.get("/campaigns/{campaign_id}/targets", response=list[SalesTargetOut], summary="营销名单（本人可见部分）")
def list_targets(request, campaign_id: Id, page: Query[SalesPage]):
    campaign = get_campaign_or_404(request.user, campaign_id)
    qs = visible_targets(request.user).filter(campaign=campaign).select_related("customer").order_by("id")
    return list(qs[page.offset : page.offset + page.limit])


@router.post("/quotas/{quota_id}/split", response=list[SalesQuotaOut], summary="分解任务给下级（合计须相等）")
def split_quota(request, quota_id: Id, payload: SalesSplitIn):
    made = services.split_quota(
        request.user, quota_id, shares=[s.dict() for s in payload.shares], version=payload.version
    )
    return [
        {
            "id": q.pk,
            "parent_id": q.parent_id,
            "unit_id": q.unit_id,
            "rm_id": q.rm_id,
            "holder": visible_quotas(request.user).select_related("unit", "rm").get(pk=q.pk).holder_name,
            "target_count": q.target_count,
            "target_amount": q.target_amount,
            "version": q.version,
        }
        for q in made
    ]


@router.post("/targets/{target_id}/result", response=SalesTargetOut, summary="记录名单客户的营销结果")
def record_result(request, target_id: Id, payload: SalesResultIn):
    target = services.record_result(request.user, target_id, **payload.dict())
    return visible_targets(request.user).select_related("customer").get(pk=target.pk)


# --- tasks -----------------------------------------------------------------------------------------------


@router.get("/tasks", response=list[SalesTaskOut], summary="营销任务（按数据权限）")
def list_tasks(request, page: Query[SalesPage]):
    return list(visible_tasks(request.user).order_by("due_on", "id")[page.offset : page.offset + page.limit])


@router.post("/tasks", response={201: SalesTaskOut}, summary="下达营销任务")
def assign_task(request, payload: SalesTaskIn):
    return 201, services.assign_task(request.user, **payload.dict())


@router.post("/tasks/{task_id}/progress", response=SalesTaskOut, summary="填报营销任务进度")
def task_progress(request, task_id: Id, payload: SalesTaskProgressIn):
    return services.report_task_progress(request.user, task_id, **payload.dict())


# --- referrals -------------------------------------------------------------------------------------------


@router.get("/referrals", response=list[SalesReferralOut], summary="客户推介（推介人、受理客户经理及上级可见）")
def list_referrals(request, page: Query[SalesPage]):
    qs = visible_referrals(request.user).select_related("customer", "rm").order_by("-created_at", "-id")
    return list(qs[page.offset : page.offset + page.limit])


@router.post("/referrals", response={201: SalesReferralOut}, summary="推介客户（大堂经理/柜员，按客户号，不查看档案）")
def refer(request, payload: SalesReferralIn):
    referral = services.refer(request.user, **payload.dict())
    return 201, visible_referrals(request.user).select_related("customer", "rm").get(pk=referral.pk)


@router.post("/referrals/{referral_id}/accept", response=SalesReferralOut, summary="受理推介（可同时建商机）")
def accept_referral(request, referral_id: Id, payload: SalesAcceptIn):
    services.accept_referral(request.user, referral_id, **payload.dict())
    return visible_referrals(request.user).select_related("customer", "rm").get(pk=referral_id)


@router.post("/referrals/{referral_id}/decline", response=SalesReferralOut, summary="谢绝推介")
def decline_referral(request, referral_id: Id, payload: SalesDeclineIn):
    services.decline_referral(request.user, referral_id, **payload.dict())
    return visible_referrals(request.user).select_related("customer", "rm").get(pk=referral_id)


@router.get("/referral-stats", response=list[SalesReferralStatOut], summary="推介统计（按推介人或网点）")
def referral_stats(request, by: Literal["referrer", "outlet"] = "referrer"):
    return services.referral_stats(request.user, by=by)


# --- cross-sell ------------------------------------------------------------------------------------------


@router.get("/cross-sell", response=list[SalesCrossSellOut], summary="交叉销售：人均产品数、覆盖率、理财渗透率")
def cross_sell(request, by: Group = "rm"):
    customers = visible_customers(request.user).filter(merged_into__isnull=True, a_rm__isnull=False)
    return services.cross_sell(customers, group=by)


@router.get(
    "/customers/{customer_id}/hints", response=list[SalesHintOut], summary="下一个最佳产品提示（不超过风险承受能力）"
)
def hints(request, customer_id: Id):
    customer = get_customer_or_404(request.user, customer_id)
    return [
        {
            "product_id": h["product"].pk,
            "product_name": h["product"].name,
            "risk_level": h["product"].risk_level,
            "reason": h["reason"],
        }
        for h in services.next_best_products(customer)
    ]


# --- materials -------------------------------------------------------------------------------------------


@router.get("/materials", response=list[SalesMaterialOut], summary="宣传促销品与库存")
def list_materials(request):
    return list(Material.objects.filter(is_active=True))


@router.get(
    "/materials/ledger",
    response={200: SalesLedgerOut, 422: ValidationErrorOut},
    summary="宣传促销品台账（出入库明细与结存）",
    openapi_extra=may_answer(404),
)
def material_ledger(request, filters: Query[SalesLedgerFilter]):
    """Per material every movement in date order with the running balance (SPEC §4); the same filters
    and scope as the page /sales/materials/ledger/. Roles that do not see materials: 404."""
    user = request.user
    if not ledger.may_read(user):
        raise Http404
    try:
        f = ledger.clean_filter(filters.dict(exclude={"offset", "limit"}))
    except ValidationError as exc:
        return 422, {
            "detail": [
                {"type": "invalid", "loc": ["query", field], "msg": message}
                for field, messages in exc.message_dict.items()
                for message in messages
            ]
        }
    qs = ledger.lines(user, f)
    page = qs[filters.offset : filters.offset + filters.limit]
    labels = ledger.kind_labels()
    return {
        "summary": [
            {
                "material_id": s["material"].pk,
                "material_name": s["material"].name,
                "unit_name": s["material"].unit_name,
                **{k: s[k] for k in ("opening", "receipts", "handouts", "writeoffs", "closing")},
            }
            for s in ledger.summary(f)
        ],
        "count": qs.count(),
        "lines": [ledger.line_dict(line, labels) for line in page],
    }


@router.post("/handouts", response={201: SalesHandoutOut}, summary="发放促销品（扣减库存）")
def hand_out(request, payload: SalesHandoutIn):
    return 201, services.hand_out(request.user, **payload.dict())


@router.post("/handouts/{handout_id}/sign", response=SalesHandoutOut, summary="登记客户签收")
def sign_handout(request, handout_id: Id, payload: SalesSignIn):
    return services.sign_handout(request.user, handout_id, signed_by=payload.signed_by)


@router.post("/nominations", response={201: SalesNominationOut}, summary="推选客户（促销推选审批链）")
def nominate(request, payload: SalesNominationIn):
    return 201, services.nominate(request.user, **payload.dict())


# --- configuration (SPEC §4): stages, lost reasons, cross-sell rules, materials and their stock ----------------
# The administrator and the product manager (sales/config.py CONFIG_ROLES); anyone else 403. The same
# services validate the pages' forms: 422 with field paths, a stale `version` 409, a missing id 404.


def _configurer(request):
    from django.core.exceptions import PermissionDenied

    from .config import may_configure

    if not may_configure(request.user):
        raise PermissionDenied


def _config_routes():
    from .config import (
        create_lost_reason,
        create_material,
        create_rule,
        create_stage,
        receive_material,
        update_lost_reason,
        update_material,
        update_rule,
        update_stage,
    )
    from .models import CrossSellRule, OpportunityStage
    from .schemas import (
        SalesLostReasonConfigOut,
        SalesLostReasonCreateIn,
        SalesLostReasonPatchIn,
        SalesMaterialConfigOut,
        SalesMaterialCreateIn,
        SalesMaterialPatchIn,
        SalesMaterialReceiptIn,
        SalesRuleCreateIn,
        SalesRuleOut,
        SalesRulePatchIn,
        SalesStageConfigOut,
        SalesStageCreateIn,
        SalesStagePatchIn,
    )

    @router.get(
        "/config/stages",
        response=list[SalesStageConfigOut],
        openapi_extra=may_answer(403),
        summary="配置：商机阶段（含停用）",
    )
    def config_stages(request):
        _configurer(request)
        return list(OpportunityStage.objects.order_by("order"))

    @router.post("/config/stages", response={201: SalesStageConfigOut}, summary="配置：新增商机阶段")
    def config_stage_create(request, payload: SalesStageCreateIn):
        return 201, create_stage(request.user, **payload.dict())

    @router.patch(
        "/config/stages/{stage_id}", response=SalesStageConfigOut, summary="配置：修改商机阶段（版本过期 409）"
    )
    def config_stage_update(request, stage_id: Id, payload: SalesStagePatchIn):
        return update_stage(request.user, stage_id, **payload.dict(exclude_unset=True))

    @router.get(
        "/config/lost-reasons",
        response=list[SalesLostReasonConfigOut],
        openapi_extra=may_answer(403),
        summary="配置：失败原因（含停用）",
    )
    def config_lost_reasons(request):
        _configurer(request)
        return list(LostReason.objects.all())

    @router.post("/config/lost-reasons", response={201: SalesLostReasonConfigOut}, summary="配置：新增失败原因")
    def config_lost_reason_create(request, payload: SalesLostReasonCreateIn):
        return 201, create_lost_reason(request.user, **payload.dict())

    @router.patch(
        "/config/lost-reasons/{reason_id}",
        response=SalesLostReasonConfigOut,
        summary="配置：修改失败原因（版本过期 409）",
    )
    def config_lost_reason_update(request, reason_id: Id, payload: SalesLostReasonPatchIn):
        return update_lost_reason(request.user, reason_id, **payload.dict(exclude_unset=True))

    @router.get(
        "/config/cross-sell-rules",
        response=list[SalesRuleOut],
        openapi_extra=may_answer(403),
        summary="配置：交叉销售提示规则（含停用）",
    )
    def config_rules(request):
        _configurer(request)
        return list(CrossSellRule.objects.all())

    @router.post("/config/cross-sell-rules", response={201: SalesRuleOut}, summary="配置：新增交叉销售提示规则")
    def config_rule_create(request, payload: SalesRuleCreateIn):
        return 201, create_rule(request.user, **payload.dict())

    @router.patch(
        "/config/cross-sell-rules/{rule_id}",
        response=SalesRuleOut,
        summary="配置：修改交叉销售提示规则（版本过期 409）",
    )
    def config_rule_update(request, rule_id: Id, payload: SalesRulePatchIn):
        return update_rule(request.user, rule_id, **payload.dict(exclude_unset=True))

    @router.get(
        "/config/materials",
        response=list[SalesMaterialConfigOut],
        openapi_extra=may_answer(403),
        summary="配置：宣传促销品与库存（含停用）",
    )
    def config_materials(request):
        _configurer(request)
        return list(Material.objects.all())

    @router.post(
        "/config/materials", response={201: SalesMaterialConfigOut}, summary="配置：新增宣传促销品（期初库存）"
    )
    def config_material_create(request, payload: SalesMaterialCreateIn):
        return 201, create_material(request.user, **payload.dict())

    @router.patch(
        "/config/materials/{material_id}",
        response=SalesMaterialConfigOut,
        summary="配置：修改宣传促销品（版本过期 409）",
    )
    def config_material_update(request, material_id: Id, payload: SalesMaterialPatchIn):
        return update_material(request.user, material_id, **payload.dict(exclude_unset=True))

    @router.post(
        "/config/materials/{material_id}/receipts",
        response=SalesMaterialConfigOut,
        summary="配置：促销品入库（正数）或报损（负数），库存不得为负",
    )
    def config_material_receipt(request, material_id: Id, payload: SalesMaterialReceiptIn):
        return receive_material(request.user, material_id, **payload.dict())


_config_routes()
