"""Business actions of the credit app (SPEC §6): one function per action, the acting user first, the
audit event in the same transaction, field-named Chinese validation errors (422 in the API), and
nothing written when an action is refused.

The flow: the customer's RM opens an application (draft) → the investigators attach materials, fill
the six-item due-diligence checklist, recommend approve/reject and sign the 尽职调查承诺书 → the RM
submits: every rule is checked at once and the kernel approval chain "credit.application" opens
(审查 → 审核 → 审批; 审贷分离: no investigator, not the applying RM, nobody twice in one round) →
approved, rejected, or returned for re-investigation (resubmitted later) → the RM records the loan's
CMS reference, which schedules the post-loan checks.
"""

import calendar as pycal
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from rmdesk.core import approvals, audit, calendar
from rmdesk.core.actions import business_action, check_version
from rmdesk.core.bounds import MAX_DAY, MIN_DAY
from rmdesk.core.models import ApprovalDecision, ApprovalRequest, ApprovalStatus, DecisionKind
from rmdesk.core.notifications import notify_after_commit
from rmdesk.core.roles import SUPERVISORS, WORKERS, RoleCode
from rmdesk.customers.scope import visible_customers
from rmdesk.org.models import OrgUnit, User

from .defaults import KIND
from .models import (
    EDITABLE,
    AppStatus,
    ChecklistEntry,
    Classification,
    ClassificationChange,
    CreditApplication,
    CreditProduct,
    CreditRating,
    Guarantor,
    InvestigationVisit,
    Loan,
    Material,
    MaterialKind,
    Pledge,
    PostLoanCheck,
    RatingGrade,
    Recommendation,
    Warning,
    WarningCategory,
    WarningLevel,
    WarningStatus,
)
from .scope import (
    get_application_or_404,
    get_check_or_404,
    get_loan_or_404,
    get_warning_or_404,
    visible_applications,
)

#: who works on applications: the customer's RM and the staff who investigate with them
APPLY_ROLES = WORKERS
#: who classifies loans (five categories): the supervisors and the risk officer, whose job it is to
#: measure, control and report risk (seed 002:169; docs/roles.md: risk work proper is theirs in §6)
CLASSIFY_ROLES = (*SUPERVISORS, RoleCode.RISK)
#: who raises and handles warnings: the customer's RMs and their supervisors (the risk officer reads
#: the warning board of the subtree and reports)
WARNING_ROLES = WORKERS

APP_FIELDS = ("amount", "term_months", "purpose", "repayment_source", "collateral")


# --- helpers -----------------------------------------------------------------------------------------


def _err(field, message):
    return ValidationError({field: [message]})


def _locked_application(user, app_id) -> CreditApplication:
    """The application locked for a change: 404 out of read scope, 403 when only readable."""
    get_application_or_404(user, app_id)
    app = (
        CreditApplication.objects.select_for_update(of=("self",))
        .select_related("product", "customer")
        .filter(pk=app_id)
        .first()
    )
    if app is None or not visible_applications(user, write=True).filter(pk=app_id).exists():
        raise PermissionDenied(_("您对该授信申请只有查看权限。"))
    return app


def _require_editable(app):
    if app.status not in EDITABLE:
        raise _err("status", _("申请当前状态为“%(s)s”，不能修改调查内容。") % {"s": app.get_status_display()})


def _require_investigator(user, app):
    if not app.investigators.filter(pk=user.pk).exists():
        raise PermissionDenied(_("只有本申请的调查人可以执行此操作。"))


def _require_rm(user, app):
    if app.rm_id != user.pk:
        raise PermissionDenied(_("只有申请客户经理可以执行此操作。"))


def _start_investigation(app):
    if app.status == AppStatus.DRAFT:
        app.status = AppStatus.INVESTIGATING


def _bump(app, *fields, track: bool = True):
    app.version += 1
    app.save(update_fields=[*fields, "version"])
    if track and app.status in EDITABLE:
        _track_completion(app)


def _track_completion(app):
    """The submission SLA's clock (SPEC §6, seed 001:73 "资料齐全情况下…3-5个工作日内报送"): it starts when
    the application first meets every submission rule in this round, and stops again if a change
    makes it incomplete; the RM must submit by `submit_due_on` (working days, the kernel calendar)."""
    complete = not submission_errors(app)
    if complete and app.completed_at is None:
        app.completed_at = timezone.now()
        app.submit_due_on = submit_due_on(app.product, app.completed_at)
    elif not complete and app.completed_at is not None:
        app.completed_at = app.submit_due_on = None
    else:
        return
    app.save(update_fields=["completed_at", "submit_due_on"])


def submit_due_on(product: CreditProduct, completed_at) -> date:
    """The day by which a complete application must be submitted: `submit_sla_days` working days after
    the day it became complete (SPEC §6 "within 3–5 working days"; weekends, holidays, 调休 and the
    bank's overrides from rmdesk.core.calendar)."""
    return calendar.add_working_days(timezone.localdate(completed_at), product.submit_sla_days)


def check_limits(product: CreditProduct, amount, term_months) -> dict:
    """Field errors for an amount or a term outside the product's limits (SPEC §6)."""
    errors = {}
    if amount is None or amount <= 0:
        errors["amount"] = [_("申请金额必须大于零。")]
    elif not (product.min_amount <= amount <= product.max_amount):
        errors["amount"] = [
            _("申请金额须在 %(lo)s 至 %(hi)s 元之间。") % {"lo": product.min_amount, "hi": product.max_amount}
        ]
    if term_months is None or not (product.min_term <= term_months <= product.max_term):
        errors["term_months"] = [
            _("期限须在 %(lo)s 至 %(hi)s 个月之间。") % {"lo": product.min_term, "hi": product.max_term}
        ]
    return errors


def _product(product_id) -> CreditProduct:
    product = CreditProduct.objects.filter(pk=product_id, is_active=True).first()
    if product is None:
        raise _err("product_id", _("信贷产品不存在或已停用。"))
    return product


def _customer_for(actor, customer_id):
    """A customer the actor may change (the applying RM's own book); anything else is a field error."""
    customer = visible_customers(actor, write=True).filter(pk=customer_id).select_related("org_unit").first()
    if customer is None:
        raise _err("customer_id", _("客户不存在或不在您的管辖范围内。"))
    return customer


# --- the application ---------------------------------------------------------------------------------


