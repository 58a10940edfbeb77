from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "rmdesk.org"
    label = "org"
    verbose_name = _("组织与人员")

    def ready(self):
        from . import nav, signals  # noqa: F401  (registers menu entries and login auditing)

        nav.register(nav.NavItem("home", _("工作台"), "home", roles=None, order=0))
