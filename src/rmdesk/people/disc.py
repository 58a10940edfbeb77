"""The DISC match degree (匹配度, SPEC §9; seed 002:79–161). The seeds keep ten match values (inner and
outer per factor, and two totals) but lose the formula; they say "匹配度数值越小的说明…匹配度越高"
(lower is a closer fit). Chosen here (docs/people.md):

- per factor: the absolute gap between the person's score and the model's, |x − m| (0–100);
- inner total and outer total: the mean of the four gaps of that side;
- overall: the mean of the inner and the outer totals.

All in the scores' own units (points on the 0–100 scale), rounded half-up to 0.01, so a figure reads
as "on average this many points away from the model". 0 is a perfect fit.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

FACTORS = ("d", "i", "s", "c")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Match:
    inner: dict  # factor -> gap
    outer: dict
    inner_total: Decimal
    outer_total: Decimal
    overall: Decimal


def _mean(values) -> Decimal:
    values = [Decimal(v) for v in values]
    return (sum(values, Decimal(0)) / len(values)).quantize(CENT, rounding=ROUND_HALF_UP)


def match(inner: dict, outer: dict, model: dict) -> Match:
    """The ten match values of one profile (inner and outer scores by factor) against a job model."""
    gi = {f: Decimal(abs(int(inner[f]) - int(model[f]))) for f in FACTORS}
    go = {f: Decimal(abs(int(outer[f]) - int(model[f]))) for f in FACTORS}
    inner_total, outer_total = _mean(gi.values()), _mean(go.values())
    return Match(gi, go, inner_total, outer_total, _mean([inner_total, outer_total]))


def match_profile(profile, job_model) -> Match:
    return match(profile.inner(), profile.outer(), job_model.scores())
