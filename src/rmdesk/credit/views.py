"""Pages of the credit app (SPEC §6): thin views over services.py and the scope functions. Every
object is fetched through its scope (out of scope is 404); a refused action re-renders the page with
the errors next to the fields (422)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rmdesk.core import approvals
from rmdesk.core.files import pdf_response, serve_file
from rmdesk.core.forms import errors_by_field
from rmdesk.core.models import ApprovalStatus, DecisionKind
from rmdesk.core.roles import SUPERVISORS, RoleCode
from rmdesk.customers.scope import visible_customers
from rmdesk.org.models import User

from . import services
from .export_views import filtered_applications, filtered_loans
from .forms import ApplicationForm, ClassifyForm, LoanForm, MaterialForm, RatingForm, WarningForm
from .models import (
    AppStatus,
    Classification,
    Loan,
    MaterialKind,
    Recommendation,
    WarningCategory,
    WarningLevel,
    WarningStatus,
)
from .scope import (
    get_application_or_404,
    get_loan_or_404,
    get_warning_or_404,
    visible_applications,
    visible_checks,
    visible_loans,
    visible_ratings,
    visible_warnings,
)


def _find_customer(user, text, *, write=False):
    """A customer in scope by customer number, exact name or a unique partial name."""
    text = (text or "").strip()
    qs = visible_customers(user, write=write)
    for lookup in ({"customer_no": text}, {"name": text}, {"name__icontains": text}):
        found = list(qs.filter(**lookup)[:2])
        if len(found) == 1:
            return found[0], None
        if len(found) > 1:
            return None, _("匹配到多个客户，请输入客户号。")
    return None, _("客户不存在或不在您的管辖范围内。")


def _apply_errors(form, exc: ValidationError, mapping=None):
    """Put a service's field errors next to the form's fields (the rest on the form)."""
    mapping = mapping or {}
    for field, msgs in errors_by_field(exc).items():
        name = mapping.get(field, field)
        for msg in msgs:
            form.add_error(name if name in form.fields else None, msg)


# --- applications --------------------------------------------------------------------------------


@login_required
def application_list(request):
    user = request.user
    f = request.GET
    # the export's filters, one definition (export_views.filtered_applications)
    qs = filtered_applications(user, f).select_related("customer", "product", "rm")
    page = Paginator(qs, 30).get_page(f.get("page"))
    return render(
        request,
        "credit/application_list.html",
        {
            "page": page,
            "f": f,
            "statuses": AppStatus.choices,
            "can_apply": user.has_role(*services.APPLY_ROLES),
        },
    )


@login_required
def application_new(request):
    user = request.user
    if not user.has_role(*services.APPLY_ROLES):
        raise Http404
    form = ApplicationForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            customer, problem = _find_customer(user, d["customer"], write=True)
            if customer is None:
                form.add_error("customer", problem)
            else:
                guarantors = []
                if d["guarantor"].strip():
                    guarantors.append({"name": d["guarantor"], "relation": d["guarantor_relation"]})
                try:
                    app = services.create_application(
                        user,
                        customer_id=customer.pk,
                        product_id=d["product"].pk,
                        amount=d["amount"],
                        term_months=d["term_months"],
                        purpose=d["purpose"],
                        repayment_source=d["repayment_source"],
                        collateral=d["collateral"],
                        guarantors=guarantors,
                    )
                except ValidationError as exc:
                    _apply_errors(form, exc, {"customer_id": "customer", "product_id": "product"})
                else:
                    messages.success(request, _("授信申请已创建，请开展尽职调查。"))
                    return redirect("credit:application_detail", app.pk)
        status = 422
    return render(request, "credit/application_new.html", {"form": form}, status=status)


def _render_detail(request, app, *, errors=None, failed="", status=200, loan_form=None):
    user = request.user
    app = (
        visible_applications(user)
        .select_related("customer", "product", "rm", "approval", "recommended_by")
        .get(pk=app.pk)
    )
    investigators = list(app.investigators.all())
    is_investigator = any(u.pk == user.pk for u in investigators)
    is_rm = app.rm_id == user.pk
    signed = {p.signer_id for p in app.pledges.all()}
    candidates = []
    if is_rm and app.is_editable:
        candidates = [
            u
            for u in User.objects.filter(is_active=True, roles__code__in=[RoleCode.RM, RoleCode.TEAM_LEAD])
            .exclude(pk__in=[u.pk for u in investigators])
            .select_related("unit", "team")
            .distinct()
            .order_by("username")[:200]
            if (u.team or u.unit) and services._same_branch((u.team or u.unit).path, app.org_path)
        ]
    loan = Loan.objects.filter(application=app).first()
    visits = services.visits_of(app)
    visit_choices, companions = [], []
    if is_investigator and app.is_editable:
        from rmdesk.work.scope import visible_interactions

        visit_choices = list(
            visible_interactions(user)
            .filter(customer_id__in=services._visit_customer_ids(app), kind__in=services.VISIT_KINDS)
            .exclude(pk__in=[v.interaction_id for v in visits])
            .select_related("customer")
            .order_by("-occurred_at")[:50]
        )
        companions = [u for u in _colleagues(user) if u.pk != user.pk]
    req = app.approval
    deciding = None
    if req is not None and req.status == ApprovalStatus.PENDING and approvals.may_decide(user, req):
        deciding = {
            "request": req,
            "step": approvals.current_step(req),
            "allowed": [(v, label) for v, label in DecisionKind.choices if v in approvals.allowed_decisions(user, req)],
        }
    return render(
        request,
        "credit/application_detail.html",
        {
            "app": app,
            "checklist": list(app.checklist.prefetch_related("evidence")),
            "materials": list(app.materials.select_related("uploaded_by")),
            "pledges": list(app.pledges.select_related("signer")),
            "guarantors": list(app.guarantors.select_related("customer")),
            "investigators": investigators,
            "history": services.opinion_history(app),
            "missing": services.submission_errors(app) if app.is_editable else {},
            "is_rm": is_rm,
            "is_investigator": is_investigator,
            "can_sign": is_investigator and app.is_editable and user.pk not in signed,
            "can_withdraw": is_rm and (app.is_editable or app.status == AppStatus.IN_REVIEW),
            "candidates": candidates,
            "material_form": MaterialForm(),
            "material_kinds": MaterialKind.choices,
            "recommendations": Recommendation.choices,
            "loan": loan,
            "loan_form": loan_form or (LoanForm() if is_rm and app.status == AppStatus.APPROVED and not loan else None),
            "no_override": app.recommendation == Recommendation.REJECT,
            "visits": visits,
            "visit_choices": visit_choices,
            "companions": companions,
            "deciding": deciding,
            "now": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "errors": errors or {},
            "failed": failed,
        },
        status=status,
    )


@login_required
def application_detail(request, pk):
    return _render_detail(request, get_application_or_404(request.user, pk))


def _colleagues(user):
    """Staff of the user's own unit who may accompany a visit (the work app checks its rule again)."""
    from rmdesk.org.scope import visible_staff

    return list(
        visible_staff(user)
        .filter(is_active=True, roles__code__in=[RoleCode.RM, RoleCode.TEAM_LEAD, RoleCode.BRANCH_MANAGER])
        .distinct()
        .order_by("username")[:100]
    )


