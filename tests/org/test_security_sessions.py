"""Sessions (issue 17, issue 18, SPEC §12): idle and absolute timeouts, no session write on a read-only
request, the user→session index, the administrator's "end all sessions and tokens", and /api/docs."""

import re
import time

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rmdesk.core.models import AuditEvent
from rmdesk.org import sessions
from rmdesk.org.models import ApiToken, UserSession
from tests.conftest import PASSWORD, api_token_for

pytestmark = pytest.mark.django_db


def _shift(client, **stamps):
    """Move the session's stamps into the past (seconds ago)."""
    s = client.session
    now = int(time.time())
    for key, ago in stamps.items():
        s[getattr(sessions, key)] = now - ago
    s.save()


def _session_writes(queries):
    return [
        q["sql"]
        for q in queries
        if "django_session" in q["sql"] and q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT"))
    ]


def test_timeouts_are_configured(settings):
    assert settings.SESSION_SAVE_EVERY_REQUEST is False
    assert 0 < settings.RMDESK_SESSION_IDLE_SECONDS < settings.RMDESK_SESSION_ABSOLUTE_SECONDS
    assert settings.SESSION_COOKIE_AGE == settings.RMDESK_SESSION_ABSOLUTE_SECONDS


def test_a_read_only_page_writes_no_session(client, world):
    client.post("/login/", {"username": "rm", "password": PASSWORD})
    client.get("/")
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/customers/").status_code == 200
        assert client.get("/").status_code == 200
    assert _session_writes(ctx.captured_queries) == []


def test_last_activity_moves_at_most_once_a_minute(client, world):
    client.post("/login/", {"username": "rm", "password": PASSWORD})
    _shift(client, SEEN=90, STARTED=90)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/").status_code == 200
    assert len(_session_writes(ctx.captured_queries)) == 1
    assert int(time.time()) - client.session[sessions.SEEN] < 5


def test_idle_timeout_ends_the_session(client, world, settings):
    client.post("/login/", {"username": "rm", "password": PASSWORD})
    _shift(client, SEEN=settings.RMDESK_SESSION_IDLE_SECONDS + 5)
    resp = client.get("/customers/")
    assert resp.status_code == 302 and resp["Location"] == "/login/?next=%2Fcustomers%2F"
    assert client.get("/").status_code == 302
    assert AuditEvent.objects.filter(actor=world.rm, action="auth.session_expired").count() == 1
    assert not UserSession.objects.filter(user=world.rm).exists()


def test_absolute_timeout_ends_an_active_session(client, world, settings):
    client.post("/login/", {"username": "rm", "password": PASSWORD})
    _shift(client, STARTED=settings.RMDESK_SESSION_ABSOLUTE_SECONDS + 5, SEEN=10)
    assert client.get("/").status_code == 302
    # on the API an expired session is nobody
    client.post("/login/", {"username": "rm", "password": PASSWORD})
    _shift(client, STARTED=settings.RMDESK_SESSION_ABSOLUTE_SECONDS + 5, SEEN=10)
    assert client.get("/api/me").status_code == 401


def test_timeouts_follow_the_settings(client, world, settings):
    settings.RMDESK_SESSION_IDLE_SECONDS = 10_000
    client.post("/login/", {"username": "rm", "password": PASSWORD})
    _shift(client, SEEN=3600)
    assert client.get("/").status_code == 200
    settings.RMDESK_SESSION_IDLE_SECONDS = 60
    _shift(client, SEEN=120)
    assert client.get("/").status_code == 302


def test_login_indexes_the_session_and_logout_drops_it(client, world):
    client.post("/login/", {"username": "rm", "password": PASSWORD})
    row = UserSession.objects.get(user=world.rm)
    assert row.session_key == client.session.session_key and row.ip == "127.0.0.1"
    client.post("/logout/")
    assert not UserSession.objects.filter(user=world.rm).exists()


