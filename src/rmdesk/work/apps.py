from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkConfig(AppConfig):
    name = "rmdesk.work"
    label = "work"
    verbose_name = _("日常事务")

    def ready(self):
        from . import receivers, registry

        registry.register()  # menu entries, header counter, home panels, 360° slot (rmdesk.core.hooks)
        receivers.connect()  # the customers app's domain events
