"""Reports (SPEC §11), each over the viewer's scope, for a period and optionally one unit of their subtree:

- tier-migration: the customers' tier on two dates, as a from → to matrix of counts and today's AUM;
- aum-trend: AUM by day from the daily snapshots, per sub-unit or per tier;
- complaints: complaints by category, severity and unit, with SLA compliance, valid complaints and root causes.

A report answers a `Report` (its tables, filters and title), which the page draws, the API returns and the
exports write. The sales, account and market reports of the seeds are in `reports_sales`.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _, gettext_lazy

from rmdesk.core.scope import covers
from rmdesk.customers.models import Customer, Tier, TierChange
from rmdesk.customers.scope import visible_customers
from rmdesk.org.scope import home_unit, visible_units
from rmdesk.service.models import CaseKind, RootCause, Severity
from rmdesk.service.scope import visible_cases

from .dashboards import WAN, _wan
from .figures import Table
from .models import BookSnapshot, UnitTierSnapshot

MAX_DAYS = 366 * 3


@dataclass
class Report:
    key: str
    title: str
    start: date
    end: date
    unit: object  # the OrgUnit the report is framed on (the viewer's home unit by default)
    tables: list[Table] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "title": self.title,
            "start": self.start,
            "end": self.end,
            "unit": getattr(self.unit, "name", ""),
            "tables": [t.as_dict() for t in self.tables],
        }


def parse_filters(user, *, start=None, end=None, unit_id=None, default_days=30) -> tuple[date, date, object]:
    """Period and unit of a report. Dates outside a sane range, an end before the start, or a unit outside the
    viewer's subtree are refused with a ValidationError naming the field (out-of-scope units are not revealed:
    the message is the same as for a missing one)."""
    today = timezone.localdate()
    errors = {}
    end = end or today
    start = start or end - timedelta(days=default_days)
    if end < start:
        errors["end"] = [_("结束日期不能早于开始日期。")]
    elif (end - start).days > MAX_DAYS:
        errors["start"] = [_("统计期间不能超过三年。")]
    unit = home_unit(user)
    if unit_id is not None:
        unit = visible_units(user).filter(pk=unit_id).first()
        if unit is None:
            errors["unit"] = [_("机构不存在或不在您的管辖范围内。")]
    if errors:
        raise ValidationError(errors)
    return start, end, unit


def _day_start(day: date):
    """The start of a local day as an aware datetime (compared with the indexed column, no per-row cast)."""
    return timezone.make_aware(datetime.combine(day, time.min))


def _in_unit(qs, unit, field="org_path"):
    return qs.filter(**{f"{field}__startswith": unit.path}) if unit is not None else qs


NEW = gettext_lazy("（新客户）")


def tier_migration(user, start: date, end: date, unit) -> Report:
    """Each customer's tier on `start` and on `end` (the tier changes recorded in between, walked back from
    today's tier): counts and today's AUM per (from, to). Customers created after `start` come from 新客户."""
    after_start, after_end = _day_start(start + timedelta(days=1)), _day_start(end + timedelta(days=1))
    customers = _in_unit(visible_customers(user), unit).filter(created_at__lt=after_end)
    matrix: dict[tuple, list] = defaultdict(lambda: [0, Decimal(0)])
    # 1. set-based: every customer as if nothing had changed since `start` (today's tier on both dates; "new"
    #    when created after `start`), one GROUP BY over the archive
    is_new = Q(created_at__gte=after_start)
    for r in (
        customers.values("tier_id")
        .annotate(
            n=Count("id"),
            all_aum=Sum("aum"),
            new_n=Count("id", filter=is_new),
            new_aum=Sum("aum", filter=is_new),
        )
        .order_by()
    ):
        old_n, old_aum = r["n"] - r["new_n"], (r["all_aum"] or 0) - (r["new_aum"] or 0)
        if old_n:
            cell = matrix[(r["tier_id"], r["tier_id"])]
            cell[0] += old_n
            cell[1] += old_aum
        if r["new_n"]:
            cell = matrix[("new", r["tier_id"])]
            cell[0] += r["new_n"]
            cell[1] += r["new_aum"] or 0
    # 2. only the customers whose tier changed after `start` move from that cell to their real (from, to)
    changes = (
        TierChange.objects.filter(customer__in=customers, at__gte=after_start)
        .order_by("customer_id", "at", "id")
        .values_list("customer_id", "at", "from_tier_id")
    )
    first_after_start: dict[int, int | None] = {}
    first_after_end: dict[int, int | None] = {}
    for customer_id, at, from_tier in changes.iterator(chunk_size=5000):
        first_after_start.setdefault(customer_id, from_tier)
        if at >= after_end:
            first_after_end.setdefault(customer_id, from_tier)
    changed = list(first_after_start)
    for i in range(0, len(changed), 5000):
        for customer_id, tier_now, aum, created_at in Customer.objects.filter(pk__in=changed[i : i + 5000]).values_list(
            "id", "tier_id", "aum", "created_at"
        ):
            new = created_at >= after_start
            baseline = matrix[("new" if new else tier_now, tier_now)]
            baseline[0] -= 1
            baseline[1] -= aum or 0
            tier_end = first_after_end.get(customer_id, tier_now)
            tier_start = "new" if new else first_after_start[customer_id]
            cell = matrix[(tier_start, tier_end)]
            cell[0] += 1
            cell[1] += aum or 0
    matrix = {k: v for k, v in matrix.items() if v[0]}
    tiers = {t.pk: t for t in Tier.objects.filter(pk__in={k for pair in matrix for k in pair if isinstance(k, int)})}

    def name(tier_id):
        if tier_id == "new":
            return str(NEW)
        return tiers[tier_id].name if tier_id in tiers else _("未分层")

    def rank(tier_id):
        return -1 if tier_id == "new" else (tiers[tier_id].rank if tier_id in tiers else 0)

    table = Table(
        "tier-migration", _("层级迁移矩阵"), "table", [_("期初层级"), _("期末层级"), _("客户数"), _("金融资产（万元）")]
    )
    moved = Counter()
    for (a, b), (n, aum) in sorted(matrix.items(), key=lambda kv: (-rank(kv[0][0]), -rank(kv[0][1]))):
        table.rows.append([name(a), name(b), n, _wan(aum)])
        if a != "new" and a != b:
            moved["up" if rank(b) > rank(a) else "down"] += n
    summary = Table("tier-migration-summary", _("层级变动汇总"), "bar", [_("方向"), _("客户数")])
    summary.rows = [
        [_("升级"), moved["up"]],
        [_("降级"), moved["down"]],
        [str(NEW), sum(n for (a, _b), (n, _aum) in matrix.items() if a == "new")],
    ]
    table.note = _("金融资产为客户当前的金融资产。")
    title = _("客户层级迁移报告")
    return Report("tier-migration", title, start, end, unit, [summary, table])


def aum_trend(user, start: date, end: date, unit, *, by: str = "unit") -> Report:
    """AUM by day from the daily snapshots, per direct sub-unit of `unit` (by="unit") or per tier (by="tier")."""
    if unit is None or not covers(user, unit.path):
        # no subtree over the unit (an RM): their own book's trend, never the unit's aggregates
        rows = BookSnapshot.objects.filter(rm=user, day__range=(start, end)).values_list("day", "aum").order_by("day")
        table = Table("aum-trend", _("金融资产走势（万元）"), "line", [_("日期"), _("本人管户")])
        table.rows = [[day.isoformat(), _wan(aum)] for day, aum in rows]
        if not table.rows:
            table.note = _("所选期间没有每日快照。")
        return Report("aum-trend", _("金融资产走势报告"), start, end, unit, [table])
    base = UnitTierSnapshot.objects.filter(day__range=(start, end), org_path__startswith=unit.path)
    if by == "tier":
        rows = base.values("day", "tier_name", "tier_rank").annotate(s=Sum("aum")).order_by("day", "-tier_rank")
        series = sorted({(r["tier_rank"], r["tier_name"] or _("未分层")) for r in rows}, reverse=True)
        names = [n for _r, n in series]
        data: dict[date, dict] = defaultdict(dict)
        for r in rows:
            data[r["day"]][r["tier_name"] or _("未分层")] = _wan(r["s"])
    else:
        groups = list(unit.get_children().order_by("path")) or [unit]
        names = [g.name for g in groups]
        data = defaultdict(dict)
        for g in groups:
            for day, s in (
                base.filter(org_path__startswith=g.path).values_list("day").annotate(s=Sum("aum")).order_by("day")
            ):
                data[day][g.name] = _wan(s)
    table = Table("aum-trend", _("金融资产走势（万元）"), "line", [_("日期"), *names])
    table.rows = [
        [day.isoformat(), *[values.get(n, Decimal("0.00")) for n in names]] for day, values in sorted(data.items())
    ]
    if not table.rows:
        table.note = _("所选期间没有每日快照。")
    return Report("aum-trend", _("金融资产走势报告"), start, end, unit, [table])


def complaints(user, start: date, end: date, unit) -> Report:
    """Complaints registered in the period: by category, severity and unit; SLA compliance, valid, root causes."""
    cases = _in_unit(visible_cases(user), unit).filter(kind=CaseKind.COMPLAINT, registered_at__date__range=(start, end))
    breached = Q(ack_breached=True) | Q(answer_breached=True)
    totals = cases.aggregate(
        n=Count("id"), breached=Count("id", filter=breached), valid=Count("id", filter=Q(is_valid=True))
    )
    n, late = totals["n"], totals["breached"]
    summary = Table("complaints-summary", _("投诉概况"), "table", [_("项目"), _("数值")])
    summary.rows = [
        [_("投诉件数"), n],
        [_("超时件数"), late],
        [_("有效投诉"), totals["valid"]],
        [_("时效达标率（%）"), ((Decimal(n - late) / n * 100).quantize(Decimal("0.01")) if n else "—")],
    ]
    by_cat = Table("complaints-category", _("按类别"), "bar", [_("类别"), _("件数"), _("超时")])
    for r in cases.values("category__name").annotate(c=Count("id"), b=Count("id", filter=breached)).order_by("-c"):
        by_cat.rows.append([r["category__name"], r["c"], r["b"]])
    sev = dict(Severity.choices)
    by_sev = Table("complaints-severity", _("按严重程度"), "pie", [_("严重程度"), _("件数")])
    for r in cases.values("severity").annotate(c=Count("id")).order_by("severity"):
        by_sev.rows.append([str(sev.get(r["severity"], r["severity"])), r["c"]])
    causes = dict(RootCause.choices)
    by_cause = Table("complaints-cause", _("按根本原因"), "bar", [_("根本原因"), _("件数")])
    for r in cases.exclude(root_cause="").values("root_cause").annotate(c=Count("id")).order_by("-c"):
        by_cause.rows.append([str(causes.get(r["root_cause"], r["root_cause"])), r["c"]])
    by_unit = Table("complaints-unit", _("按机构"), "bar", [_("机构"), _("件数"), _("超时")])
    for child in unit.get_children().order_by("path") if unit is not None else []:
        c = cases.filter(org_path__startswith=child.path).aggregate(c=Count("id"), b=Count("id", filter=breached))
        by_unit.rows.append([child.name, c["c"], c["b"]])
    tables = [summary, by_cat, by_sev, by_cause] + ([by_unit] if by_unit.rows else [])
    return Report("complaints", _("投诉分析报告"), start, end, unit, tables)


def indicators(user, start: date, end: date, unit) -> Report:
    """Every registered indicator (rmdesk.core.indicators) for the period, one row per RM the viewer may see
    (themselves, or the RMs of the unit's subtree in their scope), with the total row rolled up: sums add up,
    rates are Σnumerator / Σdenominator. Plan completion (visits, journals) is among them (work's indicators)."""
    from rmdesk.core.indicators import Measure, registry, rollup

    from .reports_plan import members_in

    members = members_in(user, unit)  # a team lead's default unit is the outlet above their team: scope decides
    ids = [m.pk for m in members]
    found = sorted(registry().values(), key=lambda i: i.code)
    columns = [_("客户经理"), *[f"{i.name}（{i.unit}）" for i in found]]
    table = Table("indicators", _("客户经理指标一览"), "table", columns)
    values = {i.code: (i.compute(start, end, ids) if ids else {}) for i in found}
    zero = Measure(Decimal(0))
    for m in sorted(members, key=lambda m: (m.employee_no or "", m.pk)):
        row = [m.display_name]
        for i in found:
            measure = values[i.code].get(m.pk)
            row.append(measure.value.quantize(Decimal("0.01")) if measure is not None else "—")
        table.rows.append(row)
    if len(members) > 1:
        total = [_("合计")]
        for i in found:
            measures = [values[i.code].get(pk, zero) for pk in ids]
            total.append(rollup(measures, percent=i.percent).value.quantize(Decimal("0.01")))
        table.rows.append(total)
    table.note = _("合计行：数量与金额相加；比率为分子之和除以分母之和。")
    return Report("indicators", _("客户经理指标一览"), start, end, unit, [table])


REPORTS = {
    "tier-migration": (gettext_lazy("客户层级迁移报告"), tier_migration),
    "aum-trend": (gettext_lazy("金融资产走势报告"), aum_trend),
    "complaints": (gettext_lazy("投诉分析报告"), complaints),
    "indicators": (gettext_lazy("客户经理指标一览"), indicators),
}

from .reports_sales import REPORTS as _SALES_REPORTS  # noqa: E402 - they build on Report and _in_unit above

REPORTS.update(_SALES_REPORTS)

from .reports_plan import REPORTS as _PLAN_REPORTS  # noqa: E402 - builds on Report above

REPORTS.update(_PLAN_REPORTS)

__all__ = ["REPORTS", "Report", "parse_filters", "WAN"]
