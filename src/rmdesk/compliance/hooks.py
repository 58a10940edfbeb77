"""What the compliance app shows elsewhere (rmdesk.core.hooks, SPEC §8): menu entries, home panels
(pledges to sign and one's own violations for staff; open findings, outstanding signatures and
decisions for compliance), the approval handlers of its three kinds, and the interaction guard the
work app calls before recording a door-to-door contact."""

from django.utils.translation import gettext_lazy as _

from rmdesk.core.roles import READERS, RoleCode

from .scope import is_officer


def staff_panel(request):
    from .models import Violation, ViolationStatus
    from .scope import visible_obligations

    user = request.user
    if not user.is_active:
        return None
    # one's own rows only: the signer and the person are personal fields of their scopes (always seen by them), so
    # the subtree part of the scope would only cost its compilation and its OR on every home view (issue 18)
    mine = list(
        visible_obligations(user, write=True).filter(signed_at__isnull=True).select_related("round__template")[:8]
    )
    violations = list(Violation.objects.filter(person=user, status=ViolationStatus.PENDING).select_related("rule")[:8])
    if not mine and not violations:
        return None
    return {
        "key": "compliance_staff",
        "title": _("待签署承诺书与待认定违规"),
        "template": "compliance/panel_staff.html",
        "context": {"mine": mine, "violations": violations},
        "order": 20,
    }


def officer_panel(request):
    from .models import FindingStatus, GiftStatus, RoundStatus, ViolationStatus
    from .scope import visible_findings, visible_gifts, visible_obligations, visible_violations

    user = request.user
    if not is_officer(user):
        return None
    return {
        "key": "compliance_officer",
        "title": _("合规待办"),
        "template": "compliance/panel_officer.html",
        "context": {
            "findings": visible_findings(user).filter(status=FindingStatus.OPEN).count(),
            "unsigned": visible_obligations(user)
            .filter(signed_at__isnull=True, round__status=RoundStatus.OPEN)
            .count(),
            "violations": visible_violations(user).filter(status=ViolationStatus.PENDING).count(),
            "gifts": visible_gifts(user).filter(reviewed_at__isnull=True).exclude(status=GiftStatus.PENDING).count(),
        },
        "order": 15,
    }


def approval_subject_url(viewer, req):
    """The inbox's link (rmdesk.core.approvals.subject_url): the violation or special-service page, or the gift
    register, for a viewer who may see the record."""
    from django.urls import reverse

    from .scope import visible_gifts, visible_services, visible_violations

    payload = req.payload or {}
    for key, visible_in, url in (
        ("violation", visible_violations, lambda pk: reverse("compliance:violation_detail", args=[pk])),
        ("special_service", visible_services, lambda pk: reverse("compliance:service_detail", args=[pk])),
        ("gift", visible_gifts, lambda pk: reverse("compliance:gift_list")),
    ):
        pk = payload.get(key)
        if pk and visible_in(viewer).filter(pk=pk).exists():
            return url(pk)
    return None


def register():
    """Called once from ComplianceConfig.ready()."""
    from rmdesk.core import hooks, notifications as notif
    from rmdesk.core.approvals import register_handler

    from . import services
    from .defaults import GIFT_KIND, SERVICE_KIND, VIOLATION_KIND

    everyone = tuple(c for c in RoleCode.values if c != RoleCode.ADMIN)
    for item in (
        hooks.MenuItem("compliance_home", _("合规与承诺"), "compliance:index", roles=everyone, order=70),
        hooks.MenuItem("compliance_violations", _("违规记录"), "compliance:violation_list", roles=everyone, order=71),
        hooks.MenuItem("compliance_gifts", _("礼品登记"), "compliance:gift_list", roles=everyone, order=72),
        hooks.MenuItem("compliance_services", _("上门服务申请"), "compliance:service_list", roles=READERS, order=73),
        hooks.MenuItem("compliance_reviews", _("A/B岗交叉复查"), "compliance:review_list", roles=READERS, order=74),
        hooks.MenuItem(
            "compliance_audit", _("访问审计"), "compliance:access_audit", roles=(RoleCode.COMPLIANCE,), order=75
        ),
        hooks.MenuItem(
            "compliance_findings", _("异常线索"), "compliance:finding_list", roles=(RoleCode.COMPLIANCE,), order=76
        ),
        hooks.HomePanel("compliance_staff", staff_panel),
        hooks.HomePanel("compliance_officer", officer_panel),
        hooks.InteractionGuard(
            "compliance.special_service", check=services.interaction_guard, recorded=services.interaction_recorded
        ),
    ):
        hooks.register(item)
    register_handler(
        VIOLATION_KIND,
        _("违规认定"),
        on_approved=services.on_violation_approved,
        on_rejected=services.on_violation_rejected,
        may_decide=services.may_decide_violation,
        allowed_decisions=services.violation_decisions,
        maker_acts_in_inbox=False,
        subject_url=approval_subject_url,
    )
    register_handler(
        GIFT_KIND,
        _("礼品接受审批"),
        on_approved=services.on_gift_approved,
        on_rejected=services.on_gift_rejected,
        allowed_decisions=lambda checker, req: {"approve", "reject"},
        maker_acts_in_inbox=False,
        subject_url=approval_subject_url,
    )
    register_handler(
        SERVICE_KIND,
        _("上门服务审批"),
        on_approved=services.on_service_approved,
        on_rejected=services.on_service_rejected,
        allowed_decisions=lambda checker, req: {"approve", "reject"},
        maker_acts_in_inbox=False,
        subject_url=approval_subject_url,
    )
    for kind, label in (
        ("compliance.sign", _("承诺书签署")),
        ("compliance.violation", _("违规记录")),
        ("compliance.gift", _("礼品登记")),
        ("compliance.gift_review", _("礼品待复核")),
        ("compliance.anomaly", _("异常线索")),
        ("compliance.cross_review", _("交叉复查")),
    ):
        notif.register_kind(kind, label)
    notif.register_prefix("compliance", _("合规管理"))