def test_a_password_change_keeps_the_index_on_the_new_session_key(client, world):
    client.post("/login/", {"username": "rm", "password": PASSWORD})
    old = client.session.session_key
    resp = client.post(
        "/password/",
        {"old_password": PASSWORD, "new_password1": "Another-long-pass-42", "new_password2": "Another-long-pass-42"},
    )
    assert resp.status_code == 302
    new = client.session.session_key
    assert new != old
    assert list(UserSession.objects.filter(user=world.rm).values_list("session_key", flat=True)) == [new]


def test_an_administrator_ends_all_sessions_and_tokens(client, world):
    from django.test import Client

    browsers = [Client(), Client()]
    for b in browsers:
        b.post("/login/", {"username": "rm", "password": PASSWORD})
        assert b.get("/").status_code == 200
    token = api_token_for(Client(), "rm")
    assert UserSession.objects.filter(user=world.rm).count() == 2
    client.force_login(world.admin)
    page = client.get(f"/org/staff/{world.rm.pk}/").content.decode()
    assert 'data-testid="end-sessions"' in page
    resp = client.post("/account/end-sessions/", {"user": world.rm.pk}, follow=True)
    assert resp.status_code == 200 and "已结束" in resp.content.decode()
    for b in browsers:
        assert b.get("/").status_code == 302
    assert Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/me").status_code == 401
    assert not ApiToken.objects.filter(user=world.rm, revoked_at__isnull=True).exists()
    assert not UserSession.objects.filter(user=world.rm).exists()
    event = AuditEvent.objects.get(action="auth.sessions_ended")
    assert event.actor == world.admin and event.object_id == str(world.rm.pk)
    assert event.summary["sessions"] == 2 and event.summary["tokens"] == 1
    # the admin's own session is untouched
    assert client.get("/").status_code == 200


def test_only_an_administrator_may_end_sessions(client, world):
    client.force_login(world.manager)
    assert 'data-testid="end-sessions"' not in client.get(f"/org/staff/{world.rm.pk}/").content.decode()
    assert client.post("/account/end-sessions/", {"user": world.rm.pk}).status_code == 404
    client.force_login(world.admin)
    assert client.post("/account/end-sessions/", {"user": 999999}).status_code == 404
    assert client.get("/account/end-sessions/").status_code == 405


def test_sessions_are_ended_through_the_cached_db_engine_too(client, world, settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    client.post("/login/", {"username": "rm", "password": PASSWORD})
    assert client.get("/").status_code == 200
    key = client.session.session_key
    assert Session.objects.filter(session_key=key).exists()
    sessions.end_all(world.admin, world.rm)
    assert not Session.objects.filter(session_key=key).exists()
    assert client.get("/").status_code == 302


def test_api_docs_require_login_unless_public(client, world, settings):
    settings.RMDESK_API_DOCS_PUBLIC = False
    for url in ("/api/docs", "/api/openapi.json"):
        resp = client.get(url)
        assert resp.status_code == 302 and resp["Location"].startswith("/login/?next=/api/"), url
    client.force_login(world.rm)
    assert client.get("/api/openapi.json").json()["info"]["title"] == "RM Desk API"
    docs = client.get("/api/docs")
    assert docs.status_code == 200 and "swagger-ui-bundle.js" in docs.content.decode()
    # every script and style from this site (no CDN); the page's random CSRF token may spell "cdn", so look at
    # the addresses, not the whole text
    addresses = re.findall(r'(?:src|href)="([^"]*)"', docs.content.decode())
    assert addresses and all(a.startswith("/") and not a.startswith("//") for a in addresses), addresses
    settings.RMDESK_API_DOCS_PUBLIC = True
    client.logout()
    assert client.get("/api/openapi.json").status_code == 200


def test_api_docs_are_closed_by_default_without_debug(monkeypatch, tmp_path):
    from tests.org.test_security_csp import _load_settings

    assert _load_settings(monkeypatch, tmp_path).RMDESK_API_DOCS_PUBLIC is False
    assert _load_settings(monkeypatch, tmp_path, RMDESK_DEBUG="1").RMDESK_API_DOCS_PUBLIC is True
