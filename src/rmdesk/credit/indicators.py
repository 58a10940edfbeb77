"""Assessment indicators owned by the credit app (SPEC §9 "loans", "loan quality", "loan recovery rate";
rmdesk.core.indicators): computed for a period over many RMs at once (grouped queries, never one per RM),
with the rows each value counted for the drill-down, in the viewer's own scope. An RM's figures are those
of the loans they manage (`Loan.rm`).

- loans granted (count and amount): loans drawn in the period;
- loan quality: the share of the 正常 amount among the loans outstanding at the period's end, each loan
  classified as on that day (the classification history); the non-performing ratio is the share of
  次级/可疑/损失 on the same base. The loan system keeps the balances, this app only the drawn amount
  (审贷分离: the RM never posts ledger entries), so "balance" is the drawn amount of a loan not yet matured;
- post-loan checks on time: the checks due in the period (up to today) that were done by their due day.
A recovery rate of due repayments is not declared: no repayment schedule or repayment is recorded here.
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rmdesk.core.indicators import Direction, Indicator, Measure

from .models import Classification, ClassificationChange, Loan, PostLoanCheck
from .scope import visible_checks, visible_loans

NON_PERFORMING = (Classification.SUBSTANDARD, Classification.DOUBTFUL, Classification.LOSS)
TEN_THOUSAND = Decimal(10000)


def _end_of(day: date) -> datetime:
    """The first instant after `day` in the project's time zone."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min), timezone.get_current_timezone())


def _loans(rm_ids):
    qs = Loan.objects.all()
    return qs if rm_ids is None else qs.filter(rm__in=list(rm_ids))


def loans_granted(start, end, rm_ids):
    rows = _loans(rm_ids).filter(start_on__gte=start, start_on__lte=end).values("rm").annotate(n=Count("id"))
    return {r["rm"]: Measure(Decimal(r["n"])) for r in rows.order_by()}


def loans_granted_amount(start, end, rm_ids):
    rows = _loans(rm_ids).filter(start_on__gte=start, start_on__lte=end).values("rm").annotate(s=Sum("amount"))
    return {r["rm"]: Measure((r["s"] or Decimal(0)) / TEN_THOUSAND) for r in rows.order_by()}


def granted_records(viewer, rm_id, start, end):
    return visible_loans(viewer).filter(rm=rm_id, start_on__gte=start, start_on__lte=end)


def _outstanding(qs, day: date):
    """Loans drawn by `day` and not matured, annotated with their classification on `day` (`cls_then`)."""
    then = (
        ClassificationChange.objects.filter(loan=OuterRef("pk"), at__lt=_end_of(day))
        .order_by("-at", "-id")
        .values("after")[:1]
    )
    return qs.filter(start_on__lte=day, end_on__gt=day).annotate(cls_then=Subquery(then))


def _share(end, rm_ids, classes):
    rows = (
        _outstanding(_loans(rm_ids), end)
        .values("rm")
        .annotate(
            part=Sum("amount", filter=Q(cls_then__in=classes) | Q(cls_then__isnull=True, classification__in=classes)),
            whole=Sum("amount"),
        )
        .order_by()
    )
    return {r["rm"]: Measure.ratio(r["part"] or 0, r["whole"] or 0) for r in rows}


def loan_quality(start, end, rm_ids):
    return _share(end, rm_ids, [Classification.NORMAL])


def npl_ratio(start, end, rm_ids):
    return _share(end, rm_ids, list(NON_PERFORMING))


def outstanding_records(viewer, rm_id, start, end):
    return _outstanding(visible_loans(viewer).filter(rm=rm_id), end)


def _due_checks(qs, start, end):
    last = min(end, timezone.localdate())
    return qs.filter(due_on__gte=start, due_on__lte=last)


def checks_on_time(start, end, rm_ids):
    qs = PostLoanCheck.objects.all()
    if rm_ids is not None:
        qs = qs.filter(loan__rm__in=list(rm_ids))
    rows = (
        _due_checks(qs, start, end)
        .annotate(rm=F("loan__rm"), done_on=TruncDate("done_at", tzinfo=timezone.get_current_timezone()))
        .values("rm")
        .annotate(n=Count("id"), on_time=Count("id", filter=Q(done_at__isnull=False, done_on__lte=F("due_on"))))
        .order_by()
    )
    return {r["rm"]: Measure.ratio(r["on_time"], r["n"]) for r in rows}


def check_records(viewer, rm_id, start, end):
    return _due_checks(visible_checks(viewer).filter(loan__rm=rm_id), start, end)


INDICATORS = [
    Indicator(
        code="credit.loans_granted",
        name=_("贷款发放笔数"),
        unit=_("笔"),
        compute=loans_granted,
        records=granted_records,
        description=_("期间内放款的贷款笔数（按管户客户经理）。"),
    ),
    Indicator(
        code="credit.loans_granted_amount",
        name=_("贷款发放金额"),
        unit=_("万元"),
        compute=loans_granted_amount,
        records=granted_records,
        description=_("期间内放款的贷款金额合计。"),
    ),
    Indicator(
        code="credit.loan_quality",
        name=_("贷款质量（正常类占比）"),
        unit="%",
        compute=loan_quality,
        records=outstanding_records,
        percent=True,
        description=_("期末未到期贷款中，按期末五级分类为正常的金额占比（贷款金额按放款金额计）。"),
    ),
    Indicator(
        code="credit.npl_ratio",
        name=_("不良贷款率"),
        unit="%",
        compute=npl_ratio,
        records=outstanding_records,
        percent=True,
        direction=Direction.LOWER,
        description=_("期末未到期贷款中，按期末五级分类为次级、可疑、损失的金额占比。"),
    ),
    Indicator(
        code="credit.checks_on_time",
        name=_("贷后检查按时完成率"),
        unit="%",
        compute=checks_on_time,
        records=check_records,
        percent=True,
        description=_("期间内（截至今日）到期的贷后检查中，在应检查日期当日或之前完成的比例。"),
    ),
]
