"""The cadence list's summary tables and page count (SPEC §3 客户维护; issue 18): both tables come from one
read of the counters and equal `cadence.rm_summary` / `cadence.team_summary`; the page count comes from the
same counters (no COUNT over the state rows) and stays right when the counters are out of step."""

import re

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from rmdesk.work import cadence
from rmdesk.work.models import ContactCounter, ContactStatus, ContactStatusCode

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(world, make_customer, tiers, local_dt):
    """61 never-contacted gold customers of the lead's team (rm 40, rm_b 21: overdue after recompute), 3 of
    the other branch's team, one without an A-post RM; counters rebuilt as the nightly job leaves them."""
    for i in range(61):
        make_customer(world.rm if i < 40 else world.rm_b, tier=tiers["gold"], created_at=local_dt(2024, 1, 1))
    for _ in range(3):
        make_customer(world.rm2, tier=tiers["gold"], created_at=local_dt(2024, 1, 1))
    make_customer(None, unit=world.t1, tier=tiers["gold"], created_at=local_dt(2024, 1, 1))
    cadence.recompute_all()
    return world


def _get(client, user, query):
    client.force_login(user)
    with CaptureQueriesContext(connection) as ctx:
        resp = client.get(reverse("work:cadence") + "?" + query)
    assert resp.status_code == 200
    html = resp.content.decode()
    states = ContactStatus._meta.db_table
    counts = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"] and states in q["sql"]]
    rows = re.findall(r'data-testid="cadence-row-(\d+)"', html)
    pager = re.search(r'<div class="pager">.*?<span>(\d+) / (\d+)</span>', html)
    return html, rows, (pager and (int(pager[1]), int(pager[2]))), counts


def _table(html, testid):
    body = re.search(rf'data-testid="{testid}">.*?<tbody>(.*?)</tbody>', html, re.S)[1]
    return [re.findall(r"<td[^>]*>(?:<a [^>]*>)?([^<]*)", tr) for tr in re.findall(r"<tr>(.*?)</tr>", body)]


def test_summaries_equal_the_counter_functions(client, book):
    """The lead's per-RM table and the manager's per-RM and per-team tables show exactly what
    cadence.rm_summary / team_summary compute (names, numbers, order), links to each RM's overdue rows."""
    w = book
    for user in (w.lead, w.manager, w.risk):
        html, *_ = _get(client, user, "status=overdue")
        expected = [
            [r["a_rm__full_name"] or r["a_rm__username"] or "未分配"]
            + [str(r[k]) for k in ("overdue", "due", "soon", "ok", "total")]
            for r in cadence.rm_summary(user)
        ]
        assert len(expected) >= 2
        assert _table(html, "by-rm") == expected
        for r in cadence.rm_summary(user):
            assert f'href="?status=overdue&rm={r["a_rm"]}"' in html
        if user == w.lead:
            assert 'data-testid="by-team"' not in html
        else:
            teams = [
                [r["unit_name"]] + [str(r[k]) for k in ("overdue", "due", "soon", "total")]
                for r in cadence.team_summary(user)
            ]
            assert teams and _table(html, "by-team") == teams
    # an RM sees no summary
    html, *_ = _get(client, w.rm, "status=overdue")
    assert 'data-testid="by-rm"' not in html


def test_page_count_from_the_counters_without_count(client, book):
    w = book
    html, rows, pager, counts = _get(client, w.lead, "status=overdue")
    overdue = ContactStatus.objects.filter(org_path=w.t1.path, status=ContactStatusCode.OVERDUE).count()
    assert overdue == 62  # 61 owned + the one without an A-post RM
    assert (len(rows), pager, counts) == (50, (1, 2), [])
    _html, rows2, pager, counts = _get(client, w.lead, "status=overdue&page=2")
    assert (len(rows2), pager, counts) == (12, (2, 2), [])
    assert not set(rows) & set(rows2)
    # beyond the last page: the last page, as Paginator.get_page does
    *_, pager, counts = _get(client, w.lead, "status=overdue&page=99")
    assert (pager, counts) == ((2, 2), [])
    # one RM's rows: that RM's counters
    _html, rows, pager, counts = _get(client, w.lead, f"status=attention&rm={w.rm.pk}")
    assert (len(rows), pager, counts) == (40, None, [])
    # filters the counters do not count: a real COUNT
    for query in ("status=all", "status=none", "q=客户"):
        _html, rows, _pager, counts = _get(client, w.lead, query)
        assert counts, query


def test_counters_out_of_step_never_hide_rows(client, book):
    """Counters that disagree with the state rows (a race, a bug) fall back to a real COUNT wherever the page
    can tell (the last page, a page the counters say does not exist): every row still shows. An earlier page
    of a too-high figure keeps it (only its "n / m" is off; its next link leads on)."""
    w = book
    ContactCounter.objects.filter(a_rm=w.rm).update(overdue=F("overdue") - 20)  # says 42 overdue, 62 are
    _html, rows, pager, counts = _get(client, w.lead, "status=overdue&page=2")
    assert (len(rows), pager) == (12, (2, 2)) and len(counts) == 1
    ContactCounter.objects.filter(a_rm=w.rm).update(overdue=F("overdue") + 40)  # says 82
    _html, rows, pager, counts = _get(client, w.lead, "status=overdue&page=2")
    assert (len(rows), pager) == (12, (2, 2)) and len(counts) == 1
    html, rows, pager, counts = _get(client, w.lead, "status=overdue")
    assert (len(rows), pager, counts) == (50, (1, 2), []) and "page=2" in html
    ContactCounter.objects.filter(a_rm=w.rm).update(overdue=F("overdue") - 60)  # says 22
    for page, shown in ((1, 50), (2, 12)):
        _html, rows, pager, counts = _get(client, w.lead, f"status=overdue&page={page}")
        assert (len(rows), pager) == (shown, (page, 2)) and len(counts) == 1
