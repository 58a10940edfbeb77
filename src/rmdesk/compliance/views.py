"""Pages of the compliance app (SPEC §8): thin views over services.py and the scope functions. Every
record is fetched through its scope (out of scope is 404); a refused action re-renders the page with
the errors next to the fields (422)."""

import tempfile

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rmdesk.core.files import pdf_response, serve_file
from rmdesk.core.forms import errors_by_field
from rmdesk.core.roles import RoleCode
from rmdesk.core.scope import get_or_404
from rmdesk.customers.scope import visible_customers

from . import services
from .forms import (
    AuditFilterForm,
    CloseForm,
    CrossReviewForm,
    DecideForm,
    EntitlementForm,
    FeeGrantEditForm,
    FeeGrantForm,
    FindingFilterForm,
    GiftForm,
    ReviewNoteForm,
    RoundForm,
    ServiceForm,
    SignForm,
    StatementForm,
    TemplateForm,
    ViolationForm,
)
from .labels import action_label, field_label
from .models import (
    LADDER,
    ConductRuleSet,
    FindingStatus,
    GiftStatus,
    PledgeKind,
    PledgeTemplate,
    Signature,
    ViolationStatus,
)
from .scope import (
    is_officer,
    visible_access_events,
    visible_fee_grants,
    visible_findings,
    visible_gifts,
    visible_obligations,
    visible_reviews,
    visible_rounds,
    visible_services,
    visible_signatures,
    visible_violations,
)


def _apply(form, exc: ValidationError, mapping=None):
    mapping = mapping or {}
    for field, msgs in errors_by_field(exc).items():
        name = mapping.get(field, field)
        for msg in msgs:
            form.add_error(name if name in form.fields and not form.fields[name].widget.is_hidden else None, msg)


def _officer_required(user):
    if not is_officer(user):
        raise Http404


# --- home and pledges -------------------------------------------------------------------------------


@login_required
def index(request):
    user = request.user
    mine = visible_obligations(user).filter(signer=user, signed_at__isnull=True).select_related("round__template")
    violations = visible_violations(user).filter(person=user).select_related("rule")[:10]
    return render(
        request,
        "compliance/index.html",
        {
            "mine": list(mine),
            "violations": list(violations),
            "officer": is_officer(user),
            "rounds": list(visible_rounds(user).select_related("template")[:10]),
            "open_findings": visible_findings(user).filter(status=FindingStatus.OPEN).count(),
            "rule_sets": ConductRuleSet.objects.filter(is_active=True).prefetch_related("rules"),
            "ladder": LADDER,
            "rule_editor": user.has_role(*services.RULE_EDITORS),
        },
    )


@login_required
def template_list(request):
    user = request.user
    can_publish = user.has_role(RoleCode.COMPLIANCE, RoleCode.ADMIN)
    form = TemplateForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not can_publish:
            raise PermissionDenied
        if form.is_valid():
            try:
                t = services.publish_template(user, **form.cleaned_data)
            except ValidationError as exc:
                _apply(form, exc)
            else:
                messages.success(request, _("已发布《%(t)s》第 %(v)d 版。") % {"t": t.title, "v": t.version})
                return redirect("compliance:template_list")
        status = 422
    return render(
        request,
        "compliance/template_list.html",
        {"templates": PledgeTemplate.objects.all(), "form": form, "can_publish": can_publish},
        status=status,
    )


@login_required
def round_list(request):
    user = request.user
    officer = is_officer(user)
    form = RoundForm(user, request.POST or None)
    status = 200
    if request.method == "POST":
        if not officer:
            raise PermissionDenied
        if form.is_valid():
            d = form.cleaned_data
            try:
                rnd = services.open_round(
                    user,
                    template_id=d["template"].pk,
                    unit_id=d["unit"].pk,
                    roles=d["roles"],
                    deadline=d["deadline"],
                    name=d["name"],
                )
            except ValidationError as exc:
                _apply(form, exc, {"template_id": "template", "unit_id": "unit"})
            else:
                messages.success(request, _("签署批次已发起。"))
                return redirect("compliance:round_detail", pk=rnd.pk)
        status = 422
    rounds = visible_rounds(user).select_related("template", "unit").order_by("-created_at")
    return render(
        request, "compliance/round_list.html", {"rounds": rounds[:100], "form": form, "officer": officer}, status=status
    )


