"""The tobacco retail demo (`seed_demo --pack tobacco`; issue 19, seeds 001 4.1/4.4, 002, 004; SPEC §2, §3).

烟草专卖局（公司） → 营销部 → 片区 (the account managers' teams) → 客户经理. Each account manager serves 零售户 in
the pack's 核心 / 潜力 / 一般 / 问题 classes by annual sales (`sales`; the outlet's 档位 in `grade`), reached by the
weekly route: contacts over the last weeks (电话访销, the weekly order call, and 特殊访问 when something happened),
this week's 客户访问日程表 generated from the cadence and confirmed, next week's drawn up as a draft, and the
monthly plans and the 客户月度销售情况分析报告 of last month open with their due dates. The account manager `tob_rm`
also has a 零售户入网 case under way (the pack's 入网 checklist, three items done) and a 卷烟质量 case whose quality
feedback form waits for the 片区 lead's review (seed 001 §4.3, §4.6).

Made through the apps' services (audited), as the people would. Routine in-store visits are door-to-door visits
for the work app; under the bank's rule (seed 001) each needs a branch manager's advance approval, which cannot be
dated in the past, so the demo's history is order calls and special visits, and tests/packs/test_demo_tobacco.py
walks a week of in-store visits (with the approval, which holds whether or not the pack's visit workflow waives it).
Idempotent: nothing is made when the root unit exists.
"""

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from rmdesk.customers import services as customers
from rmdesk.customers.models import CustomerKind, Stage
from rmdesk.demo_names import outlet_name, person_name
from rmdesk.org.models import RMLevel, RoleCode, UnitKind
from rmdesk.service import services as service
from rmdesk.service.models import Case, CaseCategory
from rmdesk.work import services as work
from rmdesk.work.models import InteractionKind

from . import DEMO_PASSWORD, build_organisation, make_staff, report_to

TITLE = "示范市烟草专卖局（公司）"
LOGIN = "tob_rm"  # the account manager whose home page the screenshot shows
ROOT = "TOB"
TREE = (
    ROOT,
    TITLE,
    UnitKind.HEAD_OFFICE,
    [
        (
            "TOB10",
            "营销部",
            UnitKind.DEPARTMENT,
            [
                ("TOB1001", "城东片区", UnitKind.TEAM, []),
                ("TOB1002", "城西片区", UnitKind.TEAM, []),
                ("TOB1003", "城郊片区", UnitKind.TEAM, []),
            ],
        ),
    ],
)

# the documented logins (README): (username, name, unit, team, roles, level)
LOGINS = [
    ("tob_rm", "陈志明", "TOB10", "TOB1001", (RoleCode.RM,), RMLevel.SENIOR),
    ("tob_rm2", "李秀英", "TOB10", "TOB1002", (RoleCode.RM,), RMLevel.INTERMEDIATE),
    ("tob_rm3", "张国栋", "TOB10", "TOB1003", (RoleCode.RM,), RMLevel.JUNIOR),
    ("tob_lead", "王海波", "TOB10", "TOB1001", (RoleCode.TEAM_LEAD,), ""),
    ("tob_lead2", "周丽娟", "TOB10", "TOB1002", (RoleCode.TEAM_LEAD,), ""),
    ("tob_lead3", "吴建军", "TOB10", "TOB1003", (RoleCode.TEAM_LEAD,), ""),
    ("tob_manager", "郑卫国", "TOB10", None, (RoleCode.BRANCH_MANAGER,), ""),
    ("tob_compliance", "何春燕", ROOT, None, (RoleCode.COMPLIANCE,), ""),
    ("tob_admin", "烟草系统管理员", ROOT, None, (RoleCode.ADMIN,), ""),
]
EXTRA_RMS = {"TOB1001": 1, "TOB1002": 1, "TOB1003": 0}
LEADS = {"TOB1001": "tob_lead", "TOB1002": "tob_lead2", "TOB1003": "tob_lead3"}

# annual sales (元) by class, cycling so every account manager has outlets of each: 核心 ≥ 300k, 潜力 ≥ 150k,
# 一般 ≥ 50k, 问题 below; the outlet's 档位 (1–30) follows its sales
SALES_BANDS = [(300_000, 650_000), (150_000, 299_000), (50_000, 149_000), (8_000, 49_000)]
OUTLETS_PER_RM = 24
STREETS = {"TOB1001": ["东大街", "建设东路", "朝阳路"], "TOB1002": ["西大街", "文化西路", "人民西路"]}
SUBURB_STREETS = ["城郊镇南街", "工业园区一路", "新村路"]
CALL_PURPOSES = ["电话访销：本周订货提醒", "电话访销：新品规格推荐", "电话访销：货源投放政策告知"]
SPECIAL_PURPOSES = [
    "零售户反映卷烟破损，特殊访问核实",
    "零售户门店搬迁，特殊访问更新信息",
    "零售户经营异常，特殊访问了解原因",
]


