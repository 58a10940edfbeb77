"""Excel/PDF export of the cadence list (SPEC §3, §11 "every list page exports what its filters show"): the
same scope and filters as `views.cadence_list`, streamed through the kernel's `listexport`."""

from django.contrib.auth.decorators import login_required
from django.utils.translation import gettext as _

from rmdesk.core.listexport import Col, export_response

from .models import ContactStatusCode
from .scope import visible_statuses


def filtered_statuses(user, f):
    """The cadence rows `cadence_list` shows for these GET parameters (status, rm, q)."""
    qs = visible_statuses(user)
    status = f.get("status", "attention")
    if status == "attention":
        qs = qs.filter(status__in=[ContactStatusCode.OVERDUE, ContactStatusCode.DUE, ContactStatusCode.SOON])
    elif status in ContactStatusCode.values:
        qs = qs.filter(status=status)
    rm = f.get("rm", "")
    if rm.isdigit():
        qs = qs.filter(a_rm_id=int(rm))
    q = f.get("q", "").strip()
    if q:
        qs = qs.filter(customer__name__contains=q)
    return qs.order_by("next_due_on", "customer_id")


@login_required
def cadence_export(request):
    f = request.GET
    labels = {k: str(v) for k, v in ContactStatusCode.choices}
    rows = (
        filtered_statuses(request.user, f)
        .values_list(
            "customer__customer_no",
            "customer__name",
            "customer__tier__name",
            "a_rm__full_name",
            "a_rm__username",
            "last_contact_at",
            "next_due_on",
            "status",
        )
        .iterator(chunk_size=5000)
    )
    columns = [
        Col(_("客户号")),
        Col(_("客户"), width=24),
        Col(_("层级"), width=10),
        Col(_("主办客户经理"), width=12),
        Col(_("最近联系"), "datetime"),
        Col(_("下次应联系"), "date"),
        Col(_("状态"), width=10),
    ]
    return export_response(
        request,
        title=_("客户维护"),
        filename="cadence",
        columns=columns,
        rows=(
            (no, name, tier, full or user or "", last, due, labels.get(st, st))
            for no, name, tier, full, user, last, due, st in rows
        ),
        action="work.export_cadence",
        filters={k: f.get(k, "") for k in ("status", "rm", "q")},
    )