def _when(value, field):
    """A local date-time from a datetime-local input, or a field error."""
    from django.utils.dateparse import parse_datetime

    try:
        parsed = parse_datetime((value or "").strip())
    except ValueError:
        parsed = None
    if parsed is None:
        raise ValidationError({field: [_("请输入有效的日期时间。")]})
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


def _decide(user, app, p):
    """A decider of the pending step decides it on the application page (the approval view): the
    kernel's decide(), with its rules and the credit handler's (审贷分离, no override)."""
    req = app.approval
    if req is None:
        raise ValidationError({"decision": [_("该申请不在审批中。")]})
    try:
        approvals.decide(
            user,
            req.pk,
            p.get("decision", ""),
            opinion=p.get("opinion", "").strip(),
            version=p.get("request_version") or None,
        )
    except PermissionDenied as exc:
        raise ValidationError({"decision": [str(exc) or _("您无权审批该申请。")]}) from None
    except ValidationError as exc:
        if hasattr(exc, "error_dict") and "decider" in exc.error_dict:  # 审贷分离 named by the kernel hook
            raise ValidationError({"decision": exc.message_dict["decider"]}) from None
        raise


def _int(value, field):
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationError({field: [_("请输入有效的数字。")]}) from None


@login_required
@require_POST
def application_action(request, pk, action):
    user = request.user
    app = get_application_or_404(user, pk)
    p = request.POST
    v = p.get("version") or None
    loan_form = None

    def record_loan():
        nonlocal loan_form
        loan_form = LoanForm(p)
        if not loan_form.is_valid():
            raise ValidationError({k: list(e) for k, e in loan_form.errors.items()})
        services.record_loan(user, pk, version=v, **loan_form.cleaned_data)

    calls = {
        "material": lambda: services.add_material(user, pk, kind=p.get("kind", ""), file=request.FILES.get("file")),
        "checklist": lambda: services.record_checklist(
            user,
            pk,
            order=_int(p.get("order"), "order"),
            finding=p.get("finding", ""),
            conclusion=p.get("conclusion", ""),
            evidence_ids=[_int(x, "evidence_ids") for x in p.getlist("evidence")],
            version=v,
        ),
        "investigator": lambda: services.add_investigator(
            user, pk, user_id=_int(p.get("user_id"), "user_id"), version=v
        ),
        "recommend": lambda: services.recommend(
            user, pk, recommendation=p.get("recommendation", ""), reasons=p.get("reasons", ""), version=v
        ),
        "pledge": lambda: services.sign_pledge(user, pk),
        "submit": lambda: services.submit(user, pk, version=v),
        "withdraw": lambda: services.withdraw(user, pk, version=v),
        "loan": record_loan,
        "link_visit": lambda: services.link_visit(
            user, pk, interaction_id=_int(p.get("interaction_id"), "interaction_id")
        ),
        "record_visit": lambda: services.record_visit(
            user,
            pk,
            occurred_at=_when(p.get("occurred_at"), "occurred_at"),
            place=p.get("place", "")[:200],
            content=p.get("content", ""),
            companion_ids=[_int(x, "companions") for x in p.getlist("companions")],
            special_service_id=_int(p["special_service_id"], "special_service_id")
            if p.get("special_service_id", "").strip()
            else None,
        ),
        "unlink_visit": lambda: services.unlink_visit(user, pk, visit_id=_int(p.get("visit_id"), "visit_id")),
        "decide": lambda: _decide(user, app, p),
    }
    if action not in calls:
        raise Http404
    try:
        calls[action]()
    except ValidationError as exc:
        if loan_form is not None and hasattr(exc, "error_dict"):
            for field, msgs in errors_by_field(exc).items():
                if field in loan_form.fields and field not in loan_form.errors:
                    for m in msgs:
                        loan_form.add_error(field, m)
        return _render_detail(request, app, errors=errors_by_field(exc), failed=action, status=422, loan_form=loan_form)
    messages.success(request, _("已保存。"))
    return redirect("credit:application_detail", pk)


