"""Protection of personal data (SPEC §2 为客户保密, PIPL): one masking rule for UI, API and exports."""

from django.utils.translation import gettext_lazy as _

SENSITIVE_FIELDS = {
    "id_number": _("证件号码"),
    "mobile": _("手机号码"),
    "address": _("地址"),
    "annual_income": _("年收入"),
}


def mask(field: str, value) -> str:
    """The masked display of a sensitive field's value ('' for an empty value).

    id_number: first 3 and last 4 kept (110***********1234); mobile: 138****5678;
    address: the first 6 characters then ****; annual_income: ******.
    """
    if value is None or value == "":
        return ""
    text = str(value)
    if field == "id_number":
        if len(text) <= 7:
            return "*" * len(text)
        return text[:3] + "*" * (len(text) - 7) + text[-4:]
    if field == "mobile":
        if len(text) < 7:
            return "*" * len(text)
        return text[:3] + "*" * (len(text) - 7) + text[-4:]
    if field == "address":
        return text[:6] + "****"
    if field == "annual_income":
        return "******"
    return text


def masked_value(customer, field: str) -> str:
    return mask(field, getattr(customer, field))
