"""Pages of the contracts app (SPEC §7): thin views over services.py and the scope functions. Every object
is fetched through its scope (out of scope is 404, custodians read the contracts in their custody); a
refused action re-renders the page with the errors next to the fields (422)."""

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rmdesk.core.files import pdf_response, serve_file
from rmdesk.core.forms import errors_by_field
from rmdesk.core.roles import READERS, is_admin
from rmdesk.customers.scope import visible_customers
from rmdesk.org.models import OrgUnit, User

from . import services
from .export_views import filtered_contracts
from .forms import (
    BorrowForm,
    ContractForm,
    DealForm,
    FollowUpForm,
    InstallmentForm,
    PaymentForm,
    PolicyForm,
    RenewalForm,
    SignForm,
    TemplateForm,
)
from .models import (
    ContractKind,
    ContractPolicy,
    ContractStatus,
    ContractTemplate,
    CustodianAssignment,
    CustodyRole,
    Payment,
)
from .scope import custodian_of, get_contract_or_404, is_custodian, visible_contracts


def _find_customer(user, text):
    """A customer the user may change, by customer number, exact name or a unique partial name."""
    text = (text or "").strip()
    qs = visible_customers(user, write=True)
    for lookup in ({"customer_no": text}, {"name": text}, {"name__icontains": text}):
        found = list(qs.filter(**lookup)[:2])
        if len(found) == 1:
            return found[0], None
        if len(found) > 1:
            return None, _("匹配到多个客户，请输入客户号。")
    return None, _("客户不存在或不在您的管辖范围内。")


def _apply_errors(form, exc: ValidationError, mapping=None):
    mapping = mapping or {}
    for field, msgs in errors_by_field(exc).items():
        name = mapping.get(field, field)
        for msg in msgs:
            form.add_error(name if name in form.fields else None, msg)


def _may_read(user) -> bool:
    return user.has_role(*READERS) or is_custodian(user)


# --- list and drafting -----------------------------------------------------------------------------------


@login_required
def contract_list(request):
    user = request.user
    f = request.GET
    # the export's filters, one definition (export_views.filtered_contracts)
    qs = filtered_contracts(user, f).select_related("customer", "rm")
    page = Paginator(qs, 30).get_page(f.get("page"))
    return render(
        request,
        "contracts/list.html",
        {
            "page": page,
            "f": f,
            "statuses": ContractStatus.choices,
            "kinds": ContractKind.choices,
            "can_draft": user.has_role(*services.DRAFT_ROLES),
        },
    )


@login_required
def contract_new(request):
    user = request.user
    if not user.has_role(*services.DRAFT_ROLES):
        raise Http404
    form = ContractForm(request.POST or None, initial={"kind": request.GET.get("kind", "")})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = dict(form.cleaned_data)
            customer, problem = _find_customer(user, d.pop("customer"))
            if customer is None:
                form.add_error("customer", problem)
            else:
                try:
                    contract = services.create_contract(
                        user,
                        customer_id=customer.pk,
                        credit_application_id=d.pop("credit_application"),
                        opportunity_id=d.pop("opportunity"),
                        **d,
                    )
                except ValidationError as exc:
                    fields = {
                        "customer_id": "customer",
                        "credit_application_id": "credit_application",
                        "opportunity_id": "opportunity",
                    }
                    _apply_errors(form, exc, fields)
                else:
                    messages.success(request, _("合同草稿已创建。"))
                    return redirect("contracts:detail", contract.pk)
        status = 422
    return render(request, "contracts/new.html", {"form": form}, status=status)


# --- the contract page -----------------------------------------------------------------------------------


