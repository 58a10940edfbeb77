"""Demo data of the contracts app (SPEC §7): contracts in every state (draft, in review, returned with a
second version, approved, rejected, signed waiting for the custodians, filed, amended), the three
custodians of 南京分行 (two custody clerks and the assistant as 政企/业务部门合同管理员), borrowings
requested, lent (one overdue) and returned, payment schedules paid, part paid, overdue with follow-ups
and written off, expiring contracts (one not renewed, with its reason). Everything goes through the
services; the chain is decided by the people the kernel names as eligible.

Runs after the customers' demo builder; does nothing without customers, and nothing when demo contracts
already exist (idempotent)."""

from datetime import timedelta
from decimal import Decimal

from django.apps import apps as django_apps
from django.core.files.base import ContentFile
from django.utils import timezone

from rmdesk.core import approvals
from rmdesk.core.models import ApprovalStatus
from rmdesk.customers.models import Customer, CustomerKind
from rmdesk.org.models import OrgUnit, User

from . import services
from .defaults import seed
from .models import Borrowing, Contract, CustodianAssignment, CustodyRole
from .scope import visible_contracts

TERMS = {
    "subject": "甲方为乙方提供对公结算、代发工资及现金管理服务",
    "quantity": "乙方在职员工约 300 人，每月代发一次",
    "price": "代发手续费每笔 0.5 元，按月结算",
    "term": "自合同生效之日起一年",
    "place_method": "甲方营业网点及企业网银，批量文件方式代发",
    "liability": "任一方违约，应赔偿守约方由此造成的直接经济损失",
    "disputes": "协商不成的，提交甲方所在地人民法院诉讼解决",
}

#: (state, kind, title, amount, months before today it started, length in months)
PLAN = [
    ("draft", "service", "现金管理服务协议", 80000, 0, 12),
    ("in_review", "payroll", "代发工资协议", 120000, 0, 12),
    ("returned", "sales", "理财产品代销合作合同", 300000, 0, 12),
    ("approved", "framework", "重点客户战略合作框架协议", 2000000, 0, 36),
    ("rejected", "service", "票据托管服务协议", 60000, 0, 12),
    ("signed", "payroll", "代发工资协议（二期）", 150000, 1, 12),
    ("filed", "credit", "流动资金借款合同", 900000, 6, 12),
    ("lent", "service", "资金归集服务协议", 500000, 9, 12),
    ("expiring", "payroll", "代发工资协议（年度）", 200000, 11, 12),
    ("not_renewed", "sales", "保险代理合作合同", 90000, 11, 12),
]


def _ver(obj):
    return type(obj).objects.values_list("version", flat=True).get(pk=obj.pk)


def _decide_all(contract, last="approve", steps=3):
    contract.refresh_from_db()
    req = contract.approval
    for n in range(steps):
        req.refresh_from_db()
        if req.status != ApprovalStatus.PENDING:
            return
        people = approvals.eligible_deciders(req)
        if not people:
            return
        decision = last if n == steps - 1 or len(approvals.steps_of(req)) == req.step_order else "approve"
        opinion = {"approve": "同意", "return": "违约责任条款请进一步明确", "reject": "不符合准入要求"}[decision]
        approvals.decide(people[0], req.pk, decision, opinion=opinion, version=req.version)
        if decision != "approve":
            return


def _months(day, n):
    """`day` moved by `n` calendar months (the last day of a shorter month)."""
    import calendar as pycal

    month = day.month - 1 + n
    year = day.year + month // 12
    month = month % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, pycal.monthrange(year, month)[1]))


def _custodians(ctx):
    """综合办 and 财务部 clerks of 南京分行, and the assistant as 政企/业务部门合同管理员."""
    model = User.objects.filter(username="assistant").first()  # same demo password and mail domain
    branch = OrgUnit.objects.filter(code="320").first() or OrgUnit.get_first_root_node()
    roles = list(CustodyRole.objects.order_by("order"))
    people = []
    for i, (username, name) in enumerate((("custodian_office", "赵文静"), ("custodian_finance", "钱美玲"))):
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(
                username=username,
                full_name=name,
                email=f"{username}@{model.email.partition('@')[2]}" if model and model.email else "",
                employee_no=f"EC{i + 1:03d}",
                unit=branch,
                position=f"{roles[i].name}合同管理员",
            )
            if model is not None:
                user.password = model.password
            else:
                user.set_unusable_password()
            user.save()
        people.append(user)
    assistant = User.objects.filter(username="assistant").first()
    if assistant is not None:
        people.append(assistant)
    for role, person in zip(roles, people, strict=False):
        CustodianAssignment.objects.get_or_create(role=role, unit=branch, user=person)
    return dict(zip([r.pk for r in roles], people, strict=False))


