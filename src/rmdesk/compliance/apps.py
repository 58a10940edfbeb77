from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplianceConfig(AppConfig):
    name = "rmdesk.compliance"
    label = "compliance"
    verbose_name = _("合规管理")

    def ready(self):
        from . import hooks

        hooks.register()  # menu, home panels, approval handlers, the door-to-door guard (rmdesk.core.hooks)
