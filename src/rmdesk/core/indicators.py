"""The indicator registry (SPEC §9 "indicator library"; docs/decisions.md 40).

Assessment (performance) and analytics read figures that other apps record, without importing those apps'
models: each app that owns data declares its indicators in a module `<app>/indicators.py` holding a list
`INDICATORS` of `Indicator`. `registry()` imports that module of every installed app once and answers the
indicators by code.

An indicator computes one period for many RMs at once (set-based: a few grouped queries, never a loop per
RM). `compute(start, end, rm_ids)` answers `{rm_user_id: Measure}` for the RMs it has data for (an RM
missing from the answer has no data: 0 for a count, no value for a rate). `rm_ids=None` means every RM.
`records(viewer, rm_id, start, end)` answers the queryset of the rows an RM's value counted, already in the
viewer's scope, for the drill-down. Team and unit figures roll up the RMs' measures: sums add up; rates are
the sum of numerators over the sum of denominators (never an average of rates).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache

from django.db import models
from django.utils.translation import gettext_lazy as _

from .discovery import declared


class Direction(models.TextChoices):
    HIGHER = "higher", _("越高越好")
    LOWER = "lower", _("越低越好")


@dataclass(frozen=True)
class Measure:
    """One RM's value for a period. A rate carries its numerator and denominator so it rolls up correctly."""

    value: Decimal
    numerator: Decimal | None = None
    denominator: Decimal | None = None

    @classmethod
    def ratio(cls, numerator, denominator, *, percent: bool = True) -> "Measure":
        numerator, denominator = Decimal(numerator), Decimal(denominator)
        if not denominator:
            return cls(Decimal(0), numerator, denominator)
        value = numerator / denominator * (100 if percent else 1)
        return cls(value.quantize(Decimal("0.0001")), numerator, denominator)


Compute = Callable[[date, date, Iterable[int] | None], dict[int, Measure]]
Records = Callable[[object, int, date, date], models.QuerySet]


@dataclass(frozen=True)
class Indicator:
    code: str  # stable, e.g. "customers.new_customers"; prefixed by the owning app's label
    name: object  # a lazy translation
    unit: object  # a lazy translation: 户, 万元, %, 次...
    compute: Compute
    direction: str = Direction.HIGHER
    records: Records | None = None
    percent: bool = False  # a rate in percent: rolls up as Σnumerator / Σdenominator × 100
    description: object = ""


def rollup(measures: Iterable[Measure], *, percent: bool = False) -> Measure:
    """A team's or unit's measure from its RMs' measures: a sum, or for a rate the ratio of the sums."""
    measures = list(measures)
    if percent or any(m.denominator is not None for m in measures):
        numerator = sum((m.numerator or Decimal(0) for m in measures), Decimal(0))
        denominator = sum((m.denominator or Decimal(0) for m in measures), Decimal(0))
        return Measure.ratio(numerator, denominator, percent=percent)
    return Measure(sum((m.value for m in measures), Decimal(0)))


@cache
def registry() -> dict[str, Indicator]:
    """Every installed app's `indicators.INDICATORS`, by code. Two apps declaring one code is a programming error."""
    found: dict[str, Indicator] = {}
    for indicator in declared("indicators", "INDICATORS"):
        if indicator.code in found:
            raise ValueError(f"indicator {indicator.code} declared twice")
        found[indicator.code] = indicator
    return found


def get(code: str) -> Indicator:
    """The indicator of this code; KeyError when no installed app declares it."""
    return registry()[code]
