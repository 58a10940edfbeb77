"""What the contracts app shows elsewhere (rmdesk.core.hooks, SPEC §7): menu entries, the 360° slot, home
panels for the RM (drafts, returned, expiring contracts, overdue receivables), the custodian (copies to
acknowledge, borrowing requests, overdue borrowings) and the supervisors (contracts in review, the
collection and bad-debt rates), and the approval handlers of kinds "contracts.<kind>"."""

from datetime import date

from django.db.models import F
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from rmdesk.core.roles import READERS, SUPERVISORS, RoleCode

from .models import EDITABLE, ContractKind, ContractStatus
from .scope import is_custodian, visible_contracts


def rm_panel(request):
    user = request.user
    if not user.has_role(RoleCode.RM):
        return None
    from .services import due_installments, expiring

    mine = visible_contracts(user).filter(rm=user)
    today = timezone.localdate()
    return {
        "key": "contracts_rm",
        "title": _("我的合同与应收"),
        "template": "contracts/panel.html",
        "context": {
            "drafts": list(mine.filter(status__in=EDITABLE).select_related("customer")[:6]),
            "expiring": list(expiring(mine, today).select_related("customer")[:6]),
            "receivables": list(due_installments(user).filter(due_on__lt=today)[:6]),
            "today": today,
        },
        "order": 37,
    }


def custodian_panel(request):
    user = request.user
    if not is_custodian(user):
        return None
    from .services import custodian_work

    return {
        "key": "contracts_custody",
        "title": _("合同保管：待签收、调阅申请与逾期未还"),
        "template": "contracts/panel_custody.html",
        "context": custodian_work(user, timezone.localdate()),
        "order": 30,
    }


def oversight_panel(request):
    user = request.user
    if not user.has_role(*SUPERVISORS):
        return None
    from .services import collection_table

    today = timezone.localdate()
    start = date(today.year, 1, 1)
    # the scope is worked out once for both reads; the rows are plain values (issue 18: the panel is drawn on
    # every home view after a write, and building model instances and their joins cost more than the SQL)
    scope = visible_contracts(user)
    rows = collection_table(user, start, today, by="team", contracts=scope)
    in_review = scope.filter(status=ContractStatus.IN_REVIEW).values(
        "pk", "number", "amount", customer_name=F("customer__name")
    )
    return {
        "key": "contracts_oversight",
        "title": _("合同审批与回款情况"),
        "template": "contracts/panel_oversight.html",
        "context": {
            "in_review": list(in_review[:6]),
            "rows": rows,
            "start": start,
            "today": today,
        },
        "order": 38,
    }


def customer_slot(request, customer):
    """The customer's contracts on the 360° page, in the viewer's scope (SPEC §7): read as the columns shown,
    each row's label and date made here, not per row in the template (issue 18)."""
    from rmdesk.customers.slots import Row, compiled, scope_key

    from .scope import CONTRACT_SCOPE, custody_q

    user = request.user
    # compiled once per viewer scope and custody (customers.slots.compiled, decision 96)
    custody = custody_q(user)
    rows = compiled(
        ("contracts.360", scope_key(user, CONTRACT_SCOPE), repr(custody)),
        lambda pk: (
            visible_contracts(user, custody=custody)
            .filter(customer_id=pk)
            .order_by("-created_at")
            .values_list("pk", "number", "title", "amount", "status", "end_on")[:10]
        ),
    )(customer.pk)
    statuses = {k: str(v) for k, v in ContractStatus.choices}
    return {
        "contracts": [
            Row(
                pk=pk,
                number=number,
                title=title,
                amount=amount,
                status=statuses.get(status, status),
                end_on=end_on.strftime("%Y-%m-%d") if end_on else "",
            )
            for pk, number, title, amount, status, end_on in rows
        ]
    }


def approval_subject_url(viewer, req):
    """The inbox's link (rmdesk.core.approvals.subject_url): the contract page, for a viewer who may see it."""
    from django.urls import reverse

    pk = (req.payload or {}).get("contract_id")
    if pk and visible_contracts(viewer).filter(pk=pk).exists():
        return reverse("contracts:detail", args=[pk])
    return None


def _custodian_menu(user) -> bool:
    """合同保管 is shown to custodians: while the shell is drawn the EXISTS is one of its facts, read with the
    others in one query (`_custodian_fact`, issue 18)."""
    from rmdesk.core import hooks

    known = hooks.fact(user, "contracts.custodian")
    return is_custodian(user) if known is None else bool(known)


def _custodian_fact(user):
    """`is_custodian`'s EXISTS as a shell fact (hooks.ShellFact)."""
    if not getattr(user, "is_authenticated", False):
        return None
    from .models import CustodianAssignment

    return CustodianAssignment.objects.filter(user=user)


def register():
    """Called once from ContractsConfig.ready()."""
    from rmdesk.core import hooks, notifications as notif
    from rmdesk.core.approvals import register_handler

    from . import services
    from .defaults import approval_kind

    for item in (
        hooks.MenuItem("contracts", _("合同管理"), "contracts:list", roles=READERS, order=55),
        hooks.MenuItem("contracts_receivables", _("合同回款"), "contracts:receivables", roles=READERS, order=56),
        hooks.MenuItem("contracts_custody", _("合同保管"), "contracts:custody", visible_to=_custodian_menu, order=57),
        hooks.MenuItem(
            "contracts_settings",
            _("合同模板与保管设置"),
            "contracts:settings",
            roles=(RoleCode.ADMIN,),
            admin_ok=True,
            order=90,
        ),
        hooks.ShellFact("contracts.custodian", _custodian_fact, exists=True),
        hooks.HomePanel("contracts_rm", rm_panel),
        hooks.HomePanel("contracts_custody", custodian_panel),
        hooks.HomePanel("contracts_oversight", oversight_panel),
        hooks.Slot(
            key="contracts", title=_("合同"), template="contracts/slot_customer.html", context=customer_slot, order=67
        ),
    ):
        hooks.register(item)
    for kind, label in ContractKind.choices:
        register_handler(
            approval_kind(kind),
            format_lazy("{}：{}", _("合同审批"), label),
            on_approved=services.on_approved,
            on_rejected=services.on_rejected,
            on_returned=services.on_returned,
            may_decide=services.may_decide_contract,
            maker_acts_in_inbox=False,
            subject_url=approval_subject_url,
        )
    for kind, label in (
        ("contracts.decided", _("合同审批结果")),
        ("contracts.custody", _("合同待签收")),
        ("contracts.borrow_request", _("合同调阅申请")),
        ("contracts.borrow_decided", _("合同调阅审批结果")),
        ("contracts.borrow_overdue", _("合同调阅逾期")),
        ("contracts.expiry", _("合同到期")),
        ("contracts.receivable_overdue", _("应收逾期")),
    ):
        notif.register_kind(kind, label)
    notif.register_prefix("contracts", _("合同管理"))
