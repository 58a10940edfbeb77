"""The book-mix indicators (SPEC §4, §9: cross-sell rate, coverage, wealth penetration) are grouped SQL over
the holdings open at the period's end; they give the same figures as the per-RM Python computation they
replaced (kept below as the reference), on hand-made books and on random ones (hypothesis)."""

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Q
from hypothesis import HealthCheck, given, settings, strategies as st

from rmdesk.customers.models import Customer, Holding, Product
from rmdesk.sales import indicators

pytestmark = pytest.mark.django_db

END = date(2026, 6, 30)
START = date(2026, 6, 1)


# --- the reference: the Python computation the SQL replaced (sales/indicators.py before issue 11's rewrite) ------


def _ref_holdings_by_rm(rm_ids, end):
    qs = Customer.objects.filter(merged_into__isnull=True, a_rm__isnull=False)
    qs = qs.filter(a_rm_id__in=list(rm_ids)) if rm_ids is not None else qs
    customers = dict(qs.values_list("pk", "a_rm_id"))
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


def reference(rm_ids, end):
    from rmdesk.core.indicators import Measure

    book = _ref_holdings_by_rm(rm_ids, end)
    return {
        "sales.cross_sell_rate": {rm: Measure.ratio(p, n, percent=False) for rm, (n, p, _c) in book.items()},
        "sales.coverage": {
            rm: Measure.ratio(sum(by_cat.values()), n * 8) if n else Measure.ratio(0, 0)
            for rm, (n, _p, by_cat) in book.items()
        },
        "sales.penetration": {rm: Measure.ratio(by_cat.get("wealth", 0), n) for rm, (n, _p, by_cat) in book.items()},
    }


def sql(rm_ids, end):
    return {
        "sales.cross_sell_rate": indicators._cross_sell_rate(START, end, rm_ids),
        "sales.coverage": indicators._coverage(START, end, rm_ids),
        "sales.penetration": indicators._penetration(START, end, rm_ids),
    }


def as_tuples(figures):
    return {
        code: {rm: (m.value, m.numerator, m.denominator) for rm, m in per_rm.items()}
        for code, per_rm in figures.items()
    }


# --- hand-made book ---------------------------------------------------------------------------------------------


def test_hand_made_book(world, make_customer):
    p = {x.code: x for x in Product.objects.all()}
    a, b, c = (make_customer(world.rm) for _ in range(3))
    merged = make_customer(world.rm)
    merged.merged_into = a
    merged.save()
    d = make_customer(world.rm2)
    make_customer(world.rm_b)  # a book with no holdings: 0 everywhere, not missing

    def hold(cust, code, opened=None, closed=None):
        Holding.objects.create(customer=cust, product=p[code], balance=Decimal(1), opened_on=opened, closed_on=closed)

    hold(a, "DEP-CUR")
    hold(a, "DEP-CUR")  # the same product twice counts once
    hold(a, "DEP-FIX1Y")  # a second deposit product: a product, not a kind
    hold(a, "WM-STABLE", opened=END)  # opened on the last day: held
    hold(b, "WM-STABLE", opened=END + timedelta(days=1))  # opened after the period: not held
    hold(b, "FD-BOND", closed=END)  # closed on the last day: not held
    hold(c, "CARD-CREDIT", closed=END + timedelta(days=1))  # closed later: held at the end
    hold(merged, "FD-BOND")  # a merged-away customer is nobody's book
    hold(d, "FD-BOND")

    got = as_tuples(sql([world.rm.pk, world.rm2.pk, world.rm_b.pk], END))
    rm, rm2, rm_b = world.rm.pk, world.rm2.pk, world.rm_b.pk
    # rm: customers a, b, c; products a:3, c:1 → 4/3; kinds a:{deposit, wealth}, c:{card} → 3/(3×8); wealth 1/3
    assert got["sales.cross_sell_rate"][rm] == (Decimal("1.3333"), Decimal(4), Decimal(3))
    assert got["sales.coverage"][rm] == (Decimal("12.5000"), Decimal(3), Decimal(24))
    assert got["sales.penetration"][rm] == (Decimal("33.3333"), Decimal(1), Decimal(3))
    assert got["sales.cross_sell_rate"][rm2] == (Decimal("1.0000"), Decimal(1), Decimal(1))
    assert got["sales.penetration"][rm2] == (Decimal("0.0000"), Decimal(0), Decimal(1))
    assert got["sales.coverage"][rm_b] == (Decimal("0.0000"), Decimal(0), Decimal(8))
    assert got == as_tuples(reference([rm, rm2, rm_b], END))
    # all RMs at once, and a subset given as a generator
    assert as_tuples(sql(None, END)) == as_tuples(reference(None, END))
    only = indicators._coverage(START, END, (x for x in [rm2]))
    assert set(only) == {rm2}
    assert sql([], END) == {"sales.cross_sell_rate": {}, "sales.coverage": {}, "sales.penetration": {}}


def test_registered_indicators_are_the_sql_ones():
    from rmdesk.core.indicators import registry

    reg = registry()
    assert reg["sales.cross_sell_rate"].compute is indicators._cross_sell_rate
    assert reg["sales.coverage"].compute is indicators._coverage
    assert reg["sales.penetration"].compute is indicators._penetration


# --- random books ---------------------------------------------------------------------------------------------------

DAY = st.one_of(st.none(), st.integers(min_value=-40, max_value=40).map(lambda n: END + timedelta(days=n)))
HOLDING = st.tuples(st.integers(0, 7), st.integers(0, 11), DAY, DAY)  # customer, product, opened, closed
CUSTOMER = st.tuples(st.integers(0, 3), st.booleans())  # which RM (3: none), merged away
BOOK = st.tuples(st.lists(CUSTOMER, min_size=1, max_size=8), st.lists(HOLDING, max_size=25))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(book=BOOK, subset=st.booleans())
def test_sql_equals_python_on_random_books(world, make_customer, book, subset):
    customers_spec, holdings_spec = book
    rms = [world.rm, world.rm2, world.rm_b, None]
    products = list(Product.objects.order_by("code")[:12])
    with transaction.atomic():
        made = []
        for rm_index, merged in customers_spec:
            rm = rms[rm_index]
            made.append(make_customer(rm, unit=None if rm else world.o1))
            if merged and len(made) > 1:
                made[-1].merged_into = made[0]
                made[-1].save()
        for ci, pi, opened, closed in holdings_spec:
            Holding.objects.create(
                customer=made[ci % len(made)],
                product=products[pi % len(products)],
                balance=Decimal(1),
                opened_on=opened,
                closed_on=closed,
            )
        rm_ids = [world.rm.pk, world.rm_b.pk] if subset else None
        assert as_tuples(sql(rm_ids, END)) == as_tuples(reference(rm_ids, END))
        transaction.set_rollback(True)
