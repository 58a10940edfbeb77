"""Password policy (issue 17, SPEC §12): length, character classes, history and maximum age, each set
by an environment variable; the defaults follow OWASP ASVS L2, 等保 level 3 is one setting away."""

from datetime import timedelta

import pytest
from django.contrib.auth.password_validation import get_default_password_validators, validate_password
from django.core.exceptions import ValidationError
from django.utils import timezone

from rmdesk.org.models import PasswordHistory
from tests.conftest import PASSWORD
from tests.org.test_security_csp import _load_settings

pytestmark = pytest.mark.django_db

DJBH3 = {"RMDESK_PASSWORD_CLASSES": "3", "RMDESK_PASSWORD_MAX_AGE_DAYS": "90", "RMDESK_PASSWORD_HISTORY": "5"}


def _options(s, name):
    return next(v.get("OPTIONS", {}) for v in s.AUTH_PASSWORD_VALIDATORS if v["NAME"].endswith(name))


def test_defaults_follow_asvs_and_djbh3_is_one_setting_away(monkeypatch, tmp_path):
    asvs = _load_settings(monkeypatch, tmp_path)
    assert _options(asvs, "MinimumLengthValidator")["min_length"] == 12
    assert _options(asvs, "CharacterClassesValidator")["min_classes"] == 0  # no composition rules
    assert asvs.RMDESK_PASSWORD_MAX_AGE_DAYS == 0  # no forced rotation
    djbh = _load_settings(monkeypatch, tmp_path, RMDESK_PASSWORD_MIN_LENGTH="10", **DJBH3)
    assert _options(djbh, "MinimumLengthValidator")["min_length"] == 10
    assert _options(djbh, "CharacterClassesValidator")["min_classes"] == 3
    assert _options(djbh, "PasswordHistoryValidator")["count"] == 5
    assert djbh.RMDESK_PASSWORD_MAX_AGE_DAYS == 90


def _validators(settings, **options):
    settings.AUTH_PASSWORD_VALIDATORS = [
        {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
        {
            "NAME": "rmdesk.org.passwords.CharacterClassesValidator",
            "OPTIONS": {"min_classes": options.get("classes", 0)},
        },
        {"NAME": "rmdesk.org.passwords.PasswordHistoryValidator", "OPTIONS": {"count": options.get("history", 0)}},
    ]
    get_default_password_validators.cache_clear()


def test_length_and_character_classes(settings, world):
    _validators(settings, classes=3)
    try:
        with pytest.raises(ValidationError) as short:
            validate_password("Ab1!", world.rm)
        assert any("12" in m for m in short.value.messages)
        with pytest.raises(ValidationError) as simple:
            validate_password("onlylowercaseletters", world.rm)
        assert any("3类字符" in m for m in simple.value.messages)
        validate_password("Lower-and-UPPER-case", world.rm)  # lower, upper, symbol: three classes
    finally:
        get_default_password_validators.cache_clear()


def test_history_refuses_the_last_n_passwords(client, world, settings):
    _validators(settings, history=3)
    try:
        client.force_login(world.rm)
        previous = PASSWORD
        for new in ("First-long-pass-1", "Second-long-pass-2", "Third-long-pass-3"):
            resp = client.post("/password/", {"old_password": previous, "new_password1": new, "new_password2": new})
            assert resp.status_code == 302 and resp["Location"] == "/password/done/", resp.content.decode()
            previous = new
        assert PasswordHistory.objects.filter(user=world.rm).count() == 3
        reused = client.post(
            "/password/",
            {"old_password": previous, "new_password1": "First-long-pass-1", "new_password2": "First-long-pass-1"},
        )
        assert reused.status_code == 200
        assert "不能使用最近3次用过的密码" in reused.content.decode()
    finally:
        get_default_password_validators.cache_clear()


def test_an_expired_password_must_be_changed_before_anything_else(client, world, settings):
    settings.RMDESK_PASSWORD_MAX_AGE_DAYS = 90
    PasswordHistory.objects.filter(user=world.rm).update(created_at=timezone.now() - timedelta(days=91))
    client.post("/login/", {"username": "rm", "password": PASSWORD})
    resp = client.get("/customers/")
    assert resp.status_code == 302 and resp["Location"] == "/password/"
    page = client.get("/password/")
    assert 'data-testid="password-expired"' in page.content.decode()
    assert client.get("/api/me").status_code == 401
    done = client.post(
        "/password/",
        {"old_password": PASSWORD, "new_password1": "Fresh-long-pass-90", "new_password2": "Fresh-long-pass-90"},
    )
    assert done.status_code == 302
    assert client.get("/customers/").status_code == 200


def test_a_recent_password_is_not_expired(client, world, settings):
    settings.RMDESK_PASSWORD_MAX_AGE_DAYS = 90
    client.post("/login/", {"username": "rm", "password": PASSWORD})
    assert client.get("/customers/").status_code == 200


def test_help_text_lists_the_policy_on_the_change_page(client, world):
    client.force_login(world.rm)
    body = client.get("/password/").content.decode()
    assert "12" in body and 'class="help"' in body