@login_required
def round_detail(request, pk):
    user = request.user
    rnd = get_or_404(visible_rounds(user).select_related("template", "unit"), pk)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "remind":
            n = services.remind_round(user, rnd.pk)
            messages.success(request, _("已提醒 %(n)d 人。") % {"n": n})
        elif action == "close":
            try:
                services.close_round(user, rnd.pk)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
        return redirect("compliance:round_detail", pk=rnd.pk)
    rows = services.outstanding_by_unit(rnd, user)
    total = sum(r["total"] for r in rows)
    signed = sum(r["signed"] for r in rows)
    return render(
        request,
        "compliance/round_detail.html",
        {
            "round": rnd,
            "rows": rows,
            "total": total,
            "signed": signed,
            "outstanding": total - signed,
            "can_run": visible_rounds(user, write=True).filter(pk=rnd.pk).exists(),
            "today": timezone.localdate(),
        },
    )


@login_required
def obligation_detail(request, pk):
    """Read the pledge and sign it (the signer only); others in scope see whether it is signed."""
    user = request.user
    ob = get_or_404(visible_obligations(user).select_related("round__template", "signer"), pk)
    signature = Signature.objects.filter(obligation=ob).first()
    text = signature.text if signature else services.signing_text(ob.round.template, ob.signer, timezone.localdate())
    form = SignForm(request.POST or None, initial={"text_sha256": Signature.digest(text)})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.sign(
                    user,
                    ob.pk,
                    text_sha256=form.cleaned_data["text_sha256"],
                    read_confirmed=form.cleaned_data["read_confirmed"],
                    ip=request.META.get("REMOTE_ADDR") or None,
                    user_agent=request.META.get("HTTP_USER_AGENT", ""),
                )
            except ValidationError as exc:
                _apply(form, exc)
            else:
                messages.success(request, _("承诺书已签署。"))
                return redirect("compliance:obligation", pk=ob.pk)
        status = 422
    return render(
        request,
        "compliance/obligation_detail.html",
        {
            "ob": ob,
            "text": text,
            "signature": signature,
            "form": form,
            "may_sign": ob.signer_id == user.pk and signature is None,
        },
        status=status,
    )


def _signature(request, pk) -> Signature:
    return get_or_404(visible_signatures(request.user).select_related("signer", "template", "obligation__round"), pk)


@login_required
def signature_print(request, pk):
    """The signed pledge as the two copies the seeds describe (一式两份), printable."""
    sig = _signature(request, pk)
    return render(request, "compliance/signature_print.html", {"sig": sig, "copies": _copies(sig.template)})


def _copies(template):
    if template.kind == PledgeKind.INTEGRITY:
        return [_("公司留存联"), _("客户经理留存联")]
    if template.kind == PledgeKind.DUTY:
        return [_("行总部留存联"), _("承诺人留存联")]
    return [_("机构留存联"), _("本人留存联")]


@login_required
def signature_pdf(request, pk):
    sig = _signature(request, pk)
    context = {"sig": sig, "copies": _copies(sig.template), "pdf": True}
    return pdf_response(request, "compliance/signature_print.html", context, f"pledge-{sig.pk}.pdf")


@login_required
def signature_notice(request, pk):
    """The public notice of a signed 诚信服务承诺书 (posted in the outlet and given to customers)."""
    sig = _signature(request, pk)
    if not sig.template.is_public:
        raise Http404
    return render(request, "compliance/signature_notice.html", {"sig": sig})


@login_required
def signature_list(request):
    user = request.user
    qs = visible_signatures(user).select_related("signer", "template").order_by("-signed_at")
    if request.GET.get("kind") in PledgeKind.values:
        qs = qs.filter(template__kind=request.GET["kind"])
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "compliance/signature_list.html", {"page": page, "kinds": PledgeKind.choices})


# --- violations -------------------------------------------------------------------------------------------


@login_required
def violation_list(request):
    user = request.user
    can_report = user.has_role(*services.REPORTERS)
    form = ViolationForm(user, request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if not can_report:
            raise PermissionDenied
        if form.is_valid():
            d = form.cleaned_data
            try:
                v = services.report_violation(
                    user,
                    person_id=d["person"].pk,
                    rule_id=d["rule"].pk,
                    occurred_on=d["occurred_on"],
                    facts=d["facts"],
                    evidence=d["evidence"],
                )
            except ValidationError as exc:
                _apply(form, exc, {"person_id": "person", "rule_id": "rule"})
            else:
                messages.success(request, _("违规记录已登记，等待当事人申辩和合规认定。"))
                return redirect("compliance:violation_detail", pk=v.pk)
        status = 422
    qs = visible_violations(user).select_related("person", "rule", "rule__rule_set", "reported_by")
    if request.GET.get("status") in ViolationStatus.values:
        qs = qs.filter(status=request.GET["status"])
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "compliance/violation_list.html",
        {"page": page, "form": form, "can_report": can_report, "statuses": ViolationStatus.choices},
        status=status,
    )


