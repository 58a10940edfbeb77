"""The sales, account and market reports of SPEC §11 and the seeds (SEED-NOTES §11), each over the viewer's
scope for a period and a unit of their subtree:

- funnel: the opportunity funnel with conversion by stage (the sales app's one definition), per RM;
- referrals: referred, accepted, declined and credited referrals per referrer and per referrer's outlet;
- monthly-sales (客户月度销售情况分析报告, 001:1103–1117): a) sales per RM and product category, b) problems
  (complaints and their SLA), c) customer opinions (satisfaction given when complaints were closed), d) the
  forecast inputs for the month after the period (open opportunities expected then, weighted by probability);
- accounts (开户/销户分析报告, weekly, 001:225): accounts opened and closed per week and product category,
  with new customers;
- top-tier (优质客户与市场分析报告, monthly, 001:233): customers of the two highest tiers per sub-unit, the moves
  into and out of them in the period.
"""

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Avg, Count, F, Q, Sum
from django.utils.translation import gettext as _, gettext_lazy

from rmdesk.customers.models import Holding, ProductCategory, Tier, TierChange
from rmdesk.customers.scope import visible_customers
from rmdesk.org.models import User
from rmdesk.sales import services as sales_services
from rmdesk.sales.models import ReferralStatus, StageKind
from rmdesk.sales.scope import visible_opportunities, visible_referrals, visible_sales
from rmdesk.service.models import CaseKind
from rmdesk.service.scope import visible_cases

from .dashboards import _wan
from .figures import Table
from .reports import Report, _in_unit

#: how many of the highest tiers of the active rule set count as 优质客户 (the service app's convention too)
TOP_TIERS = 2


def _children(unit):
    return list(unit.get_children().order_by("path")) if unit is not None else []


def _names(ids) -> dict:
    return {
        pk: full or user
        for pk, full, user in User.objects.filter(pk__in=ids).values_list("pk", "full_name", "username")
    }


def funnel(user, start: date, end: date, unit) -> Report:
    """Opportunities created in the period: the funnel by stage and one row per RM (total, won, win rate)."""
    opps = _in_unit(visible_opportunities(user), unit).filter(created_at__date__gte=start, created_at__date__lte=end)
    overall = sales_services.funnel(opps)[0]
    chart = Table("funnel", _("商机漏斗"), "funnel", [_("阶段"), _("商机数"), _("转化率（%）")])
    for level in overall["levels"]:
        chart.rows.append([level["stage"].name, level["count"], level["conversion"] if level["conversion"] else ""])
    chart.note = _("共 %(n)d 个商机，成交 %(won)d 个，成交率 %(rate)s%%") % {
        "n": overall["total"],
        "won": overall["won"],
        "rate": overall["win_rate"],
    }
    per_rm = sales_services.funnel(opps, group="rm")
    stage_names = [lvl["stage"].name for lvl in overall["levels"]]
    by_rm = Table("funnel-rm", _("各客户经理商机漏斗"), "table", [_("客户经理"), *stage_names, _("成交率（%）")])
    names = _names([g["key"] for g in per_rm if g["key"]])
    for g in per_rm:
        if not g["total"]:
            continue
        by_rm.rows.append([names.get(g["key"], g["name"] or ""), *[lvl["count"] for lvl in g["levels"]], g["win_rate"]])
    return Report("funnel", _("商机漏斗与转化报告"), start, end, unit, [chart, by_rm])


