"""Pages of the service app (SPEC §5): thin views over services.py and the scope functions."""

from datetime import date, datetime, time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rmdesk.core.bounds import MAX_DAY, MIN_DAY
from rmdesk.core.files import serve_file
from rmdesk.core.forms import errors_by_field
from rmdesk.customers.scope import visible_customers
from rmdesk.customers.slots import suggest
from rmdesk.org.scope import visible_staff

from . import churn, services, sla, surveys
from .export_views import filtered_cases
from .forms import ActionForm, CaseForm, RoundForm, WatchForm
from .models import (
    CaseCategory,
    CaseKind,
    CaseStatus,
    Milestone,
    QualityFeedback,
    Responsibility,
    RootCause,
    Severity,
    SurveyTemplate,
    WatchStatus,
)
from .scope import get_case_or_404, visible_cases, visible_responses, visible_rounds, visible_watch


def _find_customer(user, text):
    """A customer in scope by customer number, exact name, or a unique name prefix (indexed lookups
    only: a substring search would scan a million-row archive)."""
    text = (text or "").strip()
    if not text:
        return None, _("此项为必填项。")
    qs = visible_customers(user)
    if text.isdigit() and len(text) <= 18 and qs.filter(pk=int(text)).exists():
        return qs.get(pk=int(text)), None
    for lookup in ({"customer_no": text}, {"name": text}, {"name__startswith": text}):
        found = list(qs.filter(**lookup)[:2])
        if len(found) == 1:
            return found[0], None
        if len(found) > 1:
            return None, _("匹配到多个客户，请输入客户号。")
    return None, _("客户不存在或不在您的管辖范围内。")


@login_required
def customer_suggest(request):
    """htmx: up to ten customers the user may register a case for, by name, pinyin initials or
    customer-number prefix (the customer picker's indexed search, customers.slots.suggest)."""
    q = (request.GET.get("customer") or request.GET.get("q") or "").strip()
    return render(request, "service/customer_options.html", {"items": suggest(request.user, q, limit=10)})


# --- cases -----------------------------------------------------------------------------------


@login_required
def case_list(request):
    user = request.user
    f = request.GET
    qs = filtered_cases(user, f).select_related("customer", "owner", "category")  # the export's filters, one definition
    page = Paginator(qs, 30).get_page(f.get("page"))
    can_register = user.has_role(*services.REGISTER_ROLES)
    return render(
        request,
        "service/case_list.html",
        {
            "page": page,
            "f": f,
            "statuses": CaseStatus.choices,
            "kinds": CaseKind.choices,
            "severities": Severity.choices,
            "categories": CaseCategory.objects.all(),
            "can_register": can_register,
        },
    )


@login_required
def case_new(request):
    user = request.user
    if not user.has_role(*services.REGISTER_ROLES):
        raise PermissionDenied
    initial = {}
    if request.GET.get("customer", "").isdigit():
        c = visible_customers(user).filter(pk=int(request.GET["customer"])).first()
        if c is not None:
            initial["customer"] = c.customer_no
    form = CaseForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST":
        valid = form.is_valid()
        customer, err = None, None
        if "customer" in form.cleaned_data:
            customer, err = _find_customer(user, form.cleaned_data["customer"])
            if err:
                form.add_error("customer", err)
        if valid and not err:
            d = form.cleaned_data
            try:
                case = services.register_case(
                    user,
                    customer_id=customer.pk,
                    kind=d["kind"],
                    channel=d["channel"],
                    category_id=d["category"].pk,
                    severity=d["severity"],
                    title=d["title"],
                    description=d["description"],
                    product=d["product"],
                )
                if d.get("attachment"):
                    services.add_attachment(user, case.pk, uploaded_file=d["attachment"])
            except ValidationError as exc:
                for field, msgs in errors_by_field(exc).items():
                    name = {"customer_id": "customer", "category_id": "category"}.get(field, field)
                    form.add_error(name if name in form.fields else None, msgs)
            else:
                messages.success(request, _("已登记工单 %(no)s。") % {"no": case.number})
                return redirect("service:case_detail", case.pk)
    return render(request, "service/case_new.html", {"form": form})


