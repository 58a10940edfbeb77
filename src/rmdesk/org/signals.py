"""Record logins, logouts and failed logins in the audit trail (SPEC §8)."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from rmdesk.core import audit


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    audit.record(user, "auth.login", user)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit.record(user, "auth.logout", user)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    audit.record(
        None, "auth.login_failed", object_type="org.user", object_id="", username=credentials.get("username", "")
    )
