"""The customer list's filter form (SPEC §2 list and search; issue 18): the tier filter's groups come from one
query and equal the rule sets in use (`services.active_rule_sets`: one set per kind, its tiers highest rank
first, inactive sets left out, an empty set still a group); the RM filter lists each active RM once, without
DISTINCT and without reading password hashes."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from rmdesk.core.roles import RoleCode
from rmdesk.customers import queries, services
from rmdesk.customers.models import CustomerKind, Tier, TierRuleSet
from rmdesk.org.models import Role

pytestmark = pytest.mark.django_db


def _expected_groups(selected=""):
    labels = dict(CustomerKind.choices)
    return [
        (f"{labels[kind]}：{rs.name}", [(str(t.pk), t.name, str(t.pk) == selected) for t in rs.tiers.all()])
        for kind, rs in services.active_rule_sets().items()
    ]


def _page_groups(html):
    select = re.search(r'<select id="f-tier" name="tier">(.*?)</select>', html, re.S)[1]
    return [
        (label, [(v, name, bool(sel)) for v, sel, name in re.findall(r'<option value="(\d+)"( selected)?>([^<]*)<', g)])
        for label, g in re.findall(r'<optgroup label="([^"]*)">(.*?)</optgroup>', select, re.S)
    ]


@pytest.fixture
def rule_sets(world):
    """Beside whatever sets are seeded: an inactive personal set with tiers (never offered), and the outlet
    kind's set in use replaced by a new one whose tiers were added in no particular rank order, plus an
    active corporate set without tiers."""
    old = TierRuleSet.objects.create(code="old_personal", name="旧个人分层", kind=CustomerKind.INDIVIDUAL)
    Tier.objects.create(rule_set=old, code="x", name="旧金卡", rank=9, threshold=Decimal(1))
    TierRuleSet.objects.filter(kind__in=[CustomerKind.OUTLET, CustomerKind.CORPORATE]).update(is_active=False)
    outlet = TierRuleSet.objects.create(code="outlet_t", name="零售户<试行>", kind=CustomerKind.OUTLET, is_active=True)
    for code, rank in (("b", 2), ("c", 1), ("a", 3)):
        Tier.objects.create(rule_set=outlet, code=code, name=f"{code}档", rank=rank, threshold=Decimal(rank))
    TierRuleSet.objects.create(code="corp_empty", name="对公空", kind=CustomerKind.CORPORATE, is_active=True)
    return outlet


def test_tier_groups_equal_the_rule_sets_in_use(client, world, rule_sets):
    kinds = [kind for kind, *_ in queries.active_tier_groups()]
    assert kinds == list(services.active_rule_sets())
    assert {CustomerKind.OUTLET, CustomerKind.CORPORATE} <= set(kinds)
    outlet = [tiers for kind, _name, tiers in queries.active_tier_groups() if kind == CustomerKind.OUTLET][0]
    assert [name for _pk, name in outlet] == ["a档", "b档", "c档"]
    client.force_login(world.manager)
    selected = str(Tier.objects.get(rule_set=rule_sets, code="b").pk)
    with CaptureQueriesContext(connection) as ctx:
        html = client.get(reverse("customers:list"), {"tier": selected}).content.decode()
    assert _page_groups(html) == [
        (label.replace("<", "&lt;").replace(">", "&gt;"), tiers) for label, tiers in _expected_groups(selected)
    ]
    assert "旧金卡" not in html and "对公/集团：对公空" in html
    tier_reads = [q["sql"] for q in ctx.captured_queries if re.search(r'FROM "customers_tier(ruleset)?"', q["sql"])]
    assert len(tier_reads) == 1, tier_reads


def test_tier_groups_in_english(client, world, rule_sets):
    client.force_login(world.manager)
    client.cookies["django_language"] = "en"
    html = client.get(reverse("customers:list")).content.decode()
    assert '<optgroup label="Retail outlet：零售户&lt;试行&gt;">' in html


def test_rm_filter_lists_each_active_rm_once(client, world):
    # an RM who also leads a team: two role rows, one option
    world.rm_b.roles.add(Role.objects.get_or_create(code=RoleCode.TEAM_LEAD)[0])
    world.rm_t1b.is_active = False
    world.rm_t1b.save(update_fields=["is_active"])
    client.force_login(world.manager)
    with CaptureQueriesContext(connection) as ctx:
        html = client.get(reverse("customers:list")).content.decode()
    select = re.search(r'<select id="f-owner" name="owner">(.*?)</select>', html, re.S)[1]
    ids = [int(v) for v in re.findall(r'<option value="(\d+)"', select)]
    assert sorted(ids) == sorted({world.rm.pk, world.rm_b.pk}), select
    assert len(ids) == len(set(ids))
    staff = [q["sql"] for q in ctx.captured_queries if "org_user_roles" in q["sql"] and "employee_no" in q["sql"]]
    assert len(staff) == 1 and "DISTINCT" not in staff[0] and "password" not in staff[0]
