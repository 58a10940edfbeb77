"""Models of the login security (issue 17, SPEC §12): the user→session index and the password history.

Imported by rmdesk.org.models, so they belong to the org app (label "org").
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class UserSession(models.Model):
    """One signed-in browser session of a user, recorded at login (Django's session table is not
    indexed by user): lets an administrator end all of a person's sessions (SPEC §12)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("员工"), on_delete=models.CASCADE, related_name="login_sessions"
    )
    session_key = models.CharField(_("会话"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("登录时间"), default=timezone.now)
    ip = models.GenericIPAddressField(_("登录地址"), null=True, blank=True)

    class Meta:
        verbose_name = _("登录会话")
        verbose_name_plural = _("登录会话")
        indexes = [models.Index(fields=["user", "created_at"])]


class PasswordHistory(models.Model):
    """A password hash a user had (newest last): the history of the last N is not reusable, and the
    newest row's time is when the password was last changed (max age, SPEC §12)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("员工"), on_delete=models.CASCADE, related_name="password_history"
    )
    encoded = models.CharField(max_length=256)
    created_at = models.DateTimeField(_("修改时间"), default=timezone.now)

    class Meta:
        verbose_name = _("历史密码")
        verbose_name_plural = _("历史密码")
        indexes = [models.Index(fields=["user", "-created_at"])]
