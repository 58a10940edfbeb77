from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "rmdesk.sales"
    label = "sales"
    verbose_name = _("营销管理")

    def ready(self):
        from . import hooks

        hooks.register()  # menu, home panels, the 360° slot, the sales.nomination approval handler
