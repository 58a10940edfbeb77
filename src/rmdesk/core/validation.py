"""Text that a column cannot hold is refused before it is written, the same on SQLite and PostgreSQL
(SPEC §12: no 5xx from any input, nothing silently cut; docs/decisions.md 23).

SQLite stores a 500-character string in a `max_length=200` column; PostgreSQL refuses it with a
DataError; a service that slices (`text[:300]`) loses what the user wrote. Instead every save of a
project model (`rmdesk.*` apps) passes through `check_text_fields`: a text longer than its field's
`max_length`, or holding a control character (C0 and DEL, except tab, line feed and carriage
return), raises a ValidationError keyed by the field
name whose message names the field by its label. Business actions are atomic, so the whole action
is rolled back; the API answers 422 with the field path, forms show the message next to the field.

Money and other decimals are stored as the column holds them on PostgreSQL: a value with more decimal
places than its field is rounded half-up to them (PostgreSQL rounds, SQLite would keep
91827.17999999999), and one with more digits than the field holds is refused like an over-long text.

Bulk writes (`bulk_create`, `QuerySet.update`) do not send `pre_save`: the importer validates its
rows itself (customers/validators.py) and no other bulk path takes user text.
"""

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def text_errors(field: models.Field, value) -> list[str]:
    """Why `value` cannot be stored in `field` (empty when it can)."""
    if not isinstance(value, str) or not isinstance(field, (models.CharField, models.TextField)):
        return []
    label = str(field.verbose_name)
    errors = []
    limit = field.max_length
    if limit is not None and len(value) > limit:
        errors.append(
            _("“%(field)s”不能超过 %(limit)d 个字符（现为 %(length)d 个）。")
            % {"field": label, "limit": limit, "length": len(value)}
        )
    if _CONTROL.search(value):
        errors.append(_("“%(field)s”含有不可见的控制字符，请删除后重试。") % {"field": label})
    return errors


def normalise_decimal(field: models.DecimalField, value):
    """`value` rounded half-up to the field's decimal places, and why it does not fit (or None)."""
    if value is None or isinstance(value, bool) or not isinstance(value, (Decimal, float, int)):
        return value, None
    try:
        number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
        number = number.quantize(Decimal(1).scaleb(-field.decimal_places), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or len(number.as_tuple().digits) > field.max_digits:
        limit = field.max_digits - field.decimal_places
        return value, _("“%(field)s”超出允许范围（整数部分最多 %(limit)d 位）。") % {
            "field": str(field.verbose_name),
            "limit": limit,
        }
    return number, None


def check_text_fields(sender, instance, raw=False, update_fields=None, **kwargs):
    """pre_save receiver: refuse over-long text, control characters and decimals too large for their
    column in any project model; round decimals to their field's places."""
    if raw or not sender.__module__.startswith("rmdesk."):
        return
    errors = {}
    for field in sender._meta.concrete_fields:
        if update_fields is not None and field.name not in update_fields:
            continue
        value = getattr(instance, field.attname, None)
        if isinstance(field, models.DecimalField):
            value, problem = normalise_decimal(field, value)
            if problem:
                errors[field.name] = [problem]
            else:
                setattr(instance, field.attname, value)
            continue
        problems = text_errors(field, value)
        if problems:
            errors[field.name] = problems
    if errors:
        raise ValidationError(errors, code="invalid")
