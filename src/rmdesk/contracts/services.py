"""Business actions of the contracts app (SPEC §7): one function per action, the acting user first, the
audit event in the same transaction, field-named Chinese validation errors (422 in the API), nothing
written when an action is refused.

The flow: the customer's RM drafts a contract from the active template of its kind (key terms 标的,
数量, 价格, 履行期限, 地点和方式, 违约责任, 争议解决, seed 004:78) → submits it: every key term is
required and the kernel chain "contracts.<kind>" opens (法律审查 → 审批, larger amounts 审核 too) →
approved, rejected, or returned (the next edit is a new version; the page shows the diff) → signed (date,
signatories, scan; the last version frozen with the SHA-256 of its text; copies delivered to the custody
roles, seed 004:80) → custodians acknowledge and file their copy → borrowings need a custodian's consent,
a due date and a return (seed 004:81–82) → the payment schedule is collected (回款率) or written off
(坏帐率), overdue receivables are chased (帐款跟催), expiring contracts renewed or not (with a reason).
"""

import re
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from rmdesk.core import approvals, audit, calendar
from rmdesk.core.actions import EVERYONE, business_action, check_version
from rmdesk.core.indicators import Measure, rollup
from rmdesk.core.models import ApprovalDecision, ApprovalRequest, ApprovalStatus
from rmdesk.core.notifications import notify, notify_after_commit
from rmdesk.core.roles import READERS, SUPERVISORS, WORKERS, RoleCode
from rmdesk.customers.scope import visible_customers
from rmdesk.org.models import OrgUnit, User

from .defaults import approval_kind
from .models import (
    EDITABLE,
    KEY_TERM_FIELDS,
    KEY_TERMS,
    Borrowing,
    BorrowStatus,
    Contract,
    ContractAttachment,
    ContractKind,
    ContractPolicy,
    ContractStatus,
    ContractTemplate,
    ContractVersion,
    CustodianAssignment,
    CustodyCopy,
    CustodyRole,
    FollowUp,
    Installment,
    Payment,
    Renewal,
)
from .scope import (
    custodian_of,
    get_borrowing_or_404,
    get_contract_or_404,
    get_installment_or_404,
    visible_contracts,
    visible_installments,
)

#: who drafts contracts, keeps their schedules and records payments: the RMs and their supervisors
DRAFT_ROLES = WORKERS
#: who writes receivables off as bad debt: the supervisors
WRITE_OFF_ROLES = SUPERVISORS
#: who may ask to borrow a signed contract: anyone who reads contracts in their scope
BORROW_ROLES = READERS
ADMIN_ROLES = (RoleCode.ADMIN,)

CONTRACT_FIELDS = ("title", "party_a", "amount", "start_on", "end_on")
KEY_TERM_LABELS = dict(KEY_TERMS)

#: placeholder -> how it is filled (from the contract, its customer and the version)
PLACEHOLDERS = (
    "合同名称",
    "合同编号",
    "合同类型",
    "甲方",
    "乙方",
    "客户号",
    "证件号码",
    "客户地址",
    "法定代表人",
    "客户经理",
    "合同金额",
    "开始日期",
    "结束日期",
    "签署日期",
    "标的",
    "数量",
    "价格",
    "履行期限",
    "地点和方式",
    "违约责任",
    "争议解决",
)
#: the key terms' placeholders: the template's own (Chinese) words, whatever the reader's language
TERM_PLACEHOLDERS = {
    "subject": "标的",
    "quantity": "数量",
    "price": "价格",
    "term": "履行期限",
    "place_method": "地点和方式",
    "liability": "违约责任",
    "disputes": "争议解决",
}
_TOKEN = re.compile(r"{([^{}\s]{1,20})}")


def _err(field, message):
    return ValidationError({field: [message]})


def _bump(obj, *fields):
    obj.version += 1
    obj.save(update_fields=[*fields, "version"])


# --- templates ---------------------------------------------------------------------------------------


def template_errors(body: str) -> dict:
    errors = {}
    if not (body or "").strip():
        errors["body"] = [_("请填写模板正文。")]
    else:
        unknown = sorted({t for t in _TOKEN.findall(body) if t not in PLACEHOLDERS})
        if unknown:
            errors["body"] = [_("未知的占位符：%(names)s。") % {"names": "、".join("{" + t + "}" for t in unknown)}]
    return errors


@business_action(roles=ADMIN_ROLES)
def save_template(actor, *, kind: str, name: str, body: str) -> ContractTemplate:
    """An administrator saves the template of a kind as a new version (SPEC §7 "drafted from templates"):
    the previous version is retired, contracts drafted from it keep it."""
    errors = template_errors(body)
    if kind not in ContractKind.values:
        errors["kind"] = [_("合同类型无效。")]
    if not (name or "").strip():
        errors["name"] = [_("请填写模板名称。")]
    if errors:
        raise ValidationError(errors)
    last = ContractTemplate.objects.select_for_update().filter(kind=kind).order_by("-version").first()
    ContractTemplate.objects.filter(kind=kind, is_active=True).update(is_active=False)
    template = ContractTemplate.objects.create(
        kind=kind, name=name.strip(), body=body, version=(last.version + 1) if last else 1, created_by=actor
    )
    audit.record(actor, "contracts.template_save", template, after={"kind": kind, "version": template.version})
    return template


def active_template(kind: str) -> ContractTemplate | None:
    return ContractTemplate.objects.filter(kind=kind, is_active=True).order_by("-version").first()


def _bank_name() -> str:
    root = OrgUnit.get_first_root_node()
    return root.name if root else "本行"


def _in_chinese(fn):
    """The contract text is the template's language (Chinese) whatever the reader's language."""
    from django.conf import settings
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):
        return str(fn())


