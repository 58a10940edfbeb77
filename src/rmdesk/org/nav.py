"""Menu registry: each app registers its entries in AppConfig.ready(); the shell shows those the
user's roles allow (navigation by role, SPEC §1). Apps never edit the base template to add a menu."""
from dataclasses import dataclass, field

from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class NavItem:
    key: str
    label: object  # a lazy translation
    url_name: str
    roles: tuple | None = None  # None: every signed-in user; otherwise any of these role codes
    order: int = 100
    admin_ok: bool = False  # shown to superusers/administrators even without one of the roles
    children: tuple = field(default_factory=tuple)


_ITEMS: dict[str, NavItem] = {}


def register(item: NavItem):
    _ITEMS[item.key] = item


def items_for(user) -> list[dict]:
    if not getattr(user, "is_authenticated", False):
        return []
    is_admin = user.is_superuser or user.has_role("admin")
    out = []
    for item in sorted(_ITEMS.values(), key=lambda i: (i.order, i.key)):
        allowed = item.roles is None or user.has_role(*item.roles) or (item.admin_ok and is_admin)
        if not allowed:
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        out.append({"key": item.key, "label": item.label, "url": url})
    return out


# Header counters (e.g. the notification centre's unread count): fn(user) -> dict(label, count, url) or None.
_COUNTERS = []


def register_counter(fn):
    _COUNTERS.append(fn)
    return fn


def counters_for(user) -> list[dict]:
    return [c for c in (fn(user) for fn in _COUNTERS) if c]


# Home-page panels (e.g. an RM's overdue contacts): fn(request) -> dict(title, template, context, order) or None.
_HOME_PANELS = []


def register_home_panel(fn):
    _HOME_PANELS.append(fn)
    return fn


def home_panels_for(request) -> list[dict]:
    panels = [p for p in (fn(request) for fn in _HOME_PANELS) if p]
    return sorted(panels, key=lambda p: p.get("order", 100))