@business_action(roles=APPLY_ROLES)
def create_application(
    actor,
    *,
    customer_id: int,
    product_id: int,
    amount: Decimal,
    term_months: int,
    purpose: str,
    repayment_source: str = "",
    collateral: str = "",
    guarantors: list | None = None,
) -> CreditApplication:
    """The customer's RM opens a credit application (SPEC §6): a customer in the RM's writable scope,
    an amount and a term within the product's limits; the product's checklist is copied onto it and
    the RM is its first investigator."""
    product = _product(product_id)
    customer = _customer_for(actor, customer_id)
    errors = check_limits(product, amount, term_months)
    if not (purpose or "").strip():
        errors["purpose"] = [_("请填写借款用途。")]
    if errors:
        raise ValidationError(errors)
    app = CreditApplication.objects.create(
        customer=customer,
        product=product,
        amount=amount,
        term_months=term_months,
        purpose=purpose.strip(),
        repayment_source=repayment_source,
        collateral=collateral,
        rm=actor,
        org_path=customer.org_path,
    )
    app.investigators.add(actor)
    ChecklistEntry.objects.bulk_create(
        [ChecklistEntry(application=app, order=i, item=item) for i, item in enumerate(product.checklist, start=1)]
    )
    for i, g in enumerate(guarantors or []):
        _add_guarantor(actor, app, i, **g)
    audit.record(
        actor,
        "credit.application_create",
        app,
        after={"customer": customer.pk, "product": product.code, "amount": amount, "term": term_months},
    )
    return app


def _add_guarantor(actor, app, index, *, name="", relation="", amount=Decimal("0"), customer_id=None):
    customer = None
    if customer_id:
        customer = visible_customers(actor).filter(pk=customer_id).first()
        if customer is None:
            raise _err(f"guarantors.{index}.customer_id", _("客户不存在或不在您的管辖范围内。"))
        name = name or customer.name
    if not (name or "").strip():
        raise _err(f"guarantors.{index}.name", _("请填写担保人。"))
    return Guarantor.objects.create(
        application=app, customer=customer, name=name.strip(), relation=relation, amount=amount or Decimal("0")
    )


@business_action(roles=APPLY_ROLES, subject=get_application_or_404)
def update_application(actor, app_id: int, *, version: int, **changes) -> CreditApplication:
    """The applying RM edits the terms while the application is still being investigated."""
    app = _locked_application(actor, app_id)
    _require_rm(actor, app)
    check_version(app, version)
    _require_editable(app)
    unknown = set(changes) - set(APP_FIELDS)
    if unknown:
        raise _err(sorted(unknown)[0], _("该字段不能修改。"))
    before = {f: getattr(app, f) for f in changes}
    for field, value in changes.items():
        setattr(app, field, value)
    errors = check_limits(app.product, app.amount, app.term_months)
    if not (app.purpose or "").strip():
        errors["purpose"] = [_("请填写借款用途。")]
    if errors:
        raise ValidationError(errors)
    _start_investigation(app)
    _bump(app, *changes, "status")
    audit.record(actor, "credit.application_update", app, before=before, after=changes)
    return app


@business_action(roles=APPLY_ROLES, subject=get_application_or_404)
def add_guarantor(actor, app_id: int, *, name="", relation="", amount=Decimal("0"), customer_id=None):
    """Add a guarantor, linked to their own archive when they are a customer (SPEC §6)."""
    app = _locked_application(actor, app_id)
    _require_investigator(actor, app)
    _require_editable(app)
    g = _add_guarantor(actor, app, 0, name=name, relation=relation, amount=amount, customer_id=customer_id)
    audit.record(actor, "credit.guarantor_add", app, after={"guarantor": g.name, "customer": g.customer_id})
    return g


@business_action(roles=APPLY_ROLES, subject=get_application_or_404)
def add_material(actor, app_id: int, *, kind: str, file) -> Material:
    """An investigator attaches a document of a known kind (营业执照, 财务报表, 征信报告…)."""
    app = _locked_application(actor, app_id)
    _require_investigator(actor, app)
    _require_editable(app)
    if kind not in MaterialKind.values:
        raise _err("kind", _("资料类型无效。"))
    if file is None:
        raise _err("file", _("请选择要上传的文件。"))
    name = (getattr(file, "name", "") or "file")[-200:]
    material = Material.objects.create(application=app, kind=kind, file=file, name=name, uploaded_by=actor)
    _start_investigation(app)
    _bump(app, "status")
    audit.record(actor, "credit.material_add", app, after={"kind": kind, "name": name})
    return material


@business_action(roles=APPLY_ROLES, subject=get_application_or_404)
def record_checklist(
    actor, app_id: int, *, order: int, finding: str, conclusion: str, version: int, evidence_ids=()
) -> ChecklistEntry:
    """An investigator records one due-diligence item: the finding, the conclusion, the evidence."""
    app = _locked_application(actor, app_id)
    _require_investigator(actor, app)
    _require_editable(app)
    entry = ChecklistEntry.objects.select_for_update().filter(application=app, order=order).first()
    if entry is None:
        raise _err("order", _("调查事项不存在。"))
    check_version(entry, version)
    errors = {}
    if not (finding or "").strip():
        errors["finding"] = [_("请填写调查情况。")]
    if not (conclusion or "").strip():
        errors["conclusion"] = [_("请填写调查结论。")]
    evidence = list(Material.objects.filter(application=app, pk__in=list(evidence_ids or [])))
    if len(evidence) != len(set(evidence_ids or [])):
        errors["evidence_ids"] = [_("证明材料须为本申请已上传的资料。")]
    if errors:
        raise ValidationError(errors)
    entry.finding, entry.conclusion = finding.strip(), conclusion.strip()
    entry.recorded_by, entry.recorded_at = actor, timezone.now()
    entry.version += 1
    entry.save()
    entry.evidence.set(evidence)
    _start_investigation(app)
    _bump(app, "status")
    audit.record(actor, "credit.checklist_record", app, after={"order": order, "conclusion": entry.conclusion})
    return entry


