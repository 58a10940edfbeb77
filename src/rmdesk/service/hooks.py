"""What this app shows elsewhere (rmdesk.core.hooks): menu entries, home-page panels, the customer 360°
slot and the approval handler of the 主管批示 (SPEC §5). The plans waiting for a supervisor are counted
by the approval inbox's header badge (审批中心), not by a counter of this app."""

from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from rmdesk.core.roles import WORKERS

from .models import OPEN_STATUSES, CaseStatus, WatchStatus
from .scope import visible_cases, visible_responses, visible_watch


def _awaiting_my_approval(user):
    """Cases whose plan waits for this supervisor's instruction: the inbox's pending requests of the kind. The
    inbox's requests (with their requester, unit, chain and steps) are read only when the header's "anything
    waiting for me" EXISTS finds a candidate: that EXISTS is compiled once per process (approvals.candidates_fact),
    the inbox's query is compiled on every read, and most supervisors have nothing waiting (issue 18)."""
    from django.db import connections, router

    from rmdesk.core.approvals import candidates_fact, pending_for

    from .services import PLAN_KIND

    fact = candidates_fact(user)
    if fact is None:
        return []
    with connections[router.db_for_read(fact.model)].cursor() as cursor:
        cursor.execute(fact.sql, fact.params)
        if cursor.fetchone() is None:
            return []
    ids = [r.payload.get("case_id") for r in pending_for(user, kind=PLAN_KIND)]
    if not ids:
        return []
    return list(
        visible_cases(user)
        .filter(pk__in=ids, status=CaseStatus.PROPOSED)
        .order_by("plan_at")
        .values("pk", "number", "title", customer_name=F("customer__name"))[:50]
    )


def rm_panel(request):
    user = request.user
    if not user.has_role("rm"):
        return None
    cases = (
        visible_cases(user)
        .filter(status__in=OPEN_STATUSES)
        .filter(Q(owner=user) | Q(customer__a_rm=user) | Q(customer__b_rm=user))
        .order_by("answer_due_at")
        .values(*_CASE_FIELDS, customer_name=F("customer__name"))[:8]
    )
    watch = visible_watch(user).filter(status=WatchStatus.OPEN, assigned_to=user)
    watch = watch.values("pk", "reason", customer_name=F("customer__name"))[:5]
    return {
        "key": "service_rm",
        "title": _("我的投诉与服务工单"),
        "template": "service/panel_open.html",
        "context": _panel_rows(cases, watch, []),
        "order": 30,
    }


def lead_panel(request):
    user = request.user
    if not user.has_role("team_lead", "branch_manager"):
        return None
    from django.db import router

    from rmdesk.customers.slots import compiled, scope_key

    from .models import Case
    from .scope import CASE_SCOPE, WATCH_SCOPE

    using = router.db_for_read(Case)  # the replica while the request reads from it
    # each read compiled once per process for the viewer's scope filters, as the 360° slots are
    # (customers.slots.compiled, decision 96); its rows named as the panel reads them
    cases = compiled(
        ("service.panel.cases", scope_key(user, CASE_SCOPE)),
        lambda: (
            visible_cases(user)
            .filter(status__in=OPEN_STATUSES)
            .order_by("-ack_breached", "-answer_breached", "answer_due_at")
            .values_list(*_CASE_FIELDS, "customer__name")[:8]
        ),
        arity=0,
        using=using,
    )()
    watch = compiled(
        ("service.panel.watch", scope_key(user, WATCH_SCOPE)),
        lambda: visible_watch(user).filter(status=WatchStatus.OPEN).values_list("pk", "reason", "customer__name")[:5],
        arity=0,
        using=using,
    )()
    cases = [dict(zip((*_CASE_FIELDS, "customer_name"), row, strict=True)) for row in cases]
    watch = [dict(zip(("pk", "reason", "customer_name"), row, strict=True)) for row in watch]
    return {
        "key": "service_lead",
        "title": _("团队投诉与服务工单"),
        "template": "service/panel_open.html",
        "context": _panel_rows(cases, watch, _awaiting_my_approval(user)),
        "order": 31,
    }


_CASE_FIELDS = ("pk", "number", "status", "ack_breached", "answer_breached", "paused_at", "answer_due_at")


def _panel_rows(cases, watch, approvals) -> dict:
    """The open-cases panel's rows as plain values (issue 18, decision 87): each link from one reverse() per URL
    name, each label from one dict per choice set; `watch`: the first five watch entries (pk, reason,
    customer_name) in the model's order."""
    from django.urls import reverse

    from .models import Case, WatchEntry

    case_url = reverse("service:case_detail", args=[987654321])
    watch_url = reverse("service:watch_detail", args=[987654321])
    statuses = dict(Case._meta.get_field("status").flatchoices)
    reasons = dict(WatchEntry._meta.get_field("reason").flatchoices)
    cases = list(cases)
    for c in [*cases, *approvals]:
        c["url"] = case_url.replace("987654321", str(c["pk"]))
    for c in cases:
        c["status_label"] = statuses.get(c["status"], c["status"])
        c["breached"] = c["ack_breached"] or c["answer_breached"]  # Case.breached
    watch = list(watch)
    for w in watch:
        w["url"] = watch_url.replace("987654321", str(w["pk"]))
        w["reason_label"] = reasons.get(w["reason"], w["reason"])
    return {"cases": cases, "watch": watch, "approvals": approvals}


