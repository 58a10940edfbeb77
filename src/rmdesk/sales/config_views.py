"""Configuration pages of the sales app (SPEC §4): funnel stages, lost reasons, next-best-product rules and
promotional materials with their stock. Thin views over sales/config.py (the API calls the same
services): a list with a create form, an edit page with the `version` read (stale: 409 and a message on
the page), field errors next to the fields (422). Only the administrator and the product manager: 403."""

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import fields_for_model
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _, gettext_lazy
from django.views.decorators.http import require_POST

from rmdesk.core.actions import StaleVersion
from rmdesk.core.forms import errors_by_field

from . import config
from .models import CrossSellRule, LostReason, Material, OpportunityStage
from .services import EDITABLE_FIELDS


def _form(model, fields, **extra):
    return type(f"{model.__name__}ConfigForm", (forms.Form,), {**fields_for_model(model, fields=fields), **extra})


StageForm = _form(
    OpportunityStage,
    ["code", "name", "order", "kind", "probability", "is_active"],
    required_fields=forms.MultipleChoiceField(
        label=gettext_lazy("进入本阶段须填写"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(k, EDITABLE_FIELDS[k]) for k in config.REQUIRED_CHOICES],
    ),
)
LostReasonForm = _form(LostReason, ["code", "name", "order", "is_active"])
RuleForm = _form(
    CrossSellRule,
    ["name", "holds_category", "lacks_category", "min_tolerance", "min_aum", "product", "reason", "order", "is_active"],
)
MaterialForm = _form(Material, ["name", "unit_name", "stock", "is_active"])
MaterialEditForm = _form(Material, ["name", "unit_name", "is_active"])


class ReceiptForm(forms.Form):
    quantity = forms.IntegerField(label=gettext_lazy("数量（入库为正，报损为负）"))
    note = forms.CharField(label=gettext_lazy("说明"), max_length=200, required=False)


@dataclass(frozen=True)
class Kind:
    title: object
    model: type
    create_form: type
    edit_form: type
    create: object
    update: object
    columns: tuple  # (attribute or callable, header)
    to_service: dict  # form field -> service field
    clean: object = None  # the service's validation (data, instance) -> cleaned; for the form's own errors

    def values(self, cleaned: dict) -> dict:
        out = {}
        for name, value in cleaned.items():
            if name in self.to_service:
                name, value = self.to_service[name], getattr(value, "pk", value)
            out[name] = value
        return out

    def initial(self, obj) -> dict:
        return {
            name: getattr(obj, name + "_id" if name in self.to_service else name) for name in self.edit_form.base_fields
        }


def _yes(v):
    return _("是") if v else _("否")


#: the lists show names, not codes: a code such as "lost" or "risk" would read as a raw code on the screen
#: (tests/test_labels.py); the code is in the edit form and the API
KINDS = {
    "stages": Kind(
        gettext_lazy("商机阶段"),
        OpportunityStage,
        StageForm,
        StageForm,
        config.create_stage,
        config.update_stage,
        (
            ("order", gettext_lazy("顺序")),
            ("name", gettext_lazy("名称")),
            (lambda o: o.get_kind_display(), gettext_lazy("类型")),
            (lambda o: f"{o.probability}%", gettext_lazy("默认赢单概率")),
            (
                lambda o: "、".join(str(EDITABLE_FIELDS.get(f, f)) for f in o.required_fields) or "—",
                gettext_lazy("须填写"),
            ),
            (lambda o: _yes(o.is_active), gettext_lazy("启用")),
        ),
        {},
        config.clean_stage,
    ),
    "lost-reasons": Kind(
        gettext_lazy("失败原因"),
        LostReason,
        LostReasonForm,
        LostReasonForm,
        config.create_lost_reason,
        config.update_lost_reason,
        (
            ("order", gettext_lazy("顺序")),
            ("name", gettext_lazy("名称")),
            (lambda o: _yes(o.is_active), gettext_lazy("启用")),
        ),
        {},
        config.clean_lost_reason,
    ),
    "cross-sell-rules": Kind(
        gettext_lazy("交叉销售提示规则"),
        CrossSellRule,
        RuleForm,
        RuleForm,
        config.create_rule,
        config.update_rule,
        (
            ("order", gettext_lazy("顺序")),
            ("name", gettext_lazy("规则名称")),
            (lambda o: o.get_holds_category_display() or "—", gettext_lazy("已持有类别")),
            (lambda o: o.get_lacks_category_display(), gettext_lazy("未持有类别")),
            (lambda o: o.get_min_tolerance_display() or "—", gettext_lazy("最低风险承受能力")),
            ("min_aum", gettext_lazy("金融资产不低于（元）")),
            (lambda o: o.product.name, gettext_lazy("推荐产品")),
            (lambda o: _yes(o.is_active), gettext_lazy("启用")),
        ),
        {"product": "product_id"},
        config.clean_rule,
    ),
    "materials": Kind(
        gettext_lazy("宣传促销品与库存"),
        Material,
        MaterialForm,
        MaterialEditForm,
        config.create_material,
        config.update_material,
        (
            ("name", gettext_lazy("名称")),
            ("unit_name", gettext_lazy("单位")),
            ("stock", gettext_lazy("库存")),
            (lambda o: _yes(o.is_active), gettext_lazy("启用")),
        ),
        {},
        lambda data, instance: config.clean_material(data, instance, with_stock=instance is None),
    ),
}


