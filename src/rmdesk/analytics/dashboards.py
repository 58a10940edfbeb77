"""Role dashboards (SPEC §11): the first screen of each role's home page, every figure in the viewer's scope
(the apps' scope functions) and leading to the list behind it. Grouped queries only: no query per customer.

Sales figures (funnel, campaign quotas against signed results) come through the sales app's public services and
scope; compliance figures (pledges, violations, anomalies, reveals and exports) through its scope functions."""

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from rmdesk.compliance.models import AnomalyRule, FindingStatus, Penalty, RoundStatus, ViolationStatus
from rmdesk.compliance.scope import (
    visible_access_events,
    visible_findings,
    visible_obligations,
    visible_violations,
)
from rmdesk.core import indicators as kernel_indicators
from rmdesk.core.indicators import Measure, rollup
from rmdesk.core.roles import RoleCode
from rmdesk.core.scope import subtree_paths
from rmdesk.credit.models import AppStatus, WarningLevel, WarningStatus
from rmdesk.credit.scope import visible_applications, visible_checks, visible_warnings
from rmdesk.customers.models import Stage, TierChange, TierDirection
from rmdesk.customers.scope import visible_customers
from rmdesk.org.models import OrgUnit
from rmdesk.org.scope import home_unit
from rmdesk.sales import services as sales_services
from rmdesk.sales.models import CampaignStatus, TargetStatus
from rmdesk.sales.scope import visible_opportunities, visible_quotas, visible_targets
from rmdesk.service.models import OPEN_STATUSES, CaseKind, CaseStatus, ChurnTarget
from rmdesk.service.scope import visible_cases
from rmdesk.work.models import ContactStatusCode, JournalStatus
from rmdesk.work.scope import supervised_journals, team_members, visible_statuses

from .figures import Table, Tile
from .models import BookSnapshot, UnitTierSnapshot

WAN = Decimal(10000)
#: which dashboard a person sees first when they hold several roles
ORDER = (RoleCode.BRANCH_MANAGER, RoleCode.TEAM_LEAD, RoleCode.RISK, RoleCode.COMPLIANCE, RoleCode.RM)


def dashboard_roles(user) -> list[str]:
    return [r for r in ORDER if user.has_role(r)]


def _midnight(day):
    """The start of a local day as an aware datetime: compared with an indexed column as is, where `__date`
    would convert every row."""
    return timezone.make_aware(datetime.combine(day, time.min))


def _wan(amount) -> Decimal:
    """An amount in 万元, two decimals (the unit bank dashboards use)."""
    return ((amount or Decimal(0)) / WAN).quantize(Decimal("0.01"))


def _url(name, **query) -> str:
    base = reverse(name)
    return f"{base}?{'&'.join(f'{k}={v}' for k, v in query.items())}" if query else base


def _tier_table(qs, table_id, title, **extra_query) -> Table:
    rows = (
        qs.values("tier__code", "tier__name", "tier__rank")
        .annotate(n=Count("id"), aum=Sum("aum"))
        .order_by("-tier__rank", "tier__code")
    )
    table = Table(table_id, title, "pie", [_("层级"), _("客户数"), _("金融资产（万元）")])
    for r in rows:
        table.rows.append([r["tier__name"] or _("未分层"), r["n"], _wan(r["aum"])])
        table.urls.append(_url("customers:list", tier=r["tier__code"], **extra_query) if r["tier__code"] else "")
    return table


def _contact_tiles(statuses, **query) -> list[Tile]:
    counts = dict(statuses.values_list("status").annotate(n=Count("pk")).order_by())
    return [
        Tile(
            "overdue",
            _("逾期未联系"),
            counts.get(ContactStatusCode.OVERDUE, 0),
            _("户"),
            _url("work:cadence", status=ContactStatusCode.OVERDUE, **query),
        ),
        Tile(
            "due",
            _("今日及近期应联系"),
            counts.get(ContactStatusCode.DUE, 0) + counts.get(ContactStatusCode.SOON, 0),
            _("户"),
            _url("work:cadence", status="attention", **query),
        ),
    ]


def _book_trend(rm_ids, table_id, title, days=90) -> Table:
    since = timezone.localdate() - timedelta(days=days)
    rows = (
        BookSnapshot.objects.filter(rm_id__in=rm_ids, day__gte=since)
        .values("day")
        .annotate(aum=Sum("aum"), n=Sum("customers"))
        .order_by("day")
    )
    table = Table(table_id, title, "line", [_("日期"), _("金融资产（万元）")])
    table.rows = [[r["day"].isoformat(), _wan(r["aum"])] for r in rows]
    if not table.rows:
        table.note = _("尚无历史快照：每日批处理（run_analytics）运行后显示趋势。")
    return table