def build(ctx):
    if Contract.objects.exists():
        ctx.log("contracts: demo contracts already present, skipped")
        return
    seed(django_apps)
    pool = list(
        Customer.objects.filter(
            a_rm__username__in=("rm_senior", "rm_mid", "rm_junior"), kind=CustomerKind.CORPORATE
        ).select_related("a_rm")[:20]
    ) or list(Customer.objects.filter(a_rm__isnull=False).select_related("a_rm").order_by("id")[:20])
    if not pool:
        ctx.log("contracts: no customers yet, skipped")
        return
    keepers = _custodians(ctx)
    today = timezone.localdate()
    made, signed = 0, []
    for i, (state, kind, title, amount, ago, length) in enumerate(PLAN):
        customer = pool[i % len(pool)]
        rm = customer.a_rm
        start = _months(today, -ago) if ago else today + timedelta(days=7)
        end = _months(start, length) - timedelta(days=1)
        if state in ("expiring", "not_renewed"):
            end = today + timedelta(days=12 + i)
        terms = dict(TERMS)
        if state == "draft":
            terms["disputes"] = ""
        contract = services.create_contract(
            rm, customer_id=customer.pk, kind=kind, title=title, amount=Decimal(amount), start_on=start, end_on=end,
            **terms,
        )  # fmt: skip
        made += 1
        if state == "draft":
            continue
        services.submit_contract(rm, contract.pk, version=_ver(contract))
        if state == "in_review":
            continue
        if state == "returned":
            _decide_all(contract, "return", steps=1)
            services.update_contract(
                rm, contract.pk, version=_ver(contract), liability="违约方按合同金额的 5% 向守约方支付违约金"
            )
            continue
        if state == "rejected":
            _decide_all(contract, "reject", steps=1)
            continue
        _decide_all(contract)
        contract.refresh_from_db()
        if state == "approved" or contract.status != "approved":
            continue
        services.sign_contract(
            rm,
            contract.pk,
            signed_on=min(start, today),
            signatories=f"甲方：{rm.display_name}（授权代表）；乙方：{customer.name}法定代表人",
            scan=ContentFile(b"%PDF-1.4 demo signed scan", name=f"{contract.number}.pdf"),
            version=_ver(contract),
        )
        signed.append((state, contract, rm))
    borrowings = _custody_and_borrowing(signed, keepers, today)
    items = _receivables(signed, today)
    ctx.log(f"contracts: {made} contracts, {borrowings} borrowings, {items} installments")


def _custody_and_borrowing(signed, keepers, today) -> int:
    count = 0
    for state, contract, rm in signed:
        if state == "signed":
            continue  # the custodians have not acknowledged yet
        for copy in contract.copies.all():
            keeper = keepers.get(copy.role_id)
            if keeper is not None:
                services.acknowledge_copy(
                    keeper, copy.pk, location=f"南京分行档案室 {copy.role_id}-{contract.pk:03d} 号"
                )
        if state not in ("lent", "filed", "expiring"):
            continue
        copy = contract.copies.filter(acknowledged_at__isnull=False).first()
        keeper = keepers.get(copy.role_id) if copy else None
        if keeper is None:
            continue
        b = services.request_borrowing(rm, contract.pk, purpose="贷后检查核对合同条款", due_on=today, copy_id=copy.pk)
        count += 1
        if state == "filed":
            continue  # waiting for the custodian's consent
        services.decide_borrowing(keeper, b.pk, approve=True, note="同意，请按期归还", version=_ver(b))
        services.lend(keeper, b.pk, version=_ver(b))
        if state == "lent":
            Borrowing.objects.filter(pk=b.pk).update(
                due_on=today - timedelta(days=6), requested_at=timezone.now() - timedelta(days=10)
            )  # borrowed ten days ago, due six days ago: overdue
        else:
            services.receive_return(keeper, b.pk, version=_ver(b))
    return count


def _receivables(signed, today) -> int:
    count = 0
    for state, contract, rm in signed:
        supervisor = next(
            (
                u
                for u in User.objects.filter(username__in=("teamlead", "branchmgr")).order_by("username")
                if visible_contracts(u, write=True).filter(pk=contract.pk).exists()
            ),
            None,
        )
        if state not in ("filed", "lent", "expiring", "not_renewed"):
            continue
        quarter = contract.amount / 4
        for n in range(4):
            due = _months(contract.start_on, 3 * (n + 1)) - timedelta(days=1)
            item = services.add_installment(rm, contract.pk, due_on=due, amount=quarter)
            count += 1
            if due >= today:
                continue
            if n == 0 or state == "expiring":
                services.record_payment(rm, item.pk, amount=quarter, paid_on=min(due, today), note="按期回款")
            elif n == 1 and state == "lent":
                services.record_payment(rm, item.pk, amount=quarter * Decimal("0.6"), paid_on=min(due, today))
                services.add_follow_up(
                    rm, item.pk, note="电话催收余款，客户承诺本月底前结清", next_on=today + timedelta(days=5)
                )
            elif n == 1 and state == "not_renewed" and supervisor is not None:
                services.record_payment(rm, item.pk, amount=quarter * Decimal("0.9"), paid_on=min(due, today))
                services.write_off(supervisor, item.pk, reason="客户经营困难，尾款无法收回", version=_ver(item))
            elif state == "filed":
                services.record_payment(rm, item.pk, amount=quarter, paid_on=min(due, today))
        if state == "not_renewed":
            services.decide_renewal(
                rm, contract.pk, decision="not_renew", reason="客户业务调整，不再使用该项服务", version=_ver(contract)
            )
        if state == "filed":
            services.amend_contract(rm, contract.pk, title=f"{contract.title}补充协议（调整还款计划）")
    return count


run = build
