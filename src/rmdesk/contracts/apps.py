from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContractsConfig(AppConfig):
    name = "rmdesk.contracts"
    label = "contracts"
    verbose_name = _("合同管理")

    def ready(self):
        from . import hooks

        hooks.register()  # menu entries, home panels, the 360° slot, the contracts.<kind> approval handlers
