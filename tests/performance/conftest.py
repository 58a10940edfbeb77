"""Fixtures of the performance tests: a scorecard over hand-made indicators registered in the kernel
registry for the test (so figures are exact and independent of other apps), and helpers."""

from datetime import date
from decimal import Decimal

import pytest

from rmdesk.core import indicators
from rmdesk.core.indicators import Direction, Indicator, Measure
from rmdesk.performance import services
from rmdesk.performance.models import AssessmentRun, IndicatorSetting, IndicatorSource

#: per-RM values of the test indicators, by username, set by each test (the "data" of the period)
VALUES: dict[str, dict[str, Measure]] = {}


def _compute(code):
    def compute(start, end, rm_ids):
        from rmdesk.org.models import User

        names = dict(User.objects.filter(pk__in=list(rm_ids)).values_list("pk", "username"))
        return {pk: VALUES[code][name] for pk, name in names.items() if name in VALUES.get(code, {})}

    return compute


TEST_INDICATORS = [
    Indicator("t.sales", "销售额", "万元", _compute("t.sales")),
    Indicator("t.complaints", "投诉件数", "件", _compute("t.complaints"), direction=Direction.LOWER),
    Indicator("t.coverage", "覆盖率", "%", _compute("t.coverage"), percent=True),
    Indicator("t.violations", "违规次数", "次", _compute("t.violations"), direction=Direction.LOWER),
]


@pytest.fixture(autouse=True)
def _fresh_calendar():
    from rmdesk.core import calendar

    calendar.clear_cache()
    yield
    calendar.clear_cache()


@pytest.fixture
def test_indicators(db, monkeypatch):
    """The four test indicators added to the registry (beside whatever the apps declare)."""
    reg = dict(indicators.registry())
    reg.update({i.code: i for i in TEST_INDICATORS})
    monkeypatch.setattr("rmdesk.performance.services.registry", lambda: reg)
    VALUES.clear()
    services.sync_library()
    yield {s.code: s for s in IndicatorSetting.objects.filter(code__startswith="t.")}
    VALUES.clear()


@pytest.fixture
def manual_indicator(db):
    return IndicatorSetting.objects.create(
        code="m.attitude_note", name="专项检查", unit="分", source=IndicatorSource.MANUAL
    )


def item(setting=None, **kw):
    out = {"kind": "quantitative", "indicator_id": setting.pk if setting else None}
    out.update(kw)
    return out


@pytest.fixture
def card(world, test_indicators):
    """Monthly scorecard of team T1 (made by its lead): sales linear 0..100 (Q .5), complaints linear
    reversed 0..4 (Q .2), coverage completion with cap 1.2 against target 50 (Q .2), attitude scored by the
    supervisor (Q .1), violations deduct 5 points each."""
    t = test_indicators
    return services.save_scorecard(
        world.lead,
        name="月度考核",
        year=2026,
        period_type="monthly",
        unit_id=world.t1.pk,
        items=[
            item(t["t.sales"], weight="0.5", x_low="0", x_high="100"),
            item(t["t.complaints"], weight="0.2", x_low="0", x_high="4"),
            item(t["t.coverage"], weight="0.2", normalisation="completion", target="50", cap="1.2"),
            item(None, kind="qualitative", label="工作态度", weight="0.1"),
            item(t["t.violations"], kind="deduction", points="5"),
        ],
    )


def month(world, card, n=3, actor=None) -> AssessmentRun:
    return services.compute_run(actor or world.lead, card.pk, unit_id=world.t1.pk, year=2026, number=n)


def ver(obj) -> int:
    return type(obj).objects.values_list("version", flat=True).get(pk=obj.pk)


D = Decimal
MARCH = (date(2026, 3, 1), date(2026, 3, 31))
