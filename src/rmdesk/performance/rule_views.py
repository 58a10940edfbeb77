"""Pages of the performance app's bank-wide pay rules and promotion rules, and of a manual value with its
history (SPEC §9). Thin views over services.py: supervisors read the rules, administrators change them
(services.RULE_EDITORS); a refused change re-renders the form with the errors next to the fields (422), a
stale version is an error on the form (nothing written)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from rmdesk.core.forms import errors_by_field

from . import services
from .models import Grade, ManualValue, PayRule, PeriodType, PromotionRule, level_label
from .scope import get_manual_value_or_404, visible_manual_values


def _reader(user):
    if not services.may_read_rules(user):
        raise Http404


def _editor(user):
    if not services.may_edit_rules(user):
        raise Http404


def _row(model, pk):
    row = model.objects.filter(pk=pk).first()
    if row is None:
        raise Http404
    return row


def _plain(value) -> str:
    """A Decimal as typed by a person: 3000 rather than 3000.0000 or 3E+3."""
    return "" if value is None else f"{value.normalize():f}"


def _on(data, name) -> bool:
    return data.get(name) in ("on", "1", "true")


# --- pay rules --------------------------------------------------------------------------------------


def _pay_args(data) -> dict:
    return {
        "kind": data.get("kind", ""),
        "rm_level": data.get("rm_level", ""),
        "indicator_id": int(data["indicator"]) if (data.get("indicator") or "").isdigit() else None,
        "amount": data.get("amount", ""),
        "threshold": data.get("threshold") or None,
        "is_active": _on(data, "is_active"),
    }


def _pay_context(request, *, rule=None, errors=None, data=None) -> dict:
    rules = list(PayRule.objects.select_related("indicator").order_by("kind", "rm_level", "id"))
    for r in rules:
        r.level_text = level_label(r.rm_level) if r.rm_level else ""
    return {
        "rules": rules,
        "rule": rule,
        "kinds": PayRule.Kind.choices,
        "levels": [(code, level_label(code)) for code in services.RM_LEVELS],
        "indicators": services.library(),
        "can_edit": services.may_edit_rules(request.user),
        "errors": errors or {},
        "data": data,
    }


def _pay_form_data(rule: PayRule) -> dict:
    return {
        "kind": rule.kind,
        "rm_level": rule.rm_level,
        "indicator": str(rule.indicator_id or ""),
        "amount": _plain(rule.amount),
        "threshold": _plain(rule.threshold),
        "is_active": "on" if rule.is_active else "",
        "version": rule.version,
    }


@login_required
def pay_rule_list(request):
    """The pay rules (岗位工资 by level, 效益工资 at product prices, 奖励工资, deferred share) and, for an
    administrator, the form of a new one."""
    _reader(request.user)
    if request.method == "POST":
        _editor(request.user)
        try:
            services.save_pay_rule(request.user, **_pay_args(request.POST))
        except ValidationError as exc:
            ctx = _pay_context(request, errors=errors_by_field(exc), data=request.POST)
            return render(request, "performance/pay_rules.html", ctx, status=422)
        messages.success(request, _("薪酬规则已保存。"))
        return redirect("performance:pay_rule_list")
    return render(request, "performance/pay_rules.html", _pay_context(request, data={"is_active": "on"}))


@login_required
def pay_rule_edit(request, pk):
    _editor(request.user)
    rule = _row(PayRule, pk)
    if request.method == "POST":
        try:
            services.save_pay_rule(request.user, pk, version=request.POST.get("version"), **_pay_args(request.POST))
        except ValidationError as exc:
            ctx = _pay_context(request, rule=rule, errors=errors_by_field(exc), data=request.POST)
            return render(request, "performance/pay_rules.html", ctx, status=422)
        messages.success(request, _("薪酬规则已保存。"))
        return redirect("performance:pay_rule_list")
    return render(request, "performance/pay_rules.html", _pay_context(request, rule=rule, data=_pay_form_data(rule)))


# --- promotion rules --------------------------------------------------------------------------------


def _promotion_args(data) -> dict:
    return {
        "move": data.get("move", ""),
        "grade": data.get("grade", ""),
        "consecutive": data.get("consecutive", ""),
        "period_type": data.get("period_type", ""),
        "is_active": _on(data, "is_active"),
    }


def _promotion_context(request, *, rule=None, errors=None, data=None) -> dict:
    return {
        "rules": list(PromotionRule.objects.order_by("period_type", "move", "id")),
        "rule": rule,
        "moves": PromotionRule.Move.choices,
        "grades": Grade.choices,
        "period_types": PeriodType.choices,
        "can_edit": services.may_edit_rules(request.user),
        "errors": errors or {},
        "data": data,
    }


@login_required
def promotion_rule_list(request):
    """The promotion/demotion rules (consecutive grades → advice) and, for an administrator, a new one."""
    _reader(request.user)
    if request.method == "POST":
        _editor(request.user)
        try:
            services.save_promotion_rule(request.user, **_promotion_args(request.POST))
        except ValidationError as exc:
            ctx = _promotion_context(request, errors=errors_by_field(exc), data=request.POST)
            return render(request, "performance/promotion_rules.html", ctx, status=422)
        messages.success(request, _("晋降级规则已保存。"))
        return redirect("performance:promotion_rule_list")
    initial = {"consecutive": 2, "period_type": PeriodType.ANNUAL, "is_active": "on"}
    return render(request, "performance/promotion_rules.html", _promotion_context(request, data=initial))


@login_required
def promotion_rule_edit(request, pk):
    _editor(request.user)
    rule = _row(PromotionRule, pk)
    if request.method == "POST":
        try:
            services.save_promotion_rule(
                request.user, pk, version=request.POST.get("version"), **_promotion_args(request.POST)
            )
        except ValidationError as exc:
            ctx = _promotion_context(request, rule=rule, errors=errors_by_field(exc), data=request.POST)
            return render(request, "performance/promotion_rules.html", ctx, status=422)
        messages.success(request, _("晋降级规则已保存。"))
        return redirect("performance:promotion_rule_list")
    data = {
        "move": rule.move,
        "grade": rule.grade,
        "consecutive": rule.consecutive,
        "period_type": rule.period_type,
        "is_active": "on" if rule.is_active else "",
        "version": rule.version,
    }
    return render(request, "performance/promotion_rules.html", _promotion_context(request, rule=rule, data=data))


# --- a manual value and its history -----------------------------------------------------------------


def recent_manual_values(user, limit: int = 50):
    return visible_manual_values(user).select_related("indicator", "rm").order_by("-period_start", "-id")[:limit]


@login_required
def manual_value_detail(request, pk):
    """One manual value, its versions (who, when, note) and the form that changes it (SPEC §9)."""
    row = get_manual_value_or_404(request.user, pk)
    errors, data = {}, None
    if request.method == "POST":
        data = request.POST
        try:
            services.change_manual_value(
                request.user,
                pk,
                value=data.get("value", ""),
                note=data.get("note", ""),
                version=data.get("version"),
            )
            messages.success(request, _("已修改，原值已保留为历史版本。"))
            return redirect("performance:manual_value_detail", pk=pk)
        except ValidationError as exc:
            errors = errors_by_field(exc)
    row = ManualValue.objects.select_related("indicator", "rm", "entered_by").get(pk=row.pk)
    history = list(row.history.select_related("entered_by"))
    if data is None:
        data = {"value": _plain(row.value), "note": ""}
    return render(
        request,
        "performance/manual_value.html",
        {
            "row": row,
            "history": history,
            "errors": errors,
            "data": data,
        },
        status=422 if errors else 200,
    )
