"""Two-factor login (issue 17, SPEC §12): TOTP enrolment with a QR code, the OTP step after the password,
recovery codes, required roles, disabling, and the API token endpoint."""

import re

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from rmdesk.core.models import AuditEvent
from rmdesk.org import twofactor
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
REQUIRED = ["admin", "compliance", "branch_manager"]


def code_for(device, drift=0):
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = totp.time + drift * device.step if drift else totp.time
    return f"{totp.token():0{device.digits}d}"


def enrol(user):
    """A confirmed TOTP device and recovery codes, as after the enrolment page."""
    device = TOTPDevice.objects.create(user=user, name="totp", confirmed=True)
    codes = twofactor._new_recovery_codes(user)
    return device, codes


def login(client, username):
    return client.post("/login/", {"username": username, "password": PASSWORD})


def test_the_default_required_roles_are_admin_compliance_and_branch_manager():
    from rmdesk import settings as s

    assert sorted(s.RMDESK_OTP_REQUIRED_ROLES) == sorted(REQUIRED)


@pytest.fixture
def no_throttle(settings):
    """django-otp delays the next try after a failure (1 s, doubling); tests that follow a wrong code
    with a right one at once turn the delay off (test_a_failure_throttles_the_next_try keeps it)."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


def test_a_failure_throttles_the_next_try(client, world):
    device, _codes = enrol(world.rm)
    login(client, "rm")
    client.post("/login/otp/", {"code": "000000" if code_for(device) != "000000" else "111111"})
    right_away = client.post("/login/otp/", {"code": code_for(device)})
    assert right_away.status_code == 200 and "动态验证码不正确" in right_away.content.decode()


def test_a_user_with_a_device_must_pass_the_otp_step(client, world, no_throttle):
    device, _codes = enrol(world.rm)
    assert login(client, "rm").status_code == 302
    # signed in by password only: every page leads to the OTP step, the API sees nobody
    resp = client.get("/customers/")
    assert resp.status_code == 302 and resp["Location"].startswith("/login/otp/")
    assert client.get("/api/me").status_code == 401
    page = client.get(resp["Location"])
    assert "双因素认证" in page.content.decode()
    wrong = client.post("/login/otp/", {"code": "000000" if code_for(device) != "000000" else "111111"})
    assert wrong.status_code == 200
    assert re.search(r'class="field-error"[^>]*>动态验证码不正确或已过期。', wrong.content.decode())
    ok = client.post("/login/otp/?next=/customers/", {"code": code_for(device)})
    assert ok.status_code == 302 and ok["Location"] == "/customers/"
    assert client.get("/").status_code == 200
    assert client.get("/api/me").status_code == 200
    actions = list(AuditEvent.objects.filter(actor=world.rm).order_by("id").values_list("action", flat=True))
    assert actions[:3] == ["auth.login", "auth.otp_failed", "auth.otp_verified"]


def test_a_recovery_code_works_once(client, world):
    _device, codes = enrol(world.rm)
    login(client, "rm")
    assert client.post("/login/otp/", {"code": codes[0].upper()}).status_code == 302
    assert client.get("/").status_code == 200
    assert StaticToken.objects.filter(device__user=world.rm).count() == 9
    client.post("/logout/")
    login(client, "rm")
    again = client.post("/login/otp/", {"code": codes[0]})
    assert again.status_code == 200 and "动态验证码不正确" in again.content.decode()


def test_too_many_wrong_codes_end_the_session(client, world):
    enrol(world.rm)
    login(client, "rm")
    for _ in range(5):
        resp = client.post("/login/otp/", {"code": "12345678x"})
    assert resp.status_code == 302 and resp["Location"] == "/login/"
    assert client.get("/").status_code == 302 and client.get("/")["Location"].startswith("/login/")


def test_axes_lock_out_still_applies_before_the_otp_step(client, world, settings):
    enrol(world.rm)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "rm") if False else client.post("/login/", {"username": "rm", "password": "wrong"})
    assert login(client, "rm").status_code == 429


def test_a_required_role_without_a_device_is_sent_to_enrolment_first(client, world, settings):
    settings.RMDESK_OTP_REQUIRED_ROLES = REQUIRED
    login(client, "compliance")
    resp = client.get("/compliance/")
    assert resp.status_code == 302 and resp["Location"].startswith("/account/security/enrol/")
    page = client.get("/account/security/enrol/")
    body = page.content.decode()
    assert page.status_code == 200 and "<svg" in body and "必须使用双因素认证" in body
    device = TOTPDevice.objects.get(user=world.compliance, confirmed=False)
    secret = re.search(r'data-testid="otp-secret">([A-Z2-7 ]+)<', body).group(1)
    assert secret.replace(" ", "") == twofactor.secret_of(device).replace(" ", "")
    # a wrong code: the error next to the field, still pending
    bad = client.post("/account/security/enrol/", {"code": "12ab"})
    assert bad.status_code == 200 and "验证码是6位数字" in bad.content.decode()
    done = client.post("/account/security/enrol/", {"code": code_for(device)})
    codes = re.findall(r"<li><code>([a-z2-7]{4}-[a-z2-7]{4})</code></li>", done.content.decode())
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get("/compliance/").status_code == 200
    assert AuditEvent.objects.filter(actor=world.compliance, action="auth.otp_enrolled").exists()
    # the codes are not shown again
    assert codes[0] not in client.get("/account/security/").content.decode()
    # a required role may not disable it
    client.post("/account/security/disable/")
    assert TOTPDevice.objects.filter(user=world.compliance, confirmed=True).exists()


def test_a_required_role_is_enforced_for_superusers_too(client, world, settings):
    settings.RMDESK_OTP_REQUIRED_ROLES = ["admin"]
    assert twofactor.is_required(world.admin)
    assert not twofactor.is_required(world.rm)


def test_any_user_can_enable_regenerate_and_disable(client, world):
    client.force_login(world.rm)
    assert "未启用" in client.get("/account/security/").content.decode()
    client.get("/account/security/enrol/")
    device = TOTPDevice.objects.get(user=world.rm, confirmed=False)
    client.post("/account/security/enrol/", {"code": code_for(device)})
    first = set(StaticToken.objects.filter(device__user=world.rm).values_list("token", flat=True))
    regen = client.post("/account/security/recovery/")
    shown = re.findall(r"<li><code>([a-z2-7]{4}-[a-z2-7]{4})</code></li>", regen.content.decode())
    now = set(StaticToken.objects.filter(device__user=world.rm).values_list("token", flat=True))
    assert len(shown) == 10 and now.isdisjoint(first) and {c.replace("-", "") for c in shown} == now
    client.post("/account/security/disable/")
    assert not TOTPDevice.objects.filter(user=world.rm).exists()
    assert not StaticToken.objects.filter(device__user=world.rm).exists()
    actions = set(AuditEvent.objects.filter(actor=world.rm).values_list("action", flat=True))
    assert {"auth.otp_enrolled", "auth.recovery_codes_regenerated", "auth.otp_disabled"} <= actions


def test_the_token_endpoint_does_not_bypass_two_factor(client, world, settings, no_throttle):
    device, codes = enrol(world.rm)
    url = "/api/auth/token"
    body = {"username": "rm", "password": PASSWORD}
    missing = client.post(url, body, content_type="application/json")
    assert missing.status_code == 401 and "otp" in missing.json()["detail"]
    wrong = client.post(url, {**body, "otp": "000000"}, content_type="application/json")
    assert wrong.status_code == 401
    ok = client.post(url, {**body, "otp": code_for(device)}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["token"]
    recovery = client.post(url, {**body, "otp": codes[1]}, content_type="application/json")
    assert recovery.status_code == 200
    # a required role without a device: enrol in the browser first
    settings.RMDESK_OTP_REQUIRED_ROLES = REQUIRED
    refused = client.post(url, {"username": "manager", "password": PASSWORD}, content_type="application/json")
    assert refused.status_code == 403 and "双因素认证" in refused.json()["detail"]
    # a user without a device and without a required role: as before
    assert (
        client.post(url, {"username": "rm_b", "password": PASSWORD}, content_type="application/json").status_code == 200
    )
