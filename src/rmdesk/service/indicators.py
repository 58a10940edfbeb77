"""Assessment indicators owned by customer service (SPEC §9; rmdesk.core.indicators): satisfaction index,
valid complaints and key-customer churn, computed for a period over many RMs in grouped queries, with the
rows each value counted for the drill-down in the viewer's own scope."""

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rmdesk.core.indicators import Direction, Indicator, Measure
from rmdesk.customers.models import Customer

from .models import Case, CaseKind, ChurnEvent, SurveyResponse
from .scope import visible_cases, visible_churn, visible_responses


def _span(start, end):
    tz = timezone.get_current_timezone()
    return (
        timezone.make_aware(datetime.combine(start, time.min), tz),
        timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), tz),
    )


def satisfaction(start, end, rm_ids):
    """The mean satisfaction score of the survey answers about the RM's customers in the period."""
    lo, hi = _span(start, end)
    qs = SurveyResponse.objects.filter(answered_at__gte=lo, answered_at__lt=hi, score__isnull=False, rm__isnull=False)
    if rm_ids is not None:
        qs = qs.filter(rm__in=list(rm_ids))
    rows = qs.values("rm").annotate(s=Sum("score"), n=Count("id")).order_by()
    return {r["rm"]: Measure.ratio(r["s"], r["n"], percent=False) for r in rows}


def satisfaction_records(viewer, rm_id, start, end):
    lo, hi = _span(start, end)
    return visible_responses(viewer).filter(rm=rm_id, answered_at__gte=lo, answered_at__lt=hi, score__isnull=False)


def _valid(start, end):
    lo, hi = _span(start, end)
    return Case.objects.filter(
        kind=CaseKind.COMPLAINT, is_valid=True, registered_at__gte=lo, registered_at__lt=hi
    ).annotate(staff=Coalesce("responsible_staff", "owner"))


def valid_complaints(start, end, rm_ids):
    """Complaints registered in the period and found valid, counted against the responsible staff member
    (else the case's responsible person)."""
    qs = _valid(start, end)
    if rm_ids is not None:
        qs = qs.filter(staff__in=list(rm_ids))
    return {r["staff"]: Measure(Decimal(r["n"])) for r in qs.values("staff").annotate(n=Count("id")).order_by()}


def complaint_records(viewer, rm_id, start, end):
    return visible_cases(viewer).filter(pk__in=_valid(start, end).filter(staff=rm_id).values("pk"))


def key_churn(start, end, rm_ids):
    """Tiered (key) customers lost in the period over the RM's tiered book plus those lost, in percent."""
    lost = ChurnEvent.objects.filter(occurred_on__gte=start, occurred_on__lte=end, tier__isnull=False, rm__isnull=False)
    book = Customer.objects.filter(tier__isnull=False, a_rm__isnull=False, merged_into__isnull=True)
    if rm_ids is not None:
        lost, book = lost.filter(rm__in=list(rm_ids)), book.filter(a_rm__in=list(rm_ids))
    lost_by = {r["rm"]: r["n"] for r in lost.values("rm").annotate(n=Count("id")).order_by()}
    held_by = {r["a_rm"]: r["n"] for r in book.values("a_rm").annotate(n=Count("id")).order_by()}
    return {
        rm: Measure.ratio(lost_by.get(rm, 0), lost_by.get(rm, 0) + held_by.get(rm, 0)) for rm in {*lost_by, *held_by}
    }


def churn_records(viewer, rm_id, start, end):
    return visible_churn(viewer).filter(rm=rm_id, occurred_on__gte=start, occurred_on__lte=end, tier__isnull=False)


INDICATORS = [
    Indicator(
        "service.satisfaction",
        _("客户服务满意度"),
        _("分"),
        satisfaction,
        records=satisfaction_records,
        description=_("期间内满意度调查答卷的平均得分"),
    ),
    Indicator(
        "service.valid_complaints",
        _("客户有效投诉件数"),
        _("件"),
        valid_complaints,
        records=complaint_records,
        direction=Direction.LOWER,
    ),
    Indicator(
        "service.key_churn",
        _("重点客户流失率"),
        "%",
        key_churn,
        records=churn_records,
        percent=True,
        direction=Direction.LOWER,
        description=_("期间内流失的分层客户 ÷（现有分层客户 + 流失客户）"),
    ),
]
