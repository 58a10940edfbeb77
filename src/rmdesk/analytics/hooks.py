"""What the analytics app shows elsewhere (rmdesk.core.hooks, SPEC §11): the role dashboard as the first panel of
the home page, and the dashboard and reports in the menu."""

from django.utils.translation import gettext_lazy as _

from rmdesk.core import hooks

from .services import READERS


def dashboard_panel(request):
    """The role dashboard drawn once per cached board (dashboards.board_drawing): the figures are reused for a
    minute anyway, and the drawing is a function of the figures and the language alone."""
    from django.utils.safestring import mark_safe

    from .dashboards import board_drawing, cached_dashboard

    board = cached_dashboard(request.user)
    if board is None:
        return None
    return {
        "key": "dashboard",
        "title": board["title"],
        "template": "analytics/_board_drawn.html",
        "context": {"html": mark_safe(board_drawing(board, _draw_board))},  # noqa: S308 - our drawing
        "order": -10,
    }


def _draw_board(board: dict):
    from django.template.loader import render_to_string

    from .views import board_context

    # the same template the panel included before, given the same `ctx` and nothing else it reads
    return render_to_string("analytics/_board.html", {"ctx": board_context(board)})


def register():
    for item in (
        hooks.HomePanel("dashboard", dashboard_panel),
        hooks.MenuItem("analytics_dashboard", _("经营看板"), "analytics:dashboard", roles=READERS, order=80),
        hooks.MenuItem("analytics_reports", _("统计报表"), "analytics:report_index", roles=READERS, order=81),
    ):
        hooks.register(item)
