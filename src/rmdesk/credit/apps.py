from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CreditConfig(AppConfig):
    name = "rmdesk.credit"
    label = "credit"
    verbose_name = _("授信与风险")

    def ready(self):
        from . import hooks

        hooks.register()  # menu entries, home panels, the credit.application approval handler (rmdesk.core.hooks)
