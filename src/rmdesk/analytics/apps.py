from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "rmdesk.analytics"
    label = "analytics"
    verbose_name = _("统计分析")

    def ready(self):
        from . import hooks

        hooks.register()  # the role dashboard as the home page's first panel, the reports menu entry
