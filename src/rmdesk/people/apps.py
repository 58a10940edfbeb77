from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "rmdesk.people"
    label = "people"
    verbose_name = _("人才培养")

    def ready(self):
        from . import hooks

        hooks.register()  # menu entries, home panels, notification kinds (rmdesk.core.hooks)