def _case_actions(user, case) -> set:
    """Which action forms the detail page offers this user (the services re-check everything)."""
    can_write = visible_cases(user, write=True).filter(pk=case.pk).exists()
    if not can_write:
        return set()
    sup = services.is_supervisor_of(user, case)
    acts = set()
    s = case.status
    by_status = {
        CaseStatus.REGISTERED: {"accept"},
        CaseStatus.ACCEPTED: {"investigate"},
        CaseStatus.INVESTIGATED: {"investigate", "propose"},
        CaseStatus.APPROVED: {"implement"},
        CaseStatus.IMPLEMENTED: {"follow_up"},
        CaseStatus.VISITED: {"close", "reopen"},
        CaseStatus.CLOSED: {"reopen"},
    }
    acts |= by_status.get(s, set())
    if s == CaseStatus.PROPOSED and sup and services.may_decide_plan(user, case):
        acts.add("decide")
    if s == CaseStatus.VISITED and not case.customer_confirmed and not sup:
        acts.discard("close")
    if s != CaseStatus.CLOSED:
        acts.add("resume" if case.paused_at else "pause")
        acts.add("attach")
        if case.checks.exists():
            acts.add("check")
        if sup:
            acts.add("assign")
    if sup and case.kind == CaseKind.COMPLAINT:
        acts.add("assess")
    return acts


def _timer(case, milestone):
    left = sla.remaining(case, milestone)
    if left is None:
        return None
    hours = round(left.total_seconds() / 3600, 1)
    return {"hours": hours, "overdue": hours < 0, "abs": abs(hours)}


def _render_detail(request, case, errors=None, failed=None, status=200):
    user = request.user
    assignees = []
    acts = _case_actions(user, case)
    if "assign" in acts:
        assignees = (
            visible_staff(user)
            .filter(is_active=True, roles__code__in=["rm", "team_lead"])
            .distinct()
            .order_by("full_name")
        )
    return render(
        request,
        "service/case_detail.html",
        {
            "case": case,
            "steps": case.steps.select_related("actor"),
            "actions": acts,
            "attachments": case.attachments.all(),
            "checks": case.checks.select_related("done_by"),
            "feedback": QualityFeedback.objects.filter(case=case).first(),
            "events": case.sla_events.select_related("recipient", "unit"),
            "breaches": case.breaches.all(),
            "ack_timer": _timer(case, Milestone.ACK),
            "answer_timer": _timer(case, Milestone.ANSWER),
            "root_causes": RootCause.choices,
            "responsibilities": Responsibility.choices,
            "assignees": assignees,
            "errors": errors or {},
            "failed": failed,
            "post": request.POST if failed else {},
        },
        status=status,
    )


@login_required
def case_detail(request, pk):
    case = get_case_or_404(request.user, pk)
    case = (
        visible_cases(request.user)
        .select_related("customer", "owner", "category", "responsible_unit", "plan_by", "approved_by", "policy")
        .get(pk=case.pk)
    )
    return _render_detail(request, case)


def _bool(v):
    return str(v).lower() in ("1", "true", "on", "yes")


