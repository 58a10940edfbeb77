"""REST API of the credit app (SPEC §6, §12): products, applications and their due diligence,
submission into the review chain (decided in the kernel's inbox /api/org/approvals, or on the application's
own /decision route with its reasons), loans, post-loan
checks and warnings. Reads go through the scope functions (out of scope answers 404); writes call the
services, which the pages call too."""

from typing import Annotated

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router
from ninja.files import UploadedFile
from pydantic import Field

from rmdesk.core import approvals
from rmdesk.core.bounds import Id

from . import services
from .models import CreditApplication, CreditProduct, WarningStatus
from .schemas import (
    CreditApplicationDetailOut,
    CreditApplicationFilter,
    CreditApplicationIn,
    CreditApplicationOut,
    CreditApplicationUpdateIn,
    CreditCheckIn,
    CreditChecklistIn,
    CreditChecklistOut,
    CreditCheckOut,
    CreditClassifyIn,
    CreditDecideIn,
    CreditGuarantorIn,
    CreditGuarantorOut,
    CreditInvestigatorIn,
    CreditLoanDetailOut,
    CreditLoanIn,
    CreditLoanOut,
    CreditMaterialOut,
    CreditPledgeOut,
    CreditProductOut,
    CreditRatingIn,
    CreditRatingOut,
    CreditRecommendIn,
    CreditVersionIn,
    CreditVisitLinkIn,
    CreditVisitOut,
    CreditVisitRecordIn,
    CreditWarningHandleIn,
    CreditWarningIn,
    CreditWarningOut,
)
from .scope import (
    get_application_or_404,
    get_loan_or_404,
    get_warning_or_404,
    visible_applications,
    visible_loans,
    visible_ratings,
    visible_warnings,
)

router = Router(tags=["credit"])

#: a checklist item's number on its application
ItemNo = Annotated[int, Field(ge=1, le=100)]


def _detail(request, pk) -> CreditApplication:
    get_application_or_404(request.user, pk)
    return CreditApplication.objects.select_related("customer", "product").prefetch_related("investigators").get(pk=pk)


@router.get("/products", response=list[CreditProductOut], summary="信贷产品")
def list_products(request):
    return list(CreditProduct.objects.filter(is_active=True))


@router.get("/applications", response=list[CreditApplicationOut], summary="授信申请列表（按数据权限）")
def list_applications(request, filters: Query[CreditApplicationFilter]):
    qs = visible_applications(request.user).select_related("customer", "product").order_by("-created_at", "-id")
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.customer_id:
        qs = qs.filter(customer_id=filters.customer_id)
    return list(qs[filters.offset : filters.offset + filters.limit])


@router.post("/applications", response={201: CreditApplicationDetailOut}, summary="新建授信申请")
def create_application(request, payload: CreditApplicationIn):
    data = payload.dict()
    app = services.create_application(request.user, **data)
    return 201, _detail(request, app.pk)


@router.get("/applications/{application_id}", response=CreditApplicationDetailOut, summary="授信申请详情")
def get_application(request, application_id: Id):
    return _detail(request, application_id)


@router.put("/applications/{application_id}", response=CreditApplicationDetailOut, summary="修改申请要素")
def update_application(request, application_id: Id, payload: CreditApplicationUpdateIn):
    changes = {k: v for k, v in payload.dict(exclude={"version"}).items() if v is not None}
    services.update_application(request.user, application_id, version=payload.version, **changes)
    return _detail(request, application_id)


@router.post("/applications/{application_id}/materials", response={201: CreditMaterialOut}, summary="上传申请资料")
def add_material(request, application_id: Id, file: File[UploadedFile], kind: Form[str] = ""):
    return 201, services.add_material(request.user, application_id, kind=kind, file=file)


@router.post("/applications/{application_id}/guarantors", response={201: CreditGuarantorOut}, summary="添加担保人")
def add_guarantor(request, application_id: Id, payload: CreditGuarantorIn):
    return 201, services.add_guarantor(request.user, application_id, **payload.dict())


@router.post(
    "/applications/{application_id}/checklist/{order}", response=CreditChecklistOut, summary="记录尽职调查事项"
)
def record_checklist(request, application_id: Id, order: ItemNo, payload: CreditChecklistIn):
    return services.record_checklist(request.user, application_id, order=order, **payload.dict())


@router.post(
    "/applications/{application_id}/investigators",
    response=CreditApplicationDetailOut,
    summary="增加调查人（大额贷款须两人以上）",
)
def add_investigator(request, application_id: Id, payload: CreditInvestigatorIn):
    services.add_investigator(request.user, application_id, user_id=payload.user_id, version=payload.version)
    return _detail(request, application_id)


@router.get("/applications/{application_id}/visits", response=list[CreditVisitOut], summary="调查走访")
def list_visits(request, application_id: Id):
    return services.visits_of(get_application_or_404(request.user, application_id))


@router.post("/applications/{application_id}/visits", response={201: CreditVisitOut}, summary="关联已登记的走访记录")
def link_visit(request, application_id: Id, payload: CreditVisitLinkIn):
    return 201, services.link_visit(request.user, application_id, interaction_id=payload.interaction_id)


