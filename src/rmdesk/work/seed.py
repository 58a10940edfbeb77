"""Default configuration seeded by data migration (SPEC §3): the bank's cadence rules and the
journal/plan/summary templates. Administrators change them in the admin afterwards."""

# (rule_set_code, tier_code, name, months, days, soon_days). Bank tiers of the customers app
# (docs/customers.md: pb ≥ 5,000,000; diamond ≥ 2,000,000; platinum ≥ 1,000,000; gold ≥ 500,000;
# standard). SPEC §3 / seed 001: maintenance plans for AUM ≥ 500k monthly, ≥ 1m quarterly, ≥ 2m
# half-yearly; standard customers have no required cadence.
BANK_RULES = [
    ("bank", "gold", "金融资产50万以上：每月维护", 1, 0, 5),
    ("bank", "platinum", "金融资产100万以上：每季度维护", 3, 0, 10),
    ("bank", "diamond", "金融资产200万以上：每半年维护", 6, 0, 15),
    ("bank", "pb", "私人银行客户：每半年维护", 6, 0, 15),
]

# The tier sets per customer kind (customers migration 0009, docs/customers.md): corporate customers
# by deposits — the larger the relationship, the closer the contact (key-account practice, seed 002);
# tobacco retail outlets by annual sales, visited on the weekly route, problem outlets as often as
# the core ones (seed 003: 零售户 are visited and their problems followed up).
KIND_RULES = [
    ("bank_corporate", "strategic", "战略客户：每两周走访", 0, 14, 3),
    ("bank_corporate", "core", "核心客户：每月走访", 1, 0, 5),
    ("bank_corporate", "key", "重点客户：每季度走访", 3, 0, 10),
    ("bank_corporate", "general", "一般客户：每半年走访", 6, 0, 15),
    ("tobacco_outlet", "outlet_core", "核心零售户：每周拜访", 0, 7, 2),
    ("tobacco_outlet", "outlet_potential", "潜力零售户：每两周拜访", 0, 14, 3),
    ("tobacco_outlet", "outlet_general", "一般零售户：每月拜访", 1, 0, 5),
    ("tobacco_outlet", "outlet_problem", "问题零售户：每周拜访跟进", 0, 7, 2),
]

MONTHLY_SALES_SECTIONS = [
    {"key": "overall", "title": "上月所服务客户的整体销售情况分析"},
    {"key": "problems", "title": "上月所服务客户销售中存在的问题、产生原因及对策措施"},
    {"key": "feedback", "title": "上月所服务客户对于商品质量和服务提出的主要意见和建议"},
    {"key": "forecast", "title": "预测分析次月客户销售情况"},
]


def _plan(title):
    return [
        {"key": "review", "title": "上期完成情况"},
        {"key": "goals", "title": f"{title}目标"},
        {"key": "actions", "title": "主要工作安排与重点客户"},
        {"key": "support", "title": "需要的支持"},
    ]


def _summary():
    return [
        {"key": "results", "title": "工作完成情况"},
        {"key": "customers", "title": "客户维护与营销情况"},
        {"key": "problems", "title": "存在问题与改进措施"},
        {"key": "next", "title": "下一步打算"},
    ]


# (code, name, period, sections, anchor, offset, due_day, move_to_working_day, required, order)
TEMPLATES = [
    ("daily_plan", "日工作计划", "day", [{"key": "plan", "title": "今日工作安排"}], "start", 0, 5, False, False, 10),
    (
        "daily_summary",
        "日工作小结",
        "day",
        [{"key": "done", "title": "今日完成情况"}, {"key": "issues", "title": "问题与需协调事项"}],
        "end",
        0,
        5,
        False,
        False,
        11,
    ),
    ("weekly_plan", "周工作计划", "week", _plan("本周"), "start", -3, 5, False, True, 20),
    ("weekly_summary", "周工作总结", "week", _summary(), "end", -2, 5, True, True, 21),
    ("monthly_plan", "月度工作计划", "month", _plan("本月"), "start", 0, 5, True, True, 30),
    ("monthly_summary", "月度工作总结", "month", _summary(), "next_month_day", 0, 5, True, True, 31),
    (
        "monthly_sales_analysis",
        "客户月度销售情况分析报告",
        "month",
        MONTHLY_SALES_SECTIONS,
        "next_month_day",
        0,
        5,
        True,
        True,
        32,
    ),
    ("quarterly_plan", "季度工作计划", "quarter", _plan("本季度"), "start", 0, 5, True, True, 40),
    ("quarterly_summary", "季度工作总结", "quarter", _summary(), "next_month_day", 0, 10, True, True, 41),
    ("half_plan", "半年工作计划", "half", _plan("本半年"), "start", 0, 5, True, True, 50),
    ("half_summary", "半年工作总结", "half", _summary(), "next_month_day", 0, 10, True, True, 51),
    ("annual_plan", "年度工作计划", "year", _plan("本年度"), "start", 0, 5, True, True, 60),
    ("annual_summary", "年度工作总结", "year", _summary(), "next_month_day", 0, 15, True, True, 61),
]


def seed_cadence(CadenceRule, rules):
    for rs, tier, name, months, days, soon in rules:
        CadenceRule.objects.get_or_create(
            rule_set_code=rs,
            tier_code=tier,
            defaults={"name": name, "interval_months": months, "interval_days": days, "soon_days": soon},
        )


def seed(CadenceRule, JournalTemplate):
    seed_cadence(CadenceRule, KIND_RULES)
    for rs, tier, name, months, days, soon in BANK_RULES:
        CadenceRule.objects.get_or_create(
            rule_set_code=rs,
            tier_code=tier,
            defaults={"name": name, "interval_months": months, "interval_days": days, "soon_days": soon},
        )
    for code, name, period, sections, anchor, offset, due_day, move, required, order in TEMPLATES:
        JournalTemplate.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "period": period,
                "sections": sections,
                "due_anchor": anchor,
                "due_offset_days": offset,
                "due_day": due_day,
                "move_to_working_day": move,
                "required": required,
                "order": order,
            },
        )
