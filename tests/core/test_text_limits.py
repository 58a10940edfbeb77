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
