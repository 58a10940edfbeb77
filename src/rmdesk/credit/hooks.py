"""What the credit app shows elsewhere (rmdesk.core.hooks, SPEC §6): menu entries, the 360° slot, home panels for
the RM (my applications, post-loan checks due), the supervisors and risk officers (overdue checks,
open warnings), and the approval handler of kind "credit.application" (审贷分离, no override)."""

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rmdesk.core.roles import READERS, SUPERVISORS, RoleCode

from .models import EDITABLE, AppStatus, WarningStatus
from .scope import visible_applications, visible_checks, visible_warnings


def rm_panel(request):
    user = request.user
    if not user.has_role(RoleCode.RM):
        return None
    from .services import due_checks

    apps = (
        visible_applications(user)
        .filter(rm=user, status__in=[*EDITABLE, AppStatus.IN_REVIEW, AppStatus.APPROVED])
        .order_by("-created_at")
        .values(*_APP_FIELDS, customer_name=F("customer__name"))[:8]
    )
    checks = due_checks(user).values(
        *_CHECK_FIELDS, cms_ref=F("loan__cms_ref"), customer_name=F("loan__customer__name")
    )
    return {
        "key": "credit_rm",
        "title": _("我的授信申请与贷后检查"),
        "template": "credit/panel.html",
        "context": {**_panel_rows(apps, checks[:8], ()), "today": timezone.localdate()},
        "order": 35,
    }


def oversight_panel(request):
    user = request.user
    if not user.has_role(*SUPERVISORS, RoleCode.RISK):
        return None
    from django.db import router

    from rmdesk.customers.slots import compiled, scope_key

    from .models import PostLoanCheck
    from .scope import APPLICATION_SCOPE, CHECK_SCOPE, WARNING_SCOPE

    using = router.db_for_read(PostLoanCheck)  # the replica while the request reads from it
    today = timezone.localdate()
    # each read compiled once per process for the viewer's scope filters (and the day: the overdue cut-off), as
    # the 360° slots are (customers.slots.compiled, decision 96); its rows named as the panel reads them
    overdue = _named(
        compiled(
            ("credit.panel.overdue", scope_key(user, CHECK_SCOPE), today),
            lambda: (
                visible_checks(user)
                .filter(done_at__isnull=True, due_on__lt=today)
                .order_by("due_on")
                .values_list(*_CHECK_FIELDS, "loan__cms_ref", "loan__customer__name")[:8]
            ),
            arity=0,
            using=using,
        )(),
        (*_CHECK_FIELDS, "cms_ref", "customer_name"),
    )
    warnings = _named(
        compiled(
            ("credit.panel.warnings", scope_key(user, WARNING_SCOPE)),
            lambda: (
                visible_warnings(user)
                .exclude(status=WarningStatus.CLOSED)
                .order_by("-escalation_level", "-raised_at")
                .values_list("level", "title", "escalation_level", "customer__name")[:8]
            ),
            arity=0,
            using=using,
        )(),
        ("level", "title", "escalation_level", "customer_name"),
    )
    in_review = _named(
        compiled(
            ("credit.panel.in_review", scope_key(user, APPLICATION_SCOPE)),
            lambda: (
                visible_applications(user)
                .filter(status=AppStatus.IN_REVIEW)
                .values_list(*_APP_FIELDS, "customer__name")[:8]
            ),
            arity=0,
            using=using,
        )(),
        (*_APP_FIELDS, "customer_name"),
    )
    return {
        "key": "credit_oversight",
        "title": _("授信审批、逾期贷后检查与风险预警"),
        "template": "credit/panel.html",
        "context": {**_panel_rows(in_review, overdue, warnings), "today": today},
        "order": 36,
    }


def _named(rows, names) -> list[dict]:
    return [dict(zip(names, row, strict=True)) for row in rows]


_APP_FIELDS = ("pk", "amount", "status")
_CHECK_FIELDS = ("loan_id", "seq", "due_on")


def _panel_rows(applications, checks, warnings) -> dict:
    """The panel's rows as plain values (issue 18, decision 87): each link from one reverse() per URL name, each
    label from one dict per choice set, so the template needs neither `{% url %}` nor `get_FOO_display` per row."""
    from django.urls import reverse

    from .models import CreditApplication, Warning

    app_url = reverse("credit:application_detail", args=[987654321])
    loan_url = reverse("credit:loan_detail", args=[987654321])
    statuses = dict(CreditApplication._meta.get_field("status").flatchoices)
    levels = dict(Warning._meta.get_field("level").flatchoices)
    applications = list(applications)
    for a in applications:
        a["url"] = app_url.replace("987654321", str(a["pk"]))
        a["status_label"] = statuses.get(a["status"], a["status"])
    checks = list(checks)
    for c in checks:
        c["url"] = loan_url.replace("987654321", str(c["loan_id"]))
    warnings = list(warnings)
    for w in warnings:
        w["level_label"] = levels.get(w["level"], w["level"])
    return {"applications": applications, "checks": checks, "warnings": warnings}


