"""Forms of the compliance pages (SPEC §8): input parsing only; the rules stay in services.py."""

from django import forms
from django.utils.translation import gettext_lazy as _

from rmdesk.core.bounds import MAX_DAY, MIN_DAY
from rmdesk.core.roles import RoleCode

from .models import AnomalyRule, ConductRule, FeeKind, GiftOutcome, PledgeKind, PledgeTemplate

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")  # what <input type=date> reads


def _day(label, **kw):
    return forms.DateField(label=label, widget=DATE, **kw)


class TemplateForm(forms.Form):
    kind = forms.ChoiceField(label=_("承诺书类型"), choices=PledgeKind.choices)
    title = forms.CharField(label=_("标题"), max_length=100)
    body = forms.CharField(label=_("正文"), widget=forms.Textarea(attrs={"rows": 14}), max_length=20000)
    signature_block = forms.CharField(
        label=_("签署栏"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=500,
        initial="承诺人:{signer}\n\n签署日期:{date}",
        help_text=_("{signer} 填签署人，{date} 填签署日期"),
    )
    is_public = forms.BooleanField(label=_("可公示"), required=False)


class RoundForm(forms.Form):
    name = forms.CharField(label=_("批次名称"), max_length=100, required=False)
    template = forms.ModelChoiceField(label=_("承诺书"), queryset=PledgeTemplate.objects.none())
    unit = forms.ModelChoiceField(label=_("机构"), queryset=None)
    roles = forms.MultipleChoiceField(
        label=_("须签署的角色"),
        choices=[c for c in RoleCode.choices if c[0] != RoleCode.ADMIN],
        widget=forms.CheckboxSelectMultiple,
        initial=[RoleCode.RM],
    )
    deadline = _day(_("截止日期"))

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from rmdesk.org.scope import visible_units

        self.fields["template"].queryset = PledgeTemplate.objects.order_by("kind", "-version")
        self.fields["template"].label_from_instance = lambda t: f"{t.title}（v{t.version}）"
        self.fields["unit"].queryset = visible_units(user).order_by("path")

    def clean_deadline(self):
        d = self.cleaned_data["deadline"]
        if not (MIN_DAY <= d <= MAX_DAY):
            raise forms.ValidationError(_("日期超出范围。"))
        return d


class SignForm(forms.Form):
    text_sha256 = forms.CharField(widget=forms.HiddenInput, max_length=64)
    read_confirmed = forms.BooleanField(label=_("本人已阅读并理解承诺书全文，自愿签署"), required=False)


class ViolationForm(forms.Form):
    person = forms.ModelChoiceField(label=_("当事人"), queryset=None)
    rule = forms.ModelChoiceField(label=_("违反条款"), queryset=None)
    occurred_on = _day(_("发生日期"))
    facts = forms.CharField(label=_("违规事实"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000)
    evidence = forms.FileField(label=_("证据材料"), required=False)

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from rmdesk.org.scope import visible_staff

        self.fields["person"].queryset = visible_staff(user).filter(is_active=True).exclude(pk=user.pk).order_by("id")
        self.fields["person"].label_from_instance = lambda u: f"{u.display_name}（{u.employee_no or u.username}）"
        self.fields["rule"].queryset = ConductRule.objects.filter(rule_set__is_active=True).select_related("rule_set")
        self.fields["rule"].label_from_instance = lambda r: (
            f"{r.rule_set.name} {r.order}. {r.text}（{r.get_severity_display()}）"
        )


class StatementForm(forms.Form):
    statement = forms.CharField(
        label=_("申辩内容"), widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=5000
    )
    waive = forms.BooleanField(label=_("放弃申辩"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)


class DecideForm(forms.Form):
    decision = forms.ChoiceField(label=_("认定结论"), choices=[("approve", _("认定违规")), ("reject", _("不予认定"))])
    opinion = forms.CharField(
        label=_("认定意见"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class GiftForm(forms.Form):
    giver = forms.CharField(label=_("赠送方"), max_length=100)
    offered_on = _day(_("日期"))
    description = forms.CharField(label=_("礼品或宴请"), max_length=200)
    value = forms.DecimalField(label=_("估值（元）"), max_digits=18, decimal_places=2, min_value=0)
    outcome = forms.ChoiceField(label=_("处理方式"), choices=GiftOutcome.choices)


class FeeGrantForm(forms.Form):
    customer_no = forms.CharField(label=_("客户号"), max_length=32)
    fee_kind = forms.ChoiceField(label=_("费用类型"), choices=FeeKind.choices)
    standard_fee = forms.DecimalField(label=_("标准收费（元）"), max_digits=18, decimal_places=2)
    charged_fee = forms.DecimalField(label=_("实收（元）"), max_digits=18, decimal_places=2)
    granted_on = _day(_("办理日期"))
    note = forms.CharField(label=_("说明"), max_length=200, required=False)


class FeeGrantEditForm(FeeGrantForm):
    """Correcting a grant: the fields of recording it, and the version read."""

    version = forms.IntegerField(widget=forms.HiddenInput)


class TierChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.rule_set.name} · {obj.name}"


class EntitlementForm(forms.Form):
    """One entitlement of a tier (the rules are in services.create_entitlement / update_entitlement)."""

    tier = TierChoiceField(label=_("客户层级"), queryset=None)
    fee_kind = forms.ChoiceField(label=_("费用类型"), choices=FeeKind.choices)
    max_discount_percent = forms.DecimalField(
        label=_("最高减免比例（%）"), max_digits=5, decimal_places=2, help_text=_("100 表示全免")
    )
    max_discount_amount = forms.DecimalField(
        label=_("单笔最高减免金额（元）"),
        max_digits=18,
        decimal_places=2,
        required=False,
        help_text=_("不填表示只按比例限制"),
    )
    note = forms.CharField(label=_("依据"), max_length=200, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        from rmdesk.customers.models import Tier

        super().__init__(*args, **kwargs)
        self.fields["tier"].queryset = Tier.objects.select_related("rule_set").order_by("rule_set__name", "-rank")


class ReviewNoteForm(forms.Form):
    note = forms.CharField(label=_("复核意见"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    version = forms.IntegerField(widget=forms.HiddenInput)


class ServiceForm(forms.Form):
    customer = forms.CharField(label=_("客户（客户号或名称）"), max_length=120)
    second_staff = forms.ModelChoiceField(label=_("同行员工"), queryset=None)
    visit_on = _day(_("上门日期"))
    place = forms.CharField(label=_("地点"), max_length=200)
    purpose = forms.CharField(label=_("服务内容"), max_length=200)
    cash_or_valuables = forms.BooleanField(label=_("涉及现金或贵重物品"), required=False)
    escort = forms.CharField(label=_("保卫人员"), max_length=100, required=False)

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from rmdesk.org.scope import visible_staff

        self.fields["second_staff"].queryset = (
            visible_staff(user).filter(is_active=True).exclude(pk=user.pk).order_by("id")
        )
        self.fields["second_staff"].label_from_instance = lambda u: f"{u.display_name}（{u.employee_no or u.username}）"


class CloseForm(forms.Form):
    note = forms.CharField(label=_("办结说明"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    version = forms.IntegerField(widget=forms.HiddenInput)


class CrossReviewForm(forms.Form):
    notes = forms.CharField(
        label=_("复查意见"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000
    )
    has_doubts = forms.BooleanField(label=_("发现疑点"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)


class AuditFilterForm(forms.Form):
    person = forms.CharField(label=_("人员（用户名或姓名）"), max_length=50, required=False)
    customer = forms.CharField(label=_("客户号"), max_length=40, required=False)
    action = forms.ChoiceField(label=_("操作"), required=False)
    start = _day(_("开始日期"), required=False)
    end = _day(_("结束日期"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from .labels import ACTION_LABELS
        from .scope import ACCESS_ACTIONS

        self.fields["action"].choices = [("", _("全部操作"))] + [(a, ACTION_LABELS[a]) for a in ACCESS_ACTIONS]

    def clean(self):
        data = super().clean()
        for name in ("start", "end"):
            d = data.get(name)
            if d and not (MIN_DAY <= d <= MAX_DAY):
                self.add_error(name, _("日期超出范围。"))
        return data


class FindingFilterForm(forms.Form):
    rule = forms.ChoiceField(label=_("异常类型"), choices=[("", _("全部类型")), *AnomalyRule.choices], required=False)