@login_required
@require_POST
def case_action(request, pk, action):
    user = request.user
    get_case_or_404(user, pk)
    p = request.POST
    v = p.get("version") or None
    calls = {
        "accept": lambda: services.accept_case(user, pk, note=p.get("note", ""), version=v),
        "investigate": lambda: services.record_investigation(
            user, pk, cause=p.get("cause", ""), root_cause=p.get("root_cause", ""), version=v
        ),
        "propose": lambda: services.propose_plan(user, pk, plan=p.get("plan", ""), version=v),
        "approve": lambda: services.decide_plan(
            user, pk, approve=True, instruction=p.get("instruction", ""), version=v
        ),
        "reject": lambda: services.decide_plan(
            user, pk, approve=False, instruction=p.get("instruction", ""), version=v
        ),
        "implement": lambda: services.implement_plan(user, pk, result=p.get("result", ""), version=v),
        "follow_up": lambda: services.record_follow_up(
            user,
            pk,
            customer_confirmed=_bool(p.get("customer_confirmed")),
            satisfaction=int(p["satisfaction"]) if p.get("satisfaction", "").isdigit() else None,
            note=p.get("note", ""),
            version=v,
        ),
        "close": lambda: services.close_case(user, pk, note=p.get("note", ""), version=v),
        "reopen": lambda: services.reopen_case(user, pk, reason=p.get("reason", ""), version=v),
        "pause": lambda: services.pause_case(user, pk, reason=p.get("reason", ""), version=v),
        "resume": lambda: services.resume_case(user, pk, note=p.get("note", ""), version=v),
        "assess": lambda: services.assess_case(
            user,
            pk,
            is_valid=_bool(p.get("is_valid")),
            responsibility=p.get("responsibility", ""),
            root_cause=p.get("root_cause", ""),
            responsible_staff_id=p.get("responsible_staff") or None,
            note=p.get("note", ""),
            version=v,
        ),
        "assign": lambda: services.assign_case(
            user, pk, owner_id=p.get("owner") or None, note=p.get("note", ""), version=v
        ),
        "attach": lambda: services.add_attachment(user, pk, uploaded_file=request.FILES.get("file")),
        "check": lambda: services.check_item(
            user, pk, order=p.get("order", ""), done=_bool(p.get("done")), note=p.get("note", ""), version=v
        ),
    }
    if action not in calls:
        raise Http404
    try:
        calls[action]()
    except ValidationError as exc:
        case = get_case_or_404(user, pk)
        return _render_detail(request, case, errors=errors_by_field(exc), failed=action, status=422)
    messages.success(request, _("已保存。"))
    return redirect("service:case_detail", pk)


