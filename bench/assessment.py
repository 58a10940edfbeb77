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
            computed = list(
                IndicatorSetting.objects.filter(
                    source=IndicatorSource.COMPUTED, code__in=list(services.registry())
                ).order_by("code")[:INDICATORS]
            )
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
            t0 = time.perf_counter()
            run = services.compute_run(boss, card.pk, unit_id=root.pk, year=last.year, number=last.month)
            fig.value = time.perf_counter() - t0
            fig.extra = {
                "RMs": run.results.count(),
                "computed indicators": len(computed),
                "manual indicators": len(manual),
                "snapshot rows": run.results.count() * INDICATORS,
            }
            raise _Rollback
    except _Rollback:
        pass
    ctx.log(f"  item 8: {fig.extra}")
    return [fig]
