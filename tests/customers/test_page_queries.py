"""Query budgets of the customer list and the 360° page (issue 18, "pages near the framework floor"):
a fixed number of queries whatever the page shows (more customers on the list, more holdings, notes,
tags, interactions recorded by other staff on the 360° page: none may add a query, so a slot or a
section that goes N+1 fails here), the htmx next-rows partial without the shell's and the filter
form's reads, and what the pages build once per request (role labels, RM choices) kept to the
viewer's own scope and identity."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from rmdesk.customers import services
from rmdesk.customers.models import Product, Tag

pytestmark = pytest.mark.django_db

# The budgets: the current counts (SQLite and PostgreSQL alike) plus a little room; a section or slot
# that reads once per row blows them at once with the rows added below.
LIST_HTML_MAX = 16
LIST_API_MAX = 6
DETAIL_HTML_MAX = 50


def _queries(client, url, params=None, **extra):
    with CaptureQueriesContext(connection) as ctx:
        resp = client.get(url, params or {}, **extra)
    assert resp.status_code == 200, resp.content[:300]
    return resp, ctx.captured_queries


def _book(world, make_customer, n, start=0):
    """n customers of world.rm, half with rm_b as B post, their tiers recomputed (joined on the list)."""
    out = []
    for i in range(start, start + n):
        c = make_customer(world.rm, b_rm=world.rm_b if i % 2 else None, aum=Decimal(10_000 * (i + 1)))
        services.recompute_tier(c, reason="test")
        out.append(c)
    return out


def test_list_page_reads_a_fixed_number_of_queries(world, make_customer, client, django_assert_max_num_queries):
    client.force_login(world.rm)
    _book(world, make_customer, 2)
    _resp, few = _queries(client, reverse("customers:list"))
    _book(world, make_customer, 25, start=2)
    for i in range(30):
        Tag.objects.create(name=f"标签{i:02d}")
    with django_assert_max_num_queries(LIST_HTML_MAX):
        resp, many = _queries(client, reverse("customers:list"), {"page_size": 20})
    assert len(many) == len(few), [q["sql"][:100] for q in many]
    html = resp.content.decode()
    assert html.count('data-testid="customer-row"') == 20
    assert "标签29" in html and world.rm_b.display_name in html
    # only the signed-in person's own row is read whole: the RM choices read no password hashes
    assert sum('"password"' in q["sql"] for q in many if 'FROM "org_user"' in q["sql"]) == 1


def test_list_api_reads_a_fixed_number_of_queries(world, make_customer, api_client, django_assert_max_num_queries):
    client = api_client(world.rm)
    _book(world, make_customer, 2)
    client.get("/api/me")  # the token's first use records its last use (an UPDATE), not the list's
    _resp, few = _queries(client, "/api/customers/")
    _book(world, make_customer, 25, start=2)
    with django_assert_max_num_queries(LIST_API_MAX):
        resp, many = _queries(client, "/api/customers/", {"page_size": 20})
    assert len(many) == len(few)
    assert len(resp.json()["items"]) == 20


def test_next_rows_partial_skips_the_shell_and_the_filter_form(world, make_customer, client):
    client.force_login(world.rm)
    _book(world, make_customer, 5)
    full, full_q = _queries(client, reverse("customers:list"), {"page_size": 2})
    cursor = full.context["page"].next_cursor
    part, part_q = _queries(
        client, reverse("customers:list"), {"page_size": 2, "cursor": cursor}, HTTP_HX_REQUEST="true"
    )
    body = part.content.decode()
    assert body.count('data-testid="customer-row"') == 2 and "<html" not in body
    assert len(part_q) < len(full_q)
    # neither the menu's, the counters', the tags' nor the RM choices' reads
    for table in ("work_notification", "customers_tag", "org_approvalrequest", "work_journal"):
        assert not any(table in q["sql"] for q in part_q), table
    assert any("work_notification" in q["sql"] for q in full_q)  # the full page draws the header counters


def test_list_selects_keep_the_chosen_filters(world, make_customer, client):
    client.force_login(world.rm)
    _book(world, make_customer, 3)
    tag = Tag.objects.create(name="高净值<b>")
    html = client.get(reverse("customers:list"), {"tag": tag.pk, "owner": world.rm.pk, "stage": "active"}).content
    html = html.decode()
    assert f'<option value="{tag.pk}" selected>高净值&lt;b&gt;</option>' in html  # escaped, selected
    assert f'<option value="{world.rm.pk}" selected>{world.rm.display_name}</option>' in html
    assert '<option value="active" selected>' in html


def _interactions(customer, staff, n):
    from rmdesk.work.models import Interaction

    now = timezone.now()
    for i in range(n):
        Interaction.objects.create(
            customer=customer,
            kind="phone",
            occurred_at=now - timedelta(days=i),
            recorded_by=staff[i % len(staff)],
            purpose=f"回访{i}",
        )


def _grow(world, c, n, start=0):
    products = list(Product.objects.filter(is_active=True).order_by("id")[:3])
    for i in range(start, start + n):
        services.add_note(world.rm if i % 2 else world.rm_b, c.pk, f"备注{i}")
        services.save_holding(
            world.rm, c.pk, product=products[i % len(products)], balance=Decimal(1000 + i), account_no=f"A{i}"
        )
        c.tags.add(Tag.objects.create(name=f"兴趣{i}"))


def test_360_page_reads_a_fixed_number_of_queries(world, make_customer, client, django_assert_max_num_queries):
    c = make_customer(world.rm, b_rm=world.rm_b, name="王大成", aum=Decimal("900000"))
    services.recompute_tier(c, reason="test")
    client.force_login(world.rm)
    url = reverse("customers:detail", args=[c.pk])
    _grow(world, c, 1)
    _interactions(c, [world.rm], 1)
    _resp, few = _queries(client, url)
    _grow(world, c, 8, start=1)
    _interactions(c, [world.rm, world.rm_b, world.lead], 9)
    with django_assert_max_num_queries(DETAIL_HTML_MAX):
        resp, many = _queries(client, url)
    assert len(many) == len(few), "\n".join(q["sql"][:120] for q in many)
    html = resp.content.decode()
    assert "备注8" in html and "兴趣8" in html and "回访8" in html and "1,008.00" in html


def test_360_rm_choices_stay_in_the_viewers_scope(world, make_customer, client):
    c = make_customer(world.rm, name="赵一", aum=Decimal("1000"))
    client.force_login(world.lead)
    html = client.get(reverse("customers:detail", args=[c.pk])).content.decode()
    a_select = html[html.index('name="a_rm"') : html.index("</select>", html.index('name="a_rm"'))]
    assert f'<option value="{world.rm.pk}" selected>' in a_select
    assert f'value="{world.rm_b.pk}"' in a_select
    assert f'value="{world.rm2.pk}"' not in a_select  # another branch's RM is outside the lead's staff scope
    client.force_login(world.rm2)  # outside the archive's scope: the same 404 as a missing archive
    assert client.get(reverse("customers:detail", args=[c.pk])).status_code == 404


def test_shell_role_labels_are_each_viewers_own(world, client):
    from django.test import Client

    other = Client()
    client.force_login(world.rm)
    other.force_login(world.lead)
    for _ in range(2):  # alternating requests: nothing of one request's shell reaches the other's
        mine = client.get(reverse("home")).content.decode()
        theirs = other.get(reverse("home")).content.decode()
        who_mine = mine[mine.index('data-testid="who"') : mine.index("</div>", mine.index('data-testid="who"'))]
        who_theirs = theirs[
            theirs.index('data-testid="who"') : theirs.index("</div>", theirs.index('data-testid="who"'))
        ]
        assert "客户经理" in who_mine and "团队长" not in who_mine and world.rm.display_name in who_mine
        assert "团队长/网点负责人" in who_theirs and world.lead.display_name in who_theirs