@login_required
def feedback(request, pk):
    """商品及服务质量信息反馈单: fill in, review, customer sign-off."""
    user = request.user
    case = get_case_or_404(user, pk)
    fb = QualityFeedback.objects.filter(case=case).select_related("filled_by", "reviewed_by").first()
    errors = {}
    if request.method == "POST":
        p = request.POST
        try:
            op = p.get("op", "save")
            if op == "save":
                services.save_feedback(
                    user,
                    pk,
                    product=p.get("product", ""),
                    problem=p.get("problem", ""),
                    quantity=p.get("quantity", ""),
                    customer_opinion=p.get("customer_opinion", ""),
                    handling=p.get("handling", ""),
                    version=p.get("version") or None,
                )
            elif op == "review":
                services.review_feedback(user, pk, note=p.get("review_note", ""), version=p.get("version") or None)
            elif op == "sign":
                services.confirm_feedback(
                    user, pk, signed_name=p.get("signed_name", ""), version=p.get("version") or None
                )
            else:
                raise Http404
        except ValidationError as exc:
            errors = errors_by_field(exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect("service:feedback", pk)
    fields = ("product", "quantity", "problem", "customer_opinion", "handling")
    if request.method == "POST" and request.POST.get("op", "save") == "save":
        vals = {f: request.POST.get(f, "") for f in fields}
    else:
        vals = {f: getattr(fb, f, "") if fb else "" for f in fields}
        vals["product"] = vals["product"] or case.product
    return render(
        request,
        "service/feedback.html",
        {
            "case": case,
            "fb": fb,
            "errors": errors,
            "vals": vals,
            "is_supervisor": services.is_supervisor_of(user, case),
            "print": request.GET.get("print") == "1",
        },
        status=422 if errors else 200,
    )


# --- SLA figures ---------------------------------------------------------------------------------


def _date_range(request, default_days=90):
    today = timezone.localdate()
    try:
        start = date.fromisoformat(request.GET.get("start", ""))
    except ValueError:
        start = date.fromordinal(today.toordinal() - default_days)
    try:
        end = date.fromisoformat(request.GET.get("end", ""))
    except ValueError:
        end = today
    # a day the calendar cannot step past (year 1, year 9999) falls back to the default range
    if not (MIN_DAY <= start <= MAX_DAY):
        start = date.fromordinal(today.toordinal() - default_days)
    if not (MIN_DAY <= end <= MAX_DAY):
        end = today
    return start, end


def _aware(d: date, end=False):
    return timezone.make_aware(datetime.combine(date.fromordinal(d.toordinal() + end), time.min))


@login_required
def sla_stats(request):
    group = request.GET.get("group", "rm")
    start, end = _date_range(request)
    rows = services.sla_stats(request.user, group=group, start=_aware(start), end=_aware(end, True))
    return render(request, "service/sla_stats.html", {"rows": rows, "group": group, "start": start, "end": end})


# --- surveys --------------------------------------------------------------------------------------


@login_required
def survey_list(request):
    rounds = visible_rounds(request.user).select_related("template", "created_by").order_by("-created_at")
    counts = {}
    for r in rounds[:50]:
        resp = visible_responses(request.user).filter(round=r)
        counts[r.pk] = (resp.count(), resp.filter(answered_at__isnull=False).count())
    rows = [(r, *counts.get(r.pk, (0, 0))) for r in rounds[:50]]
    return render(
        request,
        "service/survey_list.html",
        {
            "rows": rows,
            "templates": SurveyTemplate.objects.filter(is_active=True).prefetch_related("questions"),
            "can_start": request.user.has_role(*surveys.ROUND_ROLES),
        },
    )


@login_required
def survey_new(request):
    if not request.user.has_role(*surveys.ROUND_ROLES):
        raise PermissionDenied
    form = RoundForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            rnd = surveys.start_round(
                request.user,
                template_id=d["template"].pk,
                name=d["name"],
                due_on=d["due_on"],
                segment={"tier_ids": [int(t) for t in d["tiers"]], "stages": d["stages"]},
            )
        except ValidationError as exc:
            for msgs in errors_by_field(exc).values():
                form.add_error(None, msgs)
        else:
            messages.success(request, _("已发起调查。"))
            return redirect("service:survey_detail", rnd.pk)
    return render(request, "service/survey_new.html", {"form": form})


@login_required
def survey_detail(request, pk):
    rnd = visible_rounds(request.user).select_related("template").filter(pk=pk).first()
    if rnd is None:
        raise Http404
    errors = {}
    if request.method == "POST":
        try:
            n = surveys.import_answers(request.user, rnd.pk, request.FILES.get("file"))
        except ValidationError as exc:
            errors = errors_by_field(exc)
        else:
            messages.success(request, _("已导入 %(n)s 份答卷。") % {"n": n})
            return redirect("service:survey_detail", rnd.pk)
    qs = (
        visible_responses(request.user).filter(round=rnd).select_related("customer", "rm").order_by("answered_at", "id")
    )
    if request.GET.get("pending"):
        qs = qs.filter(answered_at__isnull=True)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    index = surveys.satisfaction_index(request.user, group="rm", round_id=rnd.pk)
    return render(
        request,
        "service/survey_detail.html",
        {"round": rnd, "page": page, "index": index, "errors": errors},
        status=422 if errors else 200,
    )


@login_required
def response_edit(request, pk):
    resp = visible_responses(request.user).select_related("round__template", "customer").filter(pk=pk).first()
    if resp is None:
        raise Http404
    questions = list(resp.round.template.questions.all())
    errors = {}
    if request.method == "POST":
        answers = {q.pk: request.POST.get(f"q{q.pk}", "") for q in questions}
        try:
            surveys.record_answers(
                request.user,
                pk,
                answers=answers,
                comment=request.POST.get("comment", ""),
                version=request.POST.get("version"),
            )
        except ValidationError as exc:
            errors = errors_by_field(exc)
        else:
            messages.success(request, _("已记录答卷。"))
            return redirect("service:survey_detail", resp.round_id)
    existing = {a.question_id: (a.score if a.score is not None else a.text) for a in resp.answers.all()}
    rows = [(q, request.POST.get(f"q{q.pk}", existing.get(q.pk, ""))) for q in questions]
    return render(
        request,
        "service/response_edit.html",
        {"resp": resp, "rows": rows, "errors": errors},
        status=422 if errors else 200,
    )


@login_required
def satisfaction(request):
    group = request.GET.get("group", "rm")
    start, end = _date_range(request, 365)
    rows = surveys.satisfaction_index(request.user, group=group, start=_aware(start), end=_aware(end, True))
    return render(request, "service/satisfaction.html", {"rows": rows, "group": group, "start": start, "end": end})


# --- churn watch --------------------------------------------------------------------------------


@login_required
def churn_view(request):
    today = timezone.localdate()
    period = request.GET.get("period", "year")
    start, end = churn._period_bounds(period, today)
    rates = churn.churn_rates(request.user, start=start, end=end)
    status = request.GET.get("status", WatchStatus.OPEN)
    qs = visible_watch(request.user).select_related("customer", "customer__tier", "assigned_to").order_by("-added_at")
    if status in WatchStatus.values:
        qs = qs.filter(status=status)
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "service/churn.html",
        {
            "rates": rates,
            "period": period,
            "start": start,
            "end": end,
            "page": page,
            "status": status,
            "statuses": WatchStatus.choices,
            "can_add": request.user.has_role(*churn.WATCH_ROLES),
        },
    )


