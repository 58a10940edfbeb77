"""Excel/PDF export of the opportunity list (SPEC §7, §11 "every list page exports what its filters show"):
the same scope and filters as `views.opportunity_board` (mine, stage), streamed through the kernel's
`listexport`."""

from django.contrib.auth.decorators import login_required
from django.utils.translation import gettext as _

from rmdesk.core.listexport import Col, export_response

from .models import LeadSource
from .scope import visible_opportunities


def filtered_opportunities(user, f):
    qs = visible_opportunities(user)
    if f.get("mine"):
        qs = qs.filter(owner=user)
    if f.get("stage"):
        qs = qs.filter(stage__code=f["stage"])
    return qs.order_by("-created_at", "-id")


@login_required
def opportunity_export(request):
    f = request.GET
    sources = {k: str(v) for k, v in LeadSource.choices}
    rows = (
        filtered_opportunities(request.user, f)
        .values_list(
            "customer__customer_no",
            "customer__name",
            "product__name",
            "amount",
            "stage__name",
            "probability",
            "expected_on",
            "owner__full_name",
            "owner__username",
            "source",
            "next_step",
            "created_at",
            "closed_on",
        )
        .iterator(chunk_size=5000)
    )
    columns = [
        Col(_("客户号")),
        Col(_("客户"), width=22),
        Col(_("产品"), width=20),
        Col(_("金额（元）"), "money"),
        Col(_("阶段"), width=10),
        Col(_("赢单概率（%）"), "int"),
        Col(_("预计签约日"), "date"),
        Col(_("客户经理"), width=12),
        Col(_("来源"), width=10),
        Col(_("下一步"), width=30),
        Col(_("创建时间"), "datetime"),
        Col(_("结束日期"), "date"),
    ]
    return export_response(
        request,
        title=_("销售机会"),
        filename="opportunities",
        columns=columns,
        rows=(
            (
                no,
                name,
                product,
                amount,
                stage,
                prob,
                expected,
                full or user or "",
                sources.get(src, src),
                step,
                created,
                closed,
            )
            for no, name, product, amount, stage, prob, expected, full, user, src, step, created, closed in rows
        ),
        action="sales.export_opportunities",
        filters={k: f.get(k, "") for k in ("mine", "stage")},
    )