def funnel_table(opportunities, table_id, title, **query) -> Table:
    """The opportunity funnel (the sales app's one definition: an opportunity counts at every stage up to the
    furthest it reached), each stage opening the opportunity list at that stage."""
    group = sales_services.funnel(opportunities)[0]
    table = Table(table_id, title, "funnel", [_("阶段"), _("商机数"), _("转化率（%）")])
    for level in group["levels"]:
        table.rows.append([level["stage"].name, level["count"], level["conversion"] if level["conversion"] else ""])
        table.urls.append(_url("sales:opportunity_board", view="list", stage=level["stage"].code, **query))
    table.note = _("共 %(n)d 个商机，成交 %(won)d 个，成交率 %(rate)s%%") % {
        "n": group["total"],
        "won": group["won"],
        "rate": group["win_rate"],
    }
    return table


def targets_table(user) -> tuple[Table, list[Tile]]:
    """My quotas of the running campaigns against what I signed on their lists (sales' quotas and targets)."""
    quotas = list(
        visible_quotas(user)
        .filter(rm=user, campaign__status=CampaignStatus.ACTIVE)
        .values("campaign_id", "campaign__name", "target_count", "target_amount")
        .order_by("campaign__ends_on", "campaign_id")
    )
    done = {
        r["campaign_id"]: r
        for r in visible_targets(user)
        .filter(rm=user, status=TargetStatus.SIGNED, campaign_id__in=[q["campaign_id"] for q in quotas])
        .values("campaign_id")
        .annotate(n=Count("id"), amount=Sum("amount"))
        .order_by()
    }
    table = Table("rm-targets", _("我的营销任务完成情况"), "bar", [_("营销活动"), _("目标户数"), _("已签约户数")])
    target_amount = signed_amount = Decimal(0)
    for q in quotas:
        d = done.get(q["campaign_id"], {})
        table.rows.append([q["campaign__name"], q["target_count"], d.get("n", 0)])
        table.urls.append(reverse("sales:campaign_detail", args=[q["campaign_id"]]))
        target_amount += q["target_amount"] or 0
        signed_amount += d.get("amount") or 0
    if not quotas:
        table.note = _("目前没有分配给您的营销任务。")
    rate = (signed_amount / target_amount * 100).quantize(Decimal("0.1")) if target_amount else None
    tiles = [
        Tile(
            "target_rate",
            _("营销任务金额完成率"),
            rate if rate is not None else "—",
            "%" if rate is not None else "",
            reverse("sales:campaign_list"),
            note=_("已签约 %(done)s / 目标 %(target)s 万元")
            % {"done": _wan(signed_amount), "target": _wan(target_amount)},
        )
    ]
    return table, tiles


def letter_targets_tables(user) -> list[Table]:
    """My targets of this month from my active target letter against my actual figures (issue 16 "my targets vs
    actual"): completion by indicator as a chart, and target, actual and completion as a table."""
    from .reports_plan import completion, rm_rows, target_lines

    today = timezone.localdate()
    lines = target_lines([user.pk], today.replace(day=1), today)
    url = reverse("analytics:report", args=["plan-completion"]) + f"?start={today.replace(day=1).isoformat()}"
    chart = Table("rm-letter-rate", _("本月目标完成率（%）"), "hbar", [_("指标"), _("完成率（%）")])
    detail = Table("rm-letter", _("本月目标与实际"), "table", [_("指标"), _("目标"), _("实际"), _("完成率（%）")])
    detail.rows = rm_rows(lines)
    for x, row in zip(lines, detail.rows, strict=True):
        rate = completion(x.target, x.actual.value if x.actual else None, lower_better=x.lower_better)
        if rate is not None:
            chart.rows.append([row[0], rate])
            chart.urls.append(url)
    if not lines:
        chart.note = detail.note = _("没有生效的目标责任书。")
    return [chart, detail]