def render_text(contract: Contract, version: ContractVersion, *, signed_on: date | None = None) -> str:
    """The contract's full text: its template with every placeholder filled from the customer archive,
    the deal and the version's key terms (an empty term shows as ____)."""
    customer = contract.customer
    from .defaults import BODY

    template = contract.template or active_template(contract.kind)
    body = template.body if template is not None else BODY
    values = {
        "合同名称": contract.title,
        "合同编号": contract.number or "",
        "合同类型": _in_chinese(contract.get_kind_display),
        "甲方": contract.party_a,
        "乙方": contract.party_b,
        "客户号": customer.customer_no,
        "证件号码": customer.credit_code or customer.id_number or "—",
        "客户地址": customer.address or "—",
        "法定代表人": customer.legal_rep or customer.name,
        "客户经理": contract.rm.display_name,
        "合同金额": f"{contract.amount:,.2f}",
        "开始日期": contract.start_on.isoformat(),
        "结束日期": contract.end_on.isoformat(),
        "签署日期": (signed_on or contract.signed_on).isoformat() if (signed_on or contract.signed_on) else "____",
    }
    for name, placeholder in TERM_PLACEHOLDERS.items():
        values[placeholder] = getattr(version, name) or "____"
    return _TOKEN.sub(lambda m: str(values.get(m.group(1), m.group(0))), body)


# --- drafting ----------------------------------------------------------------------------------------


def _customer_for(actor, customer_id):
    customer = visible_customers(actor, write=True).filter(pk=customer_id).select_related("org_unit").first()
    if customer is None:
        raise _err("customer_id", _("客户不存在或不在您的管辖范围内。"))
    return customer


def _deal_errors(amount, start_on, end_on, title) -> dict:
    errors = {}
    if not (title or "").strip():
        errors["title"] = [_("请填写合同名称。")]
    if amount is None or amount <= 0:
        errors["amount"] = [_("合同金额必须大于零。")]
    if start_on is None:
        errors["start_on"] = [_("请填写开始日期。")]
    if end_on is None:
        errors["end_on"] = [_("请填写结束日期。")]
    elif start_on is not None and end_on <= start_on:
        errors["end_on"] = [_("结束日期须晚于开始日期。")]
    return errors


def _terms(changes: dict) -> dict:
    return {k: (changes.get(k) or "").strip() for k in KEY_TERM_FIELDS if k in changes}


@business_action(roles=DRAFT_ROLES)
def create_contract(
    actor,
    *,
    customer_id: int,
    kind: str,
    title: str,
    amount: Decimal,
    start_on: date,
    end_on: date,
    party_a: str = "",
    credit_application_id: int | None = None,
    opportunity_id: int | None = None,
    **terms,
) -> Contract:
    """The customer's RM drafts a contract from the active template of its kind (SPEC §7): a customer in
    the RM's writable scope, an amount, start and end dates, optionally the credit application it
    belongs to and the key terms (which may stay empty while drafting, never at submission)."""
    unknown = set(terms) - set(KEY_TERM_FIELDS)
    if unknown:
        raise _err(sorted(unknown)[0], _("该字段不能填写。"))
    if kind not in ContractKind.values:
        raise _err("kind", _("合同类型无效。"))
    customer = _customer_for(actor, customer_id)
    errors = _deal_errors(amount, start_on, end_on, title)
    application = None
    if credit_application_id:
        from rmdesk.credit.scope import visible_applications

        application = visible_applications(actor).filter(pk=credit_application_id, customer=customer).first()
        if application is None:
            errors["credit_application_id"] = [_("授信申请不存在或不属于该客户。")]
    opportunity = None
    if opportunity_id:
        from rmdesk.sales.scope import visible_opportunities

        opportunity = visible_opportunities(actor).filter(pk=opportunity_id, customer=customer).first()
        if opportunity is None:
            errors["opportunity_id"] = [_("商机不存在或不属于该客户。")]
    if errors:
        raise ValidationError(errors)
    contract = Contract.objects.create(
        customer=customer,
        kind=kind,
        template=active_template(kind),
        title=title.strip(),
        party_a=(party_a or "").strip() or _bank_name(),
        party_b=customer.name,
        amount=amount,
        start_on=start_on,
        end_on=end_on,
        rm=actor,
        credit_application=application,
        opportunity=opportunity,
        org_path=customer.org_path,
    )
    contract.number = f"HT{timezone.localdate():%Y}{contract.pk:06d}"
    contract.save(update_fields=["number"])
    ContractVersion.objects.create(contract=contract, number=1, created_by=actor, **_terms(terms))
    audit.record(
        actor,
        "contracts.contract_create",
        contract,
        after={"customer": customer.pk, "kind": kind, "amount": amount, "number": contract.number},
    )
    return contract


def _locked_contract(user, contract_id) -> Contract:
    """The contract locked for a change: 404 out of read scope, 403 when only readable."""
    get_contract_or_404(user, contract_id)
    contract = (
        Contract.objects.select_for_update(of=("self",))
        .select_related("customer", "rm", "template")
        .filter(pk=contract_id)
        .first()
    )
    if contract is None or not visible_contracts(user, write=True).filter(pk=contract_id).exists():
        raise PermissionDenied(_("您对该合同只有查看权限。"))
    return contract


def _require_rm(user, contract):
    if contract.rm_id != user.pk:
        raise PermissionDenied(_("只有经办客户经理可以执行此操作。"))


def _require_editable(contract):
    if contract.status == ContractStatus.SIGNED:
        raise _err("status", _("已签署的合同版本已冻结，不能修改；如需变更请起草补充协议。"))
    if contract.status not in EDITABLE:
        raise _err("status", _("合同当前状态为“%(s)s”，不能修改。") % {"s": contract.get_status_display()})


@business_action(roles=DRAFT_ROLES, subject=get_contract_or_404)
def update_contract(actor, contract_id: int, *, version: int, **changes) -> Contract:
    """The drafting RM edits the deal and the key terms while the contract is a draft or returned; an edit
    after a submission starts a new version (so the changes show as a diff). A signed contract is
    frozen: its edit is refused (amendments are new contracts linked to it)."""
    contract = _locked_contract(actor, contract_id)
    _require_rm(actor, contract)
    check_version(contract, version)
    _require_editable(contract)
    unknown = set(changes) - set(CONTRACT_FIELDS) - set(KEY_TERM_FIELDS)
    if unknown:
        raise _err(sorted(unknown)[0], _("该字段不能修改。"))
    deal = {k: v for k, v in changes.items() if k in CONTRACT_FIELDS}
    before = {k: getattr(contract, k) for k in deal}
    for field, value in deal.items():
        setattr(contract, field, value.strip() if isinstance(value, str) else value)
    errors = _deal_errors(contract.amount, contract.start_on, contract.end_on, contract.title)
    if errors:
        raise ValidationError(errors)
    latest = contract.latest_version()
    terms = {k: v for k, v in _terms(changes).items() if v != getattr(latest, k)}
    if terms:
        if latest.submitted_at is not None:
            latest = ContractVersion.objects.create(
                contract=contract,
                number=latest.number + 1,
                based_on=latest,
                created_by=actor,
                **{**latest.terms(), **terms},
            )
        else:
            for field, value in terms.items():
                setattr(latest, field, value)
            latest.save()
    _bump(contract, *deal)
    audit.record(
        actor, "contracts.contract_update", contract, before=before, after={**deal, **terms, "v": latest.number}
    )
    return contract


