"""Business actions (docs/decisions.md 12): how every service that writes is shaped (ARCHITECTURE.md
"Rules that keep it real").

    @business_action
    def update_journal(actor, journal_id, *, version, **changes):
        journal = ...select_for_update()...
        check_version(journal, version)        # required for edits of shared records: stale -> 409
        ...
        audit.record(actor, "work.journal_update", journal, after=...)   # in the same transaction
        after_commit(lambda: notify(...))      # side effects only once the action committed
        return journal

- the whole action runs in one transaction: a failure anywhere rolls it back whole;
- its audit event is written inside that transaction, so an event exists if and only if the action
  committed;
- notifications, tasks and other side effects run after commit (`after_commit`), never for an
  action that rolled back;
- an edit of a shared record names the version the user saw; `check_version` refuses a stale one
  with `StaleVersion` (HTTP 409 in the API, a form error in the UI) and nothing is written.
"""

import functools

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _


class StaleVersion(ValidationError):
    """Someone changed the record since the user read it (optimistic locking): the API answers 409."""


def check_version(obj, version, *, field: str = "version") -> None:
    """Refuse a write based on a stale read. `version` is required: None is a 422 on `version`."""
    if version is None or version == "":
        raise ValidationError({field: [_("缺少版本号，请刷新后重试。")]}, code="required")
    try:
        seen = int(version)
    except (TypeError, ValueError):
        raise ValidationError({field: [_("版本号无效。")]}, code="invalid") from None
    if seen != getattr(obj, field):
        raise StaleVersion({field: [_("该记录已被他人修改，请刷新后重试。")]}, code="stale")


def after_commit(fn, *args, **kwargs) -> None:
    """Run `fn(*args, **kwargs)` once the current transaction commits (at once outside one)."""
    transaction.on_commit(functools.partial(fn, *args, **kwargs))


def business_action(fn=None, *, name: str = ""):
    """Mark a service function as one business action (used bare, `@business_action`, or with an audit
    name): it runs inside one transaction (nested actions join the outer one); the function writes
    its audit event inside it and defers side effects with `after_commit`. `name` documents the audit
    action; it defaults to "<app>.<function>"."""

    def decorate(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with transaction.atomic():
                return func(*args, **kwargs)

        wrapper.business_action = name or f"{func.__module__.split('.')[1]}.{func.__name__}"
        return wrapper

    return decorate(fn) if fn is not None else decorate