def _kind(request, kind) -> Kind:
    if not config.may_configure(request.user):
        raise PermissionDenied
    if kind not in KINDS:
        raise Http404
    return KINDS[kind]


def _apply(form, exc: ValidationError, to_form: dict):
    for field, msgs in errors_by_field(exc).items():
        name = to_form.get(field, field)
        for msg in msgs:
            form.add_error(name if name in form.fields else None, msg)


def _invalid(form, spec: Kind, data, instance):
    """The form could not parse some fields: let the service's validation name the others too, so every
    error shows at once (the same messages the API gives)."""
    raw = {}
    for name, field in form.fields.items():
        value = data.getlist(name) if isinstance(field, forms.MultipleChoiceField) else data.get(name)
        if isinstance(field, forms.BooleanField):
            value = bool(value)
        raw[spec.to_service.get(name, name)] = value
    try:
        spec.clean(raw, instance)
    except ValidationError as exc:
        to_form = {v: k for k, v in spec.to_service.items()}
        for field, msgs in errors_by_field(exc).items():
            name = to_form.get(field, field)
            if name in form.fields and name not in form.errors:
                for msg in msgs:
                    form.add_error(name, msg)


def _rows(spec: Kind):
    qs = spec.model.objects.all()
    if spec.model is CrossSellRule:
        qs = qs.select_related("product")
    rows = []
    for obj in qs:
        cells = [col(obj) if callable(col) else getattr(obj, col) for col, _h in spec.columns]
        rows.append({"obj": obj, "cells": cells})
    return rows


def _nav():
    return [(key, spec.title) for key, spec in KINDS.items()]


@login_required
def config_list(request, kind):
    """The list of one configuration and its create form."""
    spec = _kind(request, kind)
    form = spec.create_form(request.POST or None, initial={"is_active": True})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                spec.create(request.user, **spec.values(form.cleaned_data))
            except ValidationError as exc:
                _apply(form, exc, {v: k for k, v in spec.to_service.items()})
                status = 422
            else:
                messages.success(request, _("已新增。"))
                return redirect("sales:config_list", kind)
        else:
            _invalid(form, spec, request.POST, None)
            status = 422
    return render(
        request,
        "sales/config_list.html",
        {
            "kind": kind,
            "spec": spec,
            "nav": _nav(),
            "headers": [h for _c, h in spec.columns],
            "rows": _rows(spec),
            "form": form,
        },
        status=status,
    )


@login_required
def config_edit(request, kind, pk):
    """Edit one record with the version read; a stale version answers 409 with a message on the page."""
    spec = _kind(request, kind)
    obj = get_object_or_404(spec.model, pk=pk)
    form = spec.edit_form(request.POST or None, initial=spec.initial(obj))
    status = 200
    version = obj.version
    if request.method == "POST":
        version = request.POST.get("version")
        if form.is_valid():
            try:
                spec.update(request.user, obj.pk, version=version, **spec.values(form.cleaned_data))
            except StaleVersion:
                form.add_error(None, _("已被他人修改：请刷新页面，查看最新内容后再修改。"))
                status = 409
            except ValidationError as exc:
                _apply(form, exc, {v: k for k, v in spec.to_service.items()})
                status = 422
            else:
                messages.success(request, _("已保存。"))
                return redirect("sales:config_list", kind)
        else:
            _invalid(form, spec, request.POST, obj)
            status = 422
    receipt = ReceiptForm() if spec.model is Material else None
    return render(
        request,
        "sales/config_edit.html",
        {"kind": kind, "spec": spec, "nav": _nav(), "obj": obj, "form": form, "version": version, "receipt": receipt},
        status=status,
    )


@login_required
@require_POST
def material_receipt(request, pk):
    """A stock receipt (入库) or write-off (报损) of a material; the stock never goes below zero."""
    spec = _kind(request, "materials")
    obj = get_object_or_404(Material, pk=pk)
    receipt = ReceiptForm(request.POST)
    if receipt.is_valid():
        try:
            config.receive_material(request.user, obj.pk, **receipt.cleaned_data)
        except ValidationError as exc:
            _apply(receipt, exc, {})
        else:
            messages.success(request, _("库存已更新。"))
            return redirect("sales:config_edit", "materials", obj.pk)
    form = spec.edit_form(initial=spec.initial(obj))
    return render(
        request,
        "sales/config_edit.html",
        {
            "kind": "materials",
            "spec": spec,
            "nav": _nav(),
            "obj": obj,
            "form": form,
            "version": obj.version,
            "receipt": receipt,
        },
        status=422,
    )
