"""Query shapes of the customer list (customers.queries, bench/notes.md items 1-3): only the listed
columns, one ordered scan per owner index for one person's book, a sargable keyset bound. Every shape
must answer exactly what the simple form answers: `(a_rm = x OR b_rm = x)` / the scope, sorted by
AUM descending then id, including ties on AUM across page boundaries and B-post customers."""

from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from rmdesk.customers import queries
from rmdesk.customers.models import Customer, Tier
from rmdesk.customers.scope import visible_customers
from rmdesk.org.models import Role, RoleCode

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(world, make_customer):
    """rm's book: A-post and B-post customers with AUM ties across pages, plus everyone else's."""
    gold = Tier.objects.get(code="gold", rule_set__code="bank")
    made = []
    aums = [500, 300, 300, 300, 300, 200, 200, 100, 100, 100, 0, 0]
    for i, aum in enumerate(aums):
        made.append(make_customer(world.rm, name=f"王甲{i}", aum=Decimal(aum), tier=gold if i % 2 else None))
        # B-post customers interleave with the A-post ones, with the same AUM values (ties)
        made.append(make_customer(world.rm_b, b_rm=world.rm, name=f"王乙{i}", aum=Decimal(aum)))
    made.append(make_customer(world.rm, b_rm=world.rm, name="王丙", aum=Decimal(300)))  # both posts
    merged = make_customer(world.rm, name="王丁", aum=Decimal(300))
    merged.merged_into = made[0]
    merged.save()
    for i, aum in enumerate(aums):  # not in rm's book
        make_customer(world.rm_b, name=f"李{i}", aum=Decimal(aum))
        make_customer(world.rm2, name=f"赵{i}", aum=Decimal(aum))
    return made


def simple_ids(qs):
    return list(qs.order_by("-aum", "id").values_list("id", flat=True))


def book_of(user):
    return Customer.objects.filter(Q(a_rm=user) | Q(b_rm=user), merged_into__isnull=True)


def walk(user, params, size):
    """Every page through the keyset cursor: the ids in page order, and the pages' lengths."""
    ids, cursor = [], None
    for _ in range(100):
        page = queries.page_of(queries.filtered_customers(user, params), cursor, size)
        ids += [c.pk for c in page.items]
        cursor = page.next_cursor
        if not cursor:
            return ids
    raise AssertionError("the cursor never ends")