def rm_dashboard(user) -> dict:
    """My book by tier, AUM trend, contacts due and overdue, my complaints and their SLA."""
    book = visible_customers(user).filter(a_rm=user)
    totals = book.aggregate(n=Count("id"), aum=Sum("aum"))
    cases = visible_cases(user).filter(owner=user, status__in=OPEN_STATUSES)
    case_counts = cases.aggregate(
        n=Count("id"), breached=Count("id", filter=Q(ack_breached=True) | Q(answer_breached=True))
    )
    tiles = [
        Tile("book", _("管户数"), totals["n"], _("户"), _url("customers:list", owner="me")),
        Tile("aum", _("管户金融资产"), _wan(totals["aum"]), _("万元"), _url("customers:list", owner="me")),
        *_contact_tiles(visible_statuses(user).filter(a_rm=user)),
        Tile("cases", _("我的未结工单"), case_counts["n"], _("件"), _url("service:case_list", mine=1, status="open")),
        Tile(
            "breached", _("其中已超时"), case_counts["breached"], _("件"), _url("service:case_list", mine=1, breached=1)
        ),
    ]
    tiles.append(week_plan_tile(user))
    targets, target_tiles = targets_table(user)
    tiles += target_tiles
    stages = book.values("stage").annotate(n=Count("id")).order_by("stage")
    labels = dict(Stage.choices)
    stage_table = Table("rm-stages", _("客户生命周期分布"), "bar", [_("阶段"), _("客户数")])
    for r in stages:
        stage_table.rows.append([str(labels.get(r["stage"], r["stage"])), r["n"]])
        stage_table.urls.append(_url("customers:list", owner="me", stage=r["stage"]))
    return {
        "role": RoleCode.RM,
        "title": _("我的客户与工作"),
        "tiles": tiles,
        "tables": [
            _tier_table(book, "rm-tiers", _("管户层级分布"), owner="me"),
            _book_trend([user.pk], "rm-aum-trend", _("管户金融资产走势（近 90 天）")),
            stage_table,
            targets,
            funnel_table(visible_opportunities(user).filter(owner=user), "rm-funnel", _("我的商机漏斗"), mine=1),
            *letter_targets_tables(user),
        ],
    }


def team_dashboard(user) -> dict:
    """Each team member side by side: book, AUM, overdue contacts, journals awaiting review; complaints by stage."""
    members = list(team_members(user).exclude(pk=user.pk).order_by("employee_no", "id"))
    ids = [m.pk for m in members]
    customers = visible_customers(user)
    books = {
        r["a_rm"]: r
        for r in customers.filter(a_rm__in=ids).values("a_rm").annotate(n=Count("id"), aum=Sum("aum")).order_by()
    }
    overdue = dict(
        visible_statuses(user)
        .filter(a_rm__in=ids, status=ContactStatusCode.OVERDUE)
        .values_list("a_rm")
        .annotate(n=Count("pk"))
        .order_by()
    )
    ranking = Table("team-ranking", _("成员管户金融资产排名"), "bar", [_("客户经理"), _("金融资产（万元）")])
    overdue_table = Table("team-overdue", _("成员逾期未联系客户"), "bar", [_("客户经理"), _("逾期户数")])
    for m in sorted(members, key=lambda m: -(books.get(m.pk, {}).get("aum") or 0)):
        name = m.display_name
        ranking.rows.append([name, _wan(books.get(m.pk, {}).get("aum"))])
        ranking.urls.append(_url("customers:list", owner=m.pk))
        overdue_table.rows.append([name, overdue.get(m.pk, 0)])
        overdue_table.urls.append(_url("work:cadence", status=ContactStatusCode.OVERDUE, rm=m.pk))
    awaiting = supervised_journals(user).filter(status=JournalStatus.SUBMITTED).count()
    cases = visible_cases(user).filter(status__in=OPEN_STATUSES)
    by_status = dict(cases.values_list("status").annotate(n=Count("id")).order_by())
    stage_table = Table("team-cases", _("未结工单按环节"), "bar", [_("环节"), _("件数")])
    for code, label in CaseStatus.choices:
        if code in by_status:
            stage_table.rows.append([str(label), by_status[code]])
            stage_table.urls.append(_url("service:case_list", status=code))
    totals = customers.aggregate(n=Count("id"), aum=Sum("aum"))
    tiles = [
        Tile("members", _("团队客户经理"), len(members), _("人"), reverse("work:schedule_team")),
        Tile("customers", _("团队客户"), totals["n"], _("户"), reverse("customers:list")),
        Tile("aum", _("团队金融资产"), _wan(totals["aum"]), _("万元"), reverse("customers:list")),
        Tile("journals", _("待审阅日志"), awaiting, _("份"), _url("work:journals", pending=1)),
        *_contact_tiles(visible_statuses(user)),
        Tile("cases", _("未结工单"), sum(by_status.values()), _("件"), _url("service:case_list", status="open")),
    ]
    return {
        "role": RoleCode.TEAM_LEAD,
        "title": _("团队管理看板"),
        "tiles": tiles,
        "tables": [
            ranking,
            overdue_table,
            stage_table,
            _tier_table(customers, "team-tiers", _("团队客户层级分布")),
            funnel_table(visible_opportunities(user), "team-funnel", _("团队商机漏斗")),
        ],
    }


