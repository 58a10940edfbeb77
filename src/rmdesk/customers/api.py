"""REST API of the customer archive under /api/customers (SPEC §2, §12). Same scope, services and
masking as the pages. Sensitive fields are masked; POST /{id}/reveal returns one in clear (audited).
The routes parse input and call the services; schemas are in schemas.py."""

import json
import os

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router
from ninja.files import UploadedFile

from rmdesk.core.bounds import Id, Limit
from rmdesk.core.schemas import ErrorOut, may_answer
from rmdesk.org.scope import visible_staff

from . import importer, queries, services
from .models import Customer, ImportJob, Product, TierRuleSet
from .schemas import (
    AnonymiseIn,
    ConflictOut,
    CreatedOut,
    CustomerDetail,
    CustomerIn,
    CustomerList,
    CustomerPatch,
    CustomersApprovalOut,
    CustomersAssignIn,
    HandoverIn,
    HandoverPreviewOut,
    HoldingIn,
    HoldingOut,
    ImportJobOut,
    ListFilters,
    QualificationOut,
    QualificationQuery,
    ResolveIn,
    RevealIn,
    RevealOut,
    RuleSetOut,
    TextIn,
)
from .scope import get_customer_or_404
from .services import qualification as qualification_service

router = Router(tags=["customers"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _file_response(media_type, schema=None):
    """openapi_extra documenting a 200 answered outside Ninja's JSON (a file, a raw JSON document)."""
    content = {media_type: {"schema": schema or {"type": "string", "format": "binary"}}}
    return {"responses": {200: {"description": "OK", "content": content}}}


def _detail(user, pk):
    return Customer.objects.select_related("tier").prefetch_related("tags").get(pk=pk)


# --- list and detail ----------------------------------------------------------------------------------


@router.get("/", response=CustomerList, summary="客户列表（范围内，筛选、搜索、按金融资产排序、键集分页）")
def list_customers(request, filters: Query[ListFilters]):
    params = filters.dict()
    if params.get("cursor") and queries.decode_cursor(params["cursor"]) is None:
        raise ValidationError({"cursor": [_("分页游标无效，请从第一页重新开始。")]})
    qs = queries.filtered_customers(request.user, params)
    page = queries.page_of(
        qs,
        cursor=params.get("cursor") or None,
        limit=params.get("page_size"),
        page=params.get("page"),
        related=("tier",),
    )
    return {
        "items": page.items,
        "next_cursor": page.next_cursor,
        "page": page.page,
        "page_size": page.limit,
        "has_next": page.has_next,
    }


@router.post("/", response={201: CreatedOut, 202: CreatedOut}, summary="新建客户（重复时生成冲突）")
def create_customer(request, body: CustomerIn):
    data = body.dict()
    tags = data.pop("tags")
    customer_no = data.pop("customer_no")
    customer, conflict = services.create_customer(request.user, data, customer_no=customer_no, tags=tags)
    if conflict is not None:
        services.mark_existing_visibility(request.user, [conflict])
        return 202, {"conflict": conflict}
    return 201, {"customer": _detail(request.user, customer.pk)}


@router.get(
    "/export",
    openapi_extra={**may_answer(403), **_file_response(XLSX)},
    summary="导出当前筛选的客户清单（xlsx，敏感字段脱敏）",
)
def export_customers(request, filters: Query[ListFilters]):
    params = filters.dict()
    qs = queries.filtered_customers(request.user, params)
    path = importer.export_xlsx(request.user, qs, filters=params)
    resp = FileResponse(open(path, "rb"), as_attachment=True, filename="customers.xlsx")
    os.unlink(path)
    return resp


@router.get("/pool", response=CustomerList, summary="待分配客户池（团队长、分管行长）")
def pool(request, cursor: str = "", page_size: Limit = 50):
    if cursor and queries.decode_cursor(cursor) is None:
        raise ValidationError({"cursor": [_("分页游标无效，请从第一页重新开始。")]})
    page = queries.page_of(
        services.pool_customers(request.user), cursor=cursor or None, limit=page_size, related=("tier",)
    )
    return {
        "items": page.items,
        "next_cursor": page.next_cursor,
        "page": page.page,
        "page_size": page.limit,
        "has_next": page.has_next,
    }


@router.get("/tier-rule-sets", response=list[RuleSetOut], summary="分层规则")
def tier_rule_sets(request):
    return list(TierRuleSet.objects.prefetch_related("tiers").order_by("id"))


@router.post(
    "/assignments",
    response={201: CustomersApprovalOut},
    openapi_extra=may_answer(404),
    summary="申请分配/调整A岗、B岗（待审批）",
)
def request_assignment(request, body: CustomersAssignIn):
    req = services.request_assignment(request.user, body.customer_ids, body.a_rm, body.b_rm, reason=body.reason)
    return 201, req


@router.get(
    "/handover/preview", response=HandoverPreviewOut, openapi_extra=may_answer(403, 404), summary="客户移交预览"
)
def handover_preview(request, from_rm: Id, to_rm: Id | None = None):
    """At most HANDOVER_MAX_CUSTOMERS customers (the most one request may move) of `total`."""
    if not services.is_supervisor(request.user):
        raise PermissionDenied(_("只有团队长或分管行长可以发起客户移交。"))
    rm = visible_staff(request.user).filter(pk=from_rm).first()
    if rm is None:
        raise Http404
    customers, total = services.handover_preview(request.user, rm)
    return {"from_rm": from_rm, "to_rm": to_rm, "customers": customers, "total": total}


@router.post("/handover", response={201: CustomersApprovalOut}, summary="提交客户移交申请（待审批）")
def handover(request, body: HandoverIn):
    req = services.request_handover(
        request.user, body.from_rm, body.to_rm, notes=body.notes, customer_ids=body.customer_ids, reason=body.reason
    )
    return 201, req


@router.get("/conflicts", response=list[ConflictOut], summary="客户冲突列表")
def conflicts(request, status: str = "open"):
    qs = services.visible_conflicts(request.user)
    if status:
        qs = qs.filter(status=status)
    return services.mark_existing_visibility(request.user, qs[:500])


@router.post("/conflicts/{int:conflict_id}/resolve", response=ConflictOut, summary="处理客户冲突（合并/裁定归属/驳回）")
def resolve_conflict(request, conflict_id: Id, body: ResolveIn):
    conflict = services.resolve_conflict(request.user, conflict_id, body.action, owner_id=body.owner, note=body.note)
    services.mark_existing_visibility(request.user, [conflict])
    return conflict


@router.post("/imports", response={201: ImportJobOut}, summary="上传导入文件（xlsx/csv，后台任务）")
def create_import(request, file: File[UploadedFile], kind: Form[str] = "customers"):
    """The service checks the role (403), the kind and the file (type, at most IMPORT_MAX_BYTES: 422)."""
    return 201, services.start_import(request.user, file, kind)


@router.post("/imports/{int:job_id}/retry", response=ImportJobOut, summary="重新导入（未导入/无进展而失败的任务）")
def retry_import(request, job_id: Id):
    """Uploader or a supervisor whose scope holds the uploader (else 404); only a failed job (else 422)."""
    return services.retry_import(request.user, job_id)


@router.get("/imports/{int:job_id}", response=ImportJobOut, summary="导入任务进度与结果")
def import_status(request, job_id: Id):
    job = ImportJob.objects.filter(pk=job_id, created_by=request.user).first()
    if job is None:
        raise Http404
    return job


@router.get("/{int:customer_id}", response=CustomerDetail, summary="客户详情（敏感字段脱敏，查看留痕）")
def get_customer(request, customer_id: Id):
    customer = get_customer_or_404(request.user, customer_id)
    services.record_view(request.user, customer, channel="api")
    return _detail(request.user, customer.pk)


@router.patch(
    "/{int:customer_id}",
    response={200: CreatedOut, 202: CreatedOut, 409: ErrorOut},
    summary="修改客户（乐观锁：须带 version）",
)
def update_customer(request, customer_id: Id, body: CustomerPatch):
    data = body.dict(exclude_unset=True)
    version = data.pop("version")
    try:
        customer, conflict = services.update_customer(request.user, customer_id, data, version=version)
    except services.StaleVersionError as exc:
        return 409, {"detail": " ".join(exc.messages)}
    if conflict is not None:
        services.mark_existing_visibility(request.user, [conflict])
        return 202, {"conflict": conflict}
    return 200, {"customer": _detail(request.user, customer.pk)}


@router.post("/{int:customer_id}/reveal", response=RevealOut, summary="查看一个敏感字段明文（需事由，留痕）")
def reveal(request, customer_id: Id, body: RevealIn):
    value = services.reveal_field(request.user, customer_id, body.field, body.reason)
    return {"field": body.field, "value": value}


@router.post("/{int:customer_id}/holdings", response={201: HoldingOut}, summary="新增或更新持仓（重算AUM与层级）")
def save_holding(request, customer_id: Id, body: HoldingIn):
    product = Product.objects.filter(code=body.product_code).first()
    if product is None:
        raise ValidationError({"product_code": [_("产品代码不存在。")]})
    h = services.save_holding(
        request.user,
        customer_id,
        product=product,
        balance=body.balance,
        account_no=body.account_no,
        opened_on=body.opened_on,
        closed_on=body.closed_on,
        matures_on=body.matures_on,
    )
    return 201, HoldingOut(
        id=h.pk,
        product_code=product.code,
        product_name=product.name,
        category=product.category,
        risk_level=product.risk_level,
        account_no=h.account_no,
        balance=h.balance,
        opened_on=h.opened_on,
        closed_on=h.closed_on,
        matures_on=h.matures_on,
    )


@router.post("/{int:customer_id}/notes", response={201: dict}, summary="添加备注")
def add_note(request, customer_id: Id, body: TextIn):
    note = services.add_note(request.user, customer_id, body.text)
    return 201, {"id": note.pk}


@router.post("/{int:customer_id}/needs", response={201: dict}, summary="记录客户需求")
def add_need(request, customer_id: Id, body: TextIn):
    need = services.add_need(request.user, customer_id, body.text, body.category)
    return 201, {"id": need.pk}


@router.get(
    "/{int:customer_id}/personal-data",
    openapi_extra={**may_answer(403), **_file_response("application/json", {"type": "object"})},
    summary="个人信息导出（合规人员，留痕）",
)
def personal_data(request, customer_id: Id):
    data = services.personal_data(request.user, customer_id)
    resp = HttpResponse(json.dumps(data, ensure_ascii=False), content_type="application/json; charset=utf-8")
    return resp


@router.post("/{int:customer_id}/anonymise", response=CustomerDetail, summary="个人信息删除（匿名化，合规人员）")
def anonymise(request, customer_id: Id, body: AnonymiseIn):
    customer = services.anonymise_customer(request.user, customer_id, body.reason)
    return _detail(request.user, customer.pk)


@router.get(
    "/{int:customer_id}/qualification",
    response=QualificationOut,
    summary="大客户资格认定（按年业务量、毛利率、增长率、业务份额、资信、回款周期计算，逐项说明）",
)
def qualification(request, customer_id: Id, params: Query[QualificationQuery]):
    """SPEC §2 key-account qualification under the active rule for the customer's kind (or `rule`); 404 out
    of scope as when missing; 422 under `rule` for an unknown rule or one for another customer kind."""
    customer, result = qualification_service.qualification_for(request.user, customer_id, params.rule or None)
    services.record_view(request.user, customer, channel="api")
    if result is None:
        return {"customer_id": customer.pk, "applicable": False}
    return {"customer_id": customer.pk, "applicable": True, **result.__dict__}