@router.post(
    "/applications/{application_id}/visits/record", response={201: CreditVisitOut}, summary="登记调查走访并关联"
)
def record_visit(request, application_id: Id, payload: CreditVisitRecordIn):
    return 201, services.record_visit(request.user, application_id, **payload.dict())


@router.delete("/applications/{application_id}/visits/{visit_id}", response={204: None}, summary="取消关联走访记录")
def unlink_visit(request, application_id: Id, visit_id: Id):
    services.unlink_visit(request.user, application_id, visit_id=visit_id)
    return 204, None


@router.post("/applications/{application_id}/recommend", response=CreditApplicationDetailOut, summary="调查结论")
def recommend(request, application_id: Id, payload: CreditRecommendIn):
    services.recommend(request.user, application_id, **payload.dict())
    return _detail(request, application_id)


@router.post("/applications/{application_id}/pledge", response={201: CreditPledgeOut}, summary="签署尽职调查承诺书")
def sign_pledge(request, application_id: Id):
    return 201, services.sign_pledge(request.user, application_id)


@router.post("/applications/{application_id}/submit", response=CreditApplicationDetailOut, summary="提交审查")
def submit(request, application_id: Id, payload: CreditVersionIn):
    services.submit(request.user, application_id, version=payload.version)
    return _detail(request, application_id)


@router.post("/applications/{application_id}/withdraw", response=CreditApplicationDetailOut, summary="撤回申请")
def withdraw(request, application_id: Id, payload: CreditVersionIn):
    services.withdraw(request.user, application_id, version=payload.version)
    return _detail(request, application_id)


@router.post("/applications/{application_id}/decision", response=CreditApplicationDetailOut, summary="审批决定")
def decide(request, application_id: Id, payload: CreditDecideIn):
    """Decide the application's pending approval step with the chain's and credit's rules, as on the application
    page (SPEC §1, §6): out of scope 404, like a missing application; in scope but not a decider of this step (the
    maker, a person who decided an earlier step, a role or level the step does not name) 403 with the reason; a
    credit rule that forbids this person (审贷分离) or a conclusion the step does not allow 422; a stale version 409."""
    app = get_application_or_404(request.user, application_id)
    if app.approval_id is None:
        raise ValidationError({"decision": [_("该申请不在审批中。")]})
    approvals.decide(
        request.user, app.approval_id, payload.decision, opinion=payload.opinion.strip(), version=payload.version
    )
    return _detail(request, application_id)


@router.post(
    "/applications/{application_id}/loan", response={201: CreditLoanDetailOut}, summary="录入放款信息（CMS 借据号）"
)
def record_loan(request, application_id: Id, payload: CreditLoanIn):
    loan = services.record_loan(request.user, application_id, **payload.dict())
    return 201, loan


@router.get("/loans", response=list[CreditLoanOut], summary="贷款列表（按数据权限）")
def list_loans(request):
    return list(visible_loans(request.user).select_related("customer").order_by("-start_on", "-id")[:500])


@router.get("/loans/{loan_id}", response=CreditLoanDetailOut, summary="贷款详情、贷后检查与五级分类历史")
def get_loan(request, loan_id: Id):
    return get_loan_or_404(request.user, loan_id)


@router.post("/loans/{loan_id}/classify", response=CreditLoanDetailOut, summary="五级分类认定")
def classify(request, loan_id: Id, payload: CreditClassifyIn):
    return services.classify_loan(request.user, loan_id, **payload.dict())


@router.get("/checks", response=list[CreditCheckOut], summary="待办贷后检查")
def list_checks(request):
    return list(services.due_checks(request.user)[:500])


@router.post("/checks/{check_id}", response=CreditCheckOut, summary="登记贷后检查")
def record_check(request, check_id: Id, payload: CreditCheckIn):
    return services.record_check(request.user, check_id, findings=payload.findings, version=payload.version)


@router.get("/warnings", response=list[CreditWarningOut], summary="风险预警（按数据权限）")
def list_warnings(request, status: Annotated[str, Field(max_length=10)] = "open"):
    qs = visible_warnings(request.user).select_related("customer")
    if status in WarningStatus.values:
        qs = qs.filter(status=status)
    return list(qs.order_by("-escalation_level", "-raised_at")[:500])


@router.post("/warnings", response={201: CreditWarningOut}, summary="登记风险预警")
def raise_warning(request, payload: CreditWarningIn):
    return 201, services.raise_warning(request.user, **payload.dict())


@router.get("/warnings/{warning_id}", response=CreditWarningOut, summary="风险预警详情")
def get_warning(request, warning_id: Id):
    return get_warning_or_404(request.user, warning_id)


@router.post("/warnings/{warning_id}/handle", response=CreditWarningOut, summary="处置风险预警")
def handle_warning(request, warning_id: Id, payload: CreditWarningHandleIn):
    return services.handle_warning(request.user, warning_id, **payload.dict())


@router.get("/ratings", response=list[CreditRatingOut], summary="客户信用评级与授信额度（按数据权限）")
def list_ratings(request, customer_id: Id | None = None):
    qs = visible_ratings(request.user).order_by("-year", "-rated_at", "-id")
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    return list(qs[:500])


@router.post("/ratings", response={201: CreditRatingOut}, summary="登记年度信用评级与授信额度")
def rate_customer(request, payload: CreditRatingIn):
    return 201, services.rate_customer(request.user, **payload.dict())