def _print_context(request, pk, *, pdf=False):
    app = (
        visible_applications(request.user)
        .select_related("customer", "product", "rm")
        .get(pk=get_application_or_404(request.user, pk).pk)
    )
    return {
        "app": app,
        "investigators": list(app.investigators.all()),
        "guarantors": list(app.guarantors.all()),
        "checklist": list(app.checklist.all()),
        "pledges": list(app.pledges.select_related("signer")),
        "history": services.opinion_history(app),
        "visits": services.visits_of(app),
        "printed_at": timezone.now(),
        "pdf": pdf,
    }


@login_required
def application_print(request, pk):
    """The printable application summary and approval sheet (授信申请审批表)."""
    return render(request, "credit/application_print.html", _print_context(request, pk))


@login_required
def application_pdf(request, pk):
    """The same sheet as a PDF (WeasyPrint, the CJK font named in the template)."""
    context = _print_context(request, pk, pdf=True)
    return pdf_response(request, "credit/application_print.html", context, f"credit-application-{pk}.pdf")


@login_required
def material_download(request, pk, material_pk):
    """Materials are served through the application's read scope, never a public media URL."""
    app = get_application_or_404(request.user, pk)
    material = app.materials.filter(pk=material_pk).first()
    if material is None:
        raise Http404
    return serve_file(material.file, material.name)


