"""Forms of the service app; the business rules stay in services.py."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import CaseCategory, CaseKind, Channel, RetentionKind, Severity, SurveyTemplate, WatchReason

SUGGEST = {
    "list": "customer-options",
    "autocomplete": "off",
    "hx-get": "/service/customers/suggest/",
    "hx-trigger": "keyup changed delay:300ms",
    "hx-target": "#customer-options",
}


class CaseForm(forms.Form):
    customer = forms.CharField(label=_("客户（客户号或名称）"), max_length=120, widget=forms.TextInput(attrs=SUGGEST))
    kind = forms.ChoiceField(label=_("类型"), choices=CaseKind.choices, initial=CaseKind.COMPLAINT)
    channel = forms.ChoiceField(label=_("渠道"), choices=Channel.choices)
    category = forms.ModelChoiceField(label=_("类别"), queryset=CaseCategory.objects.filter(is_active=True))
    severity = forms.ChoiceField(label=_("严重程度"), choices=Severity.choices, initial=Severity.NORMAL)
    product = forms.CharField(label=_("涉及产品"), max_length=100, required=False)
    title = forms.CharField(label=_("标题"), max_length=120)
    description = forms.CharField(label=_("问题描述"), widget=forms.Textarea(attrs={"rows": 5}))
    attachment = forms.FileField(label=_("附件"), required=False)


class RoundForm(forms.Form):
    template = forms.ModelChoiceField(label=_("问卷"), queryset=SurveyTemplate.objects.filter(is_active=True))
    name = forms.CharField(label=_("名称"), max_length=100)
    tiers = forms.MultipleChoiceField(label=_("客户层级"), required=False, widget=forms.CheckboxSelectMultiple)
    stages = forms.MultipleChoiceField(label=_("生命周期阶段"), required=False, widget=forms.CheckboxSelectMultiple)
    due_on = forms.DateField(label=_("截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from rmdesk.customers.models import Stage, Tier

        self.fields["tiers"].choices = [
            (t.pk, t.name) for t in Tier.objects.select_related("rule_set").order_by("-rank")
        ]
        self.fields["stages"].choices = [c for c in Stage.choices if c[0] != Stage.LOST]


class WatchForm(forms.Form):
    customer = forms.CharField(label=_("客户（客户号或名称）"), max_length=120, widget=forms.TextInput(attrs=SUGGEST))
    reason = forms.ChoiceField(label=_("列入原因"), choices=WatchReason.choices, initial=WatchReason.MANUAL)
    note = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class ActionForm(forms.Form):
    kind = forms.ChoiceField(label=_("挽留措施"), choices=RetentionKind.choices)
    description = forms.CharField(label=_("内容"), max_length=200)
    due_on = forms.DateField(label=_("计划完成日期"), widget=forms.DateInput(attrs={"type": "date"}))
