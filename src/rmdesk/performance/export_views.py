"""Excel/PDF export of assessment results (SPEC §10, §11 "every list page exports what its filters show"):
without parameters the RM's own results as `views.my_results` lists them; with `?run=<id>` the results of one
run the viewer may see (the run page's table), in scope. Streamed through the kernel's `listexport`."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.utils.translation import gettext as _

from rmdesk.core.listexport import Col, export_response

from .models import Grade
from .scope import get_run_or_404, visible_results


def filtered_results(user, f):
    qs = visible_results(user)
    run = f.get("run", "")
    if run:
        if not run.isdigit():
            raise Http404
        get_run_or_404(user, int(run))  # a run out of scope is the same 404 as a missing one
        return qs.filter(run_id=int(run)).order_by("rank_unit", "id")
    return qs.filter(rm=user).order_by("-run__period_start", "-id")


@login_required
def result_export(request):
    f = request.GET
    grades = {k: str(v) for k, v in Grade.choices}
    rows = (
        filtered_results(request.user, f)
        .values_list(
            "run__label",
            "run__scorecard__name",
            "rm__employee_no",
            "rm__full_name",
            "rm__username",
            "team__name",
            "gross",
            "deductions",
            "score",
            "grade",
            "rank_team",
            "rank_unit",
        )
        .iterator(chunk_size=5000)
    )
    columns = [
        Col(_("期间"), width=14),
        Col(_("考核方案"), width=20),
        Col(_("工号"), width=10),
        Col(_("客户经理"), width=12),
        Col(_("团队"), width=14),
        Col(_("加权得分"), "number"),
        Col(_("扣分"), "number"),
        Col(_("得分"), "number"),
        Col(_("等次"), width=8),
        Col(_("团队排名"), "int"),
        Col(_("机构排名"), "int"),
    ]
    return export_response(
        request,
        title=_("考核结果"),
        filename="assessment-results",
        columns=columns,
        rows=(
            (label, card, emp or "", full or user or "", team or "", gross, ded, score, grades.get(g, g), rt, ru)
            for label, card, emp, full, user, team, gross, ded, score, g, rt, ru in rows
        ),
        action="performance.export_results",
        filters={"run": f.get("run", "")},
    )
