"""The scorecard arithmetic (SPEC §9; seed 002:611–629): membership clipping and reversal, completion with a
cap, exact score sums, grades by thresholds, forced distribution with ties, competition ranks."""

from decimal import Decimal

import pytest
from hypothesis import given, strategies as st

from rmdesk.core.indicators import Direction
from rmdesk.performance import scoring

D = Decimal
nums = st.decimals(min_value=-(10**6), max_value=10**6, places=2, allow_nan=False, allow_infinity=False)


@pytest.mark.parametrize(
    "x, mu, reversed_mu",
    [
        ("-5", "0", "1"),
        ("60", "0", "1"),
        ("70", "0.25", "0.75"),
        ("90", "0.75", "0.25"),
        ("100", "1", "0"),
        ("130", "1", "0"),
    ],
)
def test_linear_membership_is_clipped_and_reversed(x, mu, reversed_mu):
    assert scoring.linear(D(x), D(60), D(100)) == D(mu)
    assert scoring.linear(D(x), D(60), D(100), Direction.LOWER) == D(reversed_mu)


@given(nums, nums, nums)
def test_linear_membership_stays_in_unit_interval_and_mirrors(x, a, b):
    lo, hi = min(a, b), max(a, b)
    if lo == hi:
        with pytest.raises(ValueError):
            scoring.linear(x, lo, hi)
        return
    up, down = scoring.linear(x, lo, hi), scoring.linear(x, lo, hi, Direction.LOWER)
    assert D(0) <= up <= D(1) and D(0) <= down <= D(1)
    assert up + down == D(1)


@given(nums, nums, nums)
def test_linear_membership_is_monotone(x, y, width):
    if width <= 0:
        return
    lo, hi = D(0), width
    if x <= y:
        assert scoring.linear(x, lo, hi) <= scoring.linear(y, lo, hi)


@pytest.mark.parametrize(
    "x, target, cap, direction, mu",
    [
        ("80", "100", "1", Direction.HIGHER, "0.8"),
        ("130", "100", "1", Direction.HIGHER, "1"),
        ("110", "100", "1.2", Direction.HIGHER, "1.1"),
        ("150", "100", "1.2", Direction.HIGHER, "1.2"),
        ("-10", "100", "1.2", Direction.HIGHER, "0"),
        ("50", "0", "1.2", Direction.HIGHER, "0"),  # no target: nothing completed
        ("2", "1", "1", Direction.LOWER, "0.5"),  # lower is better: target / x
        ("0", "1", "1.5", Direction.LOWER, "1.5"),
        ("0.5", "1", "1.5", Direction.LOWER, "1.5"),
    ],
)
def test_completion_with_cap(x, target, cap, direction, mu):
    assert scoring.completion(D(x), D(target), D(cap), direction) == D(mu)


def test_exact_score_sum():
    # P = 100·Σμ·Q − deductions: 100·(0.8·0.4 + 0.5·0.3 + 1·0.2 + 0.25·0.1) − 3 = 69.5 − 3
    gross, total = scoring.score(
        [(D("0.8"), D("0.4")), (D("0.5"), D("0.3")), (D(1), D("0.2")), (D("0.25"), D("0.1"))], D(3)
    )
    assert (gross, total) == (D("69.5"), D("66.5"))


@given(st.lists(st.tuples(st.decimals(0, 1, places=4), st.decimals(0, 1, places=4)), max_size=20))
def test_score_is_bounded_by_weights(parts):
    gross, total = scoring.score(parts)
    assert D(0) <= gross <= 100 * sum((q for _m, q in parts), D(0)) + D("0.0001") and gross == total


@pytest.mark.parametrize(
    "value, grade",
    [
        ("95", "excellent"),
        ("90", "excellent"),
        ("89.99", "good"),
        ("80", "good"),
        ("70", "pass"),
        ("60", "basic"),
        ("59.9", "fail"),
        ("-3", "fail"),
    ],
)
def test_grades_by_default_thresholds(value, grade):
    assert scoring.grade_by_thresholds(D(value)) == grade


def test_configured_thresholds():
    t = {"excellent": 95, "good": 85, "pass": 75, "basic": 65}
    assert [scoring.grade_by_thresholds(D(v), t) for v in (96, 90, 80, 70, 60)] == [
        "excellent",
        "good",
        "pass",
        "basic",
        "fail",
    ]


def test_forced_distribution_without_ties():
    scores = [
        D(100 - i) for i in range(20)
    ]  # 20 RMs: 优秀 ≤ 15 % → 3, 良好 ≤ 50 % → 7 more, 合格 ≤ 90 % → 8, 基本合格 ≤ 97 % → 1
    grades = scoring.grade_forced(scores)
    assert [grades.count(g) for g in ("excellent", "good", "pass", "basic", "fail")] == [3, 7, 8, 1, 1]
    assert grades[:3] == ["excellent"] * 3 and grades[-1] == "fail"


def test_forced_distribution_ties_share_a_grade_and_never_overflow():
    # 10 RMs, 优秀 ceiling ⌊1.5⌋ = 1: the two tied at the top would overflow it, so both are 良好
    scores = [D(s) for s in (95, 95, 90, 88, 85, 80, 80, 80, 70, 60)]
    grades = scoring.grade_forced(scores)
    assert grades[:2] == ["good", "good"]
    # 良好 ceiling ⌊5⌋ = 5 cumulated: 95, 95, 90, 88, 85; the three tied at 80 go together to 合格
    assert grades[2:5] == ["good"] * 3 and grades[5:8] == ["pass"] * 3
    # 合格 ceiling ⌊9⌋: 70 is 合格; 基本合格 ceiling ⌊9.7⌋ = 9 is full, so 60 is 不合格
    assert grades[8:] == ["pass", "fail"]
    assert "excellent" not in grades


def test_forced_distribution_answers_in_input_order_and_respects_quotas():
    scores = [D(s) for s in (50, 99, 70, 99)]
    grades = scoring.grade_forced(scores, {"excellent": 50, "good": 25, "pass": 25, "basic": 0})
    assert grades == ["pass", "excellent", "good", "excellent"]


@given(st.lists(st.integers(0, 10), min_size=1, max_size=40))
def test_forced_distribution_properties(raw):
    scores = [D(s) for s in raw]
    grades = scoring.grade_forced(scores)
    order = scoring.GRADE_ORDER
    n = len(scores)
    cum, caps = 0, []
    for _g, q in zip(order[:-1], (15, 35, 40, 7), strict=True):
        cum += q
        caps.append(cum * n // 100)
    for level, cap in enumerate(caps):  # no ceiling exceeded
        assert sum(1 for g in grades if order.index(g) <= level) <= cap
    for i in range(n):  # equal scores share a grade; more never grades lower
        for j in range(n):
            if scores[i] == scores[j]:
                assert grades[i] == grades[j]
            if scores[i] > scores[j]:
                assert order.index(grades[i]) <= order.index(grades[j])


def test_competition_ranks():
    assert scoring.ranks([D(80), D(90), D(80), D(70)]) == [2, 1, 2, 4]
