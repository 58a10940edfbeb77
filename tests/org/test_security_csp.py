"""Content-Security-Policy, HSTS, `check --deploy` and the secret key in production (issue 17, SPEC §12)."""

import importlib.util
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

import rmdesk.settings

ROOT = Path(__file__).resolve().parents[2]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
EVENT_ATTR = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)
HX_ON = re.compile(r"\shx-on[:-]", re.I)
#: routes that are not pages to walk with GET (actions, downloads, feeds, the API and its docs)
SKIP = re.compile(r"^(api/|admin/|i18n/|logout/|healthz|readyz)|export|download|\.ics|feed|pdf|print|xlsx|csv")


def _pages(patterns=None, prefix=""):
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            yield from _pages(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern) and not p.pattern.converters:
            route = prefix + str(p.pattern)
            if "<" not in route and "(" not in route and not SKIP.search(route):
                yield "/" + route


def assert_csp_clean(response, where):
    policy = response.headers.get("Content-Security-Policy", "")
    assert "script-src 'self'" in policy, where
    assert "unsafe-inline" not in policy.split("script-src", 1)[1].split(";", 1)[0], where
    assert "frame-ancestors 'none'" in policy, where
    html = response.content.decode()
    assert not INLINE_SCRIPT.search(html), (where, INLINE_SCRIPT.search(html).group(0))
    assert not EVENT_ATTR.search(html), (where, EVENT_ATTR.search(html).group(0))
    assert not HX_ON.search(html), where


def test_every_page_of_every_role_carries_the_policy_and_no_inline_script(client, world):
    """The route walker: every parameterless page each role can open (rendered HTML) has the CSP header,
    no inline <script> without src (JSON data blocks allowed) and no on*= / hx-on attributes."""
    client.raise_request_exception = False
    pages = sorted(set(_pages()))
    assert len(pages) > 20
    walked = 0
    for user in (world.rm, world.lead, world.manager, world.risk, world.compliance, world.assistant, world.referrer):
        client.force_login(user)
        for url in pages:
            resp = client.get(url)
            assert resp.status_code < 500, (user.username, url, resp.status_code)
            if resp.status_code == 200 and resp.headers.get("Content-Type", "").startswith("text/html"):
                assert_csp_clean(resp, (user.username, url))
                walked += 1
        client.logout()
    assert walked > 100
    # the anonymous pages (login) and the admin (superuser) as well
    assert_csp_clean(client.get("/login/"), "login")
    client.force_login(world.admin)
    for url in ("/", "/admin/", "/admin/org/user/", f"/admin/org/user/{world.rm.pk}/change/", "/account/security/"):
        resp = client.get(url)
        assert resp.status_code == 200, url
        assert_csp_clean(resp, url)


def test_print_sheets_print_through_the_static_script(client, world):
    body = (ROOT / "src/rmdesk/credit/templates/credit/application_print.html").read_text()
    assert "data-autoprint" in body and "<script>" not in body
    js = (ROOT / "src/rmdesk/static/rmdesk/behaviours.js").read_text()
    assert "data-autoprint" in js and "data-confirm" in js and "data-autosubmit" in js


def test_htmx_is_configured_for_the_policy(client, world):
    client.force_login(world.rm)
    html = client.get("/").content.decode()
    config = re.search(r'<meta name="htmx-config" content=\'([^\']+)\'', html)
    assert config and '"includeIndicatorStyles": false' in config.group(1) and '"allowEval": false' in config.group(1)
    # the meta comes before htmx itself
    assert html.index("htmx-config") < html.index("htmx-2")


def _load_settings(monkeypatch, tmp_path, **env):
    for key in ("RMDESK_DEBUG", "RMDESK_HTTPS", "RMDESK_ALLOWED_HOSTS", "RMDESK_ENV", "RMDESK_SECRET_KEY"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("RMDESK_VAR_DIR", str(tmp_path))
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    spec = importlib.util.spec_from_file_location("rmdesk_settings_security_copy", rmdesk.settings.__file__)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_hsts_and_https_redirect_only_over_tls(monkeypatch, tmp_path):
    plain = _load_settings(monkeypatch, tmp_path)
    assert not getattr(plain, "SECURE_HSTS_SECONDS", 0) and not getattr(plain, "SECURE_SSL_REDIRECT", False)
    tls = _load_settings(monkeypatch, tmp_path, RMDESK_HTTPS="1")
    assert tls.SECURE_HSTS_SECONDS >= 31536000 and tls.SECURE_HSTS_INCLUDE_SUBDOMAINS and tls.SECURE_SSL_REDIRECT
    assert tls.SESSION_COOKIE_SECURE and tls.CSRF_COOKIE_SECURE


def test_production_refuses_to_start_without_a_secret_key(monkeypatch, tmp_path):
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="RMDESK_SECRET_KEY"):
        _load_settings(monkeypatch, tmp_path, RMDESK_ENV="production")
    assert not (tmp_path / "secret_key").exists()
    s = _load_settings(monkeypatch, tmp_path, RMDESK_ENV="production", RMDESK_SECRET_KEY="k" * 60)
    assert s.SECRET_KEY == "k" * 60 and s.PRODUCTION


def test_production_process_exits_without_a_key(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RMDESK_", "DJANGO_"))}
    env.update(RMDESK_ENV="production", RMDESK_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="rmdesk.settings")
    run = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode != 0
    assert "RMDESK_SECRET_KEY" in run.stderr


def test_the_embedded_default_generates_and_keeps_its_key(monkeypatch, tmp_path):
    first = _load_settings(monkeypatch, tmp_path)
    path = tmp_path / "secret_key"
    assert path.exists() and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first.SECRET_KEY) >= 50 and first.SECRET_KEY != "dev-only-insecure-key-change-me-in-production"
    assert _load_settings(monkeypatch, tmp_path).SECRET_KEY == first.SECRET_KEY  # reused, not regenerated
    other = tmp_path / "other"
    other.mkdir()
    assert _load_settings(monkeypatch, other).SECRET_KEY != first.SECRET_KEY


def test_check_deploy_is_clean_with_the_production_environment(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RMDESK_", "DJANGO_", "DATABASE_URL"))}
    env.update(
        RMDESK_ENV="production",
        RMDESK_SECRET_KEY="pR0d-" + "x7Qz!9vB2#mK4$tY" * 4,
        RMDESK_HTTPS="1",
        RMDESK_ALLOWED_HOSTS="rmdesk.bank.example",
        RMDESK_VAR_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="rmdesk.settings",
    )
    run = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "System check identified no issues" in run.stdout
    assert "WARNING" not in run.stdout + run.stderr
