"""What the performance app shows elsewhere (rmdesk.core.hooks, SPEC §9): menu entries, home panels (the
RM's latest results and letters to sign; the supervisor's runs to review and advice to handle) and the
approval handlers of appeals, letter changes and level changes."""

from django.utils.translation import gettext_lazy as _

from rmdesk.core.roles import SUPERVISORS, RoleCode

from .models import AdviceStatus, LetterStatus, RunStatus
from .scope import visible_advice, visible_letters, visible_results, visible_runs


def rm_panel(request):
    user = request.user
    if not user.has_role(RoleCode.RM):
        return None
    results = visible_results(user).filter(rm=user).select_related("run").order_by("-run__period_start")[:4]
    letters = visible_letters(user).filter(rm=user, status=LetterStatus.SIGNING, rm_signed_at__isnull=True)
    return {
        "key": "performance_rm",
        "title": _("我的考核"),
        "template": "performance/panel.html",
        "context": {"results": list(results), "letters": list(letters[:4])},
        "order": 40,
    }


def supervisor_panel(request):
    user = request.user
    if not user.has_role(*SUPERVISORS):
        return None
    from django.db import router
    from django.urls import reverse

    from rmdesk.core.scope import scope_q
    from rmdesk.customers.slots import compiled

    from .models import AssessmentRun, LevelAdvice
    from .scope import MANAGED

    # plain values with their links and labels prepared once (issue 18, decision 87); each read compiled once
    # per process for the managing-subtree filter both are read through, as the 360° slots are (decision 96)
    using = router.db_for_read(AssessmentRun)  # the replica while the request reads from it
    key = repr(scope_q(user, MANAGED, write=True))
    runs = compiled(
        ("performance.panel.runs", key),
        lambda: (
            visible_runs(user)
            .exclude(status=RunStatus.CLOSED)
            .values_list("pk", "label", "status", "scorecard__name")[:6]
        ),
        arity=0,
        using=using,
    )()
    runs = [dict(zip(("pk", "label", "status", "scorecard_name"), row, strict=True)) for row in runs]
    url = reverse("performance:run_detail", args=[987654321])
    statuses = dict(AssessmentRun._meta.get_field("status").flatchoices)
    for r in runs:
        r["url"] = url.replace("987654321", str(r["pk"]))
        r["status_label"] = statuses.get(r["status"], r["status"])
    advice = compiled(
        ("performance.panel.advice", key),
        lambda: (
            visible_advice(user)
            .filter(status=AdviceStatus.OPEN)
            .values_list("move", "rm__full_name", "rm__username")[:6]
        ),
        arity=0,
        using=using,
    )()
    advice = [dict(zip(("move", "full_name", "username"), row, strict=True)) for row in advice]
    moves = dict(LevelAdvice._meta.get_field("move").flatchoices)
    advice_url = reverse("performance:advice_list")
    for a in advice:
        a["person"] = a["full_name"] or a["username"]  # User.display_name
        a["move_label"] = moves.get(a["move"], a["move"])
        a["url"] = advice_url
    return {
        "key": "performance_supervisor",
        "title": _("绩效考核待办"),
        "template": "performance/panel.html",
        "context": {"runs": runs, "advice": advice},
        "order": 41,
    }


def approval_subject_url(viewer, req):
    """The inbox's link (rmdesk.core.approvals.subject_url): the appealed result, the target letter, or the level
    advice list, for a viewer who may see the record (the advice list is the supervisors')."""
    from django.urls import reverse

    payload = req.payload or {}
    if payload.get("result_id") and visible_results(viewer).filter(pk=payload["result_id"]).exists():
        return reverse("performance:result_detail", args=[payload["result_id"]])
    if payload.get("letter_id") and visible_letters(viewer).filter(pk=payload["letter_id"]).exists():
        return reverse("performance:letter_detail", args=[payload["letter_id"]])
    advice = payload.get("advice_id")
    if advice and viewer.has_role(*SUPERVISORS) and visible_advice(viewer).filter(pk=advice).exists():
        return reverse("performance:advice_list")
    return None


def register():
    """Called once from PerformanceConfig.ready()."""
    from rmdesk.core import hooks, notifications as notif
    from rmdesk.core.approvals import register_handler

    from . import services

    for item in (
        hooks.MenuItem("performance_mine", _("我的考核"), "performance:my_results", roles=(RoleCode.RM,), order=70),
        hooks.MenuItem("performance_runs", _("绩效考核"), "performance:run_list", roles=SUPERVISORS, order=71),
        hooks.MenuItem(
            "performance_cards", _("考核方案"), "performance:scorecard_list", roles=SUPERVISORS, order=72, admin_ok=True
        ),
        hooks.MenuItem(
            "performance_letters",
            _("目标责任书"),
            "performance:letter_list",
            roles=(RoleCode.RM, *SUPERVISORS),
            order=73,
        ),
        hooks.MenuItem(
            "performance_pay_rules",
            _("薪酬规则"),
            "performance:pay_rule_list",
            roles=SUPERVISORS,
            order=74,
            admin_ok=True,
        ),
        hooks.MenuItem(
            "performance_promotion_rules",
            _("晋降级规则"),
            "performance:promotion_rule_list",
            roles=SUPERVISORS,
            order=75,
            admin_ok=True,
        ),
        hooks.HomePanel("performance_rm", rm_panel),
        hooks.HomePanel("performance_supervisor", supervisor_panel),
    ):
        hooks.register(item)
    register_handler(
        services.APPEAL_KIND,
        _("考核申诉"),
        on_approved=services.on_appeal_approved,
        on_rejected=services.on_appeal_rejected,
        on_cancelled=services.on_appeal_cancelled,
        subject_url=approval_subject_url,
    )
    register_handler(
        services.LETTER_KIND,
        _("目标责任书变更"),
        on_approved=services.on_letter_approved,
        on_rejected=services.on_letter_rejected,
        subject_url=approval_subject_url,
    )
    register_handler(
        services.LEVEL_KIND,
        _("客户经理等级调整"),
        on_approved=services.on_level_approved,
        on_rejected=services.on_level_rejected,
        subject_url=approval_subject_url,
    )
    for kind, label in (
        ("performance.published", _("考核结果发布")),
        ("performance.letter", _("目标责任书待签署")),
    ):
        notif.register_kind(kind, label)
    notif.register_prefix("performance", _("绩效考核"))
