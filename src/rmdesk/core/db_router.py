"""Reads of reports and dashboards from a streaming replica; everything else on the primary (SPEC §12,
issue 17).

With `DATABASE_REPLICA_URL` set, settings add the database alias "replica". `ReplicaPinMiddleware`
marks a safe request (GET/HEAD) to one of `RMDESK_REPLICA_PATHS` (default the analytics pages and
API) as read-only-from-the-replica, and the router sends that request's reads there. A replica lags
the primary by a little, so a user who has just written (a non-safe request answered < 400) is pinned
to the primary for `RMDESK_REPLICA_PIN_SECONDS`: a cookie for the browser, and a flag in the shared
cache (Redis at scale) for API clients that do not keep cookies. Writes and migrations always go to
the primary. Without the "replica" alias the router reads nothing from elsewhere; the pin is still set
after a write, because the cached home panels use it to show a person's own change at once.
"""

import time
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.core.cache import cache

REPLICA = "replica"
PIN_COOKIE = "rmdesk_primary_until"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

_read_replica: ContextVar[bool] = ContextVar("rmdesk_read_replica", default=False)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


@contextmanager
def reads_from_replica(on: bool = True):
    """Within the block, reads go to the replica when one is configured (reports run outside requests
    may use it too)."""
    token = _read_replica.set(on)
    try:
        yield
    finally:
        _read_replica.reset(token)


class PrimaryReplicaRouter:
    """Reads to the replica only inside `reads_from_replica()`; writes, relations and migrations on the primary."""

    def db_for_read(self, model, **hints):
        if _read_replica.get() and replica_configured():
            return REPLICA
        return None

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"


def _pin_key(user_id) -> str:
    return f"rmdesk:primary-pin:{user_id}"


def _user_id(request):
    user = getattr(request, "user", None)
    return user.pk if user is not None and getattr(user, "is_authenticated", False) else None


def is_pinned(request, now: float | None = None) -> bool:
    """Has this browser or user written within the last RMDESK_REPLICA_PIN_SECONDS?"""
    now = time.time() if now is None else now
    try:
        if float(request.COOKIES.get(PIN_COOKIE, "0")) > now:
            return True
    except ValueError:
        pass
    uid = _user_id(request)
    return uid is not None and bool(cache.get(_pin_key(uid)))


def wants_replica(request) -> bool:
    return (
        request.method in SAFE_METHODS
        and any(request.path.startswith(p) for p in settings.RMDESK_REPLICA_PATHS)
        and not is_pinned(request)
    )


class ReplicaPinMiddleware:
    """Route a report/dashboard read to the replica unless the user just wrote; pin after a write."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if replica_configured():
            with reads_from_replica(wants_replica(request)):
                response = self.get_response(request)
        else:
            response = self.get_response(request)
        # the pin is set with or without a replica: it also tells the cached home panels that this person
        # has just changed something (rmdesk.org.views.home; docs/decisions.md "home panels cached")
        if request.method not in SAFE_METHODS and response.status_code < 400:
            seconds = settings.RMDESK_REPLICA_PIN_SECONDS
            response.set_cookie(
                PIN_COOKIE,
                f"{time.time() + seconds:.0f}",
                max_age=seconds,
                httponly=True,
                samesite="Lax",
                secure=request.is_secure(),
            )
            uid = _user_id(request)
            if uid is not None:
                cache.set(_pin_key(uid), 1, seconds)
        return response
