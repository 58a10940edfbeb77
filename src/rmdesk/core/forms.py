"""The 营业日历 page's form: one year's rest days and 调休 working days as lines of dates."""

from datetime import date, timedelta

from django import forms
from django.utils.translation import gettext as _, gettext_lazy as _l

MAX_DAYS = 366


def parse_days(text: str) -> dict:
    """Lines of `YYYY-MM-DD [name]` or `YYYY-MM-DD~YYYY-MM-DD [name]` -> {day: name}.

    Blank lines and lines starting with # are ignored; a malformed line raises ValidationError naming it.
    """
    days: dict = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        span, _sep, name = line.partition(" ")
        first, _tilde, last = span.partition("~")
        try:
            start = date.fromisoformat(first)
            end = date.fromisoformat(last) if last else start
        except ValueError:
            raise forms.ValidationError(
                _("第 %(n)d 行“%(line)s”不是日期（格式 2027-01-01 或 2027-02-05~2027-02-11）。")
                % {"n": number, "line": line[:40]}
            ) from None
        if end < start or (end - start).days >= MAX_DAYS:
            raise forms.ValidationError(_("第 %(n)d 行的日期范围无效。") % {"n": number})
        d = start
        while d <= end:
            days[d] = name.strip()[:60]
            d += timedelta(days=1)
    return days


class YearScheduleForm(forms.Form):
    holidays = forms.CharField(
        label=_l("休息日（节假日）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_l("每行一个日期或日期范围，可附名称，例如：2027-02-05~2027-02-11 春节"),
    )
    workdays = forms.CharField(
        label=_l("调休上班日"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_l("周末照常上班的日期，例如：2027-02-14 春节调休"),
    )
    confirmed = forms.BooleanField(label=_l("确认本年度日历已完整录入"), required=False)

    def clean_holidays(self):
        return parse_days(self.cleaned_data["holidays"])

    def clean_workdays(self):
        return parse_days(self.cleaned_data["workdays"])


def days_text(overrides, working: bool) -> str:
    return "\n".join(f"{o.day.isoformat()} {o.name}".strip() for o in overrides if o.is_working_day == working)


def errors_by_field(exc) -> dict:
    """A service's ValidationError as {field: [messages]} ("__all__" for errors of no field), for pages
    that show each message next to its field."""
    if hasattr(exc, "error_dict"):
        return {k: [m for e in v for m in e.messages] for k, v in exc.error_dict.items()}
    return {"__all__": exc.messages}