def build(ctx):
    built = build_organisation(ctx, pack="tobacco", tree=TREE, logins=LOGINS, employee_prefix="TOB")
    if built is None:
        return
    units, staff = built
    rng = ctx.rng
    report_to(staff["tob_manager"], [staff[lead] for lead in LEADS.values()])
    rms = [staff["tob_rm"], staff["tob_rm2"], staff["tob_rm3"]]
    seq = len(LOGINS)
    for team_code, count in EXTRA_RMS.items():
        for _ in range(count):
            seq += 1
            rms.append(
                make_staff(
                    f"tob_e{seq:04d}",
                    person_name(rng),
                    employee_no=f"TOB{seq:04d}",
                    unit=units["TOB10"],
                    team=units[team_code],
                    level=RMLevel.JUNIOR,
                )
            )
    for rm in rms:
        rm.supervisor = staff[LEADS[rm.team.code]]
        rm.save(update_fields=["supervisor"])
    ctx.log(
        f"tobacco: {TITLE}, {len(rms)} account managers in {len(LEADS)} 片区; logins (password {DEMO_PASSWORD}): "
        + ", ".join(username for username, *_ in LOGINS)
    )

    # --- retail outlets (零售户) in the four classes ------------------------------------------------------------
    per_rm = max(4, int(OUTLETS_PER_RM * max(ctx.scale, 0.01)))
    made = 0
    book = {}
    for rm in rms:
        streets = STREETS.get(rm.team.code, SUBURB_STREETS)
        for j in range(per_rm):
            made += 1
            low, high = SALES_BANDS[j % len(SALES_BANDS)]
            sales = Decimal(rng.randint(low // 1000, high // 1000) * 1000)
            grade = min(30, max(1, int(sales // 20_000)))
            customer, _conflict = customers.create_customer(
                rm,
                {
                    "kind": CustomerKind.OUTLET,
                    "name": outlet_name(rng),
                    "mobile": f"177{made:08d}",
                    "address": f"示范市{rm.team.name.removesuffix('片区')}{rng.choice(streets)}{rng.randint(1, 200)}号",
                    "industry": "卷烟零售",
                    "legal_rep": person_name(rng),
                    "stage": Stage.ACTIVE,
                    "source": "import",
                    "metrics": {"sales": str(sales), "grade": str(grade)},
                },
                customer_no=f"TOB{made:07d}",
            )
            if customer is not None:
                book.setdefault(rm.pk, []).append(customer)
    ctx.log(f"tobacco: {made} 零售户 in the classes 核心/潜力/一般/问题 by annual sales")

    # --- the last weeks: the weekly order call, and a special visit now and then -------------------------------
    tz = timezone.get_current_timezone()
    now = timezone.now()
    today = timezone.localdate()
    contacts = 0
    for rm in rms:
        for k, outlet in enumerate(book.get(rm.pk, [])):
            weeks = (3, 2, 1) if k % 4 != 3 else (4, 3)  # a few outlets not reached for weeks: overdue
            for w in weeks:
                day = today - timedelta(days=7 * w + rng.randint(0, 3))
                at = datetime.combine(day, time(rng.randint(9, 16), rng.choice((0, 30))), tz)
                work.record_interaction(
                    rm,
                    outlet.pk,
                    kind=InteractionKind.PHONE,
                    occurred_at=min(at, now - timedelta(minutes=5)),
                    purpose=rng.choice(CALL_PURPOSES),
                    content="核对本周订货量与品规需求。",
                    minutes_spent=rng.randint(3, 10),
                )
                contacts += 1
            if k % 9 == 4:
                at = datetime.combine(today - timedelta(days=rng.randint(2, 6)), time(15, 0), tz)
                work.record_interaction(
                    rm,
                    outlet.pk,
                    kind=InteractionKind.SPECIAL,
                    door_to_door=False,
                    occurred_at=min(at, now - timedelta(minutes=5)),
                    purpose=rng.choice(SPECIAL_PURPOSES),
                    content="已记录零售户反映的情况，纳入月度销售情况分析报告。",
                    needs_found="",
                    minutes_spent=20,
                )
                contacts += 1
    ctx.log(f"tobacco: {contacts} order calls and special visits over the last weeks")

    # --- the weekly visit schedule: this week's confirmed, next week's drawn up -------------------------------
    monday = today - timedelta(days=today.weekday())
    schedules = 0
    for rm in rms:
        if not book.get(rm.pk):
            continue
        this_week = work.generate_schedule(rm, monday)
        if this_week.items.exists():
            work.confirm_schedule(rm, this_week.pk, version=this_week.version)
        work.generate_schedule(rm, monday + timedelta(days=7))
        schedules += 2
        last_month = today.replace(day=1) - timedelta(days=1)
        work.open_journal(rm, "monthly_sales_analysis", last_month)
        work.open_journal(rm, "monthly_plan", today)
        work.open_journal(rm, "weekly_visit_schedule", monday + timedelta(days=7))
    ctx.log(f"tobacco: {schedules} weekly visit schedules, the monthly sales analysis reports and plans open")

    # --- service: a joining retailer's checklist under way, a quality complaint awaiting the lead's review -----
    rm, outlets = staff["tob_rm"], book.get(staff["tob_rm"].pk, [])
    if len(outlets) >= 2:
        joining = service.register_case(
            rm,
            customer_id=outlets[0].pk,
            kind="request",
            channel="visit",
            category_id=CaseCategory.objects.get(code="network_in").pk,
            severity="normal",
            title="零售户入网办理",
            description="零售户取得烟草专卖零售许可证，申请入网订货，按入网工作标准办理。",
        )
        service.accept_case(rm, joining.pk, version=joining.version)
        for order in (1, 2, 3):
            version = Case.objects.values_list("version", flat=True).get(pk=joining.pk)
            service.check_item(rm, joining.pk, order=order, done=True, version=version)
        quality = service.register_case(
            rm,
            customer_id=outlets[1].pk,
            kind="complaint",
            channel="visit",
            category_id=CaseCategory.objects.get(code="quality").pk,
            severity="normal",
            title="卷烟受潮霉变",
            description="零售户反映本周到货的两条卷烟受潮霉变，要求调换。",
        )
        service.save_feedback(
            rm, quality.pk, product="卷烟（硬盒）", quantity="2 条", problem="外包装受潮，烟支霉变", version=0
        )
        ctx.log("tobacco: a 零售户入网 case (3 of 7 checklist items done) and a 卷烟质量 case with its feedback form")
