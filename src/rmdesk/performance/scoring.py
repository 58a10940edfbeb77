"""The arithmetic of a scorecard (SPEC §9; seed 002:611–629), pure functions on Decimal:

- linear membership μ = (x − x1)/(x2 − x1) clipped to [0, 1]; reversed (x2 − x)/(x2 − x1) when lower is
  better ("y = (x − x1)/(x2 − x1)");
- completion μ = x / target capped at `cap` (lower is better: target / x);
- score P = 100·Σμᵢ·Qᵢ − deductions ("Pz = ∑μiQi", "P1 = 100Pz");
- grades by thresholds, or by forced-distribution ceilings where tied scores share one grade;
- competition ranks (1, 1, 3).
"""

from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal

from rmdesk.core.indicators import Direction

from .models import DEFAULT_QUOTAS, DEFAULT_THRESHOLDS, Grade

ZERO, ONE = Decimal(0), Decimal(1)
Q4 = Decimal("0.0001")
GRADE_ORDER = [Grade.EXCELLENT, Grade.GOOD, Grade.PASS, Grade.BASIC, Grade.FAIL]


def _d(x) -> Decimal:
    return x if isinstance(x, Decimal) else Decimal(str(x))


def clip(x: Decimal, lo: Decimal = ZERO, hi: Decimal = ONE) -> Decimal:
    return max(lo, min(hi, x))


def linear(x, x_low, x_high, direction=Direction.HIGHER) -> Decimal:
    """μ by linear membership between x_low (μ 0) and x_high (μ 1), clipped; reversed for lower-is-better
    (x_low gives 1, x_high gives 0). x_low ≥ x_high is a configuration error the scorecard refuses."""
    x, lo, hi = _d(x), _d(x_low), _d(x_high)
    if hi <= lo:
        raise ValueError("x_high must exceed x_low")
    mu = (x - lo) / (hi - lo) if direction == Direction.HIGHER else (hi - x) / (hi - lo)
    return clip(mu)


def completion(x, target, cap=ONE, direction=Direction.HIGHER) -> Decimal:
    """μ = completion of the target, capped (cap 1.2 rewards over-achievement up to 120 %); lower-is-better
    indicators complete by target / x (a value of 0 reaches the cap). No target (or 0) gives μ 0."""
    x, target, cap = _d(x), _d(target or 0), _d(cap)
    if target <= 0:
        return ZERO
    if direction == Direction.HIGHER:
        mu = x / target
    else:
        mu = cap if x <= 0 else target / x
    return clip(mu, ZERO, cap)


def score(parts: Iterable[tuple[Decimal, Decimal]], deductions: Decimal = ZERO) -> tuple[Decimal, Decimal]:
    """(gross, score) from (μ, Q) pairs: gross = 100·Σμ·Q, score = gross − deductions (both to 4 places)."""
    gross = sum((_d(mu) * _d(q) for mu, q in parts), ZERO) * 100
    gross = gross.quantize(Q4, ROUND_HALF_UP)
    return gross, (gross - _d(deductions)).quantize(Q4, ROUND_HALF_UP)


def grade_by_thresholds(value: Decimal, thresholds: dict | None = None) -> str:
    t = {**DEFAULT_THRESHOLDS, **(thresholds or {})}
    for g in GRADE_ORDER[:-1]:
        if _d(value) >= _d(t[g]):
            return g
    return Grade.FAIL


def grade_forced(scores: Sequence[Decimal], quotas: dict | None = None) -> list[str]:
    """Grades for `scores` (any order; answered in the same order) by forced-distribution ceilings in
    percent: at most ⌊quota·n⌋ RMs (cumulated from the top) in each grade above 不合格. RMs with equal scores
    always share a grade: a tie that would overflow a grade's ceiling goes whole to the next grade down, so
    no ceiling is ever exceeded (and nobody is graded above someone who scored more)."""
    q = {**DEFAULT_QUOTAS, **(quotas or {})}
    n = len(scores)
    caps, cum = [], ZERO
    for g in GRADE_ORDER[:-1]:
        cum += _d(q[g])
        caps.append(int((cum * n / 100).to_integral_value(rounding="ROUND_FLOOR")))
    caps.append(n)
    order = sorted(range(n), key=lambda i: _d(scores[i]), reverse=True)
    out = [Grade.FAIL] * n
    placed, level, k = 0, 0, 0
    while k < n:
        j = k
        while j < n and _d(scores[order[j]]) == _d(scores[order[k]]):
            j += 1
        size = j - k
        while placed + size > caps[level]:
            level += 1
        for idx in order[k:j]:
            out[idx] = GRADE_ORDER[level]
        placed += size
        k = j
    return out


def ranks(scores: Sequence[Decimal]) -> list[int]:
    """Competition ranks (1, 1, 3) of `scores`, in the same order."""
    ordered = sorted((_d(s) for s in scores), reverse=True)
    first = {}
    for i, s in enumerate(ordered):
        first.setdefault(s, i + 1)
    return [first[_d(s)] for s in scores]