def _render_detail(request, contract, *, errors=None, failed="", status=200, forms=None):
    user = request.user
    contract = (
        visible_contracts(user)
        .select_related("customer", "rm", "approval", "template", "original", "credit_application")
        .get(pk=contract.pk)
    )
    forms = forms or {}
    writable = visible_contracts(user, write=True).filter(pk=contract.pk).exists()
    is_rm = contract.rm_id == user.pk
    latest = contract.latest_version()
    older, newer, diff = services.key_term_diff(contract)
    copies = list(contract.copies.select_related("role", "acknowledged_by"))
    for copy in copies:
        copy.contract = contract
        copy.mine = custodian_of(user, copy)
    kept = {c.pk for c in copies if c.mine}
    borrowings = list(contract.borrowings.select_related("borrower", "copy__role", "decided_by", "received_by"))
    today = timezone.localdate()
    for b in borrowings:
        b.mine = b.copy_id in kept
        b.overdue = services.borrowing_overdue(b, today)
    installments = list(
        contract.installments.prefetch_related(
            Prefetch("payments", queryset=Payment.objects.select_related("recorded_by")), "follow_ups__by"
        )
    )
    signed = contract.versions.filter(frozen_at__isnull=False).order_by("-number").first()
    deal_initial = {f: getattr(contract, f) for f in services.CONTRACT_FIELDS}
    deal_initial.update(latest.terms() if latest else {})
    can_edit = is_rm and contract.is_editable
    return render(
        request,
        "contracts/detail.html",
        {
            "c": contract,
            "latest": latest,
            "signed": signed,
            "terms": [(str(label), getattr(latest, name)) for name, label in services.KEY_TERMS] if latest else [],
            "versions": list(contract.versions.all()),
            "older": older,
            "newer": newer,
            "diff": diff,
            "attachments": list(contract.attachments.select_related("uploaded_by")),
            "history": services.opinion_history(contract),
            "copies": copies,
            "borrowings": borrowings,
            "installments": installments,
            "amendments": list(contract.amendments.all()),
            "missing": services.missing_terms(latest) if contract.is_editable and latest else {},
            "is_rm": is_rm,
            "writable": writable,
            "can_edit": can_edit,
            "can_sign": writable and contract.status == ContractStatus.APPROVED,
            "can_borrow": contract.status == ContractStatus.SIGNED and user.has_role(*services.BORROW_ROLES),
            "filed_copies": [c for c in copies if c.acknowledged_at],
            "can_write_off": user.has_role(*services.WRITE_OFF_ROLES) and writable,
            "deal_form": forms.get("edit") or (DealForm(initial=deal_initial) if can_edit else None),
            "sign_form": forms.get("sign") or SignForm(initial={"signed_on": today}),
            "borrow_form": forms.get("borrow") or BorrowForm(),
            "installment_form": forms.get("installment") or InstallmentForm(),
            "renewal_form": forms.get("renew") or RenewalForm(),
            "expiring": contract.pk in set(services.expiring(visible_contracts(user)).values_list("pk", flat=True)),
            "errors": errors or {},
            "general_errors": (errors or {}).get("__all__", []),
            "failed": failed,
            "today": today,
        },
        status=status,
    )


@login_required
def contract_detail(request, pk):
    return _render_detail(request, get_contract_or_404(request.user, pk))


def _int(value, field):
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationError({field: [_("请输入有效的数字。")]}) from None


def _form(forms, key, cls, data, files=None):
    form = cls(data, files) if files is not None else cls(data)
    forms[key] = form
    if not form.is_valid():
        raise ValidationError({k: list(e) for k, e in form.errors.items()})
    return form.cleaned_data


