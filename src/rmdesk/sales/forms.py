"""Forms of the sales pages (SPEC §4): input parsing only; the business rules stay in services.py."""

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from rmdesk.core.bounds import MAX_DAY, MIN_DAY
from rmdesk.customers.models import Product, ProductCategory, Stage
from rmdesk.customers.slots import CustomerPickerField

from .models import Material, TargetStatus

DATE = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
MONEY = {"max_digits": 18, "decimal_places": 2}


class _Dated(forms.Form):
    DATE_FIELDS: tuple = ()

    def clean(self):
        data = super().clean()
        for name in self.DATE_FIELDS:
            day = data.get(name)
            if day and not (MIN_DAY <= day <= MAX_DAY):
                self.add_error(name, _("日期超出范围。"))
        return data


def _products():
    return Product.objects.filter(is_active=True)


class OpportunityForm(_Dated):
    DATE_FIELDS = ("expected_on",)
    customer = CustomerPickerField(label=_("客户"))
    product = forms.ModelChoiceField(label=_("产品"), queryset=_products())
    amount = forms.DecimalField(label=_("金额（元）"), required=False, **MONEY)
    expected_on = forms.DateField(label=_("预计签约日"), required=False, widget=DATE)
    next_step = forms.CharField(label=_("下一步"), max_length=200, required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].for_user(user)


class SaleForm(_Dated):
    DATE_FIELDS = ("sold_on",)
    customer = CustomerPickerField(label=_("客户"))
    product = forms.ModelChoiceField(label=_("产品"), queryset=_products())
    amount = forms.DecimalField(label=_("金额（元）"), **MONEY)
    sold_on = forms.DateField(label=_("销售日期"), widget=DATE)
    risk_disclosed = forms.BooleanField(label=_("已向客户充分揭示产品风险"), required=False)
    customer_confirmed = forms.BooleanField(label=_("客户已签字确认知悉风险"), required=False)
    disclosure_note = forms.CharField(label=_("揭示说明"), max_length=200, required=False)
    note = forms.CharField(label=_("备注"), max_length=200, required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].for_user(user)


