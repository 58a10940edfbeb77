"""Indicators the compliance app offers assessment (SPEC §9 "deductions from §8 violations";
rmdesk.core.indicators): the points of violations confirmed in the period, per person."""

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rmdesk.core.indicators import Direction, Indicator, Measure

from .models import Violation, ViolationStatus


def _window(start, end):
    tz = timezone.get_current_timezone()
    return datetime.combine(start, time.min, tz), datetime.combine(end + timedelta(days=1), time.min, tz)


def _confirmed(start, end):
    lo, hi = _window(start, end)
    return Violation.objects.filter(status=ViolationStatus.CONFIRMED, decided_at__gte=lo, decided_at__lt=hi)


def violation_points(start, end, rm_ids=None) -> dict:
    qs = _confirmed(start, end)
    if rm_ids is not None:
        qs = qs.filter(person_id__in=list(rm_ids))
    rows = qs.values("person_id").annotate(points=Sum("points"))
    return {r["person_id"]: Measure(Decimal(r["points"] or 0)) for r in rows}


def violation_count(start, end, rm_ids=None) -> dict:
    from django.db.models import Count

    qs = _confirmed(start, end)
    if rm_ids is not None:
        qs = qs.filter(person_id__in=list(rm_ids))
    return {r["person_id"]: Measure(Decimal(r["n"])) for r in qs.values("person_id").annotate(n=Count("id"))}


def violation_records(viewer, rm_id, start, end):
    from .scope import visible_violations

    lo, hi = _window(start, end)
    return visible_violations(viewer).filter(
        person_id=rm_id, status=ViolationStatus.CONFIRMED, decided_at__gte=lo, decided_at__lt=hi
    )


INDICATORS = [
    Indicator(
        code="compliance.violation_points",
        name=_("违规扣分"),
        unit=_("分"),
        compute=violation_points,
        direction=Direction.LOWER,
        records=violation_records,
        description=_("期间内经合规认定的违规记录扣分合计（按行为规范条款的扣分）"),
    ),
    Indicator(
        code="compliance.violations",
        name=_("违规次数"),
        unit=_("次"),
        compute=violation_count,
        direction=Direction.LOWER,
        records=violation_records,
        description=_("期间内经合规认定的违规记录条数"),
    ),
]
