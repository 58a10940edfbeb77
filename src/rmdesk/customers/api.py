"""REST API of the customer archive under /api/customers (SPEC §2, §12). Same scope, services and
masking as the pages. Sensitive fields are masked; POST /{id}/reveal returns one in clear (audited)."""
import os
from datetime import date, datetime
from decimal import Decimal

from django.http import FileResponse, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema
from ninja.files import UploadedFile

from . import importer, queries, services
from .models import Customer, ImportJob, TierRuleSet
from .protection import SENSITIVE_FIELDS, mask
from .scope import get_customer_or_404

router = Router(tags=["customers"])


# --- schemas ---------------------------------------------------------------------------------------

class TierOut(Schema):
    id: int
    code: str
    name: str
    rank: int


class CustomerRow(Schema):
    id: int
    customer_no: str
    kind: str
    name: str
    name_initials: str
    tier: TierOut | None
    stage: str
    aum: Decimal
    a_rm_id: int | None
    b_rm_id: int | None
    org_unit_id: int
    completeness: int
    mobile: str
    id_number: str
    credit_code: str

    @staticmethod
    def resolve_mobile(obj):
        return mask("mobile", obj.mobile)

    @staticmethod
    def resolve_id_number(obj):
        return mask("id_number", obj.id_number)


class CustomerList(Schema):
    items: list[CustomerRow]
    next_cursor: str | None
    page: int | None
    page_size: int
    has_next: bool


class HoldingOut(Schema):
    id: int
    product_code: str
    product_name: str
    category: str
    risk_level: str
    account_no: str
    balance: Decimal
    opened_on: date | None
    closed_on: date | None
    matures_on: date | None


class TierChangeOut(Schema):
    at: datetime
    from_tier: str | None
    to_tier: str | None
    direction: str
    reason: str


class CustomerDetail(CustomerRow):
    gender: str
    birth_date: date | None
    id_type: str
    email: str
    address: str
    occupation: str
    employer: str
    annual_income: str
    risk_tolerance: str
    family: str
    hobbies: str
    preferences: str
    industry: str
    legal_rep: str
    registered_capital: Decimal | None
    founded_on: date | None
    deposits: Decimal
    loans: Decimal
    contribution: Decimal
    source: str
    metrics: dict
    is_key_account: bool
    is_anonymised: bool
    version: int
    tags: list[str]
    holdings: list[HoldingOut]
    tier_history: list[TierChangeOut]
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_address(obj):
        return mask("address", obj.address)

    @staticmethod
    def resolve_annual_income(obj):
        return mask("annual_income", obj.annual_income)

    @staticmethod
    def resolve_tags(obj):
        return [t.name for t in obj.tags.all()]

    @staticmethod
    def resolve_holdings(obj):
        return [HoldingOut(id=h.pk, product_code=h.product.code, product_name=h.product.name,
                           category=h.product.category, risk_level=h.product.risk_level, account_no=h.account_no,
                           balance=h.balance, opened_on=h.opened_on, closed_on=h.closed_on, matures_on=h.matures_on)
                for h in obj.holdings.select_related("product")]

    @staticmethod
    def resolve_tier_history(obj):
        return [TierChangeOut(at=t.at, from_tier=t.from_tier.code if t.from_tier else None,
                              to_tier=t.to_tier.code if t.to_tier else None, direction=t.direction, reason=t.reason)
                for t in obj.tier_changes.select_related("from_tier", "to_tier")[:50]]


class CustomerIn(Schema):
    kind: str = "individual"
    customer_no: str = ""
    name: str
    gender: str = ""
    birth_date: date | None = None
    id_type: str = "resident_id"
    id_number: str = ""
    mobile: str = ""
    email: str = ""
    address: str = ""
    occupation: str = ""
    employer: str = ""
    annual_income: Decimal | None = None
    risk_tolerance: str = ""
    family: str = ""
    hobbies: str = ""
    preferences: str = ""
    credit_code: str = ""
    industry: str = ""
    legal_rep: str = ""
    registered_capital: Decimal | None = None
    founded_on: date | None = None
    source: str = "self"
    stage: str = "potential"
    metrics: dict = {}
    tags: list[str] = []


