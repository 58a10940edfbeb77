"""Forms of the work app; business rules live in services, forms only parse input."""

from django import forms
from django.utils.translation import gettext_lazy as _

from rmdesk.customers.slots import CustomerPickerField
from rmdesk.org.scope import visible_staff

from .models import InteractionKind, JournalTemplate, NextStepKind

DT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
D = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


def apply_errors(form, exc):
    """Put a service's ValidationError next to the form's fields (others on top of the form)."""
    if hasattr(exc, "error_dict"):
        for field, errs in exc.error_dict.items():
            target = field.split(".")[0]
            for e in errs:
                visible = target in form.fields and not form.fields[target].widget.is_hidden
                form.add_error(target if visible else None, " ".join(e.messages))
    else:
        for m in exc.messages:
            form.add_error(None, m)


class StaffChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.display_name}（{obj.employee_no or obj.username}）"


class InteractionForm(forms.Form):
    customer = CustomerPickerField(label=_("客户"))
    kind = forms.ChoiceField(label=_("方式"), choices=InteractionKind.choices)
    occurred_at = forms.DateTimeField(label=_("时间"), widget=DT)
    place = forms.CharField(label=_("签到地点"), required=False, max_length=200)
    door_to_door = forms.BooleanField(label=_("上门服务（须两人在场）"), required=False)
    companions = StaffChoiceField(label=_("陪同人员"), queryset=None, required=False)
    # SPEC §8: a door-to-door visit names the branch manager's approved special-service request; left
    # empty, the only approved request for this customer and day is used (core.hooks.InteractionGuard)
    special_service_id = forms.IntegerField(
        label=_("上门服务申请编号"),
        required=False,
        min_value=1,
        max_value=2**63 - 1,
        help_text=_("上门服务须事先经分管行长批准；不填时自动使用该客户当天唯一一份已批准的申请"),
    )
    purpose = forms.CharField(label=_("目的"), max_length=200, required=False)
    content = forms.CharField(label=_("内容"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    needs_found = forms.CharField(
        label=_("发现的需求（每行一条，记入客户档案）"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    products_recommended = forms.CharField(label=_("推荐产品"), max_length=300, required=False)
    minutes_spent = forms.IntegerField(label=_("服务时长(分钟)"), required=False, min_value=0)
    next_step = forms.CharField(label=_("下一步"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    next_step_kind = forms.ChoiceField(label=_("下一步安排"), choices=NextStepKind.choices, initial=NextStepKind.NONE)
    next_step_at = forms.DateTimeField(label=_("下一步时间"), widget=DT, required=False)
    confirmed_by_name = forms.CharField(label=_("客户确认人"), max_length=50, required=False)
    confirmed_at = forms.DateTimeField(label=_("客户确认时间"), widget=DT, required=False)
    attachments = MultipleFileField(label=_("附件"), required=False)
    appointment = forms.IntegerField(required=False, widget=forms.HiddenInput)
    # the customer's chosen callback interval (issue 19), only where the industry uses it: empty = no change
    interval_months = forms.IntegerField(label=_("客户希望的回访周期（月）"), required=False, min_value=0)
    interval_days = forms.IntegerField(label=_("客户希望的回访周期（天）"), required=False, min_value=0)
    declined = forms.BooleanField(label=_("客户表示不需要回访"), required=False)
    interval_version = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=0)

    INTERVAL_FIELDS = ("interval_months", "interval_days", "declined", "interval_version")

    def __init__(self, user, *args, chosen_interval=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].for_user(user)  # searchable, validated in the writable scope
        self.fields["companions"].queryset = (
            visible_staff(user).filter(is_active=True).exclude(pk=user.pk).order_by("employee_no")
        )
        if not chosen_interval:
            for name in self.INTERVAL_FIELDS:
                del self.fields[name]

    def interval_given(self) -> bool:
        d = self.cleaned_data
        return "declined" in self.fields and bool(
            d.get("declined") or d.get("interval_months") or d.get("interval_days")
        )


class ChosenIntervalForm(forms.Form):
    """客户希望的回访周期 (issue 19): months and/or days, or no callbacks; rules in services.set_chosen_interval."""

    interval_months = forms.IntegerField(label=_("间隔月数"), required=False, min_value=0)
    interval_days = forms.IntegerField(label=_("间隔天数"), required=False, min_value=0)
    declined = forms.BooleanField(label=_("客户表示不需要回访"), required=False)
    note = forms.CharField(label=_("备注"), required=False, max_length=200)
    version = forms.IntegerField(
        widget=forms.HiddenInput, min_value=0, error_messages={"required": _("缺少版本号，请刷新后重试。")}
    )


class AppointmentForm(forms.Form):
    customer = CustomerPickerField(label=_("客户"))
    subject = forms.CharField(label=_("事由"), max_length=200, required=False)
    start_at = forms.DateTimeField(label=_("开始时间"), widget=DT)
    end_at = forms.DateTimeField(label=_("结束时间"), widget=DT, required=False)
    place = forms.CharField(label=_("地点"), max_length=200, required=False)
    notes = forms.CharField(label=_("备注"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    remind_minutes = forms.IntegerField(label=_("提前提醒(分钟)"), initial=60, min_value=0)
    # the version the user saw: required when editing (optimistic locking), unused for a new appointment
    version = forms.IntegerField(
        required=False, widget=forms.HiddenInput, error_messages={"required": _("缺少版本号，请刷新后重试。")}
    )

    def __init__(self, user, *args, edit=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].for_user(user)  # searchable, validated in the writable scope
        self.fields["version"].required = edit


class TaskForm(forms.Form):
    title = forms.CharField(label=_("事项"), max_length=200, required=False)
    due_on = forms.DateField(label=_("完成期限"), widget=D, required=False)
    detail = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class JournalOpenForm(forms.Form):
    template = forms.ModelChoiceField(
        label=_("类型"), queryset=JournalTemplate.objects.filter(is_active=True), to_field_name="code"
    )
    day = forms.DateField(label=_("所属期间中的任一日"), widget=D)


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("通过")), ("return", _("退回"))])
    comment = forms.CharField(label=_("审阅意见"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
