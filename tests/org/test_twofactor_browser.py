"""Two-factor login in the browser (issue 17): a compliance officer signs in with a TOTP code computed
here (django_otp.oath.TOTP) and reaches the home page; a wrong code shows its error next to the field;
also on a phone-sized screen (390×844). The page runs under the Content-Security-Policy."""

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.browser import page, shows  # noqa: F401  (fixture)
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _code(device):
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def _wrong(device):
    return "000000" if _code(device) != "000000" else "111111"


@pytest.mark.parametrize("viewport", [None, {"width": 390, "height": 844}], ids=["desktop", "phone"])
def test_compliance_signs_in_with_a_totp_code(page, world, settings, viewport):  # noqa: F811
    settings.RMDESK_OTP_REQUIRED_ROLES = ["admin", "compliance", "branch_manager"]
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # the wrong code is followed by the right one at once
    device = TOTPDevice.objects.create(user=world.compliance, name="totp", confirmed=True)
    pg, base = page
    if viewport:
        pg.set_viewport_size(viewport)
    errors = []
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.goto(f"{base}/login/")
    pg.fill("#id_username", "compliance")
    pg.fill("#id_password", PASSWORD)
    pg.click("[data-testid=login-submit]")
    pg.wait_for_url(f"{base}/login/otp/**")
    assert pg.inner_text("h1") == "双因素认证"
    pg.fill("#id_code", _wrong(device))
    pg.click("[data-testid=otp-submit]")
    error = pg.wait_for_selector("[data-testid=otp-error]")
    assert error.inner_text() == "动态验证码不正确或已过期。"
    # the error sits right after the field it is about
    assert pg.evaluate("document.querySelector('#id_code').nextElementSibling.dataset.testid") == "otp-error"
    pg.fill("#id_code", _code(device))
    pg.click("[data-testid=otp-submit]")
    pg.wait_for_url(f"{base}/")
    assert "您好" in pg.inner_text("[data-testid=home-title]")
    if viewport:
        assert pg.evaluate("document.documentElement.scrollWidth") <= 390
    assert not [e for e in errors if "Content Security Policy" in e], errors


def test_a_required_role_enrols_with_the_qr_page_first(page, world, settings):  # noqa: F811
    settings.RMDESK_OTP_REQUIRED_ROLES = ["admin", "compliance", "branch_manager"]
    pg, base = page
    pg.set_viewport_size({"width": 390, "height": 844})
    pg.goto(f"{base}/login/")
    pg.fill("#id_username", "manager")
    pg.fill("#id_password", PASSWORD)
    pg.click("[data-testid=login-submit]")
    pg.wait_for_url(f"{base}/account/security/enrol/**")
    assert pg.locator("[data-testid=otp-qr] svg").count() == 1
    device = TOTPDevice.objects.get(user=world.manager, confirmed=False)
    pg.fill("#id_code", _code(device))
    pg.click("[data-testid=otp-confirm]")
    shows(pg, "[data-testid=recovery-codes] li", count=10)
    pg.click("[data-testid=recovery-done]")
    pg.wait_for_url(f"{base}/")
    assert "您好" in pg.inner_text("[data-testid=home-title]")
