"""What the work app plugs into the shell: menu, header counter, home panels, 360° slot, signals."""
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from rmdesk.org import nav

RM_ROLES = ("rm", "team_lead", "branch_manager")
SUPERVISOR_ROLES = ("team_lead", "branch_manager", "rm")

nav.register(nav.NavItem("work_notifications", _("消息中心"), "work:notifications", roles=None, order=90))


@nav.register_counter
def _unread_counter(user):
    from .notifications import unread_count

    return {"key": "notifications", "label": _("消息"), "count": unread_count(user), "url": reverse("work:notifications")}
