"""Indicators of the sales app for assessment (SPEC §9; rmdesk.core.indicators): product sales (count,
amount, amount at product prices) from the daily sales log, cross-sell rate, coverage and wealth
penetration of the RM's book, referral conversions credited to referrers, opportunities won. Each is
set-based: a few grouped queries for every RM at once; the book-mix figures (cross-sell, coverage,
penetration) GROUP BY the A-post RM over the holdings open at the period's end joined to products."""

from decimal import Decimal

from django.db import connection
from django.db.models import Count, Sum
from django.utils.translation import gettext_lazy as _

from rmdesk.core.indicators import Indicator, Measure
from rmdesk.customers.models import Customer, Holding, Product, ProductCategory

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


def _book_sizes(rm_ids) -> dict[int, int]:
    """{rm: customers in the RM's book} (current A-post, merged-away customers left out)."""
    return dict(_book(rm_ids).values("a_rm_id").annotate(n=Count("id")).values_list("a_rm_id", "n"))


def _held(rm_ids, end, columns: str) -> tuple[str, list]:
    """SQL of the distinct (RM, customer, `columns`) rows of the holdings open at `end` in the books of
    `rm_ids` (all RMs when None): a holding counts when opened on or before `end` (or undated) and not
    closed by then. Table and column names come from the models' _meta."""
    h, c, p = Holding._meta, Customer._meta, Product._meta
    col = {
        "h_customer": h.get_field("customer").column,
        "h_product": h.get_field("product").column,
        "opened": h.get_field("opened_on").column,
        "closed": h.get_field("closed_on").column,
        "a_rm": c.get_field("a_rm").column,
        "merged": c.get_field("merged_into").column,
        "category": p.get_field("category").column,
    }
    sql = (
        f"SELECT DISTINCT c.{col['a_rm']} AS rm, h.{col['h_customer']} AS customer, {columns} "
        f"FROM {h.db_table} h JOIN {c.db_table} c ON c.{c.pk.column} = h.{col['h_customer']} "
        f"JOIN {p.db_table} p ON p.{p.pk.column} = h.{col['h_product']} "
        f"WHERE c.{col['merged']} IS NULL AND c.{col['a_rm']} IS NOT NULL "
        f"AND (h.{col['opened']} IS NULL OR h.{col['opened']} <= %s) "
        f"AND (h.{col['closed']} IS NULL OR h.{col['closed']} > %s)"
    )
    params: list = [end, end]
    if rm_ids is not None:
        ids = [int(r) for r in rm_ids]
        sql += f" AND c.{col['a_rm']} IN ({', '.join(['%s'] * len(ids))})"
        params += ids
    return sql.replace("{product}", f"h.{col['h_product']}").replace("{category}", f"p.{col['category']}"), params


def _grouped(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def _products_by_rm(rm_ids, end) -> dict[int, int]:
    """{rm: Σ over the book of distinct products held} in one grouped query."""
    held, params = _held(rm_ids, end, "{product} AS product")
    return dict(_grouped(f"SELECT rm, COUNT(*) FROM ({held}) t GROUP BY rm", params))


def _kinds_by_rm(rm_ids, end, category: str | None = None) -> dict[int, int]:
    """{rm: Σ over the book of distinct product kinds held} (or of customers holding `category`)."""
    held, params = _held(rm_ids, end, "{category} AS category")
    where = ""
    if category is not None:
        where, params = " WHERE category = %s", [*params, category]
    return dict(_grouped(f"SELECT rm, COUNT(*) FROM ({held}) t{where} GROUP BY rm", params))


def _cross_sell_rate(start, end, rm_ids):
    """Products per customer of the book: distinct (customer, product) pairs over the book's size."""
    rm_ids = None if rm_ids is None else list(rm_ids)
    if rm_ids == []:
        return {}
    sizes, held = _book_sizes(rm_ids), _products_by_rm(rm_ids, end)
    return {rm: Measure.ratio(held.get(rm, 0), n, percent=False) for rm, n in sizes.items()}


def _coverage(start, end, rm_ids):
    """Average coverage of the eight product kinds over the book: distinct (customer, kind) pairs over
    8 × the book's size."""
    rm_ids = None if rm_ids is None else list(rm_ids)
    if rm_ids == []:
        return {}
    sizes, kinds = _book_sizes(rm_ids), _kinds_by_rm(rm_ids, end)
    return {rm: Measure.ratio(kinds.get(rm, 0), n * 8) for rm, n in sizes.items()}


def _penetration(start, end, rm_ids):
    """Share of the book holding a wealth product (理财产品渗透率)."""
    rm_ids = None if rm_ids is None else list(rm_ids)
    if rm_ids == []:
        return {}
    sizes, wealth = _book_sizes(rm_ids), _kinds_by_rm(rm_ids, end, ProductCategory.WEALTH)
    return {rm: Measure.ratio(wealth.get(rm, 0), n) for rm, n in sizes.items()}


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