def referrals(user, start: date, end: date, unit) -> Report:
    """Referrals made in the period (the referred customer's unit within `unit`), per referrer and per referrer's
    outlet: referred, accepted, declined, credited conversions and the conversion rate (as sales counts them)."""
    qs = _in_unit(visible_referrals(user), unit).filter(created_at__date__gte=start, created_at__date__lte=end)
    counts = {
        "referred": Count("id"),
        "accepted": Count("id", filter=Q(status__in=[ReferralStatus.ACCEPTED, ReferralStatus.CONVERTED])),
        "declined": Count("id", filter=Q(status=ReferralStatus.DECLINED)),
        "credited": Count("id", filter=Q(credited_on__isnull=False)),
    }
    columns = [_("推介数"), _("已受理"), _("已谢绝"), _("已转化"), _("转化率（%）")]
    tables = []
    for fields, table_id, title, first, kind in (
        (
            ("referrer_id", "referrer__full_name", "referrer__username"),
            "referrals-person",
            _("按推介人"),
            _("推介人"),
            "table",
        ),
        (
            ("referrer__unit_id", "referrer__unit__name", "referrer__unit__code"),
            "referrals-outlet",
            _("按网点"),
            _("网点"),
            "bar",
        ),
    ):
        table = Table(table_id, title, kind, [first, *columns])
        for r in qs.values(*fields).annotate(**counts).order_by(fields[1], fields[0]):
            rate = (Decimal(r["credited"]) / r["referred"] * 100).quantize(Decimal("0.1")) if r["referred"] else 0
            table.rows.append(
                [r[fields[1]] or r[fields[2]] or "—", r["referred"], r["accepted"], r["declined"], r["credited"], rate]
            )
        tables.append(table)
    return Report("referrals", _("转介绍分析报告"), start, end, unit, tables)