class SegmentForm(forms.Form):
    name = forms.CharField(label=_("客群名称"), max_length=60)
    tiers = forms.CharField(label=_("客户层级代码（逗号分隔）"), max_length=200, required=False)
    stages = forms.MultipleChoiceField(
        label=_("生命周期阶段"), choices=Stage.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    aum_min = forms.DecimalField(label=_("金融资产不低于（元）"), required=False, min_value=0, **MONEY)
    aum_max = forms.DecimalField(label=_("金融资产不高于（元）"), required=False, min_value=0, **MONEY)
    holds_category = forms.ChoiceField(
        label=_("持有产品类别"), choices=[("", "—"), *ProductCategory.choices], required=False
    )
    lacks_category = forms.ChoiceField(
        label=_("未持有产品类别"), choices=[("", "—"), *ProductCategory.choices], required=False
    )
    tags = forms.CharField(label=_("标签（逗号分隔）"), max_length=200, required=False)
    no_contact_days = forms.IntegerField(label=_("超过多少天未联系"), required=False, min_value=1, max_value=3650)
    district = forms.CharField(label=_("地址包含（区域）"), max_length=60, required=False)

    def criteria(self) -> dict:
        d = self.cleaned_data
        out = {
            k: d[k]
            for k in ("aum_min", "aum_max", "holds_category", "lacks_category", "no_contact_days", "district")
            if d.get(k) not in (None, "")
        }
        for k in ("tiers", "tags"):
            if d.get(k):
                out[k] = [v.strip() for v in d[k].replace("，", ",").split(",") if v.strip()]
        if d.get("stages"):
            out["stages"] = list(d["stages"])
        for k in ("aum_min", "aum_max"):
            if k in out:
                out[k] = str(out[k])
        return out


class CampaignForm(_Dated):
    DATE_FIELDS = ("starts_on", "ends_on")
    name = forms.CharField(label=_("活动名称"), max_length=100)
    segment = forms.ModelChoiceField(label=_("目标客群"), queryset=None)
    starts_on = forms.DateField(label=_("开始日期"), widget=DATE)
    ends_on = forms.DateField(label=_("结束日期"), widget=DATE)
    products = forms.ModelMultipleChoiceField(
        label=_("营销产品"), queryset=_products(), widget=forms.CheckboxSelectMultiple
    )
    script = forms.CharField(label=_("营销话术"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    target_count = forms.IntegerField(label=_("目标户数"), min_value=0, max_value=10**7)
    target_amount = forms.DecimalField(label=_("目标金额（元）"), min_value=0, **MONEY)

    def __init__(self, *args, segments=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["segment"].queryset = segments


class CampaignEditForm(_Dated):
    """A running campaign's editable terms (the segment, start and list stay as launched)."""

    DATE_FIELDS = ("ends_on",)
    name = forms.CharField(label=_("活动名称"), max_length=100)
    ends_on = forms.DateField(label=_("结束日期"), widget=DATE)
    products = forms.ModelMultipleChoiceField(label=_("营销产品"), queryset=None, widget=forms.CheckboxSelectMultiple)
    script = forms.CharField(label=_("营销话术"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    target_count = forms.IntegerField(label=_("目标户数"), min_value=0, max_value=10**7)
    target_amount = forms.DecimalField(label=_("目标金额（元）"), min_value=0, **MONEY)

    def __init__(self, *args, campaign=None, **kwargs):
        super().__init__(*args, **kwargs)
        current = campaign.products.values("pk") if campaign else []
        self.fields["products"].queryset = Product.objects.filter(
            models.Q(is_active=True) | models.Q(pk__in=current)
        ).distinct()


class CampaignCancelForm(forms.Form):
    reason = forms.CharField(label=_("取消原因"), max_length=200, widget=forms.Textarea(attrs={"rows": 2}))


class ResultForm(forms.Form):
    status = forms.ChoiceField(label=_("营销结果"), choices=[c for c in TargetStatus.choices if c[0] != "pending"])
    refusal_reason = forms.CharField(label=_("拒绝原因"), max_length=200, required=False)
    note = forms.CharField(label=_("备注"), max_length=200, required=False)


class TaskForm(_Dated):
    DATE_FIELDS = ("due_on",)
    assignee = forms.ModelChoiceField(label=_("执行人"), queryset=None)
    title = forms.CharField(label=_("任务名称"), max_length=100)
    target_count = forms.IntegerField(label=_("目标户数"), min_value=0, max_value=10**7, initial=0)
    target_amount = forms.DecimalField(label=_("目标金额（元）"), min_value=0, initial=0, **MONEY)
    due_on = forms.DateField(label=_("截止日期"), widget=DATE)

    def __init__(self, *args, assignees=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignees
        self.fields["assignee"].label_from_instance = lambda u: u.display_name


class ReferralForm(forms.Form):
    referrer = forms.CharField(label=_("推介人"), required=False, disabled=True)
    customer_no = forms.CharField(label=_("客户号"), max_length=32)
    category = forms.ChoiceField(label=_("需求类别"), choices=[("", "—"), *ProductCategory.choices], required=False)
    need = forms.CharField(label=_("客户需求"), max_length=200, widget=forms.Textarea(attrs={"rows": 3}))


class HandoutForm(forms.Form):
    customer = CustomerPickerField(label=_("客户"))
    material = forms.ModelChoiceField(label=_("宣传促销品"), queryset=Material.objects.filter(is_active=True))
    quantity = forms.IntegerField(label=_("数量"), min_value=1, max_value=10000, initial=1)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].for_user(user)


class NominationForm(forms.Form):
    customer = CustomerPickerField(label=_("客户"))
    material = forms.ModelChoiceField(label=_("宣传促销品"), queryset=Material.objects.filter(is_active=True))
    quantity = forms.IntegerField(label=_("数量"), min_value=1, max_value=10000, initial=1)
    reason = forms.CharField(label=_("推选理由（综合测评结果）"), max_length=200)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].for_user(user)