def customer_slot(request, customer):
    """The customer's credit on the 360° page (SPEC §6): applications, loans, open warnings and ratings in the
    viewer's scope. Each list is read as the few columns shown, its rows ready to print — links, labels and
    dates made here once per request, not per row in the template (issue 18)."""
    from django.urls import reverse

    from rmdesk.customers.slots import Row, compiled, scope_key

    from .models import Classification, WarningLevel
    from .scope import APPLICATION_SCOPE, LOAN_SCOPE, RATING_SCOPE, WARNING_SCOPE, visible_loans, visible_ratings

    user = request.user
    # each read compiled once per viewer scope (customers.slots.compiled, decision 96)
    apps = compiled(
        ("credit.360.applications", scope_key(user, APPLICATION_SCOPE)),
        lambda pk: (
            visible_applications(user)
            .filter(customer_id=pk)
            .order_by("-created_at")
            .values_list("pk", "product__name", "amount", "status")[:10]
        ),
    )(customer.pk)
    loans = compiled(
        ("credit.360.loans", scope_key(user, LOAN_SCOPE)),
        lambda pk: (
            visible_loans(user)
            .filter(customer_id=pk)
            .order_by("-start_on")
            .values_list("pk", "cms_ref", "amount", "classification")[:10]
        ),
    )(customer.pk)
    warnings = compiled(
        ("credit.360.warnings", scope_key(user, WARNING_SCOPE)),
        lambda pk: (
            visible_warnings(user)
            .filter(customer_id=pk)
            .exclude(status=WarningStatus.CLOSED)
            .values_list("level", "title", "status")[:10]
        ),
    )(customer.pk)
    ratings = compiled(
        ("credit.360.ratings", scope_key(user, RATING_SCOPE)),
        lambda pk: (
            visible_ratings(user)
            .filter(customer_id=pk)
            .values_list("year", "grade", "credit_line", "rated_by__full_name", "rated_by__username", "rated_at")[:10]
        ),
    )(customer.pk)

    app_url = reverse("credit:application_detail", args=[987654321])
    loan_url = reverse("credit:loan_detail", args=[987654321])
    statuses = {k: str(v) for k, v in AppStatus.choices}
    classes = {k: str(v) for k, v in Classification.choices}
    levels = {k: str(v) for k, v in WarningLevel.choices}
    w_statuses = {k: str(v) for k, v in WarningStatus.choices}
    return {
        "customer_id": customer.pk,
        "applications": [
            Row(
                pk=pk,
                url=app_url.replace("987654321", str(pk)),
                product=product,
                amount=amount,
                status=statuses.get(status, status),
            )
            for pk, product, amount, status in apps
        ],
        "loans": [
            {
                "url": loan_url.replace("987654321", str(pk)),
                "cms_ref": ref,
                "amount": amount,
                "classification": classes.get(cls, cls),
            }
            for pk, ref, amount, cls in loans
        ],
        "warnings": [
            {"level": levels.get(level, level), "title": title, "status": w_statuses.get(status, status)}
            for level, title, status in warnings
        ],
        "ratings": [
            {
                "year": year,
                "grade": grade,
                "credit_line": line,
                "rated_by": full or username or "",
                "rated_at": timezone.localtime(at).strftime("%Y-%m-%d") if at else "",
            }
            for year, grade, line, full, username, at in ratings
        ],
    }


def approval_subject_url(viewer, req):
    """The inbox's link (rmdesk.core.approvals.subject_url): the application page, for a viewer who may see it."""
    from django.urls import reverse

    pk = (req.payload or {}).get("application_id")
    if pk and visible_applications(viewer).filter(pk=pk).exists():
        return reverse("credit:application_detail", args=[pk])
    return None


def register():
    """Called once from CreditConfig.ready()."""
    from rmdesk.core import hooks, notifications as notif
    from rmdesk.core.approvals import register_handler

    from . import services
    from .defaults import KIND

    for item in (
        hooks.MenuItem("credit_applications", _("授信申请"), "credit:application_list", roles=READERS, order=50),
        hooks.MenuItem("credit_loans", _("贷款与贷后"), "credit:loan_list", roles=READERS, order=51),
        hooks.MenuItem("credit_warnings", _("风险预警"), "credit:warning_board", roles=READERS, order=52),
        hooks.MenuItem("credit_structure", _("客户结构风险"), "credit:structure", roles=READERS, order=53),
        hooks.MenuItem("credit_ratings", _("信用评级"), "credit:rating_list", roles=READERS, order=54),
        hooks.HomePanel("credit_rm", rm_panel),
        hooks.HomePanel("credit_oversight", oversight_panel),
        hooks.Slot(
            key="credit", title=_("授信与贷款"), template="credit/slot_customer.html", context=customer_slot, order=65
        ),
    ):
        hooks.register(item)
    register_handler(
        KIND,
        _("授信审批"),
        on_approved=services.on_approved,
        on_rejected=services.on_rejected,
        on_returned=services.on_returned,
        may_decide=services.may_decide_application,
        allowed_decisions=services.allowed_decisions,
        refusal_reason=services.refusal_reason,
        maker_acts_in_inbox=False,
        subject_url=approval_subject_url,
    )
    for kind, label in (
        ("credit.investigator", _("授信调查")),
        ("credit.decided", _("授信审批结果")),
        ("credit.warning", _("风险预警")),
        ("credit.escalation", _("风险预警上报")),
        ("credit.check_overdue", _("贷后检查逾期")),
        ("credit.review_at_risk", _("授信审查即将到期")),
        ("credit.review_breach", _("授信审查超时")),
        ("credit.submit_at_risk", _("授信申请今日须报送审查")),
        ("credit.submit_breach", _("授信申请超过报送审查时限")),
    ):
        notif.register_kind(kind, label)
    notif.register_prefix("credit", _("授信与风险"))