@login_required
def violation_detail(request, pk):
    user = request.user
    v = get_or_404(visible_violations(user).select_related("person", "rule__rule_set", "reported_by", "decided_by"), pk)
    statement_form = StatementForm(initial={"version": v.version})
    decide_form = DecideForm(initial={"version": v.version})
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "statement":
                statement_form = StatementForm(request.POST)
                if statement_form.is_valid():
                    d = statement_form.cleaned_data
                    services.state_case(user, v.pk, statement=d["statement"], waive=d["waive"], version=d["version"])
                    messages.success(request, _("申辩已提交。"))
                    return redirect("compliance:violation_detail", pk=v.pk)
            elif action == "decide":
                decide_form = DecideForm(request.POST)
                if decide_form.is_valid():
                    d = decide_form.cleaned_data
                    services.decide_violation(
                        user, v.pk, decision=d["decision"], opinion=d["opinion"], version=d["version"]
                    )
                    messages.success(request, _("已认定。"))
                    return redirect("compliance:violation_detail", pk=v.pk)
            else:
                raise Http404
        except ValidationError as exc:
            _apply(statement_form if action == "statement" else decide_form, exc)
        except PermissionDenied as exc:
            (statement_form if action == "statement" else decide_form).add_error(None, str(exc))
            status = 403
        status = status if status != 200 else 422
    problem = services.decision_problem(user, v) if is_officer(user) else None
    return render(
        request,
        "compliance/violation_detail.html",
        {
            "v": v,
            "statement_form": statement_form,
            "decide_form": decide_form,
            "may_state": v.person_id == user.pk and v.status == ViolationStatus.PENDING and not v.may_be_decided,
            "may_decide": is_officer(user)
            and v.status == ViolationStatus.PENDING
            and visible_violations(user, write=True).filter(pk=v.pk).exists(),
            "problem": problem,
            "statement_due": services.statement_due(v),
        },
        status=status,
    )


@login_required
def violation_evidence(request, pk):
    v = get_or_404(visible_violations(request.user), pk)
    return serve_file(v.evidence)


# --- gifts -----------------------------------------------------------------------------------------------


@login_required
def gift_list(request):
    user = request.user
    can_register = user.has_role(*services.STAFF)
    form = GiftForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not can_register:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.register_gift(user, **form.cleaned_data)
            except ValidationError as exc:
                _apply(form, exc)
            else:
                messages.success(request, _("已登记。"))
                return redirect("compliance:gift_list")
        status = 422
    qs = visible_gifts(user).select_related("staff", "customer", "reviewed_by")
    if request.GET.get("unreviewed"):
        qs = qs.filter(reviewed_at__isnull=True)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "compliance/gift_list.html",
        {
            "page": page,
            "form": form,
            "can_register": can_register,
            "officer": is_officer(user),
            "limit": services.threshold("gift_limit"),
            "pending": GiftStatus.PENDING,
        },
        status=status,
    )


@login_required
@require_POST
def gift_review(request, pk):
    user = request.user
    gift = get_or_404(visible_gifts(user), pk)
    form = ReviewNoteForm(request.POST)
    if form.is_valid():
        try:
            services.review_gift(user, gift.pk, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return render(
                request, "compliance/gift_review_error.html", {"gift": gift, "errors": exc.messages}, status=422
            )
        messages.success(request, _("已复核。"))
    else:
        return render(
            request,
            "compliance/gift_review_error.html",
            {"gift": gift, "errors": [e for errs in form.errors.values() for e in errs]},
            status=422,
        )
    return redirect("compliance:gift_list")


# --- special service ------------------------------------------------------------------------------------


def _find_customer(user, text):
    text = (text or "").strip()
    qs = visible_customers(user, write=True)
    for lookup in ({"customer_no": text}, {"name": text}):
        found = list(qs.filter(**lookup)[:2])
        if len(found) == 1:
            return found[0]
    return None


@login_required
def service_list(request):
    user = request.user
    can_request = user.has_role(*services.WORKERS)
    form = ServiceForm(user, request.POST or None)
    status = 200
    if request.method == "POST":
        if not can_request:
            raise PermissionDenied
        if form.is_valid():
            d = form.cleaned_data
            customer = _find_customer(user, d["customer"])
            if customer is None:
                form.add_error("customer", _("客户不存在或不在您的管辖范围内，请输入客户号。"))
            else:
                try:
                    s = services.request_special_service(
                        user,
                        customer_id=customer.pk,
                        second_staff_id=d["second_staff"].pk,
                        visit_on=d["visit_on"],
                        place=d["place"],
                        purpose=d["purpose"],
                        cash_or_valuables=d["cash_or_valuables"],
                        escort=d["escort"],
                    )
                except ValidationError as exc:
                    _apply(form, exc, {"customer_id": "customer", "second_staff_id": "second_staff"})
                else:
                    messages.success(request, _("已提交分管行长审批。"))
                    return redirect("compliance:service_detail", pk=s.pk)
        status = 422
    qs = visible_services(user).select_related("customer", "applicant", "second_staff", "approved_by")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "compliance/service_list.html",
        {"page": page, "form": form, "can_request": can_request},
        status=status,
    )


