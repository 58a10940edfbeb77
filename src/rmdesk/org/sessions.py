"""Sessions (issue 17, issue 18, SPEC §12): idle and absolute timeouts without a write per request,
the user→session index, and the administrator's "end this person's sessions and tokens".

A session carries two stamps (epoch seconds): when it began and when it was last seen. The gate
middleware (rmdesk.org.gate) ends it after RMDESK_SESSION_IDLE_SECONDS without a request or
RMDESK_SESSION_ABSOLUTE_SECONDS after login, and moves "last seen" forward at most once a minute, so a
read-only page normally writes nothing (SESSION_SAVE_EVERY_REQUEST is off).
"""

import time
from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from rmdesk.core import audit

from . import passwords, twofactor
from .security_models import UserSession

STARTED = "_rmdesk_started"
SEEN = "_rmdesk_seen"
PENDING = "_rmdesk_pending"  # "otp": a code is still due; "enrol": a device must be set up first
PASSWORD_EXPIRED = "_rmdesk_pw_expired"
INDEXED = "_rmdesk_indexed"  # the session key the index row holds
TOUCH_EVERY = 60


def idle_seconds() -> int:
    return int(settings.RMDESK_SESSION_IDLE_SECONDS)


def absolute_seconds() -> int:
    return int(settings.RMDESK_SESSION_ABSOLUTE_SECONDS)


def expired(session, now: int) -> bool:
    started, seen = session.get(STARTED), session.get(SEEN)
    if started is None or seen is None:
        return False
    return now - started > absolute_seconds() or now - seen > idle_seconds()


@receiver(user_logged_in, dispatch_uid="rmdesk.org.sessions.login")
def _on_login(sender, request, user, **kwargs):
    session = getattr(request, "session", None)
    if session is None:
        return
    now = int(time.time())
    session[STARTED] = session[SEEN] = now
    if twofactor.has_device(user):
        session[PENDING] = "otp"
    elif twofactor.is_required(user):
        session[PENDING] = "enrol"
    else:
        session.pop(PENDING, None)
    if passwords.password_expired(user):
        session[PASSWORD_EXPIRED] = True
    else:
        session.pop(PASSWORD_EXPIRED, None)
    index(request, user)


def index(request, user):
    """Record the request's session under its user (and forget the user's sessions that cannot be
    alive any more: older than the absolute timeout)."""
    key = request.session.session_key
    if not key:
        request.session.save()
        key = request.session.session_key
    old = request.session.get(INDEXED)
    if old and old != key:
        UserSession.objects.filter(session_key=old).delete()
    UserSession.objects.update_or_create(
        session_key=key, defaults={"user": user, "ip": request.META.get("REMOTE_ADDR") or None}
    )
    UserSession.objects.filter(
        user=user, created_at__lt=timezone.now() - timedelta(seconds=absolute_seconds())
    ).delete()
    request.session[INDEXED] = key


@receiver(user_logged_out, dispatch_uid="rmdesk.org.sessions.logout")
def _on_logout(sender, request, user, **kwargs):
    key = getattr(getattr(request, "session", None), "session_key", None)
    if key:
        UserSession.objects.filter(session_key=key).delete()


def _store():
    return import_module(settings.SESSION_ENGINE).SessionStore


def end_all(actor, target) -> dict:
    """End every session of `target` and revoke their API tokens: a business action, audited (SPEC §12).
    Works with the db and cached_db session engines (each session is deleted through the engine)."""
    from .models import ApiToken

    store = _store()
    with transaction.atomic():
        keys = list(UserSession.objects.filter(user=target).values_list("session_key", flat=True))
        for key in keys:
            store(session_key=key).delete()
        UserSession.objects.filter(user=target).delete()
        tokens = ApiToken.objects.filter(user=target, revoked_at__isnull=True).update(revoked_at=timezone.now())
        audit.record(actor, "auth.sessions_ended", target, sessions=len(keys), tokens=tokens)
    return {"sessions": len(keys), "tokens": tokens}
