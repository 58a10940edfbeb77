"""Demo data of the performance app (SPEC §9): a branch's monthly scorecard with AHP weights over the
indicators the apps declare, a year of monthly runs of the first branch manager's unit (published, with
rankings, grades and trends), a team-level month under review for the team lead, two annual runs (so
promotion/demotion advice appears), target letters, a pay sheet and an appeal in the approval centre.

Everything goes through the services. Idempotent: does nothing when the demo scorecard exists, and nothing
without RMs under a branch manager.
"""

from django.utils import timezone

from rmdesk.core.roles import RoleCode
from rmdesk.org.models import User

from . import services
from .models import IndicatorSetting, Scorecard
from .scope import managed_rms

NAME = "客户经理月度综合考核"
ANNUAL = "客户经理年度考核"
#: (indicator code, x_low, x_high); the AHP matrix below ranks them in this order, then 工作态度
ITEMS = [
    ("customers.new_customers", 0, 6),
    ("work.contacts", 0, 40),
    ("customers.completeness", 50, 100),
    ("service.valid_complaints", 0, 3),
]
MATRIX = [
    [1, 2, 3, 3, 5],
    [1 / 2, 1, 2, 2, 3],
    [1 / 3, 1 / 2, 1, 1, 2],
    [1 / 3, 1 / 2, 1, 1, 2],
    [1 / 5, 1 / 3, 1 / 2, 1 / 2, 1],
]


def _ver(obj) -> int:
    return type(obj).objects.values_list("version", flat=True).get(pk=obj.pk)


def _publish(actor, run):
    services.review_run(actor, run.pk, version=_ver(run))
    return services.publish_run(actor, run.pk, version=_ver(run))


def _items(settings, *, attitude=True):
    out = [
        {"kind": "quantitative", "indicator_id": settings[code].pk, "x_low": lo, "x_high": hi}
        for code, lo, hi in ITEMS
        if code in settings
    ]
    if attitude:
        out.append({"kind": "qualitative", "label": "工作态度"})
    return out


def build(ctx):
    if Scorecard.objects.filter(name=NAME).exists():
        ctx.log("performance: demo exists")
        return
    manager = next(
        (
            u
            for u in User.objects.filter(is_active=True, roles__code=RoleCode.BRANCH_MANAGER, unit__isnull=False)
            .select_related("unit")
            .order_by("id")
            if managed_rms(u).exists()
        ),
        None,
    )
    if manager is None:
        ctx.log("performance: no RMs under a branch manager, nothing to assess")
        return
    services.sync_library()
    settings = {s.code: s for s in IndicatorSetting.objects.filter(code__in=[c for c, *_r in ITEMS])}
    items = _items(settings)
    present = [k for k, (code, *_r) in enumerate(ITEMS) if code in settings] + [len(ITEMS)]
    card = services.save_scorecard(
        manager,
        name=NAME,
        year=timezone.localdate().year,
        period_type="monthly",
        unit_id=manager.unit_id,
        weight_method="ahp",
        ahp_matrix=[[MATRIX[i][j] for j in present] for i in present],
        grade_method="forced",
        items=items,
    )
    today = timezone.localdate()
    runs = []
    for back in range(12, 0, -1):  # the twelve months before this one
        y, m = divmod(today.year * 12 + today.month - 1 - back, 12)
        run = services.compute_run(manager, card.pk, unit_id=manager.unit_id, year=y, number=m + 1)
        attitude = card.items.filter(kind="qualitative").first()
        if attitude is not None:
            for i, result in enumerate(run.results.order_by("id")):
                score = 60 + (i * 7 + back * 3) % 41
                services.score_qualitative(manager, result.pk, scores={str(attitude.pk): score}, version=_ver(result))
        runs.append(_publish(manager, run))
    services.compute_pay(manager, runs[-1].pk)
    # a team lead's month under review, for their own team
    lead = (
        User.objects.filter(is_active=True, roles__code=RoleCode.TEAM_LEAD, team__path__startswith=manager.unit.path)
        .select_related("team")
        .first()
    )
    if lead is not None and lead.team_id:
        team_card = services.save_scorecard(
            lead,
            name="团队月度考核",
            year=today.year,
            period_type="monthly",
            unit_id=lead.team_id,
            items=[{**i, "weight": w} for i, w in zip(_items(settings), _direct(len(_items(settings))), strict=True)],
        )
        services.compute_run(lead, team_card.pk, unit_id=lead.team_id, year=today.year, number=today.month)
    # two annual runs: promotion / demotion advice from consecutive grades
    annual = services.save_scorecard(
        manager,
        name=ANNUAL,
        year=today.year - 2,
        period_type="annual",
        unit_id=manager.unit_id,
        items=[
            {**i, "weight": w}
            for i, w in zip(
                _items(settings, attitude=False), _direct(len(_items(settings, attitude=False))), strict=True
            )
        ],
    )
    for year in (today.year - 2, today.year - 1):
        _publish(manager, services.compute_run(manager, annual.pk, unit_id=manager.unit_id, year=year))
    # target letters of the year for the first RMs, one signed by both
    letters = 0
    for i, rm in enumerate(managed_rms(manager).order_by("id")[:4]):
        targets = [
            {"indicator_id": settings[c].pk, "annual": str(a)}
            for c, a in (("customers.new_customers", 48), ("work.contacts", 360))
            if c in settings
        ]
        if not targets:
            break
        letter = services.propose_letter(
            manager,
            rm_id=rm.pk,
            year=today.year,
            targets=targets,
            terms="超额完成部分按效益工资计价；未完成年度目标的不得评为优秀。",
        )
        letters += 1
        if i == 0:
            services.sign_letter(rm, letter.pk, text_hash=letter.text_hash, version=_ver(letter))
            services.sign_letter(manager, letter.pk, text_hash=letter.text_hash, version=_ver(letter))
    # an appeal in the approval centre
    latest = runs[-1].results.select_related("rm").order_by("-rank_unit").first()
    if latest is not None:
        services.appeal(latest.rm, latest.pk, reason="本月新增客户中有两户建档时间登记错误，请核实。")
    ctx.log(f"performance: {len(runs)} monthly runs, 2 annual runs, {letters} target letters")


def _direct(n: int) -> list[str]:
    """Equal direct weights summing to exactly 1 (the last one takes the rounding)."""
    base = round(1 / n, 6)
    return [str(base)] * (n - 1) + [str(round(1 - base * (n - 1), 6))]