@pytest.mark.parametrize("size", [1, 2, 3, 4, 7, 50])
def test_rm_book_pages_equal_the_simple_form(world, book, size):
    expected = simple_ids(book_of(world.rm))
    assert len(expected) == 25  # 12 A-post, 12 B-post, one on both posts; the merged one hidden
    assert walk(world.rm, {}, size) == expected
    # numbered pages answer the same order
    numbered = []
    for n in range(1, len(expected) // size + 2):
        numbered += [c.pk for c in queries.page_of(queries.filtered_customers(world.rm, {}), None, size, n).items]
    assert numbered == expected


@pytest.mark.parametrize(
    "params", [{"q": "王乙"}, {"q": "wj"}, {"tier": "gold"}, {"owner": "me"}, {"kind": "individual"}]
)
def test_rm_book_with_filters_equals_the_simple_form(world, book, params):
    expected = simple_ids(queries.filtered_customers(world.rm, params))
    assert expected  # the filter keeps some of the book
    assert walk(world.rm, params, 3) == expected
    assert walk(world.rm, params, 100) == expected


def test_rm_only_scope_reads_two_ordered_owner_scans(world, book):
    assert queries.own_book_only(world.rm)
    qs = queries.filtered_customers(world.rm, {})
    assert qs.book_owner == world.rm.pk
    with CaptureQueriesContext(connection) as ctx:
        page = queries.page_of(qs, None, 5)
    if connection.features.supports_slicing_ordering_in_compound:
        # PostgreSQL: the two limited scans go as one statement, `(… LIMIT 6) UNION ALL (… LIMIT 6)` (issue 18)
        assert len(ctx.captured_queries) == 1
        a_sql, b_sql = ctx.captured_queries[0]["sql"].split(" UNION ALL ")
    else:  # SQLite forbids a LIMIT inside a compound select: two queries
        assert len(ctx.captured_queries) == 2
        a_sql, b_sql = (q["sql"] for q in ctx.captured_queries)
    for sql, column in ((a_sql, "a_rm_id"), (b_sql, "b_rm_id")):
        where = sql.split(" WHERE ", 1)[1]
        assert f'"customers_customer"."{column}" = {world.rm.pk}' in where
        assert " OR " not in where  # the implied `a_rm = x OR b_rm = x` is dropped
        assert "LIMIT 6" in sql
        assert "password" not in sql  # only the listed columns, never the RMs' password hashes
    with CaptureQueriesContext(connection) as ctx:
        queries.page_of(qs, page.next_cursor, 5)
    for q in ctx.captured_queries:  # the sargable keyset bound
        assert '"customers_customer"."aum" <=' in q["sql"] and "NOT (" in q["sql"]


def test_supervisors_and_mixed_roles_keep_the_scope_query(world, book):
    assert not queries.own_book_only(world.lead)
    assert not queries.own_book_only(world.manager)
    world.rm_b.roles.add(Role.objects.get_or_create(code=RoleCode.TEAM_LEAD)[0])
    world.rm_b._role_codes = None
    assert not queries.own_book_only(world.rm_b)
    for user in (world.lead, world.manager, world.rm_b):
        qs = queries.filtered_customers(user, {})
        assert qs.book_owner is None
        expected = simple_ids(visible_customers(user).filter(merged_into__isnull=True))
        assert walk(user, {}, 4) == expected


def test_owner_filter_of_a_supervisor_reads_the_owner_scans(world, book):
    qs = queries.filtered_customers(world.lead, {"owner": str(world.rm.pk)})
    assert qs.book_owner == world.rm.pk
    expected = simple_ids(book_of(world.rm).filter(org_path__startswith=world.t1.path))
    assert walk(world.lead, {"owner": str(world.rm.pk)}, 3) == expected
    assert walk(world.lead2, {"owner": str(world.rm.pk)}, 3) == []  # out of lead2's scope


def test_combining_querysets_drops_the_book_hint(world, book):
    qs = queries.filtered_customers(world.rm, {})
    other = Customer.objects.filter(a_rm=world.rm2)
    assert (qs | other).book_owner is None
    assert (qs ^ other).book_owner is None
    assert qs.union(other).book_owner is None
    assert qs.filter(aum__gte=100).exclude(name="x").all().book_owner == world.rm.pk


def test_rows_carry_the_listed_columns_and_owners(world, book, django_assert_max_num_queries):
    page = queries.page_of(queries.filtered_customers(world.rm, {}), None, 50)
    with django_assert_max_num_queries(0):
        for c in page.items:
            (
                c.name,
                c.customer_no,
                c.get_kind_display(),
                c.get_stage_display(),
                c.aum,
                c.completeness,
                c.tier.name if c.tier else "",
                c.a_rm.display_name if c.a_rm else "",
                c.b_rm.display_name if c.b_rm else "",
                c.mobile,
                c.id_number,
                c.credit_code,
                c.org_unit_id,
            )
    assert {"password", "address", "annual_income", "metrics"} & {
        f for f in ("password", "address", "annual_income", "metrics") if f in page.items[0].__dict__
    } == set()


def test_list_api_and_page_show_b_post_customers(world, book, api_client, client):
    body = api_client(world.rm).get("/api/customers/", {"page_size": 200}).json()
    assert [r["id"] for r in body["items"]] == simple_ids(book_of(world.rm))
    row = next(r for r in body["items"] if r["name"] == "王甲1")
    assert row["tier"]["code"] == "gold" and row["a_rm_id"] == world.rm.pk
    client.force_login(world.rm)
    html = client.get("/customers/", {"page_size": 200}).content.decode()
    assert "王乙3" in html and "rm_b / rm" in html