@business_action(roles=APPLY_ROLES, subject=get_application_or_404)
def add_investigator(actor, app_id: int, *, user_id: int, version: int) -> CreditApplication:
    """The applying RM adds a second investigating staff member (large loans need two, seed 001:1153):
    an active RM or team lead of the same branch subtree as the customer."""
    app = _locked_application(actor, app_id)
    _require_rm(actor, app)
    check_version(app, version)
    _require_editable(app)
    person = User.objects.filter(pk=user_id, is_active=True).select_related("unit", "team").first()
    home = person and (person.team or person.unit)
    if (
        person is None
        or not person.has_role(RoleCode.RM, RoleCode.TEAM_LEAD)
        or home is None
        or not _same_branch(home.path, app.org_path)
    ):
        raise _err("user_id", _("调查人须为本机构在岗的客户经理或团队长。"))
    if app.investigators.filter(pk=person.pk).exists():
        raise _err("user_id", _("该员工已是本申请的调查人。"))
    app.investigators.add(person)
    _start_investigation(app)
    _bump(app, "status")
    audit.record(actor, "credit.investigator_add", app, after={"investigator": person.pk})
    notify_after_commit(
        person,
        "credit.investigator",
        _("您被指定为授信申请 #%(n)s 的调查人") % {"n": app.pk},
        url=f"/credit/{app.pk}/",
        obj=app,
    )
    return app


def _same_branch(path_a: str, path_b: str) -> bool:
    """Both units under the same sub-branch (the org tree's third level, e.g. 支行)."""
    steplen = OrgUnit.steplen
    depth = 3 * steplen
    return path_a[:depth] == path_b[:depth]


@business_action(roles=APPLY_ROLES, subject=get_application_or_404)
def recommend(actor, app_id: int, *, recommendation: str, reasons: str, version: int) -> CreditApplication:
    """An investigator records the recommendation (建议同意/建议否决) with reasons (客户调查权和业务建议权,
    seed 001:1035). A recommendation to reject binds the chain: it can never be approved."""
    app = _locked_application(actor, app_id)
    _require_investigator(actor, app)
    check_version(app, version)
    _require_editable(app)
    errors = {}
    if recommendation not in Recommendation.values:
        errors["recommendation"] = [_("请选择调查结论（建议同意或建议否决）。")]
    if not (reasons or "").strip():
        errors["reasons"] = [_("请填写调查意见及理由。")]
    if errors:
        raise ValidationError(errors)
    app.recommendation, app.recommendation_reasons = recommendation, reasons.strip()
    app.recommended_by, app.recommended_at = actor, timezone.now()
    _start_investigation(app)
    _bump(app, "recommendation", "recommendation_reasons", "recommended_by", "recommended_at", "status")
    audit.record(actor, "credit.recommend", app, after={"recommendation": recommendation, "reasons": reasons})
    return app


# --- investigation visits (调查走访: interactions of the work app) -------------------------------------

#: the interactions that count as an investigation visit: on site, at the branch, or a special visit
VISIT_KINDS = ("visit", "branch", "special")


def _visit_customer_ids(app) -> set[int]:
    """A visit is made to the borrower or to a guarantor with an archive of their own."""
    ids = set(app.guarantors.exclude(customer=None).values_list("customer_id", flat=True))
    return ids | {app.customer_id}


def _link(actor, app, interaction) -> InvestigationVisit:
    visit = InvestigationVisit.objects.create(application=app, interaction=interaction, linked_by=actor)
    _start_investigation(app)
    _bump(app, "status")
    audit.record(actor, "credit.visit_link", app, after={"interaction": interaction.pk})
    return visit


@business_action(roles=APPLY_ROLES, subject=get_application_or_404)
def link_visit(actor, app_id: int, *, interaction_id: int) -> InvestigationVisit:
    """An investigator links a visit already recorded in daily work (SPEC §6 "investigation visits are
    interactions"): a face-to-face contact (上门拜访, 网点面谈, 特殊访问) with the borrower or a
    guarantor that the investigator can see, once per application."""
    from rmdesk.work.scope import visible_interactions

    app = _locked_application(actor, app_id)
    _require_investigator(actor, app)
    _require_editable(app)
    interaction = visible_interactions(actor).filter(pk=interaction_id).first()
    if interaction is None or interaction.customer_id not in _visit_customer_ids(app):
        raise _err("interaction_id", _("走访记录不存在，或不是与本申请借款人、担保人的联系。"))
    if interaction.kind not in VISIT_KINDS:
        raise _err("interaction_id", _("调查走访须为上门拜访、网点接待或特殊访问，电话、微信联系不能作为调查走访。"))
    if app.visits.filter(interaction=interaction).exists():
        raise _err("interaction_id", _("该走访记录已关联本申请。"))
    return _link(actor, app, interaction)


@business_action(roles=APPLY_ROLES, subject=get_application_or_404)
def record_visit(
    actor,
    app_id: int,
    *,
    occurred_at,
    content: str,
    place: str = "",
    companion_ids=(),
    customer_id: int | None = None,
    special_service_id: int | None = None,
) -> InvestigationVisit:
    """An investigator records an on-site investigation visit from the application page: the work app
    records the interaction (its rules: two staff on a door-to-door visit, no future time, the customer
    in the recorder's book, and the rules other apps add, such as an approved special-service request
    for a door-to-door visit, `special_service_id`) and it is linked to the application, in one
    transaction."""
    from rmdesk.work import services as work

    app = _locked_application(actor, app_id)
    _require_investigator(actor, app)
    _require_editable(app)
    customer_id = customer_id or app.customer_id
    if customer_id not in _visit_customer_ids(app):
        raise _err("customer_id", _("走访对象须为本申请的借款人或担保人。"))
    if not (content or "").strip():
        raise _err("content", _("请填写走访调查情况。"))
    if occurred_at is None or not (MIN_DAY.year < occurred_at.year < MAX_DAY.year):
        raise _err("occurred_at", _("请填写有效的走访时间。"))
    companions = list(User.objects.filter(pk__in=[int(i) for i in companion_ids or ()], is_active=True))
    if len(companions) != len(set(companion_ids or ())):
        raise _err("companions", _("陪同人员不存在。"))
    extra = {"special_service_id": special_service_id} if special_service_id else {}
    try:
        interaction = work.record_interaction(
            actor,
            customer_id,
            kind="visit",
            occurred_at=occurred_at,
            purpose=_("授信调查：申请 #%(n)s") % {"n": app.pk},
            content=content.strip(),
            place=place,
            companions=companions,
            **extra,
        )
    except Http404:
        message = _("您不是该客户的管户客户经理，不能登记走访记录；请由管户客户经理登记后关联。")
        raise _err("customer_id", message) from None
    return _link(actor, app, interaction)


