from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "rmdesk.service"
    label = "service"
    verbose_name = _("客户服务与投诉")

    def ready(self):
        from . import hooks, receivers

        hooks.register()  # menu entries, home panels, 360° slot, the 主管批示 approval handler (rmdesk.core.hooks)
        receivers.connect()  # the customers app's domain events
