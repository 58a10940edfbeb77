"""Team and unit results (SPEC §9 subject levels RM/team/unit): rolled up from the RMs' snapshot rows, sums
added and rates as Σnumerator/Σdenominator, their own score and grade, ranks per level, the trend over
periods, and scope (a team lead sees only their team's; an RM none) — exact figures on hand-made data."""

from decimal import Decimal

import pytest
from django.http import Http404

from rmdesk.core import approvals
from rmdesk.core.indicators import Measure
from rmdesk.performance import services
from rmdesk.performance.models import GroupResult
from rmdesk.performance.scope import get_group_or_404, visible_groups

from .conftest import VALUES, item, ver

pytestmark = pytest.mark.django_db
D = Decimal


def _data():
    VALUES.update(
        {
            "t.sales": {"rm": Measure(D(80)), "rm_b": Measure(D(120)), "rm_t1b": Measure(D(50))},
            "t.complaints": {"rm": Measure(D(1)), "rm_b": Measure(D(6)), "rm_t1b": Measure(D(2))},
            "t.coverage": {
                "rm": Measure.ratio(60, 100),
                "rm_b": Measure.ratio(20, 100),
                "rm_t1b": Measure.ratio(30, 50),
            },
            "t.violations": {"rm": Measure(D(1))},
        }
    )


@pytest.fixture
def outlet_card(world, test_indicators):
    t = test_indicators
    return services.save_scorecard(
        world.manager,
        name="网点月度考核",
        year=2026,
        period_type="monthly",
        unit_id=world.o1.pk,
        items=[
            item(t["t.sales"], weight="0.5", x_low="0", x_high="100"),
            item(t["t.complaints"], weight="0.2", x_low="0", x_high="4"),
            item(t["t.coverage"], weight="0.2", normalisation="completion", target="50", cap="1.2"),
            item(None, kind="qualitative", label="工作态度", weight="0.1"),
            item(t["t.violations"], kind="deduction", points="5"),
        ],
    )


def _run(world, card, n=3):
    run = services.compute_run(world.manager, card.pk, unit_id=world.o1.pk, year=2026, number=n)
    rm = run.results.get(rm=world.rm)
    attitude = card.items.get(kind="qualitative")
    services.score_qualitative(world.manager, rm.pk, scores={str(attitude.pk): 90}, version=rm.version)
    return run


def _groups(run):
    return {g.unit.code: g for g in GroupResult.objects.filter(run=run).select_related("unit")}


def _rows(group):
    return {r["code"] or r["name"]: r for r in group.items}


def test_team_and_unit_rollup_exact(world, outlet_card):
    _data()
    run = _run(world, outlet_card)
    groups = _groups(run)
    assert set(groups) == {"T1", "T1b", "O1"}
    t1, t1b, o1 = groups["T1"], groups["T1b"], groups["O1"]
    assert (t1.level, t1b.level, o1.level) == ("team", "team", "unit")
    assert (t1.members, t1b.members, o1.members) == (2, 1, 3)
    rows = _rows(t1)
    # sums add up; the score uses the per-RM figure so the RM scale 0..100 still fits
    assert (rows["t.sales"]["total"], rows["t.sales"]["per_rm"], rows["t.sales"]["mu"]) == (
        "200.0000",
        "100.0000",
        "1.0000",
    )
    assert (rows["t.complaints"]["per_rm"], rows["t.complaints"]["mu"]) == ("3.5000", "0.1250")
    # a rate is Σnum/Σden = 80/200 = 40 %, not the mean of the RMs' rates; see the unit below
    assert (rows["t.coverage"]["numerator"], rows["t.coverage"]["denominator"]) == ("80.0000", "200.0000")
    assert (rows["t.coverage"]["total"], rows["t.coverage"]["mu"]) == ("40.0000", "0.8000")
    assert rows["工作态度"]["mu"] == "0.4500"  # mean μ of 0.9 and 0 (not scored)
    assert rows["t.violations"]["points"] == "-2.5000"  # 5 points per RM over 2 RMs
    assert (t1.gross, t1.deductions, t1.score, t1.grade) == (D("73"), D("2.5"), D("70.5"), "pass")
    assert t1.mean_score == D("70.5")  # (83 + 58) / 2
    assert (t1b.gross, t1b.score, t1b.grade) == (D("59"), D("59"), "fail")
    # the unit: coverage 110/250 = 44 % (the mean of the three rates would be 46.67 %)
    rows = _rows(o1)
    assert (rows["t.coverage"]["numerator"], rows["t.coverage"]["denominator"], rows["t.coverage"]["total"]) == (
        "110.0000",
        "250.0000",
        "44.0000",
    )
    assert rows["t.sales"]["per_rm"] == "83.3333"
    # 100·(0.8333·0.5 + 0.25·0.2 + 0.88·0.2 + 0.3·0.1) = 67.265, minus 5/3 points per RM
    assert (o1.gross, o1.deductions, o1.score, o1.grade) == (D("67.265"), D("1.6667"), D("65.5983"), "basic")
    assert (t1.rank, t1b.rank, o1.rank) == (1, 2, 1)


def test_groups_follow_a_revision_and_keep_their_ids(world, outlet_card):
    _data()
    run = _run(world, outlet_card)
    services.review_run(world.manager, run.pk, version=ver(run))
    services.publish_run(world.manager, run.pk, version=ver(run))
    before = _groups(run)
    rm_b = run.results.get(rm=world.rm_b)
    appeal = services.appeal(world.rm_b, rm_b.pk, reason="态度分漏评")
    approvals.decide(world.lead, appeal.request_id, "approve")
    attitude = outlet_card.items.get(kind="qualitative")
    services.revise_result(world.manager, rm_b.pk, scores={str(attitude.pk): 100}, version=ver(rm_b))
    after = _groups(run)
    assert {c: g.pk for c, g in after.items()} == {c: g.pk for c, g in before.items()}
    assert after["T1"].score == before["T1"].score + D(5)  # rm_b's attitude 0 → 100: +10 points over 2 RMs
    assert after["T1b"].score == before["T1b"].score


def test_group_scope(world, outlet_card):
    _data()
    run = _run(world, outlet_card)
    groups = _groups(run)
    assert set(visible_groups(world.lead).values_list("unit__code", flat=True)) == {"T1"}
    assert set(visible_groups(world.manager).values_list("unit__code", flat=True)) == {"T1", "T1b", "O1"}
    for user in (world.rm, world.rm_b, world.lead2, world.risk, world.compliance, world.assistant, world.referrer):
        assert not visible_groups(user).exists()
    with pytest.raises(Http404):
        get_group_or_404(world.lead, groups["T1b"].pk)
    assert get_group_or_404(world.lead, groups["T1"].pk).pk == groups["T1"].pk


def test_group_trend_over_periods(world, outlet_card):
    _data()
    for n in (1, 2):
        run = _run(world, outlet_card, n)
        services.review_run(world.manager, run.pk, version=ver(run))
        services.publish_run(world.manager, run.pk, version=ver(run))
    VALUES["t.sales"]["rm"] = Measure(D(0))
    current = _run(world, outlet_card, 3)  # not published: shown as the current point
    t1 = _groups(current)["T1"]
    points = services.group_trend(world.manager, t1)
    assert [p["label"] for p in points] == ["2026-01", "2026-02", "2026-03"]
    assert [p["score"] for p in points] == [D("70.5"), D("70.5"), D("70.5") - D("40") / 2]
    assert services.group_trend(world.lead, t1)[-1]["id"] == t1.pk