@business_action(roles=APPLY_ROLES, subject=get_application_or_404)
def unlink_visit(actor, app_id: int, *, visit_id: int) -> None:
    """An investigator removes a visit linked by mistake (the interaction itself stays in daily work)."""
    app = _locked_application(actor, app_id)
    _require_investigator(actor, app)
    _require_editable(app)
    visit = app.visits.filter(pk=visit_id).first()
    if visit is None:
        raise _err("visit_id", _("走访记录不存在。"))
    interaction_id = visit.interaction_id
    visit.delete()
    _bump(app, "status")
    audit.record(actor, "credit.visit_unlink", app, before={"interaction": interaction_id})


def visits_of(app) -> list:
    """The application's investigation visits with their interactions (page, print sheet, API)."""
    return list(
        app.visits.select_related("interaction", "interaction__recorded_by", "interaction__customer", "linked_by")
        .prefetch_related("interaction__companions")
        .order_by("interaction__occurred_at", "id")
    )


# --- the pledge (尽职调查承诺书) -----------------------------------------------------------------------

#: the seed's text word for word (seed 001:9–21), with the bank, RM's bank, borrower, ID and signer filled
PLEDGE_TEMPLATE = (
    "{bank}客户经理\n"
    "尽职调查承诺书\n"
    "{bank}:\n"
    "我作为{rm_bank}客户经理对借款人{borrower}身份证号 {id_number} 向我行申请借款的相关事宜进行调查,"
    "我保证按照{bank}的要求,对客户提供资料的真实性、完整性、有效性进行调查;对客户的资信及品行进行调查;"
    "对客户及其担保人的资产、生产经营状况和市场前景进行调查;对客户的担保能力进行调查;"
    "对客户收入的真实性及还款来源的调查;对贷款风险及综合效益进行调查。\n"
    "我承诺:在工作中认真履行客户经理职责,如未按有关规定进行调查或调查不实、弄虚作假,误导审查审批,"
    "由此产生的一切后果,我愿意承担全部责任。\n"
    "承诺人:{signer}\n"
    "{year}年 {month}月 {day}日"
)


def pledge_text(app: CreditApplication, signer, day: date) -> str:
    """The pledge as the signer reads and signs it: the seed's form with the names filled. The borrower's
    ID number is written in full, as the paper form has it (the signed document identifies the loan)."""
    root = OrgUnit.get_first_root_node()
    bank = root.name if root else "本行"
    home = signer.unit or signer.team
    customer = app.customer
    return PLEDGE_TEMPLATE.format(
        bank=bank,
        rm_bank=home.name if home else bank,
        borrower=customer.name,
        id_number=customer.id_number or customer.credit_code or "—",
        signer=signer.display_name,
        year=day.year,
        month=day.month,
        day=day.day,
    )


@business_action(roles=APPLY_ROLES, subject=get_application_or_404)
def sign_pledge(actor, app_id: int) -> Pledge:
    """An investigator signs the 尽职调查承诺书 electronically: who, when, the exact text and its SHA-256
    are stored once and never change (SPEC §6)."""
    app = _locked_application(actor, app_id)
    _require_investigator(actor, app)
    _require_editable(app)
    if app.pledges.filter(signer=actor).exists():
        raise _err("pledge", _("您已签署本申请的尽职调查承诺书。"))
    now = timezone.now()
    pledge = Pledge.objects.create(
        application=app, signer=actor, signed_at=now, text=pledge_text(app, actor, timezone.localdate(now))
    )
    _start_investigation(app)
    _bump(app, "status")
    audit.record(actor, "credit.pledge_sign", app, after={"signer": actor.pk, "sha256": pledge.sha256})
    return pledge


# --- submission and the chain ------------------------------------------------------------------------


def submission_errors(app: CreditApplication) -> dict:
    """Everything that keeps an application from review, by field (SPEC §6 "Bad input and rules")."""
    errors = check_limits(app.product, app.amount, app.term_months)
    for entry in app.checklist.all():
        if not entry.finding.strip():
            errors[f"checklist.{entry.order}.finding"] = [
                _("尽职调查事项“%(item)s”未填写调查情况。") % {"item": entry.item}
            ]
        if not entry.conclusion.strip():
            errors[f"checklist.{entry.order}.conclusion"] = [
                _("尽职调查事项“%(item)s”未填写调查结论。") % {"item": entry.item}
            ]
    have = set(app.materials.values_list("kind", flat=True))
    for kind, label in app.product.required_material_labels():
        if kind not in have:
            errors[f"materials.{kind}"] = [_("缺少必备资料：%(kind)s。") % {"kind": label}]
    investigators = set(app.investigators.values_list("pk", flat=True))
    signed = set(app.pledges.values_list("signer_id", flat=True))
    if app.is_large and len(investigators) < 2:
        errors["investigators"] = [
            _("大额贷款（%(t)s 元及以上）须由两名以上人员调查。") % {"t": app.product.large_threshold}
        ]
    if not signed:
        errors["pledges"] = [_("调查人尚未签署尽职调查承诺书。")]
    elif app.is_large and not investigators <= signed:
        errors["pledges"] = [_("大额贷款的每位调查人都须签署尽职调查承诺书。")]
    if not app.recommendation:
        errors["recommendation"] = [_("请先填写调查结论（建议同意或建议否决）。")]
    return errors


@business_action(roles=APPLY_ROLES, subject=get_application_or_404)
def submit(actor, app_id: int, *, version: int) -> CreditApplication:
    """The applying RM submits a complete application for review (SPEC §6): refused, with every
    missing piece named by field and nothing written, unless complete. Opens (or, after a return,
    reopens) the kernel approval request; the review is due within the product's SLA in working days."""
    app = _locked_application(actor, app_id)
    _require_rm(actor, app)
    check_version(app, version)
    _require_editable(app)
    errors = submission_errors(app)
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    title = _("授信申请 #%(n)s %(customer)s %(amount)s 元") % {
        "n": app.pk,
        "customer": app.customer.name,
        "amount": app.amount,
    }
    payload = {"application_id": app.pk, "recommendation": app.recommendation}
    req = app.approval
    if req is not None and req.status == ApprovalStatus.RETURNED:
        req = approvals.resubmit(actor, req.pk, version=req.version, payload=payload)
    else:
        req = approvals.request_approval(
            actor,
            KIND,
            title,
            payload,
            unit=app.customer.org_unit,
            reason=app.purpose,
            amount=app.amount,
        )
    app.approval = req
    app.status = AppStatus.IN_REVIEW
    app.submitted_at = now
    if app.completed_at is None:  # resubmitted after a return without a change: complete as of now
        app.completed_at, app.submit_due_on = now, submit_due_on(app.product, now)
    app.review_due_on = review_due_on(app.product, now)
    _bump(app, "approval", "status", "submitted_at", "review_due_on", "completed_at", "submit_due_on")
    late = app.submit_due_on is not None and timezone.localdate(now) > app.submit_due_on
    audit.record(actor, "credit.submit", app, after={"approval": req.pk, "round": req.round, "late": late})
    return app


