"""Shell views: home, health check, org and staff pages, error pages (SPEC §1, §12)."""

import hashlib

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db import connection
from django.db.models import Q
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from rmdesk.core import db_router, hooks

from . import forms
from .models import UnitKind
from .scope import visible_staff, visible_units


@login_required
def home(request):
    """The home page: every app's panels for this person (SPEC §1, §11). Drawing them costs one or more queries
    per app, so the drawn panels are kept for RMDESK_HOME_CACHE_SECONDS per person, language and session
    (issue 18): a person who has just written (the write pin of rmdesk.core.db_router) or who asks for
    `?refresh=1` gets them drawn afresh; the page says when they were drawn."""
    seconds = settings.RMDESK_HOME_CACHE_SECONDS
    key = _home_cache_key(request)
    drawn = None
    if seconds > 0 and not request.GET.get("refresh") and not db_router.is_pinned(request):
        drawn = cache.get(key)
    if drawn is None:
        html = render_to_string("org/_panels.html", {"panels": hooks.home_panels_for(request)}, request=request)
        drawn = (html, timezone.now())
        if seconds > 0:
            cache.set(key, drawn, seconds)
    panels_html, drawn_at = drawn
    return render(
        request,
        "org/home.html",
        {"panels_html": mark_safe(panels_html), "drawn_at": drawn_at if seconds > 0 else None},  # noqa: S308 - our render
    )


def _home_cache_key(request) -> str:
    session = hashlib.blake2s((request.session.session_key or "").encode(), digest_size=8).hexdigest()
    return f"rmdesk:home:{request.user.pk}:{get_language()}:{session}"


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


_migrations_applied = False  # once true in a process it stays true (migrations are not unapplied)


@require_GET
def readyz(request):
    """Readiness for load balancers and orchestrators (issue 17): the database answers, Redis answers
    when configured, and no migration of this code is unapplied (a new version waits for `migrate`)."""
    global _migrations_applied
    checks = {"database": False}
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT 1")
            cur.fetchone()
        checks["database"] = True
    except Exception:  # noqa: BLE001 - any failure means not ready
        pass
    if settings.REDIS_URL:
        try:
            from django.core.cache import cache

            checks["redis"] = bool(cache._cache.get_client().ping())
        except Exception:  # noqa: BLE001
            checks["redis"] = False
    if checks["database"] and not _migrations_applied:
        from django.db.migrations.executor import MigrationExecutor

        try:
            executor = MigrationExecutor(connection)
            _migrations_applied = not executor.migration_plan(executor.loader.graph.leaf_nodes())
        except Exception:  # noqa: BLE001
            _migrations_applied = False
    checks["migrations"] = _migrations_applied
    ready = all(checks.values())
    return JsonResponse({"status": "ready" if ready else "not ready", **checks}, status=200 if ready else 503)


@login_required
def ping(request):
    """The framework floor of a page (issue 18): a signed-in request through the whole middleware
    stack, answering the caller's own id without a template. Benchmark item 9 measures pages against it."""
    return HttpResponse(f"{request.user.pk}", content_type="text/plain; charset=utf-8")


@login_required
def unit_list(request):
    units = visible_units(request.user).order_by("path")
    return render(request, "org/unit_list.html", {"units": units})


@login_required
def unit_detail(request, pk):
    """An org unit with its sub-units and its people (SPEC §1). A team's people are its members: staff
    whose team is this unit (in the demo and most banks they belong to the outlet as their unit)."""
    unit = get_object_or_404(visible_units(request.user), pk=pk)
    is_team = unit.kind == UnitKind.TEAM
    members = Q(team=unit) if is_team else Q(unit=unit)
    staff = (
        visible_staff(request.user)
        .filter(members)
        .select_related("team", "unit")
        .prefetch_related("roles")
        .order_by("employee_no")
    )
    children = unit.get_children()
    return render(
        request, "org/unit_detail.html", {"unit": unit, "staff": staff, "children": children, "is_team": is_team}
    )


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
    """The one inbox (审批中心, SPEC §1): every pending step I may decide, filtered by kind, with the
    chain's history; and my own requests, which I may resubmit when returned or withdraw."""
    from django.contrib import messages
    from django.core.exceptions import PermissionDenied, ValidationError
    from django.shortcuts import redirect
    from django.utils.translation import gettext as _

    from rmdesk.core import approvals as chains
    from rmdesk.core.models import ApprovalRequest, DecisionKind

    if request.method == "POST":
        form = forms.ApprovalActionForm(request.POST)
        if not form.is_valid():
            messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
            return redirect("org:approvals")
        d = form.cleaned_data
        try:
            if d["decision"] in ("resubmit", "cancel"):
                chains.act_in_inbox(request.user, d["request_id"], d["decision"], version=d["version"])
            else:
                if d["request_id"] not in {r.pk for r in chains.pending_for(request.user)}:
                    raise Http404
                chains.decide(request.user, d["request_id"], d["decision"], opinion=d["comment"], version=d["version"])
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        else:
            messages.success(request, _("已办理。"))
        return redirect("org:approvals")
    kind = request.GET.get("kind") or None
    pending = chains.pending_for(request.user)
    kinds = sorted({r.kind for r in pending})
    if kind:
        pending = [r for r in pending if r.kind == kind]
    for r in pending:
        r.kind_label = chains.kind_label(r.kind)
        r.step = chains.current_step(r)
    mine = list(
        ApprovalRequest.objects.filter(requested_by=request.user)
        .select_related("decided_by")
        .prefetch_related("decisions__decided_by")
        .order_by("-requested_at")[:50]
    )
    for r in mine:
        r.kind_label = chains.kind_label(r.kind)
        r.maker_acts = chains.maker_acts_in_inbox(r)
    return render(
        request,
        "org/approvals.html",
        {
            "pending": pending,
            "mine": mine,
            "kind": kind,
            "kinds": [(k, chains.kind_label(k)) for k in kinds],
            "decisions": DecisionKind.choices,
        },
    )