def _child_units(user):
    unit = home_unit(user)
    if unit is None:
        return None, []
    return unit, list(unit.get_children().order_by("path"))


Q2 = Decimal("0.01")


def _rolled(code: str, start, end, rm_ids: list[int]) -> Measure | None:
    """A kernel indicator over these RMs for the period rolled up into one measure (one grouped pass);
    None when the indicator is not installed or nobody has a figure."""
    indicator = kernel_indicators.registry().get(code)
    if indicator is None or not rm_ids:
        return None
    found = list(indicator.compute(start, end, rm_ids).values())
    return rollup(found, percent=indicator.percent) if found else None


def week_plan_tile(user) -> Tile:
    """本周拜访计划完成率 (issue 16, RM dashboard "this week's schedule completion"): the kernel indicator
    work.visit_completion over Monday to Sunday of this week, the visits of my weekly plan done ÷ planned."""
    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday())
    measure = _rolled("work.visit_completion", monday, monday + timedelta(days=6), [user.pk])
    url = reverse("work:schedule")
    if measure is None or not measure.denominator:
        return Tile("week_plan", _("本周拜访计划完成率"), "—", "", url, note=_("本周没有计划拜访"))
    note = _("已完成 %(done)d / 计划 %(planned)d 次") % {
        "done": int(measure.numerator),
        "planned": int(measure.denominator),
    }
    return Tile("week_plan", _("本周拜访计划完成率"), measure.value.quantize(Decimal("0.1")), "%", url, note=note)


def satisfaction_tile(rm_ids: list[int]) -> Tile:
    """客户满意度 (issue 16 "satisfaction"): the kernel indicator service.satisfaction over this month's survey
    answers about the RMs' customers (the last 30 days when this month has none), Σscore ÷ Σanswers."""
    today = timezone.localdate()
    period, measure = _("本月"), _rolled("service.satisfaction", today.replace(day=1), today, rm_ids)
    if measure is None or not measure.denominator:
        period, measure = _("近 30 天"), _rolled("service.satisfaction", today - timedelta(days=29), today, rm_ids)
    url = reverse("service:satisfaction")
    if measure is None or not measure.denominator:
        return Tile("satisfaction", _("客户满意度"), "—", "", url, note=_("近 30 天没有满意度答卷"))
    note = _("%(period)s %(n)d 份答卷") % {"period": period, "n": int(measure.denominator)}
    return Tile("satisfaction", _("客户满意度"), measure.value.quantize(Q2), _("分"), url, note=note)


def churn_tile(rm_ids: list[int]) -> Tile:
    """重点客户流失率 against its target (issue 16 "churn vs target"): the kernel indicator service.key_churn
    year to date over the RMs (Σlost ÷ Σ(held + lost)), against the service app's ChurnTarget without a tier
    (the ceiling for every tiered customer the pack sets); over the target shows a 'bad' state."""
    today = timezone.localdate()
    measure = _rolled("service.key_churn", today.replace(month=1, day=1), today, rm_ids)
    target = ChurnTarget.objects.filter(tier__isnull=True).values_list("max_rate", flat=True).first()
    value = measure.value.quantize(Q2) if measure is not None and measure.denominator else None
    notes = [_("本年累计")]
    notes.append(_("目标 ≤ %(rate)s %%") % {"rate": target} if target is not None else _("未设定流失率目标"))
    state = label = ""
    if value is not None and target is not None:
        state, label = ("bad", _("超出目标")) if value > target else ("ok", _("达标"))
    return Tile(
        "churn",
        _("重点客户流失率"),
        value if value is not None else "—",
        "%" if value is not None else "",
        reverse("service:churn"),
        note=" · ".join(str(n) for n in notes),
        state=state,
        state_label=label,
    )


