"""The telecom VIP demo (`seed_demo --pack telecom`; issue 19, seed 004 VIP客户服务工作规范; SPEC §2, §3, §5).

某市分公司 → 政企客户部 / 个人客户部 → VIP 客户中心 → service teams of 客户经理. Each account manager serves
VIP subscribers (用户) in the pack's 钻石卡 / 金卡 / 银卡 tiers by monthly bill (`monthly_spend`, with last month's in
`monthly_spend_prev`, as the monthly billing extract brings them); a few bills dropped or went to zero this month, so
the retention-trigger scan puts them on the watch list with the trigger's call script and a call due in working
days (tests/packs/test_demo_telecom.py runs it). Contacts by phone over the last months (some diamond/gold
subscribers overdue for their monthly contact), appointments, a billing dispute under the VIP SLA, the monthly
service plan open. Fees as receivables (seed 002:225, 241): a few VIP subscribers of two account managers signed
the pack's 入网服务协议 seven months ago; its last six monthly bills are installments, mostly paid, one subscriber
欠费停机 (one bill written off, the next chased) and one owing last month's bill (chased), so /contracts/receivables/
shows the branch's 回款率 and 坏帐率 against the pack's targets.

Everything is made through the apps' services as the people would (audited), so the demo is what the screens
show after a few months of use. Idempotent: nothing is made when the root unit exists.
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from rmdesk.contracts import services as contracts
from rmdesk.contracts.models import ContractKind
from rmdesk.customers import services as customers
from rmdesk.customers.models import Customer, CustomerKind, Stage
from rmdesk.demo_names import person_name
from rmdesk.org.models import RMLevel, RoleCode, UnitKind
from rmdesk.service import services as service
from rmdesk.service.models import CaseCategory, CaseKind, Channel, Severity
from rmdesk.work import services as work
from rmdesk.work.models import InteractionKind

from . import DEMO_PASSWORD, approve_and_sign, build_organisation, make_staff, month_start, report_to

TITLE = "示范电信某市分公司"
LOGIN = "tel_rm"  # the account manager whose home page the screenshot shows
ROOT = "TEL"
TREE = (
    ROOT,
    TITLE,
    UnitKind.HEAD_OFFICE,
    [
        (
            "TEL10",
            "政企客户部",
            UnitKind.DEPARTMENT,
            [
                (
                    "TEL1001",
                    "政企 VIP 客户中心",
                    UnitKind.DEPARTMENT,
                    [("TEL100101", "政企客户经理组", UnitKind.TEAM, [])],
                )
            ],
        ),
        (
            "TEL20",
            "个人客户部",
            UnitKind.DEPARTMENT,
            [
                (
                    "TEL2001",
                    "VIP 客户中心",
                    UnitKind.DEPARTMENT,
                    [
                        ("TEL200101", "钻石卡服务组", UnitKind.TEAM, []),
                        ("TEL200102", "金银卡服务组", UnitKind.TEAM, []),
                    ],
                ),
            ],
        ),
    ],
)

# the documented logins (README): (username, name, unit, team, roles, level)
LOGINS = [
    ("tel_rm", "刘晓峰", "TEL2001", "TEL200101", (RoleCode.RM,), RMLevel.SENIOR),
    ("tel_rm2", "赵静怡", "TEL2001", "TEL200102", (RoleCode.RM,), RMLevel.INTERMEDIATE),
    ("tel_rm_gov", "孙志强", "TEL1001", "TEL100101", (RoleCode.RM,), RMLevel.SENIOR),
    ("tel_lead", "钱丽华", "TEL2001", "TEL200101", (RoleCode.TEAM_LEAD,), ""),
    ("tel_lead2", "郭文涛", "TEL2001", "TEL200102", (RoleCode.TEAM_LEAD,), ""),
    ("tel_lead_gov", "马俊杰", "TEL1001", "TEL100101", (RoleCode.TEAM_LEAD,), ""),
    ("tel_manager", "黄建华", "TEL20", None, (RoleCode.BRANCH_MANAGER,), ""),
    ("tel_compliance", "冯雪梅", ROOT, None, (RoleCode.COMPLIANCE,), ""),
    ("tel_admin", "电信系统管理员", ROOT, None, (RoleCode.ADMIN,), ""),
]
EXTRA_RMS = {"TEL200101": 1, "TEL200102": 2, "TEL100101": 1}  # further account managers per team

# monthly bill bands (元) by tier, with the share of subscribers: diamond ≥ 1000, gold ≥ 500, silver ≥ 200
BILL_BANDS = [((1000, 2600), 0.2), ((500, 999), 0.3), ((200, 499), 0.4), ((80, 199), 0.1)]
SUBSCRIBERS_PER_RM = 20
PURPOSES = ["月度例行回访", "告知新资费套餐", "VIP 俱乐部积分兑换提醒", "了解网络使用体验", "生日问候", "账单解读"]
DISTRICTS = ["城东", "城西", "城南", "城北", "开发区"]
STREETS = ["人民路", "解放路", "建设路", "中山路", "长江路", "文化路"]


def _bill(rng) -> Decimal:
    r, acc = rng.random(), 0.0
    for (low, high), share in BILL_BANDS:
        acc += share
        if r < acc:
            return Decimal(rng.randint(low, high))
    return Decimal(rng.randint(*BILL_BANDS[-1][0]))


# --- fees as receivables (contracts, SPEC §7; seed 002:225 保证回款率, 002:241 控制坏帐率低于2%) ---------------------
AGREEMENT_TERMS = {
    "subject": "移动通信及 VIP 客户服务（语音、数据、增值业务）",
    "quantity": "手机号码 1 个，VIP 俱乐部会员 1 名",
    "price": "按所选套餐资费月结，月初出账",
    "term": "一年，期满未提出异议的自动续约",
    "place_method": "营业厅、银行代扣或网上缴费，账单日后次月 20 日前缴清",
    "liability": "逾期未缴话费的，甲方可催缴并暂停服务（欠费停机），乙方承担欠费及违约金",
    "disputes": "双方协商解决，协商不成的提交甲方所在地人民法院诉讼解决",
}
MONTHS_BILLED = 6  # the monthly bills of the last six months, each due on the 20th of the month after the bill


def _service_agreements(ctx, rm, subscribers, *, approver, compliance, today, stopped=None, owing=None):
    """Each subscriber signed the VIP service agreement (入网服务协议, the pack's template) seven months ago; the
    last six monthly bills are its installments, most paid on time. `stopped` stopped paying (欠费停机): of its two
    unpaid bills the older is written off by the team lead after chasing, the latest is chased (帐款跟催); `owing`
    owes last month's bill, chased. Through the contracts services and the approval chain, as people would.
    Answers (agreements, installments)."""
    rng = ctx.rng
    start = month_start(today, MONTHS_BILLED + 1)
    made = items = 0
    for customer in subscribers:
        base = max(Decimal(customer.metrics.get("monthly_spend_prev") or 0), Decimal("300"))
        contract = contracts.create_contract(
            rm,
            customer_id=customer.pk,
            kind=ContractKind.SERVICE,
            title=f"{customer.name} VIP 用户入网服务协议",
            amount=(base * 12 * Decimal("1.2")).quantize(Decimal("1")),
            start_on=start,
            end_on=date(start.year + 1, start.month, 1) - timedelta(days=1),
            **AGREEMENT_TERMS,
        )
        contract = approve_and_sign(  # 法律审查, then 审批 by the account manager's supervisor
            rm,
            contract,
            (compliance, approver),
            signed_on=start,
            signatories=f"甲方：{rm.full_name}；乙方：{customer.name}",
            scan_name=f"入网服务协议-{customer.customer_no}.pdf",
        )
        for k in range(MONTHS_BILLED, 0, -1):  # oldest bill first
            due = month_start(today, k).replace(day=20)
            bill = (base * Decimal(str(rng.uniform(0.9, 1.1)))).quantize(Decimal("0.01"))
            item = contracts.add_installment(rm, contract.pk, due_on=due, amount=bill)
            items += 1
            cut_off = customer == stopped and k <= 2  # 欠费停机: the last two bills unpaid
            late = customer == owing and k == 1  # last month's bill not paid yet
            if not (cut_off or late):
                contracts.record_payment(
                    rm, item.pk, amount=bill, paid_on=min(due - timedelta(days=rng.randint(0, 12)), today)
                )
            elif cut_off and k == 2:
                contracts.add_follow_up(rm, item.pk, note="电话及短信催缴三次未果，用户已欠费停机。")
                item.refresh_from_db()
                contracts.write_off(
                    approver, item.pk, reason="欠费停机满 30 天，多次催缴无果，按规定核销坏帐", version=item.version
                )
            else:
                contracts.add_follow_up(
                    rm,
                    item.pk,
                    note="电话跟催：用户称出差未及时缴费，承诺本周内到营业厅缴清。"
                    if late
                    else "上门催缴：用户拟办理复机后补缴欠费。",
                    next_on=today + timedelta(days=3),
                )
        made += 1
    return made, items


def build(ctx):
    built = build_organisation(ctx, pack="telecom", tree=TREE, logins=LOGINS, employee_prefix="TEL")
    if built is None:
        return
    units, staff = built
    rng = ctx.rng
    leads = {"TEL200101": staff["tel_lead"], "TEL200102": staff["tel_lead2"], "TEL100101": staff["tel_lead_gov"]}
    report_to(staff["tel_manager"], leads.values())
    rms = [staff["tel_rm"], staff["tel_rm2"], staff["tel_rm_gov"]]
    seq = len(LOGINS)
    for team_code, count in EXTRA_RMS.items():
        for _ in range(count):
            seq += 1
            team = units[team_code]
            rms.append(
                make_staff(
                    f"tel_e{seq:04d}",
                    person_name(rng),
                    employee_no=f"TEL{seq:04d}",
                    unit=team.get_parent(),
                    team=team,
                    level=RMLevel.JUNIOR,
                )
            )
    for rm in rms:
        rm.supervisor = leads[rm.team.code]
        rm.save(update_fields=["supervisor"])
    ctx.log(
        f"telecom: {TITLE}, {len(rms)} account managers; logins (password {DEMO_PASSWORD}): "
        + ", ".join(username for username, *_ in LOGINS)
    )

    # --- subscribers with this month's and last month's bills -----------------------------------------------
    now = timezone.now()
    today = timezone.localdate()
    per_rm = max(3, int(SUBSCRIBERS_PER_RM * max(ctx.scale, 0.01)))
    made = 0
    book = {}
    for i, rm in enumerate(rms):
        for j in range(per_rm):
            made += 1
            bill = _bill(rng)
            previous = (bill * Decimal(str(rng.uniform(0.9, 1.1)))).quantize(Decimal("1"))
            if j == 1 and i < 2:  # 话费异动: this month's bill fell by more than 30 %
                previous, bill = bill, (bill * Decimal("0.45")).quantize(Decimal("1"))
            elif j == 2 and i == 0:  # 零话费: the phone unused since last month (a first zero bill is also a drop)
                previous, bill = Decimal("0"), Decimal("0")
            born = date(rng.randint(1960, 1998), rng.randint(1, 12), rng.randint(1, 28))
            customer, _conflict = customers.create_customer(
                rm,
                {
                    "kind": CustomerKind.INDIVIDUAL,
                    "name": person_name(rng),
                    "gender": rng.choice("MF"),
                    "birth_date": born.isoformat(),
                    "mobile": f"166{made:08d}",
                    "address": f"某市{rng.choice(DISTRICTS)}区{rng.choice(STREETS)}{rng.randint(1, 300)}号",
                    "occupation": rng.choice(["企业主", "公务员", "医生", "教师", "律师", "工程师"]),
                    "employer": "某市政企客户" if rm.team.code == "TEL100101" else "",
                    "stage": Stage.ACTIVE,
                    "source": "import",
                    "metrics": {"monthly_spend": str(bill), "monthly_spend_prev": str(previous)},
                },
                customer_no=f"TEL{made:07d}",
            )
            if customer is not None:
                book.setdefault(rm.pk, []).append(customer)
    ctx.log(f"telecom: {made} VIP subscribers with this month's and last month's bills")

    # --- contacts over the last months: most on time, some diamond/gold subscribers overdue -------------------
    tz = timezone.get_current_timezone()
    calls = 0
    for rm in rms:
        mine = book.get(rm.pk, [])
        for k, customer in enumerate(mine):
            gaps = [rng.randint(3, 25)] if k % 5 else [rng.randint(35, 70)]  # every fifth: a month and more ago
            gaps.append(gaps[0] + rng.randint(25, 40))
            for gap in sorted(gaps, reverse=True):  # oldest first
                day = today - timedelta(days=gap)
                at = datetime.combine(day, time(rng.randint(9, 17), rng.choice((0, 15, 30, 45))), tz)
                work.record_interaction(
                    rm,
                    customer.pk,
                    kind=rng.choice((InteractionKind.PHONE, InteractionKind.PHONE, InteractionKind.WECHAT)),
                    occurred_at=min(at, now - timedelta(minutes=5)),
                    purpose=rng.choice(PURPOSES),
                    content="客户对网络质量与资费总体满意，提醒本月 VIP 俱乐部活动。",
                    minutes_spent=rng.randint(3, 15),
                )
                calls += 1
        for n, customer in enumerate(mine[:3]):
            day = today + timedelta(days=n + 1)
            start = datetime.combine(day, time(10 + 2 * n, 0), tz)
            work.create_appointment(
                rm, customer.pk, subject=rng.choice(["VIP 专属套餐面谈", "终端升级体验", "账单解读"]), start_at=start
            )
        work.open_journal(rm, "vip_monthly_plan", today)
    ctx.log(f"telecom: {calls} contacts by phone and WeChat, appointments and the monthly service plans")

    # --- a billing dispute under the VIP SLA ----------------------------------------------------------------
    billing = CaseCategory.objects.filter(code="billing", is_active=True).first()
    first = book.get(staff["tel_rm"].pk, [])
    if billing is not None and first:
        service.register_case(
            staff["tel_rm"],
            customer_id=first[-1].pk,
            kind=CaseKind.COMPLAINT,
            channel=Channel.PHONE,
            category_id=billing.pk,
            severity=Severity.NORMAL,
            title="对上月国际漫游费用有异议",
            description="客户称出境期间已开通漫游套餐，账单仍按标准资费计费，要求核查并退还差额。",
        )

    # --- service agreements and their monthly bills as receivables (回款率, 坏帐率) --------------------------------
    agreements = items = 0
    for rm in (staff["tel_rm"], staff["tel_rm2"]):
        mine = book.get(rm.pk, [])
        # tel_rm's third subscriber is the zero bill (欠费停机), tel_rm2's second the bill drop (owes last month)
        zero = mine[2] if rm.username == "tel_rm" and len(mine) > 2 else None
        late = mine[1] if rm.username == "tel_rm2" and len(mine) > 1 else None
        made, n = _service_agreements(
            ctx,
            rm,
            mine[:4],
            approver=rm.supervisor,
            compliance=staff["tel_compliance"],
            today=today,
            stopped=zero,
            owing=late,
        )
        agreements, items = agreements + made, items + n
    ctx.log(f"telecom: {agreements} VIP service agreements signed, {items} monthly bills as receivables")

    # The bill drops and the zero bill wait for the retention-trigger scan (service.churn.scan_triggers, run by
    # `run_sla --churn`). The demo does not run that scan: its churn half applies the bank's AUM floor to every
    # tiered customer, and a subscriber has no AUM, so it would record every subscriber as lost (reported to the
    # service app's owner, /tmp/briefs/packdemo-packneeds.md).
    drops = sum(
        1
        for c in Customer.objects.filter(org_path__startswith=units[ROOT].path, metrics__has_key="monthly_spend_prev")
        if Decimal(c.metrics["monthly_spend"]) < Decimal(c.metrics["monthly_spend_prev"]) * Decimal("0.7")
    )
    ctx.log(f"telecom: {drops} subscribers whose bill fell by 30 % or more (话费异动 / 零话费) this month")
    _record_chosen_intervals(ctx, staff["tel_rm"], book.get(staff["tel_rm"].pk, []))


def _record_chosen_intervals(ctx, rm, subscribers):
    """A few subscribers' answers to 您希望我们多长时间回访您一次比较合适 (seed 004 电话回访; issue 19), recorded
    by their account manager through work's service: under the pack's "shorter" setting a wish for more frequent
    calls moves the next callback forward, a longer wish or a refusal is kept but the VIP norm still binds."""
    answers = [
        {"interval_months": 1, "note": "客户希望每月电话回访一次"},
        {"interval_days": 45, "note": "客户希望一个半月联系一次"},
        {"interval_months": 2, "note": "客户希望每两个月回访一次"},
        {"declined": True, "note": "客户表示暂不需要回访，有需求会主动联系"},
    ]
    done = 0
    for customer, answer in zip(subscribers[-len(answers) :], answers, strict=False):
        work.set_chosen_interval(rm, customer.pk, version=0, **answer)
        done += 1
    ctx.log(f"telecom: {done} subscribers' chosen callback intervals recorded (客户希望的回访周期)")
