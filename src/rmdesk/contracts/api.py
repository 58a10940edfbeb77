"""REST API of the contracts app (SPEC §7, §12): templates, contracts and their key terms, submission into
the review chain (decisions are the kernel's: /api/org/approvals), signing, amendments, custody,
borrowing, the payment schedule, payments, follow-ups and write-offs, and the collection figures. Reads
go through the scope functions (out of scope answers 404); writes call the services, which the pages
call too."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router
from ninja.files import UploadedFile

from rmdesk.core.bounds import Day, Id

from . import services
from .models import Contract, ContractTemplate, CustodyCopy
from .schemas import (
    ContractsAcknowledgeIn,
    ContractsAttachmentOut,
    ContractsBorrowDecisionIn,
    ContractsBorrowIn,
    ContractsBorrowingOut,
    ContractsCollectionFilter,
    ContractsCollectionRowOut,
    ContractsContractDetailOut,
    ContractsContractIn,
    ContractsContractOut,
    ContractsContractUpdateIn,
    ContractsCopyOut,
    ContractsDiffOut,
    ContractsFilter,
    ContractsFollowUpIn,
    ContractsFollowUpOut,
    ContractsInstallmentIn,
    ContractsInstallmentOut,
    ContractsPaymentIn,
    ContractsPaymentOut,
    ContractsRenewalIn,
    ContractsTemplateOut,
    ContractsVersionIn,
    ContractsWriteOffIn,
)
from .scope import get_contract_or_404, visible_borrowings, visible_contracts

router = Router(tags=["contracts"])


def _detail(request, pk) -> Contract:
    get_contract_or_404(request.user, pk)
    return Contract.objects.select_related("customer").get(pk=pk)


@router.get("/templates", response=list[ContractsTemplateOut], summary="现行合同模板")
def list_templates(request):
    return list(ContractTemplate.objects.filter(is_active=True).order_by("kind"))


@router.get("/contracts", response=list[ContractsContractOut], summary="合同列表（按数据权限）")
def list_contracts(request, filters: Query[ContractsFilter]):
    qs = visible_contracts(request.user).select_related("customer").order_by("-created_at", "-id")
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.customer_id:
        qs = qs.filter(customer_id=filters.customer_id)
    return list(qs[filters.offset : filters.offset + filters.limit])


@router.post("/contracts", response={201: ContractsContractDetailOut}, summary="起草合同")
def create_contract(request, payload: ContractsContractIn):
    contract = services.create_contract(request.user, **payload.dict())
    return 201, _detail(request, contract.pk)


@router.get("/contracts/{contract_id}", response=ContractsContractDetailOut, summary="合同详情")
def get_contract(request, contract_id: Id):
    return _detail(request, contract_id)


@router.put("/contracts/{contract_id}", response=ContractsContractDetailOut, summary="修改合同要素与关键条款")
def update_contract(request, contract_id: Id, payload: ContractsContractUpdateIn):
    changes = {k: v for k, v in payload.dict(exclude={"version"}).items() if v is not None}
    services.update_contract(request.user, contract_id, version=payload.version, **changes)
    return _detail(request, contract_id)


@router.get("/contracts/{contract_id}/diff", response=ContractsDiffOut, summary="关键条款版本对比")
def diff(request, contract_id: Id):
    contract = _detail(request, contract_id)
    older, newer, rows = services.key_term_diff(contract)
    return {
        "before_version": older.number if older else None,
        "after_version": newer.number if newer else None,
        "rows": [{"term": str(t), "before": a, "after": b, "changed": c} for t, a, b, c in rows],
    }


@router.post("/contracts/{contract_id}/submit", response=ContractsContractDetailOut, summary="提交审批")
def submit(request, contract_id: Id, payload: ContractsVersionIn):
    services.submit_contract(request.user, contract_id, version=payload.version)
    return _detail(request, contract_id)


@router.post("/contracts/{contract_id}/sign", response=ContractsContractDetailOut, summary="登记签署（冻结文本）")
def sign(
    request,
    contract_id: Id,
    scan: File[UploadedFile],
    signed_on: Form[Day],
    signatories: Form[str],
    version: Form[int],
):
    services.sign_contract(
        request.user, contract_id, signed_on=signed_on, signatories=signatories, scan=scan, version=version
    )
    return _detail(request, contract_id)


@router.post("/contracts/{contract_id}/amend", response={201: ContractsContractDetailOut}, summary="起草补充协议")
def amend(request, contract_id: Id):
    amendment = services.amend_contract(request.user, contract_id)
    return 201, _detail(request, amendment.pk)


@router.post("/contracts/{contract_id}/renewal", response=ContractsContractDetailOut, summary="登记续签决定")
def renewal(request, contract_id: Id, payload: ContractsRenewalIn):
    services.decide_renewal(request.user, contract_id, **payload.dict())
    return _detail(request, contract_id)


@router.post("/contracts/{contract_id}/attachments", response={201: ContractsAttachmentOut}, summary="上传合同附件")
def add_attachment(request, contract_id: Id, file: File[UploadedFile]):
    return 201, services.add_attachment(request.user, contract_id, file=file)


@router.post("/copies/{copy_id}/acknowledge", response=ContractsCopyOut, summary="保管人签收归档")
def acknowledge(request, copy_id: Id, payload: ContractsAcknowledgeIn):
    services.acknowledge_copy(request.user, copy_id, location=payload.location)
    return CustodyCopy.objects.select_related("role").get(pk=copy_id)


@router.get("/borrowings", response=list[ContractsBorrowingOut], summary="调阅记录（按数据权限）")
def list_borrowings(request, contract_id: Id | None = None):
    qs = visible_borrowings(request.user).order_by("-requested_at", "-id")
    if contract_id:
        qs = qs.filter(contract_id=contract_id)
    return list(qs[:500])


@router.post("/contracts/{contract_id}/borrowings", response={201: ContractsBorrowingOut}, summary="申请调阅")
def request_borrowing(request, contract_id: Id, payload: ContractsBorrowIn):
    return 201, services.request_borrowing(request.user, contract_id, **payload.dict())


@router.post("/borrowings/{borrowing_id}/decide", response=ContractsBorrowingOut, summary="保管人审批调阅")
def decide_borrowing(request, borrowing_id: Id, payload: ContractsBorrowDecisionIn):
    return services.decide_borrowing(request.user, borrowing_id, **payload.dict())


@router.post("/borrowings/{borrowing_id}/lend", response=ContractsBorrowingOut, summary="借出")
def lend(request, borrowing_id: Id, payload: ContractsVersionIn):
    return services.lend(request.user, borrowing_id, version=payload.version)


@router.post("/borrowings/{borrowing_id}/return", response=ContractsBorrowingOut, summary="登记归还")
def receive_return(request, borrowing_id: Id, payload: ContractsVersionIn):
    return services.receive_return(request.user, borrowing_id, version=payload.version)


@router.post("/contracts/{contract_id}/installments", response={201: ContractsInstallmentOut}, summary="增加应收计划")
def add_installment(request, contract_id: Id, payload: ContractsInstallmentIn):
    return 201, services.add_installment(request.user, contract_id, **payload.dict())


@router.post("/installments/{installment_id}/payments", response={201: ContractsPaymentOut}, summary="登记回款")
def record_payment(request, installment_id: Id, payload: ContractsPaymentIn):
    return 201, services.record_payment(request.user, installment_id, **payload.dict())


@router.post("/installments/{installment_id}/follow-ups", response={201: ContractsFollowUpOut}, summary="记录帐款跟催")
def add_follow_up(request, installment_id: Id, payload: ContractsFollowUpIn):
    return 201, services.add_follow_up(request.user, installment_id, **payload.dict())


@router.post("/installments/{installment_id}/write-off", response=ContractsInstallmentOut, summary="核销坏帐")
def write_off(request, installment_id: Id, payload: ContractsWriteOffIn):
    return services.write_off(request.user, installment_id, **payload.dict())


@router.get(
    "/collection",
    response=list[ContractsCollectionRowOut],
    summary="回款率与坏帐率（按客户经理、团队或机构）",
)
def collection(request, filters: Query[ContractsCollectionFilter]):
    if filters.start > filters.end:
        raise ValidationError({"end": [_("结束日期不能早于开始日期。")]})
    by = filters.by if filters.by in ("rm", "team", "unit") else "rm"
    rows = services.collection_table(request.user, filters.start, filters.end, by=by)
    return [{**r, "label": str(r["label"])} for r in rows]
