"""Excel/PDF export of the service case list (SPEC §6, §11 "every list page exports what its filters show"):
the same scope and filters as `views.case_list`, streamed through the kernel's `listexport`."""

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.utils.translation import gettext as _

from rmdesk.core.listexport import Col, export_response

from .models import OPEN_STATUSES, CaseKind, CaseStatus, Channel, Severity
from .scope import visible_cases

FILTERS = ("status", "kind", "severity", "category", "breached", "mine", "q")


def filtered_cases(user, f):
    """The cases `case_list` shows for these GET parameters."""
    qs = visible_cases(user)
    if f.get("status") == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif f.get("status") in CaseStatus.values:
        qs = qs.filter(status=f["status"])
    if f.get("kind") in CaseKind.values:
        qs = qs.filter(kind=f["kind"])
    if f.get("severity") in Severity.values:
        qs = qs.filter(severity=f["severity"])
    if f.get("category", "").isdigit():
        qs = qs.filter(category_id=int(f["category"]))
    if f.get("breached"):
        qs = qs.filter(Q(ack_breached=True) | Q(answer_breached=True))
    if f.get("mine"):
        qs = qs.filter(owner=user)
    if f.get("q"):
        q = f["q"].strip()
        qs = qs.filter(Q(number__icontains=q) | Q(title__icontains=q) | Q(customer__name__icontains=q))
    return qs.order_by("-registered_at", "-id")


@login_required
def case_export(request):
    f = request.GET
    kinds = {k: str(v) for k, v in CaseKind.choices}
    statuses = {k: str(v) for k, v in CaseStatus.choices}
    severities = {k: str(v) for k, v in Severity.choices}
    channels = {k: str(v) for k, v in Channel.choices}
    yes, no = _("是"), _("否")
    rows = (
        filtered_cases(request.user, f)
        .values_list(
            "number",
            "kind",
            "channel",
            "category__name",
            "severity",
            "customer__name",
            "title",
            "status",
            "owner__full_name",
            "owner__username",
            "registered_at",
            "answer_due_at",
            "ack_breached",
            "answer_breached",
            "closed_at",
            "satisfaction",
        )
        .iterator(chunk_size=5000)
    )
    columns = [
        Col(_("编号")),
        Col(_("类型"), width=10),
        Col(_("渠道"), width=10),
        Col(_("类别")),
        Col(_("严重程度"), width=10),
        Col(_("客户"), width=22),
        Col(_("标题"), width=30),
        Col(_("状态"), width=10),
        Col(_("责任人"), width=12),
        Col(_("登记时间"), "datetime"),
        Col(_("答复时限"), "datetime"),
        Col(_("超时"), width=8),
        Col(_("关闭时间"), "datetime"),
        Col(_("满意度（1–5）"), "int"),
    ]
    return export_response(
        request,
        title=_("服务工单"),
        filename="cases",
        columns=columns,
        rows=(
            (
                number or "",
                kinds.get(kind, kind),
                channels.get(channel, channel),
                category or "",
                severities.get(sev, sev),
                customer or "",
                title,
                statuses.get(status, status),
                full or user or "",
                registered,
                due,
                yes if (ack_b or ans_b) else no,
                closed,
                satisfaction,
            )
            for (
                number,
                kind,
                channel,
                category,
                sev,
                customer,
                title,
                status,
                full,
                user,
                registered,
                due,
                ack_b,
                ans_b,
                closed,
                satisfaction,
            ) in rows
        ),
        action="service.export_cases",
        filters={k: f.get(k, "") for k in FILTERS},
    )
