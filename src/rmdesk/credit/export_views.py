"""Excel/PDF export of the credit application and loan lists (SPEC §8, §11 "every list page exports what its
filters show"): the same scope and filters as `views.application_list` and `views.loan_list`, streamed through
the kernel's `listexport`."""

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.utils.translation import gettext as _

from rmdesk.core.listexport import Col, export_response

from .models import AppStatus, Classification
from .scope import visible_applications, visible_loans


def filtered_applications(user, f):
    qs = visible_applications(user)
    if f.get("status") in AppStatus.values:
        qs = qs.filter(status=f["status"])
    if f.get("mine"):
        qs = qs.filter(pk__in=visible_applications(user).filter(Q(rm=user) | Q(investigators=user)).values("pk"))
    if f.get("q"):
        q = f["q"].strip()
        qs = qs.filter(Q(customer__name__icontains=q) | Q(customer__customer_no__startswith=q))
    return qs.order_by("-created_at", "-id")


def filtered_loans(user, f):
    qs = visible_loans(user)
    if f.get("classification") in Classification.values:
        qs = qs.filter(classification=f["classification"])
    return qs.order_by("-start_on", "-id")


@login_required
def application_export(request):
    f = request.GET
    statuses = {k: str(v) for k, v in AppStatus.choices}
    rows = (
        filtered_applications(request.user, f)
        .values_list(
            "customer__customer_no",
            "customer__name",
            "product__name",
            "amount",
            "term_months",
            "purpose",
            "status",
            "rm__full_name",
            "rm__username",
            "created_at",
            "submitted_at",
            "decided_at",
        )
        .iterator(chunk_size=5000)
    )
    columns = [
        Col(_("客户号")),
        Col(_("客户"), width=22),
        Col(_("信贷产品"), width=18),
        Col(_("申请金额"), "money"),
        Col(_("期限（月）"), "int"),
        Col(_("借款用途"), width=24),
        Col(_("状态"), width=10),
        Col(_("申请客户经理"), width=12),
        Col(_("创建时间"), "datetime"),
        Col(_("提交时间"), "datetime"),
        Col(_("审批完成时间"), "datetime"),
    ]
    return export_response(
        request,
        title=_("授信申请"),
        filename="credit-applications",
        columns=columns,
        rows=(
            (no, name, product, amount, term, purpose, statuses.get(st, st), full or user or "", created, sub, dec)
            for no, name, product, amount, term, purpose, st, full, user, created, sub, dec in rows
        ),
        action="credit.export_applications",
        filters={k: f.get(k, "") for k in ("status", "mine", "q")},
    )


@login_required
def loan_export(request):
    f = request.GET
    classes = {k: str(v) for k, v in Classification.choices}
    rows = (
        filtered_loans(request.user, f)
        .values_list(
            "cms_ref",
            "customer__customer_no",
            "customer__name",
            "amount",
            "rate",
            "start_on",
            "end_on",
            "classification",
            "rm__full_name",
            "rm__username",
        )
        .iterator(chunk_size=5000)
    )
    columns = [
        Col(_("借据号（CMS）")),
        Col(_("客户号")),
        Col(_("客户"), width=22),
        Col(_("放款金额"), "money"),
        Col(_("年利率（%）"), "number"),
        Col(_("放款日"), "date"),
        Col(_("到期日"), "date"),
        Col(_("五级分类"), width=10),
        Col(_("管户客户经理"), width=12),
    ]
    return export_response(
        request,
        title=_("贷款台账"),
        filename="loans",
        columns=columns,
        rows=(
            (ref, no, name, amount, rate, start, end, classes.get(cl, cl), full or user or "")
            for ref, no, name, amount, rate, start, end, cl, full, user in rows
        ),
        action="credit.export_loans",
        filters={"classification": f.get("classification", "")},
    )
