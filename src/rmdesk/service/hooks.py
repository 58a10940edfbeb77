"""What this app shows elsewhere: home-page panels, a header counter and the customer 360° slot (SPEC §5)."""
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .models import OPEN_STATUSES, CaseStatus, WatchStatus
from .scope import visible_cases, visible_responses, visible_watch


def _awaiting_my_approval(user):
    from .services import is_supervisor_of

    return [c for c in visible_cases(user, write=True).filter(status=CaseStatus.PROPOSED).exclude(plan_by=user)
            .select_related("customer")[:50] if is_supervisor_of(user, c)]


def rm_panel(request):
    user = request.user
    if not user.has_role("rm"):
        return None
    cases = (visible_cases(user).filter(status__in=OPEN_STATUSES)
             .filter(Q(owner=user) | Q(customer__a_rm=user) | Q(customer__b_rm=user))
             .select_related("customer").order_by("answer_due_at")[:8])
    watch = visible_watch(user).filter(status=WatchStatus.OPEN, assigned_to=user).select_related("customer")[:5]
    return {"key": "service_rm", "title": _("我的投诉与服务工单"), "template": "service/panel_open.html",
            "context": {"cases": list(cases), "watch": list(watch), "approvals": []}, "order": 30}


def lead_panel(request):
    user = request.user
    if not user.has_role("team_lead", "branch_manager"):
        return None
    cases = (visible_cases(user).filter(status__in=OPEN_STATUSES).select_related("customer", "owner")
             .order_by("-ack_breached", "-answer_breached", "answer_due_at")[:8])
    watch = visible_watch(user).filter(status=WatchStatus.OPEN).select_related("customer")[:5]
    return {"key": "service_lead", "title": _("团队投诉与服务工单"), "template": "service/panel_open.html",
            "context": {"cases": list(cases), "watch": list(watch), "approvals": _awaiting_my_approval(user)},
            "order": 31}


def approvals_counter(user):
    if not user.has_role("team_lead", "branch_manager"):
        return None
    n = len(_awaiting_my_approval(user))
    if not n:
        return None
    return {"key": "service_approvals", "label": _("待批示"), "count": n,
            "url": reverse("service:case_list") + "?status=proposed"}


def customer_slot(request, customer):
    cases = visible_cases(request.user).filter(customer=customer).select_related("owner").order_by("-registered_at")[:20]
    responses = (visible_responses(request.user).filter(customer=customer, answered_at__isnull=False)
                 .select_related("round").order_by("-answered_at")[:10])
    return {"cases": list(cases), "responses": list(responses), "customer": customer,
            "can_register": request.user.has_role("rm", "team_lead", "branch_manager", "assistant")}


def register():
    from rmdesk.customers.slots import Slot, register_slot
    from rmdesk.org import nav

    nav.register_home_panel(rm_panel)
    nav.register_home_panel(lead_panel)
    nav.register_counter(approvals_counter)
    register_slot(Slot(key="service", title=_("投诉与满意度"), template="service/slot_customer.html",
                       context=customer_slot, order=60))