def plan_by_unit_table(members, children) -> Table:
    """本月计划完成率（按机构） (issue 16 "plan completion by unit"): this month's target-letter targets of the
    RMs under each child unit against their actual, per indicator (reports_plan's rollup and completion rule),
    every bar opening the plan completion report for that unit. The targets and indicators are read once for
    every RM; the grouping by unit is done here."""
    from .reports_plan import DASH, _group_rows, target_lines

    today = timezone.localdate()
    month_start = today.replace(day=1)
    home = {m.pk: (m.team or m.unit) for m in members}
    groups = [(c, [pk for pk, h in home.items() if h is not None and h.path.startswith(c.path)]) for c in children]
    groups = [(c, ids) for c, ids in groups if ids]
    lines = target_lines([pk for _c, ids in groups for pk in ids], month_start, today)
    by_unit: dict[str, dict[str, object]] = {}
    names: list[str] = []
    for label, name, _target, _actual, rate in _group_rows([(str(c.pk), ids) for c, ids in groups], lines):
        by_unit.setdefault(label, {})[name] = rate
        if name not in names:
            names.append(name)
    names = [n for n in names if any(rates.get(n, DASH) != DASH for rates in by_unit.values())]
    table = Table("branch-plan-units", _("本月计划完成率（按机构）"), "bar", [_("机构"), *names])
    base = reverse("analytics:report", args=["plan-completion"])
    for child, _ids in groups:
        rates = by_unit.get(str(child.pk))
        if not rates or not names:
            continue
        table.rows.append([child.name, *[rates.get(n, DASH) for n in names]])
        table.urls.append(f"{base}?start={month_start.isoformat()}&end={today.isoformat()}&unit={child.pk}")
    if not table.rows:
        table.note = _("下级机构本月没有生效的目标责任书。")
    return table


def branch_dashboard(user) -> dict:
    """KPI tiles (with satisfaction and key-customer churn against its target), AUM trend and tier mix by
    sub-unit, tier migration, complaint SLA and plan completion by unit."""
    today = timezone.localdate()
    month_start = today.replace(day=1)
    customers = visible_customers(user)
    totals = customers.aggregate(
        n=Count("id"),
        aum=Sum("aum"),
        new=Count("id", filter=Q(created_at__gte=_midnight(month_start))),
        at_risk=Count("id", filter=Q(stage__in=[Stage.AT_RISK, Stage.LOST])),
    )
    paths = subtree_paths(user)
    path_q = Q()
    for p in paths:
        path_q |= Q(org_path__startswith=p)
    past_day = (
        UnitTierSnapshot.objects.filter(path_q, day__lte=today - timedelta(days=30))
        .order_by("-day")
        .values_list("day", flat=True)
        .first()
        if paths
        else None
    )
    past_aum = UnitTierSnapshot.objects.filter(path_q, day=past_day).aggregate(s=Sum("aum"))["s"] if past_day else None
    growth = ((Decimal(totals["aum"] or 0) - past_aum) / past_aum * 100).quantize(Decimal("0.01")) if past_aum else None
    cases = visible_cases(user).filter(kind=CaseKind.COMPLAINT, registered_at__gte=_midnight(month_start))
    case_totals = cases.aggregate(
        n=Count("id"), breached=Count("id", filter=Q(ack_breached=True) | Q(answer_breached=True))
    )
    tiles = [
        Tile("customers", _("客户总数"), totals["n"], _("户"), reverse("customers:list")),
        Tile("aum", _("金融资产"), _wan(totals["aum"]), _("万元"), reverse("customers:list")),
        Tile(
            "growth",
            _("较 30 天前增长"),
            growth if growth is not None else "—",
            "%" if growth is not None else "",
            reverse("analytics:report", args=["aum-trend"]),
            note="" if growth is not None else _("尚无 30 天前的快照"),
        ),
        Tile("new", _("本月新增客户"), totals["new"], _("户"), reverse("customers:list")),
        Tile("at_risk", _("流失预警及流失"), totals["at_risk"], _("户"), _url("customers:list", stage=Stage.AT_RISK)),
        Tile(
            "complaints", _("本月投诉"), case_totals["n"], _("件"), _url("service:case_list", kind=CaseKind.COMPLAINT)
        ),
        Tile("breached", _("其中超时"), case_totals["breached"], _("件"), _url("service:case_list", breached=1)),
    ]
    from .reports_plan import members_in  # reports_plan builds on reports, which builds on this module

    unit, children = _child_units(user)
    members = members_in(user, unit)
    rm_ids = [m.pk for m in members]
    tiles += [churn_tile(rm_ids), satisfaction_tile(rm_ids)]
    tables = []
    if children:
        mix = Table("branch-tier-mix", _("下级机构客户层级结构"), "stack", [_("机构")])
        tier_names: list[str] = []
        per_child = []
        for child in children:
            rows = dict(
                customers.filter(org_path__startswith=child.path)
                .values_list("tier__name")
                .annotate(n=Count("id"))
                .order_by()
            )
            per_child.append((child, rows))
            for name in rows:
                label = name or _("未分层")
                if label not in tier_names:
                    tier_names.append(label)
        mix.columns += tier_names
        for child, rows in per_child:
            named = {(k or _("未分层")): v for k, v in rows.items()}
            mix.rows.append([child.name, *[named.get(t, 0) for t in tier_names]])
            mix.urls.append(reverse("org:unit_detail", args=[child.pk]))
        tables.append(mix)
        sla = Table("branch-sla", _("本月投诉及超时（按机构）"), "bar", [_("机构"), _("投诉"), _("超时")])
        for child in children:
            c = cases.filter(org_path__startswith=child.path).aggregate(
                n=Count("id"), b=Count("id", filter=Q(ack_breached=True) | Q(answer_breached=True))
            )
            sla.rows.append([child.name, c["n"], c["b"]])
        tables.append(sla)
        tables.append(aum_trend_by_unit(children, "branch-aum-trend", _("下级机构金融资产走势（近 90 天）")))
        tables.append(plan_by_unit_table(members, children))
    moves = TierChange.objects.filter(path_q if paths else Q(pk__in=[]), at__gte=_midnight(month_start))
    migration = Table("branch-migration", _("本月客户层级升降"), "bar", [_("方向"), _("客户数")])
    by_dir = dict(moves.values_list("direction").annotate(n=Count("id")).order_by())
    for code, label in TierDirection.choices:
        migration.rows.append([str(label), by_dir.get(code, 0)])
    migration.urls = [reverse("analytics:report", args=["tier-migration"])] * len(migration.rows)
    tables.append(migration)
    tables.append(_tier_table(customers, "branch-tiers", _("客户层级分布")))
    tables.append(funnel_table(visible_opportunities(user), "branch-funnel", _("商机漏斗")))
    return {"role": RoleCode.BRANCH_MANAGER, "title": _("经营管理看板"), "tiles": tiles, "tables": tables}