def monthly_sales(user, start: date, end: date, unit) -> Report:
    """客户月度销售情况分析报告: sales, problems, customer opinions and forecast inputs per RM, and per unit."""
    sales = _in_unit(visible_sales(user), unit).filter(sold_on__gte=start, sold_on__lte=end)
    per_rm: dict = defaultdict(lambda: [0, Decimal(0), Decimal(0), 0, 0, None, 0, Decimal(0), Decimal(0)])
    for r in sales.values("rm_id").annotate(n=Count("id"), a=Sum("amount"), p=Sum("priced_amount")).order_by():
        row = per_rm[r["rm_id"]]
        row[0], row[1], row[2] = r["n"], r["a"] or 0, r["p"] or 0
    cases = _in_unit(visible_cases(user), unit).filter(
        kind=CaseKind.COMPLAINT, registered_at__date__gte=start, registered_at__date__lte=end
    )
    for r in (
        cases.values("owner_id")
        .annotate(
            n=Count("id"),
            b=Count("id", filter=Q(ack_breached=True) | Q(answer_breached=True)),
            s=Avg("satisfaction"),
        )
        .order_by()
    ):
        row = per_rm[r["owner_id"]]
        row[3], row[4] = r["n"], r["b"]
        row[5] = Decimal(str(r["s"])).quantize(Decimal("0.01")) if r["s"] is not None else None
    next_start = end + timedelta(days=1)
    next_end = (next_start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    forecast = (
        _in_unit(visible_opportunities(user), unit)
        .filter(stage__kind=StageKind.OPEN, expected_on__gte=next_start, expected_on__lte=next_end)
        .values("owner_id")
        .annotate(n=Count("id"), a=Sum("amount"), w=Sum(F("amount") * F("probability")))
        .order_by()
    )
    for r in forecast:
        row = per_rm[r["owner_id"]]
        row[6], row[7], row[8] = r["n"], r["a"] or 0, (r["w"] or 0) / 100
    names = _names(per_rm)
    by_rm = Table(
        "monthly-rm",
        _("各客户经理销售、问题、客户意见与预测"),
        "table",
        [
            _("客户经理"),
            _("销售笔数"),
            _("销售金额（万元）"),
            _("计价金额（万元）"),
            _("投诉件数"),
            _("其中超时"),
            _("客户满意度（1–5）"),
            _("下月预计签约商机"),
            _("预计金额（万元）"),
            _("按概率加权（万元）"),
        ],
    )
    totals = [0, Decimal(0), Decimal(0), 0, 0, None, 0, Decimal(0), Decimal(0)]
    for rm_id, row in sorted(per_rm.items(), key=lambda kv: (-kv[1][1], str(names.get(kv[0], "")))):
        by_rm.rows.append(
            [
                names.get(rm_id, "—"),
                row[0],
                _wan(row[1]),
                _wan(row[2]),
                row[3],
                row[4],
                row[5] if row[5] else "",
                row[6],
                _wan(row[7]),
                _wan(row[8]),
            ]
        )
        for i in (0, 1, 2, 3, 4, 6, 7, 8):
            totals[i] += row[i]
    if by_rm.rows:
        by_rm.rows.append(
            [
                _("合计"),
                totals[0],
                _wan(totals[1]),
                _wan(totals[2]),
                totals[3],
                totals[4],
                "",
                totals[6],
                _wan(totals[7]),
                _wan(totals[8]),
            ]
        )
    by_rm.note = _("预测期间：%(a)s 至 %(b)s；满意度为期间内投诉结案时客户的评价。") % {
        "a": next_start.isoformat(),
        "b": next_end.isoformat(),
    }
    labels = dict(ProductCategory.choices)
    by_category = Table(
        "monthly-category", _("销售按产品类别"), "bar", [_("产品类别"), _("销售笔数"), _("销售金额（万元）")]
    )
    for r in sales.values("product__category").annotate(n=Count("id"), a=Sum("amount")).order_by("-a"):
        by_category.rows.append([str(labels.get(r["product__category"], r["product__category"])), r["n"], _wan(r["a"])])
    problems = Table("monthly-problems", _("客户反映的问题（投诉按类别）"), "bar", [_("类别"), _("件数")])
    for r in cases.values("category__name").annotate(n=Count("id")).order_by("-n", "category__name"):
        problems.rows.append([r["category__name"], r["n"]])
    tables = [by_category, by_rm, problems]
    children = _children(unit)
    if children:
        per_unit = Table("monthly-unit", _("各机构销售"), "bar", [_("机构"), _("销售笔数"), _("销售金额（万元）")])
        agg = sales.aggregate(
            **{f"n{i}": Count("id", filter=Q(org_path__startswith=c.path)) for i, c in enumerate(children)},
            **{f"a{i}": Sum("amount", filter=Q(org_path__startswith=c.path)) for i, c in enumerate(children)},
        )
        for i, c in enumerate(children):
            per_unit.rows.append([c.name, agg[f"n{i}"], _wan(agg[f"a{i}"])])
        tables.insert(1, per_unit)
    return Report("monthly-sales", _("客户月度销售情况分析报告"), start, end, unit, tables)


def _week(day: date) -> str:
    monday = day - timedelta(days=day.weekday())
    return monday.isoformat()


def accounts(user, start: date, end: date, unit) -> Report:
    """开户/销户分析报告: accounts (holdings) opened and closed per week (weeks start on Monday) and per product
    category, with the customers created each week."""
    customers = _in_unit(visible_customers(user), unit)
    holdings = Holding.objects.filter(customer__in=customers)
    opened = holdings.filter(opened_on__gte=start, opened_on__lte=end)
    closed = holdings.filter(closed_on__gte=start, closed_on__lte=end)
    weeks: dict = defaultdict(lambda: [0, 0, 0])
    for day, n in opened.values_list("opened_on").annotate(n=Count("id")).order_by():
        weeks[_week(day)][0] += n
    for day, n in closed.values_list("closed_on").annotate(n=Count("id")).order_by():
        weeks[_week(day)][1] += n
    for day, n in (
        customers.filter(created_at__date__gte=start, created_at__date__lte=end)
        .values_list("created_at__date")
        .annotate(n=Count("id"))
        .order_by()
    ):
        weeks[_week(day)][2] += n
    weekly = Table(
        "accounts-weekly", _("每周开户与销户"), "bar", [_("周（周一）"), _("开户数"), _("销户数"), _("新增客户")]
    )
    monday = start - timedelta(days=start.weekday())
    while monday <= end:
        key = monday.isoformat()
        weekly.rows.append([key, *weeks.get(key, [0, 0, 0])])
        monday += timedelta(days=7)
    labels = dict(ProductCategory.choices)
    per_cat: dict = defaultdict(lambda: [0, 0, Decimal(0)])
    for cat, n in opened.values_list("product__category").annotate(n=Count("id")).order_by():
        per_cat[cat][0] = n
    for cat, n, bal in closed.values_list("product__category").annotate(n=Count("id"), b=Sum("balance")).order_by():
        per_cat[cat][1] = n
        per_cat[cat][2] = bal or 0
    by_cat = Table("accounts-category", _("按产品类别"), "table", [_("产品类别"), _("开户数"), _("销户数"), _("净增")])
    for cat, (o, c, _bal) in sorted(per_cat.items(), key=lambda kv: str(kv[0])):
        by_cat.rows.append([str(labels.get(cat, cat)), o, c, o - c])
    return Report("accounts", _("开户/销户分析报告"), start, end, unit, [weekly, by_cat])


def top_tiers() -> list:
    """The TOP_TIERS highest tiers of each active rule set."""
    out = []
    by_set: dict = defaultdict(list)
    for tier in Tier.objects.filter(rule_set__is_active=True).order_by("rule_set_id", "-rank"):
        by_set[tier.rule_set_id].append(tier)
    for tiers in by_set.values():
        out += tiers[:TOP_TIERS]
    return out


def top_tier(user, start: date, end: date, unit) -> Report:
    """优质客户与市场分析报告: customers of the highest tiers now, per tier and sub-unit, and who moved into or out of
    them in the period (recorded tier changes)."""
    tiers = top_tiers()
    ids = [t.pk for t in tiers]
    customers = _in_unit(visible_customers(user), unit)
    top = customers.filter(tier_id__in=ids)
    per_tier = Table("top-tier", _("优质客户（按层级）"), "bar", [_("层级"), _("客户数"), _("金融资产（万元）")])
    for r in top.values("tier__name", "tier__rank").annotate(n=Count("id"), a=Sum("aum")).order_by("-tier__rank"):
        per_tier.rows.append([r["tier__name"], r["n"], _wan(r["a"])])
    total = customers.aggregate(n=Count("id"), a=Sum("aum"))
    top_total = top.aggregate(n=Count("id"), a=Sum("aum"))
    share = (Decimal(top_total["a"] or 0) / total["a"] * 100).quantize(Decimal("0.1")) if total["a"] else Decimal(0)
    per_tier.note = _("优质客户 %(n)d 户，占客户数 %(pn)s%%，占金融资产 %(pa)s%%。") % {
        "n": top_total["n"],
        "pn": (Decimal(top_total["n"]) / total["n"] * 100).quantize(Decimal("0.1")) if total["n"] else 0,
        "pa": share,
    }
    changes = TierChange.objects.filter(customer__in=customers, at__date__gte=start, at__date__lte=end)
    moves = Table("top-tier-moves", _("进入与退出优质客户"), "bar", [_("层级"), _("进入"), _("退出")])
    into = dict(
        changes.filter(to_tier_id__in=ids)
        .exclude(from_tier_id__in=ids)
        .values_list("to_tier_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    out = dict(
        changes.filter(from_tier_id__in=ids)
        .exclude(to_tier_id__in=ids)
        .values_list("from_tier_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    # a change from "no tier" has from_tier NULL, which exclude(__in) keeps out; count those in too
    for tier_id, n in (
        changes.filter(to_tier_id__in=ids, from_tier_id__isnull=True)
        .values_list("to_tier_id")
        .annotate(n=Count("id"))
        .order_by()
    ):
        into[tier_id] = into.get(tier_id, 0) + n
    for t in tiers:
        moves.rows.append([t.name, into.get(t.pk, 0), out.get(t.pk, 0)])
    tables = [per_tier, moves]
    children = _children(unit)
    if children:
        per_unit = Table("top-tier-unit", _("各机构优质客户"), "bar", [_("机构"), _("客户数"), _("金融资产（万元）")])
        agg = top.aggregate(
            **{f"n{i}": Count("id", filter=Q(org_path__startswith=c.path)) for i, c in enumerate(children)},
            **{f"a{i}": Sum("aum", filter=Q(org_path__startswith=c.path)) for i, c in enumerate(children)},
        )
        for i, c in enumerate(children):
            per_unit.rows.append([c.name, agg[f"n{i}"], _wan(agg[f"a{i}"])])
        tables.append(per_unit)
    market = Table("top-tier-market", _("市场份额"), "table", [_("项目"), _("说明")])
    market.rows.append([_("市场份额"), _("本系统未录入同业市场数据；请在报告中手工补充。")])
    tables.append(market)
    return Report("top-tier", _("优质客户与市场分析报告"), start, end, unit, tables)


REPORTS = {
    "monthly-sales": (gettext_lazy("客户月度销售情况分析报告"), monthly_sales),
    "accounts": (gettext_lazy("开户/销户分析报告"), accounts),
    "top-tier": (gettext_lazy("优质客户与市场分析报告"), top_tier),
    "funnel": (gettext_lazy("商机漏斗与转化报告"), funnel),
    "referrals": (gettext_lazy("转介绍分析报告"), referrals),
}
