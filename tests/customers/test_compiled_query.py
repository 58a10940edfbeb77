"""The 360° page's queries compiled once per process (issue 18, decision 96): `customers.slots.compiled` keeps a
query's SQL and puts each request's ids where marker ids stood, and gives back the same model instances the ORM
would; the archive read is kept per viewer scope, so a viewer never reads through another viewer's filter."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from rmdesk.customers import services
from rmdesk.customers.models import Customer, Note, OwnershipChange, OwnershipKind, Tag
from rmdesk.customers.slots import CompiledQuery, compiled

pytestmark = pytest.mark.django_db


def _fields(obj, *names):
    return tuple(getattr(obj, n) for n in names)


def test_rows_are_the_orms_rows_with_their_related_objects(world, make_customer):
    a = make_customer(world.rm, name="甲")
    b = make_customer(world.rm, name="乙")
    for c, n in ((a, 3), (b, 2)):
        for i in range(n):
            services.add_note(world.rm, c.pk, f"{c.name}备注{i}")
            OwnershipChange.objects.create(
                customer=c, kind=OwnershipKind.REASSIGN, from_a=world.rm, to_a=world.rm_b, approved_by=world.manager
            )
    notes = CompiledQuery(
        lambda pk: Note.objects.filter(customer_id=pk).select_related("created_by")[:30], 1, "default"
    )
    moves = CompiledQuery(
        lambda pk: OwnershipChange.objects.filter(customer_id=pk).select_related("from_a", "to_a", "approved_by"),
        1,
        "default",
    )
    for c in (a, b):
        expected = list(Note.objects.filter(customer=c).select_related("created_by")[:30])
        with CaptureQueriesContext(connection) as ctx:
            got = notes(c.pk)
            got_moves = moves(c.pk)
            # the related objects came in the same row: reading them costs no query
            names = [n.created_by.display_name for n in got] + [m.to_a.display_name for m in got_moves]
        assert len(ctx.captured_queries) == 2
        assert [_fields(n, "pk", "text", "created_at", "created_by_id") for n in got] == [
            _fields(n, "pk", "text", "created_at", "created_by_id") for n in expected
        ]
        assert names[: len(got)] == [n.created_by.display_name for n in expected]
        assert [m.pk for m in got_moves] == list(
            OwnershipChange.objects.filter(customer=c).values_list("pk", flat=True)
        )
        assert all(m.approved_by_id == world.manager.pk for m in got_moves)
    assert notes(-1) == []


def test_annotations_deferred_fields_and_many_to_many(world, make_customer):
    c = make_customer(world.rm, name="丙", aum=Decimal("123.45"))
    tag = Tag.objects.create(name="高净值")
    c.tags.add(tag)
    read = CompiledQuery(
        lambda pk: Customer.objects.filter(pk=pk).select_related("a_rm").only("id", "name", "aum", "a_rm__full_name"),
        1,
        "default",
    )
    (got,) = read(c.pk)
    assert (got.name, got.aum, got.a_rm.full_name) == ("丙", Decimal("123.45"), world.rm.full_name)
    assert got.get_deferred_fields() >= {"mobile"}
    tags = CompiledQuery(lambda pk: Tag.objects.filter(customers__id=pk), 1, "default")
    assert [t.name for t in tags(c.pk)] == ["高净值"]


def test_an_id_the_sql_would_inline_is_refused():
    with pytest.raises(ValueError):
        CompiledQuery(lambda pk: Note.objects.filter(text__contains=str(pk)), 1, "default")
    with pytest.raises(ValueError):  # an id the query does not use at all
        CompiledQuery(lambda pk: Note.objects.all(), 1, "default")


def test_a_scope_that_sees_nothing_reads_nothing():
    empty = CompiledQuery(lambda pk: Note.objects.none().filter(customer_id=pk), 1, "default")
    with CaptureQueriesContext(connection) as ctx:
        assert empty(5) == []
    assert ctx.captured_queries == []


def test_compiled_is_kept_per_key():
    def build(pk):
        return Note.objects.filter(customer_id=pk)

    first = compiled(("test", "notes"), build)
    assert compiled(("test", "notes"), build) is first
    assert compiled(("test", "other"), build) is not first


def test_each_viewer_reads_the_archive_through_their_own_scope(world, make_customer, client):
    """The archive read is kept per viewer scope: after the owner has viewed it (and its SQL is kept), another
    RM, whose scope does not cover it, still gets a 404, and risk, overseeing the subtree, still sees it, read-only."""
    c = make_customer(world.rm, name="丁某")
    url = reverse("customers:detail", args=[c.pk])
    client.force_login(world.rm)
    assert client.get(url).status_code == 200
    client.force_login(world.rm_b)
    assert client.get(url).status_code == 404
    client.force_login(world.risk)  # a read-only overseer of the subtree
    resp = client.get(url)
    assert resp.status_code == 200 and 'data-testid="customer-edit"' not in resp.content.decode()
    client.force_login(world.rm2)
    assert client.get(url).status_code == 404
    client.force_login(world.rm)
    resp = client.get(url)
    assert resp.status_code == 200 and 'data-testid="customer-edit"' in resp.content.decode()
    Customer.objects.filter(pk=c.pk).update(a_rm=world.rm_b)
    assert client.get(url).status_code == 404
    client.force_login(world.rm_b)
    assert client.get(url).status_code == 200


def test_values_list_rows_are_tuples_in_the_orms_order(world, make_customer):
    c = make_customer(world.rm, name="戊")
    for i in range(3):
        services.add_note(world.rm, c.pk, f"备注{i}")
    query = CompiledQuery(
        lambda pk: Note.objects.filter(customer_id=pk).values_list("pk", "text", "created_by__full_name")[:2],
        1,
        "default",
    )
    expected = list(Note.objects.filter(customer=c).values_list("pk", "text", "created_by__full_name")[:2])
    assert query(c.pk) == expected and len(expected) == 2
    with pytest.raises(ValueError):  # dicts, flat lists and the like are not kept
        CompiledQuery(lambda pk: Note.objects.filter(customer_id=pk).values("pk"), 1, "default")


def test_compiling_reads_nothing_more_than_the_page(world, make_customer, client):
    """The first view (every query compiled) reads exactly what a later one (every query kept) reads."""
    from rmdesk.customers import slots

    c = make_customer(world.rm, kind="corporate", name="己公司")
    url = reverse("customers:detail", args=[c.pk])
    for viewer in (world.rm, world.lead, world.risk):
        client.force_login(viewer)
        slots._compiled.clear()
        with CaptureQueriesContext(connection) as cold:
            assert client.get(url).status_code == 200
        with CaptureQueriesContext(connection) as warm:
            assert client.get(url).status_code == 200
        assert len(cold.captured_queries) == len(warm.captured_queries), viewer