def review_due_on(product: CreditProduct, submitted_at) -> date:
    """The review's due date: `review_sla_days` working days after the submission day (SPEC §6 3–5
    working days; weekends, holidays and 调休 from rmdesk.core.calendar)."""
    return calendar.add_working_days(timezone.localdate(submitted_at), product.review_sla_days)


@business_action(roles=APPLY_ROLES, subject=get_application_or_404)
def withdraw(actor, app_id: int, *, version: int) -> CreditApplication:
    """The applying RM withdraws an application not yet decided (its pending request is cancelled)."""
    app = _locked_application(actor, app_id)
    _require_rm(actor, app)
    check_version(app, version)
    if app.status not in (*EDITABLE, AppStatus.IN_REVIEW):
        raise _err("status", _("申请当前状态为“%(s)s”，不能撤回。") % {"s": app.get_status_display()})
    req = app.approval
    if req is not None and req.status in (ApprovalStatus.PENDING, ApprovalStatus.RETURNED):
        approvals.cancel(actor, req.pk, version=req.version)
    app.status = AppStatus.WITHDRAWN
    _bump(app, "status")
    audit.record(actor, "credit.withdraw", app)
    return app


def _application_of(req: ApprovalRequest) -> CreditApplication | None:
    pk = (req.payload or {}).get("application_id")
    return CreditApplication.objects.select_related("product", "rm").filter(pk=pk).first() if pk else None


#: the RM's supervisor line reaches up to this level of the org tree (3: the sub-branch, 支行)
LINE_TOP_DEPTH = 3


