"""What the analytics app shows elsewhere (rmdesk.core.hooks, SPEC §11): the role dashboard as the first panel of
the home page, and the dashboard and reports in the menu."""

from django.utils.translation import gettext_lazy as _

from rmdesk.core import hooks

from .services import READERS


def dashboard_panel(request):
    from .dashboards import cached_dashboard
    from .views import board_context

    board = cached_dashboard(request.user)
    if board is None:
        return None
    return {
        "key": "dashboard",
        "title": board["title"],
        "template": "analytics/_board.html",
        "context": board_context(board),
        "order": -10,
    }


def register():
    for item in (
        hooks.HomePanel("dashboard", dashboard_panel),
        hooks.MenuItem("analytics_dashboard", _("经营看板"), "analytics:dashboard", roles=READERS, order=80),
        hooks.MenuItem("analytics_reports", _("统计报表"), "analytics:report_index", roles=READERS, order=81),
    ):
        hooks.register(item)