class CustomerPatch(Schema):
    version: int
    name: str | None = None
    gender: str | None = None
    birth_date: date | None = None
    id_number: str | None = None
    mobile: str | None = None
    email: str | None = None
    address: str | None = None
    occupation: str | None = None
    employer: str | None = None
    annual_income: Decimal | None = None
    risk_tolerance: str | None = None
    family: str | None = None
    hobbies: str | None = None
    preferences: str | None = None
    credit_code: str | None = None
    industry: str | None = None
    legal_rep: str | None = None
    registered_capital: Decimal | None = None
    founded_on: date | None = None
    source: str | None = None
    stage: str | None = None
    metrics: dict | None = None
    tags: list[str] | None = None


class ConflictOut(Schema):
    id: int
    existing_id: int
    subject_id: int | None
    match_field: str
    source: str
    status: str
    claimant_id: int
    created_at: datetime
    resolved_by_id: int | None
    resolved_at: datetime | None


class CreatedOut(Schema):
    customer: CustomerDetail | None = None
    conflict: ConflictOut | None = None


class RevealIn(Schema):
    field: str
    reason: str


class RevealOut(Schema):
    field: str
    value: str


class AssignIn(Schema):
    customer_ids: list[int]
    a_rm: int
    b_rm: int | None = None
    reason: str = ""


class ApprovalOut(Schema):
    id: int
    kind: str
    title: str
    status: str


class HandoverIn(Schema):
    from_rm: int
    to_rm: int
    customer_ids: list[int] | None = None
    notes: dict[str, str] = {}
    reason: str = ""


class HandoverPreviewOut(Schema):
    from_rm: int
    to_rm: int | None
    customers: list[CustomerRow]


class ResolveIn(Schema):
    action: str
    owner: int | None = None
    note: str = ""


class ImportJobOut(Schema):
    id: int
    kind: str
    original_name: str
    status: str
    total_rows: int
    processed_rows: int
    percent: int
    created_count: int
    updated_count: int
    unchanged_count: int
    conflict_count: int
    error_count: int
    errors: list
    message: str


class HoldingIn(Schema):
    product_code: str
    balance: Decimal
    account_no: str = ""
    opened_on: date | None = None
    closed_on: date | None = None
    matures_on: date | None = None  # 到期日; empty keeps the holding's current date


class TextIn(Schema):
    text: str
    category: str = ""


class AnonymiseIn(Schema):
    reason: str


class ErrorOut(Schema):
    detail: str | list


class RuleSetOut(Schema):
    id: int
    code: str
    name: str
    metric: str
    is_active: bool
    tiers: list[TierOut]

    @staticmethod
    def resolve_tiers(obj):
        return list(obj.tiers.all())


class ListFilters(Schema):
    q: str = ""
    tier: str = ""
    stage: str = ""
    kind: str = ""
    owner: str = ""
    tag: str = ""
    min_completeness: int | None = None
    max_completeness: int | None = None
    contact: str = ""
    cursor: str = ""
    page: int | None = None
    page_size: int = 50
    sort: str = "-aum"


def _detail(user, pk):
    return (Customer.objects.select_related("tier").prefetch_related("tags").get(pk=pk))


# --- list and detail ----------------------------------------------------------------------------------

@router.get("/", response=CustomerList, summary="客户列表（范围内，筛选、搜索、按金融资产排序、键集分页）")
def list_customers(request, filters: Query[ListFilters]):
    params = filters.dict()
    qs = queries.filtered_customers(request.user, params)
    page = queries.page_of(qs, cursor=params.get("cursor") or None, limit=params.get("page_size"),
                           page=params.get("page"), related=("tier",))
    return {"items": page.items, "next_cursor": page.next_cursor, "page": page.page, "page_size": page.limit,
            "has_next": page.has_next}