def customer_slot(request, customer):
    """The customer's complaints and service requests and their survey answers on the 360° page (SPEC §5), in
    the viewer's scope: read as the columns shown, rows ready to print — links, labels and dates made here
    once per request, not per row in the template (issue 18)."""
    from django.urls import reverse
    from django.utils import timezone

    from rmdesk.customers.slots import Row, compiled, scope_key

    from .models import CaseKind
    from .scope import CASE_SCOPE, RESPONSE_SCOPE

    user = request.user
    # each read compiled once per viewer scope (customers.slots.compiled, decision 96)
    cases = compiled(
        ("service.360.cases", scope_key(user, CASE_SCOPE)),
        lambda pk: (
            visible_cases(user)
            .filter(customer_id=pk)
            .order_by("-registered_at")
            .values_list(
                "pk",
                "number",
                "kind",
                "title",
                "status",
                "ack_breached",
                "answer_breached",
                "is_valid",
                "registered_at",
                "satisfaction",
            )[:20]
        ),
    )(customer.pk)
    responses = compiled(
        ("service.360.responses", scope_key(user, RESPONSE_SCOPE)),
        lambda pk: (
            visible_responses(user)
            .filter(customer_id=pk, answered_at__isnull=False)
            .order_by("-answered_at")
            .values_list("round__name", "score", "answered_at")[:10]
        ),
    )(customer.pk)
    url = reverse("service:case_detail", args=[987654321])
    kinds = {k: str(v) for k, v in CaseKind.choices}
    statuses = {k: str(v) for k, v in CaseStatus.choices}

    def day(at):
        return timezone.localtime(at).strftime("%Y-%m-%d") if at else ""

    return {
        "cases": [
            Row(
                pk=pk,
                url=url.replace("987654321", str(pk)),
                number=number,
                kind=kinds.get(kind, kind),
                title=title,
                status=statuses.get(status, status),
                breached=ack or answer,
                is_valid=valid,
                registered_at=day(at),
                satisfaction=satisfaction,
            )
            for pk, number, kind, title, status, ack, answer, valid, at, satisfaction in cases
        ],
        "responses": [Row(round=name, score=score, answered_at=day(at)) for name, score, at in responses],
        "customer": customer,
        "can_register": request.user.has_role(*WORKERS),
        "new_url": reverse("service:case_new"),
    }


def approval_subject_url(viewer, req):
    """The inbox's link (rmdesk.core.approvals.subject_url): the case page, for a viewer who may see the case."""
    from django.urls import reverse

    pk = (req.payload or {}).get("case_id")
    if pk and visible_cases(viewer).filter(pk=pk).exists():
        return reverse("service:case_detail", args=[pk])
    return None


def register():
    """Called once from ServiceConfig.ready()."""
    from rmdesk.core import hooks, notifications as notif
    from rmdesk.core.approvals import register_handler
    from rmdesk.core.roles import READERS, RoleCode

    from . import services

    for item in (
        hooks.MenuItem("service_cases", _("投诉与服务"), "service:case_list", roles=READERS, order=40),
        hooks.MenuItem("service_surveys", _("满意度调查"), "service:survey_list", roles=READERS, order=41),
        hooks.MenuItem("service_churn", _("流失预警"), "service:churn", roles=READERS, order=42),
        hooks.MenuItem(
            "service_sla",
            _("SLA 统计"),
            "service:sla_stats",
            roles=(RoleCode.TEAM_LEAD, RoleCode.BRANCH_MANAGER, RoleCode.RISK, RoleCode.COMPLIANCE),
            order=43,
        ),
        hooks.HomePanel("service_rm", rm_panel),
        hooks.HomePanel("service_lead", lead_panel),
        hooks.Slot(
            key="service",
            title=_("投诉与满意度"),
            template="service/slot_customer.html",
            context=customer_slot,
            order=60,
        ),
    ):
        hooks.register(item)
    register_handler(
        services.PLAN_KIND,
        _("投诉处理方案批示"),
        on_approved=services.on_plan_approved,
        on_rejected=services.on_plan_rejected,
        on_returned=services.on_plan_returned,
        may_decide=services.may_decide_plan_request,
        maker_acts_in_inbox=False,
        subject_url=approval_subject_url,
    )
    for kind, label in (
        ("service.approval", _("待批示")),
        ("service.decided", _("批示结果")),
        ("service.assigned", _("工单分派")),
        ("service.at_risk", _("SLA 即将超时")),
        ("service.breach", _("SLA 超时")),
        ("service.escalation", _("SLA 升级")),
        ("service.serious", _("重大投诉")),
        ("service.watch", _("流失预警")),
        ("service.retention", _("挽留任务")),
    ):
        notif.register_kind(kind, label)
    notif.register_prefix("service", _("客户服务"))
