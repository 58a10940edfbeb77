"""Routes of the login security (issue 17), mounted at the site root by rmdesk.urls."""

from django.contrib.auth import views as auth_views
from django.urls import path

from . import security_views as views

urlpatterns = [
    path("login/otp/", views.otp_verify, name="otp_verify"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("account/security/", views.security, name="security"),
    path("account/security/enrol/", views.otp_enrol, name="otp_enrol"),
    path("account/security/recovery/", views.recovery_regenerate, name="recovery_regenerate"),
    path("account/security/disable/", views.otp_disable, name="otp_disable"),
    path("account/end-sessions/", views.end_sessions, name="end_sessions"),
]
