"""Audit actions as people read them (SPEC §8 access audit: labels, not codes). The kernel names
actions by code ("customers.reveal"); this is the compliance app's label for each action the audit
page can show. An action missing here is shown as 其他操作 with its app's name, never as a code."""

from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    "customers.view": _("查看客户档案"),
    "customers.reveal": _("查看敏感信息明文"),
    "customers.export": _("导出客户清单"),
    "customers.personal_data_export": _("导出个人信息"),
    "customers.document_download": _("下载客户资料"),
}

FIELD_LABELS = {
    "id_number": _("证件号码"),
    "mobile": _("手机号码"),
    "address": _("地址"),
    "annual_income": _("年收入"),
}


def action_label(code: str):
    return ACTION_LABELS.get(code, _("其他操作"))


def field_label(code: str):
    return FIELD_LABELS.get(code, _("敏感信息"))
