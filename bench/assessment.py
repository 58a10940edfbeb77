"""Item 8 (issue 15): one month's assessment of every RM of the dataset's whole org tree (branch size:
1,000 RMs, 1,000,000 customers) with a 20-indicator scorecard, through `performance.services.compute_run`
(set-based: one grouped computation per indicator for all RMs, bulk-inserted results and snapshots).

The scorecard takes every computed indicator the apps declare (up to 20) and fills the rest with manual
indicators (supervisor-entered; one query for all of them), so the figure grows as apps add indicators. It
runs inside a transaction that is rolled back, so the bench dataset stays the same from run to run.
"""

import time

from django.db import transaction

from bench.items import Budget, Figure, NotBuilt

INDICATORS = 20
#: the issue's own examples first (customers, work, service, sales, credit, compliance), so the figure measures the
#: indicators a real scorecard uses rather than whichever sort first; the rest of the registry fills up to 20
PREFERRED = (
    "customers.new_customers", "customers.aum", "customers.aum_growth", "customers.completeness",
    "customers.tier_upgrades", "customers.high_end", "work.contacts", "work.visit_completion",
    "work.journal_punctuality", "service.satisfaction", "service.valid_complaints", "service.key_churn",
    "sales.product_sales_amount", "sales.product_sales_count", "sales.referral_conversions",
    "sales.opportunities_won", "credit.loans_granted_amount", "credit.loan_quality", "compliance.violation_points",
    "people.inspection_score",
)  # fmt: skip
#: the sales book-mix indicators scan the whole book in Python once per RM (O(RMs x customers), see
#: sales/indicators.py `_holdings_by_rm`): at branch size they would take hours, so they are timed apart on a
#: sample of RMs (figure 8b, information) until sales computes them set-based
BOOK_MIX = ("sales.cross_sell_rate", "sales.coverage", "sales.penetration")
BOOK_MIX_SAMPLE = 50


class _Rollback(Exception):
    pass


def item_8(ctx) -> list[Figure]:
    fig = Figure(
        "8",
        f"assessment: one month, every RM, {INDICATORS}-indicator scorecard",
        "service",
        unit="s",
        budget=Budget("value", "<=", 60, "s"),
    )
    try:
        from rmdesk.performance import services
        from rmdesk.performance.models import IndicatorSetting, IndicatorSource
    except ImportError:
        fig.na = "not built yet: rmdesk.performance.services.compute_run"
        return [fig]
    from datetime import timedelta

    from django.utils import timezone

    from rmdesk.org.models import OrgUnit, Role, RoleCode, User

    root = OrgUnit.get_root_nodes().first()
    if root is None:
        raise NotBuilt("an org tree")
    try:
        with transaction.atomic():
            boss = User.objects.create(username="bench_assessor", full_name="基准考核人", unit=root)
            boss.roles.set([Role.objects.get_or_create(code=RoleCode.BRANCH_MANAGER)[0]])
            services.sync_library()
            settings = {
                s.code: s
                for s in IndicatorSetting.objects.filter(
                    source=IndicatorSource.COMPUTED, code__in=list(services.registry())
                )
            }
            codes = [c for c in PREFERRED if c in settings]
            codes += [c for c in sorted(settings) if c not in codes and c not in BOOK_MIX]
            computed = [settings[c] for c in codes[:INDICATORS]]
            manual = [
                IndicatorSetting.objects.create(
                    code=f"bench.manual_{i}", name=f"手工指标{i}", source=IndicatorSource.MANUAL
                )
                for i in range(INDICATORS - len(computed))
            ]
            weight = f"{1 / INDICATORS:.6f}"
            items = [{"indicator_id": s.pk, "weight": weight, "x_low": "0", "x_high": "100"} for s in computed + manual]
            items[-1]["weight"] = f"{1 - float(weight) * (INDICATORS - 1):.6f}"
            card = services.save_scorecard(
                boss,
                name="基准月度考核",
                year=timezone.localdate().year,
                period_type="monthly",
                unit_id=root.pk,
                items=items,
            )
            last = timezone.localdate().replace(day=1) - timedelta(days=1)
            timings = _time_indicators(services.registry())
            try:
                t0 = time.perf_counter()
                run = services.compute_run(boss, card.pk, unit_id=root.pk, year=last.year, number=last.month)
                fig.value = time.perf_counter() - t0
            finally:
                _restore(services.registry(), timings)
            fig.extra = {
                "RMs": run.results.count(),
                "computed indicators": len(computed),
                "manual indicators": len(manual),
                "snapshot rows": run.results.count() * INDICATORS,
                "indicators (s)": round(sum(timings["spent"].values()), 2),
                "slowest": ", ".join(
                    f"{code} {sec:.2f}" for code, sec in sorted(timings["spent"].items(), key=lambda kv: -kv[1])[:3]
                ),
            }
            raise _Rollback
    except _Rollback:
        pass
    ctx.log(f"  item 8: {fig.extra}")
    return [fig, _book_mix(services.registry())]


def _book_mix(reg: dict) -> Figure:
    """Figure 8b: the sales book-mix indicators for a sample of RMs (information, no budget)."""
    from rmdesk.org.models import RoleCode, User

    fig = Figure("8", f"sales book-mix indicators, {BOOK_MIX_SAMPLE} RMs (information)", "service", unit="s")
    present = [c for c in BOOK_MIX if c in reg]
    if not present:
        fig.na = "no sales book-mix indicator registered"
        return fig
    rms = list(User.objects.filter(roles__code=RoleCode.RM).order_by("pk").values_list("pk", flat=True))
    sample = rms[:BOOK_MIX_SAMPLE]
    from django.utils import timezone

    end = timezone.localdate().replace(day=1)
    start = end.replace(month=end.month - 1) if end.month > 1 else end.replace(year=end.year - 1, month=12)
    spent = {}
    for code in present:
        t = time.perf_counter()
        reg[code].compute(start, end, sample)
        spent[code] = time.perf_counter() - t
    fig.value = sum(spent.values())
    fig.extra = {
        "RMs in sample": len(sample),
        "RMs in dataset": len(rms),
        **{code: round(sec, 2) for code, sec in spent.items()},
    }
    return fig


def _time_indicators(reg: dict) -> dict:
    """Wrap each indicator's compute to time it (the registry is a cached dict of frozen dataclasses: the
    entries are swapped for timed copies and put back by `_restore`)."""
    from dataclasses import replace

    spent: dict[str, float] = {}
    originals = dict(reg)

    def timed(code, fn):
        def compute(start, end, rm_ids):
            t = time.perf_counter()
            try:
                return fn(start, end, rm_ids)
            finally:
                spent[code] = spent.get(code, 0.0) + time.perf_counter() - t

        return compute

    for code, ind in originals.items():
        reg[code] = replace(ind, compute=timed(code, ind.compute))
    return {"spent": spent, "originals": originals}


def _restore(reg: dict, timings: dict) -> None:
    reg.update(timings["originals"])
