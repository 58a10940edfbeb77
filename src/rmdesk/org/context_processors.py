"""Values every page of the shell needs: menu by role, user's name, unit and roles (SPEC §1).

Each value is lazy (issue 18): it is computed the first time a template reads it, once per request,
so a fragment that does not draw the shell (an htmx partial such as the customer list's next rows or a
revealed field) pays none of the menu's, counters' or unit's queries. The numbers the menu and the badges
need (registered `hooks.ShellFact`s: unread notifications, whether an approval waits) are read together in
one query the first time either asks, while the template is drawn, i.e. after the view's own writes. The
role labels come from the role codes the user already carries for the request (`User.role_codes()`), not
from another query.
"""

from django.utils.functional import SimpleLazyObject

from rmdesk.core import hooks
from rmdesk.core.roles import RoleCode

_ORDER = {code: i for i, code in enumerate(RoleCode.values)}


def role_labels(user) -> list[str]:
    """The display names of the user's roles, in the order the roles are declared (no query when the
    request has already read the codes)."""
    return [str(RoleCode(code).label) for code in sorted(user.role_codes(), key=lambda c: _ORDER.get(c, len(_ORDER)))]


def _nav(user, current):
    items = hooks.menu_for(user)
    for item in items:
        item["active"] = item["url"] != "/" and current.startswith(item["url"]) or item["url"] == current
    return items


def shell(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    current = request.path
    facts = hooks.ShellFacts(user)  # the badges' and menu's numbers: one query, when first read

    def nav():
        with hooks.shell_facts(facts):
            return _nav(user, current)

    def counters():
        with hooks.shell_facts(facts):
            return hooks.counters_for(user)

    return {
        "nav_items": SimpleLazyObject(nav),
        "user_roles": SimpleLazyObject(lambda: role_labels(user)),
        "user_unit": SimpleLazyObject(lambda: user.team or user.unit),
        "header_counters": SimpleLazyObject(counters),
    }
