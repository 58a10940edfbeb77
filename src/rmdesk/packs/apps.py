from dataclasses import replace

from django.apps import AppConfig
from django.core.signals import request_finished, request_started
from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_lazy as _


def _customers_menu_label() -> str:
    """The customer archive's menu entry in the pack's word: 客户档案, 用户档案, 零售户档案 (issue 19)."""
    from .context_processors import localised

    return gettext("%(customer)s档案") % {"customer": localised()["Customer"]}


def _my_customers_title() -> str:
    """The customers panel's heading on the home page in the pack's word: 我的客户, 我的零售户."""
    from .context_processors import localised

    return gettext("我的%(customer)s") % {"customer": localised()["customer"]}


def _with_pack_title(build):
    def panel(request):
        out = build(request)
        return out if out is None else {**out, "title": lazy(_my_customers_title, str)()}

    return panel


class PacksConfig(AppConfig):
    name = "rmdesk.packs"
    label = "packs"
    verbose_name = _("行业方案")

    def ready(self):
        """The pack's words, read once per request (context_processors), name the customers app's menu
        entry and its home panel. This app comes last in INSTALLED_APPS, so both are registered by now;
        registering a key again replaces the entry."""
        from rmdesk.core import hooks

        from . import context_processors

        request_started.connect(context_processors.request_started, dispatch_uid="packs.words.start")
        request_finished.connect(context_processors.request_finished, dispatch_uid="packs.words.end")
        entry = hooks.get(hooks.MenuItem, "customers")
        if entry is not None:
            hooks.register(replace(entry, label=lazy(_customers_menu_label, str)()))
        panel = hooks.get(hooks.HomePanel, "customers")
        if panel is not None:
            hooks.register(replace(panel, build=_with_pack_title(panel.build)))
