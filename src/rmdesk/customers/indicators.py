"""Assessment indicators owned by the customer archive (SPEC §9; rmdesk.core.indicators): computed for a
period over many RMs at once (grouped queries, never one per RM), with the rows each value counted for the
drill-down, in the viewer's own customer scope. An RM's figures are those of their A-post (主办) book."""

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rmdesk.core.indicators import Indicator, Measure

from .models import Customer, TierChange, TierDirection
from .scope import visible_customers

#: a tier of rank 2 or above is 中高端 (every seeded set ranks its lowest tier 1)
HIGH_END_RANK = 2


def _span(start, end):
    """The aware datetimes [start 00:00, end + 1 day 00:00) in the project's time zone."""
    tz = timezone.get_current_timezone()
    return (
        timezone.make_aware(datetime.combine(start, time.min), tz),
        timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), tz),
    )


def _books(rm_ids):
    qs = Customer.objects.filter(a_rm__isnull=False, merged_into__isnull=True)
    return qs if rm_ids is None else qs.filter(a_rm__in=list(rm_ids))


def _counts(qs) -> dict[int, Measure]:
    return {row["a_rm"]: Measure(Decimal(row["n"])) for row in qs.values("a_rm").annotate(n=Count("id")).order_by()}


def new_customers(start, end, rm_ids):
    lo, hi = _span(start, end)
    return _counts(_books(rm_ids).filter(created_at__gte=lo, created_at__lt=hi))


def new_customers_records(viewer, rm_id, start, end):
    lo, hi = _span(start, end)
    return visible_customers(viewer).filter(a_rm=rm_id, created_at__gte=lo, created_at__lt=hi, merged_into__isnull=True)


def aum(start, end, rm_ids):
    rows = _books(rm_ids).values("a_rm").annotate(s=Sum("aum")).order_by()
    return {r["a_rm"]: Measure((r["s"] or Decimal(0)) / Decimal(10000)) for r in rows}


def book_records(viewer, rm_id, start, end):
    return visible_customers(viewer).filter(a_rm=rm_id, merged_into__isnull=True)


def aum_growth(start, end, rm_ids):
    """AUM brought by the customers opened in the period over the AUM of the rest of the book (no balance
    history is kept, so the book at the period's start is today's book less the new customers)."""
    lo, hi = _span(start, end)
    new = Q(created_at__gte=lo, created_at__lt=hi)
    rows = _books(rm_ids).values("a_rm").annotate(new=Sum("aum", filter=new), rest=Sum("aum", filter=~new)).order_by()
    return {r["a_rm"]: Measure.ratio(r["new"] or 0, r["rest"] or 0) for r in rows}


def completeness(start, end, rm_ids):
    rows = _books(rm_ids).values("a_rm").annotate(s=Sum("completeness"), n=Count("id")).order_by()
    return {r["a_rm"]: Measure.ratio(r["s"] or 0, r["n"], percent=False) for r in rows}


def tier_upgrades(start, end, rm_ids):
    lo, hi = _span(start, end)
    qs = TierChange.objects.filter(direction=TierDirection.UP, at__gte=lo, at__lt=hi, a_rm__isnull=False)
    if rm_ids is not None:
        qs = qs.filter(a_rm__in=list(rm_ids))
    return {r["a_rm"]: Measure(Decimal(r["n"])) for r in qs.values("a_rm").annotate(n=Count("id")).order_by()}


def tier_upgrade_records(viewer, rm_id, start, end):
    lo, hi = _span(start, end)
    ups = TierChange.objects.filter(direction=TierDirection.UP, at__gte=lo, at__lt=hi, a_rm=rm_id)
    return visible_customers(viewer).filter(pk__in=ups.values("customer_id"))


def high_end(start, end, rm_ids):
    return _counts(_books(rm_ids).filter(tier__rank__gte=HIGH_END_RANK))


def high_end_records(viewer, rm_id, start, end):
    return book_records(viewer, rm_id, start, end).filter(tier__rank__gte=HIGH_END_RANK)


INDICATORS = [
    Indicator(
        "customers.new_customers",
        _("新增客户数"),
        _("户"),
        new_customers,
        records=new_customers_records,
        description=_("期间内新建档、由本人主办的客户"),
    ),
    Indicator(
        "customers.aum",
        _("管户金融资产(AUM)"),
        _("万元"),
        aum,
        records=book_records,
        description=_("主办客户当前金融资产合计"),
    ),
    Indicator(
        "customers.aum_growth",
        _("AUM增长率"),
        "%",
        aum_growth,
        records=new_customers_records,
        percent=True,
        description=_("期间新客户带来的金融资产 ÷ 其余管户金融资产"),
    ),
    Indicator(
        "customers.completeness",
        _("客户档案完整度"),
        _("分"),
        completeness,
        records=book_records,
        description=_("主办客户档案完整度的平均分（0–100）"),
    ),
    Indicator("customers.tier_upgrades", _("客户等级提升数"), _("户"), tier_upgrades, records=tier_upgrade_records),
    Indicator("customers.high_end", _("中高端客户管户数"), _("户"), high_end, records=high_end_records),
]