@login_required
@require_POST
def contract_action(request, pk, action):
    user = request.user
    contract = get_contract_or_404(user, pk)
    p = request.POST
    v = p.get("version") or None
    forms: dict = {}
    target = {"pk": pk}

    def edit():
        d = _form(forms, "edit", DealForm, p)
        services.update_contract(user, pk, version=v, **d)

    def sign():
        d = _form(forms, "sign", SignForm, p, request.FILES)
        services.sign_contract(user, pk, version=v, **d)

    def amend():
        target["pk"] = services.amend_contract(user, pk).pk

    def renew():
        d = _form(forms, "renew", RenewalForm, p)
        services.decide_renewal(user, pk, version=v, **d)

    def borrow():
        d = _form(forms, "borrow", BorrowForm, p)
        copy_id = _int(p["copy_id"], "copy_id") if p.get("copy_id") else None
        services.request_borrowing(user, pk, copy_id=copy_id, **d)

    def borrowing_id():
        b = contract.borrowings.filter(pk=_int(p.get("borrowing_id"), "borrowing_id")).first()
        if b is None:
            raise Http404
        return b.pk

    def installment_id():
        item = contract.installments.filter(pk=_int(p.get("installment_id"), "installment_id")).first()
        if item is None:
            raise Http404
        return item.pk

    def copy_id():
        copy = contract.copies.filter(pk=_int(p.get("copy_id"), "copy_id")).first()
        if copy is None:
            raise Http404
        return copy.pk

    def installment():
        d = _form(forms, "installment", InstallmentForm, p)
        services.add_installment(user, pk, **d)

    def pay():
        item = installment_id()
        d = _form(forms, "pay", PaymentForm, p)
        services.record_payment(user, item, **d)

    def follow():
        item = installment_id()
        d = _form(forms, "follow", FollowUpForm, p)
        services.add_follow_up(user, item, **d)

    calls = {
        "edit": edit,
        "attach": lambda: services.add_attachment(user, pk, file=request.FILES.get("file")),
        "submit": lambda: services.submit_contract(user, pk, version=v),
        "sign": sign,
        "amend": amend,
        "renew": renew,
        "ack": lambda: services.acknowledge_copy(user, copy_id(), location=p.get("location", "")),
        "borrow": borrow,
        "borrow_decide": lambda: services.decide_borrowing(
            user, borrowing_id(), approve=p.get("approve") == "yes", note=p.get("note", ""), version=v
        ),
        "lend": lambda: services.lend(user, borrowing_id(), version=v),
        "return": lambda: services.receive_return(user, borrowing_id(), version=v),
        "installment": installment,
        "pay": pay,
        "follow": follow,
        "write_off": lambda: services.write_off(user, installment_id(), reason=p.get("reason", ""), version=v),
    }
    if action not in calls:
        raise Http404
    try:
        calls[action]()
    except ValidationError as exc:
        for form in forms.values():
            if hasattr(exc, "error_dict"):
                for field, msgs in errors_by_field(exc).items():
                    if field in form.fields and field not in form.errors:
                        for m in msgs:
                            form.add_error(field, m)
        return _render_detail(request, contract, errors=errors_by_field(exc), failed=action, status=422, forms=forms)
    messages.success(request, _("已保存。"))
    if p.get("next") == "custody":
        return redirect("contracts:custody")
    return redirect("contracts:detail", target["pk"])


@login_required
def attachment_download(request, pk, attachment_pk):
    """Attachments are served through the contract's read scope, never a public media URL."""
    contract = get_contract_or_404(request.user, pk)
    attachment = contract.attachments.filter(pk=attachment_pk).first()
    if attachment is None:
        raise Http404
    return serve_file(attachment.file, attachment.name)


@login_required
def scan_download(request, pk):
    contract = get_contract_or_404(request.user, pk)
    return serve_file(contract.signed_scan, f"{contract.number}-signed.pdf")


def _print_context(request, pk, *, pdf=False):
    contract = get_contract_or_404(request.user, pk)
    contract = visible_contracts(request.user).select_related("customer", "rm", "template").get(pk=contract.pk)
    version = contract.versions.order_by("-number").first()
    text = version.text if version.frozen_at else services.render_text(contract, version)
    return {"c": contract, "v": version, "text": text, "printed_at": timezone.now(), "pdf": pdf}


@login_required
def contract_print(request, pk):
    """The contract text from its template, ready to print (the frozen text once signed)."""
    return render(request, "contracts/print.html", _print_context(request, pk))


@login_required
def contract_pdf(request, pk):
    """The same as a PDF (WeasyPrint, the CJK font named in the template)."""
    return pdf_response(request, "contracts/print.html", _print_context(request, pk, pdf=True), f"contract-{pk}.pdf")


# --- custody ---------------------------------------------------------------------------------------------


@login_required
def custody(request):
    """The custodian's desk: copies to acknowledge, borrowing requests, hand-outs, what is lent."""
    user = request.user
    if not is_custodian(user):
        raise Http404
    return render(request, "contracts/custody.html", {"w": services.custodian_work(user, timezone.localdate())})


# --- receivables -----------------------------------------------------------------------------------------


def _period(f):
    today = timezone.localdate()
    try:
        start = date.fromisoformat(f.get("start", "")) if f.get("start") else date(today.year, 1, 1)
        end = date.fromisoformat(f.get("end", "")) if f.get("end") else today
    except ValueError:
        return date(today.year, 1, 1), today, _("日期格式应为 2026-01-31。")
    if start > end or start.year < 1900 or end.year > 2999:
        return date(today.year, 1, 1), today, _("期间无效。")
    return start, end, ""