def supervisor_line(rm) -> set[int]:
    """The applying RM's supervisor line (ids): the direct supervisor (直接上级) and theirs, up the chain,
    and the team leads and branch managers whose own unit is the RM's team or a unit above it up to the
    RM's sub-branch (支行). The branch's credit department and the managers above stay eligible."""
    ids: set[int] = set()
    person = rm
    while person is not None and person.supervisor_id and person.supervisor_id not in ids | {rm.pk}:
        ids.add(person.supervisor_id)
        person = User.objects.filter(pk=person.supervisor_id).first()
    home = rm.team or rm.unit
    if home is not None:
        steplen = OrgUnit.steplen
        top = min(LINE_TOP_DEPTH, len(home.path) // steplen)
        prefixes = [home.path[:i] for i in range(top * steplen, len(home.path) + 1, steplen)]
        leads = User.objects.filter(roles__code=RoleCode.TEAM_LEAD).filter(
            Q(team__path__in=prefixes) | Q(team__isnull=True, unit__path__in=prefixes)
        )
        managers = User.objects.filter(roles__code=RoleCode.BRANCH_MANAGER, unit__path__in=prefixes)
        ids |= set(leads.values_list("pk", flat=True)) | set(managers.values_list("pk", flat=True))
    ids.discard(rm.pk)
    return ids


def forbidden_reason(checker, app: CreditApplication, req) -> str:
    """Why `checker` may not decide the pending step of `app` under 审贷分离 (SPEC §6), or "" when they may:
    the applying RM, the investigators, anyone who decided an earlier step of this round, and the RM's
    supervisor line when the product says so."""
    if checker.pk == app.rm_id:
        return _("申请客户经理不能审批本人的授信申请。")
    if app.investigators.filter(pk=checker.pk).exists():
        return _("调查人不能审批其调查的授信申请（审贷分离）。")
    if ApprovalDecision.objects.filter(
        request=req, round=req.round, decided_by=checker, step_order__lt=req.step_order
    ).exists():
        return _("您已审批过本申请的前一环节，不能再审批后续环节。")
    if app.product.exclude_supervisor_line and checker.pk in supervisor_line(app.rm):
        return _("本产品规定申请客户经理的上级不参与审批。")
    return ""


def refusal_reason(checker, req) -> str:
    """The kernel's `refusal_reason` hook: the 审贷分离 rule a person breaks by deciding, shown as a 422."""
    app = _application_of(req)
    return forbidden_reason(checker, app, req) if app is not None else ""


def may_decide_application(checker, req) -> bool:
    """审贷分离 (SPEC §6): see `forbidden_reason`."""
    app = _application_of(req)
    if app is None:
        return False
    return not forbidden_reason(checker, app, req)


def allowed_decisions(checker, req) -> set:
    """No override (seed 001:1157): when the investigating RM recommended rejection, no step may approve;
    it can only be returned for re-investigation or rejected."""
    app = _application_of(req)
    if app is not None and app.recommendation == Recommendation.REJECT:
        return {DecisionKind.RETURN.value, DecisionKind.REJECT.value}
    return set(DecisionKind.values)


def _finish(req, status, checker):
    app = _application_of(req)
    if app is None:
        return
    app.status = status
    app.decided_at = timezone.now() if status != AppStatus.RETURNED else None
    if status == AppStatus.RETURNED:
        # re-investigation: the submission clock restarts with the investigators' next change
        app.completed_at = app.submit_due_on = None
    _bump(app, "status", "decided_at", "completed_at", "submit_due_on", track=False)
    audit.record(checker, f"credit.application_{status}", app, after={"approval": req.pk})
    notify_after_commit(
        app.rm,
        "credit.decided",
        _("授信申请 #%(n)s：%(s)s") % {"n": app.pk, "s": app.get_status_display()},
        url=f"/credit/{app.pk}/",
        obj=app,
    )


def on_approved(checker, req):
    _finish(req, AppStatus.APPROVED, checker)


def on_rejected(checker, req):
    _finish(req, AppStatus.REJECTED, checker)


def on_returned(checker, req):
    """Returned for re-investigation: editable again, resubmitted later as a new round."""
    _finish(req, AppStatus.RETURNED, checker)


def opinion_history(app: CreditApplication) -> list:
    """Every decision of every round: step, person, time, conclusion, opinion (SPEC §6)."""
    if app.approval_id is None:
        return []
    return list(
        ApprovalDecision.objects.filter(request_id=app.approval_id)
        .select_related("decided_by")
        .order_by("round", "step_order", "id")
    )


# --- loans and post-loan checks ----------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, pycal.monthrange(year, month)[1]))


def check_schedule(product: CreditProduct, start_on: date, end_on: date) -> list[date]:
    """Post-loan check due dates: the first within `first_check_days` of drawdown, then every
    `check_every_months` months until maturity (SPEC §6, e.g. 15 days then quarterly)."""
    first = start_on + timedelta(days=product.first_check_days)
    days = [min(first, end_on)]
    n = 1
    while product.check_every_months:
        nxt = add_months(first, product.check_every_months * n)
        if nxt > end_on:
            break
        days.append(nxt)
        n += 1
    return days


@business_action(roles=APPLY_ROLES, subject=get_application_or_404)
def record_loan(
    actor, app_id: int, *, cms_ref: str, amount: Decimal, start_on: date, end_on: date, rate: Decimal, version: int
) -> Loan:
    """The RM records an approved application's entry in the loan system (CMS 借据号, seed 001:1153): the
    reference, amount, dates and rate (审贷分离: never a ledger entry). Schedules the post-loan checks."""
    app = _locked_application(actor, app_id)
    _require_rm(actor, app)
    check_version(app, version)
    if app.status != AppStatus.APPROVED:
        raise _err("status", _("只有已批准的申请可以录入放款信息。"))
    if Loan.objects.filter(application=app).exists():
        raise _err("cms_ref", _("本申请已录入放款信息。"))
    errors = {}
    cms_ref = (cms_ref or "").strip()
    if not cms_ref:
        errors["cms_ref"] = [_("请填写 CMS 借据号。")]
    elif Loan.objects.filter(cms_ref=cms_ref).exists():
        errors["cms_ref"] = [_("该借据号已被登记。")]
    if amount is None or amount <= 0 or amount > app.amount:
        errors["amount"] = [_("放款金额须大于零且不超过批准金额 %(a)s 元。") % {"a": app.amount}]
    if start_on and end_on and end_on <= start_on:
        errors["end_on"] = [_("到期日须晚于放款日。")]
    if rate is None or rate <= 0 or rate >= 100:
        errors["rate"] = [_("年利率须在 0 至 100 之间。")]
    if errors:
        raise ValidationError(errors)
    loan = Loan.objects.create(
        application=app,
        customer=app.customer,
        rm=app.rm,
        cms_ref=cms_ref,
        amount=amount,
        start_on=start_on,
        end_on=end_on,
        rate=rate,
        org_path=app.org_path,
        recorded_by=actor,
    )
    ClassificationChange.objects.create(loan=loan, before="", after=Classification.NORMAL, by=actor, reason="放款")
    PostLoanCheck.objects.bulk_create(
        [
            PostLoanCheck(loan=loan, seq=i, due_on=day)
            for i, day in enumerate(check_schedule(app.product, start_on, end_on), start=1)
        ]
    )
    _bump(app, "status")
    audit.record(actor, "credit.loan_record", loan, after={"cms_ref": cms_ref, "amount": amount, "application": app.pk})
    return loan


@business_action(roles=APPLY_ROLES, subject=get_check_or_404)
def record_check(actor, check_id: int, *, findings: str, version: int) -> PostLoanCheck:
    """The RM records a post-loan check's findings (贷后检查)."""
    get_check_or_404(actor, check_id)
    check = PostLoanCheck.objects.select_for_update().select_related("loan").get(pk=check_id)
    if check.loan.rm_id != actor.pk and not actor.has_role(*SUPERVISORS):
        raise PermissionDenied(_("只有管户客户经理可以登记贷后检查。"))
    check_version(check, version)
    if check.done_at is not None:
        raise _err("findings", _("该期贷后检查已完成。"))
    if not (findings or "").strip():
        raise _err("findings", _("请填写检查情况。"))
    check.findings, check.done_at, check.by = findings.strip(), timezone.now(), actor
    check.version += 1
    check.save()
    audit.record(actor, "credit.check_record", check, after={"loan": check.loan_id, "seq": check.seq})
    return check


@business_action(roles=CLASSIFY_ROLES, subject=get_loan_or_404)
def classify_loan(actor, loan_id: int, *, classification: str, reason: str, version: int) -> Loan:
    """Five-category classification (正常/关注/次级/可疑/损失) with its history (seed 001:1155)."""
    get_loan_or_404(actor, loan_id)
    loan = Loan.objects.select_for_update().get(pk=loan_id)
    check_version(loan, version)
    errors = {}
    if classification not in Classification.values:
        errors["classification"] = [_("五级分类无效。")]
    if not (reason or "").strip():
        errors["reason"] = [_("请填写分类理由。")]
    if errors:
        raise ValidationError(errors)
    before = loan.classification
    loan.classification = classification
    loan.version += 1
    loan.save(update_fields=["classification", "version"])
    ClassificationChange.objects.create(loan=loan, before=before, after=classification, reason=reason.strip(), by=actor)
    audit.record(
        actor, "credit.loan_classify", loan, before={"classification": before}, after={"classification": classification}
    )
    return loan


def due_checks(user, *, today: date | None = None):
    """The post-loan checks a person has to do: undone, the RM's own loans, oldest due first."""
    from .scope import visible_checks

    qs = visible_checks(user).filter(done_at__isnull=True).select_related("loan", "loan__customer")
    if user.has_role(RoleCode.RM) and not user.has_role(*SUPERVISORS):
        qs = qs.filter(loan__rm=user)
    return qs.order_by("due_on", "id")


# --- customer credit rating -------------------------------------------------------------------------


#: who records a customer's credit rating: the customer's RM and the supervisors of the customer's unit
RATE_ROLES = WORKERS


@business_action(roles=RATE_ROLES)
def rate_customer(
    actor, *, customer_id: int, year: int, grade: str, credit_line: Decimal, note: str = ""
) -> CreditRating:
    """The annual credit rating and credit line of a customer (信用等级与授信, seed 001:1155), by the
    customer's RM or a supervisor of the customer's unit; each rating is kept (history)."""
    customer = _customer_for(actor, customer_id)
    errors = {}
    if grade not in RatingGrade.values:
        errors["grade"] = [_("信用等级无效。")]
    if credit_line is None or credit_line < 0:
        errors["credit_line"] = [_("授信额度不能为负数。")]
    this_year = timezone.localdate().year
    if not (this_year - 1 <= int(year or 0) <= this_year + 1):
        errors["year"] = [_("评级年度须为上一年、本年或下一年。")]
    if errors:
        raise ValidationError(errors)
    rating = CreditRating.objects.create(
        customer=customer,
        year=year,
        grade=grade,
        credit_line=credit_line,
        note=(note or "").strip(),
        rated_by=actor,
        org_path=customer.org_path,
    )
    audit.record(
        actor, "credit.rate_customer", rating, after={"customer": customer.pk, "grade": grade, "line": credit_line}
    )
    return rating


# --- early warnings ----------------------------------------------------------------------------------


@business_action(roles=WARNING_ROLES)
def raise_warning(
    actor, *, customer_id: int, category: str, level: str, title: str, detail: str = "", loan_id=None
) -> Warning:
    """A warning entered by hand (逾期, 涉诉, or any of the five signal categories): its owner is the
    customer's A-post RM (the actor when there is none)."""
    customer = visible_customers(actor).filter(pk=customer_id).select_related("a_rm").first()
    if customer is None:
        raise _err("customer_id", _("客户不存在或不在您的管辖范围内。"))
    errors = {}
    if category not in WarningCategory.values:
        errors["category"] = [_("预警类别无效。")]
    if level not in WarningLevel.values:
        errors["level"] = [_("预警级别无效。")]
    if not (title or "").strip():
        errors["title"] = [_("请填写预警信号。")]
    loan = None
    if loan_id:
        loan = Loan.objects.filter(pk=loan_id, customer=customer).first()
        if loan is None:
            errors["loan_id"] = [_("贷款不存在或不属于该客户。")]
    if errors:
        raise ValidationError(errors)
    warning = Warning.objects.create(
        customer=customer,
        loan=loan,
        category=category,
        level=level,
        title=title.strip(),
        detail=detail,
        owner=customer.a_rm or actor,
        org_path=customer.org_path,
    )
    audit.record(actor, "credit.warning_raise", warning, after={"category": category, "level": level})
    _tell_owner(warning)
    return warning


def _tell_owner(warning):
    notify_after_commit(
        warning.owner,
        "credit.warning",
        _("风险预警（%(level)s）：%(title)s") % {"level": warning.get_level_display(), "title": warning.title},
        url="/credit/warnings/",
        obj=warning,
        dedupe_key=f"credit.warning:{warning.pk}",
    )


@business_action(roles=WARNING_ROLES, subject=get_warning_or_404)
def handle_warning(actor, warning_id: int, *, actions: str, status: str, version: int) -> Warning:
    """Record the actions taken on a warning (要求补充担保、调整还款计划、清收…) and its status."""
    get_warning_or_404(actor, warning_id)
    warning = Warning.objects.select_for_update().filter(pk=warning_id).first()
    from .scope import visible_warnings

    if not visible_warnings(actor, write=True).filter(pk=warning_id).exists():
        raise PermissionDenied(_("您对该预警只有查看权限。"))
    check_version(warning, version)
    errors = {}
    if status not in (WarningStatus.HANDLING, WarningStatus.CLOSED):
        errors["status"] = [_("处置状态无效。")]
    if not (actions or "").strip():
        errors["actions"] = [_("请填写处置措施。")]
    if errors:
        raise ValidationError(errors)
    before = {"status": warning.status}
    warning.actions = actions.strip()
    warning.status = status
    warning.handled_at = timezone.now()
    warning.version += 1
    warning.save()
    audit.record(actor, "credit.warning_handle", warning, before=before, after={"status": status, "actions": actions})
    return warning


#: financial-statement signals (seed 003:9 "负债率上升"): a debt ratio up by this many points …
DEBT_RATIO_RISE = Decimal("5")
#: … or revenue down by this share (percent) from one year to the next
REVENUE_DROP = Decimal("10")


def financial_signals(years) -> list[str]:
    """Signals from the two latest yearly financials (newest first): debt ratio rising, revenue falling."""
    if len(years) < 2:
        return []
    new, old = years[0], years[1]
    out = []
    if new.debt_ratio is not None and old.debt_ratio is not None and new.debt_ratio - old.debt_ratio >= DEBT_RATIO_RISE:
        out.append(
            _("资产负债率由 %(a)s%% 升至 %(b)s%%（%(y)s 年）")
            % {"a": old.debt_ratio, "b": new.debt_ratio, "y": new.year}
        )
    if old.revenue > 0 and (old.revenue - new.revenue) * 100 / old.revenue >= REVENUE_DROP:
        out.append(
            _("营业收入由 %(a)s 元降至 %(b)s 元（%(y)s 年）") % {"a": old.revenue, "b": new.revenue, "y": new.year}
        )
    return out


@business_action(roles=(RoleCode.ADMIN,))
def scan_financials(actor=None) -> list[Warning]:
    """The system's pass over the yearly financials of customers with a loan or an application under way
    (SPEC §6 "computed from the archive's yearly financials"): one 财务报表 warning per customer and
    year — yellow for one signal, orange for both; never twice for the same year."""
    from rmdesk.customers.models import FinancialYear

    ids = set(
        CreditApplication.objects.exclude(status__in=(AppStatus.REJECTED, AppStatus.WITHDRAWN)).values_list(
            "customer_id", flat=True
        )
    ) | set(Loan.objects.values_list("customer_id", flat=True))
    made = []
    years_by_customer: dict[int, list] = {}
    for fy in FinancialYear.objects.filter(customer_id__in=ids).order_by("customer_id", "-year"):
        years_by_customer.setdefault(fy.customer_id, []).append(fy)
    for customer_id, years in years_by_customer.items():
        signals = financial_signals(years)
        if not signals:
            continue
        key = f"fin:{customer_id}:{years[0].year}"
        if Warning.objects.filter(dedupe_key=key).exists():
            continue
        from rmdesk.customers.models import Customer

        customer = Customer.objects.select_related("a_rm").get(pk=customer_id)
        loan = Loan.objects.filter(customer=customer).order_by("-start_on").first()
        owner = customer.a_rm or (loan.rm if loan else None)
        if owner is None:
            app = CreditApplication.objects.filter(customer=customer).order_by("-created_at").first()
            owner = app.rm if app else None
        if owner is None:
            continue
        warning = Warning.objects.create(
            customer=customer,
            loan=loan,
            category=WarningCategory.FINANCIAL,
            level=WarningLevel.ORANGE if len(signals) > 1 else WarningLevel.YELLOW,
            title=_("财务指标恶化：%(s)s") % {"s": "；".join(signals)},
            detail="\n".join(signals),
            owner=owner,
            auto=True,
            dedupe_key=key,
            org_path=customer.org_path,
        )
        audit.record(actor, "credit.warning_raise", warning, after={"category": "financial", "auto": True})
        _tell_owner(warning)
        made.append(warning)
    return made


#: a warning not handled within this many working days goes one level up the org tree
ESCALATE_EVERY_DAYS = 3


def _unit_of(warning) -> OrgUnit:
    return OrgUnit.objects.filter(path=warning.org_path).first()


@business_action(roles=(RoleCode.ADMIN,))
def escalate_warnings(actor=None, *, now=None) -> list[Warning]:
    """Open warnings not handled within ESCALATE_EVERY_DAYS working days (since raised, or since the
    last escalation) go one level up the org tree per interval; the managers of that unit are told."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    moved = []
    for warning in Warning.objects.select_for_update().filter(status=WarningStatus.OPEN).order_by("id"):
        since = timezone.localdate(warning.escalated_at or warning.raised_at)
        if calendar.add_working_days(since, ESCALATE_EVERY_DAYS) > today:
            continue
        current = warning.escalated_unit or _unit_of(warning)
        parent = current.get_parent() if current is not None else None
        if parent is None:
            continue  # already at the top of the tree
        warning.escalated_unit = parent
        warning.escalation_level += 1
        warning.escalated_at = now
        warning.version += 1
        warning.save(update_fields=["escalated_unit", "escalation_level", "escalated_at", "version"])
        audit.record(
            actor, "credit.warning_escalate", warning, after={"level": warning.escalation_level, "unit": parent.pk}
        )
        managers = User.objects.filter(is_active=True, roles__code__in=[*SUPERVISORS, RoleCode.RISK]).filter(
            Q(unit=parent) | Q(team=parent)
        )
        for person in managers.distinct():
            notify_after_commit(
                person,
                "credit.escalation",
                _("风险预警未及时处置，已上报：%(t)s") % {"t": warning.title},
                url="/credit/warnings/",
                obj=warning,
                dedupe_key=f"credit.escalation:{warning.pk}:{warning.escalation_level}",
            )
        moved.append(warning)
    return moved


def overdue_check_notices(*, today=None) -> int:
    """Tell each RM once about their overdue post-loan checks (the supervisors see them on their home page)."""
    today = today or timezone.localdate()
    count = 0
    for check in PostLoanCheck.objects.filter(done_at__isnull=True, due_on__lt=today).select_related("loan"):
        notify_after_commit(
            check.loan.rm,
            "credit.check_overdue",
            _("贷后检查逾期：借据 %(ref)s 第 %(n)s 期（应于 %(d)s 完成）")
            % {"ref": check.loan.cms_ref, "n": check.seq, "d": check.due_on},
            url="/credit/checks/",
            obj=check,
            dedupe_key=f"credit.check:{check.pk}",
        )
        count += 1
    return count


def review_notices(*, today=None) -> int:
    """Review SLA (SPEC §6): tell the deciders of the pending step once when an application's review is
    due today (at risk) and once when it is past due (breach)."""
    today = today or timezone.localdate()
    count = 0
    due = CreditApplication.objects.filter(status=AppStatus.IN_REVIEW, review_due_on__lte=today)
    for app in due.select_related("approval", "customer"):
        req = app.approval
        if req is None or req.status != ApprovalStatus.PENDING:
            continue
        breached = app.review_due_on < today
        kind = "credit.review_breach" if breached else "credit.review_at_risk"
        title = (_("授信申请 #%(n)s 审查已超时（时限 %(d)s）") if breached else _("授信申请 #%(n)s 今日审查到期")) % {
            "n": app.pk,
            "d": app.review_due_on,
        }
        for person in approvals.eligible_deciders(req):
            notify_after_commit(
                person,
                kind,
                title,
                url="/org/approvals/",
                obj=app,
                dedupe_key=f"{kind}:{app.pk}:{req.round}:{req.step_order}",
            )
            count += 1
    return count


def submission_notices(*, today=None) -> int:
    """Submission SLA (SPEC §6 "submitted for review within 3–5 working days of completion"): tell the
    applying RM once when a complete application is due for submission today (at risk), and the RM and
    their supervisor once when the working-day deadline has passed (breach)."""
    from rmdesk.work.scope import supervisor_of

    today = today or timezone.localdate()
    count = 0
    due = CreditApplication.objects.filter(status__in=EDITABLE, submit_due_on__lte=today, completed_at__isnull=False)
    for app in due.select_related("rm", "customer"):
        breached = app.submit_due_on < today
        kind = "credit.submit_breach" if breached else "credit.submit_at_risk"
        if breached:
            title = _("授信申请 #%(n)s 已超过报送审查时限（%(d)s），请尽快提交")
        else:
            title = _("授信申请 #%(n)s 今日须提交审查")
        title = title % {"n": app.pk, "d": app.submit_due_on}
        people = [app.rm]
        if breached:
            boss = supervisor_of(app.rm)
            if boss is not None:
                people.append(boss)
        stamp = timezone.localtime(app.completed_at).strftime("%Y%m%d%H%M%S")
        for person in people:
            notify_after_commit(
                person,
                kind,
                title,
                url=f"/credit/{app.pk}/",
                obj=app,
                dedupe_key=f"{kind}:{app.pk}:{stamp}",
            )
            count += 1
    return count


def ensure_visible(user, app_id):
    """404 unless the application is in the user's read scope (views and API share it)."""
    if not visible_applications(user).filter(pk=app_id).exists():
        raise Http404
