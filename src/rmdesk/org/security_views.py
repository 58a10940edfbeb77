"""Pages of the login security (issue 17, SPEC §12): the OTP step of the login, the user's own
security page (enrol TOTP with a QR code, recovery codes, disable), the forced password change, and
the administrator's "end all sessions and tokens" of a member of staff."""

from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME, logout, views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rmdesk.core import audit
from rmdesk.core.roles import is_admin

from . import sessions, twofactor
from .scope import visible_staff
from .security_forms import ConfirmDeviceForm, EndSessionsForm, OtpForm

MAX_OTP_FAILURES = 5


def _next(request, default="home"):
    target = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME) or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse(default)


def _verified(request):
    request.session.pop(sessions.PENDING, None)
    request.session.pop("_rmdesk_otp_failures", None)
    request.session.cycle_key()


@login_required
def otp_verify(request):
    """Second step of the login: a TOTP code or a recovery code (SPEC §12)."""
    pending = request.session.get(sessions.PENDING)
    if pending != "otp":
        return HttpResponseRedirect(_next(request))
    form = OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = twofactor.verify(request.user, form.cleaned_data["code"])
        if device is not None:
            from django_otp import login as otp_login

            otp_login(request, device)
            _verified(request)
            audit.record(request.user, "auth.otp_verified", request.user, device=device.name)
            return HttpResponseRedirect(_next(request))
        failures = request.session.get("_rmdesk_otp_failures", 0) + 1
        request.session["_rmdesk_otp_failures"] = failures
        audit.record(request.user, "auth.otp_failed", request.user, channel="web")
        if failures >= MAX_OTP_FAILURES:
            logout(request)
            messages.error(request, _("动态验证码错误次数过多，请重新登录。"))
            return redirect("login")
        form.add_error("code", _("动态验证码不正确或已过期。"))
    return render(request, "registration/otp_verify.html", {"form": form, "next": _next(request)})


@login_required
def security(request):
    """The user's own security page: two-factor status, recovery codes left, sessions (SPEC §12)."""
    user = request.user
    return render(
        request,
        "registration/security.html",
        {
            "has_device": twofactor.has_device(user),
            "required": twofactor.is_required(user),
            "codes_left": twofactor.recovery_codes_left(user),
            "pending_enrol": request.session.get(sessions.PENDING) == "enrol",
        },
    )


@login_required
def otp_enrol(request):
    """Set up a TOTP app: QR code and secret, confirmed with a code; then 10 recovery codes, shown once."""
    pending = request.session.get(sessions.PENDING)
    if pending == "otp":
        return redirect("otp_verify")
    user = request.user
    device = twofactor.totp_device(user, confirmed=False)
    if request.method == "POST" and device is not None:
        form = ConfirmDeviceForm(request.POST)
        if form.is_valid():
            codes = twofactor.confirm_enrolment(request, device, form.cleaned_data["code"].strip())
            if codes is not None:
                _verified(request)
                return render(
                    request,
                    "registration/recovery_codes.html",
                    {"codes": twofactor.format_codes(codes), "next": _next(request)},
                )
            form.add_error("code", _("验证码不正确，请核对手机时间后重试。"))
    else:
        if device is None:
            device = twofactor.start_enrolment(user)
        form = ConfirmDeviceForm()
    return render(
        request,
        "registration/otp_enrol.html",
        {
            "form": form,
            "qr": twofactor.qr_svg(device),
            "secret": twofactor.secret_of(device),
            "required": twofactor.is_required(user),
            "next": _next(request, "security"),
        },
    )


@login_required
@require_POST
def recovery_regenerate(request):
    if not twofactor.has_device(request.user):
        return redirect("security")
    codes = twofactor.regenerate_recovery_codes(request.user)
    context = {"codes": twofactor.format_codes(codes), "next": reverse("security")}
    return render(request, "registration/recovery_codes.html", context)


@login_required
@require_POST
def otp_disable(request):
    try:
        twofactor.disable(request.user)
    except twofactor.TwoFactorRequired as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("已停用双因素认证。"))
    return redirect("security")


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's change page; a successful change lifts the forced change of an expired password."""

    success_url = reverse_lazy("password_change_done")

    def form_valid(self, form):
        response = super().form_valid(form)
        self.request.session.pop(sessions.PASSWORD_EXPIRED, None)
        audit.record(self.request.user, "auth.password_changed", self.request.user)
        return response

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["expired"] = bool(self.request.session.get(sessions.PASSWORD_EXPIRED))
        return ctx


@login_required
@require_POST
def end_sessions(request):
    """An administrator ends all sessions of a member of staff and revokes their API tokens (SPEC §12)."""
    if not is_admin(request.user):
        raise Http404
    form = EndSessionsForm(request.POST)
    if not form.is_valid():
        raise Http404
    target = get_object_or_404(visible_staff(request.user), pk=form.cleaned_data["user"])
    result = sessions.end_all(request.user, target)
    messages.success(
        request,
        _("已结束%(name)s的%(sessions)d个会话，吊销%(tokens)d个API令牌。")
        % {"name": target.display_name, "sessions": result["sessions"], "tokens": result["tokens"]},
    )
    return redirect("org:staff_detail", pk=target.pk)