@business_action(roles=DRAFT_ROLES, subject=get_contract_or_404)
def add_attachment(actor, contract_id: int, *, file) -> ContractAttachment:
    """Attach a document to a contract (served only through the contract's scope)."""
    contract = _locked_contract(actor, contract_id)
    if file is None:
        raise _err("file", _("请选择要上传的文件。"))
    name = (getattr(file, "name", "") or "file").rsplit("/", 1)[-1][-200:]
    attachment = ContractAttachment.objects.create(contract=contract, file=file, name=name, uploaded_by=actor)
    audit.record(actor, "contracts.attachment_add", contract, after={"name": name})
    return attachment


def missing_terms(version: ContractVersion) -> dict:
    """The key terms a version leaves empty, by field (SPEC §7: all are required before review)."""
    return {
        name: [_("请填写关键条款“%(term)s”。") % {"term": KEY_TERM_LABELS[name]}]
        for name in KEY_TERM_FIELDS
        if not (getattr(version, name) or "").strip()
    }


@business_action(roles=DRAFT_ROLES, subject=get_contract_or_404)
def submit_contract(actor, contract_id: int, *, version: int) -> Contract:
    """The drafting RM sends a complete draft to review (SPEC §7): refused, with every missing key term
    named and nothing written, unless 标的, 数量, 价格, 履行期限, 地点和方式, 违约责任 and 争议解决 are all
    stated. Opens (or after a return reopens) the chain of the contract's kind and amount."""
    contract = _locked_contract(actor, contract_id)
    _require_rm(actor, contract)
    check_version(contract, version)
    _require_editable(contract)
    latest = contract.latest_version()
    errors = {
        **_deal_errors(contract.amount, contract.start_on, contract.end_on, contract.title),
        **missing_terms(latest),
    }
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    latest.text = render_text(contract, latest)
    latest.submitted_at = now
    latest.save()
    title = _("合同审批 %(no)s %(customer)s %(amount)s 元") % {
        "no": contract.number,
        "customer": contract.customer.name,
        "amount": contract.amount,
    }
    payload = {"contract_id": contract.pk, "version": latest.number}
    req = contract.approval
    if req is not None and req.status == ApprovalStatus.RETURNED:
        req = approvals.resubmit(actor, req.pk, version=req.version, payload=payload)
    else:
        req = approvals.request_approval(
            actor,
            approval_kind(contract.kind),
            title,
            payload,
            unit=contract.customer.org_unit,
            reason=contract.title,
            amount=contract.amount,
        )
    contract.approval = req
    contract.status = ContractStatus.IN_REVIEW
    contract.submitted_at = now
    _bump(contract, "approval", "status", "submitted_at")
    audit.record(actor, "contracts.contract_submit", contract, after={"approval": req.pk, "v": latest.number})
    return contract


def _contract_of(req: ApprovalRequest) -> Contract | None:
    pk = (req.payload or {}).get("contract_id")
    return Contract.objects.filter(pk=pk).first() if pk else None


def may_decide_contract(checker, req) -> bool:
    """Maker-checker (SPEC §1): the drafting RM never decides a step of their contract."""
    contract = _contract_of(req)
    return contract is not None and checker.pk != contract.rm_id


def _finish(req, status, checker):
    contract = _contract_of(req)
    if contract is None:
        return
    contract.status = status
    contract.approved_at = timezone.now() if status == ContractStatus.APPROVED else None
    _bump(contract, "status", "approved_at")
    audit.record(checker, f"contracts.contract_{status}", contract, after={"approval": req.pk})
    notify_after_commit(
        contract.rm,
        "contracts.decided",
        _("合同 %(no)s：%(s)s") % {"no": contract.number, "s": contract.get_status_display()},
        url=f"/contracts/{contract.pk}/",
        obj=contract,
    )


def on_approved(checker, req):
    _finish(req, ContractStatus.APPROVED, checker)


def on_rejected(checker, req):
    _finish(req, ContractStatus.REJECTED, checker)


def on_returned(checker, req):
    """Returned for changes: editable again; the next edit is a new version, resubmitted as a new round."""
    _finish(req, ContractStatus.RETURNED, checker)


def opinion_history(contract: Contract) -> list:
    """Every decision of every round: step (法律审查, 审批…), person, time, conclusion, opinion."""
    if contract.approval_id is None:
        return []
    return list(
        ApprovalDecision.objects.filter(request_id=contract.approval_id)
        .select_related("decided_by")
        .order_by("round", "step_order", "id")
    )


def key_term_diff(contract: Contract) -> tuple:
    """(older, newer, rows) of the key terms between the last two versions (an amendment's first version
    against the original's signed one); rows are (label, old, new, changed)."""
    versions = list(contract.versions.order_by("-number")[:2])
    if not versions:
        return None, None, []
    newer = versions[0]
    older = versions[1] if len(versions) > 1 else newer.based_on
    if older is None:
        return None, newer, []
    rows = [
        (
            KEY_TERM_LABELS[name],
            getattr(older, name),
            getattr(newer, name),
            getattr(older, name) != getattr(newer, name),
        )
        for name in KEY_TERM_FIELDS
    ]
    return older, newer, rows


# --- signing and amendments --------------------------------------------------------------------------


