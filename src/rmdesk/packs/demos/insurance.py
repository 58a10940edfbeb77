"""The insurance bank-channel demo (`seed_demo --pack insurance`; issue 19, seed 001's bank-insurance roles; SPEC §2,
§3, §10).

示范人寿保险某分公司 → 银行保险部 → 两个渠道组 of 渠道客户经理. Each channel account manager keeps the partner banks'
outlets (支行/网点, archives of kind 零售户 shown as 渠道网点) classed 核心/重点/一般/培育 by the annual premium sold
through them (`annual_premium`); calls and outlet receptions over the last weeks, the monthly business review of the
outlets opened and drafted, and the product-knowledge course held for the channel team with its attendance.

Everything is made through the apps' services (audited). Idempotent: nothing is made when the root unit exists.
"""

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from rmdesk.customers import services as customers
from rmdesk.customers.models import CustomerKind, Stage
from rmdesk.demo_names import person_name
from rmdesk.org.models import RMLevel, RoleCode, UnitKind
from rmdesk.people import services as people
from rmdesk.people.models import Course
from rmdesk.work import services as work
from rmdesk.work.models import InteractionKind

from . import DEMO_PASSWORD, build_organisation, report_to

TITLE = "示范人寿保险某分公司"
LOGIN = "ins_rm"  # the account manager shown on the screenshot (scripts/pack_screenshots.py)
ROOT = "INS"
TREE = (
    ROOT,
    TITLE,
    UnitKind.HEAD_OFFICE,
    [
        (
            "INS10",
            "银行保险部",
            UnitKind.DEPARTMENT,
            [("INS1001", "银保渠道一组", UnitKind.TEAM, []), ("INS1002", "银保渠道二组", UnitKind.TEAM, [])],
        ),
    ],
)
LOGINS = [
    ("ins_rm", "林晓燕", "INS10", "INS1001", (RoleCode.RM,), RMLevel.SENIOR),
    ("ins_rm2", "何志明", "INS10", "INS1002", (RoleCode.RM,), RMLevel.INTERMEDIATE),
    ("ins_lead", "罗建平", "INS10", "INS1001", (RoleCode.TEAM_LEAD,), ""),
    ("ins_lead2", "谢婷婷", "INS10", "INS1002", (RoleCode.TEAM_LEAD,), ""),
    ("ins_manager", "高志远", "INS10", None, (RoleCode.BRANCH_MANAGER,), ""),
    ("ins_admin", "银保系统管理员", ROOT, None, (RoleCode.ADMIN,), ""),
]
LEADS = {"INS1001": "ins_lead", "INS1002": "ins_lead2"}
BANKS = ["工商银行", "农业银行", "建设银行", "邮储银行", "农商银行"]
PLACES = ["城东", "城西", "开发区", "新区", "老城", "高铁站", "大学城", "滨江"]
# annual premium (元) by class, cycling so every manager has outlets of each: 核心 ≥ 3m, 重点 ≥ 1m, 一般 ≥ 200k
PREMIUM_BANDS = [(3_000, 6_000), (1_000, 2_900), (200, 990), (20, 190)]
OUTLETS_PER_RM = 12
PURPOSES = [
    "网点驻点：新产品上市推动",
    "与网点负责人沟通本月保费进度",
    "单证交接与保费划转核对",
    "网点早会：产品话术辅导",
]


def build(ctx):
    built = build_organisation(ctx, pack="insurance", tree=TREE, logins=LOGINS, employee_prefix="INS")
    if built is None:
        return
    units, staff = built
    rng = ctx.rng
    report_to(staff["ins_manager"], [staff[lead] for lead in LEADS.values()])
    rms = [staff["ins_rm"], staff["ins_rm2"]]
    for rm in rms:
        rm.supervisor = staff[LEADS[rm.team.code]]
        rm.save(update_fields=["supervisor"])
    ctx.log(
        f"insurance: {TITLE}, {len(rms)} channel account managers; logins (password {DEMO_PASSWORD}): "
        + ", ".join(username for username, *_ in LOGINS)
    )

    # --- the partner banks' outlets ---------------------------------------------------------------------------
    per_rm = max(4, int(OUTLETS_PER_RM * max(ctx.scale, 0.01)))
    made = 0
    book = {}
    for rm in rms:
        for j in range(per_rm):
            made += 1
            low, high = PREMIUM_BANDS[j % len(PREMIUM_BANDS)]
            premium = Decimal(rng.randint(low, high) * 1000)
            bank = BANKS[(made - 1) % len(BANKS)]
            place = PLACES[(made - 1) % len(PLACES)]
            customer, _conflict = customers.create_customer(
                rm,
                {
                    "kind": CustomerKind.OUTLET,
                    "name": f"{bank}示范市{place}支行{'' if made <= 40 else made}",
                    "mobile": f"188{made:08d}",
                    "address": f"示范市{place}{rng.choice(['人民路', '中山路', '建设路'])}{rng.randint(1, 300)}号",
                    "industry": "银行保险代理",
                    "legal_rep": person_name(rng),
                    "stage": Stage.ACTIVE,
                    "source": "import",
                    "metrics": {"annual_premium": str(premium)},
                },
                customer_no=f"INS{made:07d}",
            )
            if customer is not None:
                book.setdefault(rm.pk, []).append(customer)
    ctx.log(f"insurance: {made} bank outlets classed by annual premium")

    # --- calls and receptions, the monthly review, the product training -------------------------------------
    now, today = timezone.now(), timezone.localdate()
    tz = timezone.get_current_timezone()
    contacts = 0
    for rm in rms:
        for k, customer in enumerate(book.get(rm.pk, [])):
            for gap in sorted((rng.randint(2, 12), rng.randint(15, 40)), reverse=True):
                at = datetime.combine(today - timedelta(days=gap), time(rng.randint(9, 16), rng.choice((0, 30))), tz)
                work.record_interaction(
                    rm,
                    customer.pk,
                    kind=InteractionKind.PHONE if k % 3 else InteractionKind.WECHAT,
                    occurred_at=min(at, now - timedelta(minutes=5)),
                    purpose=rng.choice(PURPOSES),
                    content="网点本月保费进度正常，约定下周到网点开展产品知识培训。",
                    minutes_spent=rng.randint(10, 40),
                )
                contacts += 1
        review = work.open_journal(rm, "outlet_monthly_review", today)
        mine = book.get(rm.pk, [])
        work.save_journal(
            rm,
            review.pk,
            content={
                "premium": f"所辖 {len(mine)} 个网点本月新单保费进度约 80%，核心网点贡献过半。",
                "activity": "开展网点早会辅导 6 场、产品知识培训 2 场。",
                "issues": "个别网点单证交接不及时，已约定每周交接一次。",
                "market": "同业推出短期储蓄型产品，网点需求集中在年金险。",
                "next": "下月重点推动年金险新品，培育网点开发两家。",
            },
            version=review.version,
        )
        work.open_journal(rm, "outlet_weekly_plan", today)
    ctx.log(f"insurance: {contacts} calls and messages, monthly reviews opened")

    course = Course.objects.filter(code="BA-PRODUCT").first()
    if course is not None:
        session = people.create_session(
            staff["ins_manager"],
            course_id=course.pk,
            unit_id=units["INS10"].pk,
            held_on=today - timedelta(days=7),
            place="银行保险部培训室",
            trainer="银保培训策划岗",
        )
        for person in [*rms, staff["ins_lead"], staff["ins_lead2"]]:
            people.record_attendance(staff["ins_manager"], session.pk, person_id=person.pk, attended=True)
        ctx.log("insurance: the product-knowledge course held for the channel teams")