# --- loans and post-loan checks ------------------------------------------------------------------


@login_required
def loan_list(request):
    f = request.GET
    # the export's filters, one definition (export_views.filtered_loans)
    qs = filtered_loans(request.user, f).select_related("customer", "rm")
    page = Paginator(qs, 30).get_page(f.get("page"))
    return render(request, "credit/loan_list.html", {"page": page, "f": f, "classifications": Classification.choices})


def _render_loan(request, loan, *, errors=None, status=200, classify_form=None):
    user = request.user
    loan = visible_loans(user).select_related("customer", "rm", "application").get(pk=loan.pk)
    return render(
        request,
        "credit/loan_detail.html",
        {
            "loan": loan,
            "checks": list(loan.checks.select_related("by")),
            "history": list(loan.classifications.select_related("by")),
            "warnings": list(loan.warnings.all()),
            "can_check": loan.rm_id == user.pk or user.has_role(*SUPERVISORS),
            "can_classify": user.has_role(*services.CLASSIFY_ROLES),
            "classify_form": classify_form or ClassifyForm(initial={"classification": loan.classification}),
            "errors": errors or {},
            "today": timezone.localdate(),
        },
        status=status,
    )


@login_required
def loan_detail(request, pk):
    return _render_loan(request, get_loan_or_404(request.user, pk))


@login_required
@require_POST
def loan_action(request, pk, action):
    user = request.user
    loan = get_loan_or_404(user, pk)
    p = request.POST
    form = None
    try:
        if action == "check":
            check = loan.checks.filter(pk=_int(p.get("check_id"), "check_id")).first()
            if check is None:
                raise Http404
            services.record_check(user, check.pk, findings=p.get("findings", ""), version=p.get("version") or None)
        elif action == "classify":
            form = ClassifyForm(p)
            if not form.is_valid():
                raise ValidationError({k: list(e) for k, e in form.errors.items()})
            services.classify_loan(user, pk, version=p.get("version") or None, **form.cleaned_data)
        else:
            raise Http404
    except ValidationError as exc:
        return _render_loan(request, loan, errors=errors_by_field(exc), status=422, classify_form=form)
    messages.success(request, _("已保存。"))
    return redirect("credit:loan_detail", pk)


@login_required
def check_list(request):
    """The post-loan due list: an RM's own checks; supervisors and risk officers their subtree."""
    user = request.user
    if user.has_role(*SUPERVISORS, RoleCode.RISK, RoleCode.COMPLIANCE, RoleCode.ASSISTANT):
        qs = visible_checks(user).filter(done_at__isnull=True).select_related("loan", "loan__customer", "loan__rm")
        qs = qs.order_by("due_on", "id")
    else:
        qs = services.due_checks(user).select_related("loan__rm")
    return render(
        request,
        "credit/check_list.html",
        {"checks": list(qs[:300]), "today": timezone.localdate()},
    )


# --- structure risk ------------------------------------------------------------------------------


@login_required
def structure_view(request):
    """Shares of good/general/poor borrowers per RM or unit, and the trend (SPEC §6)."""
    from . import structure

    by = "unit" if request.GET.get("by") == "unit" else "rm"
    return render(
        request,
        "credit/structure.html",
        {
            "rows": structure.structure(request.user, by=by),
            "trend": structure.trend(request.user),
            "by": by,
        },
    )


# --- customer credit ratings ---------------------------------------------------------------------


