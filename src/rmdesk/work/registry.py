"""What the work app plugs into the shell and other apps (rmdesk.core.hooks): menu entries, the unread
counter, home panels and the 360° slot with the customer's interactions. The receivers of the
customers app's domain events are in rmdesk.work.receivers."""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rmdesk.core import hooks, notifications as notif
from rmdesk.core.roles import READERS, SUPERVISORS, WORKERS


def _may_review_journals(user) -> bool:
    """待审阅 is shown to whoever reviews journals: supervisors, and any RM named as a reviewer or
    supervising someone (a senior RM who reviews juniors' journals). While the shell is drawn the EXISTS is
    one of its facts, read with the others in one query (`_reviews_fact`, issue 18)."""
    if user.has_role(*SUPERVISORS):
        return True
    known = hooks.fact(user, "work.journals_to_review")
    if known is not None:
        return bool(known)
    from .scope import supervised_journals

    return supervised_journals(user).exists()


def _reviews_fact(user):
    """`_may_review_journals`' EXISTS as a shell fact (hooks.ShellFact); none for supervisors, whose role decides."""
    if not getattr(user, "is_authenticated", False) or user.has_role(*SUPERVISORS):
        return None
    from .scope import supervised_journals

    return supervised_journals(user)


def _unread_counter(user):
    return {
        "key": "notifications",
        "label": _("消息"),
        "count": notif.unread_count(user),
        "url": reverse("work:notifications"),
    }


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
        "key": "work_rm",
        "title": _("我的日常事务"),
        "template": "work/panel_rm.html",
        "order": 20,
        "context": {
            "overdue": mine.filter(status="overdue").count(),
            "due": mine.filter(status="due").count(),
            "top": list(
                mine.filter(status__in=["overdue", "due"]).select_related("customer").order_by("next_due_on")[:5]
            ),
            "appointments": list(
                Appointment.objects.filter(
                    owner=user,
                    status=AppointmentStatus.PLANNED,
                    start_at__gte=start,
                    start_at__lt=start + timedelta(days=1),
                )
                .select_related("customer")
                .order_by("start_at")
            ),
            "journals": list(
                Journal.objects.filter(owner=user, status__in=PENDING_JOURNAL, due_on__lte=today + timedelta(days=7))
                .select_related("template")
                .order_by("due_on")[:6]
            ),
        },
    }


def _lead_panel(request):
    user = request.user
    if not user.has_role("team_lead", "branch_manager"):
        return None
    from django.db.models import Count, Q
    from django.urls import reverse

    from . import cadence
    from .models import JournalStatus
    from .scope import PENDING_JOURNAL, supervised_journals

    # both journal counts in one aggregate with FILTER, the list's URL reversed once (issue 18)
    counts = supervised_journals(user).aggregate(
        waiting=Count("pk", filter=Q(status=JournalStatus.SUBMITTED)),
        late=Count("pk", filter=Q(status__in=PENDING_JOURNAL, due_on__lt=timezone.localdate())),
    )
    return {
        "key": "work_lead",
        "title": _("团队日常事务"),
        "template": "work/panel_lead.html",
        "order": 21,
        "context": {
            "rows": cadence.overdue_counts_for(user, "a_rm" if user.has_role("team_lead") else "org_path")[:10],
            "by_unit": not user.has_role("team_lead"),
            "waiting": counts["waiting"],
            "late": counts["late"],
            "cadence_url": reverse("work:cadence"),
        },
    }


