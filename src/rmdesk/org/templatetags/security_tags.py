"""Template helpers of the login security (issue 17)."""

from django import template

from rmdesk.core.roles import is_admin as _is_admin

register = template.Library()


@register.filter
def is_admin(user) -> bool:
    """May this user end other people's sessions (system administrator)?"""
    return bool(getattr(user, "is_authenticated", False) and _is_admin(user))
