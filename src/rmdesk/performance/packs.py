"""What an industry pack may configure in assessment (SPEC §9; rmdesk.core.packs): the indicator library's
settings, scorecards and their items (e.g. the tobacco RM service-quality index of seed 002:599–629).

Natural keys: an indicator by its code; a scorecard by name, year and the org path of the unit that owns it
("" for a bank-wide card, the only kind a pack ships); an item by its scorecard and order. A pack writes the
items' weights directly (the seeds give none; AHP weights are derived on the scorecard page). After a load,
every scorecard it touched is checked as `services.save_scorecard` checks one: weights of the weighted items
sum to 1, a linear item has x_low < x_high, a quantitative or deduction item names an indicator, and a
scorecard already used by a run is not changed (make next year's version instead).
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from rmdesk.core.packs import PackModel

from .models import IndicatorSetting, ItemKind, Normalisation, Scorecard, ScorecardItem

WEIGHT_TOLERANCE = Decimal("0.0001")  # as services.save_scorecard


def _card_errors(card: Scorecard) -> list[str]:
    items = list(card.items.select_related("indicator").order_by("order"))
    out = []
    weighted = [i for i in items if i.kind != ItemKind.DEDUCTION]
    total = sum((i.weight for i in weighted), Decimal(0))
    if not weighted:
        out.append(_("至少需要一个计权指标。"))
    elif abs(total - 1) > WEIGHT_TOLERANCE:
        out.append(_("权重之和应为 1（当前为 %(t)s）。") % {"t": total.normalize()})
    for i in items:
        if i.kind != ItemKind.QUALITATIVE and i.indicator_id is None:
            out.append(_("第 %(n)s 项：请选择指标。") % {"n": i.order})
        if i.kind == ItemKind.QUALITATIVE and not i.label.strip():
            out.append(_("第 %(n)s 项：请填写定性评分项的名称。") % {"n": i.order})
        linear = i.kind == ItemKind.QUANTITATIVE and i.normalisation == Normalisation.LINEAR
        if linear and (i.x_low is None or i.x_high is None or i.x_high <= i.x_low):
            out.append(_("第 %(n)s 项：线性隶属度须填写下限和上限，且上限大于下限。") % {"n": i.order})
        if not Decimal(0) <= i.weight <= 1:
            out.append(_("第 %(n)s 项：权重应在 0 到 1 之间。") % {"n": i.order})
    return out


def _check_cards(changed) -> None:
    """Refuse the load (all of it) when a scorecard it touched is not one `save_scorecard` would accept."""
    cards = {obj.scorecard for obj in changed}
    errors = {}
    for card in sorted(cards, key=lambda c: (c.year, c.name)):
        problems = _card_errors(card)
        if card.runs.exists():
            problems.append(_("该方案已用于考核，不能修改其指标；请在方案中另建下一年度的版本。"))
        if problems:
            errors[f"{card.name}（{card.year}）"] = problems
    if errors:
        raise ValidationError(errors)


PACK_MODELS = [
    PackModel("indicators", IndicatorSetting, key=("code",)),
    PackModel("scorecards", Scorecard, key=("name", "year", "org_path")),
    PackModel(
        "scorecard_items",
        ScorecardItem,
        key=("scorecard", "order"),
        refs={"scorecard": "scorecards", "indicator": "indicators"},
        after_load=_check_cards,
    ),
]
