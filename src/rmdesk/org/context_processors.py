"""Values every page of the shell needs: menu by role, user's name, unit and roles (SPEC §1)."""

from rmdesk.core import hooks


def shell(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    current = request.path
    items = hooks.menu_for(user)
    for item in items:
        item["active"] = item["url"] != "/" and current.startswith(item["url"]) or item["url"] == current
    return {
        "nav_items": items,
        "user_roles": [r.get_code_display() for r in user.roles.all()],
        "user_unit": user.team or user.unit,
        "header_counters": hooks.counters_for(user),
    }