@login_required
def rating_list(request):
    """Customer credit ratings (信用等级) and credit lines with their history, in the viewer's scope; the
    customer's RMs and supervisors record the year's rating (seed 001:1155)."""
    user = request.user
    can_rate = user.has_role(*services.RATE_ROLES)
    f = request.GET
    initial = {"year": timezone.localdate().year}
    customer = None
    if f.get("customer", "").isdigit():
        customer = visible_customers(user).filter(pk=int(f["customer"])).first()
        if customer is not None:
            initial["customer"] = customer.customer_no or customer.name
    form = RatingForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if not can_rate:
            raise Http404
        if form.is_valid():
            d = form.cleaned_data
            found, problem = _find_customer(user, d["customer"], write=True)
            if found is None:
                form.add_error("customer", problem)
            else:
                try:
                    services.rate_customer(
                        user,
                        customer_id=found.pk,
                        year=d["year"],
                        grade=d["grade"],
                        credit_line=d["credit_line"],
                        note=d["note"],
                    )
                except ValidationError as exc:
                    _apply_errors(form, exc, {"customer_id": "customer"})
                else:
                    messages.success(request, _("信用评级已登记。"))
                    return redirect(f"{request.path}?customer={found.pk}")
        status = 422
    qs = visible_ratings(user).select_related("customer", "rated_by")
    if customer is not None:
        qs = qs.filter(customer=customer)
    if f.get("q"):
        q = f["q"].strip()
        qs = qs.filter(Q(customer__name__icontains=q) | Q(customer__customer_no__startswith=q))
    if f.get("year", "").isdigit():
        qs = qs.filter(year=int(f["year"]))
    page = Paginator(qs.order_by("-year", "-rated_at", "-id"), 30).get_page(f.get("page"))
    return render(
        request,
        "credit/rating_list.html",
        {"page": page, "f": f, "form": form, "can_rate": can_rate, "customer": customer},
        status=status,
    )


# --- warnings ------------------------------------------------------------------------------------


@login_required
def warning_board(request):
    user = request.user
    form = WarningForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not user.has_role(*services.WARNING_ROLES):
            raise Http404
        if form.is_valid():
            d = form.cleaned_data
            customer, problem = _find_customer(user, d["customer"])
            if customer is None:
                form.add_error("customer", problem)
            else:
                try:
                    services.raise_warning(
                        user,
                        customer_id=customer.pk,
                        category=d["category"],
                        level=d["level"],
                        title=d["title"],
                        detail=d["detail"],
                    )
                except ValidationError as exc:
                    _apply_errors(form, exc, {"customer_id": "customer"})
                else:
                    messages.success(request, _("预警已登记。"))
                    return redirect("credit:warning_board")
        status = 422
    qs = visible_warnings(user).select_related("customer", "owner", "escalated_unit")
    f = request.GET
    shown = f.get("status") or "open"
    if shown in WarningStatus.values:
        qs = qs.filter(status=shown)
    if f.get("level") in WarningLevel.values:
        qs = qs.filter(level=f["level"])
    if f.get("category") in WarningCategory.values:
        qs = qs.filter(category=f["category"])
    page = Paginator(qs.order_by("-escalation_level", "-raised_at", "-id"), 30).get_page(f.get("page"))
    return render(
        request,
        "credit/warning_board.html",
        {
            "page": page,
            "f": f,
            "shown": shown,
            "form": form,
            "statuses": WarningStatus.choices,
            "levels": WarningLevel.choices,
            "categories": WarningCategory.choices,
            "can_raise": user.has_role(*services.WARNING_ROLES),
        },
        status=status,
    )


@login_required
@require_POST
def warning_handle(request, pk):
    user = request.user
    get_warning_or_404(user, pk)
    p = request.POST
    try:
        services.handle_warning(
            user, pk, actions=p.get("actions", ""), status=p.get("status", ""), version=p.get("version") or None
        )
    except ValidationError as exc:
        for msgs in errors_by_field(exc).values():
            for m in msgs:
                messages.error(request, m)
        return redirect("credit:warning_board")
    messages.success(request, _("已保存。"))
    return redirect("credit:warning_board")
