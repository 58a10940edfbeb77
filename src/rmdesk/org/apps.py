from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "rmdesk.org"
    label = "org"
    verbose_name = _("组织与人员")

    def ready(self):
        from . import nav, signals  # noqa: F401  (registers menu entries and login auditing)

        nav.register(nav.NavItem("home", _("工作台"), "home", roles=None, order=0))
        nav.register(nav.NavItem("approvals", _("审批中心"), "org:approvals", roles=None, order=90))
        nav.register(nav.NavItem("org", _("组织机构"), "org:unit_list", roles=None, order=95))
        nav.register_counter(_pending_approvals_counter)


def _pending_approvals_counter(user):
    """Header badge: maker-checker requests waiting for this person's decision."""
    from django.urls import reverse

    from .models import RoleCode
    from .services import pending_approvals_for

    if not user.has_role(RoleCode.TEAM_LEAD, RoleCode.BRANCH_MANAGER):
        return None
    count = len(pending_approvals_for(user))
    if not count:
        return None
    return {"key": "approvals", "label": _("待审批"), "count": count, "url": reverse("org:approvals")}