@login_required
def service_detail(request, pk):
    s = get_or_404(
        visible_services(request.user).select_related("customer", "applicant", "second_staff", "approved_by"), pk
    )
    return render(request, "compliance/service_detail.html", {"s": s})


# --- access audit and anomalies ---------------------------------------------------------------------------


def _access_events(request):
    user = request.user
    _officer_required(user)
    form = AuditFilterForm(request.GET or None)
    qs = visible_access_events(user).select_related("actor").order_by("-at", "-id")
    if form.is_valid():
        d = form.cleaned_data
        if d["person"]:
            qs = qs.filter(Q(actor__username=d["person"]) | Q(actor__full_name=d["person"]))
        if d["customer"]:
            ids = list(visible_customers(user).filter(customer_no=d["customer"]).values_list("pk", flat=True)[:1])
            qs = qs.filter(object_type="customers.customer", object_id__in=[str(i) for i in ids])
        if d["action"]:
            qs = qs.filter(action=d["action"])
        tz = timezone.get_current_timezone()
        from datetime import datetime, time, timedelta

        if d["start"]:
            qs = qs.filter(at__gte=datetime.combine(d["start"], time.min, tz))
        if d["end"]:
            qs = qs.filter(at__lt=datetime.combine(d["end"] + timedelta(days=1), time.min, tz))
    return form, qs


def describe(events) -> list[dict]:
    """Audit events as rows people read: labels, names, the customer and the reason; no codes."""
    from rmdesk.customers.models import Customer

    ids = {int(e.object_id) for e in events if e.object_type == "customers.customer" and e.object_id.isdigit()}
    for e in events:
        extra = e.summary or {}
        if e.action == "customers.document_download" and str(extra.get("customer", "")).isdigit():
            ids.add(int(extra["customer"]))
    customers = {c.pk: c for c in Customer.objects.filter(pk__in=ids).only("pk", "name", "customer_no")}
    rows = []
    for e in events:
        extra = e.summary or {}
        cid = e.object_id if e.object_type == "customers.customer" else str(extra.get("customer", ""))
        customer = customers.get(int(cid)) if cid.isdigit() else None
        detail = ""
        if e.action == "customers.reveal":
            detail = _("字段：%(f)s；事由：%(r)s") % {
                "f": field_label(extra.get("field", "")),
                "r": extra.get("reason", ""),
            }
        elif e.action == "customers.export":
            rows_n = (extra.get("after") or {}).get("rows")
            detail = _("导出 %(n)s 行") % {"n": rows_n if rows_n is not None else "—"}
        elif e.action == "customers.view":
            detail = _("接口") if extra.get("channel") == "api" else _("页面")
        rows.append(
            {
                "at": timezone.localtime(e.at),
                "person": (e.actor.display_name if e.actor else e.actor_name) or "—",
                "username": e.actor_name,
                "action": action_label(e.action),
                "customer": f"{customer.name}（{customer.customer_no}）" if customer else "—",
                "detail": detail,
                "ip": e.ip or "",
            }
        )
    return rows


@login_required
def access_audit(request):
    form, qs = _access_events(request)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "compliance/access_audit.html",
        {"form": form, "page": page, "rows": describe(list(page)), "query": query.urlencode()},
    )


