"""Indicators of the sales app for assessment (SPEC §9; rmdesk.core.indicators): product sales (count,
amount, amount at product prices) from the daily sales log, cross-sell rate, coverage and wealth
penetration of the RM's book, referral conversions credited to referrers, opportunities won. Each is
set-based: a few grouped queries for every RM at once."""

from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext_lazy as _

from rmdesk.core.indicators import Indicator, Measure
from rmdesk.customers.models import Customer, Holding

from .models import Opportunity, Referral, Sale, StageKind
from .scope import visible_opportunities, visible_referrals, visible_sales


def _sales(start, end, rm_ids):
    qs = Sale.objects.filter(sold_on__gte=start, sold_on__lte=end)
    return qs.filter(rm_id__in=list(rm_ids)) if rm_ids is not None else qs


def _sum(field):
    def compute(start, end, rm_ids):
        rows = _sales(start, end, rm_ids).values("rm_id").annotate(v=Sum(field) if field else Count("id"))
        return {r["rm_id"]: Measure(Decimal(r["v"] or 0)) for r in rows}

    return compute


def _sale_records(viewer, rm_id, start, end):
    return visible_sales(viewer).filter(rm_id=rm_id, sold_on__gte=start, sold_on__lte=end)


def _book(rm_ids):
    qs = Customer.objects.filter(merged_into__isnull=True, a_rm__isnull=False)
    return qs.filter(a_rm_id__in=list(rm_ids)) if rm_ids is not None else qs


def _holdings_by_rm(rm_ids, end):
    """{rm: (customers, products held, {category: customers holding it})} over the RM's book at `end`."""
    customers = dict(_book(rm_ids).values_list("pk", "a_rm_id"))
    counts = defaultdict(int)
    for rm in customers.values():
        counts[rm] += 1
    held = (
        Holding.objects.filter(customer_id__in=customers.keys())
        .filter(Q(opened_on__isnull=True) | Q(opened_on__lte=end))
        .filter(Q(closed_on__isnull=True) | Q(closed_on__gt=end))
        .values_list("customer_id", "product_id", "product__category")
        .distinct()
    )
    products, cats = defaultdict(set), defaultdict(set)
    for cid, pid, cat in held:
        products[cid].add(pid)
        cats[cid].add(cat)
    out = {}
    for rm, n in counts.items():
        mine = [c for c, r in customers.items() if r == rm]
        by_cat = defaultdict(int)
        for c in mine:
            for cat in cats[c]:
                by_cat[cat] += 1
        out[rm] = (n, sum(len(products[c]) for c in mine), by_cat)
    return out


def _cross_sell_rate(start, end, rm_ids):
    return {rm: Measure.ratio(p, n, percent=False) for rm, (n, p, _c) in _holdings_by_rm(rm_ids, end).items()}


def _coverage(start, end, rm_ids):
    """Share of the book holding at least two product kinds."""
    out = {}
    for rm, (n, _p, by_cat) in _holdings_by_rm(rm_ids, end).items():
        out[rm] = Measure.ratio(sum(by_cat.values()), n * 8) if n else Measure.ratio(0, 0)
    return out


def _penetration(start, end, rm_ids):
    return {
        rm: Measure.ratio(by_cat.get("wealth", 0), n) for rm, (n, _p, by_cat) in _holdings_by_rm(rm_ids, end).items()
    }


def _book_records(viewer, rm_id, start, end):
    from rmdesk.customers.scope import visible_customers

    return visible_customers(viewer).filter(a_rm_id=rm_id, merged_into__isnull=True)


def _referrals(start, end, rm_ids):
    qs = Referral.objects.filter(credited_on__gte=start, credited_on__lte=end)
    if rm_ids is not None:
        qs = qs.filter(referrer_id__in=list(rm_ids))
    return {r["referrer_id"]: Measure(Decimal(r["n"])) for r in qs.values("referrer_id").annotate(n=Count("id"))}


def _referral_records(viewer, rm_id, start, end):
    return visible_referrals(viewer).filter(referrer_id=rm_id, credited_on__gte=start, credited_on__lte=end)


def _won(start, end, rm_ids):
    qs = Opportunity.objects.filter(stage__kind=StageKind.WON, closed_on__gte=start, closed_on__lte=end)
    if rm_ids is not None:
        qs = qs.filter(owner_id__in=list(rm_ids))
    return {r["owner_id"]: Measure(Decimal(r["n"])) for r in qs.values("owner_id").annotate(n=Count("id"))}


def _won_records(viewer, rm_id, start, end):
    return visible_opportunities(viewer).filter(
        owner_id=rm_id, stage__kind=StageKind.WON, closed_on__gte=start, closed_on__lte=end
    )


INDICATORS = [
    Indicator("sales.product_sales_count", _("产品销售笔数"), _("笔"), _sum(None), records=_sale_records),
    Indicator("sales.product_sales_amount", _("产品销售金额"), _("元"), _sum("amount"), records=_sale_records),
    Indicator(
        "sales.priced_amount",
        _("产品计价金额"),
        _("元"),
        _sum("priced_amount"),
        records=_sale_records,
        description=_("按产品计价（每笔计价加金额千分比）折算的销售业绩"),
    ),
    Indicator(
        "sales.cross_sell_rate",
        _("交叉销售率"),
        _("个/户"),
        _cross_sell_rate,
        records=_book_records,
        description=_("管户客户人均持有产品数"),
    ),
    Indicator(
        "sales.coverage",
        _("产品覆盖率"),
        "%",
        _coverage,
        records=_book_records,
        percent=True,
        description=_("管户客户在八类产品上的平均覆盖比例"),
    ),
    Indicator(
        "sales.penetration",
        _("理财产品渗透率"),
        "%",
        _penetration,
        records=_book_records,
        percent=True,
        description=_("持有理财产品的管户客户占比"),
    ),
    Indicator(
        "sales.referral_conversions",
        _("推介转化数"),
        _("户"),
        _referrals,
        records=_referral_records,
        description=_("推介后在认定期内签约、计入推介人的客户数"),
    ),
    Indicator("sales.opportunities_won", _("签约商机数"), _("个"), _won, records=_won_records),
]
