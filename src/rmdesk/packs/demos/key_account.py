"""The key-account (B2B) demo (`seed_demo --pack key_account`; issue 19, seeds 002 and 004; SPEC §2, §3, §7).

示范工业集团销售公司 → 大客户部 → two teams of 大客户经理. Each key-account manager holds corporate accounts with the
six qualification figures filled in as the core system's extract brings them (annual volume, margin, growth, share
of wallet, credit standing, payment cycle) and `annual_volume` for the tier: most accounts qualify, some fail on
the pass mark, one on the payment-cycle veto and one on credit, so the 360° page's qualification section shows
both verdicts with their reasons. Each account has 3–5 contacts with role, attitude and influence (the stakeholder
map; one account only two, so the page warns), visits over the last months, the quarter's 3-month development plan
and special maintenance plan opened, and for each manager's first two accounts a year's framework agreement (the
pack's template) taken through the review chain (法律审查 → 审核 → 审批) and signed six months ago, with its quarterly
payment schedule: the past quarters paid, one account's last quarter only part paid and chased (帐款跟催), so the
receivables page shows its 回款率 and the overdue list.

Everything is made through the apps' services (audited). Idempotent: nothing is made when the root unit exists.
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from rmdesk.contracts import services as contracts
from rmdesk.contracts.models import ContractKind
from rmdesk.customers import services as customers
from rmdesk.customers.models import ContactAttitude, ContactInfluence, ContactRole, CustomerKind, Stage
from rmdesk.demo_names import person_name
from rmdesk.org.models import RMLevel, RoleCode, UnitKind
from rmdesk.work import services as work
from rmdesk.work.models import InteractionKind

from . import DEMO_PASSWORD, approve_and_sign, build_organisation, month_start, report_to

TITLE = "示范工业集团销售公司"
LOGIN = "ka_rm"  # the key-account manager shown on the screenshot (scripts/pack_screenshots.py)
ROOT = "KAC"
TREE = (
    ROOT,
    TITLE,
    UnitKind.HEAD_OFFICE,
    [
        (
            "KAC10",
            "大客户部",
            UnitKind.DEPARTMENT,
            [
                ("KAC1001", "大客户一组（制造业）", UnitKind.TEAM, []),
                ("KAC1002", "大客户二组（流通业）", UnitKind.TEAM, []),
            ],
        ),
    ],
)

LOGINS = [
    ("ka_rm", "周明远", "KAC10", "KAC1001", (RoleCode.RM,), RMLevel.SENIOR),
    ("ka_rm2", "吴佳琪", "KAC10", "KAC1002", (RoleCode.RM,), RMLevel.INTERMEDIATE),
    ("ka_lead", "郑海波", "KAC10", "KAC1001", (RoleCode.TEAM_LEAD,), ""),
    ("ka_lead2", "王丽娟", "KAC10", "KAC1002", (RoleCode.TEAM_LEAD,), ""),
    ("ka_manager", "陈国栋", "KAC10", None, (RoleCode.BRANCH_MANAGER,), ""),
    ("ka_admin", "大客户系统管理员", ROOT, None, (RoleCode.ADMIN,), ""),
    ("ka_legal", "法务合规专员", ROOT, None, (RoleCode.COMPLIANCE,), ""),  # the contracts' 法律审查
]
LEADS = {"KAC1001": "ka_lead", "KAC1002": "ka_lead2"}
ACCOUNTS_PER_RM = 8
COMPANIES = ["精工机械", "华远电子", "恒通物流", "瑞丰食品", "宏达建材"]
COMPANIES += ["联创汽车零部件", "东方纺织", "金桥医药", "博远化工", "天成包装"]
CITIES = ["苏州", "无锡", "常州", "南通", "扬州"]
INDUSTRIES = ["通用设备制造业", "计算机、通信和其他电子设备制造业", "道路运输业", "食品制造业", "批发业"]
# (title, role, attitude, influence): a buying centre of five; an account keeps the first 3–5
BUYING_CENTRE = [
    ("总经理", ContactRole.DECISION_MAKER, ContactAttitude.SUPPORTER, ContactInfluence.HIGH),
    ("采购部经理", ContactRole.INFLUENCER, ContactAttitude.NEUTRAL, ContactInfluence.HIGH),
    ("财务总监", ContactRole.FINANCE, ContactAttitude.NEUTRAL, ContactInfluence.MEDIUM),
    ("技术部主管", ContactRole.BLOCKER, ContactAttitude.OPPONENT, ContactInfluence.MEDIUM),
    ("采购专员", ContactRole.CONTACT, ContactAttitude.SUPPORTER, ContactInfluence.LOW),
]
# GB 32100 统一社会信用代码 check character (the archive validates it; customers.validators is private to its app)
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def make_credit_code(body16: str) -> str:
    first17 = "9" + body16
    total = sum(USCC_CHARSET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return first17 + USCC_CHARSET[(31 - total % 31) % 31]


# the key terms of a framework agreement (seed 004:78: 标的, 数量, 价格, 履行期限, 地点和方式, 违约责任, 解决争议)
FRAMEWORK_TERMS = {
    "subject": "甲方标准产品、定制产品及技术支持服务",
    "quantity": "以年度业务量为准，按月订单执行",
    "price": "执行年度框架价格表，季度对账结算",
    "term": "一年，按季度分期付款",
    "place_method": "甲方仓库发货至乙方指定厂区，汽运交付，验收后开票",
    "liability": "乙方逾期付款按日万分之五支付违约金；甲方逾期交货按同一标准承担违约责任",
    "disputes": "协商不成的，提交甲方所在地人民法院诉讼解决",
}
QUARTERS = 4


def _sign_framework(ctx, rm, customer, *, deciders, today, late: bool) -> int:
    """A year's framework agreement signed six months ago through the review chain, its four quarterly
    installments (the last day of the quarter's third month), the past ones paid; `late`: the last past quarter
    only 60 % paid, with a follow-up. Answers the number of installments."""
    rng = ctx.rng
    start = month_start(today, 6)
    amount = Decimal(customer.ka_volume or 0).quantize(Decimal("1"))
    contract = contracts.create_contract(
        rm,
        customer_id=customer.pk,
        kind=ContractKind.FRAMEWORK,
        title=f"{customer.name}年度合作框架协议",
        amount=amount,
        start_on=start,
        end_on=date(start.year + 1, start.month, 1) - timedelta(days=1),
        **FRAMEWORK_TERMS,
    )
    contract = approve_and_sign(  # 法律审查 → 审核 (team lead) → 审批 (manager): one million and more
        rm,
        contract,
        deciders,
        signed_on=start,
        signatories=f"甲方：{rm.full_name}；乙方：{customer.legal_rep or customer.name}",
        scan_name=f"框架协议-{customer.customer_no}.pdf",
    )
    share = (amount / QUARTERS).quantize(Decimal("0.01"))
    for q in range(QUARTERS):
        due = month_start(today, 6 - 3 * q - 3) - timedelta(days=1)  # the last day of the quarter's third month
        value = share if q < QUARTERS - 1 else amount - share * (QUARTERS - 1)
        item = contracts.add_installment(rm, contract.pk, due_on=due, amount=value)
        if due >= today:
            continue
        if late and q == 1:  # the quarter that ended last month
            part = (value * Decimal("0.6")).quantize(Decimal("0.01"))
            contracts.record_payment(rm, item.pk, amount=part, paid_on=min(due + timedelta(days=5), today))
            contracts.add_follow_up(
                rm,
                item.pk,
                note="财务总监确认余款因客户资金周转延后，承诺下月 10 日前付清；已发对账函。",
                next_on=today + timedelta(days=7),
            )
        else:
            contracts.record_payment(rm, item.pk, amount=value, paid_on=due - timedelta(days=rng.randint(0, 10)))
    return QUARTERS


PURPOSES = ["季度业务回顾", "了解新年度采购计划", "高层拜访：战略合作洽谈", "对账与回款沟通", "新产品技术交流"]


def _figures(rng, j: int) -> dict:
    """The qualification figures of the j-th account: mostly qualified, some not, each failure for a reason."""
    figures = {
        "ka_volume": str(Decimal(rng.randint(3_500, 60_000) * 1000)),
        "ka_margin": str(Decimal(rng.randint(1300, 2600)) / 100),
        "ka_growth": str(Decimal(rng.randint(500, 2500)) / 100),
        "ka_wallet_share": str(Decimal(rng.randint(22, 65))),
        "ka_credit_standing": rng.choice(["AAA", "AA", "A"]),
        "ka_payment_days": str(rng.randint(20, 60)),
    }
    if j == 5:  # buys little at a thin margin, not growing: below the pass mark
        figures.update(ka_volume="1800000", ka_margin="8.50", ka_growth="-4.00")
    elif j == 6:  # "老是延期付款": the payment-cycle veto
        figures.update(ka_payment_days="95")
    elif j == 7:  # poor credit: the credit veto
        figures.update(ka_credit_standing="BB")
    return figures


def build(ctx):
    built = build_organisation(ctx, pack="key_account", tree=TREE, logins=LOGINS, employee_prefix="KAC")
    if built is None:
        return
    units, staff = built
    rng = ctx.rng
    report_to(staff["ka_manager"], [staff[lead] for lead in LEADS.values()])
    rms = [staff["ka_rm"], staff["ka_rm2"]]
    for rm in rms:
        rm.supervisor = staff[LEADS[rm.team.code]]
        rm.save(update_fields=["supervisor"])
    ctx.log(
        f"key_account: {TITLE}, {len(rms)} key-account managers; logins (password {DEMO_PASSWORD}): "
        + ", ".join(username for username, *_ in LOGINS)
    )

    # --- accounts with their figures and buying centres ---------------------------------------------------
    per_rm = max(ACCOUNTS_PER_RM, int(ACCOUNTS_PER_RM * max(ctx.scale, 0.01)))
    made = contacts = 0
    book = {}
    for rm in rms:
        for j in range(per_rm):
            made += 1
            figures = _figures(rng, j)
            city = rng.choice(CITIES)
            customer, _conflict = customers.create_customer(
                rm,
                {
                    "kind": CustomerKind.CORPORATE,
                    "name": f"{city}{COMPANIES[(made - 1) % len(COMPANIES)]}有限公司{'' if made <= 10 else made}",
                    "credit_code": make_credit_code(f"1320500MA{made:07d}"),
                    "industry": INDUSTRIES[j % len(INDUSTRIES)],
                    "legal_rep": person_name(rng),
                    "registered_capital": str(rng.randint(20, 500) * 100_000),
                    "address": f"{city}市工业园区{rng.randint(1, 99)}号",
                    "mobile": f"185{made:08d}",
                    "stage": Stage.ACTIVE,
                    "source": "import",
                    "is_key_account": j < 5,
                    "metrics": {"annual_volume": figures["ka_volume"]},
                    **figures,
                },
                customer_no=f"KAC{made:07d}",
            )
            if customer is None:
                continue
            book.setdefault(rm.pk, []).append(customer)
            keep = 2 if j == 4 else 3 + (j % 3)  # 3–5 contacts; one account only two (the page warns)
            for k, (title, role, attitude, influence) in enumerate(BUYING_CENTRE[:keep]):
                customers.add_contact(
                    rm,
                    customer.pk,
                    name=person_name(rng),
                    title=title,
                    role=role,
                    attitude=attitude,
                    influence=influence,
                    mobile=f"186{made:05d}{k:03d}",
                    is_primary=k == 0,
                )
                contacts += 1
    ctx.log(f"key_account: {made} key accounts with qualification figures, {contacts} contacts")

    # --- visits, plans and framework agreements ------------------------------------------------------------
    now, today = timezone.now(), timezone.localdate()
    tz = timezone.get_current_timezone()
    visits = signed = installments = 0
    can_draft = contracts.active_template(ContractKind.FRAMEWORK) is not None
    for rm in rms:
        mine = book.get(rm.pk, [])
        for k, customer in enumerate(mine):
            for gap in sorted((rng.randint(5, 40), rng.randint(45, 100)), reverse=True):
                day = today - timedelta(days=gap)
                at = datetime.combine(day, time(rng.randint(9, 16), rng.choice((0, 30))), tz)
                work.record_interaction(
                    rm,
                    customer.pk,
                    kind=InteractionKind.BRANCH if k % 2 == 0 else InteractionKind.PHONE,
                    occurred_at=min(at, now - timedelta(minutes=5)),
                    purpose=rng.choice(PURPOSES),
                    content="与采购、财务负责人沟通本季度订单与回款安排，客户对交付与技术支持满意。",
                    minutes_spent=rng.randint(20, 90),
                )
                visits += 1
            if can_draft and k < 2:
                installments += _sign_framework(
                    ctx,
                    rm,
                    customer,
                    deciders=(staff["ka_legal"], rm.supervisor, staff["ka_manager"]),
                    today=today,
                    late=rm.username == "ka_rm" and k == 1,
                )
                signed += 1
        plan = work.open_journal(rm, "ka_dev_plan_3m", today)
        work.save_journal(
            rm,
            plan.pk,
            content={
                "accounts": "、".join(c.name for c in mine[:3]),
                "stakeholders": "重点突破采购部经理（影响者），争取技术部主管（阻碍者）的支持。",
                "actions": "季度业务回顾、高层拜访与新产品技术交流各一次。",
                "support": "需要技术部派驻工程师支持两次。",
            },
            version=plan.version,
        )
        work.open_journal(rm, "ka_special_maintenance", today)
    ctx.log(
        f"key_account: {visits} visits and calls, {signed} framework agreements signed with {installments} "
        "quarterly installments, plans opened"
    )
