"""Targets against actual and the plan completion report (计划完成情况, SPEC §11 "plan completion"; §9 target
letters; issue 16 "my targets vs actual (from the target letter when it exists)").

Targets come through the kernel's registry (rmdesk.core.targets: performance publishes its active letters'
targets there; analytics may not import performance). Actual figures are the kernel indicators' own
(rmdesk.core.indicators), computed once per indicator for every RM in one grouped pass; a hand-entered
indicator's actual comes with its target. Team and unit rows roll up the RMs: targets and amounts add up, a
rate's actual is Σnumerator / Σdenominator and it has no summed target. Completion is actual ÷ target × 100; for
an indicator where lower is better, target ÷ actual × 100 (an actual of 0 meets it: 100).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.urls import reverse
from django.utils.translation import gettext as _, gettext_lazy

from rmdesk.core import indicators as kernel_indicators
from rmdesk.core.indicators import Direction, Measure, rollup
from rmdesk.core.targets import targets_for

from .figures import Table
from .reports import Report

#: the work plan indicators shown beside the targets (visit schedules and journals, SPEC §3)
PLAN_CODES = ("work.visit_completion", "work.journal_punctuality")
DASH = "—"
Q1 = Decimal("0.1")
Q2 = Decimal("0.01")


@dataclass
class Line:
    """One RM's target of one indicator with its actual (a Measure, None when there is no figure)."""

    rm_id: int
    code: str
    name: str
    unit: str
    target: Decimal
    percent: bool
    lower_better: bool
    actual: Measure | None


def completion(target, actual, *, lower_better: bool = False) -> Decimal | None:
    """Completion in percent (one decimal), or None without a target or an actual."""
    if actual is None or target is None:
        return None
    target, actual = Decimal(target), Decimal(actual)
    if lower_better:
        if actual <= 0:
            return Decimal(100).quantize(Q1)
        return (target / actual * 100).quantize(Q1)
    if target <= 0:
        return None
    return (actual / target * 100).quantize(Q1)


def target_lines(rm_ids, start: date, end: date) -> list[Line]:
    """The targets of these RMs for the period, each with its actual."""
    rm_ids = list(rm_ids)
    targets = targets_for(rm_ids, start, end)
    by_code: dict[str, set[int]] = defaultdict(set)
    for t in targets:
        if t.computed:
            by_code[t.code].add(t.rm_id)
    registry = kernel_indicators.registry()
    actuals: dict[str, dict[int, Measure]] = {}
    for code, ids in by_code.items():
        indicator = registry.get(code)
        actuals[code] = indicator.compute(start, end, sorted(ids)) if indicator is not None else {}
    zero = Measure(Decimal(0))
    lines = []
    for t in targets:
        indicator = registry.get(t.code) if t.computed else None
        if t.computed:
            actual = actuals[t.code].get(t.rm_id, zero) if indicator is not None else None
        else:
            actual = Measure(t.actual) if t.actual is not None else None
        lower = indicator is not None and indicator.direction == Direction.LOWER
        lines.append(Line(t.rm_id, t.code, str(t.name), str(t.unit), t.target, t.percent, lower, actual))
    return sorted(lines, key=lambda x: (x.code, x.rm_id))


def _value(measure: Measure | None):
    return measure.value.quantize(Q2) if measure is not None else DASH


def _rate(value):
    return value if value is not None else DASH


def rm_rows(lines: list[Line]) -> list[list]:
    """[indicator (unit), target, actual, completion %] per line, for one RM's dashboard."""
    rows = []
    for x in lines:
        actual = x.actual.value if x.actual is not None else None
        rows.append(
            [
                f"{x.name}（{x.unit}）" if x.unit else x.name,
                x.target.quantize(Q2),
                _value(x.actual),
                _rate(completion(x.target, actual, lower_better=x.lower_better)),
            ]
        )
    return rows


def _group_rows(groups: list[tuple[str, list[int]]], lines: list[Line]) -> list[list]:
    """[group, indicator, target, actual, completion] rolled up over each group's RMs."""
    by_code: dict[str, list[Line]] = defaultdict(list)
    for x in lines:
        by_code[x.code].append(x)
    rows = []
    for label, ids in groups:
        members = set(ids)
        for _code, found in sorted(by_code.items()):
            mine = [x for x in found if x.rm_id in members]
            if not mine:
                continue
            first = mine[0]
            measures = [x.actual for x in mine if x.actual is not None]
            actual = rollup(measures, percent=first.percent) if measures else None
            if first.percent:  # a rate's target does not add up: the group has one when everyone has the same
                same = {x.target for x in mine}
                target = same.pop() if len(same) == 1 else None
            else:
                target = sum((x.target for x in mine), Decimal(0))
            rate = completion(target, actual.value if actual else None, lower_better=first.lower_better)
            rows.append(
                [
                    label,
                    f"{first.name}（{first.unit}）" if first.unit else first.name,
                    target.quantize(Q2) if target is not None else DASH,
                    _value(actual),
                    _rate(rate),
                ]
            )
    return rows