def custodians_of_role(role_id: int, org_path: str):
    """Active staff keeping `role_id` copies for a contract of the unit at `org_path`."""
    ids = [
        uid
        for uid, path in CustodianAssignment.objects.filter(role_id=role_id).values_list("user_id", "unit__path")
        if org_path.startswith(path)
    ]
    return User.objects.filter(pk__in=ids, is_active=True)


@business_action(roles=DRAFT_ROLES, subject=get_contract_or_404)
def sign_contract(actor, contract_id: int, *, signed_on: date, signatories: str, scan, version: int) -> Contract:
    """Record the signing (SPEC §7): only an approved contract; the date (not in the future), the
    signatories and the signed scan. The last version is frozen (its full text and SHA-256 stored, never
    changed again) and a copy is delivered to every active custody role (seed 004:80)."""
    contract = _locked_contract(actor, contract_id)
    check_version(contract, version)
    if contract.status != ContractStatus.APPROVED:
        raise _err("status", _("合同未经审批通过，不能签署。"))
    errors = {}
    if signed_on is None:
        errors["signed_on"] = [_("请填写签署日期。")]
    elif signed_on > timezone.localdate():
        errors["signed_on"] = [_("签署日期不能晚于今天。")]
    if not (signatories or "").strip():
        errors["signatories"] = [_("请填写签署人。")]
    if scan is None:
        errors["scan"] = [_("请上传签署后的合同扫描件。")]
    if errors:
        raise ValidationError(errors)
    latest = contract.latest_version()
    contract.signed_on = signed_on
    contract.signatories = signatories.strip()
    contract.signed_scan.save((getattr(scan, "name", "") or "scan.pdf").rsplit("/", 1)[-1][-80:], scan, save=False)
    contract.status = ContractStatus.SIGNED
    now = timezone.now()
    latest.text = render_text(contract, latest, signed_on=signed_on)
    latest.sha256 = ContractVersion.digest(latest.text)
    latest.frozen_at = now
    latest.save()
    _bump(contract, "signed_on", "signatories", "signed_scan", "status")
    roles = list(CustodyRole.objects.filter(is_active=True))
    CustodyCopy.objects.bulk_create([CustodyCopy(contract=contract, role=r, delivered_at=now) for r in roles])
    audit.record(
        actor,
        "contracts.contract_sign",
        contract,
        after={"signed_on": signed_on, "v": latest.number, "sha256": latest.sha256, "copies": len(roles)},
    )
    for role in roles:
        for person in custodians_of_role(role.pk, contract.org_path):
            notify_after_commit(
                person,
                "contracts.custody",
                _("合同 %(no)s 已签署，请签收%(role)s保管副本") % {"no": contract.number, "role": role.name},
                url=f"/contracts/{contract.pk}/",
                obj=contract,
            )
    return contract


@business_action(roles=DRAFT_ROLES, subject=get_contract_or_404)
def amend_contract(actor, contract_id: int, *, title: str = "") -> Contract:
    """An amendment (补充协议) of a signed contract is a new contract linked to the original, whose first
    version starts from the original's frozen terms (the diff shows what it changes); the original and
    its frozen version stay as signed."""
    original = _locked_contract(actor, contract_id)
    if original.status != ContractStatus.SIGNED:
        raise _err("status", _("只有已签署的合同可以起草补充协议。"))
    signed = original.versions.filter(frozen_at__isnull=False).order_by("-number").first()
    contract = Contract.objects.create(
        customer=original.customer,
        kind=original.kind,
        template=original.template,
        title=(title or "").strip() or _("%(title)s补充协议") % {"title": original.title},
        party_a=original.party_a,
        party_b=original.party_b,
        amount=original.amount,
        start_on=original.start_on,
        end_on=original.end_on,
        rm=actor,
        credit_application=original.credit_application,
        opportunity=original.opportunity,
        original=original,
        org_path=original.org_path,
    )
    contract.number = f"{original.number}-B{original.amendments.count()}"
    contract.save(update_fields=["number"])
    ContractVersion.objects.create(contract=contract, number=1, based_on=signed, created_by=actor, **signed.terms())
    audit.record(actor, "contracts.contract_amend", contract, after={"original": original.pk})
    return contract


# --- custody -----------------------------------------------------------------------------------------


def _copy_for_custodian(actor, copy_id) -> CustodyCopy:
    copy = CustodyCopy.objects.select_for_update(of=("self",)).select_related("contract").filter(pk=copy_id).first()
    if copy is None or not visible_contracts(actor).filter(pk=copy.contract_id).exists():
        raise Http404
    if not custodian_of(actor, copy):
        raise PermissionDenied(_("只有该副本的保管人可以执行此操作。"))
    return copy


@business_action(roles=EVERYONE)
def acknowledge_copy(actor, copy_id: int, *, location: str) -> CustodyCopy:
    """A custodian of the copy's role acknowledges receipt and files it at an archive location (SPEC §7).
    Custodians are named by data (CustodianAssignment), not by a role: EVERYONE, checked inside."""
    copy = _copy_for_custodian(actor, copy_id)
    if copy.acknowledged_at is not None:
        raise _err("location", _("该副本已签收。"))
    if not (location or "").strip():
        raise _err("location", _("请填写归档位置。"))
    copy.acknowledged_by, copy.acknowledged_at, copy.location = actor, timezone.now(), location.strip()
    copy.save()
    audit.record(actor, "contracts.copy_acknowledge", copy.contract, after={"role": copy.role_id, "location": location})
    return copy


# --- borrowing (调阅) ---------------------------------------------------------------------------------


def _borrowing_for_custodian(actor, borrowing_id, version) -> Borrowing:
    get_borrowing_or_404(actor, borrowing_id)
    b = Borrowing.objects.select_for_update(of=("self",)).select_related("copy", "contract").get(pk=borrowing_id)
    b.copy.contract = b.contract
    if not custodian_of(actor, b.copy):
        raise PermissionDenied(_("只有该副本的保管人可以执行此操作。"))
    check_version(b, version)
    return b