def _slot_context(request, customer):
    """Two queries: the last ten interactions (scoped, with their recorder) and the cadence row, which
    brings the industry's setting of chosen callback intervals along (issue 19; where it is on, one more:
    the customer's choice with who recorded it). Whether the viewer may record one comes from the 360°
    page's own scoped read (`customer.writable`) when it has it, else from one more query."""
    from django.db.models import Subquery

    from rmdesk.customers.slots import Row, compiled, scope_key

    from .models import (
        CadenceSetting,
        ChosenInterval,
        ContactStatus,
        CustomerIntervalMode,
        Interaction,
        InteractionKind,
    )
    from .scope import visible_interactions

    viewer = request.user
    # the rows as the columns shown, ready to print: link, label and local time made once per request (issue 18);
    # both reads compiled once per process, the interactions' per viewer scope (customers.slots.compiled)
    rows = compiled(
        ("work.360.interactions", scope_key(viewer, Interaction.SCOPE)),
        lambda pk: (
            visible_interactions(viewer)
            .filter(customer_id=pk)
            .order_by("-occurred_at")
            .values_list("pk", "occurred_at", "kind", "purpose", "recorded_by__full_name", "recorded_by__username")[:10]
        ),
    )(customer.pk)
    url = reverse("work:interaction_detail", args=[987654321])
    kinds = {k: str(v) for k, v in InteractionKind.choices}
    items = [
        Row(
            pk=pk,
            url=url.replace("987654321", str(pk)),
            kind=kinds.get(kind, kind),
            purpose=purpose,
            occurred_at=timezone.localtime(at).strftime("%Y-%m-%d %H:%M") if at else "",
            recorded_by=full or user,
        )
        for pk, at, kind, purpose, full, user in rows
    ]
    writable = getattr(customer, "writable", None)
    if writable is None:
        from rmdesk.customers.scope import visible_customers

        writable = visible_customers(request.user, write=True).filter(pk=customer.pk).exists()

    def build(pk):
        setting = CadenceSetting.objects.filter(code="default").values("customer_interval")[:1]
        return ContactStatus.objects.filter(customer_id=pk).annotate(interval_mode=Subquery(setting)).order_by("pk")[:1]

    found = compiled(("work.360.contact_status",), build)(customer.pk)
    status = found[0] if found else None
    mode = status.interval_mode if status is not None else CadenceSetting.mode()
    interval_on = (mode or CustomerIntervalMode.OFF) != CustomerIntervalMode.OFF
    return {
        "items": items,
        "all_url": reverse("work:interactions"),
        "status": status,
        "can_write": bool(writable),
        "interval_on": interval_on,
        "chosen": ChosenInterval.objects.filter(customer=customer).select_related("recorded_by").first()
        if interval_on
        else None,
    }


def _filter_by_contact_status(queryset, value, user):
    """The customer list's 联系状态 filter: the cadence row this app keeps per customer (SPEC §3)."""
    return queryset.filter(contact_status__status=value)


def register():
    """Called once from WorkConfig.ready(): menu entries, the unread counter, home panels, the 360°
    slot and the labels of this app's notification kinds."""
    for item in (
        hooks.MenuItem("work_cadence", _("客户维护"), "work:cadence", roles=READERS, order=30),
        hooks.MenuItem("work_schedule", _("访问日程"), "work:schedule", roles=WORKERS, order=31),
        hooks.MenuItem("work_appointments", _("预约日历"), "work:appointments", roles=WORKERS, order=32),
        hooks.MenuItem("work_interactions", _("服务记录"), "work:interactions", roles=READERS, order=33),
        hooks.MenuItem("work_tasks", _("待办事项"), "work:tasks", roles=WORKERS, order=34),
        hooks.MenuItem("work_journals", _("工作日志"), "work:journals", roles=WORKERS, order=35),
        hooks.MenuItem("work_reviews", _("待审阅"), "work:reviews", visible_to=_may_review_journals, order=36),
        hooks.MenuItem("work_notifications", _("消息中心"), "work:notifications", roles=None, order=90),
        hooks.ShellFact("work.journals_to_review", _reviews_fact, exists=True),
        hooks.Counter("notifications", _unread_counter),
        hooks.HomePanel("work_rm", _rm_panel),
        hooks.HomePanel("work_lead", _lead_panel),
        hooks.Slot(
            key="interactions",
            title=_("服务记录"),
            template="work/slot_interactions.html",
            context=_slot_context,
            order=20,
        ),
        hooks.ListFilter(
            "contact",
            "customers",
            _("联系状态"),
            choices=(
                ("overdue", _("联系已逾期")),
                ("due", _("今日应联系")),
                ("soon", _("即将到期")),
                ("ok", _("正常")),
            ),
            apply=_filter_by_contact_status,
            order=50,
        ),
    ):
        hooks.register(item)

    for kind, label in (
        ("birthday", _("客户生日")),
        ("key_date", _("服务关键时刻")),
        ("maturity", _("产品到期")),
        ("contacts_due", _("客户维护到期")),
        ("schedule_due", _("访问日程待确认")),
        ("journal_due", _("计划总结待提交")),
        ("journal.review", _("待审阅")),
        ("journal.reviewed", _("审阅结果")),
        ("task_due", _("待办到期")),
        ("appointment", _("预约提醒")),
        ("handover", _("客户移交")),
    ):
        notif.register_kind(kind, label)
    notif.register_prefix("journal", _("工作日志"))
    from rmdesk.core import ical

    from .calendar_feed import work_items

    ical.register_source("work", work_items)  # appointments, visit schedule and due tasks in the iCal feed
    notif.register_prefix("customers", _("客户档案"))
