"""Validation of 居民身份证 numbers, 统一社会信用代码, mobiles and amounts (SPEC §2)."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings, strategies as st

from rmdesk.customers.validators import (
    id_check_char,
    make_credit_code,
    make_resident_id,
    uscc_check_char,
    validate_amount,
    validate_credit_code,
    validate_mobile,
    validate_resident_id,
)


@pytest.mark.parametrize(
    "number",
    [
        "11010519491231002X",
        make_resident_id("440524", date(1970, 2, 28), "123"),
        "320102198506150019"[:17] + id_check_char("32010219850615001"),
    ],
)
def test_valid_resident_ids(number):
    assert validate_resident_id(number.lower()) == number.upper()


@pytest.mark.parametrize(
    "number, message",
    [
        ("110105194912310021", "校验位"),  # wrong check digit (should be X)
        ("11010519491331002X", "出生日期"),  # month 13
        ("110105190002300028", "出生日期"),  # 30 February
        ("110105299901010010", "出生日期"),  # born in the future
        ("11010519491231002", "18位"),  # too short
        ("1101051949123100AX", "18位"),  # letters inside
        ("", "18位"),
    ],
)
def test_invalid_resident_ids(number, message):
    with pytest.raises(ValidationError) as exc:
        validate_resident_id(number)
    assert message in exc.value.messages[0]


@pytest.mark.parametrize("code", ["91350100M000100Y43", "91110000100000000R", make_credit_code("1320100MA1ABCDEF")])
def test_valid_credit_codes(code):
    assert validate_credit_code(code.lower()) == code


@pytest.mark.parametrize(
    "code, message",
    [
        ("91350100M000100Y44", "校验位"),
        ("91350100M000100Y4", "18位"),
        ("91350100M0001O0Y43", "18位"),  # letter O is not in the GB 32100 set
        ("913501X0M000100Y43", "行政区划"),
    ],
)
def test_invalid_credit_codes(code, message):
    with pytest.raises(ValidationError) as exc:
        validate_credit_code(code)
    assert message in exc.value.messages[0]


@pytest.mark.parametrize(
    "raw, clean",
    [("13912345678", "13912345678"), ("+86 139-1234-5678", "13912345678"), ("8619912345678", "19912345678")],
)
def test_valid_mobiles(raw, clean):
    assert validate_mobile(raw) == clean


@pytest.mark.parametrize("raw", ["12912345678", "1391234567", "139123456789", "abc", ""])
def test_invalid_mobiles(raw):
    with pytest.raises(ValidationError):
        validate_mobile(raw)


def test_amounts():
    assert validate_amount("1,234.5") == Decimal("1234.50")
    assert validate_amount(0.1) == Decimal("0.10")
    for bad in ("-1", "1.234", "abc", "1e20", "NaN"):
        with pytest.raises(ValidationError):
            validate_amount(bad)
    assert validate_amount("-5", allow_negative=True) == Decimal("-5.00")


@settings(max_examples=200, deadline=None)
@given(
    born=st.dates(min_value=date(1920, 1, 1), max_value=date(2008, 12, 31)),
    seq=st.integers(min_value=0, max_value=999),
    pos=st.integers(min_value=0, max_value=16),
    delta=st.integers(min_value=1, max_value=9),
)
def test_generated_ids_are_valid_and_any_digit_change_is_caught(born, seq, pos, delta):
    number = make_resident_id("320102", born, f"{seq:03d}")
    assert validate_resident_id(number) == number
    digits = list(number)
    digits[pos] = str((int(digits[pos]) + delta) % 10)
    changed = "".join(digits)
    with pytest.raises(ValidationError):
        validate_resident_id(changed)


@settings(max_examples=200, deadline=None)
@given(body=st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=17, max_size=17))
def test_credit_code_check_character(body):
    body = body[:2] + "320100" + body[8:]
    code = body + uscc_check_char(body)
    assert validate_credit_code(code) == code
    wrong = "0" if code[-1] != "0" else "1"
    with pytest.raises(ValidationError):
        validate_credit_code(code[:-1] + wrong)
