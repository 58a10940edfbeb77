"""Forms of the people pages (SPEC §9 job fit, §10): input parsing only; the business rules stay in
services.py, whose field errors the views put next to these fields."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rmdesk.core.bounds import MAX_DAY, MIN_DAY
from rmdesk.core.scope import subtree_paths
from rmdesk.org.models import OrgUnit

from .models import Course, CourseMode, FindingArea
from .scope import visible_people

DATE = forms.DateInput(attrs={"type": "date"})
FINDING_ROWS = 5
QUARTERS = [(1, _("第一季度")), (2, _("第二季度")), (3, _("第三季度")), (4, _("第四季度"))]


def _score(label):
    return forms.IntegerField(label=label, min_value=0, max_value=100)


class _Dated(forms.Form):
    date_fields: tuple = ()

    def clean(self):
        data = super().clean()
        for name in self.date_fields:
            day = data.get(name)
            if day and not (MIN_DAY <= day <= MAX_DAY):
                self.add_error(name, _("日期超出范围。"))
        return data


class PersonChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.display_name}（{obj.employee_no or obj.username}）"


def _people(user):
    return visible_people(user, write=True).filter(is_active=True).order_by("full_name", "pk")


def _units(user):
    paths = subtree_paths(user, write=True)
    qs = OrgUnit.objects.none()
    for p in paths:
        qs = qs | OrgUnit.objects.filter(path__startswith=p)
    return qs.order_by("path")


class DiscForm(_Dated):
    date_fields = ("taken_on",)
    person = PersonChoice(label=_("员工"), queryset=None)
    taken_on = forms.DateField(label=_("测评日期"), widget=DATE)
    source = forms.CharField(label=_("测评来源"), max_length=100, required=False)
    inner_d = _score(_("内在 D"))
    inner_i = _score(_("内在 I"))
    inner_s = _score(_("内在 S"))
    inner_c = _score(_("内在 C"))
    outer_d = _score(_("外在 D"))
    outer_i = _score(_("外在 I"))
    outer_s = _score(_("外在 S"))
    outer_c = _score(_("外在 C"))

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = _people(user)


class JobModelForm(forms.Form):
    code = forms.CharField(label=_("模型代码"), max_length=30)
    name = forms.CharField(label=_("岗位模型"), max_length=60)
    d = _score(_("支配型 D"))
    i = _score(_("影响型 I"))
    s = _score(_("稳健型 S"))
    c = _score(_("谨慎型 C"))
    note = forms.CharField(label=_("说明"), max_length=200, required=False)
    is_active = forms.BooleanField(label=_("启用"), required=False, initial=True)


class PolicyForm(forms.Form):
    required_points = forms.DecimalField(
        label=_("续聘所需培训积分"), min_value=0, max_value=9999, max_digits=6, decimal_places=1
    )
    window_months = forms.IntegerField(label=_("积分统计期（月）"), min_value=1, max_value=60)
    remind_days = forms.IntegerField(label=_("续聘前提醒天数"), min_value=1, max_value=366)
    cert_warning_days = forms.IntegerField(label=_("证书到期提醒天数"), min_value=1, max_value=366)


class CourseForm(forms.Form):
    code = forms.CharField(label=_("课程代码"), max_length=30)
    name = forms.CharField(label=_("课程名称"), max_length=100)
    mode = forms.ChoiceField(label=_("培训方式"), choices=CourseMode.choices)
    hours = forms.DecimalField(label=_("学时"), min_value=0, max_value=999, max_digits=5, decimal_places=1)
    points = forms.DecimalField(label=_("培训积分"), min_value=0, max_value=999, max_digits=5, decimal_places=1)
    pass_score = forms.DecimalField(
        label=_("考试合格分（不考试留空）"),
        min_value=0,
        max_value=100,
        max_digits=5,
        decimal_places=1,
        required=False,
    )


class SessionForm(_Dated):
    date_fields = ("held_on",)
    course = forms.ModelChoiceField(label=_("课程"), queryset=Course.objects.filter(is_active=True))
    unit = forms.ModelChoiceField(label=_("组织机构"), queryset=None)
    held_on = forms.DateField(label=_("培训日期"), widget=DATE)
    place = forms.CharField(label=_("地点"), max_length=100, required=False)
    trainer = forms.CharField(label=_("讲师"), max_length=50, required=False)

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = _units(user)


class AttendanceForm(forms.Form):
    person = PersonChoice(label=_("学员"), queryset=None)
    attended = forms.BooleanField(label=_("出勤"), required=False, initial=True)
    exam_score = forms.DecimalField(
        label=_("考试成绩"), min_value=0, max_value=100, max_digits=5, decimal_places=1, required=False
    )

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = _people(user)


def _this_year():
    return timezone.localdate().year


class MeetingForm(_Dated):
    date_fields = ("held_on",)
    unit = forms.ModelChoiceField(label=_("组织机构"), queryset=None)
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100, initial=_this_year)
    half = forms.TypedChoiceField(label=_("半年"), coerce=int, choices=[(1, _("上半年")), (2, _("下半年"))])
    held_on = forms.DateField(label=_("会议日期"), widget=DATE)
    title = forms.CharField(label=_("会议主题"), max_length=100)
    minutes = forms.CharField(
        label=_("会议纪要"), max_length=10000, required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    attendees = forms.ModelMultipleChoiceField(label=_("参会人员"), queryset=None, widget=forms.CheckboxSelectMultiple)

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = _units(user)
        self.fields["attendees"].queryset = _people(user)
        self.fields["attendees"].label_from_instance = lambda u: u.display_name


class MinutesForm(forms.Form):
    minutes = forms.CharField(label=_("会议纪要"), max_length=10000, widget=forms.Textarea(attrs={"rows": 8}))


class InspectionForm(_Dated):
    date_fields = ("inspected_on",)
    person = PersonChoice(label=_("客户经理"), queryset=None)
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100, initial=_this_year)
    quarter = forms.TypedChoiceField(label=_("季度"), coerce=int, choices=QUARTERS)
    inspected_on = forms.DateField(label=_("检查日期"), widget=DATE)
    summary = forms.CharField(
        label=_("检查结论"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = _people(user).filter(roles__code="rm").exclude(pk=user.pk).distinct()
        for n in range(1, FINDING_ROWS + 1):
            self.fields[f"area_{n}"] = forms.ChoiceField(
                label=_("检查项目"), choices=[("", "—"), *FindingArea.choices], required=False
            )
            self.fields[f"description_{n}"] = forms.CharField(label=_("发现问题"), max_length=300, required=False)
            self.fields[f"deduction_{n}"] = forms.DecimalField(
                label=_("扣分"), min_value=0, max_value=100, max_digits=5, decimal_places=1, required=False
            )

    def finding_rows(self):
        return [
            (self[f"area_{n}"], self[f"description_{n}"], self[f"deduction_{n}"]) for n in range(1, FINDING_ROWS + 1)
        ]

    def head_fields(self):
        return [self[name] for name in ("person", "year", "quarter", "inspected_on", "summary")]

    def findings(self):
        """The filled rows as the service takes them, with each row's form number."""
        out = []
        for n in range(1, FINDING_ROWS + 1):
            area, text, deduction = (self.cleaned_data.get(f"{k}_{n}") for k in ("area", "description", "deduction"))
            if area or text or deduction is not None:
                out.append((n, {"area": area, "description": text, "deduction": deduction}))
        return out


class PlanForm(forms.Form):
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100, initial=_this_year)
    goals = forms.CharField(label=_("发展目标"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))
    actions = forms.CharField(
        label=_("发展措施"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )


class PlanEditForm(forms.Form):
    goals = forms.CharField(label=_("发展目标"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))
    actions = forms.CharField(
        label=_("发展措施"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )


class ReviewForm(forms.Form):
    review = forms.CharField(label=_("评议意见"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))
