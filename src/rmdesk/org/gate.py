"""The login gate (issue 17, SPEC §12), after AuthenticationMiddleware: for a signed-in session,

1. ends it after the idle or absolute timeout (rmdesk.org.sessions), moving "last seen" at most once
   a minute (no session write on a read-only request otherwise, issue 18);
2. keeps a session whose second factor is still due away from every page (→ the OTP step, or the
   enrolment page for a role that must use two-factor login and has no device yet);
3. sends a user whose password is older than the maximum age to the change page.

On the API (/api/) such a session counts as anonymous (401); bearer tokens are not sessions.
Everything is decided from the session's own data: no query on a normal request.
"""

import time

from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode

from rmdesk.core import audit

from . import sessions
from .security_models import UserSession

#: pages a pending / expired-password session may still open
_ALWAYS = ("/logout/", "/i18n/", "/static/", "/healthz", "/readyz", "/favicon")


def _exempt(path: str, *names: str) -> bool:
    return path.startswith(_ALWAYS) or any(path == reverse(n) for n in names)


class SecurityGateMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is None or SESSION_KEY not in session:
            return self.get_response(request)
        path = request.path_info
        api = path.startswith("/api/")
        now = int(time.time())

        if sessions.expired(session, now):
            self._end(request)
            if api:
                return self.get_response(request)
            return HttpResponseRedirect(f"{reverse('login')}?{urlencode({'next': request.get_full_path()})}")
        if session.get(sessions.STARTED) is None:
            session[sessions.STARTED] = session[sessions.SEEN] = now  # a session from before the stamps
        elif now - session.get(sessions.SEEN, 0) >= sessions.TOUCH_EVERY:
            session[sessions.SEEN] = now

        pending = session.get(sessions.PENDING)
        if pending:
            if api:
                request.user = AnonymousUser()
            elif not (_exempt(path, "otp_verify") if pending == "otp" else _exempt(path, "otp_enrol")):
                target = "otp_verify" if pending == "otp" else "otp_enrol"
                return HttpResponseRedirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
        elif session.get(sessions.PASSWORD_EXPIRED):
            if api:
                request.user = AnonymousUser()
            elif not _exempt(path, "password_change", "password_change_done"):
                return HttpResponseRedirect(reverse("password_change"))

        response = self.get_response(request)
        # a new session key (password change cycles it): keep the user→session index on it
        indexed = session.get(sessions.INDEXED)
        if indexed and session.session_key and indexed != session.session_key and SESSION_KEY in session:
            UserSession.objects.filter(session_key=indexed).update(session_key=session.session_key)
            session[sessions.INDEXED] = session.session_key
        return response

    @staticmethod
    def _end(request):
        user = request.user
        key = request.session.session_key
        if user.is_authenticated:
            audit.record(user, "auth.session_expired", user)
        if key:
            UserSession.objects.filter(session_key=key).delete()
        request.session.flush()
        request.user = AnonymousUser()
