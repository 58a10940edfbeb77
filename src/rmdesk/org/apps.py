from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "rmdesk.org"
    label = "org"
    verbose_name = _("组织与人员")

    def ready(self):
        from rmdesk.core import hooks

        from . import (
            sessions,  # noqa: F401  (session index, OTP and password gates at login: issue 17)
            signals,  # noqa: F401  (login auditing)
        )

        for item in (
            hooks.MenuItem("home", _("工作台"), "home", roles=None, order=0),
            hooks.MenuItem("approvals", _("审批中心"), "org:approvals", roles=None, order=90),
            hooks.MenuItem("org", _("组织机构"), "org:unit_list", roles=None, order=95),
            hooks.MenuItem("security", _("账户安全"), "security", roles=None, order=99),
            hooks.Counter("approvals", _pending_approvals_counter),
        ):
            hooks.register(item)


def _pending_approvals_counter(user):
    """Header badge: approval steps waiting for this person's decision (the inbox's count)."""
    from django.urls import reverse

    from rmdesk.core.approvals import pending_count

    count = pending_count(user)
    if not count:
        return None
    return {"key": "approvals", "label": _("待审批"), "count": count, "url": reverse("org:approvals")}
