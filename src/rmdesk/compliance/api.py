"""REST API of the compliance app (SPEC §8, §12): pledges and signing, violations, gifts, special
service, anomaly findings and the access audit. Reads go through the scope functions (out of scope
answers 404); writes call the services, which the pages call too."""

from typing import Annotated

from ninja import Router
from pydantic import Field

from rmdesk.core.bounds import Id
from rmdesk.core.schemas import may_answer
from rmdesk.core.scope import get_or_404

from . import services
from .models import PledgeTemplate, Signature
from .schemas import (
    ComplianceAccessEventOut,
    ComplianceDecideIn,
    ComplianceEntitlementEdit,
    ComplianceEntitlementIn,
    ComplianceEntitlementOut,
    ComplianceFeeGrantEdit,
    ComplianceFeeGrantIn,
    ComplianceFeeGrantOut,
    ComplianceFindingOut,
    ComplianceGiftIn,
    ComplianceGiftOut,
    ComplianceNoteIn,
    ComplianceObligationDetailOut,
    ComplianceObligationOut,
    ComplianceRoundDetailOut,
    ComplianceRoundIn,
    ComplianceRoundOut,
    ComplianceRuleSetIn,
    ComplianceRuleSetOut,
    ComplianceRuleSetPatch,
    ComplianceServiceIn,
    ComplianceServiceOut,
    ComplianceSignatureOut,
    ComplianceSignIn,
    ComplianceStatementIn,
    ComplianceTemplateOut,
    ComplianceThresholdOut,
    ComplianceThresholdPatch,
    ComplianceViolationIn,
    ComplianceViolationOut,
)
from .scope import (
    is_officer,
    visible_access_events,
    visible_findings,
    visible_gifts,
    visible_obligations,
    visible_rounds,
    visible_services,
    visible_signatures,
    visible_violations,
)

router = Router(tags=["compliance"])
Limit = Annotated[int, Field(ge=1, le=500)]


@router.get("/templates", response=list[ComplianceTemplateOut], summary="承诺书模板（各版本）")
def list_templates(request):
    return list(PledgeTemplate.objects.all())


@router.get("/rounds", response=list[ComplianceRoundOut], summary="签署批次（按数据权限）")
def list_rounds(request):
    return list(visible_rounds(request.user).order_by("-created_at")[:500])


@router.post("/rounds", response={201: ComplianceRoundOut}, summary="发起签署批次（合规）")
def open_round(request, payload: ComplianceRoundIn):
    return 201, services.open_round(request.user, **payload.dict())


@router.get("/rounds/{round_id}", response=ComplianceRoundDetailOut, summary="签署批次与各机构未签署情况")
def get_round(request, round_id: Id):
    rnd = get_or_404(visible_rounds(request.user), round_id)
    rnd.units = services.outstanding_by_unit(rnd, request.user)
    return rnd


@router.get("/obligations", response=list[ComplianceObligationOut], summary="签署任务（本人及管辖范围）")
def list_obligations(request, mine: bool = False, unsigned: bool = False, limit: Limit = 200):
    qs = visible_obligations(request.user).order_by("-id")
    if mine:
        qs = qs.filter(signer=request.user)
    if unsigned:
        qs = qs.filter(signed_at__isnull=True)
    return list(qs[:limit])


@router.get("/obligations/{obligation_id}", response=ComplianceObligationDetailOut, summary="待签署承诺书全文")
def get_obligation(request, obligation_id: Id):
    from django.utils import timezone

    ob = get_or_404(visible_obligations(request.user).select_related("round__template", "signer"), obligation_id)
    sig = Signature.objects.filter(obligation=ob).first()
    ob.text = sig.text if sig else services.signing_text(ob.round.template, ob.signer, timezone.localdate())
    ob.text_sha256 = Signature.digest(ob.text)
    return ob


@router.post(
    "/obligations/{obligation_id}/sign", response={201: ComplianceSignatureOut}, summary="电子签署承诺书（本人）"
)
def sign(request, obligation_id: Id, payload: ComplianceSignIn):
    return 201, services.sign(
        request.user,
        obligation_id,
        **payload.dict(),
        ip=request.META.get("REMOTE_ADDR") or None,
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
    )


@router.get("/signatures/{signature_id}", response=ComplianceSignatureOut, summary="已签署承诺书（全文与 SHA-256）")
def get_signature(request, signature_id: Id):
    return get_or_404(visible_signatures(request.user), signature_id)


@router.get("/violations", response=list[ComplianceViolationOut], summary="违规记录（按数据权限）")
def list_violations(request, status: Annotated[str, Field(max_length=10)] = "", limit: Limit = 200):
    qs = visible_violations(request.user)
    if status:
        qs = qs.filter(status=status)
    return list(qs[:limit])


