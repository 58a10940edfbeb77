"""What the work app plugs into the shell and other apps: menu entries, the unread counter, home
panels, the 360° slot with the customer's interactions, and receivers of the customers app's signals."""
from django.db.models import Q
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rmdesk.customers import signals as customer_signals
from rmdesk.customers.slots import Slot, register_slot
from rmdesk.org import nav

WORKERS = ("rm", "team_lead", "branch_manager")
SUPERVISORS = ("team_lead", "branch_manager", "rm")
READERS = ("rm", "team_lead", "branch_manager", "risk", "compliance", "assistant")

for item in (
    nav.NavItem("work_cadence", _("客户维护"), "work:cadence", roles=READERS, order=30),
    nav.NavItem("work_schedule", _("访问日程"), "work:schedule", roles=WORKERS, order=31),
    nav.NavItem("work_appointments", _("预约日历"), "work:appointments", roles=WORKERS, order=32),
    nav.NavItem("work_interactions", _("服务记录"), "work:interactions", roles=READERS, order=33),
    nav.NavItem("work_tasks", _("待办事项"), "work:tasks", roles=WORKERS, order=34),
    nav.NavItem("work_journals", _("工作日志"), "work:journals", roles=WORKERS, order=35),
    nav.NavItem("work_reviews", _("待审阅"), "work:reviews", roles=("team_lead", "branch_manager"), order=36),
    nav.NavItem("work_notifications", _("消息中心"), "work:notifications", roles=None, order=90),
):
    nav.register(item)


@nav.register_counter
def _unread_counter(user):
    from .notifications import unread_count

    return {"key": "notifications", "label": _("消息"), "count": unread_count(user), "url": reverse("work:notifications")}


@nav.register_home_panel
def _rm_panel(request):
    user = request.user
    if not user.has_role("rm"):
        return None
    from datetime import datetime, time, timedelta

    from .models import Appointment, AppointmentStatus, ContactStatus, Journal
    from .scope import PENDING_JOURNAL

    today = timezone.localdate()
    mine = ContactStatus.objects.filter(a_rm=user)
    start = datetime.combine(today, time.min, timezone.get_current_timezone())
    return {
        "key": "work_rm", "title": _("我的日常事务"), "template": "work/panel_rm.html", "order": 20,
        "context": {
            "overdue": mine.filter(status="overdue").count(),
            "due": mine.filter(status="due").count(),
            "top": list(mine.filter(status__in=["overdue", "due"]).select_related("customer").order_by("next_due_on")[:5]),
            "appointments": list(Appointment.objects.filter(owner=user, status=AppointmentStatus.PLANNED,
                                                            start_at__gte=start, start_at__lt=start + timedelta(days=1))
                                 .select_related("customer").order_by("start_at")),
            "journals": list(Journal.objects.filter(owner=user, status__in=PENDING_JOURNAL,
                                                    due_on__lte=today + timedelta(days=7))
                             .select_related("template").order_by("due_on")[:6]),
        },
    }


@nav.register_home_panel
def _lead_panel(request):
    user = request.user
    if not user.has_role("team_lead", "branch_manager"):
        return None
    from . import cadence
    from .models import JournalStatus
    from .scope import PENDING_JOURNAL, supervised_journals

    sup = supervised_journals(user)
    return {
        "key": "work_lead", "title": _("团队日常事务"), "template": "work/panel_lead.html", "order": 21,
        "context": {
            "rows": cadence.overdue_counts_for(user, "a_rm" if user.has_role("team_lead") else "org_path")[:10],
            "by_unit": not user.has_role("team_lead"),
            "waiting": sup.filter(status=JournalStatus.SUBMITTED).count(),
            "late": sup.filter(status__in=PENDING_JOURNAL, due_on__lt=timezone.localdate()).count(),
        },
    }


def _slot_context(request, customer):
    """Two queries: the last ten interactions (scoped, with their recorder) and the cadence row. Whether
    the viewer may record one comes from the 360° page's own scoped read (`customer.writable`) when it
    has it, else from one more query."""
    from .models import ContactStatus
    from .scope import visible_interactions

    items = list(visible_interactions(request.user).filter(customer=customer)
                 .select_related("recorded_by").order_by("-occurred_at")[:10])
    writable = getattr(customer, "writable", None)
    if writable is None:
        from rmdesk.customers.scope import visible_customers

        writable = visible_customers(request.user, write=True).filter(pk=customer.pk).exists()
    return {
        "items": items,
        "status": ContactStatus.objects.filter(customer=customer).first(),
        "can_write": bool(writable),
    }


register_slot(Slot(key="interactions", title=_("服务记录"), template="work/slot_interactions.html",
                   context=_slot_context, order=20))


@receiver(customer_signals.tier_changed, dispatch_uid="work.cadence_on_tier_change")
def _on_tier_changed(sender, customer, old_tier=None, new_tier=None, **kwargs):
    """A tier change changes the cadence rule: recompute the customer's row at once."""
    from .cadence import refresh_one

    refresh_one(customer)


@receiver(customer_signals.customers_imported, dispatch_uid="work.cadence_on_import")
def _on_imported(sender, customer_ids, **kwargs):
    """An import file's archives (new ones, changed tiers): their cadence rows in a few set-based
    statements, not one refresh per row."""
    from .cadence import recompute_all

    if customer_ids:
        recompute_all(customer_ids=customer_ids)


@receiver(customer_signals.customers_handed_over, dispatch_uid="work.tasks_on_handover")
def _on_handover(sender, actor, customers, from_rm, to_rm, notes=None, **kwargs):
    """Handover: a follow-up task (待办) per customer for the receiving RM (SPEC §2)."""
    from .services import handover_tasks

    handover_tasks(actor, customers, from_rm, to_rm, notes)


def _on_status_deleted(sender, instance, **kwargs):
    """A cadence row goes (its customer was deleted): its counter bucket loses one."""
    from .cadence import bump_counter

    bump_counter(instance.a_rm_id, instance.org_path, instance.status, -1)


def _connect_status_delete():
    from django.db.models.signals import post_delete

    from .models import ContactStatus

    post_delete.connect(_on_status_deleted, sender=ContactStatus, dispatch_uid="work.counter_on_status_delete")


_connect_status_delete()