@business_action(roles=BORROW_ROLES, subject=get_contract_or_404)
def request_borrowing(actor, contract_id: int, *, purpose: str, due_on: date, copy_id: int | None = None) -> Borrowing:
    """Ask to borrow a signed contract's filed copy (调阅, seed 004:81): a purpose and a due date; the
    custodians of the copy are asked to consent."""
    contract = get_contract_or_404(actor, contract_id)
    if contract.status != ContractStatus.SIGNED:
        raise _err("status", _("只有已签署归档的合同可以调阅。"))
    copies = CustodyCopy.objects.filter(contract=contract, acknowledged_at__isnull=False).select_related("role")
    copy = copies.filter(pk=copy_id).first() if copy_id else copies.first()
    errors = {}
    if copy is None:
        errors["copy_id"] = [_("该合同尚无已签收入档的副本可供调阅。")]
    elif Borrowing.objects.filter(
        copy=copy, status__in=[BorrowStatus.REQUESTED, BorrowStatus.APPROVED, BorrowStatus.LENT]
    ).exists():
        errors["copy_id"] = [_("该副本正在调阅中，请选择其他副本或待归还后再申请。")]
    if not (purpose or "").strip():
        errors["purpose"] = [_("请填写调阅用途。")]
    if due_on is None:
        errors["due_on"] = [_("请填写应归还日期。")]
    elif due_on < timezone.localdate():
        errors["due_on"] = [_("应归还日期不能早于今天。")]
    if errors:
        raise ValidationError(errors)
    b = Borrowing.objects.create(contract=contract, copy=copy, borrower=actor, purpose=purpose.strip(), due_on=due_on)
    audit.record(actor, "contracts.borrow_request", contract, after={"borrowing": b.pk, "due_on": due_on})
    for person in custodians_of_role(copy.role_id, contract.org_path).exclude(pk=actor.pk):
        notify_after_commit(
            person,
            "contracts.borrow_request",
            _("调阅申请：合同 %(no)s（%(who)s）") % {"no": contract.number, "who": actor.display_name},
            url="/contracts/custody/",
            obj=b,
        )
    return b


@business_action(roles=EVERYONE)
def decide_borrowing(actor, borrowing_id: int, *, approve: bool, note: str = "", version: int) -> Borrowing:
    """A custodian of the copy consents to a borrowing or refuses it (seed 004:81 "须经过…合同管理人员的
    同意"); nobody consents to their own borrowing."""
    b = _borrowing_for_custodian(actor, borrowing_id, version)
    if b.status != BorrowStatus.REQUESTED:
        raise _err("status", _("该调阅申请已处理。"))
    approvals.ensure_not_self(b.borrower, actor)
    b.status = BorrowStatus.APPROVED if approve else BorrowStatus.REJECTED
    b.decided_by, b.decided_at, b.decision_note = actor, timezone.now(), (note or "").strip()
    _bump(b, "status", "decided_by", "decided_at", "decision_note")
    audit.record(actor, "contracts.borrow_decide", b.contract, after={"borrowing": b.pk, "status": b.status})
    notify_after_commit(
        b.borrower,
        "contracts.borrow_decided",
        _("调阅合同 %(no)s：%(s)s") % {"no": b.contract.number, "s": b.get_status_display()},
        url=f"/contracts/{b.contract_id}/",
        obj=b,
    )
    return b


@business_action(roles=EVERYONE)
def lend(actor, borrowing_id: int, *, version: int) -> Borrowing:
    """The custodian hands the copy out: only a borrowing a custodian has consented to."""
    b = _borrowing_for_custodian(actor, borrowing_id, version)
    if b.status != BorrowStatus.APPROVED:
        raise _err("status", _("该调阅未经保管人同意，不能借出。"))
    b.status, b.lent_by, b.lent_at = BorrowStatus.LENT, actor, timezone.now()
    _bump(b, "status", "lent_by", "lent_at")
    audit.record(actor, "contracts.borrow_lend", b.contract, after={"borrowing": b.pk})
    return b


@business_action(roles=EVERYONE)
def receive_return(actor, borrowing_id: int, *, version: int) -> Borrowing:
    """The custodian receives the copy back and files it (seed 004:82 "按期按要求归还入档"): only
    something that was lent."""
    b = _borrowing_for_custodian(actor, borrowing_id, version)
    if b.status != BorrowStatus.LENT:
        raise _err("status", _("该合同未借出，不能登记归还。"))
    b.status, b.received_by, b.returned_at = BorrowStatus.RETURNED, actor, timezone.now()
    _bump(b, "status", "received_by", "returned_at")
    audit.record(actor, "contracts.borrow_return", b.contract, after={"borrowing": b.pk})
    return b


def borrowing_overdue(b: Borrowing, today: date) -> bool:
    """Lent and past its due date; a due date on a rest day moves to the next working day."""
    return b.status == BorrowStatus.LENT and today > calendar.next_working_day(b.due_on)


def borrowing_overdue_notices(today: date | None = None) -> int:
    """Remind the borrower and the copy's custodians of every overdue borrowing, on working days only
    (the first reminder on the first working day after the due date; weekends, holidays and 调休 from
    rmdesk.core.calendar). One reminder per borrowing and day."""
    today = today or timezone.localdate()
    if not calendar.is_working_day(today):
        return 0
    sent = 0
    lent = Borrowing.objects.filter(status=BorrowStatus.LENT, due_on__lt=today).select_related(
        "contract", "borrower", "copy"
    )
    for b in lent:
        if not borrowing_overdue(b, today):
            continue
        people = [b.borrower, *custodians_of_role(b.copy.role_id, b.contract.org_path)]
        for person in {p.pk: p for p in people}.values():
            notify(
                person,
                "contracts.borrow_overdue",
                _("调阅逾期未还：合同 %(no)s，应于 %(due)s 归还（%(who)s）")
                % {"no": b.contract.number, "due": b.due_on.isoformat(), "who": b.borrower.display_name},
                url=f"/contracts/{b.contract_id}/",
                obj=b,
                dedupe_key=f"contracts:borrow:{b.pk}:{today.isoformat()}",
            )
            sent += 1
    return sent


# --- expiry and renewal ------------------------------------------------------------------------------


def expiring(contracts, today: date | None = None, window: int | None = None):
    """Signed contracts ending within the policy's window (today included) whose renewal is undecided."""
    today = today or timezone.localdate()
    window = ContractPolicy.current().expiry_window_days if window is None else window
    return contracts.filter(
        status=ContractStatus.SIGNED, renewal="", end_on__gte=today, end_on__lte=today + timedelta(days=window)
    )


