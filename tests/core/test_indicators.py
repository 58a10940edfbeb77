"""The indicator registry's contract (rmdesk.core.indicators, SPEC §9): rates roll up as ratios of sums."""

import sys
import types
from decimal import Decimal

import pytest

from rmdesk.core import indicators
from rmdesk.core.indicators import Indicator, Measure, rollup


def test_ratio_and_zero_denominator():
    assert Measure.ratio(1, 3).value == Decimal("33.3333")
    assert Measure.ratio(1, 4, percent=False).value == Decimal("0.2500")
    zero = Measure.ratio(5, 0)
    assert zero.value == 0 and zero.numerator == 5 and zero.denominator == 0


def test_rollup_sums_counts_and_takes_ratio_of_sums_for_rates():
    assert rollup([Measure(Decimal(2)), Measure(Decimal("3.5"))]).value == Decimal("5.5")
    # 1/2 and 9/10: the average of rates would be 70 %, the team's rate is 10/12
    team = rollup([Measure.ratio(1, 2), Measure.ratio(9, 10)], percent=True)
    assert team.value == Decimal("83.3333")
    assert (team.numerator, team.denominator) == (10, 12)
    assert rollup([], percent=True).value == 0


def test_registry_reads_each_app_module_and_refuses_a_code_declared_twice(monkeypatch):
    real = indicators.registry
    real.cache_clear()
    try:
        found = real()
        assert all(code == ind.code for code, ind in found.items())
        # an app module declaring the same code twice is a programming error
        module = types.ModuleType("rmdesk.org.indicators")
        module.INDICATORS = [
            Indicator(code="org.x", name="x", unit="户", compute=lambda s, e, r: {}),
            Indicator(code="org.x", name="x", unit="户", compute=lambda s, e, r: {}),
        ]
        monkeypatch.setitem(sys.modules, "rmdesk.org.indicators", module)
        real.cache_clear()
        with pytest.raises(ValueError, match="org.x"):
            real()
        monkeypatch.delitem(sys.modules, "rmdesk.org.indicators")
        real.cache_clear()
        with pytest.raises(KeyError):
            indicators.get("org.x")
    finally:
        real.cache_clear()
