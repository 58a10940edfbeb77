"""The 360° page's slots and add-forms after issue 18 (SPEC §2 "360° view"): slot rows prepared in Python
(`customers.slots.Row`), the qualification slot reusing the page's read of the contacts, and only the
add-forms the viewer will see built — a reader, or an anonymised archive, costs no form and no query."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from rmdesk.customers.models import Contact, QualificationRule
from rmdesk.customers.slots import Row, slots_for

pytestmark = pytest.mark.django_db


def _page(client, c):
    with CaptureQueriesContext(connection) as ctx:
        resp = client.get(reverse("customers:detail", args=[c.pk]))
    assert resp.status_code == 200
    return resp.content.decode(), [q["sql"] for q in ctx.captured_queries]


def test_row_reads_as_a_dict_and_as_attributes():
    row = Row(pk=7, label="电话")
    assert row.pk == 7 and row["label"] == "电话"
    assert not hasattr(row, "missing")  # AttributeError, so getattr defaults and templates fall back
    with pytest.raises(AttributeError):
        row.missing  # noqa: B018


def test_qualification_slot_reuses_the_pages_contacts(world, make_customer, client):
    QualificationRule.objects.create(
        code="ka-t",
        name="大客户测试规则",
        kind="corporate",
        criteria=[{"code": "v", "metric": "volume", "op": "gte", "threshold": "1", "weight": 1}],
    )
    c = make_customer(world.rm, kind="corporate", name="测试集团")
    for i in range(4):
        Contact.objects.create(customer=c, name=f"联系人{i}", role="decision_maker")
    client.force_login(world.rm)
    html, sqls = _page(client, c)
    assert 'data-slot="qualification"' in html and "大客户测试规则" in html
    # listed in the contacts section and in the stakeholder map, read once
    assert html.count("联系人3") == 2
    assert len([s for s in sqls if 'FROM "customers_contact"' in s]) == 1, sqls
    assert 'data-testid="few-contacts"' not in html  # four contacts: enough


def test_no_add_forms_and_no_product_read_for_a_reader(world, make_customer, client):
    c = make_customer(world.rm, name="王读者")
    client.force_login(world.risk)
    html, sqls = _page(client, c)
    assert "王读者" in html and 'data-testid="holding-form"' not in html and "添加备注" not in html
    assert not [s for s in sqls if 'FROM "customers_product"' in s]
    client.force_login(world.rm)
    html, sqls = _page(client, c)
    assert 'data-testid="holding-form"' in html and "添加备注" in html
    assert len([s for s in sqls if 'FROM "customers_product"' in s]) == 1
    # an individual's page offers none of the corporate forms
    assert f'action="{reverse("customers:add", args=[c.pk, "contact"])}"' not in html


def test_anonymised_corporate_keeps_only_the_corporate_forms(world, make_customer, client):
    from rmdesk.customers.models import Customer

    c = make_customer(world.rm, kind="corporate", name="匿名前公司")
    Customer.objects.filter(pk=c.pk).update(is_anonymised=True)
    client.force_login(world.rm)
    html, sqls = _page(client, c)
    add = reverse("customers:add", args=[c.pk, "contact"])
    assert f'action="{add}"' in html
    assert 'data-testid="holding-form"' not in html and "添加备注" not in html
    assert not [s for s in sqls if 'FROM "customers_product"' in s]


def test_interaction_rows_are_ready_to_print_in_both_languages(world, make_customer, client):
    from rmdesk.work import services as work

    c = make_customer(world.rm, name="李客户")
    when = timezone.now() - timedelta(hours=3)
    work.record_interaction(world.rm, c.pk, kind="phone", occurred_at=when, purpose="到期提醒")
    request = RequestFactory().get("/")
    request.user = world.rm
    slot = next(s for s in slots_for(request, c) if s["key"] == "interactions")
    (row,) = slot["context"]["items"]
    assert row.url == reverse("work:interaction_detail", args=[row.pk])
    assert row.occurred_at == timezone.localtime(when).strftime("%Y-%m-%d %H:%M")
    assert row.recorded_by == world.rm.display_name and row.kind == "电话"
    client.force_login(world.rm)
    zh, _q = _page(client, c)
    assert f'<a href="{row.url}">到期提醒</a>' in zh and "<td>电话</td>" in zh
    client.post("/i18n/setlang/", {"language": "en", "next": "/customers/"})
    en, _q = _page(client, c)
    assert f'<a href="{row.url}">到期提醒</a>' in en and "<td>电话</td>" not in en


def test_slot_rows_do_not_add_queries(world, make_customer, client):
    """More interactions recorded by other staff add rows, never queries (the rows carry their recorder)."""
    from rmdesk.work import services as work

    c = make_customer(world.rm, b_rm=world.rm_b, aum=Decimal("500000"))
    work.record_interaction(world.rm, c.pk, kind="phone", occurred_at=timezone.now(), purpose="第一次")
    client.force_login(world.rm)
    _html, few = _page(client, c)
    for i, who in enumerate([world.rm_b, world.rm, world.rm_b]):
        work.record_interaction(
            who, c.pk, kind="phone", occurred_at=timezone.now() - timedelta(days=i + 1), purpose=f"拜访{i}"
        )
    html, many = _page(client, c)
    assert len(many) == len(few), [s[:100] for s in many]
    assert "拜访2" in html and world.rm_b.display_name in html
