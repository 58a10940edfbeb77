"""The reports' filter form (SPEC §11): period and unit, validated by reports.parse_filters."""

from django import forms
from django.utils.translation import gettext_lazy as _

from rmdesk.org.scope import visible_units


class ReportFilterForm(forms.Form):
    start = forms.DateField(label=_("开始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("结束日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    unit = forms.TypedChoiceField(label=_("机构"), required=False, coerce=int, empty_value=None)
    by = forms.ChoiceField(
        label=_("分组"), required=False, choices=[("unit", _("按机构")), ("tier", _("按层级"))], initial="unit"
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        units = visible_units(user).order_by("path").values_list("pk", "name", "depth")[:500]
        self.fields["unit"].choices = [("", _("本人所在机构"))] + [(pk, "　" * (d - 1) + n) for pk, n, d in units]