def members_in(user, unit) -> list:
    """The RMs the viewer may see (work's team_members: their subtree and the staff they supervise) whose team or
    unit lies in `unit`; an RM who sees no one else sees themselves. The unit need not be inside the viewer's
    subtree (a team lead's home unit is the outlet above their team): the scope comes from team_members."""
    from rmdesk.work.scope import team_members

    members = list(team_members(user).select_related("team", "unit"))
    if unit is not None:
        members = [m for m in members if (m.team or m.unit) and (m.team or m.unit).path.startswith(unit.path)]
    if not members and user.has_role("rm"):
        members = [user]
    return sorted(members, key=lambda m: (m.employee_no or "", m.pk))


def plan_completion(user, start: date, end: date, unit) -> Report:
    """计划完成情况: per RM, team and sub-unit in the viewer's scope, each target against its actual with the
    completion rate, and the visit plans and journals kept (work's plan indicators)."""
    members = members_in(user, unit)
    names = {m.pk: m.display_name for m in members}
    home = {m.pk: (m.team or m.unit) for m in members}
    lines = target_lines(names, start, end)
    group_cols = [_("指标"), _("目标"), _("实际"), _("完成率（%）")]

    # the chart: completion of each indicator over everyone shown
    overall = _group_rows([(_("合计"), list(names))], lines)
    chart = Table("plan-completion-chart", _("目标完成率（%）"), "hbar", [_("指标"), _("完成率（%）")])
    url = reverse("analytics:report", args=["plan-completion"])
    for _label, name, _target, _actual, rate in overall:
        if rate != DASH:
            chart.rows.append([name, rate])
            chart.urls.append(url)
    if not lines:
        chart.note = _("所选期间没有生效的目标责任书。")

    per_rm = Table("plan-completion-rm", _("客户经理目标完成情况"), "table", [_("客户经理"), _("团队"), *group_cols])
    for x in sorted(lines, key=lambda x: ([m.pk for m in members].index(x.rm_id), x.code)):
        row = rm_rows([x])[0]
        team = home.get(x.rm_id)
        per_rm.rows.append([names[x.rm_id], team.name if team else DASH, *row])
    per_rm.note = _("目标来自生效的目标责任书：期间所涉各月的月度目标之和；比率类指标取年度目标。")

    tables = [chart, per_rm]
    teams: dict[int, list[int]] = defaultdict(list)
    team_names = {}
    for m in members:
        if home[m.pk] is not None:
            teams[home[m.pk].pk].append(m.pk)
            team_names[home[m.pk].pk] = home[m.pk].name
    if len(teams) > 1 or (len(members) > 1 and teams):
        per_team = Table("plan-completion-team", _("团队目标完成情况"), "table", [_("团队"), *group_cols])
        per_team.rows = _group_rows(sorted((team_names[k], v) for k, v in teams.items()), lines)
        per_team.note = _("比率类指标的实际值为各人分子之和除以分母之和；各人目标相同时即为团队目标，否则不列目标。")
        tables.append(per_team)
    children = list(unit.get_children().order_by("path")) if unit is not None and len(members) > 1 else []
    if children and members:
        groups = [
            (c.name, [m.pk for m in members if home[m.pk] and home[m.pk].path.startswith(c.path)]) for c in children
        ]
        per_unit = Table("plan-completion-unit", _("机构目标完成情况"), "table", [_("机构"), *group_cols])
        per_unit.rows = _group_rows([g for g in groups if g[1]], lines)
        if per_unit.rows:
            tables.append(per_unit)

    # the work plans kept: visit schedules and journals on time
    registry = kernel_indicators.registry()
    found = [registry[c] for c in PLAN_CODES if c in registry]
    if found and members:
        ids = list(names)
        values = {i.code: i.compute(start, end, ids) for i in found}
        plans = Table(
            "plan-completion-work", _("工作计划执行情况"), "bar", [_("客户经理"), *[f"{i.name}（%）" for i in found]]
        )
        for m in members:
            plans.rows.append([names[m.pk], *[_value(values[i.code].get(m.pk)) for i in found]])
        if len(members) > 1:
            total = [rollup([values[i.code].get(pk, Measure(Decimal(0))) for pk in ids], percent=True) for i in found]
            plans.rows.append([_("合计"), *[t.value.quantize(Q2) for t in total]])
        plans.note = _(
            "拜访计划完成率：日程中计划拜访的客户在计划日及以后有拜访记录的比例；日志按时提交率：应交日当天或之前提交的比例。"
        )
        tables.append(plans)
    return Report("plan-completion", _("计划完成情况报告"), start, end, unit, tables)


REPORTS = {"plan-completion": (gettext_lazy("计划完成情况报告"), plan_completion)}
