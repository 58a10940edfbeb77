"""Forms of the login-security pages (issue 17): the OTP step, enrolment, ending a person's sessions."""

from django import forms
from django.utils.translation import gettext_lazy as _


class OtpForm(forms.Form):
    code = forms.CharField(
        label=_("动态验证码或恢复码"),
        max_length=20,
        error_messages={"required": _("请填写动态验证码。")},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}),
    )


class ConfirmDeviceForm(forms.Form):
    code = forms.RegexField(
        label=_("验证器应用显示的6位验证码"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"required": _("请填写验证码。"), "invalid": _("验证码是6位数字。")},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class EndSessionsForm(forms.Form):
    user = forms.IntegerField(min_value=1)
