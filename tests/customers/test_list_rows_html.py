"""The customer list's rows are drawn in Python (`customers.views._rows_html`, issue 18, decision 97), and its filter
options by `views.options`: both must print byte for byte what the template loop and `format_html_join` printed,
for names and labels that need escaping, missing tiers and RMs, B-post owners, both languages."""

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import override

from rmdesk.customers import queries, views
from rmdesk.customers.models import Customer, CustomerKind, Stage, Tier

pytestmark = pytest.mark.django_db

# the rows loop of customers/_rows.html as it was before decision 97, with the per-row values _row_links set
OLD_LOOP = Template(
    """{% load i18n %}{% for c in items %}<tr data-testid="customer-row">
<td><a href="{{ c.url }}">{{ c.name }}</a></td><td>{{ c.customer_no }}</td><td>{{ c.kind_text }}</td>
<td>{% if c.tier %}<span class="badge">{{ c.tier.name }}</span>{% endif %}</td><td>{{ c.stage_text }}</td>
<td class="num">{{ c.aum_text }}</td>
<td>{{ c.owners_text }}</td>
<td class="num">{{ c.completeness }}%</td></tr>
{% endfor %}"""
)


def old_rows(items):
    from django.urls import reverse
    from django.utils.translation import gettext as _

    kinds = {k: str(v) for k, v in CustomerKind.choices}
    stages = {k: str(v) for k, v in Stage.choices}
    for c in items:
        c.url = reverse("customers:detail", args=[c.pk])
        c.aum_text = views.money(c.aum)
        c.kind_text = kinds.get(c.kind, c.kind)
        c.stage_text = stages.get(c.stage, c.stage)
        a = c.a_rm.display_name if c.a_rm_id else ""
        c.owners_text = f"{a or _('待分配')} / {c.b_rm.display_name}" if c.b_rm_id else (a or _("待分配"))
    return OLD_LOOP.render(Context({"items": items}))


def test_rows_print_what_the_template_loop_printed(world, make_customer):
    tier = Tier.objects.order_by("pk").first()
    tier.name = "金卡<&>\"'"
    tier.save(update_fields=["name"])
    world.rm.full_name = "王<b>&'\"五"
    world.rm.save(update_fields=["full_name"])
    world.rm_b.full_name = ""  # shown by username
    world.rm_b.save(update_fields=["full_name"])
    make_customer(world.rm, name="李<script>&\"'", customer_no="C<1>&", aum=Decimal("1234567.891"), tier=tier)
    make_customer(world.rm, b_rm=world.rm_b, name="张三", aum=Decimal("0"), completeness=100, stage="customer")
    make_customer(world.rm, name="无层级", aum=Decimal("-5.5"), kind="corporate")
    c = make_customer(world.rm, name="待分配的", aum=Decimal("10"))
    Customer.objects.filter(pk=c.pk).update(a_rm=None)
    make_customer(world.rm2, b_rm=world.rm, name="乙岗", aum=Decimal("99999999999.99"))
    for lang in ("zh-hans", "en"):
        with override(lang):
            page = queries.page_of(Customer.objects.all(), None, 50)
            assert len(page.items) == 5
            new = views._rows_html(page.items)
            assert new == old_rows(queries.page_of(Customer.objects.all(), None, 50).items), lang
            assert "&lt;script&gt;" in new and "金卡&lt;&amp;&gt;&quot;&#x27;" in new


def test_options_print_what_format_html_join_printed():
    pairs = [(1, "甲"), ("x<y", "a&\"b'"), (3, mark_safe("<i>safe</i>")), (10, "十")]
    for selected in ("", "1", "x<y", "10", None, 3):
        old = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            ((v, mark_safe(" selected") if str(v) == str(selected or "") else "", label) for v, label in pairs),
        )
        assert views.options(pairs, selected) == old
    with override("en"):
        assert views.options(Stage.choices, "customer") == format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            ((v, mark_safe(" selected") if v == "customer" else "", label) for v, label in Stage.choices),
        )
