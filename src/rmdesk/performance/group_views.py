"""Pages of team and unit results (SPEC §9 subject levels RM, team, unit): a team's or unit's result rolled
up from its RMs, with the breakdown and the trend over periods drawn by core's `{% chart %}`."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _

from . import services
from .scope import get_group_or_404


def trend_chart(points: list[dict]) -> dict | None:
    """The team's or unit's own score and its RMs' mean score by period (ECharts option, no inline script)."""
    if not points:
        return None
    return {
        "id": "group-trend",
        "title": str(_("得分趋势")),
        "height": 240,
        "option": {
            "tooltip": {"trigger": "axis"},
            "legend": {"top": 0},
            "grid": {"left": 40, "right": 16, "top": 32, "bottom": 32},
            "xAxis": {"type": "category", "data": [p["label"] for p in points]},
            "yAxis": {"type": "value", "min": 0},
            "series": [
                {
                    "type": "line",
                    "name": str(_("得分")),
                    "data": [{"value": float(p["score"]), "url": f"/performance/groups/{p['id']}/"} for p in points],
                },
                {"type": "line", "name": str(_("客户经理平均得分")), "data": [float(p["mean"]) for p in points]},
            ],
        },
        "columns": [str(_("期间")), str(_("得分")), str(_("客户经理平均得分")), str(_("等次"))],
        "rows": [[p["label"], f"{p['score']:.2f}", f"{p['mean']:.2f}", str(p["grade"])] for p in points],
    }


@login_required
def group_detail(request, pk):
    group = get_group_or_404(request.user, pk)
    group = type(group).objects.select_related("unit", "run", "run__scorecard").get(pk=group.pk)
    points = services.group_trend(request.user, group)
    members = (
        group.run.results.filter(org_path__startswith=group.org_path).select_related("rm").order_by("rank_unit", "id")
    )
    if group.level == "team":
        members = group.run.results.filter(team=group.unit_id).select_related("rm").order_by("rank_team", "id")
    return render(
        request,
        "performance/group_detail.html",
        {
            "group": group,
            "run": group.run,
            "items": group.items,
            "trend_chart": trend_chart(points),
            "members": list(members),
        },
    )
