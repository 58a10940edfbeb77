"""`{% menu_sections nav_items as sections %}` (SPEC §1 navigation by role): the side menu grouped by area, as
rmdesk.core.hooks.menu_sections builds it for the signed-in person and the current page; `{% menu_nav nav_items
admin_label %}` draws it (the markup built in Python by rmdesk.core.hooks.menu_html, issue 18)."""

from django import template

from rmdesk.core import hooks

register = template.Library()


@register.simple_tag(takes_context=True)
def menu_sections(context, items) -> list[dict]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not items:
        return []
    match = getattr(request, "resolver_match", None)
    return hooks.menu_sections(list(items), user, home=bool(match and match.view_name == "home"))


@register.simple_tag(takes_context=True)
def menu_nav(context, items, admin_label=""):
    """The side menu's HTML; the admin link (under `admin_label`) only for staff and superusers."""
    sections = menu_sections(context, items)
    user = getattr(context.get("request"), "user", None)
    admin = bool(user is not None and (user.is_superuser or user.is_staff))
    return hooks.menu_html(sections, admin_label=admin_label if admin else "")
