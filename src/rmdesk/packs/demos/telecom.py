"""The telecom VIP demo (`seed_demo --pack telecom`; issue 19, seed 004 VIP客户服务工作规范; SPEC §2, §3, §5).

某市分公司 → 政企客户部 / 个人客户部 → VIP 客户中心 → service teams of 客户经理. Each account manager serves
VIP subscribers (用户) in the pack's 钻石卡 / 金卡 / 银卡 tiers by monthly bill (`monthly_spend`, with last month's in
`monthly_spend_prev`, as the monthly billing extract brings them); a few bills dropped or went to zero this month, so
the retention-trigger scan puts them on the watch list with the trigger's call script and a call due in working
days (tests/packs/test_demo_telecom.py runs it). Contacts by phone over the last months (some diamond/gold
subscribers overdue for their monthly contact), appointments, a billing dispute under the VIP SLA, the monthly
service plan open.

Everything is made through the apps' services as the people would (audited), so the demo is what the screens
show after a few months of use. Idempotent: nothing is made when the root unit exists.
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from rmdesk.customers import services as customers
from rmdesk.customers.models import Customer, CustomerKind, Stage
from rmdesk.demo_names import person_name
from rmdesk.org.models import RMLevel, RoleCode, UnitKind
from rmdesk.service import services as service
from rmdesk.service.models import CaseCategory, CaseKind, Channel, Severity
from rmdesk.work import services as work
from rmdesk.work.models import InteractionKind

from . import DEMO_PASSWORD, build_organisation, make_staff, report_to

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
