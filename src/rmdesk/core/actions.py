"""Business actions (docs/decisions.md 12): how every service that writes is shaped (ARCHITECTURE.md
"Rules that keep it real").

    @business_action(roles=WORKERS)
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
  with `StaleVersion` (HTTP 409 in the API, a form error in the UI) and nothing is written;
- it names the roles that may take it (`roles=`; the role × action table, docs/roles.md): anyone
  else is refused with PermissionDenied (403) before the action reads the database; an action on
  one record also names how to find it in the actor's read scope (`subject=`), so a record the
  actor cannot see answers 404 exactly as a missing one, also to a refused role (SPEC §1). Scope,
  ownership and maker-checker rules stay inside the action. `EVERYONE` marks actions on one's own account and the
  kernel's approval steps, whose deciders the chain names.
"""

import functools
import inspect

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

#: `roles=EVERYONE`: any signed-in person (own account, approval steps decided by their chain)
EVERYONE = "*"

#: every business action by its audit name (the role × action table is read from here)
REGISTRY: dict[str, "functools._Wrapped"] = {}


class RoleRefused(PermissionDenied):
    """The acting user holds none of the roles the business action names (HTTP 403)."""


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


def in_scope(visible_fn, **scope_kwargs):
    """A `subject=` lookup from an app's scope function: `visible_fn(actor, **scope_kwargs)` must hold
    the record (or every record of a list of ids), else Http404 (e.g. `in_scope(visible_customers,
    write=True)`)."""

    def lookup(actor, pk):
        from django.http import Http404

        from .scope import get_or_404

        if not isinstance(pk, (list, tuple, set, frozenset)):
            return get_or_404(visible_fn(actor, **scope_kwargs), pk)
        wanted = set(pk)
        if visible_fn(actor, **scope_kwargs).filter(pk__in=wanted).count() != len(wanted):
            raise Http404
        return None

    return lookup


def may_take(actor, roles) -> bool:
    """Whether `actor` holds one of `roles` (superusers count as administrators)."""
    if roles == EVERYONE:
        return True
    if actor.has_role(*roles):
        return True
    return "admin" in roles and bool(getattr(actor, "is_superuser", False))


def business_action(fn=None, *, roles=None, subject=None, name: str = ""):
    """Mark a service function as one business action taken by the user passed first: it runs inside
    one transaction (nested actions join the outer one); the function writes its audit event inside
    it and defers side effects with `after_commit`. `roles` names who may take it, or `EVERYONE`
    (tests/core/test_role_actions.py fails on an action that does not say); `actor=None` is the
    system itself (periodic jobs, migrations). `subject(actor, pk)`, for an action whose second
    argument is a record's id, raises Http404 when the actor cannot see the record: a refused role
    gets the 404 first, so out of scope and missing look the same. `name` documents the audit action; it defaults to
    "<app>.<function>"."""
    roles = roles if roles in (None, EVERYONE) else tuple(roles)

    def decorate(func):
        actor_param, subject_param = ([*inspect.signature(func).parameters] + [None])[:2]

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            actor = args[0] if args else kwargs.get(actor_param)
            if actor is not None and roles is not None and not may_take(actor, roles):
                subject_id = args[1] if len(args) > 1 else kwargs.get(subject_param)
                if subject is not None and subject_id is not None:
                    subject(actor, subject_id)
                raise RoleRefused(_("您的角色无权执行此操作。"))
            with transaction.atomic():
                return func(*args, **kwargs)

        wrapper.business_action = name or f"{func.__module__.split('.')[1]}.{func.__name__}"
        wrapper.allowed_roles = roles
        REGISTRY[wrapper.business_action] = wrapper
        return wrapper

    return decorate(fn) if fn is not None else decorate


def load_all_actions() -> dict:
    """Import every module of the project so that REGISTRY holds every business action."""
    import importlib
    import pkgutil

    import rmdesk

    skip = ("migrations", "management", "settings", "wsgi", "locale", "templatetags")
    for info in pkgutil.walk_packages(rmdesk.__path__, "rmdesk."):
        if not any(part in skip or part.startswith("settings") for part in info.name.split(".")):
            importlib.import_module(info.name)
    return REGISTRY


def role_table() -> str:
    """The role × action table in Markdown: one row per business action, one column per role."""
    from .roles import RoleCode

    head = "| action | " + " | ".join(f"{label} `{code}`" for code, label in RoleCode.choices) + " |"
    rows = [head, "|---|" + "---|" * len(RoleCode.choices)]
    for name in sorted(REGISTRY):
        allowed = REGISTRY[name].allowed_roles
        cells = []
        for code, _label in RoleCode.choices:
            if allowed is None:
                cells.append("?")
            elif allowed == EVERYONE or code in allowed:
                cells.append("✓")
            else:
                cells.append("—")
        rows.append(f"| `{name}` | " + " | ".join(cells) + " |")
    return "\n".join(rows) + "\n"