def aum_trend_by_unit(units: list[OrgUnit], table_id: str, title: str, days: int = 90) -> Table:
    since = timezone.localdate() - timedelta(days=days)
    table = Table(table_id, title, "line", [_("日期"), *[u.name for u in units]])
    series = {}
    for i, u in enumerate(units):
        for day, aum in (
            UnitTierSnapshot.objects.filter(org_path__startswith=u.path, day__gte=since)
            .values_list("day")
            .annotate(s=Sum("aum"))
            .order_by("day")
        ):
            series.setdefault(day, [Decimal(0)] * len(units))[i] = _wan(aum)
    table.rows = [[day.isoformat(), *values] for day, values in sorted(series.items())]
    if not table.rows:
        table.note = _("尚无历史快照：每日批处理（run_analytics）运行后显示趋势。")
    return table


def risk_dashboard(user) -> dict:
    """Applications in the chain and their ages, post-loan checks due, warnings by level."""
    today = timezone.localdate()
    in_review = visible_applications(user).filter(status=AppStatus.IN_REVIEW)
    ages = Table("risk-ages", _("审批中的授信申请（按提交天数）"), "bar", [_("已提交"), _("笔数")])
    buckets = ((0, 3, _("3 天内")), (3, 5, _("3–5 天")), (5, 10, _("5–10 天")), (10, 100000, _("10 天以上")))
    submitted = list(in_review.values_list("submitted_at", flat=True))
    for low, high, label in buckets:
        n = sum(1 for s in submitted if s is not None and low <= (today - timezone.localdate(s)).days < high)
        ages.rows.append([str(label), n])
    ages.urls = [_url("credit:application_list", status=AppStatus.IN_REVIEW)] * len(ages.rows)
    checks = visible_checks(user).filter(done_at__isnull=True)
    check_counts = checks.aggregate(
        overdue=Count("id", filter=Q(due_on__lt=today)),
        soon=Count("id", filter=Q(due_on__gte=today, due_on__lte=today + timedelta(days=15))),
    )
    warnings = visible_warnings(user).exclude(status=WarningStatus.CLOSED)
    by_level = dict(warnings.values_list("level").annotate(n=Count("id")).order_by())
    levels = Table("risk-warnings", _("未解除预警（按级别）"), "bar", [_("级别"), _("笔数")])
    for code, label in WarningLevel.choices:
        levels.rows.append([str(label), by_level.get(code, 0)])
        levels.urls.append(reverse("credit:warning_board"))
    tiles = [
        Tile(
            "in_review",
            _("审批中"),
            len(submitted),
            _("笔"),
            _url("credit:application_list", status=AppStatus.IN_REVIEW),
        ),
        Tile("checks_overdue", _("逾期未做贷后检查"), check_counts["overdue"], _("笔"), reverse("credit:check_list")),
        Tile("checks_soon", _("15 天内到期贷后检查"), check_counts["soon"], _("笔"), reverse("credit:check_list")),
        Tile("warnings", _("未解除预警"), sum(by_level.values()), _("笔"), reverse("credit:warning_board")),
    ]
    return {"role": RoleCode.RISK, "title": _("风险管理看板"), "tiles": tiles, "tables": [ages, levels]}


