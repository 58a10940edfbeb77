from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "rmdesk.core"
    label = "core"
    verbose_name = _("平台")

    def ready(self):
        from django.db.models.signals import pre_save

        from . import hooks
        from .validation import check_text_fields

        pre_save.connect(check_text_fields, dispatch_uid="rmdesk.core.check_text_fields")

        for item in (
            hooks.MenuItem("core_calendar", _("营业日历"), "core:calendar", roles=("admin",), order=97, admin_ok=True),
            hooks.MenuItem("core_notices", _("消息渠道"), "core:notices", roles=("admin",), order=98, admin_ok=True),
            hooks.MenuItem("packs", _("行业方案"), "packs:list", roles=("admin",), order=96, admin_ok=True),
            hooks.Counter("calendar_unconfirmed", _calendar_counter),
            # the header's two badges, read with the shell's other facts in one query (issue 18)
            hooks.ShellFact("notifications.unread", _unread_notifications),
            hooks.ShellFact("approvals.candidates", _approval_candidates, exists=True),
        ):
            hooks.register(item)


def _unread_notifications(user):
    from .notifications import unread_fact

    return unread_fact(user)


def _approval_candidates(user):
    from .approvals import candidates_fact

    return candidates_fact(user)


def _calendar_counter(user):
    """Header warning for administrators: next year's holidays and 调休 days are not known yet."""
    from django.urls import reverse
    from django.utils import timezone

    from .calendar import unconfirmed_years, year_confirmed
    from .roles import is_admin

    if not getattr(user, "is_authenticated", False) or not is_admin(user):
        return None
    next_year = timezone.localdate().year + 1
    if year_confirmed(next_year):
        return None
    return {
        "key": "calendar_unconfirmed",
        "label": _("%(year)d年节假日未确认") % {"year": next_year},
        "count": len(unconfirmed_years(next_year - 1, next_year)),
        "url": reverse("core:calendar"),
    }