@login_required
def receivables(request):
    """回款率 and 坏帐率 per RM, team or unit; overdue receivables with their follow-ups; the monthly export."""
    user = request.user
    if not _may_read(user):
        raise Http404
    f = request.GET
    start, end, problem = _period(f)
    by = f.get("by") if f.get("by") in ("rm", "team", "unit") else "rm"
    overdue = (
        services.overdue_installments(services.visible_installments(user))
        .select_related("contract", "contract__customer", "contract__rm")
        .prefetch_related("follow_ups")
        .order_by("due_on", "id")[:200]
    )
    today = timezone.localdate()
    return render(
        request,
        "contracts/receivables.html",
        {
            "rows": services.collection_table(user, start, end, by=by),
            "by": by,
            "start": start,
            "end": end,
            "problem": problem,
            "overdue": list(overdue),
            "policy": ContractPolicy.current(),
            "month": f"{today:%Y-%m}",
        },
        status=422 if problem else 200,
    )


@login_required
def receivables_export(request):
    """The monthly 回款明细表 as Excel (xlsxwriter), in the reader's scope."""
    if not _may_read(request.user):
        raise Http404
    month = request.GET.get("month") or f"{timezone.localdate():%Y-%m}"
    try:
        data = services.monthly_statement(request.user, month)
    except ValidationError as exc:
        return HttpResponse(" ".join(exc.messages), status=422, content_type="text/plain; charset=utf-8")
    resp = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    resp["Content-Disposition"] = f'attachment; filename="receivables-{month}.xlsx"'
    return resp


# --- settings (administrators) ---------------------------------------------------------------------------


@login_required
def settings_page(request):
    """Templates (a save is a new version), the policy, and who keeps which copies where."""
    user = request.user
    if not is_admin(user):
        raise Http404
    kind = request.GET.get("kind") if request.GET.get("kind") in ContractKind.values else ContractKind.SERVICE
    current = services.active_template(kind)
    template_form = TemplateForm(
        initial={"kind": kind, "name": current.name if current else "", "body": current.body if current else ""}
    )
    policy = ContractPolicy.current()
    policy_form = PolicyForm(
        initial={
            "expiry_window_days": policy.expiry_window_days,
            "bad_debt_target": policy.bad_debt_target,
            "collection_target": policy.collection_target,
        }
    )
    status = 200
    errors: dict = {}
    if request.method == "POST":
        p = request.POST
        what = p.get("what")
        try:
            if what == "template":
                template_form = TemplateForm(p)
                if not template_form.is_valid():
                    raise ValidationError({k: list(e) for k, e in template_form.errors.items()})
                services.save_template(user, **template_form.cleaned_data)
            elif what == "policy":
                policy_form = PolicyForm(p)
                if not policy_form.is_valid():
                    raise ValidationError({k: list(e) for k, e in policy_form.errors.items()})
                services.save_policy(user, **policy_form.cleaned_data)
            elif what == "assign":
                services.assign_custodian(
                    user,
                    role_id=_int(p.get("role_id"), "role_id"),
                    unit_id=_int(p.get("unit_id"), "unit_id"),
                    user_id=_int(p.get("user_id"), "user_id"),
                )
            elif what == "remove":
                services.remove_custodian(user, _int(p.get("assignment_id"), "assignment_id"))
            else:
                raise Http404
        except ValidationError as exc:
            errors = errors_by_field(exc)
            for form in (template_form, policy_form):
                if form.is_bound:
                    _apply_errors(form, exc)
            status = 422
        else:
            messages.success(request, _("已保存。"))
            return redirect(f"{request.path}?kind={p.get('kind', kind)}")
    return render(
        request,
        "contracts/settings.html",
        {
            "kind": kind,
            "kinds": ContractKind.choices,
            "templates": list(ContractTemplate.objects.filter(kind=kind).select_related("created_by")),
            "template_form": template_form,
            "policy_form": policy_form,
            "placeholders": services.PLACEHOLDERS,
            "roles": list(CustodyRole.objects.all()),
            "assignments": list(CustodianAssignment.objects.select_related("role", "unit", "user")),
            "units": list(OrgUnit.objects.order_by("path")[:500]),
            "people": list(User.objects.filter(is_active=True).order_by("username")[:500]),
            "errors": errors,
        },
        status=status,
    )
