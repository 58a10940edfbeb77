"""Validation helpers for customer data (SPEC §2), reusable by other apps.

- 居民身份证 (GB 11643-1999): 18 characters, 17 digits + check character (0-9 or X), valid birth date.
- 统一社会信用代码 (GB 32100-2015): 18 characters from the 31-character set, check character.
- Mainland mobile numbers: 11 digits starting 13-19 (an optional +86/86 prefix is dropped).
- Amounts: Decimal CNY, non-negative unless allowed, at most 2 decimal places.

Every `validate_*` raises django.core.exceptions.ValidationError with a Chinese message and
returns the normalised value.
"""

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


def id_check_char(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits."""
    total = sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=False))
    return ID_CHECK[total % 11]


def id_birth_date(number: str) -> date | None:
    try:
        return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def validate_resident_id(value: str) -> str:
    """A 居民身份证 number: 18 characters, valid birth date, correct check character."""
    number = (value or "").strip().upper()
    if not re.fullmatch(r"\d{17}[\dX]", number):
        raise ValidationError(_("身份证号码应为18位（前17位为数字，末位为数字或X）。"), code="id_format")
    born = id_birth_date(number)
    if born is None or born.year < 1900 or born > timezone.localdate():
        raise ValidationError(_("身份证号码中的出生日期无效。"), code="id_birth_date")
    if id_check_char(number[:17]) != number[17]:
        raise ValidationError(_("身份证号码校验位错误，请核对。"), code="id_check")
    return number


def id_gender(number: str) -> str:
    """'M' or 'F' from the 17th digit of a valid resident ID."""
    return "M" if int(number[16]) % 2 else "F"


def uscc_check_char(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters."""
    total = sum(USCC_CHARSET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=False))
    return USCC_CHARSET[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> str:
    """A 统一社会信用代码: 18 characters of the GB 32100 set with a correct check character."""
    code = (value or "").strip().upper()
    if len(code) != 18 or any(c not in USCC_CHARSET for c in code):
        raise ValidationError(
            _("统一社会信用代码应为18位，由数字和大写字母组成（不含 I、O、Z、S、V）。"), code="uscc_format"
        )
    if not code[2:8].isdigit():
        raise ValidationError(_("统一社会信用代码第3至8位应为行政区划码。"), code="uscc_format")
    if uscc_check_char(code[:17]) != code[17]:
        raise ValidationError(_("统一社会信用代码校验位错误，请核对。"), code="uscc_check")
    return code


def normalise_mobile(value: str) -> str:
    mobile = re.sub(r"[\s-]", "", value or "")
    if mobile.startswith("+86"):
        mobile = mobile[3:]
    elif mobile.startswith("86") and len(mobile) == 13:
        mobile = mobile[2:]
    return mobile


def validate_mobile(value: str) -> str:
    """A mainland mobile number (11 digits, 13x–19x)."""
    mobile = normalise_mobile(value)
    if not _MOBILE_RE.fullmatch(mobile):
        raise ValidationError(_("手机号码应为11位中国大陆手机号（1开头，第二位为3至9）。"), code="mobile")
    return mobile


def validate_amount(value, *, allow_negative: bool = False, max_integer_digits: int = 16) -> Decimal:
    """A money amount in CNY: a decimal number with at most 2 decimal places."""
    if isinstance(value, float):
        value = repr(value)
    try:
        amount = Decimal(str(value).replace(",", "").replace("，", "").strip())
    except (InvalidOperation, ValueError):
        raise ValidationError(_("金额格式不正确。"), code="amount") from None
    if not amount.is_finite():
        raise ValidationError(_("金额格式不正确。"), code="amount")
    if amount < 0 and not allow_negative:
        raise ValidationError(_("金额不能为负数。"), code="amount_negative")
    if amount.as_tuple().exponent < -2:
        raise ValidationError(_("金额最多保留两位小数。"), code="amount_places")
    if abs(amount) >= Decimal(10) ** max_integer_digits:
        raise ValidationError(_("金额超出允许范围。"), code="amount_range")
    return amount.quantize(Decimal("0.01"))


def make_resident_id(prefix6: str, born: date, seq3: str) -> str:
    """A syntactically valid resident ID (demo and test data)."""
    first17 = f"{prefix6}{born:%Y%m%d}{seq3}"
    return first17 + id_check_char(first17)


def make_credit_code(body16: str) -> str:
    """A valid 统一社会信用代码 from 16 characters after the leading '9' (demo and test data)."""
    if len(body16) != 16:
        raise ValueError("body16 must have 16 characters")
    first17 = "9" + body16
    return first17 + uscc_check_char(first17)
