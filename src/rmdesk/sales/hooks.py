"""What the sales app shows elsewhere (rmdesk.core.hooks, SPEC §4): menu entries, home panels (the RM's
tasks, lists and pipeline; the supervisor's tasks and campaigns; the referrer's referrals and credits),
the 360° slot (opportunities, campaign membership, next-best-product hints, materials signed) and the
approval handler of the nomination chain "sales.nomination"."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rmdesk.core.roles import READERS, SUPERVISORS, WORKERS, RoleCode

from .models import ReferralStatus, StageKind, TargetStatus, TaskStatus
from .scope import (
    visible_campaigns,
    visible_handouts,
    visible_opportunities,
    visible_referrals,
    visible_targets,
    visible_tasks,
)


def rm_panel(request):
    user = request.user
    if not user.has_role(RoleCode.RM):
        return None
    tasks = visible_tasks(user).filter(assignee=user, status=TaskStatus.OPEN).order_by("due_on")[:6]
    pending = (
        visible_targets(user)
        .filter(rm=user, status=TargetStatus.PENDING, campaign__status="active")
        .values("campaign_id", "campaign__name")
        .order_by("campaign_id")
    )
    lists = {}
    for row in pending:
        lists.setdefault(row["campaign_id"], {"id": row["campaign_id"], "name": row["campaign__name"], "n": 0})
        lists[row["campaign_id"]]["n"] += 1
    opps = (
        visible_opportunities(user)
        .filter(owner=user, stage__kind=StageKind.OPEN)
        .select_related("customer", "product", "stage")
        .order_by("expected_on", "-id")[:6]
    )
    referrals = visible_referrals(user).filter(rm=user, status=ReferralStatus.PENDING).count()
    return {
        "key": "sales_rm",
        "title": _("我的营销任务与商机"),
        "template": "sales/panel_rm.html",
        "context": {
            "tasks": list(tasks),
            "lists": list(lists.values())[:6],
            "opportunities": list(opps),
            "referrals": referrals,
            "today": timezone.localdate(),
        },
        "order": 30,
    }


def supervisor_panel(request):
    user = request.user
    if not user.has_role(*SUPERVISORS):
        return None
    from django.urls import reverse

    # only the columns the panel shows (the tasks stay instances for MarketingTask.progress; issue 18)
    tasks = (
        visible_tasks(user)
        .filter(assigned_by=user, status=TaskStatus.OPEN)
        .select_related("assignee")
        .only(*_TASK_FIELDS, "assignee__full_name", "assignee__username")
        .order_by("due_on")[:8]
    )
    campaigns = visible_campaigns(user).filter(status="active").order_by("ends_on")
    campaigns = list(campaigns.values("pk", "name", "ends_on")[:6])
    url = reverse("sales:campaign_detail", args=[987654321])
    for c in campaigns:
        c["url"] = url.replace("987654321", str(c["pk"]))
    return {
        "key": "sales_supervisor",
        "title": _("下达的营销任务与进行中的活动"),
        "template": "sales/panel_supervisor.html",
        "context": {"tasks": list(tasks), "campaigns": campaigns, "today": timezone.localdate()},
        "order": 31,
    }


_TASK_FIELDS = ("title", "due_on", "target_count", "target_amount", "done_count", "done_amount", "assignee")


def referrer_panel(request):
    user = request.user
    if not user.has_role(RoleCode.REFERRER):
        return None
    mine = visible_referrals(user).filter(referrer=user)
    recent = mine.select_related("customer", "rm").order_by("-created_at")[:8]
    return {
        "key": "sales_referrer",
        "title": _("我的推介与转化"),
        "template": "sales/panel_referrer.html",
        "context": {
            "referrals": list(recent),
            "total": mine.count(),
            "credited": mine.filter(credited_on__isnull=False).count(),
        },
        "order": 10,
    }


def customer_slot(request, customer):
    """Opportunities, campaign membership, next-best-product hints and materials signed, in the viewer's scope
    (SPEC §4). Each list is read as the columns shown, its rows ready to print — links, labels and dates made
    here once per request, not per row in the template (issue 18)."""
    from django.urls import reverse

    from rmdesk.customers.slots import Row, compiled, scope_key

    from .scope import HANDOUT_SCOPE, OPPORTUNITY_SCOPE, TARGET_SCOPE
    from .services import next_best_products

    user = request.user
    # each read compiled once per viewer scope (customers.slots.compiled, decision 96)
    opps = compiled(
        ("sales.360.opportunities", scope_key(user, OPPORTUNITY_SCOPE)),
        lambda pk: (
            visible_opportunities(user)
            .filter(customer_id=pk)
            .values_list("pk", "product__name", "stage__name", "amount", "owner__full_name", "owner__username")[:10]
        ),
    )(customer.pk)
    targets = compiled(
        ("sales.360.targets", scope_key(user, TARGET_SCOPE)),
        lambda pk: (
            visible_targets(user).filter(customer_id=pk).values_list("campaign_id", "campaign__name", "status")[:10]
        ),
    )(customer.pk)
    handouts = compiled(
        ("sales.360.handouts", scope_key(user, HANDOUT_SCOPE)),
        lambda pk: (
            visible_handouts(user)
            .filter(customer_id=pk)
            .values_list("material__name", "quantity", "signed_at", "signed_by")[:10]
        ),
    )(customer.pk)
    opp_url = reverse("sales:opportunity_detail", args=[987654321])
    campaign_url = reverse("sales:campaign_detail", args=[987654321])
    statuses = {k: str(v) for k, v in TargetStatus.choices}
    return {
        "opportunities": [
            Row(
                pk=pk,
                url=opp_url.replace("987654321", str(pk)),
                product=product,
                stage=stage,
                amount=amount,
                owner=full or username,
            )
            for pk, product, stage, amount, full, username in opps
        ],
        "targets": [
            Row(url=campaign_url.replace("987654321", str(cid)), campaign=name, status=statuses.get(st, st))
            for cid, name, st in targets
        ],
        "handouts": [
            Row(
                material=material,
                quantity=quantity,
                signed_by=signed_by,
                signed_at=timezone.localtime(at).strftime("%Y-%m-%d") if at else "",
            )
            for material, quantity, at, signed_by in handouts
        ],
        "hints": next_best_products(customer),
        "can_sell": user.has_role(*WORKERS),
        "new_url": reverse("sales:opportunity_new"),
    }


def approval_subject_url(viewer, req):
    """The inbox's link (rmdesk.core.approvals.subject_url): the materials page listing the nomination, for a
    viewer who may see the nomination and open that page."""
    from django.urls import reverse

    from .scope import visible_nominations

    pk = (req.payload or {}).get("nomination")
    may_open = viewer.has_role(*WORKERS, RoleCode.RISK, RoleCode.COMPLIANCE, RoleCode.ASSISTANT)
    if pk and may_open and visible_nominations(viewer).filter(pk=pk).exists():
        return reverse("sales:material_list")
    return None


def register():
    """Called once from SalesConfig.ready()."""
    from rmdesk.core import hooks, notifications as notif
    from rmdesk.core.approvals import register_handler

    from . import services
    from .config import CONFIG_ROLES

    for item in (
        hooks.MenuItem("sales_opportunities", _("商机"), "sales:opportunity_board", roles=READERS, order=40),
        hooks.MenuItem("sales_campaigns", _("营销活动"), "sales:campaign_list", roles=READERS, order=41),
        hooks.MenuItem("sales_tasks", _("营销任务"), "sales:task_list", roles=READERS, order=42),
        hooks.MenuItem("sales_log", _("营销业绩登记"), "sales:sale_list", roles=READERS, order=43),
        hooks.MenuItem(
            "sales_referrals", _("客户推介"), "sales:referral_list", roles=(*READERS, RoleCode.REFERRER), order=44
        ),
        hooks.MenuItem("sales_analysis", _("营销分析"), "sales:analysis", roles=READERS, order=45),
        hooks.MenuItem("sales_materials", _("宣传促销品"), "sales:material_list", roles=READERS, order=46),
        hooks.MenuItem("sales_config", _("营销配置"), "sales:config", roles=CONFIG_ROLES, order=47, admin_ok=True),
        hooks.HomePanel("sales_rm", rm_panel),
        hooks.HomePanel("sales_supervisor", supervisor_panel),
        hooks.HomePanel("sales_referrer", referrer_panel),
        hooks.Slot(key="sales", title=_("营销"), template="sales/slot_customer.html", context=customer_slot, order=40),
    ):
        hooks.register(item)
    register_handler(
        services.NOMINATION_KIND,
        _("促销推选"),
        on_approved=services.on_nomination_approved,
        on_rejected=services.on_nomination_rejected,
        subject_url=approval_subject_url,
    )
    for kind, label in (
        ("sales.campaign", _("营销活动")),
        ("sales.campaign_due", _("营销活动即将结束")),
        ("sales.task", _("营销任务")),
        ("sales.task_due", _("营销任务即将到期")),
        ("sales.referral", _("客户推介")),
        ("sales.referral_credit", _("推介转化")),
    ):
        notif.register_kind(kind, label)
    notif.register_prefix("sales", _("营销管理"))