def expiry_notices(today: date | None = None) -> int:
    """Remind each expiring contract's RM to renew it or record why not (one unread reminder each)."""
    sent = 0
    for c in expiring(Contract.objects.select_related("rm"), today):
        notify(
            c.rm,
            "contracts.expiry",
            _("合同 %(no)s（%(title)s）将于 %(end)s 到期，请办理续签或登记不续签原因")
            % {"no": c.number, "title": c.title, "end": c.end_on.isoformat()},
            url=f"/contracts/{c.pk}/",
            obj=c,
            dedupe_key=f"contracts:expiry:{c.pk}",
        )
        sent += 1
    return sent


@business_action(roles=DRAFT_ROLES, subject=get_contract_or_404)
def decide_renewal(actor, contract_id: int, *, decision: str, reason: str = "", version: int) -> Contract:
    """Record whether a signed contract is renewed; a non-renewal states its reason (SPEC §7 expiry)."""
    contract = _locked_contract(actor, contract_id)
    check_version(contract, version)
    if contract.status != ContractStatus.SIGNED:
        raise _err("status", _("只有已签署的合同可以登记续签决定。"))
    if decision not in Renewal.values:
        raise _err("decision", _("请选择续签或不续签。"))
    if decision == Renewal.NOT_RENEW and not (reason or "").strip():
        raise _err("reason", _("不续签须填写原因。"))
    contract.renewal, contract.renewal_reason = decision, (reason or "").strip()
    contract.renewal_decided_at = timezone.now()
    _bump(contract, "renewal", "renewal_reason", "renewal_decided_at")
    audit.record(actor, "contracts.renewal_decide", contract, after={"decision": decision, "reason": reason})
    return contract


# --- receivables -------------------------------------------------------------------------------------


@business_action(roles=DRAFT_ROLES, subject=get_contract_or_404)
def add_installment(actor, contract_id: int, *, due_on: date, amount: Decimal) -> Installment:
    """Add a line to the contract's payment schedule; the schedule never exceeds the contract amount."""
    contract = _locked_contract(actor, contract_id)
    if contract.status == ContractStatus.REJECTED:
        raise _err("status", _("已否决的合同不能制定回款计划。"))
    errors = {}
    if amount is None or amount <= 0:
        errors["amount"] = [_("应收金额必须大于零。")]
    else:
        planned = contract.installments.aggregate(s=Sum("amount"))["s"] or Decimal(0)
        if planned + amount > contract.amount:
            errors["amount"] = [
                _("应收计划合计不能超过合同金额 %(total)s 元（已计划 %(planned)s 元）。")
                % {"total": contract.amount, "planned": planned}
            ]
    if due_on is None:
        errors["due_on"] = [_("请填写应收日期。")]
    if errors:
        raise ValidationError(errors)
    seq = (contract.installments.order_by("-seq").values_list("seq", flat=True).first() or 0) + 1
    item = Installment.objects.create(contract=contract, seq=seq, due_on=due_on, amount=amount)
    audit.record(actor, "contracts.installment_add", contract, after={"seq": seq, "due_on": due_on, "amount": amount})
    return item


def _locked_installment(actor, installment_id) -> Installment:
    item = get_installment_or_404(actor, installment_id)
    if not visible_contracts(actor, write=True).filter(pk=item.contract_id).exists():
        raise PermissionDenied(_("您对该合同只有查看权限。"))
    return Installment.objects.select_for_update(of=("self",)).select_related("contract").get(pk=installment_id)


@business_action(roles=DRAFT_ROLES, subject=get_installment_or_404)
def record_payment(actor, installment_id: int, *, amount: Decimal, paid_on: date, note: str = "") -> Payment:
    """Record money received against an installment: more than zero, never above what is outstanding,
    on a day not in the future."""
    item = _locked_installment(actor, installment_id)
    errors = {}
    if amount is None or amount <= 0:
        errors["amount"] = [_("回款金额必须大于零。")]
    elif amount > item.outstanding:
        errors["amount"] = [_("回款金额不能超过未收余额 %(o)s 元。") % {"o": item.outstanding}]
    if paid_on is None:
        errors["paid_on"] = [_("请填写回款日期。")]
    elif paid_on > timezone.localdate():
        errors["paid_on"] = [_("回款日期不能晚于今天。")]
    if errors:
        raise ValidationError(errors)
    payment = Payment.objects.create(
        installment=item,
        contract=item.contract,
        amount=amount,
        paid_on=paid_on,
        note=(note or "").strip(),
        recorded_by=actor,
    )
    item.paid += amount
    _bump(item, "paid")
    audit.record(actor, "contracts.payment_record", item.contract, after={"seq": item.seq, "amount": amount})
    return payment


@business_action(roles=WRITE_OFF_ROLES, subject=get_installment_or_404)
def write_off(actor, installment_id: int, *, reason: str, version: int) -> Installment:
    """A supervisor writes an overdue installment's outstanding amount off as bad debt (坏帐), with a reason."""
    item = _locked_installment(actor, installment_id)
    check_version(item, version)
    if item.outstanding <= 0:
        raise _err("amount", _("该期应收已结清，无需核销。"))
    if item.due_on >= timezone.localdate():
        raise _err("due_on", _("未到期的应收不能核销为坏帐。"))
    if not (reason or "").strip():
        raise _err("reason", _("请填写核销原因。"))
    amount = item.outstanding
    item.written_off += amount
    item.write_off_reason = reason.strip()
    _bump(item, "written_off", "write_off_reason")
    audit.record(actor, "contracts.write_off", item.contract, after={"seq": item.seq, "amount": amount})
    return item


@business_action(roles=DRAFT_ROLES, subject=get_installment_or_404)
def add_follow_up(actor, installment_id: int, *, note: str, next_on: date | None = None) -> FollowUp:
    """Record a follow-up on an outstanding receivable (帐款跟催, seed 001:487)."""
    item = _locked_installment(actor, installment_id)
    if not (note or "").strip():
        raise _err("note", _("请填写跟催情况。"))
    if next_on is not None and next_on < timezone.localdate():
        raise _err("next_on", _("下次跟催日期不能早于今天。"))
    entry = FollowUp.objects.create(installment=item, note=note.strip(), next_on=next_on, by=actor)
    audit.record(actor, "contracts.follow_up", item.contract, after={"seq": item.seq})
    return entry


