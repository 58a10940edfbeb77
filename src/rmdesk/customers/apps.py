from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "rmdesk.customers"
    label = "customers"
    verbose_name = _("客户档案")

    def ready(self):
        from rmdesk.core import hooks
        from rmdesk.core.roles import READERS, SUPERVISORS, RoleCode

        from . import services  # noqa: F401  (registers the approval handlers)
        from .services import IMPORT_ROLES

        for item in (
            hooks.MenuItem("customers", _("客户档案"), "customers:list", roles=READERS, order=10),
            hooks.MenuItem("customers_import", _("客户导入"), "customers:import", roles=IMPORT_ROLES, order=11),
            hooks.MenuItem("customers_pool", _("待分配客户"), "customers:pool", roles=SUPERVISORS, order=12),
            hooks.MenuItem(
                "customers_conflicts", _("冲突处理"), "customers:conflicts", roles=(*SUPERVISORS, RoleCode.RM), order=13
            ),
            hooks.MenuItem("customers_handover", _("客户移交"), "customers:handover", roles=SUPERVISORS, order=14),
            hooks.HomePanel("customers", _home_panel),
            hooks.Counter("customer_conflicts", _conflict_counter),
            hooks.ShellFact("customers.open_conflicts", _open_conflicts),
            hooks.ListFilter(
                "watch", "customers", _("降级关注"), choices=(("1", _("关注中")),), apply=_filter_watch, order=40
            ),
        ):
            hooks.register(item)
        # key-account qualification on the 360° page (SPEC §2; services.qualification)
        hooks.register(
            hooks.Slot(
                key="qualification",
                title=_("大客户资格认定"),
                template="customers/slots/qualification.html",
                context=_qualification_slot,
                order=15,
            )
        )


def _qualification_slot(request, customer):
    from .services.qualification import slot_context

    return slot_context(request, customer)


def _home_panel(request):
    """RM home panel: my customers, my AUM, recent tier changes."""
    from django.db.models import Count, Q, Sum

    from .models import Customer, TierChange

    user = request.user
    if not user.has_role("rm"):
        return None
    mine = Customer.objects.filter(Q(a_rm=user) | Q(b_rm=user), merged_into__isnull=True)
    agg = Customer.objects.filter(a_rm=user, merged_into__isnull=True).aggregate(n=Count("id"), aum=Sum("aum"))
    changes = list(
        TierChange.objects.filter(a_rm=user)
        .select_related("customer", "from_tier", "to_tier")
        .exclude(direction="initial")
        .order_by("-at", "-id")[:5]
    )
    return {
        "key": "customers",
        "title": _("我的客户"),
        "template": "customers/panel_home.html",
        "order": 10,
        "context": {"a_count": agg["n"] or 0, "aum": agg["aum"] or 0, "all_count": mine.count(), "changes": changes},
    }


def _filter_watch(qs, value, user):
    """Customers on the downgrade watch (关注) of their current tier (issue 19, services.monthly_tiers)."""
    from django.db.models import F

    return qs.filter(tier_watch__tier=F("tier"))


def _open_conflicts(user):
    """The conflicts badge's count as a shell fact (hooks.ShellFact): supervisors only."""
    from .models import ConflictStatus
    from .services import is_supervisor, visible_conflicts

    if not getattr(user, "is_authenticated", False) or not is_supervisor(user):
        return None
    return visible_conflicts(user).filter(status=ConflictStatus.OPEN).exclude(claimant=user)


def _conflict_counter(user):
    from django.urls import reverse

    from rmdesk.core import hooks

    from .models import ConflictStatus
    from .services import is_supervisor, visible_conflicts

    if not is_supervisor(user):
        return None
    n = hooks.fact(user, "customers.open_conflicts")  # the shell's one query of facts (issue 18)
    if n is None:
        n = visible_conflicts(user).filter(status=ConflictStatus.OPEN).exclude(claimant=user).count()
    if not n:
        return None
    return {"key": "customer_conflicts", "label": _("客户冲突"), "count": n, "url": reverse("customers:conflicts")}