@login_required
def watch_new(request):
    if not request.user.has_role(*churn.WATCH_ROLES):
        raise PermissionDenied
    initial = {}
    if request.GET.get("customer", "").isdigit():
        c = visible_customers(request.user).filter(pk=int(request.GET["customer"])).first()
        if c is not None:
            initial["customer"] = c.customer_no
    form = WatchForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        customer, err = _find_customer(request.user, form.cleaned_data["customer"])
        if err:
            form.add_error("customer", err)
        else:
            try:
                entry = churn.add_to_watch(
                    request.user,
                    customer_id=customer.pk,
                    reason=form.cleaned_data["reason"],
                    note=form.cleaned_data["note"],
                )
            except ValidationError as exc:
                for field, msgs in errors_by_field(exc).items():
                    form.add_error("customer" if field == "customer_id" else None, msgs)
            else:
                return redirect("service:watch_detail", entry.pk)
    return render(request, "service/watch_new.html", {"form": form})


@login_required
def watch_detail(request, pk):
    entry = (
        visible_watch(request.user)
        .select_related("customer", "assigned_to", "added_by", "trigger")
        .filter(pk=pk)
        .first()
    )
    if entry is None:
        raise Http404
    form = ActionForm(prefix="a")
    errors = {}
    if request.method == "POST":
        op = request.POST.get("op")
        try:
            if op == "add":
                form = ActionForm(request.POST, prefix="a")
                if form.is_valid():
                    d = form.cleaned_data
                    churn.add_retention_action(
                        request.user, pk, kind=d["kind"], description=d["description"], due_on=d["due_on"]
                    )
                    form = None
            elif op == "done":
                churn.complete_action(
                    request.user, int(request.POST.get("action", 0)), result=request.POST.get("result", "")
                )
            elif op == "close":
                churn.close_watch(
                    request.user,
                    pk,
                    status=request.POST.get("status", ""),
                    outcome=request.POST.get("outcome", ""),
                    version=request.POST.get("version") or None,
                )
            else:
                raise Http404
        except ValidationError as exc:
            errors = errors_by_field(exc)
        else:
            if form is None or op != "add":
                messages.success(request, _("已保存。"))
                return redirect("service:watch_detail", pk)
    return render(
        request,
        "service/watch_detail.html",
        {
            "entry": entry,
            "actions": entry.actions.select_related("assigned_to"),
            "form": form or ActionForm(prefix="a"),
            "errors": errors,
            "can_write": visible_watch(request.user, write=True).filter(pk=pk).exists(),
            "cases": visible_cases(request.user).filter(customer=entry.customer).order_by("-registered_at")[:10],
            "churn_events": entry.customer.churn_events.order_by("-occurred_on"),
        },
        status=422 if errors else 200,
    )


@login_required
def attachment_download(request, pk, att_pk):
    """Case evidence is served through the case's scope, never from a public media URL (SPEC §5, §12):
    whoever may read the case downloads it; anyone else gets the 404 of a missing case."""
    case = get_case_or_404(request.user, pk)
    att = case.attachments.filter(pk=att_pk).first()
    if att is None:
        raise Http404
    return serve_file(att.file, att.name)
