"""Forms of the credit pages (SPEC §6): input parsing only; the business rules stay in services.py."""

from django import forms
from django.utils.translation import gettext_lazy as _

from rmdesk.core.bounds import MAX_DAY, MIN_DAY

from .models import Classification, CreditProduct, MaterialKind, RatingGrade, WarningCategory, WarningLevel

DATE = forms.DateInput(attrs={"type": "date"})


class ApplicationForm(forms.Form):
    customer = forms.CharField(label=_("借款人（客户号或名称）"), max_length=120)
    product = forms.ModelChoiceField(label=_("信贷产品"), queryset=CreditProduct.objects.filter(is_active=True))
    amount = forms.DecimalField(label=_("申请金额（元）"), max_digits=18, decimal_places=2)
    term_months = forms.IntegerField(label=_("期限（月）"), min_value=0, max_value=600)
    purpose = forms.CharField(label=_("借款用途"), max_length=200)
    repayment_source = forms.CharField(label=_("还款来源"), max_length=200, required=False)
    collateral = forms.CharField(label=_("担保方式及抵质押物"), max_length=200, required=False)
    guarantor = forms.CharField(label=_("担保人（选填）"), max_length=120, required=False)
    guarantor_relation = forms.CharField(label=_("担保人与借款人关系"), max_length=60, required=False)


class MaterialForm(forms.Form):
    kind = forms.ChoiceField(label=_("资料类型"), choices=MaterialKind.choices)
    file = forms.FileField(label=_("文件"))


class LoanForm(forms.Form):
    cms_ref = forms.CharField(label=_("借据号（CMS）"), max_length=40)
    amount = forms.DecimalField(label=_("放款金额（元）"), max_digits=18, decimal_places=2)
    start_on = forms.DateField(label=_("放款日"), widget=DATE)
    end_on = forms.DateField(label=_("到期日"), widget=DATE)
    rate = forms.DecimalField(label=_("年利率（%）"), max_digits=6, decimal_places=3)

    def clean(self):
        data = super().clean()
        for name in ("start_on", "end_on"):
            day = data.get(name)
            if day and not (MIN_DAY <= day <= MAX_DAY):
                self.add_error(name, _("日期超出范围。"))
        return data


class ClassifyForm(forms.Form):
    classification = forms.ChoiceField(label=_("五级分类"), choices=Classification.choices)
    reason = forms.CharField(label=_("分类理由"), max_length=200)


class RatingForm(forms.Form):
    """The annual credit rating and credit line of a customer (信用等级与授信, seed 001:1155)."""

    customer = forms.CharField(label=_("客户（客户号或名称）"), max_length=120)
    year = forms.IntegerField(label=_("评级年度"), min_value=1900, max_value=2999)
    grade = forms.ChoiceField(label=_("信用等级"), choices=RatingGrade.choices)
    credit_line = forms.DecimalField(label=_("授信额度（元）"), max_digits=18, decimal_places=2, min_value=0)
    note = forms.CharField(label=_("评级说明"), max_length=200, required=False)


class WarningForm(forms.Form):
    customer = forms.CharField(label=_("客户（客户号或名称）"), max_length=120)
    category = forms.ChoiceField(label=_("预警类别"), choices=WarningCategory.choices)
    level = forms.ChoiceField(label=_("预警级别"), choices=WarningLevel.choices)
    title = forms.CharField(label=_("预警信号"), max_length=200)
    detail = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
