"""Shell views: home, health check, org and staff pages, error pages (SPEC §1, §12)."""
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from . import nav
from .scope import visible_staff, visible_units


@login_required
def home(request):
    return render(request, "org/home.html", {"panels": nav.home_panels_for(request)})


@require_GET
def healthz(request):
    """Liveness and database check for load balancers and operators."""
    db_ok = True
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT 1")
            cur.fetchone()
    except Exception:  # noqa: BLE001 - any failure means the database does not answer
        db_ok = False
    return JsonResponse({"status": "ok" if db_ok else "degraded", "database": db_ok}, status=200 if db_ok else 503)


@login_required
def unit_list(request):
    units = visible_units(request.user).order_by("path")
    return render(request, "org/unit_list.html", {"units": units})


@login_required
def unit_detail(request, pk):
    unit = get_object_or_404(visible_units(request.user), pk=pk)
    staff = visible_staff(request.user).filter(unit=unit).prefetch_related("roles").order_by("employee_no")
    children = unit.get_children()
    return render(request, "org/unit_detail.html", {"unit": unit, "staff": staff, "children": children})


@login_required
def staff_detail(request, pk):
    person = get_object_or_404(visible_staff(request.user).select_related("unit", "team", "supervisor"), pk=pk)
    return render(request, "org/staff_detail.html", {"person": person, "qualifications": person.qualifications.all()})


def error_403(request, exception=None):
    return render(request, "403.html", status=403)


def error_404(request, exception=None):
    return render(request, "404.html", status=404)


def error_500(request):
    return render(request, "500.html", status=500)


@login_required
def approvals(request):
    """Maker-checker inbox: requests waiting for my decision, and my own requests (SPEC §1)."""
    from django.contrib import messages
    from django.core.exceptions import PermissionDenied, ValidationError
    from django.shortcuts import redirect
    from django.utils.translation import gettext as _

    from . import services
    from .models import ApprovalRequest

    if request.method == "POST":
        pending_ids = {r.pk for r in services.pending_approvals_for(request.user)}
        try:
            req_id = int(request.POST.get("request_id", "0"))
        except ValueError:
            req_id = 0
        if req_id not in pending_ids:
            raise Http404
        approve = request.POST.get("decision") == "approve"
        try:
            services.decide_approval(request.user, req_id, approve=approve, comment=request.POST.get("comment", ""))
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        else:
            messages.success(request, _("已批准。") if approve else _("已驳回。"))
        return redirect("org:approvals")
    mine = ApprovalRequest.objects.filter(requested_by=request.user).select_related("decided_by").order_by("-requested_at")[:50]
    return render(request, "org/approvals.html", {"pending": services.pending_approvals_for(request.user), "mine": mine})