@login_required
def access_audit_export(request):
    """The filtered access audit as an Excel file (xlsxwriter, constant memory); the export is audited."""
    import xlsxwriter

    from rmdesk.core import audit

    form, qs = _access_events(request)
    tmp = tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False)
    tmp.close()
    wb = xlsxwriter.Workbook(tmp.name, {"constant_memory": True})
    ws = wb.add_worksheet(_("访问审计"))
    head = [_("时间"), _("人员"), _("用户名"), _("操作"), _("客户"), _("说明"), _("IP 地址")]
    ws.write_row(0, 0, [str(h) for h in head])
    n = 0
    events = list(qs[:20000])
    for n, row in enumerate(describe(events), start=1):
        ws.write_row(
            n,
            0,
            [
                row["at"].strftime("%Y-%m-%d %H:%M:%S"),
                str(row["person"]),
                row["username"],
                str(row["action"]),
                row["customer"],
                str(row["detail"]),
                row["ip"],
            ],
        )
    wb.close()
    from django.db import transaction

    with transaction.atomic():
        audit.record(request.user, "compliance.access_audit_export", object_type="core.auditevent", after={"rows": n})
    return FileResponse(open(tmp.name, "rb"), as_attachment=True, filename="access-audit.xlsx")


@login_required
def finding_list(request):
    user = request.user
    _officer_required(user)
    form = FindingFilterForm(request.GET or None)
    qs = visible_findings(user).select_related("person", "closed_by")
    if form.is_valid() and form.cleaned_data["rule"]:
        qs = qs.filter(rule=form.cleaned_data["rule"])
    if request.GET.get("status") in FindingStatus.values:
        qs = qs.filter(status=request.GET["status"])
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request, "compliance/finding_list.html", {"page": page, "form": form, "statuses": FindingStatus.choices}
    )


@login_required
def finding_detail(request, pk):
    user = request.user
    f = get_or_404(visible_findings(user).select_related("person", "closed_by"), pk)
    form = CloseForm(request.POST or None, initial={"version": f.version})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.close_finding(user, f.pk, note=form.cleaned_data["note"], version=form.cleaned_data["version"])
            except ValidationError as exc:
                _apply(form, exc)
            else:
                messages.success(request, _("线索已办结。"))
                return redirect("compliance:finding_detail", pk=f.pk)
        status = 422
    from rmdesk.core.models import AuditEvent

    events = list(AuditEvent.objects.filter(pk__in=f.events[:50]).select_related("actor").order_by("at"))
    return render(
        request,
        "compliance/finding_detail.html",
        {"f": f, "form": form, "rows": describe(events)},
        status=status,
    )


# --- A/B cross-review ------------------------------------------------------------------------------------


@login_required
def review_list(request):
    user = request.user
    qs = visible_reviews(user).select_related("reviewer", "reviewee")
    if request.GET.get("mine"):
        qs = qs.filter(reviewer=user)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "compliance/review_list.html", {"page": page})


@login_required
def review_detail(request, pk):
    user = request.user
    r = get_or_404(visible_reviews(user).select_related("reviewer", "reviewee"), pk)
    form = CrossReviewForm(request.POST or None, initial={"version": r.version})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.record_cross_review(user, r.pk, **form.cleaned_data)
            except ValidationError as exc:
                _apply(form, exc)
            else:
                messages.success(request, _("交叉复查已完成。"))
                return redirect("compliance:review_detail", pk=r.pk)
        status = 422
    return render(
        request,
        "compliance/review_detail.html",
        {
            "r": r,
            "form": form,
            "contacts": list(services.review_contacts(r)[:200]),
            "may_review": r.reviewer_id == user.pk and r.done_at is None,
        },
        status=status,
    )


# --- account-change monitoring: fees and discounts against entitlements (SPEC §8) ---------------------