def compliance_dashboard(user) -> dict:
    """Pledges outstanding and signed per round, violations by rule, ladder step and unit, open anomalies, reveals
    and exports of customer data by day (the compliance app's scope functions), and complaints by category."""
    today = timezone.localdate()
    month_start = today.replace(day=1)
    year_start = today.replace(month=1, day=1)
    since = today - timedelta(days=29)

    obligations = visible_obligations(user).filter(round__status=RoundStatus.OPEN)
    per_round = (
        obligations.values("round_id", "round__name", "round__deadline")
        .annotate(signed=Count("id", filter=Q(signed_at__isnull=False)), unsigned=Count("id", filter=Q(signed_at=None)))
        .order_by("round__deadline", "round_id")
    )
    pledges = Table(
        "compliance-pledges", _("承诺书签署情况（进行中的批次）"), "stack", [_("批次"), _("已签署"), _("未签署")]
    )
    for r in per_round:
        pledges.rows.append([r["round__name"], r["signed"], r["unsigned"]])
        pledges.urls.append(reverse("compliance:round_detail", args=[r["round_id"]]))
    outstanding = sum(r[2] for r in pledges.rows)
    overdue_pledges = obligations.filter(signed_at=None, round__deadline__lt=today).count()

    violations = visible_violations(user).filter(occurred_on__gte=year_start).exclude(status=ViolationStatus.DISMISSED)
    by_rule = Table("compliance-violations-rule", _("本年违规（按条款）"), "bar", [_("条款"), _("件数")])
    for r in violations.values("rule__order", "rule__text").annotate(n=Count("id")).order_by("-n", "rule__order")[:15]:
        by_rule.rows.append([f"{r['rule__order']}. {r['rule__text'][:24]}", r["n"]])
        by_rule.urls.append(reverse("compliance:violation_list"))
    ladder = Table("compliance-ladder", _("本年已认定违规（按处理档次）"), "bar", [_("处理"), _("件数")])
    by_penalty = dict(
        violations.filter(status=ViolationStatus.CONFIRMED).values_list("penalty").annotate(n=Count("id")).order_by()
    )
    for code, label in Penalty.choices:
        ladder.rows.append([str(label), by_penalty.get(code, 0)])
        ladder.urls.append(reverse("compliance:violation_list"))
    tables = [pledges, by_rule, ladder]
    _unit, children = _child_units(user)
    if children:
        by_unit = Table("compliance-violations-unit", _("本年违规（按机构）"), "bar", [_("机构"), _("件数")])
        counts = violations.aggregate(
            **{f"u{i}": Count("id", filter=Q(org_path__startswith=c.path)) for i, c in enumerate(children)}
        )
        for i, child in enumerate(children):
            by_unit.rows.append([child.name, counts[f"u{i}"]])
        tables.append(by_unit)

    findings = visible_findings(user).filter(status=FindingStatus.OPEN)
    by_anomaly = dict(findings.values_list("rule").annotate(n=Count("id")).order_by())
    anomalies = Table("compliance-anomalies", _("待处理异常线索（按类型）"), "bar", [_("异常类型"), _("条数")])
    for code, label in AnomalyRule.choices:
        anomalies.rows.append([str(label), by_anomaly.get(code, 0)])
        anomalies.urls.append(_url("compliance:finding_list", rule=code))
    tables.append(anomalies)

    events = (
        visible_access_events(user)
        .filter(
            at__gte=_midnight(since),
            action__in=["customers.reveal", "customers.export", "customers.personal_data_export"],
        )
        .annotate(day=TruncDate("at"))
        .values("day", "action")
        .annotate(n=Count("id"))
        .order_by()
    )
    per_day: dict = {}
    for r in events:
        slot = per_day.setdefault(r["day"], [0, 0])
        slot[0 if r["action"] == "customers.reveal" else 1] += r["n"]
    access = Table(
        "compliance-access", _("近 30 天查看明文与导出（按日）"), "line", [_("日期"), _("查看明文"), _("导出")]
    )
    for i in range(30):
        day = since + timedelta(days=i)
        reveals, exports = per_day.get(day, (0, 0))
        access.rows.append([day.isoformat(), reveals, exports])
        access.urls.append(_url("compliance:access_audit", start=day.isoformat(), end=day.isoformat()))
    tables.append(access)

    cases = visible_cases(user).filter(kind=CaseKind.COMPLAINT, registered_at__gte=_midnight(month_start))
    by_cat = cases.values("category_id", "category__name").annotate(n=Count("id")).order_by("-n")
    complaints = Table("compliance-complaints", _("本月投诉（按类别）"), "bar", [_("类别"), _("件数")])
    for r in by_cat:
        complaints.rows.append([r["category__name"], r["n"]])
        complaints.urls.append(_url("service:case_list", kind=CaseKind.COMPLAINT, category=r["category_id"]))
    tables.append(complaints)

    tiles = [
        Tile("pledges", _("未签署承诺书"), outstanding, _("人次"), reverse("compliance:round_list")),
        Tile("pledges_overdue", _("其中已过截止日"), overdue_pledges, _("人次"), reverse("compliance:round_list")),
        Tile(
            "violations_pending",
            _("待认定违规"),
            visible_violations(user).filter(status=ViolationStatus.PENDING).count(),
            _("件"),
            _url("compliance:violation_list", status=ViolationStatus.PENDING),
        ),
        Tile("violations", _("本年违规"), violations.count(), _("件"), reverse("compliance:violation_list")),
        Tile("anomalies", _("待处理异常线索"), sum(by_anomaly.values()), _("条"), reverse("compliance:finding_list")),
        Tile(
            "reveals",
            _("近 30 天查看明文"),
            sum(r[1] for r in access.rows),
            _("次"),
            reverse("compliance:access_audit"),
        ),
        Tile("exports", _("近 30 天导出"), sum(r[2] for r in access.rows), _("次"), reverse("compliance:access_audit")),
        Tile("complaints", _("本月投诉"), cases.count(), _("件"), _url("service:case_list", kind=CaseKind.COMPLAINT)),
    ]
    return {"role": RoleCode.COMPLIANCE, "title": _("合规看板"), "tiles": tiles, "tables": tables}


