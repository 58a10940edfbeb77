"""Scope matrix of the performance app (SPEC §1, §9): every role against results, runs, scorecards, letters
and level advice of team T1 (branch S1) and team T2 (branch S2), for every page and API operation that
takes their id (tests/scope_matrix.py). An RM sees only their own published results, a team lead their
team's, a branch manager their subtree's; risk, compliance and assistants read no assessments; out of scope
is 404 exactly like missing."""

from decimal import Decimal

import pytest

from rmdesk.core.indicators import Measure
from rmdesk.performance import services
from rmdesk.performance.models import LevelAdvice
from rmdesk.performance.scope import (
    visible_advice,
    visible_groups,
    visible_letters,
    visible_results,
    visible_runs,
    visible_scorecards,
)
from tests.scope_matrix import Matrix, Sample, fresh

from .conftest import VALUES, item, ver

pytestmark = pytest.mark.django_db

READ = {
    "t1": ({"rm", "lead", "manager"}, {"lead", "manager"}),
    "t2": ({"rm2", "lead2"}, {"lead2"}),
}
MANAGE = {"t1": ({"lead", "manager"},) * 2, "t2": ({"lead2"},) * 2}
LETTER = {"t1": ({"rm", "lead", "manager"},) * 2, "t2": ({"rm2", "lead2"},) * 2}
OWNER = {"t1": "rm", "t2": "rm2"}


@pytest.fixture
def perf_world(world, test_indicators):
    t = test_indicators
    out = {}
    for key, lead, team, rm in (("t1", world.lead, world.t1, world.rm), ("t2", world.lead2, world.t2, world.rm2)):
        VALUES["t.sales"] = {"rm": Measure(Decimal(70)), "rm_b": Measure(Decimal(50)), "rm2": Measure(Decimal(90))}
        card = services.save_scorecard(
            lead,
            name=f"方案{key}",
            year=2026,
            period_type="monthly",
            unit_id=team.pk,
            items=[
                item(t["t.sales"], weight="0.9", x_low="0", x_high="100"),
                item(None, kind="qualitative", label="工作态度", weight="0.1"),
            ],
        )
        run = services.compute_run(lead, card.pk, unit_id=team.pk, year=2026, number=3)
        services.review_run(lead, run.pk, version=ver(run))
        services.publish_run(lead, run.pk, version=ver(run))
        result = run.results.get(rm=rm)
        letter = services.propose_letter(
            lead, rm_id=rm.pk, year=2026, targets=[{"indicator_id": t["t.sales"].pk, "annual": "1200"}]
        )
        advice = LevelAdvice.objects.create(
            rm=rm, org_path=team.path, move="up", from_level=rm.rm_level, to_level="1", basis="两年优秀"
        )
        out[key] = {
            "card": card,
            "run": fresh(run),
            "result": result,
            "item": result.items.get(code="t.sales"),
            "letter": letter,
            "advice": advice,
            "team": team,
            "group": run.groups.get(unit=team),
        }
    return out


@pytest.fixture
def result_samples(perf_world):
    return [Sample(k, *READ[k], **perf_world[k]) for k in READ]


@pytest.fixture
def manage_samples(perf_world):
    return [Sample(k, *MANAGE[k], **perf_world[k]) for k in MANAGE]


@pytest.fixture
def letter_samples(perf_world):
    return [Sample(k, *LETTER[k], **perf_world[k]) for k in LETTER]


def _appeal(username, sample):
    if username not in sample.readers:
        return 404
    return 201 if username == OWNER[sample.key] else 403


# --- results ------------------------------------------------------------------------------------------

results = Matrix("performance", samples="result_samples")
results.queryset(visible_results, obj="result")
results.page("performance:result_detail", obj="result")
results.page("performance:item_records", obj="item")
results.page(
    "performance:result_action",
    obj="result",
    method="post",
    data=lambda s: {"version": fresh(s.result).version},
    write=True,
    ok=422,  # published: frozen
    read_only=403,
    params=lambda s: {"pk": s.result.pk, "action": "score"},
)
results.api("GET /api/performance/results/{result_id}", obj="result")
results.api(
    "POST /api/performance/results/{result_id}/qualitative",
    obj="result",
    body=lambda s: {"scores": {}, "version": fresh(s.result).version},
    ok=422,
    read_only=403,
)
results.api(
    "POST /api/performance/results/{result_id}/revise",
    obj="result",
    body=lambda s: {"scores": {}, "version": fresh(s.result).version},
    ok=422,  # no upheld appeal
    read_only=403,
)
results.api(
    "POST /api/performance/results/{result_id}/appeal", obj="result", body={"reason": "评分有误"}, expect=_appeal
)
test_result_scope = results.test()

