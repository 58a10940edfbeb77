"""Indicators of the people app for assessment (SPEC §9 ← §10; rmdesk.core.indicators): the quarterly
inspection score (检查结果将作为…绩效考核和员工年度考评依据, seed 001:273), training points and training
hours. Set-based: one grouped query per period for all RMs; the drill-down lists the rows counted, in
the viewer's scope."""

from decimal import Decimal

from django.db.models import Count, Sum
from django.utils.translation import gettext_lazy as _

from rmdesk.core.indicators import Indicator, Measure

from .models import Attendance, Inspection
from .scope import visible_attendance, visible_inspections


def _filter(qs, rm_ids):
    return qs if rm_ids is None else qs.filter(person_id__in=list(rm_ids))


def inspection_score(start, end, rm_ids=None) -> dict:
    """The mean score of the RM's inspections dated in the period (a rate: Σ scores / number of
    inspections, so a team's figure is the mean over all its inspections)."""
    rows = (
        _filter(Inspection.objects.filter(inspected_on__gte=start, inspected_on__lte=end), rm_ids)
        .values("person_id")
        .annotate(total=Sum("score"), n=Count("pk"))
    )
    return {r["person_id"]: Measure.ratio(r["total"], r["n"], percent=False) for r in rows}


def inspection_records(viewer, rm_id, start, end):
    return visible_inspections(viewer).filter(person_id=rm_id, inspected_on__gte=start, inspected_on__lte=end)


def _attendance_sum(field):
    def compute(start, end, rm_ids=None) -> dict:
        rows = (
            _filter(Attendance.objects.filter(held_on__gte=start, held_on__lte=end, attended=True), rm_ids)
            .values("person_id")
            .annotate(total=Sum(field))
        )
        return {r["person_id"]: Measure(r["total"] or Decimal(0)) for r in rows}

    return compute


def attendance_records(viewer, rm_id, start, end):
    return visible_attendance(viewer).filter(person_id=rm_id, held_on__gte=start, held_on__lte=end, attended=True)


INDICATORS = [
    Indicator(
        code="people.inspection_score",
        name=_("季度检查得分"),
        unit=_("分"),
        compute=inspection_score,
        records=inspection_records,
        description=_("期间内各次工作检查得分的平均值（100 分减发现问题扣分）"),
    ),
    Indicator(
        code="people.training_points",
        name=_("培训积分"),
        unit=_("分"),
        compute=_attendance_sum("points"),
        records=attendance_records,
        description=_("期间内参加培训（考试合格）获得的积分"),
    ),
    Indicator(
        code="people.training_hours",
        name=_("培训学时"),
        unit=_("学时"),
        compute=_attendance_sum("hours"),
        records=attendance_records,
        description=_("期间内出勤培训的学时"),
    ),
]
