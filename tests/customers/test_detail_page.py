"""The 360° page's reads (bench/notes.md item 6): one scoped read of the archive with its owners and
write permission, a bounded number of queries whatever the history's length, the view audited every
time, the add-forms only for those who may write, in the viewer's language."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from rmdesk.core.models import AuditEvent
from rmdesk.customers import services
from rmdesk.customers.models import OwnershipChange, OwnershipKind, Product

pytestmark = pytest.mark.django_db


@pytest.fixture
def archive(world, make_customer):
    c = make_customer(world.rm, b_rm=world.rm_b, name="张伟明", mobile="13912345678", aum=Decimal("800000"))
    services.recompute_tier(c, reason="test")
    return c


def grow_history(world, c, n):
    product = Product.objects.get(code="WM-BAL")
    for i in range(n):
        services.add_note(world.rm, c.pk, f"备注{i}")
        services.add_need(world.rm, c.pk, f"需求{i}")
        OwnershipChange.objects.create(
            customer=c,
            kind=OwnershipKind.REASSIGN,
            from_a=world.rm,
            to_a=world.rm_b,
            from_b=world.rm_b,
            to_b=world.rm,
            actor=world.lead,
            approved_by=world.manager,
        )
        services.save_holding(world.rm, c.pk, product=product, balance=Decimal(1000 + i), account_no=f"A{i}")


def page_queries(client, c):
    with CaptureQueriesContext(connection) as ctx:
        resp = client.get(reverse("customers:detail", args=[c.pk]))
    assert resp.status_code == 200
    return resp.content.decode(), ctx.captured_queries


def test_query_count_does_not_grow_with_the_history(world, archive, client):
    client.force_login(world.rm)
    grow_history(world, archive, 1)
    _html, few = page_queries(client, archive)
    grow_history(world, archive, 6)
    html, many = page_queries(client, archive)
    assert len(many) == len(few)
    assert "备注5" in html and "需求5" in html and "rm_b" in html
    # one read of the archive itself; staff rows without their password hashes
    archive_reads = [q for q in many if q["sql"].startswith('SELECT "customers_customer"."id"')]
    assert len(archive_reads) == 1, [q["sql"][:120] for q in archive_reads]
    ours = [q["sql"] for q in many if ' FROM "customers_' in q["sql"]]
    assert len(ours) >= 8 and not any('"password"' in sql for sql in ours)


def test_every_view_is_audited(world, archive, client):
    client.force_login(world.rm)
    before = AuditEvent.objects.filter(action="customers.view").count()
    for _ in range(3):
        page_queries(client, archive)
    assert AuditEvent.objects.filter(action="customers.view").count() == before + 3


def test_forms_only_for_writers(world, archive, client):
    client.force_login(world.rm)
    html, _q = page_queries(client, archive)
    assert "添加备注" in html and 'data-testid="holding-form"' in html
    assert str(Product.objects.get(code="WM-BAL")) in html  # the product choices
    client.force_login(world.risk)  # read-only subtree role
    html, _q = page_queries(client, archive)
    assert "张伟明" in html and "添加备注" not in html and 'data-testid="holding-form"' not in html


def test_new_products_show_up_in_the_cached_forms(world, archive, client):
    client.force_login(world.rm)
    page_queries(client, archive)
    Product.objects.create(code="NEW-1", name="新发理财一号", category="wealth", risk_level="R2")
    html, _q = page_queries(client, archive)
    assert "新发理财一号" in html


def test_forms_follow_the_viewers_language(world, archive, client):
    client.force_login(world.rm)
    zh, _q = page_queries(client, archive)
    client.post("/i18n/setlang/", {"language": "en", "next": "/customers/"})
    en, _q = page_queries(client, archive)
    assert 'placeholder="需求内容"' in zh
    assert 'placeholder="需求内容"' not in en