def overdue_installments(qs=None, today: date | None = None):
    today = today or timezone.localdate()
    qs = Installment.objects.all() if qs is None else qs
    from django.db.models import F

    return qs.filter(due_on__lt=today).filter(amount__gt=F("paid") + F("written_off"))


def overdue_receivable_notices(today: date | None = None) -> int:
    """Remind each RM of their overdue receivables (one unread reminder per installment)."""
    sent = 0
    for item in overdue_installments(today=today).select_related("contract", "contract__rm"):
        notify(
            item.contract.rm,
            "contracts.receivable_overdue",
            _("应收逾期：合同 %(no)s 第 %(seq)s 期 %(amount)s 元，应收日 %(due)s")
            % {"no": item.contract.number, "seq": item.seq, "amount": item.outstanding, "due": item.due_on.isoformat()},
            url=f"/contracts/{item.contract_id}/",
            obj=item.contract,
            dedupe_key=f"contracts:receivable:{item.pk}",
        )
        sent += 1
    return sent


def receivable_figures(contracts, start: date, end: date) -> dict:
    """{rm_id: (due, collected, written_off)} over the installments due in [start, end] of `contracts`:
    due is their scheduled amount, collected what was paid on them up to `end`, written_off their bad
    debt. 回款率 = collected / due; 坏帐率 = written_off / due."""
    items = Installment.objects.filter(contract__in=contracts, due_on__gte=start, due_on__lte=end)
    out: dict = {}
    for row in items.values("contract__rm").annotate(due=Sum("amount"), bad=Sum("written_off")):
        out[row["contract__rm"]] = [row["due"] or Decimal(0), Decimal(0), row["bad"] or Decimal(0)]
    if not out:  # no installment due in the period: none was paid either (issue 18: one query fewer)
        return {}
    paid = (
        Payment.objects.filter(installment__in=items, paid_on__lte=end).values("contract__rm").annotate(s=Sum("amount"))
    )
    for row in paid:
        out.setdefault(row["contract__rm"], [Decimal(0), Decimal(0), Decimal(0)])[1] = row["s"] or Decimal(0)
    return {k: tuple(v) for k, v in out.items()}


def collection_table(viewer, start: date, end: date, *, by: str = "rm", contracts=None) -> list[dict]:
    """回款率 and 坏帐率 per RM, team or unit over the installments due in the period, in the viewer's scope
    (team and unit figures are ratios of sums, never averages of rates), with the policy's targets.
    `contracts`: the viewer's visible_contracts when the caller has them already (the home panel)."""
    scope = visible_contracts(viewer) if contracts is None else contracts
    figures = receivable_figures(scope.values("pk"), start, end)
    if not figures:
        return []
    policy = ContractPolicy.current()
    # (key, label) of each RM's group read as values, not users with their unit and team (issue 18: the
    # supervisors' home panel draws this table on every view): User.display_name, OrgUnit.name
    people = {}
    for pk, full_name, username, team_id, team_name, unit_id, unit_name in User.objects.filter(
        pk__in=figures
    ).values_list("pk", "full_name", "username", "team_id", "team__name", "unit_id", "unit__name"):
        if by == "team":
            home = (team_id, team_name) if team_id is not None else (unit_id, unit_name)
        elif by == "unit":
            home = (unit_id, unit_name)
        else:
            home = (pk, full_name or username)
        people[pk] = home if home[0] is not None else None
    groups: dict = {}
    for rm_id, (due, collected, bad) in figures.items():
        home = people.get(rm_id)
        key = home[0] if home else 0
        label = home[1] if home else "—"
        group = groups.setdefault(key, {"label": label, "due": Decimal(0), "collected": Decimal(0), "bad": Decimal(0)})
        group["due"] += due
        group["collected"] += collected
        group["bad"] += bad
    rows = []
    for group in sorted(groups.values(), key=lambda g: str(g["label"])):
        collection = rollup([Measure.ratio(group["collected"], group["due"])], percent=True).value
        bad_debt = rollup([Measure.ratio(group["bad"], group["due"])], percent=True).value
        rows.append(
            {
                **group,
                "collection_rate": collection,
                "bad_debt_rate": bad_debt,
                "bad_debt_ok": bad_debt < policy.bad_debt_target,
                "collection_ok": collection >= policy.collection_target,
            }
        )
    return rows


def month_bounds(month: str) -> tuple[date, date]:
    """'2026-11' -> (2026-11-01, 2026-11-30); a malformed month is a field error."""
    import calendar as pycal

    try:
        year, mon = (int(x) for x in (month or "").split("-"))
        first = date(year, mon, 1)
    except (ValueError, TypeError):
        raise _err("month", _("月份格式应为 2026-11。")) from None
    if not (1900 <= year <= 2999):
        raise _err("month", _("月份超出范围。"))
    return first, date(year, mon, pycal.monthrange(year, mon)[1])