# --- runs, scorecards, advice (the managing subtree only) -----------------------------------------------

manage = Matrix("performance", samples="manage_samples")
manage.queryset(visible_runs, obj="run")
manage.queryset(visible_scorecards, obj="card")
manage.queryset(visible_advice, obj="advice")
manage.queryset(visible_groups, obj="group")
manage.page("performance:group_detail", obj="group")
manage.api("GET /api/performance/groups/{group_id}", obj="group")
manage.api("GET /api/performance/runs/{run_id}/groups", obj="run")
manage.listing("GET /api/performance/runs", obj="run")
manage.listing("GET /api/performance/scorecards", obj="card")
manage.listing("GET /api/performance/advice", obj="advice")
manage.page("performance:run_detail", obj="run")
manage.page("performance:run_pay_sheet", obj="run")
manage.page(
    "performance:run_action",
    obj="run",
    method="post",
    data=lambda s: {"version": fresh(s.run).version},
    write=True,
    ok=302,
    params=lambda s: {"pk": s.run.pk, "action": "pay"},
)
manage.page("performance:scorecard_detail", obj="card")
manage.page(
    "performance:advice_action",
    obj="advice",
    method="post",
    data=lambda s: {"version": fresh(s.advice).version},
    write=True,
    ok=302,
    params=lambda s: {"pk": s.advice.pk, "action": "dismiss"},
)
manage.api("GET /api/performance/runs/{run_id}", obj="run")
for step in ("review", "publish", "close"):  # published already: refused inside the scope
    manage.api(
        f"POST /api/performance/runs/{{run_id}}/{step}",
        obj="run",
        body=lambda s: {"version": fresh(s.run).version},
        ok=422,
    )
manage.api("POST /api/performance/runs/{run_id}/pay", obj="run")
manage.api("GET /api/performance/scorecards/{scorecard_id}", obj="card")
manage.api(
    "PUT /api/performance/scorecards/{scorecard_id}",
    obj="card",
    body=lambda s: {
        "name": "改",
        "year": 2026,
        "period_type": "monthly",
        "unit_id": s.team.pk,
        "items": [{"indicator_id": s.item.item.indicator_id, "weight": "1", "x_low": "0", "x_high": "1"}],
        "version": fresh(s.card).version,
    },
    ok=422,  # used by a run
)
manage.api("POST /api/performance/scorecards/{scorecard_id}/versions", obj="card", body={"year": 2027}, ok=201)
manage.api(
    "POST /api/performance/scorecards/{scorecard_id}/runs",
    obj="card",
    body=lambda s: {"unit_id": s.team.pk, "year": 2026, "number": 4},
    ok=201,
)
manage.api("GET /api/performance/advice/{advice_id}", obj="advice")
for step in ("submit", "dismiss"):  # the page above may have dismissed it already: 422 inside the scope
    manage.api(
        f"POST /api/performance/advice/{{advice_id}}/{step}",
        obj="advice",
        body=lambda s: {"version": fresh(s.advice).version},
        ok={200, 422},
    )
manage.exempt(
    "PUT /api/performance/indicators/{indicator_id}",
    "the indicator library is bank-wide configuration (no org data); its writes are role-gated to supervisors",
)
test_manage_scope = manage.test()

# --- target letters -------------------------------------------------------------------------------------

letters = Matrix("performance", samples="letter_samples")
letters.queryset(visible_letters, obj="letter", write=False)
letters.listing("GET /api/performance/letters", obj="letter")
letters.page("performance:letter_detail", obj="letter")
letters.api("GET /api/performance/letters/{letter_id}", obj="letter")
letters.api(
    "POST /api/performance/letters/{letter_id}/sign",
    obj="letter",
    body=lambda s: {"text_hash": s.letter.text_hash, "version": fresh(s.letter).version},
)
test_letter_scope = letters.test()
