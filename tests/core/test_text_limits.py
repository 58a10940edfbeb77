"""Every project model refuses over-long text and control characters before the database sees them,
so SQLite and PostgreSQL agree and nothing is silently cut (core.validation, docs/decisions.md 23)."""

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.signals import pre_save


def _project_text_fields():
    for model in apps.get_models():
        if not model.__module__.startswith("rmdesk.") or model._meta.proxy:
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, (models.CharField, models.TextField)):
                yield model, field


TEXT_FIELDS = list(_project_text_fields())


def _send(model, **values):
    instance = model()
    for name, value in values.items():
        setattr(instance, name, value)
    pre_save.send(sender=model, instance=instance, raw=False, using="default", update_fields=None)


def test_the_walk_covers_every_app():
    apps_seen = {model._meta.app_label for model, _field in TEXT_FIELDS}
    assert {"core", "org", "customers", "work", "service"} <= apps_seen


@pytest.mark.parametrize(
    "model,field", [(m, f) for m, f in TEXT_FIELDS if f.max_length], ids=lambda x: getattr(x, "__name__", None)
)
def test_every_limited_text_field_refuses_one_character_too_many(model, field):
    with pytest.raises(ValidationError) as caught:
        _send(model, **{field.attname: "汉" * (field.max_length + 1)})
    messages = caught.value.message_dict[field.name]
    assert str(field.verbose_name) in messages[0] and str(field.max_length) in messages[0]
    _send(model, **{field.attname: "汉" * field.max_length})  # exactly the limit is fine


@pytest.mark.parametrize("model,field", TEXT_FIELDS, ids=lambda x: getattr(x, "__name__", None))
def test_every_text_field_refuses_control_characters(model, field):
    for bad in ("a\x00b", "a\x07b", "a\x1bb", "a\x7fb"):
        with pytest.raises(ValidationError) as caught:
            _send(model, **{field.attname: bad})
        assert field.name in caught.value.message_dict


@pytest.mark.parametrize("model,field", TEXT_FIELDS, ids=lambda x: getattr(x, "__name__", None))
def test_tabs_and_line_breaks_are_text(model, field):
    _send(model, **{field.attname: "甲\r\n乙\t丙"[: field.max_length or None]})


def test_saves_limited_to_other_fields_do_not_check_untouched_ones():
    from rmdesk.service.models import Case

    instance = Case(title="x" * 500)
    pre_save.send(sender=Case, instance=instance, raw=False, using="default", update_fields={"status"})


def test_fixtures_loaded_raw_are_not_checked():
    from rmdesk.service.models import Case

    pre_save.send(sender=Case, instance=Case(title="x" * 500), raw=True, using="default", update_fields=None)


DECIMAL_FIELDS = [
    (model, field)
    for model in apps.get_models()
    if model.__module__.startswith("rmdesk.") and not model._meta.proxy
    for field in model._meta.concrete_fields
    if isinstance(field, models.DecimalField)
]


def test_there_are_money_fields_to_walk():
    assert any(field.name == "aum" for _model, field in DECIMAL_FIELDS)


@pytest.mark.parametrize("model,field", DECIMAL_FIELDS, ids=lambda x: getattr(x, "__name__", None))
def test_every_decimal_is_rounded_half_up_to_its_places_as_postgresql_stores_it(model, field):
    from decimal import Decimal

    instance = model()
    places = field.decimal_places
    whole_digits = field.max_digits - places
    money = places == 2 and whole_digits >= 5
    setattr(instance, field.attname, 91827.17999999999 if money else Decimal("1.5").scaleb(-places))
    pre_save.send(sender=model, instance=instance, raw=False, using="default", update_fields=None)
    stored = getattr(instance, field.attname)
    assert isinstance(stored, Decimal) and stored.as_tuple().exponent == -places
    if money:
        assert stored == Decimal("91827.18")
    else:
        assert stored == Decimal(2).scaleb(-places)  # 0.…015 -> 0.…02: half-up, not banker's


@pytest.mark.parametrize("model,field", DECIMAL_FIELDS, ids=lambda x: getattr(x, "__name__", None))
def test_every_decimal_too_large_for_its_column_is_refused(model, field):
    from decimal import Decimal

    with pytest.raises(ValidationError) as caught:
        _send(model, **{field.attname: Decimal(10) ** (field.max_digits - field.decimal_places)})
    assert str(field.verbose_name) in caught.value.message_dict[field.name][0]
    _send(model, **{field.attname: Decimal(10) ** (field.max_digits - field.decimal_places) - 1})
