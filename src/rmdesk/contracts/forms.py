"""Forms of the contract pages (SPEC §7): input parsing only; the business rules stay in services.py."""

from django import forms
from django.utils.translation import gettext_lazy as _

from rmdesk.core.bounds import MAX_DAY, MIN_DAY

from .models import ContractKind, Renewal

DATE = forms.DateInput(attrs={"type": "date"})
AREA = forms.Textarea(attrs={"rows": 2})


class _Dates(forms.Form):
    """Dates outside what the calendar holds are refused next to their field."""

    def clean(self):
        data = super().clean()
        for name, field in self.fields.items():
            if isinstance(field, forms.DateField) and data.get(name) and not (MIN_DAY <= data[name] <= MAX_DAY):
                self.add_error(name, _("日期超出范围。"))
        return data


class TermsForm(_Dates):
    """The seven key terms (seed 004:78); blank is allowed while drafting, never at submission."""

    subject = forms.CharField(label=_("标的"), required=False, widget=AREA)
    quantity = forms.CharField(label=_("数量"), required=False, max_length=200)
    price = forms.CharField(label=_("价格"), required=False, max_length=200)
    term = forms.CharField(label=_("履行期限"), required=False, max_length=200)
    place_method = forms.CharField(label=_("地点和方式"), required=False, max_length=200)
    liability = forms.CharField(label=_("违约责任"), required=False, widget=AREA)
    disputes = forms.CharField(label=_("争议解决"), required=False, widget=AREA)


class DealForm(TermsForm):
    title = forms.CharField(label=_("合同名称"), max_length=200)
    party_a = forms.CharField(label=_("甲方"), max_length=120, required=False)
    amount = forms.DecimalField(label=_("合同金额（元）"), max_digits=18, decimal_places=2)
    start_on = forms.DateField(label=_("开始日期"), widget=DATE)
    end_on = forms.DateField(label=_("结束日期"), widget=DATE)

    field_order = ["title", "party_a", "amount", "start_on", "end_on"]


class ContractForm(DealForm):
    customer = forms.CharField(label=_("客户（客户号或名称）"), max_length=120)
    kind = forms.ChoiceField(label=_("合同类型"), choices=ContractKind.choices)
    credit_application = forms.IntegerField(
        label=_("关联授信申请编号（选填）"), required=False, min_value=1, max_value=2**63 - 1
    )

    opportunity = forms.IntegerField(label=_("关联商机编号（选填）"), required=False, min_value=1, max_value=2**63 - 1)

    field_order = [
        "customer",
        "kind",
        "title",
        "party_a",
        "amount",
        "start_on",
        "end_on",
        "credit_application",
        "opportunity",
    ]


class SignForm(_Dates):
    signed_on = forms.DateField(label=_("签署日期"), widget=DATE)
    signatories = forms.CharField(label=_("签署人"), max_length=200)
    scan = forms.FileField(label=_("签署扫描件"))


class BorrowForm(_Dates):
    purpose = forms.CharField(label=_("调阅用途"), max_length=200)
    due_on = forms.DateField(label=_("应归还日期"), widget=DATE)


class InstallmentForm(_Dates):
    due_on = forms.DateField(label=_("应收日期"), widget=DATE)
    amount = forms.DecimalField(label=_("应收金额（元）"), max_digits=18, decimal_places=2)


class PaymentForm(_Dates):
    amount = forms.DecimalField(label=_("回款金额（元）"), max_digits=18, decimal_places=2)
    paid_on = forms.DateField(label=_("回款日期"), widget=DATE)
    note = forms.CharField(label=_("备注"), max_length=200, required=False)


class FollowUpForm(_Dates):
    note = forms.CharField(label=_("跟催情况"), max_length=500)
    next_on = forms.DateField(label=_("下次跟催日期"), widget=DATE, required=False)


class RenewalForm(forms.Form):
    decision = forms.ChoiceField(label=_("续签决定"), choices=Renewal.choices, widget=forms.RadioSelect)
    reason = forms.CharField(label=_("不续签原因"), max_length=200, required=False)


class TemplateForm(forms.Form):
    kind = forms.ChoiceField(label=_("合同类型"), choices=ContractKind.choices)
    name = forms.CharField(label=_("模板名称"), max_length=100)
    body = forms.CharField(label=_("模板正文"), widget=forms.Textarea(attrs={"rows": 18}))


class PolicyForm(forms.Form):
    expiry_window_days = forms.IntegerField(label=_("到期提醒窗口（天）"), min_value=1, max_value=365)
    bad_debt_target = forms.DecimalField(label=_("坏帐率目标上限（%）"), max_digits=5, decimal_places=2)
    collection_target = forms.DecimalField(label=_("回款率目标（%）"), max_digits=5, decimal_places=2)
