"""Forms of the notice pages (rmdesk.core.notice_views): field types and labels only; the rules are the
services' (rmdesk.core.notices), whose errors are shown next to these fields."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from . import channels
from .models import ChannelKind, NoticeSettings
from .notifications import known_kinds


def unit_choices() -> list[tuple[str, str]]:
    """The org tree for a channel's scope, read through the user model (the kernel does not import org)."""
    unit_model = get_user_model()._meta.get_field("unit").related_model
    rows = unit_model.objects.order_by("path").values_list("path", "name", "depth")
    return [("", _("全行（所有机构）"))] + [(path, "　" * (depth - 1) + name) for path, name, depth in rows]


def kind_choices(*, urgent: bool = True) -> list[tuple[str, str]]:
    kinds = known_kinds()
    return sorted(
        ((k, f"{label}") for k, label in kinds.items() if urgent or not channels.is_urgent(k)),
        key=lambda kv: kv[0],
    )


class NoticeSettingsForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput)
    smtp_password = forms.CharField(
        label=_("密码"), required=False, widget=forms.PasswordInput(render_value=False), help_text=_("留空则不修改")
    )

    class Meta:
        model = NoticeSettings
        fields = (
            "site_url",
            "smtp_enabled",
            "smtp_host",
            "smtp_port",
            "smtp_username",
            "smtp_password",
            "smtp_security",
            "from_address",
        )


class TestMailForm(forms.Form):
    address = forms.EmailField(label=_("测试收件地址"))


class ChannelForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(label=_("名称"), max_length=60)
    kind = forms.ChoiceField(label=_("渠道"), choices=ChannelKind.choices)
    enabled = forms.BooleanField(label=_("启用"), required=False, initial=True)
    webhook_url = forms.CharField(label=_("机器人 Webhook 地址"), max_length=500, required=False)
    secret = forms.CharField(
        label=_("加签密钥"),
        max_length=200,
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("钉钉机器人“加签”安全设置的密钥；修改时留空则不变"),
    )
    unit_path = forms.ChoiceField(label=_("适用机构"), required=False, help_text=_("该机构及其下级人员的消息"))
    kinds = forms.MultipleChoiceField(
        label=_("消息类别"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("不选则发送所有类别"),
    )
    include_title = forms.BooleanField(
        label=_("随消息发送标题"), required=False, help_text=_("标题可能含客户信息；不勾选时只发送消息类别和链接")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit_path"].choices = unit_choices()
        self.fields["kinds"].choices = kind_choices()


class PreferenceForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    opted_out = forms.MultipleChoiceField(
        label=_("不通过企业微信、钉钉、邮件接收的类别"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("消息中心仍保留全部消息；审批等紧急类别不能退订"),
    )
    quiet_from = forms.TimeField(label=_("免打扰开始"), required=False, widget=forms.TimeInput(attrs={"type": "time"}))
    quiet_until = forms.TimeField(label=_("免打扰结束"), required=False, widget=forms.TimeInput(attrs={"type": "time"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["opted_out"].choices = kind_choices(urgent=False)


class FeedForm(forms.Form):
    show_customer_names = forms.BooleanField(
        label=_("日历中显示客户名称和事由"),
        required=False,
        help_text=_("手机日历可能同步到厂商云端；不勾选时只显示事项类别"),
    )
