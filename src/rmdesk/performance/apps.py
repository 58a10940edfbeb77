from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PerformanceConfig(AppConfig):
    name = "rmdesk.performance"
    label = "performance"
    verbose_name = _("绩效考核")

    def ready(self):
        from . import hooks

        hooks.register()  # menu entries, home panels, the appeal / letter / level approval handlers
        from . import targets  # the letters' targets, published to rmdesk.core.targets for analytics

        targets.register()
