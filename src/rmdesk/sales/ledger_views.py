"""Pages of the materials' stock ledger (宣传促销品台账, SPEC §4): the ledger with its filters and the
Excel/PDF export of the same lines through the kernel's `listexport`. Thin views over sales/ledger.py,
which the API calls too; a bad filter is shown next to its field (422)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _

from rmdesk.core.forms import errors_by_field
from rmdesk.core.listexport import Col, export_response

from . import ledger
from .models import Material, MovementKind

PAGE_SIZE = 100


def _readable(request):
    if not ledger.may_read(request.user):
        raise Http404


@login_required
def material_ledger(request):
    """The ledger: per material every movement in date order with the running balance (SPEC §4)."""
    _readable(request)
    status, errors = 200, {}
    try:
        f = ledger.clean_filter(request.GET)
    except ValidationError as exc:
        errors, status = errors_by_field(exc), 422
        f = ledger.LedgerFilter()
    page = Paginator(ledger.lines(request.user, f), PAGE_SIZE).get_page(request.GET.get("page"))
    labels = ledger.kind_labels()
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "sales/material_ledger.html",
        {
            "f": request.GET,
            "errors": errors,
            "summary": [] if errors else ledger.summary(f),
            "page": page,
            "rows": [ledger.line_dict(line, labels) for line in page] if not errors else [],
            "materials": Material.objects.order_by("name", "pk"),
            "kinds": MovementKind.choices,
            "query": query.urlencode(),
        },
        status=status,
    )


@login_required
def material_ledger_export(request):
    """The same lines as the page (filters and scope) as Excel or PDF; a bad filter exports nothing."""
    _readable(request)
    try:
        f = ledger.clean_filter(request.GET)
    except ValidationError as exc:
        return render(
            request,
            "sales/material_ledger.html",
            {
                "f": request.GET,
                "errors": errors_by_field(exc),
                "summary": [],
                "rows": [],
                "materials": Material.objects.order_by("name", "pk"),
                "kinds": MovementKind.choices,
                "query": "",
            },
            status=422,
        )
    rows = ledger.export_rows(request.user, f)
    columns = [
        Col(_("促销品"), width=16),
        Col(_("时间"), "datetime"),
        Col(_("类型"), width=10),
        Col(_("数量"), "int"),
        Col(_("结存"), "int"),
        Col(_("单位"), width=6),
        Col(_("经办人"), width=12),
        Col(_("客户号")),
        Col(_("客户"), width=20),
        Col(_("营销活动"), width=20),
        Col(_("说明"), width=30),
    ]
    return export_response(
        request,
        title=_("宣传促销品台账"),
        filename="material-ledger",
        columns=columns,
        rows=rows,
        action="sales.export_material_ledger",
        filters=f.as_dict(),
    )