@router.post("/", response={201: CreatedOut, 202: CreatedOut}, summary="新建客户（重复时生成冲突）")
def create_customer(request, body: CustomerIn):
    data = body.dict()
    tags = data.pop("tags")
    customer_no = data.pop("customer_no")
    customer, conflict = services.create_customer(request.user, data, customer_no=customer_no, tags=tags)
    if conflict is not None:
        return 202, {"conflict": conflict}
    return 201, {"customer": _detail(request.user, customer.pk)}


@router.get("/export", summary="导出当前筛选的客户清单（xlsx，敏感字段脱敏）")
def export_customers(request, filters: Query[ListFilters]):
    params = filters.dict()
    qs = queries.filtered_customers(request.user, params)
    path = importer.export_xlsx(request.user, qs, filters=params)
    resp = FileResponse(open(path, "rb"), as_attachment=True, filename="customers.xlsx")
    os.unlink(path)
    return resp


@router.get("/pool", response=CustomerList, summary="待分配客户池（团队长、分管行长）")
def pool(request, cursor: str = "", page_size: int = 50):
    page = queries.page_of(services.pool_customers(request.user), cursor=cursor or None, limit=page_size,
                           related=("tier",))
    return {"items": page.items, "next_cursor": page.next_cursor, "page": page.page, "page_size": page.limit,
            "has_next": page.has_next}


@router.get("/tier-rule-sets", response=list[RuleSetOut], summary="分层规则")
def tier_rule_sets(request):
    return list(TierRuleSet.objects.prefetch_related("tiers").order_by("id"))


@router.post("/assignments", response={201: ApprovalOut}, summary="申请分配/调整A岗、B岗（待审批）")
def request_assignment(request, body: AssignIn):
    req = services.request_assignment(request.user, body.customer_ids, body.a_rm, body.b_rm, reason=body.reason)
    return 201, req


@router.get("/handover/preview", response=HandoverPreviewOut, summary="客户移交预览")
def handover_preview(request, from_rm: int, to_rm: int | None = None):
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    from rmdesk.org.scope import visible_staff

    if not services.is_supervisor(request.user):
        raise PermissionDenied(_("只有团队长或分管行长可以发起客户移交。"))
    rm = visible_staff(request.user).filter(pk=from_rm).first()
    if rm is None:
        raise Http404
    return {"from_rm": from_rm, "to_rm": to_rm, "customers": list(services.handover_candidates(request.user, rm)[:5000])}


@router.post("/handover", response={201: ApprovalOut}, summary="提交客户移交申请（待审批）")
def handover(request, body: HandoverIn):
    req = services.request_handover(request.user, body.from_rm, body.to_rm, notes=body.notes,
                                    customer_ids=body.customer_ids, reason=body.reason)
    return 201, req


@router.get("/conflicts", response=list[ConflictOut], summary="客户冲突列表")
def conflicts(request, status: str = "open"):
    qs = services.visible_conflicts(request.user)
    if status:
        qs = qs.filter(status=status)
    return list(qs[:500])


@router.post("/conflicts/{int:conflict_id}/resolve", response=ConflictOut, summary="处理客户冲突（合并/裁定归属/驳回）")
def resolve_conflict(request, conflict_id: int, body: ResolveIn):
    return services.resolve_conflict(request.user, conflict_id, body.action, owner_id=body.owner, note=body.note)


@router.post("/imports", response={201: ImportJobOut}, summary="上传导入文件（xlsx/csv，后台任务）")
def create_import(request, file: File[UploadedFile], kind: Form[str] = "customers"):
    from django.core.exceptions import PermissionDenied, ValidationError

    from .views import start_import

    if not services.can_import(request.user):
        raise PermissionDenied(_("您无权导入客户数据。"))
    if kind not in ("customers", "holdings"):
        raise ValidationError({"kind": [_("导入内容无效。")]})
    if not file.name.lower().endswith((".xlsx", ".csv")):
        raise ValidationError({"file": [_("只支持 .xlsx 或 .csv 文件。")]})
    return 201, start_import(request.user, file, kind)


