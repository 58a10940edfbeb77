"""Scope matrix of the performance app (SPEC §1, §9): every role against results, runs, scorecards, letters
and level advice of team T1 (branch S1) and team T2 (branch S2), for every page and API operation that
takes their id (tests/scope_matrix.py). An RM sees only their own published results, a team lead their
team's, a branch manager their subtree's; risk, compliance and assistants read no assessments; out of scope
is 404 exactly like missing."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from rmdesk.core.indicators import Measure
from rmdesk.performance import services
from rmdesk.performance.models import LevelAdvice, PayRule, PromotionRule
from rmdesk.performance.scope import (
    visible_advice,
    visible_groups,
    visible_letters,
    visible_manual_values,
    visible_results,
    visible_runs,
    visible_scorecards,
)
from tests.scope_matrix import USERS, Matrix, Sample, fresh

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
def perf_world(world, test_indicators, manual_indicator):
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
        manual = services.enter_manual_value(
            lead, manual_indicator.pk, rm_id=rm.pk, period_start=date(2026, 3, 1), period_end=date(2026, 3, 31),
            value="75", note="专项检查",
        )  # fmt: skip
        out[key] = {
            "card": card,
            "run": fresh(run),
            "result": result,
            "item": result.items.get(code="t.sales"),
            "letter": letter,
            "advice": advice,
            "manual": manual,
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
# manual values (and their history): the managing subtree of the RM, like runs
manage.queryset(visible_manual_values, obj="manual")
manage.listing("GET /api/performance/manual-values", obj="manual")
manage.page("performance:manual_value_detail", obj="manual")
manage.page(
    "performance:manual_value_detail",
    obj="manual",
    method="post",
    data=lambda s: {"value": "76", "note": "复核", "version": fresh(s.manual).version},
    write=True,
    ok=302,
)
manage.api("GET /api/performance/manual-values/{manual_value_id}", obj="manual")
manage.api(
    "PUT /api/performance/manual-values/{manual_value_id}",
    obj="manual",
    body=lambda s: {"value": "77", "note": "复核", "version": fresh(s.manual).version},
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


# --- pay rules and promotion rules: bank-wide configuration, so the gate is the role ---------------------
# Supervisors (and administrators) read them; administrators change them. Pages: 404 for everyone else
# (the edit pages are the administrator's only); API reads 403 for other roles, API writes 403 for all but
# administrators. The behaviour itself is tested in test_rule_pages.py.

RULE_READERS = {"lead", "lead2", "manager", "admin"}
RULE_EDITORS = {"admin"}


@pytest.fixture
def rule_samples(world):
    return [
        Sample(
            "bank",
            readers=RULE_READERS,
            writers=RULE_EDITORS,
            pay_rule=PayRule.objects.get(kind="defer", is_active=True),
            promotion_rule=PromotionRule.objects.get(move="up", grade="excellent", period_type="annual"),
        )
    ]


def _gate(allowed, ok, refused):
    return lambda username, sample: ok if username in allowed else refused


assert set(RULE_READERS) <= set(USERS)
rules = Matrix("performance", samples="rule_samples")
rules.page("performance:pay_rule_edit", obj="pay_rule", expect=_gate(RULE_EDITORS, 200, 404))
rules.page(
    "performance:pay_rule_edit",
    obj="pay_rule",
    method="post",
    data=lambda s: {"kind": "defer", "amount": "30", "is_active": "on", "version": fresh(s.pay_rule).version},
    expect=_gate(RULE_EDITORS, 302, 404),
)
rules.api("GET /api/performance/pay-rules/{rule_id}", obj="pay_rule", expect=_gate(RULE_READERS, 200, 403))
rules.api(
    "PUT /api/performance/pay-rules/{rule_id}",
    obj="pay_rule",
    body=lambda s: {"kind": "defer", "amount": "30", "version": fresh(s.pay_rule).version},
    expect=_gate(RULE_EDITORS, 200, 403),
)
rules.page("performance:promotion_rule_edit", obj="promotion_rule", expect=_gate(RULE_EDITORS, 200, 404))
rules.page(
    "performance:promotion_rule_edit",
    obj="promotion_rule",
    method="post",
    data=lambda s: {
        "move": "up",
        "grade": "excellent",
        "consecutive": "2",
        "period_type": "annual",
        "is_active": "on",
        "version": fresh(s.promotion_rule).version,
    },  # fmt: skip
    expect=_gate(RULE_EDITORS, 302, 404),
)
rules.api("GET /api/performance/promotion-rules/{rule_id}", obj="promotion_rule", expect=_gate(RULE_READERS, 200, 403))
rules.api(
    "PUT /api/performance/promotion-rules/{rule_id}",
    obj="promotion_rule",
    body=lambda s: {
        "move": "up",
        "grade": "excellent",
        "consecutive": 2,
        "period_type": "annual",
        "version": fresh(s.promotion_rule).version,
    },  # fmt: skip
    expect=_gate(RULE_EDITORS, 200, 403),
)
test_rule_scope = rules.test()


@pytest.mark.parametrize("username", USERS)
def test_rule_lists_by_role(world, api_client, username):
    """The list pages and list routes of the rules (no id, so outside the matrix): readers 200, others
    404 on the pages and 403 on the API."""
    from django.test import Client

    user = getattr(world, username)
    page = Client()
    page.force_login(user)
    api = api_client(user)
    reader = username in RULE_READERS
    for name in ("performance:pay_rule_list", "performance:promotion_rule_list"):
        assert page.get(reverse(name)).status_code == (200 if reader else 404), name
    for route in ("/api/performance/pay-rules", "/api/performance/promotion-rules"):
        assert api.get(route).status_code == (200 if reader else 403), route
