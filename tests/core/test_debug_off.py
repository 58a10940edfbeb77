"""DEBUG is off unless asked for; secure cookies only behind https; a missing page is the Chinese 404."""

import importlib.util

import pytest
from django.test import override_settings

import rmdesk.settings


def _load_settings(monkeypatch, tmp_path, **env):
    """A fresh copy of rmdesk.settings read under `env` (the configured settings stay untouched)."""
    for key in ("RMDESK_DEBUG", "RMDESK_HTTPS", "RMDESK_ALLOWED_HOSTS"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("RMDESK_VAR_DIR", str(tmp_path))
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    spec = importlib.util.spec_from_file_location("rmdesk_settings_copy", rmdesk.settings.__file__)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_embedded_default_runs_without_debug_and_with_plain_http_cookies(monkeypatch, tmp_path):
    s = _load_settings(monkeypatch, tmp_path)
    assert s.DEBUG is False
    assert s.SESSION_COOKIE_SECURE is False and s.CSRF_COOKIE_SECURE is False
    assert "127.0.0.1" in s.ALLOWED_HOSTS and "localhost" in s.ALLOWED_HOSTS and "*" not in s.ALLOWED_HOSTS
    assert s.WHITENOISE_USE_FINDERS is True  # static files are served with DEBUG off
    assert "whitenoise.middleware.WhiteNoiseMiddleware" in s.MIDDLEWARE


def test_debug_and_secure_cookies_only_when_asked(monkeypatch, tmp_path):
    s = _load_settings(monkeypatch, tmp_path, RMDESK_DEBUG="1", RMDESK_HTTPS="1", RMDESK_ALLOWED_HOSTS="a.bank, b.bank")
    assert s.DEBUG is True
    assert s.SESSION_COOKIE_SECURE is True and s.CSRF_COOKIE_SECURE is True
    assert s.ALLOWED_HOSTS == ["a.bank", "b.bank"]
    assert _load_settings(monkeypatch, tmp_path, RMDESK_DEBUG="0").DEBUG is False


@pytest.mark.django_db
@override_settings(DEBUG=False)
def test_a_missing_page_answers_the_chinese_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "页面不存在" in body
    assert "URLconf" not in body and "Page not found" not in body


@pytest.mark.django_db
@override_settings(DEBUG=False)
def test_static_files_are_served_with_debug_off(client):
    response = client.get("/static/rmdesk/app.css")
    assert response.status_code == 200
