"""Pages of the sales app (SPEC §4): thin views over services.py and the scope functions. Every object is
fetched through its scope (out of scope is 404); a refused action re-renders the page with the errors
next to the fields (422)."""

from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rmdesk.core.actions import StaleVersion
from rmdesk.core.forms import errors_by_field
from rmdesk.core.roles import SUPERVISORS, WORKERS, RoleCode
from rmdesk.core.scope import covers
from rmdesk.customers.models import Product, ProductCategory
from rmdesk.org.models import User

from . import services
from .export_views import filtered_opportunities
from .forms import (
    CampaignCancelForm,
    CampaignEditForm,
    CampaignForm,
    HandoutForm,
    NominationForm,
    OpportunityForm,
    ReferralForm,
    ResultForm,
    SaleForm,
    SegmentForm,
    TaskForm,
)
from .models import LostReason, Material, StageKind, TargetStatus, TaskStatus
from .scope import (
    get_campaign_or_404,
    get_opportunity_or_404,
    visible_campaigns,
    visible_handouts,
    visible_nominations,
    visible_opportunities,
    visible_quotas,
    visible_referrals,
    visible_sales,
    visible_segments,
    visible_targets,
    visible_tasks,
)


def _apply_errors(form, exc: ValidationError, mapping=None):
    """Put a service's field errors next to the form's fields (the rest on the form)."""
    mapping = mapping or {}
    for field, msgs in errors_by_field(exc).items():
        name = mapping.get(field, field)
        for msg in msgs:
            form.add_error(name if name in form.fields else None, msg)


def _int(value, field):
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationError({field: [_("请输入有效的数字。")]}) from None


def _decimal(value, field, *, required=False):
    from decimal import Decimal, InvalidOperation

    if value in (None, ""):
        if required:
            raise ValidationError({field: [_("请填写金额。")]})
        return None
    try:
        d = Decimal(str(value).replace(",", ""))
    except InvalidOperation:
        raise ValidationError({field: [_("请输入有效的金额。")]}) from None
    if not d.is_finite() or abs(d) >= Decimal("1e16"):
        raise ValidationError({field: [_("请输入有效的金额。")]})
    return d.quantize(Decimal("0.01"))


def _date(value, field):
    if value in (None, ""):
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ValidationError({field: [_("请输入有效的日期。")]}) from None
    from rmdesk.core.bounds import MAX_DAY, MIN_DAY

    if not MIN_DAY <= day <= MAX_DAY:
        raise ValidationError({field: [_("日期超出范围。")]})
    return day


def _can_sell(user):
    return user.has_role(*WORKERS)


# --- opportunities ---------------------------------------------------------------------------------------


@login_required
def opportunity_board(request):
    user = request.user
    f = request.GET
    view = "list" if f.get("view") == "list" else "board"
    # the export's filters, one definition (export_views.filtered_opportunities); the board shows every stage
    shown = f if view == "list" else {k: v for k, v in f.items() if k != "stage"}
    qs = filtered_opportunities(user, shown).select_related("customer", "product", "stage", "owner")
    all_stages = services.stages()
    if view == "board":
        columns = []
        for s in all_stages:
            items = list(qs.filter(stage=s).order_by("expected_on", "-id")[:30])
            columns.append({"stage": s, "items": items})
        ctx = {"columns": columns}
    else:
        ctx = {"page": Paginator(qs, 30).get_page(f.get("page"))}
    return render(
        request,
        "sales/opportunity_board.html",
        {**ctx, "view": view, "f": f, "stages": all_stages, "can_sell": _can_sell(user)},
    )


