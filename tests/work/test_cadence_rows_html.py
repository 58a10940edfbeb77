"""The cadence list's rows are drawn in Python (`work.views._cadence_rows_html`, issue 18, decision 97): byte for
byte what the template loop printed, for every status and due basis, names needing escaping, both languages."""

import pytest
from django.template import Context, Template
from django.utils import translation

from rmdesk.customers.models import Customer
from rmdesk.work import views
from rmdesk.work.models import ContactStatus
from tests.work.test_cadence_page_rows import states  # noqa: F401  (the fixture: every status and due basis)

pytestmark = pytest.mark.django_db

# the rows loop of work/cadence.html before decision 97
OLD_LOOP = Template(
    '{% load i18n %}{% for s in page %}<tr data-testid="cadence-row-{{ s.customer_id }}">\n'
    '  <td><a href="{{ s.url }}">{{ s.customer.name }}</a> <small><a href="{{ s.log_url }}">{{ words.log }}</a>'
    "</small></td>\n"
    "  <td>{{ s.tier_text }}</td><td>{{ s.rm_text }}</td>\n"
    "  <td>{{ s.last_text }}</td><td>{{ s.due_text }}{% if s.basis_text %} "
    '<small class="muted" data-testid="due-basis">{{ s.basis_text }}</small>{% endif %}</td>\n'
    '  <td><span class="{{ s.badge_class }}">{{ s.status_text }}</span></td>\n'
    '  <td><a href="{{ s.record_url }}" data-testid="record-{{ s.customer_id }}">{{ words.record }}</a> · '
    '<a href="{{ s.appoint_url }}">{{ words.appoint }}</a></td>\n'
    "</tr>{% endfor %}"
)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_rows_print_what_the_template_loop_printed(world, states, language):  # noqa: F811
    first = next(iter(states.values()))
    Customer.objects.filter(pk=first.pk).update(name="王<b>&\"'")
    world.rm.full_name = "李<i>&'"
    world.rm.save(update_fields=["full_name"])
    with translation.override(language):
        rows = views._cadence_rows(
            list(
                ContactStatus.objects.select_related(
                    "customer", "customer__tier", "customer__chosen_interval", "a_rm"
                ).order_by("pk")
            )
        )
        assert len({s.due_basis for s in rows}) == 3 and len(rows) == len(states)
        words = {"log": "服务<记录>", "record": translation.gettext("记录服务"), "appoint": translation.gettext("预约")}
        new = views._cadence_rows_html(rows, words)
        assert new == OLD_LOOP.render(Context({"page": rows, "words": words}))
        assert "王&lt;b&gt;&amp;&quot;&#x27;" in new and 'data-testid="due-basis"' in new


OLD_SUMMARIES = Template(
    '{% for r in by_rm %}<tr><td><a href="?status=overdue&rm={{ r.a_rm }}">{{ r.name }}</a></td>'
    '<td class="num">{{ r.overdue }}</td><td class="num">{{ r.due }}</td><td class="num">{{ r.soon }}</td>'
    '<td class="num">{{ r.ok }}</td><td class="num">{{ r.total }}</td></tr>{% endfor %}|'
    '{% for r in by_team %}<tr><td>{{ r.unit_name }}</td><td class="num">{{ r.overdue }}</td>'
    '<td class="num">{{ r.due }}</td><td class="num">{{ r.soon }}</td><td class="num">{{ r.total }}</td></tr>'
    "{% endfor %}"
)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_summaries_print_what_the_template_loops_printed(world, states, language):  # noqa: F811
    world.rm.full_name = "李<i>&'"
    world.rm.save(update_fields=["full_name"])
    with translation.override(language):
        _buckets, by_rm, by_team = views._cadence_summaries(world.manager, True)
        by_rm.append(
            {"a_rm": None, "name": '未分配<&>"', "overdue": 0, "due": 1, "soon": 12345, "ok": 7, "total": 12353}
        )
        assert by_rm and by_team
        rm_html, team_html = views._summary_html(by_rm, by_team)
        assert f"{rm_html}|{team_html}" == OLD_SUMMARIES.render(Context({"by_rm": by_rm, "by_team": by_team}))
        assert "李&lt;i&gt;&amp;&#x27;" in rm_html and "rm=None" in rm_html


def test_the_page_reads_only_shown_columns_without_a_query_per_row(client, world, states):  # noqa: F811
    """The rows' query names the columns shown (`views._CADENCE_COLUMNS`, issue 18): a column left out would be
    loaded by one query per row, which this catches, with the customer's chosen interval on (the fixture's mode)."""
    import re

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(world.lead)
    client.get("/org/ping/")
    with CaptureQueriesContext(connection) as ctx:
        html = client.get("/work/cadence/?status=all").content.decode()
    assert len(re.findall(r'data-testid="cadence-row-\d+"', html)) == len(states)
    assert 'data-testid="due-basis"' in html
    per_row = [
        q["sql"]
        for q in ctx.captured_queries
        if re.search(r'FROM "(customers_customer|customers_tier|org_user|work_choseninterval)" WHERE', q["sql"])
        and "LIMIT 21" in q["sql"]
    ]
    assert not per_row, per_row
    rows = next(
        q["sql"] for q in ctx.captured_queries if 'FROM "work_contactstatus"' in q["sql"] and "ORDER BY" in q["sql"]
    )
    assert '"customers_customer"."mobile"' not in rows and '"org_user"."password"' not in rows
