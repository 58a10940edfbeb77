"""Excel/PDF export of the contract list (SPEC §9, §11 "every list page exports what its filters show"): the
same scope and filters as `views.contract_list`, streamed through the kernel's `listexport`."""

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.utils.translation import gettext as _

from rmdesk.core.listexport import Col, export_response

from . import services
from .models import ContractKind, ContractStatus
from .scope import visible_contracts


def filtered_contracts(user, f):
    qs = visible_contracts(user)
    if f.get("status") in ContractStatus.values:
        qs = qs.filter(status=f["status"])
    if f.get("kind") in ContractKind.values:
        qs = qs.filter(kind=f["kind"])
    if f.get("expiring"):
        qs = services.expiring(qs)
    if f.get("q"):
        q = f["q"].strip()
        qs = qs.filter(Q(customer__name__icontains=q) | Q(number__startswith=q) | Q(title__icontains=q))
    return qs.order_by("-created_at", "-id")


@login_required
def contract_export(request):
    f = request.GET
    kinds = {k: str(v) for k, v in ContractKind.choices}
    statuses = {k: str(v) for k, v in ContractStatus.choices}
    rows = (
        filtered_contracts(request.user, f)
        .values_list(
            "number",
            "kind",
            "title",
            "customer__customer_no",
            "customer__name",
            "amount",
            "start_on",
            "end_on",
            "status",
            "rm__full_name",
            "rm__username",
        )
        .iterator(chunk_size=5000)
    )
    columns = [
        Col(_("合同编号")),
        Col(_("合同类型"), width=12),
        Col(_("合同名称"), width=28),
        Col(_("客户号")),
        Col(_("客户"), width=22),
        Col(_("合同金额"), "money"),
        Col(_("开始日期"), "date"),
        Col(_("结束日期"), "date"),
        Col(_("状态"), width=10),
        Col(_("经办客户经理"), width=12),
    ]
    return export_response(
        request,
        title=_("合同"),
        filename="contracts",
        columns=columns,
        rows=(
            (
                number or "",
                kinds.get(k, k),
                title,
                no,
                name,
                amount,
                start,
                end,
                statuses.get(st, st),
                full or user or "",
            )
            for number, k, title, no, name, amount, start, end, st, full, user in rows
        ),
        action="contracts.export_contracts",
        filters={k: f.get(k, "") for k in ("status", "kind", "expiring", "q")},
    )