def monthly_statement(viewer, month: str) -> bytes:
    """The monthly 回款明细表 (seed 002:281) as an Excel workbook: every installment due in the month or
    paid in it, in the viewer's scope, and a summary per RM with 回款率 and 坏帐率."""
    import io

    import xlsxwriter

    start, end = month_bounds(month)
    contracts = visible_contracts(viewer).values("pk")
    items = (
        Installment.objects.filter(contract__in=contracts)
        .filter(Q(due_on__gte=start, due_on__lte=end) | Q(payments__paid_on__gte=start, payments__paid_on__lte=end))
        .distinct()
        .select_related("contract", "contract__customer", "contract__rm")
        .order_by("contract__rm_id", "due_on", "id")
    )
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True, "constant_memory": True})
    head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    money = book.add_format({"num_format": "#,##0.00"})
    pct = book.add_format({"num_format": "0.00"})
    sheet = book.add_worksheet(_("回款明细"))
    titles = [
        _("合同编号"),
        _("客户"),
        _("客户经理"),
        _("期次"),
        _("应收日期"),
        _("应收金额"),
        _("本月回款"),
        _("累计已收"),
        _("核销坏帐"),
        _("未收余额"),
    ]
    for col, title in enumerate(titles):
        sheet.write(0, col, str(title), head)
    row = 1
    for item in items:
        in_month = item.payments.filter(paid_on__gte=start, paid_on__lte=end).aggregate(s=Sum("amount"))["s"] or 0
        values = [
            item.contract.number,
            item.contract.customer.name,
            item.contract.rm.display_name,
            item.seq,
            item.due_on.isoformat(),
        ]
        for col, value in enumerate(values):
            sheet.write(row, col, value)
        for col, value in enumerate((item.amount, in_month, item.paid, item.written_off, item.outstanding), start=5):
            sheet.write_number(row, col, float(value), money)
        row += 1
    summary = book.add_worksheet(_("汇总"))
    for col, title in enumerate(
        [_("客户经理"), _("应收金额"), _("已回款"), _("核销坏帐"), _("回款率（%）"), _("坏帐率（%）")]
    ):
        summary.write(0, col, str(title), head)
    for r, line in enumerate(collection_table(viewer, start, end), start=1):
        summary.write(r, 0, str(line["label"]))
        summary.write_number(r, 1, float(line["due"]), money)
        summary.write_number(r, 2, float(line["collected"]), money)
        summary.write_number(r, 3, float(line["bad"]), money)
        summary.write_number(r, 4, float(line["collection_rate"]), pct)
        summary.write_number(r, 5, float(line["bad_debt_rate"]), pct)
    book.close()
    return buf.getvalue()


# --- configuration -----------------------------------------------------------------------------------


@business_action(roles=ADMIN_ROLES)
def save_policy(
    actor, *, expiry_window_days: int, bad_debt_target: Decimal, collection_target: Decimal
) -> ContractPolicy:
    """An administrator sets the expiry window and the bad-debt and collection targets."""
    errors = {}
    if expiry_window_days is None or not (1 <= expiry_window_days <= 365):
        errors["expiry_window_days"] = [_("到期提醒窗口须在 1 至 365 天之间。")]
    for name, value in (("bad_debt_target", bad_debt_target), ("collection_target", collection_target)):
        if value is None or not (Decimal(0) <= value <= Decimal(100)):
            errors[name] = [_("目标须在 0 至 100 之间。")]
    if errors:
        raise ValidationError(errors)
    policy = ContractPolicy.current()
    policy.expiry_window_days = expiry_window_days
    policy.bad_debt_target = bad_debt_target
    policy.collection_target = collection_target
    policy.save()
    audit.record(actor, "contracts.policy_save", policy, after={"window": expiry_window_days, "bad": bad_debt_target})
    return policy


@business_action(roles=ADMIN_ROLES)
def assign_custodian(actor, *, role_id: int, unit_id: int, user_id: int) -> CustodianAssignment:
    """An administrator names a custodian: a person keeping one custody role's copies for a unit's subtree."""
    errors = {}
    role = CustodyRole.objects.filter(pk=role_id).first()
    unit = OrgUnit.objects.filter(pk=unit_id).first()
    person = User.objects.filter(pk=user_id, is_active=True).first()
    if role is None:
        errors["role_id"] = [_("保管部门不存在。")]
    if unit is None:
        errors["unit_id"] = [_("机构不存在。")]
    if person is None:
        errors["user_id"] = [_("员工不存在或已离岗。")]
    if errors:
        raise ValidationError(errors)
    assignment, created = CustodianAssignment.objects.get_or_create(role=role, unit=unit, user=person)
    if not created:
        raise _err("user_id", _("该员工已是此机构该部门的保管人。"))
    audit.record(
        actor, "contracts.custodian_assign", assignment, after={"role": role.pk, "unit": unit.pk, "user": person.pk}
    )
    return assignment


@business_action(roles=ADMIN_ROLES)
def remove_custodian(actor, assignment_id: int) -> None:
    """An administrator ends a custodianship (the copies stay with the role)."""
    assignment = CustodianAssignment.objects.filter(pk=assignment_id).first()
    if assignment is None:
        raise Http404
    audit.record(actor, "contracts.custodian_remove", assignment, before={"user": assignment.user_id})
    assignment.delete()


def due_installments(user):
    """The RM's open installments (own contracts), earliest first."""
    from django.db.models import F

    return (
        visible_installments(user)
        .filter(contract__rm=user)
        .filter(amount__gt=F("paid") + F("written_off"))
        .select_related("contract", "contract__customer")
        .order_by("due_on", "id")
    )


def custodian_work(user, today: date) -> dict:
    """The custodian's home panel and page: copies of their roles waiting for acknowledgment, borrowing
    requests to consent to, approved borrowings to hand out, and what is lent (overdue flagged)."""
    mine = list(CustodianAssignment.objects.filter(user=user).values_list("role_id", "unit__path"))
    if not mine:
        return {"to_ack": [], "requests": [], "to_lend": [], "lent": [], "overdue": 0, "today": today}
    role_q = Q()
    for role_id, path in mine:
        role_q |= Q(role_id=role_id, contract__org_path__startswith=path)
    copies = CustodyCopy.objects.filter(role_q, contract__status=ContractStatus.SIGNED)
    to_ack = copies.filter(acknowledged_at__isnull=True).select_related("contract", "contract__customer", "role")
    borrow_q = Q()
    for role_id, path in mine:
        borrow_q |= Q(copy__role_id=role_id, contract__org_path__startswith=path)
    borrowings = Borrowing.objects.filter(borrow_q).select_related("contract", "borrower", "copy__role")
    lent = list(borrowings.filter(status=BorrowStatus.LENT).order_by("due_on"))
    for b in lent:
        b.overdue = borrowing_overdue(b, today)
    return {
        "to_ack": list(to_ack.order_by("delivered_at")[:50]),
        "requests": list(borrowings.filter(status=BorrowStatus.REQUESTED).order_by("requested_at")[:50]),
        "to_lend": list(borrowings.filter(status=BorrowStatus.APPROVED).order_by("decided_at")[:50]),
        "lent": lent[:100],
        "overdue": sum(1 for b in lent if b.overdue),
        "today": today,
    }
