"""Two-factor login (issue 17, SPEC §12): TOTP devices (django-otp) and one-time recovery codes (its
static device), required for the roles in RMDESK_OTP_REQUIRED_ROLES and available to everyone.

The login flow is password (Django's LoginView, django-axes lock-out) → the OTP step. At login the
session is marked pending (rmdesk.org.sessions); rmdesk.org.gate keeps a pending session away from
every page and treats it as anonymous on the API until a code is verified here.
"""

from base64 import b32encode

import segno
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from rmdesk.core import audit

RECOVERY_CODES = 10
TOTP_NAME = "totp"
RECOVERY_NAME = "recovery"


def required_roles() -> frozenset:
    return frozenset(getattr(settings, "RMDESK_OTP_REQUIRED_ROLES", ()))


def is_required(user) -> bool:
    """Must this user sign in with a second factor (a role in RMDESK_OTP_REQUIRED_ROLES)?"""
    roles = required_roles()
    if not roles:
        return False
    if "admin" in roles and getattr(user, "is_superuser", False):
        return True
    return user.has_role(*roles)


def totp_device(user, confirmed=True):
    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("id").first()


def has_device(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def verify(user, code: str):
    """The device that accepts `code` (a TOTP code, or a recovery code, used up), else None.
    django-otp throttles failures per device (exponential back-off)."""
    code = (code or "").strip().replace(" ", "").replace("-", "").lower()
    if not code:
        return None
    if code.isdigit():
        for device in TOTPDevice.objects.filter(user=user, confirmed=True):
            allowed, _info = device.verify_is_allowed()
            if allowed and device.verify_token(code):
                return device
    else:
        for device in StaticDevice.objects.filter(user=user, confirmed=True):
            allowed, _info = device.verify_is_allowed()
            if allowed and device.verify_token(code):
                return device
    return None


def start_enrolment(user) -> TOTPDevice:
    """A fresh unconfirmed TOTP device (any earlier unconfirmed one is dropped)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)


def secret_of(device) -> str:
    """The device key as base32 in groups of four, for typing into an authenticator app."""
    raw = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def qr_svg(device) -> str:
    """The otpauth:// provisioning URI as an inline SVG QR code (drawn here; no external service)."""
    return segno.make(device.config_url, error="m").svg_inline(scale=4, dark="#111", light="#fff")


@transaction.atomic
def confirm_enrolment(request, device, code) -> list[str] | None:
    """Confirm the pending device with a code from the app: it replaces any earlier device, new
    recovery codes are made and the session counts as verified. Returns the codes (shown once)."""
    user = request.user
    if not device.verify_token((code or "").strip()):
        return None
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _new_recovery_codes(user)
    otp_login(request, device)
    audit.record(user, "auth.otp_enrolled", user)
    return codes


def _new_recovery_codes(user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    static = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=static, token=c) for c in codes])
    return codes


@transaction.atomic
def regenerate_recovery_codes(user) -> list[str]:
    codes = _new_recovery_codes(user)
    audit.record(user, "auth.recovery_codes_regenerated", user)
    return codes


class TwoFactorRequired(Exception):
    pass


@transaction.atomic
def disable(user):
    """Remove the user's devices; refused for the roles that must use two-factor login."""
    if is_required(user):
        raise TwoFactorRequired(_("您的角色必须使用双因素认证，不能停用。"))
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    audit.record(user, "auth.otp_disabled", user)


def token_refusal(user, otp: str | None):
    """For the API token endpoint: None when the user may have a token, else (status, message).
    A user with a device must send a current code (or a recovery code) as `otp`; a user whose role
    requires two-factor login and who has no device yet must enrol in the browser first."""
    if has_device(user):
        if not otp:
            return 401, _("请填写动态验证码（otp）。")
        if verify(user, otp) is None:
            audit.record(user, "auth.otp_failed", user, channel="api")
            return 401, _("动态验证码不正确或已过期。")
        return None
    if is_required(user):
        return 403, _("您的角色必须使用双因素认证：请先在浏览器中登录并启用。")
    return None


def format_codes(codes):
    return [f"{c[:4]}-{c[4:]}" for c in codes]


def api_docs_decorator(view):
    """/api/docs and /api/openapi.json: public with RMDESK_API_DOCS_PUBLIC (DEBUG's default), else
    only for a signed-in user (issue 17). The setting is read per request."""
    import functools

    from django.contrib.auth.views import redirect_to_login

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not settings.RMDESK_API_DOCS_PUBLIC and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapped
