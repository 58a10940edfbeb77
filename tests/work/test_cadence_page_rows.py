"""The cadence list's rows (SPEC §3 客户维护; issue 18: rows drawn without a `{% url %}`, a translation or an
include per row): every row's links, status badge, due basis and texts, read back from the stored state for
every status and due basis, for the team lead and the RM, in Chinese and English."""

from datetime import date, timedelta
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from rmdesk.work import cadence
from rmdesk.work.models import (
    CadenceSetting,
    ChosenInterval,
    ContactStatus,
    ContactStatusCode,
    CustomerIntervalMode,
    DueBasis,
)

pytestmark = pytest.mark.django_db


class _Rows(HTMLParser):
    """The cadence table's rows: {customer_id: {"links": [(href, text)], "badge": (class, text),
    "cells": [text of each td], "basis": text of the due-basis note or None}}."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.rows, self.row, self.stack = {}, None, []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr" and (a.get("data-testid") or "").startswith("cadence-row-"):
            self.row = {"links": [], "badge": None, "cells": [], "basis": None}
            self.rows[int(a["data-testid"].removeprefix("cadence-row-"))] = self.row
        if self.row is None:
            return
        if tag == "td":
            self.row["cells"].append("")
        self.stack.append((tag, a))
        if tag == "a":
            self.row["links"].append([a.get("href"), "", a.get("data-testid")])
        elif tag == "span" and "badge" in (a.get("class") or "").split():
            self.row["badge"] = [a["class"], ""]
        elif tag == "small" and a.get("data-testid") == "due-basis":
            self.row["basis"] = ""

    def handle_endtag(self, tag):
        if self.row is None:
            return
        if tag == "tr":
            self.row, self.stack = None, []
        elif self.stack and self.stack[-1][0] == tag:
            self.stack.pop()

    def handle_data(self, data):
        if self.row is None:
            return
        if self.row["cells"]:
            self.row["cells"][-1] += data
        tags = [(t, a) for t, a in self.stack]
        if tags and tags[-1][0] == "a":
            self.row["links"][-1][1] += data
        if any(t == "span" and "badge" in (a.get("class") or "") for t, a in tags):
            self.row["badge"][1] += data
        if any(t == "small" and a.get("data-testid") == "due-basis" for t, a in tags):
            self.row["basis"] += data


def _rows(html):
    p = _Rows()
    p.feed(html)
    return p.rows


@pytest.fixture
def states(world, make_customer, tiers, local_dt):
    """Customers of the lead's team in every status and due basis, stored as recompute would leave them: never
    contacted or contacted, with and without a tier and an owner, a chosen interval (every 2 months), a refusal,
    a name that needs escaping. The industry's setting is `shorter` (the chosen interval's join is read)."""
    CadenceSetting.objects.update_or_create(
        code="default", defaults={"customer_interval": CustomerIntervalMode.SHORTER}
    )
    today = timezone.localdate()
    made = [
        # name, owner, tier, status, basis, next due (days from today), last contact (days ago)
        ("逾期甲", world.rm, "gold", ContactStatusCode.OVERDUE, DueBasis.RULE, -3, None),
        ("逾期<乙&丙>", world.rm_b, "platinum", ContactStatusCode.OVERDUE, DueBasis.CHOSEN, -1, 70),
        ("今日到期丁", world.rm, "gold", ContactStatusCode.DUE, DueBasis.RULE, 0, 30),
        ("将到期戊", world.rm, "diamond", ContactStatusCode.SOON, DueBasis.CHOSEN, 2, 58),
        ("正常己", world.rm_b, "gold", ContactStatusCode.OK, DueBasis.RULE, 20, 10),
        ("谢绝庚", world.rm, "gold", ContactStatusCode.OK, DueBasis.DECLINED, None, 5),
        ("无要求辛", None, None, ContactStatusCode.NONE, DueBasis.RULE, None, None),
    ]
    customers = {}
    for name, owner, tier, *_ in made:
        extra = {"unit": world.t1} if owner is None else {}
        customers[name] = make_customer(
            owner, tier=tiers[tier] if tier else None, created_at=local_dt(2025, 1, 1), name=name, **extra
        )
    cadence.recompute_all()
    for name, _owner, _tier, status, basis, due, last in made:
        c = customers[name]
        ContactStatus.objects.filter(customer=c).update(
            status=status,
            due_basis=basis,
            next_due_on=None if due is None else today + timedelta(days=due),
            last_contact_at=None if last is None else timezone.now() - timedelta(days=last),
        )
        if basis == DueBasis.CHOSEN:
            ChosenInterval.objects.create(customer=c, interval_months=2)
        elif basis == DueBasis.DECLINED:
            ChosenInterval.objects.create(customer=c, declined=True)
    return customers


def _page(client, user, query="status=all", language=None):
    client.force_login(user)
    if language:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    resp = client.get(reverse("work:cadence") + "?" + query)
    assert resp.status_code == 200
    return _rows(resp.content.decode())


def _expected(s):
    """What a row must show, from the stored state and the shared templates (not from the page's code)."""
    pk = s.customer_id
    badge_html = render_to_string("work/_status.html", {"s": s.status, "label": s.get_status_display()})
    badge = _rows(f'<table><tr data-testid="cadence-row-0"><td>{badge_html}</td></tr></table>')[0]["badge"]
    basis = None
    if s.due_basis != DueBasis.RULE:
        basis = ChosenInterval.objects.get(customer_id=pk).display
        if s.due_basis == DueBasis.CHOSEN:
            basis = translation.gettext("按客户选择的回访周期（%(i)s）") % {"i": basis}
    last = timezone.localtime(s.last_contact_at).date().isoformat() if s.last_contact_at else None
    return {
        "links": [
            [reverse("customers:detail", args=[pk]), s.customer.name, None],
            [reverse("work:interactions") + f"?customer={pk}", translation.gettext("服务记录"), None],
            [reverse("work:interaction_new") + f"?customer={pk}", translation.gettext("记录服务"), f"record-{pk}"],
            [reverse("work:appointment_new") + f"?customer={pk}", translation.gettext("预约"), None],
        ],
        "badge": badge,
        "basis": basis,
        "tier": s.customer.tier.name if s.customer.tier_id else "",
        "owner": s.a_rm.display_name if s.a_rm_id else "",
        "last": last or translation.gettext("从未联系"),
        "due": s.next_due_on.isoformat() if s.next_due_on else "",
    }


def _check(rows, statuses):
    assert set(rows) == {s.customer_id for s in statuses}
    for s in statuses:
        row, want = rows[s.customer_id], _expected(s)
        assert row["links"] == want["links"], s.customer.name
        assert row["badge"] == want["badge"], s.customer.name
        assert row["badge"][1] == str(ContactStatusCode(s.status).label)
        assert row["basis"] == want["basis"], s.customer.name
        cells = [c.strip() for c in row["cells"]]
        assert cells[1] == want["tier"] and cells[2] == want["owner"] and cells[3] == want["last"]
        assert cells[4].startswith(want["due"]) and (want["basis"] or "") in cells[4]
        assert cells[5] == want["badge"][1]


def _visible(**filters):
    return list(
        ContactStatus.objects.filter(**filters).select_related("customer", "customer__tier", "a_rm").order_by("pk")
    )


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_lead_sees_every_status_with_its_links_badge_and_basis(client, world, states, language):
    with translation.override(language):
        rows = _page(client, world.lead, language=language)
        statuses = _visible(customer__in=states.values())
        assert {s.status for s in statuses} == set(ContactStatusCode.values)
        assert {s.due_basis for s in statuses} == set(DueBasis.values)
        _check(rows, statuses)
    if language == "en":  # the words are English, not the Chinese msgids
        row = rows[states["逾期甲"].pk]
        assert row["badge"][1] == "Overdue" and row["cells"][3].strip() == "Never contacted"
        assert rows[states["将到期戊"].pk]["basis"] != "按客户选择的回访周期（每 2 个月）"


def test_the_rm_sees_own_rows_the_same_way_and_filters_keep_them(client, world, states):
    rows = _page(client, world.rm)
    mine = _visible(a_rm=world.rm)
    assert len(mine) == 4
    _check(rows, mine)
    # the attention filter (the default) keeps overdue, due and soon only
    rows = _page(client, world.rm, query="")
    _check(rows, [s for s in mine if s.status in ("overdue", "due", "soon")])
    rows = _page(client, world.lead, query="status=overdue")
    _check(rows, _visible(customer__in=states.values(), status="overdue"))


def test_a_chosen_basis_without_its_choice_shows_an_empty_interval(client, world, states):
    """A row still marked `chosen` after its choice was withdrawn (until the next recompute) draws the note
    with no interval instead of failing, as the template's silent lookup did."""
    c = states["将到期戊"]
    ChosenInterval.objects.filter(customer=c).delete()
    rows = _page(client, world.lead)
    assert rows[c.pk]["basis"] == translation.gettext("按客户选择的回访周期（%(i)s）") % {"i": ""}
    assert date.fromisoformat(rows[c.pk]["cells"][4].split()[0]) == ContactStatus.objects.get(customer=c).next_due_on