@router.post("/violations", response={201: ComplianceViolationOut}, summary="登记违规")
def report_violation(request, payload: ComplianceViolationIn):
    return 201, services.report_violation(request.user, **payload.dict())


@router.get("/violations/{violation_id}", response=ComplianceViolationOut, summary="违规记录详情")
def get_violation(request, violation_id: Id):
    return get_or_404(visible_violations(request.user), violation_id)


@router.post("/violations/{violation_id}/statement", response=ComplianceViolationOut, summary="当事人申辩")
def state_case(request, violation_id: Id, payload: ComplianceStatementIn):
    return services.state_case(request.user, violation_id, **payload.dict())


@router.post("/violations/{violation_id}/decide", response=ComplianceViolationOut, summary="合规认定")
def decide(request, violation_id: Id, payload: ComplianceDecideIn):
    return services.decide_violation(request.user, violation_id, **payload.dict())


@router.get("/gifts", response=list[ComplianceGiftOut], summary="礼品登记（按数据权限）")
def list_gifts(request, unreviewed: bool = False, limit: Limit = 200):
    qs = visible_gifts(request.user)
    if unreviewed:
        qs = qs.filter(reviewed_at__isnull=True)
    return list(qs[:limit])


@router.post("/gifts", response={201: ComplianceGiftOut}, summary="登记礼品或宴请")
def register_gift(request, payload: ComplianceGiftIn):
    return 201, services.register_gift(request.user, **payload.dict())


@router.post("/gifts/{gift_id}/review", response=ComplianceGiftOut, summary="合规复核礼品登记")
def review_gift(request, gift_id: Id, payload: ComplianceNoteIn):
    return services.review_gift(request.user, gift_id, **payload.dict())


@router.get("/special-services", response=list[ComplianceServiceOut], summary="上门服务申请（按数据权限）")
def list_services(request, limit: Limit = 200):
    return list(visible_services(request.user)[:limit])


@router.post("/special-services", response={201: ComplianceServiceOut}, summary="申请上门服务（分管行长事先审批）")
def request_service(request, payload: ComplianceServiceIn):
    return 201, services.request_special_service(request.user, **payload.dict())


@router.get("/special-services/{service_id}", response=ComplianceServiceOut, summary="上门服务申请详情")
def get_service(request, service_id: Id):
    return get_or_404(visible_services(request.user), service_id)


@router.get("/findings", response=list[ComplianceFindingOut], openapi_extra=may_answer(403), summary="异常线索（合规）")
def list_findings(request, status: Annotated[str, Field(max_length=10)] = "", limit: Limit = 200):
    _officer(request)
    qs = visible_findings(request.user).select_related("person")
    if status:
        qs = qs.filter(status=status)
    return list(qs[:limit])


@router.post("/findings/{finding_id}/close", response=ComplianceFindingOut, summary="办结异常线索")
def close_finding(request, finding_id: Id, payload: ComplianceNoteIn):
    return services.close_finding(request.user, finding_id, **payload.dict())


@router.get(
    "/access-events", response=list[ComplianceAccessEventOut], openapi_extra=may_answer(403), summary="访问审计（合规）"
)
def access_events(request, person: Annotated[str, Field(max_length=50)] = "", limit: Limit = 200):
    from .views import describe

    _officer(request)
    qs = visible_access_events(request.user).select_related("actor").order_by("-at", "-id")
    if person:
        qs = qs.filter(actor__username=person)
    return [
        {**r, "person": str(r["person"]), "action": str(r["action"]), "detail": str(r["detail"])}
        for r in describe(list(qs[:limit]))
    ]


@router.get("/rule-sets", response=list[ComplianceRuleSetOut], summary="行为规范（十不准等）及条款")
def list_rule_sets(request):
    """Every conduct rule set with its rules (SPEC §8): bank-wide norms every member of staff reads."""
    from .models import ConductRuleSet

    return list(ConductRuleSet.objects.prefetch_related("rules"))


@router.get("/rule-sets/{rule_set_id}", response=ComplianceRuleSetOut, summary="行为规范详情")
def get_rule_set(request, rule_set_id: Id):
    from .models import ConductRuleSet

    return get_or_404(ConductRuleSet.objects.prefetch_related("rules"), rule_set_id)


@router.post("/rule-sets", response={201: ComplianceRuleSetOut}, summary="新建行为规范（合规、管理员）")
def create_rule_set(request, payload: ComplianceRuleSetIn):
    data = payload.dict()
    return 201, services.create_rule_set(request.user, **data)