@login_required
def fee_list(request):
    """Fees waived or discounted on customers' accounts, in the viewer's scope, each compared with the
    customer's tier entitlement (those beyond it flagged; the daily report turns them into findings);
    staff who serve customers record a grant here."""
    user = request.user
    can_record = user.has_role(*services.WORKERS)
    readable = can_record or user.has_role(RoleCode.RISK, RoleCode.COMPLIANCE, RoleCode.ASSISTANT)
    if not readable:
        raise Http404
    form = FeeGrantForm(request.POST or None, initial={"granted_on": timezone.localdate()})
    status = 200
    if request.method == "POST":
        if not can_record:
            raise PermissionDenied
        if form.is_valid():
            d = form.cleaned_data
            customer = visible_customers(user, write=True).filter(customer_no=d["customer_no"].strip()).first()
            try:
                services.record_fee_grant(
                    user,
                    customer_id=customer.pk if customer else 0,
                    fee_kind=d["fee_kind"],
                    standard_fee=d["standard_fee"],
                    charged_fee=d["charged_fee"],
                    granted_on=d["granted_on"],
                    note=d["note"],
                )
            except ValidationError as exc:
                _apply(form, exc, {"customer_id": "customer_no"})
            else:
                messages.success(request, _("已登记费用减免。"))
                return redirect("compliance:fee_list")
        status = 422
    qs = visible_fee_grants(user).select_related("customer", "granted_by", "tier")
    if request.GET.get("beyond"):
        ids = [g.pk for g, _d, _a in services.grants_beyond_entitlement(qs)]
        qs = qs.filter(pk__in=ids)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    rows = _fee_rows(user, page.object_list)
    from .models import FeeEntitlement

    return render(
        request,
        "compliance/fee_list.html",
        {
            "page": page,
            "rows": rows,
            "form": form if can_record else None,
            "entitlements": FeeEntitlement.objects.select_related("tier"),
            "only_beyond": bool(request.GET.get("beyond")),
        },
        status=status,
    )


def _fee_rows(user, grants):
    """Each grant with its check: beyond the entitlement or not, the entitlement it breached (None when
    the tier has no rule for the fee: any discount is beyond), whether it is under review, and whether
    this user may still correct it."""
    from .models import AnomalyRule, Finding

    grants = list(grants)
    rules = services.entitlement_rules()
    tolerance = services.threshold("fee_tolerance_percent")
    reviewed = set(
        Finding.objects.filter(rule=AnomalyRule.FEE_BEYOND, key__in=[f"fee:{g.pk}" for g in grants]).values_list(
            "key", flat=True
        )
    )
    rows = []
    for g in grants:
        hit = services.fee_breach(g, rules, tolerance)
        under_review = f"fee:{g.pk}" in reviewed
        rows.append(
            {
                "grant": g,
                "beyond": hit is not None,
                "allowed": hit[0] if hit else None,
                "entitlement": hit[1] if hit else rules.get((g.tier_id, g.fee_kind)),
                "reviewed": under_review,
                "may_correct": not under_review and services.may_correct_fee_grant(user, g),
            }
        )
    return rows


@login_required
def fee_grant_edit(request, pk):
    """One fee grant and its check; its author (or a supervisor over it) corrects it here while compliance
    has not got it for review — the form and rules of recording it, on the version read (SPEC §8)."""
    from rmdesk.core.actions import StaleVersion

    user = request.user
    grant = get_or_404(visible_fee_grants(user).select_related("customer", "granted_by", "tier"), pk)
    row = _fee_rows(user, [grant])[0]
    initial = {
        "customer_no": grant.customer.customer_no,
        "fee_kind": grant.fee_kind,
        "standard_fee": grant.standard_fee,
        "charged_fee": grant.charged_fee,
        "granted_on": grant.granted_on,
        "note": grant.note,
        "version": grant.version,
    }
    form = FeeGrantEditForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if not services.may_correct_fee_grant(user, grant):
            raise PermissionDenied
        if form.is_valid():
            d = form.cleaned_data
            customer = visible_customers(user, write=True).filter(customer_no=d["customer_no"].strip()).first()
            try:
                services.update_fee_grant(
                    user,
                    grant.pk,
                    version=d["version"],
                    customer_id=customer.pk if customer else 0,
                    fee_kind=d["fee_kind"],
                    standard_fee=d["standard_fee"],
                    charged_fee=d["charged_fee"],
                    granted_on=d["granted_on"],
                    note=d["note"],
                )
            except StaleVersion as exc:
                _apply(form, exc)
                status = 409
            except ValidationError as exc:
                _apply(form, exc, {"customer_id": "customer_no"})
                status = 422
            else:
                messages.success(request, _("费用减免已更正。"))
                return redirect("compliance:fee_list")
        else:
            status = 422
    return render(
        request,
        "compliance/fee_grant.html",
        {"g": grant, "row": row, "form": form if row["may_correct"] or request.method == "POST" else None},
        status=status,
    )


# --- entitlements of the tiers (SPEC §8: what top-tier customers are entitled to) ---------------------


def _entitlement_editor(user) -> bool:
    return user.has_role(*services.ENTITLEMENT_EDITORS)


