"""Role dashboards (SPEC §11): exact figures on hand-made data, in the viewer's scope (a team lead's dashboard
never counts another team), on the home page's first panel, and as JSON for BI."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from rmdesk.analytics import snapshots
from rmdesk.analytics.dashboards import dashboard_for
from rmdesk.customers.models import Stage, Tier
from rmdesk.work.models import ContactStatus, ContactStatusCode

pytestmark = pytest.mark.django_db


def tiles(board):
    return {t.key: t.value for t in board["tiles"]}


def table(board, table_id):
    return next(t for t in board["tables"] if t.id == table_id)


@pytest.fixture
def book(world, make_customer):
    tiers = {t.code: t for t in Tier.objects.filter(rule_set__is_active=True, rule_set__industry="bank")}
    top, low = sorted(tiers.values(), key=lambda t: -t.rank)[0], sorted(tiers.values(), key=lambda t: t.rank)[0]
    made = [
        make_customer(world.rm, tier=top, aum=Decimal("1500000"), stage=Stage.ACTIVE),
        make_customer(world.rm, tier=low, aum=Decimal("50000"), stage=Stage.ACTIVE),
        make_customer(world.rm, tier=low, aum=Decimal("25000.50"), stage=Stage.AT_RISK),
        make_customer(world.rm_b, tier=top, aum=Decimal("2000000"), stage=Stage.ACTIVE),
        make_customer(world.rm2, tier=top, aum=Decimal("9000000"), stage=Stage.ACTIVE),  # the other branch's team
    ]
    today = timezone.localdate()
    for customer, status in zip(made, ["overdue", "overdue", "due", "overdue", "overdue"], strict=True):
        ContactStatus.objects.update_or_create(
            customer=customer,
            defaults={
                "a_rm": customer.a_rm,
                "org_path": customer.org_path,
                "status": status,
                "next_due_on": today - timedelta(days=3),
            },
        )
    return {"top": top, "low": low, "customers": made}


def test_rm_dashboard_counts_my_book(world, book):
    board = dashboard_for(world.rm)
    assert board["role"] == "rm"
    t = tiles(board)
    assert t["book"] == 3 and t["aum"] == Decimal("157.50")  # 1,575,000.50 yuan in 万元, two decimals
    assert t["overdue"] == 2 and t["due"] == 1
    tiers = table(board, "rm-tiers")
    assert [(r[0], r[1], r[2]) for r in tiers.rows] == [
        (book["top"].name, 1, Decimal("150.00")),
        (book["low"].name, 2, Decimal("7.50")),
    ]
    assert tiers.urls[0] == f"/customers/?tier={book['top'].code}&owner=me"


def test_team_dashboard_never_counts_another_team(world, book):
    board = dashboard_for(world.lead)
    assert board["role"] == "team_lead"
    ranking = table(board, "team-ranking")
    names = [r[0] for r in ranking.rows]
    assert world.rm2.display_name not in names
    by_name = {r[0]: r[1] for r in ranking.rows}
    assert by_name[world.rm_b.display_name] == Decimal("200.00") and by_name[world.rm.display_name] == Decimal("157.50")
    assert names.index(world.rm_b.display_name) < names.index(world.rm.display_name)  # ranked by AUM
    overdue = {r[0]: r[1] for r in table(board, "team-overdue").rows}
    assert overdue[world.rm.display_name] == 2 and overdue[world.rm_b.display_name] == 1
    t = tiles(board)
    assert t["customers"] == 4 and t["aum"] == Decimal("357.50") and t["overdue"] == 3
    other = tiles(dashboard_for(world.lead2))
    assert other["customers"] == 1 and other["aum"] == Decimal("900.00")


def test_branch_dashboard_and_growth_from_snapshots(world, book):
    board = dashboard_for(world.manager)
    assert board["role"] == "branch_manager"
    t = tiles(board)
    assert t["customers"] == 4 and t["at_risk"] == 1 and t["growth"] == "—"
    past = timezone.localdate() - timedelta(days=31)
    snapshots.take(past)  # today's book recorded as of 31 days ago...
    book["customers"][0].__class__.objects.filter(pk=book["customers"][0].pk).update(aum=Decimal("2500000"))
    t = tiles(dashboard_for(world.manager))
    assert t["growth"] == Decimal("27.97")  # (4,575,000.50 − 3,575,000.50) / 3,575,000.50


def test_risk_and_compliance_dashboards_exist_and_rm_panel_is_first_on_home(world, book, client):
    assert dashboard_for(world.risk)["role"] == "risk"
    assert dashboard_for(world.compliance)["role"] == "compliance"
    assert dashboard_for(world.assistant) is None
    client.force_login(world.rm)
    html = client.get(reverse("home")).content.decode()
    assert html.index('data-panel="dashboard"') < html.index('data-panel="', html.index('data-panel="dashboard"') + 1)
    assert 'data-chart="chart-rm-tiers-option"' in html and 'id="chart-rm-tiers-option"' in html


@pytest.mark.parametrize("who", ["rm", "lead", "manager", "risk", "compliance"])
def test_every_dashboard_page_and_api(world, book, client, who):
    client.force_login(getattr(world, who))
    page = client.get(reverse("analytics:dashboard"))
    assert page.status_code == 200 and b'class="tile"' in page.content
    data = client.get("/api/analytics/dashboard").json()
    assert data["role"] == dashboard_for(getattr(world, who))["role"]
    assert all({"id", "columns", "rows"} <= set(t) for t in data["tables"])


def test_people_without_a_dashboard_get_404(world, client):
    for who in ("assistant", "referrer"):
        client.force_login(getattr(world, who))
        assert client.get(reverse("analytics:dashboard")).status_code == 404
        assert client.get("/api/analytics/dashboard").status_code == 404


def test_a_role_one_does_not_hold_is_not_shown(world, book):
    assert dashboard_for(world.rm, "branch_manager")["role"] == "rm"


def test_snapshots_are_replaced_not_doubled(world, book):
    day = timezone.localdate()
    first = snapshots.take(day)
    again = snapshots.take(day)
    assert first == again and first["books"] == 3
    assert ContactStatusCode.OVERDUE == "overdue"


def test_rm_dashboard_shows_this_weeks_visit_plan_completion(world, book):
    """本周拜访计划完成率: the visits of my weekly plan this week done ÷ planned (work.visit_completion); another
    RM's plan and a visit recorded by someone else do not count; without a plan the tile says so."""
    from datetime import datetime, time

    from rmdesk.work.models import Interaction, ScheduleItem, VisitSchedule

    assert tiles(dashboard_for(world.rm))["week_plan"] == "—"
    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday())
    mine = VisitSchedule.objects.create(owner=world.rm, org_path=world.t1.path, week_start=monday)
    first, second, third = book["customers"][:3]
    for customer in (first, second, third):
        ScheduleItem.objects.create(schedule=mine, customer=customer, day=monday)
    at = timezone.make_aware(datetime.combine(monday, time(10, 0)))
    Interaction.objects.create(customer=first, kind="visit", occurred_at=at, recorded_by=world.rm, purpose="拜访")
    Interaction.objects.create(customer=second, kind="visit", occurred_at=at, recorded_by=world.rm_b, purpose="拜访")
    other = VisitSchedule.objects.create(owner=world.rm_b, org_path=world.t1.path, week_start=monday)
    ScheduleItem.objects.create(schedule=other, customer=book["customers"][3], day=monday)
    tile = next(t for t in dashboard_for(world.rm)["tiles"] if t.key == "week_plan")
    assert (tile.value, tile.unit) == (Decimal("33.3"), "%")
    assert str(tile.note) == "已完成 1 / 计划 3 次"
    assert tile.url == reverse("work:schedule")
