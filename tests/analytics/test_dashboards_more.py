"""Dashboard figures read from the compliance and sales apps (SPEC §11): exact counts on hand-made data, and
scope (the S1 compliance officer never counts S2's pledges, violations, anomalies or reveals)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from rmdesk.analytics.dashboards import dashboard_for
from rmdesk.compliance.models import (
    ConductRule,
    ConductRuleSet,
    Finding,
    Obligation,
    PledgeTemplate,
    SigningRound,
    Violation,
)
from rmdesk.core import audit
from rmdesk.customers.models import Product
from rmdesk.sales import services as sales_services
from rmdesk.sales.models import Campaign, CampaignTarget, Quota, Segment

pytestmark = pytest.mark.django_db


def tiles(board):
    return {t.key: t.value for t in board["tiles"]}


def table(board, table_id):
    return next(t for t in board["tables"] if t.id == table_id)


@pytest.fixture
def compliance_data(world, make_customer):
    today = timezone.localdate()
    template = PledgeTemplate.objects.create(kind="duty", title="履职承诺书", version=99, body="……")
    rnd = SigningRound.objects.create(
        name="2026 履职承诺",
        template=template,
        unit=world.br,
        org_path=world.br.path,
        deadline=today - timedelta(days=1),
        created_by=world.compliance,
    )
    for person, signed in ((world.rm, True), (world.rm_b, False), (world.rm2, False)):
        Obligation.objects.create(
            round=rnd,
            signer=person,
            org_path=(person.team or person.unit).path,
            signed_at=timezone.now() if signed else None,
        )
    rules = ConductRuleSet.objects.create(code="t10", name="十不准")
    r1 = ConductRule.objects.create(rule_set=rules, order=1, text="不准泄露客户信息")
    r2 = ConductRule.objects.create(rule_set=rules, order=2, text="不准私自收受礼品")

    def violation(person, rule, status, penalty="", reporter=None):
        Violation.objects.create(
            person=person,
            rule=rule,
            occurred_on=today,
            facts="事实",
            reported_by=reporter or world.compliance,
            org_path=(person.team or person.unit).path,
            status=status,
            penalty=penalty,
        )

    violation(world.rm, r1, "confirmed", "fine")
    violation(world.rm_b, r1, "pending")
    violation(world.rm, r2, "dismissed")
    violation(world.rm2, r2, "confirmed", "fine", reporter=world.lead2)  # the other sub-branch
    for person, rule, status in (
        (world.rm, "out_of_book", "open"),
        (world.rm, "exports", "closed"),
        (world.rm2, "out_of_book", "open"),
    ):
        Finding.objects.create(
            rule=rule, person=person, org_path=(person.team or person.unit).path, day=today, status=status, detail="d"
        )
    mine, theirs = make_customer(world.rm), make_customer(world.rm2)
    for actor, customer, action in (
        (world.rm, mine, "customers.reveal"),
        (world.rm, mine, "customers.reveal"),
        (world.rm, mine, "customers.export"),
        (world.rm2, theirs, "customers.reveal"),
    ):
        audit.record(actor, action, object_type="customers.customer", object_id=customer.pk)
    return rnd


def test_compliance_dashboard_exact_and_in_scope(world, compliance_data):
    board = dashboard_for(world.compliance)
    assert board["role"] == "compliance"
    t = tiles(board)
    assert (t["pledges"], t["pledges_overdue"]) == (1, 1)
    assert (t["violations_pending"], t["violations"]) == (1, 2)
    assert t["anomalies"] == 1
    assert (t["reveals"], t["exports"]) == (2, 1)
    assert table(board, "compliance-pledges").rows == [["2026 履职承诺", 1, 1]]
    assert table(board, "compliance-violations-rule").rows == [["1. 不准泄露客户信息", 2]]
    ladder = {r[0]: r[1] for r in table(board, "compliance-ladder").rows}
    assert ladder["经济处罚"] == 1 and sum(ladder.values()) == 1
    assert table(board, "compliance-violations-unit").rows == [["一网点", 2]]
    anomalies = {r[0]: r[1] for r in table(board, "compliance-anomalies").rows}
    assert anomalies["大量查看非本人管户客户"] == 1 and sum(anomalies.values()) == 1
    access = table(board, "compliance-access")
    assert len(access.rows) == 30 and access.rows[-1] == [timezone.localdate().isoformat(), 2, 1]


def test_rm_funnel_and_targets_and_team_funnel(world, make_customer):
    product = Product.objects.get(code="DEP-FIX1Y")
    for rm in (world.rm, world.rm, world.rm_b, world.rm2):
        sales_services.create_opportunity(rm, customer_id=make_customer(rm).pk, product_id=product.pk)
    segment = Segment.objects.create(name="客群", owner=world.lead, org_path=world.t1.path)
    today = timezone.localdate()
    campaign = Campaign.objects.create(
        name="定期存款旺季营销",
        segment=segment,
        starts_on=today - timedelta(days=5),
        ends_on=today + timedelta(days=20),
        target_count=10,
        target_amount=Decimal("1000000"),
        status="active",
        unit=world.t1,
        created_by=world.lead,
        org_path=world.t1.path,
    )
    Quota.objects.create(
        campaign=campaign, rm=world.rm, target_count=4, target_amount=Decimal("400000"), org_path=world.t1.path
    )
    for i, (status, amount) in enumerate((("signed", "100000"), ("signed", "50000"), ("refused", "0"))):
        customer = make_customer(world.rm, name=f"名单客户{i}")
        CampaignTarget.objects.create(
            campaign=campaign,
            customer=customer,
            rm=world.rm,
            status=status,
            amount=Decimal(amount),
            org_path=customer.org_path,
        )
    board = dashboard_for(world.rm)
    assert table(board, "rm-targets").rows == [["定期存款旺季营销", 4, 2]]
    t = tiles(board)
    assert t["target_rate"] == Decimal("37.5")  # 150,000 of 400,000
    funnel = table(board, "rm-funnel")
    assert funnel.rows[0][1] == 2 and funnel.kind == "funnel"
    team = dashboard_for(world.lead)
    assert table(team, "team-funnel").rows[0][1] == 3  # rm's two and rm_b's one, never rm2's
    branch = dashboard_for(world.manager)
    assert table(branch, "branch-funnel").rows[0][1] == 3


def test_dashboard_page_reuses_figures_until_the_next_login(client, world, make_customer, settings):
    """The page reuses a computed dashboard for a minute (same person, role, language and login); signing in
    again shows fresh figures."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "dash"}}
    settings.RMDESK_DASHBOARD_CACHE_SECONDS = 60
    make_customer(world.rm)
    client.force_login(world.rm)
    first = client.get("/analytics/")
    assert first.status_code == 200
    make_customer(world.rm)
    assert client.get("/analytics/").context["board"]["tiles"][0].value == 1  # reused
    world.rm.refresh_from_db()
    client.force_login(world.rm)  # a new login: a new key
    assert client.get("/analytics/").context["board"]["tiles"][0].value == 2