BUILDERS = {
    RoleCode.RM: rm_dashboard,
    RoleCode.TEAM_LEAD: team_dashboard,
    RoleCode.BRANCH_MANAGER: branch_dashboard,
    RoleCode.RISK: risk_dashboard,
    RoleCode.COMPLIANCE: compliance_dashboard,
}


#: how long a computed dashboard is reused for the same person, role, login and language (seconds; 0: never)
CACHE_SECONDS = 60


def cached_dashboard(user, role: str | None = None) -> dict | None:
    """`dashboard_for`, reused for CACHE_SECONDS (RMDESK_DASHBOARD_CACHE_SECONDS) from the default cache: the
    figures of a dashboard opened again within a minute (home page, back button, the API polled by a BI tool)
    are not recomputed. The key holds the person, the chosen role, the language of the labels and the time
    of their last login, so signing in again always shows fresh figures. A board kept this way carries a
    random `stamp` (one per computation): what is drawn from it may be kept under that stamp (`board_drawing`)."""
    import secrets

    from django.conf import settings
    from django.core.cache import cache
    from django.utils.translation import get_language

    seconds = getattr(settings, "RMDESK_DASHBOARD_CACHE_SECONDS", CACHE_SECONDS)
    if not seconds or not getattr(user, "pk", None):
        return dashboard_for(user, role)
    login = user.last_login.timestamp() if user.last_login else 0
    key = f"analytics:dash:{user.pk}:{role or ''}:{get_language()}:{login}"
    board = cache.get(key)
    if board is None:
        board = dashboard_for(user, role)
        if board is not None:
            board["stamp"] = secrets.token_hex(8)
        cache.set(key, board, seconds)
    return board


def board_drawing(board: dict, draw) -> str:
    """`draw(board)` (the board's HTML), kept beside a cached board under its stamp and the language for as long
    as the board itself (issue 18: the home page draws the board on every view, and drawing its charts' data
    tables cost more than the rest of the home panels' Python together). A board recomputed has a new stamp, so
    the drawing is never older than the figures it shows; a board not cached (no stamp) is drawn every time."""
    from django.conf import settings
    from django.core.cache import cache
    from django.utils.translation import get_language

    stamp = board.get("stamp")
    seconds = getattr(settings, "RMDESK_DASHBOARD_CACHE_SECONDS", CACHE_SECONDS)
    if not stamp or not seconds:
        return draw(board)
    key = f"analytics:dash-drawn:{stamp}:{get_language()}"
    html = cache.get(key)
    if html is None:
        html = draw(board)
        cache.set(key, html, seconds)
    return html


def dashboard_for(user, role: str | None = None) -> dict | None:
    """The dashboard of `role` (one the person holds), or of their first role in ORDER; None for roles without one."""
    roles = dashboard_roles(user)
    if not roles:
        return None
    chosen = role if role in roles else roles[0]
    board = BUILDERS[chosen](user)
    board["roles"] = roles
    return board