@login_required
def opportunity_new(request):
    user = request.user
    if not _can_sell(user):
        raise Http404
    initial = {}
    if request.GET.get("customer"):
        initial["customer"] = request.GET["customer"]
    if request.GET.get("product"):
        initial["product"] = request.GET["product"]
    form = OpportunityForm(request.POST or None, user=user, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                opp = services.create_opportunity(
                    user,
                    customer_id=d["customer"].pk,
                    product_id=d["product"].pk,
                    amount=d["amount"],
                    expected_on=d["expected_on"],
                    next_step=d["next_step"],
                    campaign_id=_int(request.POST["campaign"], "campaign") if request.POST.get("campaign") else None,
                )
            except ValidationError as exc:
                _apply_errors(form, exc, {"customer_id": "customer", "product_id": "product"})
            else:
                messages.success(request, _("商机已创建。"))
                return redirect("sales:opportunity_detail", opp.pk)
        status = 422
    return render(
        request,
        "sales/form.html",
        {"form": form, "title": _("新建商机"), "testid": "opp-form", "campaign": request.GET.get("campaign", "")},
        status=status,
    )


def _render_opportunity(request, opp, *, errors=None, status=200):
    user = request.user
    opp = (
        visible_opportunities(user)
        .select_related("customer", "product", "stage", "owner", "lost_reason")
        .get(pk=opp.pk)
    )
    writable = visible_opportunities(user, write=True).filter(pk=opp.pk).exists() and _can_sell(user)
    history = list(opp.history.select_related("from_stage", "to_stage", "by"))
    return render(
        request,
        "sales/opportunity_detail.html",
        {
            "opp": opp,
            "history": history,
            "stages": [s for s in services.stages() if s.pk != opp.stage_id],
            "lost_reasons": LostReason.objects.filter(is_active=True),
            "writable": writable and opp.is_open,
            "risk_product": opp.product.is_risk_product,
            "errors": errors or {},
            "general_errors": (errors or {}).get("__all__", []),
            "sale": getattr(opp, "sale", None) if opp.stage.kind == StageKind.WON else None,
            "today": timezone.localdate(),
        },
        status=status,
    )


@login_required
def opportunity_detail(request, pk):
    return _render_opportunity(request, get_opportunity_or_404(request.user, pk))


@login_required
@require_POST
def opportunity_move(request, pk):
    user = request.user
    opp = get_opportunity_or_404(user, pk)
    p = request.POST
    try:
        services.move_opportunity(
            user,
            opp.pk,
            stage_id=_int(p.get("stage_id"), "stage_id"),
            version=p.get("version"),
            amount=_decimal(p.get("amount"), "amount"),
            expected_on=_date(p.get("expected_on"), "expected_on"),
            next_step=p.get("next_step") if p.get("next_step") else None,
            lost_reason_id=_int(p["lost_reason_id"], "lost_reason_id") if p.get("lost_reason_id") else None,
            lost_note=p.get("lost_note", ""),
            sold_on=_date(p.get("sold_on"), "sold_on"),
            risk_disclosed=bool(p.get("risk_disclosed")),
            customer_confirmed=bool(p.get("customer_confirmed")),
            note=p.get("note", "")[:200],
        )
    except ValidationError as exc:
        return _render_opportunity(
            request, opp, errors=errors_by_field(exc), status=409 if isinstance(exc, StaleVersion) else 422
        )
    messages.success(request, _("商机阶段已更新。"))
    return redirect("sales:opportunity_detail", opp.pk)


# --- the daily sales log -------------------------------------------------------------------------------------


@login_required
def sale_list(request):
    user = request.user
    qs = visible_sales(user).select_related("customer", "product", "rm")
    f = request.GET
    if f.get("mine"):
        qs = qs.filter(rm=user)
    day = None
    if f.get("day"):
        try:
            day = date.fromisoformat(f["day"])
        except ValueError:
            day = None
    if day:
        qs = qs.filter(sold_on=day)
    page = Paginator(qs.order_by("-sold_on", "-id"), 30).get_page(f.get("page"))
    return render(request, "sales/sale_list.html", {"page": page, "f": f, "can_sell": _can_sell(user)})


@login_required
def sale_new(request):
    user = request.user
    if not _can_sell(user):
        raise Http404
    form = SaleForm(request.POST or None, user=user, initial={"sold_on": timezone.localdate()})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.record_sale(
                    user,
                    customer_id=d["customer"].pk,
                    product_id=d["product"].pk,
                    amount=d["amount"],
                    sold_on=d["sold_on"],
                    risk_disclosed=d["risk_disclosed"],
                    customer_confirmed=d["customer_confirmed"],
                    disclosure_note=d["disclosure_note"],
                    note=d["note"],
                )
            except ValidationError as exc:
                _apply_errors(form, exc, {"customer_id": "customer", "product_id": "product"})
            else:
                messages.success(request, _("营销业绩已登记。"))
                return redirect("sales:sale_list")
        status = 422
    return render(
        request, "sales/form.html", {"form": form, "title": _("登记营销业绩"), "testid": "sale-form"}, status=status
    )


# --- segments and campaigns ---------------------------------------------------------------------------------


def _is_lead(user):
    return user.has_role(*SUPERVISORS)


@login_required
def segment_list(request):
    user = request.user
    if not _is_lead(user):
        raise Http404
    form = SegmentForm(request.POST or None)
    status = 200
    count = None
    if request.method == "POST":
        if form.is_valid():
            try:
                criteria = services.clean_criteria(form.criteria())
                if request.POST.get("preview"):
                    count = services.segment_customers(user, criteria).count()
                else:
                    services.save_segment(user, name=form.cleaned_data["name"], criteria=criteria)
                    messages.success(request, _("目标客群已保存。"))
                    return redirect("sales:segment_list")
            except ValidationError as exc:
                for field, msgs in errors_by_field(exc).items():
                    name = field.removeprefix("criteria.")
                    for m in msgs:
                        form.add_error(name if name in form.fields else None, m)
        if not form.is_valid() or form.errors:
            status = 422
        if request.headers.get("HX-Request") and count is not None:
            return render(request, "sales/_count.html", {"count": count})
    segments = [
        {"segment": s, "count": services.segment_customers(user, s.criteria).count()}
        for s in visible_segments(user).order_by("-created_at")[:30]
    ]
    return render(
        request, "sales/segment_list.html", {"form": form, "segments": segments, "count": count}, status=status
    )


@login_required
def campaign_list(request):
    user = request.user
    qs = visible_campaigns(user).select_related("unit", "segment").order_by("-starts_on", "-id")
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(request, "sales/campaign_list.html", {"page": page, "can_launch": _is_lead(user)})


@login_required
def campaign_new(request):
    user = request.user
    if not _is_lead(user):
        raise Http404
    today = timezone.localdate()
    form = CampaignForm(
        request.POST or None,
        segments=visible_segments(user),
        initial={"starts_on": today, "ends_on": today + timedelta(days=30), "target_count": 0, "target_amount": 0},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                campaign = services.launch_campaign(
                    user,
                    name=d["name"],
                    segment_id=d["segment"].pk,
                    starts_on=d["starts_on"],
                    ends_on=d["ends_on"],
                    product_ids=[p.pk for p in d["products"]],
                    script=d["script"],
                    target_count=d["target_count"],
                    target_amount=d["target_amount"],
                )
            except ValidationError as exc:
                _apply_errors(form, exc, {"segment_id": "segment", "product_ids": "products"})
            else:
                messages.success(request, _("营销活动已发起，客户名单已分发给客户经理。"))
                return redirect("sales:campaign_detail", campaign.pk)
        status = 422
    return render(
        request, "sales/form.html", {"form": form, "title": _("发起营销活动"), "testid": "campaign-form"}, status=status
    )


def _render_campaign(request, campaign, *, split_errors=None, split_quota=None, status=200):
    user = request.user
    progress = services.campaign_progress(user, campaign)
    splittable = {}
    for row in progress["quotas"]:
        q = row["quota"]
        if q.unit_id and _is_lead(user) and covers(user, q.org_path, write=True):
            children, rms = services.split_candidates(q)
            existing = {(c.unit_id, c.rm_id): c for c in q.children.all()}
            row["split"] = splittable[q.pk] = {
                "units": [(u, existing.get((u.pk, None))) for u in children],
                "rms": [(r, existing.get((None, r.pk))) for r in rms],
            }
    mine = (
        visible_targets(user)
        .filter(campaign=campaign)
        .select_related("customer", "rm")
        .order_by("status", "customer__name")
    )
    if not _is_lead(user):
        mine = mine.filter(rm=user) if user.has_role(RoleCode.RM) else mine
    return render(
        request,
        "sales/campaign_detail.html",
        {
            "campaign": campaign,
            "products": list(campaign.products.all()),
            "progress": progress,
            "splittable": splittable,
            "split_errors": split_errors or {},
            "split_quota": split_quota,
            "targets": list(mine[:200]),
            "result_choices": [c for c in TargetStatus.choices if c[0] != "pending"],
            "can_sell": _can_sell(user),
            "can_edit": campaign.status == "active"
            and _is_lead(user)
            and visible_campaigns(user, write=True).filter(pk=campaign.pk).exists(),
        },
        status=status,
    )


@login_required
def campaign_detail(request, pk):
    return _render_campaign(request, get_campaign_or_404(request.user, pk))


def _campaign_for_change(user, pk):
    """A campaign the user may edit: out of read scope 404, readable but not theirs 404 as well (the
    page is the change form; the service answers 403 to the API)."""
    campaign = get_campaign_or_404(user, pk)
    if not _is_lead(user) or not visible_campaigns(user, write=True).filter(pk=pk).exists():
        raise Http404
    return campaign


def _render_campaign_edit(request, campaign, form, cancel_form, status=200):
    return render(
        request,
        "sales/campaign_edit.html",
        {"campaign": campaign, "form": form, "cancel_form": cancel_form},
        status=status,
    )


@login_required
def campaign_edit(request, pk):
    """Edit a running campaign, or cancel it (SPEC §4); a stale version is refused (409)."""
    user = request.user
    campaign = _campaign_for_change(user, pk)
    initial = {
        "name": campaign.name,
        "ends_on": campaign.ends_on,
        "products": list(campaign.products.all()),
        "script": campaign.script,
        "target_count": campaign.target_count,
        "target_amount": campaign.target_amount,
    }
    form = CampaignEditForm(request.POST or None, campaign=campaign, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.edit_campaign(
                    user,
                    campaign.pk,
                    version=request.POST.get("version"),
                    name=d["name"],
                    ends_on=d["ends_on"],
                    product_ids=[p.pk for p in d["products"]],
                    script=d["script"],
                    target_count=d["target_count"],
                    target_amount=d["target_amount"],
                )
            except StaleVersion as exc:
                form.add_error(None, exc.messages[0])
                status = 409
            except ValidationError as exc:
                _apply_errors(form, exc, {"product_ids": "products"})
                status = 422
            else:
                messages.success(request, _("营销活动已修改。"))
                return redirect("sales:campaign_detail", campaign.pk)
        else:
            status = 422
    return _render_campaign_edit(request, campaign, form, CampaignCancelForm(), status)


@login_required
@require_POST
def campaign_cancel(request, pk):
    user = request.user
    campaign = _campaign_for_change(user, pk)
    cancel_form = CampaignCancelForm(request.POST)
    status = 422
    if cancel_form.is_valid():
        try:
            services.cancel_campaign(
                user, campaign.pk, version=request.POST.get("version"), reason=cancel_form.cleaned_data["reason"]
            )
        except StaleVersion as exc:
            cancel_form.add_error(None, exc.messages[0])
            status = 409
        except ValidationError as exc:
            _apply_errors(cancel_form, exc)
        else:
            messages.success(request, _("营销活动已取消。"))
            return redirect("sales:campaign_detail", campaign.pk)
    form = CampaignEditForm(campaign=campaign, initial={"name": campaign.name})
    return _render_campaign_edit(request, campaign, form, cancel_form, status)


@login_required
@require_POST
def quota_split(request, pk):
    user = request.user
    quota = visible_quotas(user).select_related("campaign").filter(pk=pk).first()
    if quota is None:
        raise Http404
    shares = []
    try:
        for key in request.POST:
            if key.startswith("count_"):
                who = key.removeprefix("count_")
                count = request.POST.get(key) or "0"
                amount = _decimal(request.POST.get(f"amount_{who}") or "0", f"amount_{who}")
                kind, _sep, ident = who.partition("_")
                share = {"target_count": _int(count, "shares"), "target_amount": amount}
                share["unit_id" if kind == "u" else "rm_id"] = _int(ident, "shares")
                if share["target_count"] or share["target_amount"]:
                    shares.append(share)
        services.split_quota(user, quota.pk, shares=shares, version=request.POST.get("version"))
    except ValidationError as exc:
        return _render_campaign(
            request, quota.campaign, split_errors=errors_by_field(exc), split_quota=quota.pk, status=422
        )
    messages.success(request, _("任务已分解。"))
    return redirect("sales:campaign_detail", quota.campaign_id)


@login_required
@require_POST
def target_result(request, pk):
    user = request.user
    target = visible_targets(user).select_related("campaign").filter(pk=pk).first()
    if target is None:
        raise Http404
    form = ResultForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(dict(form.errors.items()))
        services.record_result(
            user,
            target.pk,
            status=form.cleaned_data["status"],
            version=request.POST.get("version"),
            refusal_reason=form.cleaned_data["refusal_reason"],
            note=form.cleaned_data["note"],
        )
    except ValidationError as exc:
        messages.error(request, "；".join(m for ms in errors_by_field(exc).values() for m in ms))
        response = _render_campaign(request, target.campaign, status=422)
        return response
    messages.success(request, _("营销结果已记录。"))
    return redirect("sales:campaign_detail", target.campaign_id)


# --- tasks ---------------------------------------------------------------------------------------------------


def _assignees(user):
    paths = list(User.objects.filter(is_active=True, roles__code=RoleCode.RM).select_related("team", "unit").distinct())
    ids = [u.pk for u in paths if covers(user, (u.team or u.unit).path if (u.team or u.unit) else "", write=True)]
    return User.objects.filter(pk__in=ids).order_by("username")


@login_required
def task_list(request):
    user = request.user
    qs = visible_tasks(user).select_related("assignee", "assigned_by", "campaign").order_by("status", "due_on")
    form = None
    status = 200
    if _is_lead(user):
        form = TaskForm(request.POST or None, assignees=_assignees(user))
        if request.method == "POST":
            if form.is_valid():
                d = form.cleaned_data
                try:
                    services.assign_task(
                        user,
                        assignee_id=d["assignee"].pk,
                        title=d["title"],
                        due_on=d["due_on"],
                        target_count=d["target_count"],
                        target_amount=d["target_amount"],
                    )
                except ValidationError as exc:
                    _apply_errors(form, exc, {"assignee_id": "assignee"})
                else:
                    messages.success(request, _("营销任务已下达。"))
                    return redirect("sales:task_list")
            status = 422
    elif request.method == "POST":
        raise Http404
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "sales/task_list.html",
        {"page": page, "form": form, "open": TaskStatus.OPEN},
        status=status,
    )


@login_required
@require_POST
def task_progress(request, pk):
    user = request.user
    task = visible_tasks(user).filter(pk=pk).first()
    if task is None:
        raise Http404
    try:
        services.report_task_progress(
            user,
            task.pk,
            done_count=_int(request.POST.get("done_count"), "done_count"),
            done_amount=_decimal(request.POST.get("done_amount") or "0", "done_amount"),
            version=request.POST.get("version"),
        )
    except ValidationError as exc:
        messages.error(request, "；".join(m for ms in errors_by_field(exc).values() for m in ms))
        return redirect("sales:task_list")
    messages.success(request, _("任务进度已更新。"))
    return redirect("sales:task_list")


# --- referrals -------------------------------------------------------------------------------------------------


@login_required
def referral_list(request):
    user = request.user
    is_referrer = user.has_role(RoleCode.REFERRER)
    if not (is_referrer or user.has_role(*WORKERS, RoleCode.RISK, RoleCode.COMPLIANCE, RoleCode.ASSISTANT)):
        raise Http404
    # a POST by someone else is answered like the API: a field error on 推介人 (422), nothing written
    show_form = is_referrer or request.method == "POST"
    form = ReferralForm(request.POST or None, initial={"referrer": user.display_name}) if show_form else None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.refer(user, customer_no=d["customer_no"], need=d["need"], category=d["category"])
            except ValidationError as exc:
                _apply_errors(form, exc, {"rm_id": "customer_no"})
            else:
                messages.success(request, _("推介已提交给客户经理。"))
                return redirect("sales:referral_list")
        else:
            try:
                services.check_referrer(user)
            except ValidationError as exc:
                _apply_errors(form, exc)
        status = 422
    qs = visible_referrals(user).select_related("customer", "rm", "referrer").order_by("-created_at", "-id")
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "sales/referral_list.html",
        {
            "page": page,
            "form": form,
            "is_referrer": is_referrer,
            "stats": services.referral_stats(user),
            "outlets": services.referral_stats(user, by="outlet"),
            "products": Product.objects.filter(is_active=True),
        },
        status=status,
    )


@login_required
@require_POST
def referral_decide(request, pk):
    user = request.user
    referral = visible_referrals(user).filter(pk=pk).first()
    if referral is None:
        raise Http404
    p = request.POST
    try:
        if p.get("decision") == "accept":
            services.accept_referral(
                user,
                referral.pk,
                version=p.get("version"),
                product_id=_int(p["product_id"], "product_id") if p.get("product_id") else None,
            )
        else:
            services.decline_referral(user, referral.pk, version=p.get("version"), reason=p.get("reason", ""))
    except ValidationError as exc:
        messages.error(request, "；".join(m for ms in errors_by_field(exc).values() for m in ms))
        return redirect("sales:referral_list")
    messages.success(request, _("推介已处理。"))
    return redirect("sales:referral_list")


# --- analysis: funnel, cross-sell ------------------------------------------------------------------------------


@login_required
def analysis(request):
    user = request.user
    if not user.has_role(*WORKERS, RoleCode.RISK, RoleCode.COMPLIANCE, RoleCode.ASSISTANT):
        raise Http404
    group = request.GET.get("by") if request.GET.get("by") in ("rm", "team", "unit") else "rm"
    opps = visible_opportunities(user)
    overall = services.funnel(opps)[0]
    groups = services.funnel(opps, group=group)
    from rmdesk.customers.scope import visible_customers

    customers = visible_customers(user).filter(merged_into__isnull=True, a_rm__isnull=False)
    cross = services.cross_sell(customers, group=group)
    data = [{"name": str(lv["stage"].name), "value": lv["count"]} for lv in overall["levels"]]
    chart = {  # drawn by static/rmdesk/charts.js (no inline script); the numbers are in the table below it
        "id": "sales-funnel",
        "title": "",
        "option": {
            "tooltip": {"trigger": "item"},
            "series": [{"type": "funnel", "sort": "none", "left": "10%", "width": "80%", "data": data}],
        },
        "height": 320,
    }
    return render(
        request,
        "sales/analysis.html",
        {
            "overall": overall,
            "groups": groups,
            "group": group,
            "cross": cross,
            "categories": ProductCategory.choices,
            "chart": chart,
        },
    )


@login_required
def funnel_stage(request, stage_id):
    """Drill-down from a funnel figure to the opportunities behind it, in the viewer's scope (SPEC §4):
    the whole funnel, or one RM / team / unit row (`?by=rm&key=<id>`; an empty key is the row without a
    team or unit)."""
    user = request.user
    if not user.has_role(*WORKERS, RoleCode.RISK, RoleCode.COMPLIANCE, RoleCode.ASSISTANT):
        raise Http404
    stage = next((s for s in services.stages() if s.pk == stage_id and s.kind != StageKind.LOST), None)
    if stage is None:
        raise Http404
    group = request.GET.get("by") if request.GET.get("by") in services.FUNNEL_GROUPS else None
    key = None
    if group:
        raw = request.GET.get("key", "")
        if raw:
            try:
                key = int(raw)
            except ValueError:
                raise Http404 from None
    qs = services.funnel_members(visible_opportunities(user), stage, group=group, key=key)
    qs = qs.select_related("customer", "product", "stage", "owner").order_by("-created_at", "-id")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "sales/funnel_stage.html",
        {"stage": stage, "page": page, "group": group or "", "key": "" if key is None else key},
    )