@router.patch("/rule-sets/{rule_set_id}", response=ComplianceRuleSetOut, summary="修改行为规范（版本号防覆盖）")
def update_rule_set(request, rule_set_id: Id, payload: ComplianceRuleSetPatch):
    from .models import ConductRuleSet

    data = payload.dict(exclude_unset=True)
    rs = ConductRuleSet.objects.filter(pk=rule_set_id).first()
    current = {"code": rs.code, "name": rs.name, "source": rs.source, "is_active": rs.is_active} if rs else {}
    if rs is not None and data.get("rules") is None:
        current["rules"] = [{"text": r.text, "severity": r.severity, "points": r.points} for r in rs.rules.all()]
    fields = {**current, **{k: v for k, v in data.items() if v is not None and k != "version"}}
    for key in ("code", "name", "rules"):
        fields.setdefault(key, None)
    return services.update_rule_set(request.user, rule_set_id, version=data.get("version"), **fields)


@router.get("/fee-grants", response=list[ComplianceFeeGrantOut], summary="费用减免（按数据权限）")
def list_fee_grants(request, limit: Limit = 200):
    from .scope import visible_fee_grants

    return list(visible_fee_grants(request.user)[:limit])


@router.post("/fee-grants", response={201: ComplianceFeeGrantOut}, summary="登记费用减免（与页面同一校验）")
def record_fee_grant(request, payload: ComplianceFeeGrantIn):
    return 201, services.record_fee_grant(request.user, **payload.dict())


@router.get("/fee-grants/{grant_id}", response=ComplianceFeeGrantOut, summary="一笔费用减免（按数据权限）")
def get_fee_grant(request, grant_id: Id):
    from .scope import visible_fee_grants

    return get_or_404(visible_fee_grants(request.user), grant_id)


@router.put(
    "/fee-grants/{grant_id}",
    response=ComplianceFeeGrantOut,
    summary="更正费用减免（办理人或其主管，未列入复核前；与登记同一校验，版本号防覆盖）",
)
def update_fee_grant(request, grant_id: Id, payload: ComplianceFeeGrantEdit):
    data = payload.dict()
    return services.update_fee_grant(request.user, grant_id, **data)


@router.get("/fee-entitlements", response=list[ComplianceEntitlementOut], summary="客户层级费用优惠权益")
def list_entitlements(request):
    from .models import FeeEntitlement

    return list(FeeEntitlement.objects.select_related("tier"))


@router.get("/fee-entitlements/{entitlement_id}", response=ComplianceEntitlementOut, summary="一条客户层级费用优惠权益")
def get_entitlement(request, entitlement_id: Id):
    from .models import FeeEntitlement

    return get_or_404(FeeEntitlement.objects.select_related("tier"), entitlement_id)


@router.post("/fee-entitlements", response={201: ComplianceEntitlementOut}, summary="新增费用优惠权益（合规、管理员）")
def create_entitlement(request, payload: ComplianceEntitlementIn):
    return 201, services.create_entitlement(request.user, **payload.dict())


@router.put(
    "/fee-entitlements/{entitlement_id}",
    response=ComplianceEntitlementOut,
    summary="修改费用优惠权益（合规、管理员；版本号防覆盖）",
)
def update_entitlement(request, entitlement_id: Id, payload: ComplianceEntitlementEdit):
    return services.update_entitlement(request.user, entitlement_id, **payload.dict())


@router.delete(
    "/fee-entitlements/{entitlement_id}",
    response={204: None},
    summary="删除费用优惠权益（合规、管理员；版本号防覆盖）",
)
def delete_entitlement(request, entitlement_id: Id, version: int):
    services.delete_entitlement(request.user, entitlement_id, version=version)
    return 204, None


@router.get(
    "/thresholds",
    response=list[ComplianceThresholdOut],
    openapi_extra=may_answer(403),
    summary="合规阈值（合规、管理员）",
)
def list_thresholds(request):
    from django.core.exceptions import PermissionDenied
    from django.utils.translation import gettext as _

    from .models import Threshold

    if not request.user.has_role(*services.RULE_EDITORS):
        raise PermissionDenied(_("只有合规人员可以查看。"))
    return list(Threshold.objects.all())


@router.patch("/thresholds/{threshold_id}", response=ComplianceThresholdOut, summary="修改合规阈值（版本号防覆盖）")
def set_threshold(request, threshold_id: Id, payload: ComplianceThresholdPatch):
    return services.set_threshold(request.user, threshold_id, **payload.dict())


def _officer(request):
    from django.core.exceptions import PermissionDenied
    from django.utils.translation import gettext as _

    if not is_officer(request.user):
        raise PermissionDenied(_("只有合规人员可以查看。"))