@login_required
def entitlement_list(request):
    """The fee entitlements of every tier, for everyone on the staff (what a grant may go up to);
    compliance officers and administrators add, change and remove them."""
    from .models import FeeEntitlement

    rows = FeeEntitlement.objects.select_related("tier__rule_set").order_by(
        "tier__rule_set__name", "-tier__rank", "fee_kind"
    )
    return render(
        request,
        "compliance/entitlement_list.html",
        {"entitlements": rows, "may_edit": _entitlement_editor(request.user)},
    )


def _entitlement_form(request, e=None):
    from rmdesk.core.actions import StaleVersion

    user = request.user
    status = 200
    if e is not None:
        initial = {
            "tier": e.tier_id,
            "fee_kind": e.fee_kind,
            "max_discount_percent": e.max_discount_percent,
            "max_discount_amount": e.max_discount_amount,
            "note": e.note,
            "version": e.version,
        }
    else:
        initial = {"tier": request.GET.get("tier"), "fee_kind": request.GET.get("fee_kind")}
    form = EntitlementForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if not _entitlement_editor(user):
            raise PermissionDenied
        if form.is_valid():
            d = form.cleaned_data
            fields = {
                "tier_id": d["tier"].pk,
                "fee_kind": d["fee_kind"],
                "max_discount_percent": d["max_discount_percent"],
                "max_discount_amount": d["max_discount_amount"],
                "note": d["note"],
            }
            try:
                if e is None:
                    services.create_entitlement(user, **fields)
                else:
                    services.update_entitlement(user, e.pk, version=d["version"], **fields)
            except StaleVersion as exc:
                _apply(form, exc)
                status = 409
            except ValidationError as exc:
                _apply(form, exc, {"tier_id": "tier"})
                status = 422
            else:
                messages.success(request, _("费用优惠权益已保存。"))
                return redirect("compliance:entitlement_list")
        else:
            status = 422
    return render(
        request,
        "compliance/entitlement_form.html",
        {"e": e, "form": form if _entitlement_editor(user) else None},
        status=status,
    )


@login_required
def entitlement_new(request):
    if not _entitlement_editor(request.user):
        raise Http404
    return _entitlement_form(request)


@login_required
def entitlement_edit(request, pk):
    """One entitlement: everyone on the staff reads it (the review list links here); editors change it."""
    from .models import FeeEntitlement

    return _entitlement_form(request, get_or_404(FeeEntitlement.objects.select_related("tier__rule_set"), pk))


@login_required
@require_POST
def entitlement_delete(request, pk):
    from rmdesk.core.actions import StaleVersion

    from .models import FeeEntitlement

    e = get_or_404(FeeEntitlement.objects.select_related("tier__rule_set"), pk)
    if not _entitlement_editor(request.user):
        raise PermissionDenied
    try:
        services.delete_entitlement(request.user, e.pk, version=request.POST.get("version"))
    except ValidationError as exc:
        form = EntitlementForm(
            initial={
                "tier": e.tier_id,
                "fee_kind": e.fee_kind,
                "max_discount_percent": e.max_discount_percent,
                "max_discount_amount": e.max_discount_amount,
                "note": e.note,
                "version": e.version,
            }
        )
        errors = [m for ms in errors_by_field(exc).values() for m in ms]
        return render(
            request,
            "compliance/entitlement_form.html",
            {"e": e, "form": form, "delete_errors": errors},
            status=409 if isinstance(exc, StaleVersion) else 422,
        )
    messages.success(request, _("费用优惠权益已删除。"))
    return redirect("compliance:entitlement_list")


# --- thresholds (SPEC §8: the numbers the rules read, edited here, versioned and audited) ----------------


def _threshold_editor(user):
    if not (is_officer(user) or user.has_role(RoleCode.ADMIN) or getattr(user, "is_superuser", False)):
        raise Http404


def _render_thresholds(request, *, errors=None, failed=None, status=200):
    from .models import Threshold

    return render(
        request,
        "compliance/threshold_list.html",
        {"thresholds": Threshold.objects.all(), "errors": errors or [], "failed": failed},
        status=status,
    )


@login_required
def threshold_list(request):
    _threshold_editor(request.user)
    return _render_thresholds(request)