# --- materials, hand-outs and nominations ---------------------------------------------------------------------


@login_required
def material_list(request):
    user = request.user
    if not user.has_role(*WORKERS, RoleCode.RISK, RoleCode.COMPLIANCE, RoleCode.ASSISTANT):
        raise Http404
    form = HandoutForm(request.POST or None, user=user) if _can_sell(user) else None
    nform = NominationForm(user=user) if user.has_role(RoleCode.RM) else None
    status = 200
    if request.method == "POST":
        if form is None:
            raise Http404
        if request.POST.get("nominate"):
            nform = NominationForm(request.POST, user=user)
            form = HandoutForm(user=user)
            if nform.is_valid():
                d = nform.cleaned_data
                try:
                    services.nominate(
                        user,
                        customer_id=d["customer"].pk,
                        material_id=d["material"].pk,
                        quantity=d["quantity"],
                        reason=d["reason"],
                    )
                except ValidationError as exc:
                    _apply_errors(nform, exc, {"customer_id": "customer", "material_id": "material"})
                else:
                    messages.success(request, _("推选已提交，待市场经理复核。"))
                    return redirect("sales:material_list")
            status = 422
        elif form.is_valid():
            d = form.cleaned_data
            try:
                handout = services.hand_out(
                    user, material_id=d["material"].pk, customer_id=d["customer"].pk, quantity=d["quantity"]
                )
            except ValidationError as exc:
                _apply_errors(form, exc, {"customer_id": "customer", "material_id": "material"})
                status = 422
            else:
                messages.success(request, _("已发放，请打印签收单交客户签收。"))
                return redirect("sales:handout_sheet", handout.pk)
        else:
            status = 422
    handouts = visible_handouts(user).select_related("material", "customer", "handed_by").order_by("-handed_at")[:50]
    nominations = visible_nominations(user).select_related("customer", "material", "rm").order_by("-created_at")[:50]
    return render(
        request,
        "sales/material_list.html",
        {
            "materials": Material.objects.filter(is_active=True),
            "handouts": list(handouts),
            "nominations": list(nominations),
            "form": form,
            "nform": nform,
        },
        status=status,
    )


