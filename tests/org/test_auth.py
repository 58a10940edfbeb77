"""Login, lock-out, logout, password change, API tokens and their revocation (SPEC §1, §12)."""

import pytest
from django.conf import settings

from rmdesk.core.models import AuditEvent
from rmdesk.org.models import ApiToken
from tests.conftest import PASSWORD, api_token_for

pytestmark = pytest.mark.django_db


def test_argon2_is_the_production_hasher():
    assert "Argon2PasswordHasher" in [h for h in settings.PASSWORD_HASHERS if "Argon2" in h][0]
    from rmdesk import settings as s

    prod = [h for h in s.PASSWORD_HASHERS if "MD5" not in h]
    assert prod[0].endswith("Argon2PasswordHasher")


def test_login_page_is_chinese(client):
    resp = client.get("/login/")
    assert resp.status_code == 200
    assert "登录客户经理工作台" in resp.content.decode()


def test_login_and_logout_are_audited(client, world):
    resp = client.post("/login/", {"username": "rm", "password": PASSWORD})
    assert resp.status_code == 302
    home = client.get("/")
    assert "您好" in home.content.decode()
    client.post("/logout/")
    assert client.get("/").status_code == 302
    actions = list(AuditEvent.objects.filter(actor=world.rm).order_by("id").values_list("action", flat=True))
    assert actions == ["auth.login", "auth.logout"]


def test_wrong_password_shows_error_and_is_audited(client, world):
    resp = client.post("/login/", {"username": "rm", "password": "nope"})
    assert resp.status_code == 200
    assert "请输入一个正确的" in resp.content.decode() or "正确" in resp.content.decode()
    assert AuditEvent.objects.filter(action="auth.login_failed", summary__username="rm").count() == 1


def test_lockout_after_five_failures(client, world):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": "rm", "password": "wrong"})
    resp = client.post("/login/", {"username": "rm", "password": PASSWORD})
    assert resp.status_code == 429
    assert "锁定" in resp.content.decode()
    # the API refuses the locked account as well
    api = client.post("/api/auth/token", {"username": "rm", "password": PASSWORD}, content_type="application/json")
    assert api.status_code == 429
    # another user is not affected
    assert client.post("/login/", {"username": "rm_b", "password": PASSWORD}).status_code == 302


def test_session_expires_on_idle_timeout(settings):
    assert 0 < settings.SESSION_COOKIE_AGE <= 12 * 3600
    # issue 17/18: no session write per request; the idle expiry is the gate's (tests/org/test_security_sessions.py)
    assert settings.SESSION_SAVE_EVERY_REQUEST is False
    assert 0 < settings.RMDESK_SESSION_IDLE_SECONDS <= settings.SESSION_COOKIE_AGE


def test_password_change(client, world):
    client.force_login(world.rm)
    resp = client.post(
        "/password/",
        {"old_password": PASSWORD, "new_password1": "Xq7!long-new-pass", "new_password2": "Xq7!long-new-pass"},
    )
    assert resp.status_code == 302
    world.rm.refresh_from_db()
    assert world.rm.check_password("Xq7!long-new-pass")


def test_password_change_rejects_mismatch_in_chinese(client, world):
    client.force_login(world.rm)
    resp = client.post(
        "/password/",
        {"old_password": PASSWORD, "new_password1": "Xq7!long-new-pass", "new_password2": "other-pass-999"},
    )
    assert resp.status_code == 200
    assert "输入的两个密码不一致" in resp.content.decode()


def test_token_issue_use_and_revoke(client, world):
    token = api_token_for(client, "rm")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    me = client.get("/api/me", **auth)
    assert me.status_code == 200
    assert me.json()["username"] == "rm"
    assert ApiToken.objects.get(user=world.rm).digest != token  # only the digest is stored
    assert client.delete("/api/auth/token", **auth).status_code == 204
    assert client.get("/api/me", **auth).status_code == 401
    assert AuditEvent.objects.filter(action="auth.token_revoked", actor=world.rm).exists()


def test_token_bad_credentials(client, world):
    resp = client.post("/api/auth/token", {"username": "rm", "password": "bad"}, content_type="application/json")
    assert resp.status_code == 401
    assert resp.json()["detail"] == "用户名或密码错误。"


def test_token_request_missing_field_is_422_with_path(client, world):
    resp = client.post("/api/auth/token", {"username": "rm"}, content_type="application/json")
    assert resp.status_code == 422
    assert resp.json()["detail"][0]["loc"][-1] == "password"


def test_cannot_revoke_someone_elses_token(client, world):
    other = api_token_for(client, "rm_b")
    other_id = ApiToken.objects.get(user=world.rm_b).pk
    mine = api_token_for(client, "rm")
    resp = client.delete(f"/api/auth/tokens/{other_id}", HTTP_AUTHORIZATION=f"Bearer {mine}")
    assert resp.status_code == 404
    assert client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {other}").status_code == 200


def test_unauthenticated_api_is_401(client, db):
    assert client.get("/api/me").status_code == 401
    assert client.get("/api/me", HTTP_AUTHORIZATION="Bearer not-a-token").status_code == 401


def test_inactive_users_token_stops_working(client, world):
    token = api_token_for(client, "rm")
    world.rm.is_active = False
    world.rm.save()
    assert client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
