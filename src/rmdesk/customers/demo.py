"""Demo customers (SPEC §2): ≈5,200 archives of all kinds and tiers over the demo RMs, with holdings,
Chinese names, contacts, key dates, tier history, an unassigned pool and a few open conflicts.

Idempotent: skipped when the demo customers (numbers starting "DM") exist. bulk_create throughout.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from rmdesk.demo_names import COMPANY_CORE, company_name, outlet_name, person_name
from rmdesk.org.models import RoleCode, User

from .models import (
    Conflict,
    Contact,
    ContactRole,
    Customer,
    CustomerKind,
    Document,
    FinancialYear,
    Holding,
    KeyDate,
    KeyDateKind,
    Need,
    Note,
    OwnershipChange,
    Product,
    Tag,
    TierChange,
    TierRuleSet,
)
from .services import completeness_of, metric_value, tier_for_value
from .validators import make_credit_code, make_resident_id

NAMED = {"rm_senior": 260, "rm_mid": 180, "rm_junior": 110}
TOTAL = 5200
STREETS = ["中山路", "湖南路", "汉中路", "北京东路", "龙蟠路", "珠江路", "太平南路", "江东中路", "应天大街", "广州路"]
DISTRICTS = ["鼓楼", "玄武", "秦淮", "建邺", "江宁", "栖霞", "雨花台"]
OCCUPATIONS = ["教师", "医生", "公务员", "企业主", "工程师", "会计", "律师", "个体经营", "退休", "自由职业"]
TAGS = ["代发工资", "高净值", "养老金", "房贷客户", "理财偏好", "基金定投", "企业主", "跨境需求", "新市民", "银发客户"]
NEEDS = [
    "子女教育金规划",
    "养老规划",
    "稳健理财",
    "房贷提前还款咨询",
    "企业结算优化",
    "流动资金贷款",
    "保险保障配置",
    "外汇及跨境汇款",
]
STAGE_W = [("potential", 5), ("intent", 5), ("new", 8), ("active", 60), ("dormant", 13), ("at_risk", 6), ("lost", 3)]
SOURCE_W = [("self", 30), ("referral", 15), ("campaign", 10), ("walk_in", 25), ("import", 20)]
# products with a maturity (SPEC §3 product-maturity reminders): term in days, and whether the product
# renews (the demo shows the current term's maturity, so every few days some fall within the next 30 days)
TERMS = {
    "DEP-FIX1Y": (365, True),
    "DEP-LD3Y": (3 * 365, True),
    "WM-STABLE": (90, True),
    "LN-BIZ": (365, True),
    "LN-MORTGAGE": (20 * 365, False),
}


#: annual sales (thousands of CNY) of demo outlets, one band per tobacco class of the seeded set
OUTLET_SALES_BANDS = ((300, 600), (150, 299), (50, 149), (5, 49))


def _matures_on(code, opened, today):
    """The holding's maturity date: opened + term, rolled over renewals to the first one not before today."""
    if code not in TERMS:
        return None
    term, renews = TERMS[code]
    end = opened + timedelta(days=term)
    if renews and end < today:
        end += timedelta(days=term * -(-(today - end).days // term))
    return end


def _weighted(rng, pairs):
    total = sum(w for _v, w in pairs)
    x = rng.uniform(0, total)
    for v, w in pairs:
        x -= w
        if x <= 0:
            return v
    return pairs[-1][0]


def _aum(rng, kind):
    # a spread that fills every bank tier: most below 500k, a few hundred above 1m, dozens above 5m
    r = rng.random()
    if kind == CustomerKind.INDIVIDUAL:
        if r < 0.015:
            return rng.uniform(5_000_000, 30_000_000)
        if r < 0.05:
            return rng.uniform(2_000_000, 5_000_000)
        if r < 0.13:
            return rng.uniform(1_000_000, 2_000_000)
        if r < 0.30:
            return rng.uniform(500_000, 1_000_000)
        return rng.lognormvariate(11.0, 1.1) % 500_000
    # corporates: deposits spread over every corporate tier (1m, 5m, 20m); outlets stay small
    return rng.lognormvariate(14.8, 1.5) if kind == CustomerKind.CORPORATE else rng.lognormvariate(13.5, 1.4)


def build(ctx):
    if Customer.objects.filter(customer_no__startswith="DM").exists():
        ctx.log("customers: demo customers already present, skipped")
        return
    rng = ctx.rng
    today = timezone.localdate()
    now = timezone.now()
    # each kind is tiered by its own set in use: personal by AUM, corporate by deposits, outlets by sales
    sets = {}
    for rs in TierRuleSet.objects.filter(is_active=True).prefetch_related("tiers").order_by("id"):
        sets.setdefault(rs.kind, (rs, sorted(rs.tiers.all(), key=lambda t: t.rank)))
    products = {p.code: p for p in Product.objects.all()}
    rms = list(
        User.objects.filter(roles__code=RoleCode.RM, team__isnull=False, status="active")
        .select_related("team")
        .order_by("id")
        .distinct()
    )
    if not rms:
        ctx.log("customers: no RMs (run the org demo first), skipped")
        return
    scale = max(ctx.scale, 0.01)
    counts = {}
    named_total = 0
    for rm in rms:
        if rm.username in NAMED:
            counts[rm.pk] = max(1, int(NAMED[rm.username] * scale))
            named_total += counts[rm.pk]
    others = [rm for rm in rms if rm.pk not in counts]
    pool_n = max(5, int(60 * scale))
    rest = max(0, int(TOTAL * scale) - named_total - pool_n)
    for i, rm in enumerate(others):
        counts[rm.pk] = rest // len(others) + (1 if i < rest % len(others) else 0)
    by_team = {}
    for rm in rms:
        by_team.setdefault(rm.team_id, []).append(rm)
    pool_units = [rm.team for rm in rms if rm.username == "rm_senior"] or [rms[0].team]
    pool_units += list({rm.team_id: rm.team for rm in others}.values())[:3]

    seq = [0]
    outlet_seq = [0]
    used_ids = set()

    def next_no():
        seq[0] += 1
        return f"DM{seq[0]:08d}"

    def new_customer(a_rm, unit):
        r = rng.random()
        kind = CustomerKind.INDIVIDUAL if r < 0.85 else (CustomerKind.CORPORATE if r < 0.97 else CustomerKind.OUTLET)
        n = seq[0] + 1
        mobile = f"1{rng.choice('3589')}{rng.randint(0, 9)}{n:08d}"
        c = Customer(
            customer_no=next_no(),
            kind=kind,
            a_rm=a_rm,
            org_unit=unit,
            org_path=unit.path,
            mobile=mobile,
            address=f"南京市{rng.choice(DISTRICTS)}区{rng.choice(STREETS)}{rng.randint(1, 300)}号",
            stage=_weighted(rng, STAGE_W),
            source=_weighted(rng, SOURCE_W),
            created_at=now - timedelta(days=rng.randint(30, 5 * 365)),
        )
        if kind == CustomerKind.INDIVIDUAL:
            c.name = person_name(rng)
            born = date(rng.randint(1950, 2003), rng.randint(1, 12), rng.randint(1, 28))
            while True:
                number = make_resident_id(
                    rng.choice(["320102", "320104", "320106", "320115", "320113"]), born, f"{rng.randint(0, 999):03d}"
                )
                if number not in used_ids:
                    used_ids.add(number)
                    break
            c.id_number, c.birth_date = number, born
            c.gender = "M" if int(number[16]) % 2 else "F"
            c.occupation = rng.choice(OCCUPATIONS) if rng.random() < 0.8 else ""
            c.risk_tolerance = rng.choice(["C1", "C2", "C3", "C4", "C5"]) if rng.random() < 0.85 else ""
            c.annual_income = Decimal(rng.randint(60, 3000) * 1000)
        else:
            c.name = company_name(rng) if kind == CustomerKind.CORPORATE else outlet_name(rng)
            c.credit_code = make_credit_code(f"1320100MA{n:07d}")
            c.industry = rng.choice(COMPANY_CORE) if kind == CustomerKind.CORPORATE else "零售"
            c.legal_rep = person_name(rng)
            c.registered_capital = Decimal(rng.randint(50, 50000) * 10000) if kind == CustomerKind.CORPORATE else None
            c.founded_on = date(rng.randint(1995, 2022), rng.randint(1, 12), rng.randint(1, 28))
            c.metrics = {}
            if kind == CustomerKind.OUTLET:
                # annual sales cycling over the tobacco classes' bands (核心/潜力/一般/问题), so even a
                # small demo has outlets in every class
                low, high = OUTLET_SALES_BANDS[outlet_seq[0] % len(OUTLET_SALES_BANDS)]
                outlet_seq[0] += 1
                c.metrics = {"sales": str(Decimal(rng.randint(low, high) * 1000))}
        c.refresh_derived()  # search keys, as save() and the importer compute them
        c._aum = Decimal(str(round(_aum(rng, kind), 2)))
        return c

    customers = []
    for rm in rms:
        team_mates = [m for m in by_team[rm.team_id] if m.pk != rm.pk]
        for _ in range(counts.get(rm.pk, 0)):
            c = new_customer(rm, rm.team)
            if team_mates and rng.random() < 0.2:
                c.b_rm = rng.choice(team_mates)
            customers.append(c)
    for i in range(pool_n):
        c = new_customer(None, pool_units[i % len(pool_units)])
        c.stage = "potential" if rng.random() < 0.6 else c.stage
        customers.append(c)

    # holdings: split the AUM over 1-4 asset products, some loans
    asset_codes = [
        code
        for code in ("DEP-CUR", "DEP-FIX1Y", "DEP-LD3Y", "WM-STABLE", "WM-BAL", "FD-BOND", "FD-EQUITY", "INS-ANNUITY")
        if code in products
    ]
    for c in customers:
        picks = rng.sample(asset_codes, rng.randint(1, min(4, len(asset_codes))))
        weights = [rng.random() + 0.1 for _ in picks]
        total_w = sum(weights)
        parts = [
            (code, (c._aum * Decimal(str(w / total_w))).quantize(Decimal("0.01")))
            for code, w in zip(picks, weights, strict=True)
        ]
        c._holdings = list(parts)
        loan = Decimal("0.00")
        if rng.random() < (0.35 if c.kind != CustomerKind.INDIVIDUAL else 0.12):
            loan = Decimal(rng.randint(10, 800) * 10000)
            c._holdings.append(("LN-BIZ" if c.kind != CustomerKind.INDIVIDUAL else "LN-MORTGAGE", loan))
        c.aum = sum((v for code, v in parts), Decimal("0.00"))
        c.deposits = sum((v for code, v in parts if code.startswith("DEP")), Decimal("0.00"))
        c.loans = loan
        c.contribution = (c.aum * Decimal("0.008") + loan * Decimal("0.015")).quantize(Decimal("0.01"))
        rule_set, tiers = sets.get(c.kind, (None, []))
        c.tier = tier_for_value(tiers, metric_value(c, rule_set.metric)) if rule_set else None
        c._docs = set()
        if rng.random() < 0.6:
            c._docs = {"id_copy", "risk_assessment"} if c.kind == CustomerKind.INDIVIDUAL else {"license", "financials"}
            if rng.random() < 0.3:
                c._docs.pop()
        c.completeness = completeness_of(
            c,
            doc_kinds=c._docs,
            has_contacts=c.kind == CustomerKind.CORPORATE,
            has_financials=c.kind == CustomerKind.CORPORATE,
        )
    Customer.objects.bulk_create(customers, batch_size=1000)
    if customers[0].pk is None:  # backends that do not return ids
        by_no = dict(Customer.objects.filter(customer_no__startswith="DM").values_list("customer_no", "id"))
        for c in customers:
            c.pk = c.id = by_no[c.customer_no]

    holdings, changes, dates, docs, contacts, fins, owners, needs, notes = [], [], [], [], [], [], [], [], []
    for c in customers:
        for code, bal in c._holdings:
            opened = c.created_at.date() + timedelta(days=rng.randint(0, 200))
            holdings.append(
                Holding(
                    customer_id=c.pk,
                    product=products[code],
                    balance=bal,
                    account_no=f"{c.customer_no}-{code}",
                    opened_on=opened,
                    matures_on=_matures_on(code, opened, today),
                )
            )
        owners.append(OwnershipChange(customer_id=c.pk, kind="create", to_a=c.a_rm, at=c.created_at))
        if c.tier is not None:
            # tier history: first tier at opening, then a move or two, ending at the current tier
            start = c.tier
            tiers_by_rank = sets[c.kind][1]
            if rng.random() < 0.25 and len(tiers_by_rank) > 1:
                i = tiers_by_rank.index(c.tier)
                start = (
                    tiers_by_rank[max(0, i - 1)]
                    if rng.random() < 0.7
                    else tiers_by_rank[min(len(tiers_by_rank) - 1, i + 1)]
                )
            changes.append(
                TierChange(
                    customer_id=c.pk,
                    to_tier=start,
                    direction="initial",
                    at=c.created_at,
                    reason="建档定级",
                    a_rm=c.a_rm,
                    org_path=c.org_path,
                )
            )
            if start != c.tier:
                changes.append(
                    TierChange(
                        customer_id=c.pk,
                        from_tier=start,
                        to_tier=c.tier,
                        direction="up" if c.tier.rank > start.rank else "down",
                        at=now - timedelta(days=rng.randint(1, 120)),
                        reason="资产变动",
                        metric_value=c.aum,
                        a_rm=c.a_rm,
                        org_path=c.org_path,
                    )
                )
        if c.birth_date:
            dates.append(
                KeyDate(
                    customer_id=c.pk,
                    kind=KeyDateKind.BIRTHDAY,
                    label="生日",
                    date=c.birth_date,
                    month=c.birth_date.month,
                    day=c.birth_date.day,
                )
            )
        if c.founded_on:
            dates.append(
                KeyDate(
                    customer_id=c.pk,
                    kind=KeyDateKind.FOUNDING,
                    label="成立纪念日",
                    date=c.founded_on,
                    month=c.founded_on.month,
                    day=c.founded_on.day,
                )
            )
        for kind in c._docs:
            docs.append(Document(customer_id=c.pk, kind=kind))
        if c.kind == CustomerKind.CORPORATE:
            for role in (ContactRole.DECISION_MAKER, ContactRole.FINANCE, ContactRole.INFLUENCER)[: rng.randint(1, 3)]:
                contacts.append(
                    Contact(
                        customer_id=c.pk,
                        name=person_name(rng),
                        role=role,
                        title={"decision_maker": "总经理", "finance": "财务总监"}.get(role, "采购经理"),
                        mobile=f"137{rng.randint(0, 99999999):08d}",
                        is_primary=role == ContactRole.DECISION_MAKER,
                    )
                )
            for year in (today.year - 2, today.year - 1):
                assets = Decimal(rng.randint(500, 50000) * 10000)
                fins.append(
                    FinancialYear(
                        customer_id=c.pk,
                        year=year,
                        assets=assets,
                        liabilities=(assets * Decimal(str(rng.uniform(0.2, 0.85)))).quantize(Decimal("0.01")),
                        revenue=(assets * Decimal(str(rng.uniform(0.3, 1.5)))).quantize(Decimal("0.01")),
                    )
                )
        if rng.random() < 0.15:
            needs.append(
                Need(
                    customer_id=c.pk,
                    text=rng.choice(NEEDS),
                    created_by=c.a_rm,
                    created_at=now - timedelta(days=rng.randint(1, 300)),
                )
            )
        if rng.random() < 0.08:
            notes.append(
                Note(
                    customer_id=c.pk,
                    text="客户偏好电话联系，工作日下午方便。",
                    created_by=c.a_rm,
                    created_at=now - timedelta(days=rng.randint(1, 300)),
                )
            )
    for model, rows in (
        (Holding, holdings),
        (TierChange, changes),
        (KeyDate, dates),
        (Document, docs),
        (Contact, contacts),
        (FinancialYear, fins),
        (OwnershipChange, owners),
        (Need, needs),
        (Note, notes),
    ):
        model.objects.bulk_create(rows, batch_size=2000)

    tags = [Tag.objects.get_or_create(name=n)[0] for n in TAGS]
    through = Customer.tags.through
    links = []
    for c in customers:
        for t in rng.sample(tags, rng.choice((0, 0, 1, 1, 2))):
            links.append(through(customer_id=c.pk, tag_id=t.pk))
    through.objects.bulk_create(links, batch_size=2000)

    # a few open conflicts: RMs of neighbouring teams claiming customers already on file in the same sub-branch
    conflicts = []
    named_mid = next((rm for rm in rms if rm.username == "rm_mid"), rms[0])
    branch_path = (
        named_mid.team.path[: -named_mid.team.steplen * 2] if named_mid.team.depth > 2 else named_mid.team.path
    )
    local_rms = [rm for rm in rms if rm.team.path.startswith(branch_path)]
    targets = [
        c
        for c in customers
        if c.kind == CustomerKind.INDIVIDUAL and c.a_rm is not None and c.org_path.startswith(branch_path)
    ]
    for claimant in [named_mid] + local_rms[:9]:
        candidates = [c for c in targets if c.a_rm.team_id != claimant.team_id] or [
            c for c in targets if c.a_rm_id != claimant.pk
        ]
        if not candidates:
            continue
        c = rng.choice(candidates)
        conflicts.append(
            Conflict(
                existing_id=c.pk,
                match_field="id_number",
                match_value=c.id_number,
                source="create",
                claimant=claimant,
                org_path=c.org_path,
                claimant_path=claimant.team.path,
                proposed={
                    "name": c.name,
                    "id_number": c.id_number,
                    "mobile": c.mobile,
                    "occupation": rng.choice(OCCUPATIONS),
                },
            )
        )
    Conflict.objects.bulk_create(conflicts)
    ctx.log(
        f"customers: {len(customers)} customers ({pool_n} in the unassigned pool), {len(holdings)} holdings, "
        f"{len(changes)} tier changes, {len(conflicts)} open conflicts"
    )