def _handout_or_404(user, pk):
    handout = (
        visible_handouts(user).select_related("material", "customer", "handed_by", "campaign").filter(pk=pk).first()
    )
    if handout is None:
        raise Http404
    return handout


@login_required
def handout_sheet(request, pk):
    """The printable sign-off sheet (宣传促销品签收单)."""
    handout = _handout_or_404(request.user, pk)
    return render(request, "sales/handout_sheet.html", {"h": handout, "can_sign": _can_sell(request.user)})


@login_required
@require_POST
def handout_sign(request, pk):
    handout = _handout_or_404(request.user, pk)
    try:
        services.sign_handout(request.user, handout.pk, signed_by=request.POST.get("signed_by", ""))
    except ValidationError as exc:
        messages.error(request, "；".join(m for ms in errors_by_field(exc).values() for m in ms))
    return redirect("sales:handout_sheet", handout.pk)


@login_required
@require_POST
def nomination_hand_out(request, pk):
    nomination = visible_nominations(request.user).filter(pk=pk).first()
    if nomination is None:
        raise Http404
    try:
        handout = services.hand_out_nomination(request.user, nomination.pk)
    except ValidationError as exc:
        messages.error(request, "；".join(m for ms in errors_by_field(exc).values() for m in ms))
        return redirect("sales:material_list")
    return redirect("sales:handout_sheet", handout.pk)


@login_required
@require_POST
def recommend(request, customer_pk):
    """Recommend a product from the customer's 360° page (suitability checked)."""
    from rmdesk.customers.scope import get_customer_or_404

    customer = get_customer_or_404(request.user, customer_pk)
    try:
        services.recommend_product(
            request.user,
            customer_id=customer.pk,
            product_id=_int(request.POST.get("product_id"), "product_id"),
            note=request.POST.get("note", ""),
        )
    except ValidationError as exc:
        messages.error(request, "；".join(m for ms in errors_by_field(exc).values() for m in ms))
    else:
        messages.success(request, _("产品推荐已记录。"))
    return redirect("customers:detail", customer.pk)
