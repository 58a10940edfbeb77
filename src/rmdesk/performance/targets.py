"""The targets of the active target responsibility letters, published to the kernel (rmdesk.core.targets) so that
analytics shows targets against actual without importing this app (SPEC §9 任务目标责任书, §11 plan completion).

For a period, a line's target is the sum of its monthly figures over the months the period touches (a month
touched in part counts in full; a whole quarter is its quarter, a whole year its annual figure, since the
letter's months add up to them). A rate (unit %) does not add up over months: its target is the annual figure.
Only ACTIVE letters count, of each year the period touches. A manual indicator's actual is the sum of its
entered values whose period lies inside the asked period (None when nothing was entered)."""

from collections import defaultdict
from datetime import date
from decimal import Decimal

from rmdesk.core.targets import Target

from .models import IndicatorSource, LetterStatus, ManualValue, TargetLine


def _months(start: date, end: date) -> dict[int, list[int]]:
    """{year: [month indexes 0..11]} the period touches."""
    out: dict[int, list[int]] = defaultdict(list)
    y, m = start.year, start.month
    while (y, m) <= (end.year, end.month):
        out[y].append(m - 1)
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _is_rate(setting) -> bool:
    if setting.source == IndicatorSource.COMPUTED:
        from rmdesk.core.indicators import registry

        found = registry().get(setting.code)
        if found is not None:
            return found.percent
    return setting.unit.strip() in ("%", "％")


def letter_targets(rm_ids, start: date, end: date) -> list[Target]:
    """The provider registered from PerformanceConfig.ready() as "performance.letters"."""
    months = _months(start, end)
    lines = (
        TargetLine.objects.filter(
            letter__status=LetterStatus.ACTIVE, letter__year__in=list(months), letter__rm__in=rm_ids
        )
        .select_related("indicator", "letter")
        .order_by("letter__rm_id", "indicator__code", "letter__year")
    )
    sums: dict[tuple[int, int], Decimal] = {}
    settings = {}
    for line in lines:
        setting = line.indicator
        settings[setting.pk] = setting
        key = (line.letter.rm_id, setting.pk)
        if _is_rate(setting):
            sums[key] = Decimal(line.annual)  # the latest year's rate
            continue
        figures = [Decimal(str(x)) for x in line.months] if len(line.months) == 12 else None
        year_months = months[line.letter.year]
        part = sum((figures[i] for i in year_months), Decimal(0)) if figures else Decimal(line.annual)
        sums[key] = sums.get(key, Decimal(0)) + part
    manual_ids = [pk for pk, s in settings.items() if s.source == IndicatorSource.MANUAL]
    entered: dict[tuple[int, int], Decimal] = {}
    if manual_ids:
        for rm_id, ind_id, value in ManualValue.objects.filter(
            indicator__in=manual_ids, rm__in=rm_ids, period_start__gte=start, period_end__lte=end
        ).values_list("rm_id", "indicator_id", "value"):
            entered[(rm_id, ind_id)] = entered.get((rm_id, ind_id), Decimal(0)) + value
    out = []
    for (rm_id, ind_id), target in sums.items():
        s = settings[ind_id]
        computed = s.source == IndicatorSource.COMPUTED
        out.append(
            Target(
                rm_id=rm_id,
                code=s.code,
                name=s.name,
                unit=s.unit,
                target=target,
                computed=computed,
                percent=_is_rate(s),
                actual=None if computed else entered.get((rm_id, ind_id)),
            )
        )
    return out


def register():
    """Called once from PerformanceConfig.ready()."""
    from rmdesk.core import targets

    targets.register("performance.letters", letter_targets)