@login_required
@require_POST
def threshold_edit(request, pk):
    from decimal import Decimal, InvalidOperation

    from rmdesk.core.actions import StaleVersion

    from .models import Threshold

    user = request.user
    _threshold_editor(user)
    get_or_404(Threshold.objects.all(), pk)
    try:
        raw = (request.POST.get("value") or "").strip()
        try:
            value = Decimal(raw) if raw else None
        except InvalidOperation:
            raise ValidationError({"value": [_("请输入有效的数字。")]}) from None
        if value is not None and (not value.is_finite() or abs(value) >= Decimal("1e16")):
            raise ValidationError({"value": [_("请输入有效的数字。")]})
        services.set_threshold(user, pk, value=value, version=request.POST.get("version"))
    except StaleVersion as exc:
        return _render_thresholds(request, errors=exc.messages, failed=pk, status=409)
    except ValidationError as exc:
        msgs = [m for ms in errors_by_field(exc).values() for m in ms]
        return _render_thresholds(request, errors=msgs, failed=pk, status=422)
    messages.success(request, _("阈值已保存。"))
    return redirect("compliance:threshold_list")


# --- conduct rule sets (SPEC §8: configurable data, edited by compliance) ----------------------------------

RULE_ROWS_EXTRA = 3


def _rule_editor(user):
    """Only compliance officers and administrators see the rule-set pages (others: 404, as for thresholds)."""
    if not user.has_role(*services.RULE_EDITORS):
        raise Http404


@login_required
def rule_set_list(request):
    _rule_editor(request.user)
    sets = ConductRuleSet.objects.prefetch_related("rules")
    return render(request, "compliance/rule_set_list.html", {"rule_sets": sets})


def _posted_rules(post) -> tuple[list[dict], list[int]]:
    """The rule rows of the form, blank rows left out; returns the rules and each one's row number."""
    rules, rows = [], []
    try:
        count = min(int(post.get("rows") or 0), services.MAX_RULES + RULE_ROWS_EXTRA)
    except ValueError:
        count = 0
    for i in range(count):
        text = (post.get(f"rule-{i}-text") or "").strip()
        points = (post.get(f"rule-{i}-points") or "").strip()
        if not text and not points:
            continue
        rules.append({"text": text, "severity": post.get(f"rule-{i}-severity") or "", "points": points or None})
        rows.append(i)
    return rules, rows


def _rule_rows(rules, errors=None, rows=None, *, extra=RULE_ROWS_EXTRA):
    errors = errors or {}
    out = []
    for k, r in enumerate(rules):
        out.append(
            {**r, "errors": [m for f in ("text", "severity", "points") for m in errors.get(f"rules.{k}.{f}", [])]}
        )
    for _i in range(extra):
        out.append({"text": "", "severity": "minor", "points": "", "errors": []})
    return out


def _rule_set_form(request, rs=None):
    from .models import ConductRule, Severity

    user = request.user
    _rule_editor(user)
    status = 200
    errors: dict = {}
    if request.method == "POST":
        rules, _rows = _posted_rules(request.POST)
        head = {
            "code": request.POST.get("code", ""),
            "name": request.POST.get("name", ""),
            "source": request.POST.get("source", ""),
            "is_active": bool(request.POST.get("is_active")),
            "rules": rules,
        }
        try:
            if rs is None:
                rs = services.create_rule_set(user, **head)
            else:
                services.update_rule_set(user, rs.pk, version=request.POST.get("version"), **head)
        except ValidationError as exc:
            from rmdesk.core.actions import StaleVersion

            errors = errors_by_field(exc)
            status = 409 if isinstance(exc, StaleVersion) else 422
            values = {**head, "version": request.POST.get("version")}
        else:
            messages.success(request, _("行为规范已保存。"))
            return redirect("compliance:rule_set_list")
    elif rs is not None:
        rules = [
            {"text": r.text, "severity": r.severity, "points": r.points.normalize()}
            for r in ConductRule.objects.filter(rule_set=rs).order_by("order")
        ]
        values = {"code": rs.code, "name": rs.name, "source": rs.source, "is_active": rs.is_active}
        values["version"] = rs.version
    else:
        rules = []
        values = {"code": "", "name": "", "source": "", "is_active": True, "version": ""}
    rows = _rule_rows(rules, errors)
    ctx = {
        "rs": rs if rs is not None and rs.pk else None,
        "values": values,
        "rows": rows,
        "row_count": len(rows),
        "errors": errors,
        "general": [m for f in ("rules", "version", "__all__") for m in errors.get(f, [])],
        "severities": Severity.choices,
    }
    return render(request, "compliance/rule_set_form.html", ctx, status=status)


@login_required
def rule_set_new(request):
    return _rule_set_form(request)


@login_required
def rule_set_edit(request, pk):
    _rule_editor(request.user)
    return _rule_set_form(request, get_or_404(ConductRuleSet.objects.all(), pk))
