"""What the people app shows elsewhere (rmdesk.core.hooks, SPEC §10): menu entries, the RM's home panel
(my training points, sessions and career plan) and the supervisors' (the team's expiring certificates
and the inspections due this quarter), and the names of its notification kinds."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rmdesk.core.roles import READERS, SUPERVISORS, RoleCode


def rm_panel(request):
    user = request.user
    if not user.has_role(RoleCode.RM):
        return None
    from .scope import visible_attendance, visible_plans
    from .services import points_status

    today = timezone.localdate()
    return {
        "key": "people_rm",
        "title": _("我的培训与职业规划"),
        "template": "people/panel_rm.html",
        "context": {
            "points": points_status(user, on=today),
            "attendance": list(
                visible_attendance(user).filter(person=user).select_related("session__course").order_by("-held_on")[:5]
            ),
            "plan": visible_plans(user).filter(person=user, year=today.year).first(),
            "year": today.year,
        },
        "order": 60,
    }


def supervisor_panel(request):
    user = request.user
    if not user.has_role(*SUPERVISORS):
        return None
    from django.db import router

    from rmdesk.core.scope import subtree_paths
    from rmdesk.customers.slots import compiled
    from rmdesk.org.models import User

    from .services import expiring_qualifications, inspections_due_query, policy

    today = timezone.localdate()
    days = policy().cert_warning_days
    # both reads compiled once per process under everything their SQL is built from — the viewer's id and
    # activity, their subtree paths (read; writable), the day and the warning window — as the 360° slots'
    # are (customers.slots.compiled, decision 96); plain values, not certificates with their holder (issue 18)
    using = router.db_for_read(User)
    person = (user.pk, user.is_active)
    certificates = compiled(
        ("people.panel.certificates", person, tuple(subtree_paths(user)), today, days),
        lambda: (
            expiring_qualifications(user, within_days=days, on=today)
            .exclude(user=user)
            .values_list("name", "expires_on", "user__full_name", "user__username")[:8]
        ),
        arity=0,
        using=using,
    )()
    certificates = [
        {"name": name, "expires_on": expires_on, "person": full_name or username}  # User.display_name
        for name, expires_on, full_name, username in certificates
    ]
    due = compiled(
        ("people.panel.due", person, tuple(subtree_paths(user, write=True)), today),
        lambda: inspections_due_query(user, on=today, only=("full_name", "username"))[:8],  # User.display_name
        arity=0,
        using=using,
    )()
    return {
        "key": "people_supervisor",
        "title": _("团队资质到期与季度检查"),
        "template": "people/panel_supervisor.html",
        "context": {
            "certificates": certificates,
            "due": due,
            "today": today,
        },
        "order": 61,
    }


def register():
    """Called once from PeopleConfig.ready()."""
    from rmdesk.core import hooks, notifications as notif

    people_users = (*READERS,)
    for item in (
        hooks.MenuItem("people_home", _("人才培养"), "people:home", roles=people_users, order=80),
        hooks.MenuItem("people_training", _("培训与积分"), "people:session_list", roles=people_users, order=81),
        hooks.MenuItem("people_inspections", _("季度检查"), "people:inspection_list", roles=people_users, order=82),
        hooks.MenuItem("people_disc", _("DISC 岗位匹配"), "people:disc_list", roles=people_users, order=83),
        hooks.MenuItem(
            "people_config",
            _("岗位模型与培训设置"),
            "people:job_models",
            roles=(RoleCode.ADMIN,),
            order=84,
            admin_ok=True,
        ),
        hooks.HomePanel("people_rm", rm_panel),
        hooks.HomePanel("people_supervisor", supervisor_panel),
    ):
        hooks.register(item)
    for kind, label in (
        ("people.inspection", _("工作检查结果")),
        ("people.plan_reviewed", _("职业规划评议")),
        ("people.certificate", _("资质证书到期")),
        ("people.points", _("培训积分不足")),
        ("people.inspection_due", _("季度检查待完成")),
    ):
        notif.register_kind(kind, label)
    notif.register_prefix("people", _("人才培养"))