@router.get("/imports/{int:job_id}", response=ImportJobOut, summary="导入任务进度与结果")
def import_status(request, job_id: int):
    from django.http import Http404

    job = ImportJob.objects.filter(pk=job_id, created_by=request.user).first()
    if job is None:
        raise Http404
    return job


@router.get("/{int:customer_id}", response=CustomerDetail, summary="客户详情（敏感字段脱敏，查看留痕）")
def get_customer(request, customer_id: int):
    customer = get_customer_or_404(request.user, customer_id)
    services.record_view(request.user, customer, channel="api")
    return _detail(request.user, customer.pk)


@router.patch("/{int:customer_id}", response={200: CreatedOut, 202: CreatedOut, 409: ErrorOut},
              summary="修改客户（乐观锁：须带 version）")
def update_customer(request, customer_id: int, body: CustomerPatch):
    data = body.dict(exclude_unset=True)
    version = data.pop("version")
    try:
        customer, conflict = services.update_customer(request.user, customer_id, data, version=version)
    except services.StaleVersionError as exc:
        return 409, {"detail": " ".join(exc.messages)}
    if conflict is not None:
        return 202, {"conflict": conflict}
    return 200, {"customer": _detail(request.user, customer.pk)}


@router.post("/{int:customer_id}/reveal", response=RevealOut, summary="查看一个敏感字段明文（需事由，留痕）")
def reveal(request, customer_id: int, body: RevealIn):
    value = services.reveal_field(request.user, customer_id, body.field, body.reason)
    return {"field": body.field, "value": value}


@router.post("/{int:customer_id}/holdings", response={201: HoldingOut}, summary="新增或更新持仓（重算AUM与层级）")
def save_holding(request, customer_id: int, body: HoldingIn):
    from django.core.exceptions import ValidationError

    from .models import Product

    product = Product.objects.filter(code=body.product_code).first()
    if product is None:
        raise ValidationError({"product_code": [_("产品代码不存在。")]})
    h = services.save_holding(request.user, customer_id, product=product, balance=body.balance,
                              account_no=body.account_no, opened_on=body.opened_on, closed_on=body.closed_on,
                              matures_on=body.matures_on)
    return 201, HoldingOut(id=h.pk, product_code=product.code, product_name=product.name, category=product.category,
                           risk_level=product.risk_level, account_no=h.account_no, balance=h.balance,
                           opened_on=h.opened_on, closed_on=h.closed_on, matures_on=h.matures_on)


@router.post("/{int:customer_id}/notes", response={201: dict}, summary="添加备注")
def add_note(request, customer_id: int, body: TextIn):
    note = services.add_note(request.user, customer_id, body.text)
    return 201, {"id": note.pk}


@router.post("/{int:customer_id}/needs", response={201: dict}, summary="记录客户需求")
def add_need(request, customer_id: int, body: TextIn):
    need = services.add_need(request.user, customer_id, body.text, body.category)
    return 201, {"id": need.pk}


@router.get("/{int:customer_id}/personal-data", summary="个人信息导出（合规人员，留痕）")
def personal_data(request, customer_id: int):
    import json

    data = services.personal_data(request.user, customer_id)
    resp = HttpResponse(json.dumps(data, ensure_ascii=False), content_type="application/json; charset=utf-8")
    return resp


@router.post("/{int:customer_id}/anonymise", response=CustomerDetail, summary="个人信息删除（匿名化，合规人员）")
def anonymise(request, customer_id: int, body: AnonymiseIn):
    customer = services.anonymise_customer(request.user, customer_id, body.reason)
    return _detail(request.user, customer.pk)
