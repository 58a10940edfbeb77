"""The shell's facts (issue 18; rmdesk.core.hooks.ShellFact / ShellFacts): the header's badges and the menu's
numbers are read in ONE query while base.html is drawn, are never older than the page they are shown on, and
the functions behind them answer exactly as before outside the shell."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rmdesk.core import approvals, hooks, notifications
from rmdesk.core.models import Notification
from rmdesk.org.models import Role, RoleCode

pytestmark = pytest.mark.django_db


def _badge(html: str, key: str) -> int | None:
    m = re.search(rf'data-testid="counter-{key}">[^<]*<b>(\d+)</b>', html)
    return int(m.group(1)) if m else None


def test_a_new_notification_shows_on_the_very_next_page(client, world):
    client.force_login(world.rm)
    assert _badge(client.get("/").content.decode(), "notifications") == 0
    notifications.notify(world.rm, "core.test", "第一条", url="/")
    assert _badge(client.get("/customers/").content.decode(), "notifications") == 1
    notifications.notify(world.rm, "core.test", "第二条", url="/")
    notifications.notify(world.rm_b, "core.test", "别人的", url="/")
    assert _badge(client.get("/").content.decode(), "notifications") == 2


def test_notifications_read_by_any_writer_leave_the_badge_at_once(client, world):
    """A bulk UPDATE that bypasses core.notifications (as work.services does for a reviewed journal's notice) is
    seen by the next page: the badge is read from the table on every page, nothing is cached across requests."""
    for i in range(3):
        notifications.notify(world.rm, "core.test", f"消息{i}", url="/")
    client.force_login(world.rm)
    assert _badge(client.get("/").content.decode(), "notifications") == 3
    Notification.objects.filter(recipient=world.rm, title="消息0").update(read_at=timezone.now())
    assert _badge(client.get("/").content.decode(), "notifications") == 2
    notifications.mark_read(world.rm)
    assert _badge(client.get("/").content.decode(), "notifications") == 0


def test_a_new_pending_approval_shows_on_the_very_next_page_and_leaves_when_decided(client, world):
    client.force_login(world.lead)
    assert _badge(client.get("/").content.decode(), "approvals") is None
    req = approvals.request_approval(world.rm, "test.badge", "分配客户", {"n": 1}, unit=world.t1, reason="新客户")
    assert _badge(client.get("/customers/").content.decode(), "approvals") == 1
    approvals.decide(world.lead, req.pk, "approve", version=req.version)
    assert _badge(client.get("/").content.decode(), "approvals") is None


def test_the_badge_follows_a_role_change_of_the_same_person(client, world):
    """The approvals EXISTS is compiled once per process for what it is built from (units, deciders held): a role
    granted gives another query, never the old one."""
    req = approvals.request_approval(world.lead, "test.badge", "分配客户", {"n": 1}, unit=world.t1, reason="新客户")
    client.force_login(world.rm)
    assert _badge(client.get("/").content.decode(), "approvals") is None
    world.rm.roles.add(Role.objects.get_or_create(code=RoleCode.TEAM_LEAD)[0])
    assert _badge(client.get("/").content.decode(), "approvals") == approvals.pending_count(world.rm) == 1
    world.rm.roles.remove(Role.objects.get(code=RoleCode.TEAM_LEAD))
    assert _badge(client.get("/").content.decode(), "approvals") is None
    assert req.pk


def test_badges_and_facts_take_one_query(client, world):
    notifications.notify(world.lead, "core.test", "一条", url="/")
    approvals.request_approval(world.rm, "test.badge", "分配客户", {"n": 1}, unit=world.t1, reason="新客户")
    client.force_login(world.lead)
    client.get("/org/ping/")
    with CaptureQueriesContext(connection) as ctx:
        html = client.get("/").content.decode()
    assert _badge(html, "notifications") == 1 and _badge(html, "approvals") == 1
    sqls = [q["sql"] for q in ctx.captured_queries]
    facts = [s for s in sqls if s.startswith("SELECT (SELECT COUNT(*) FROM (")]
    assert len(facts) == 1, facts
    assert not [s for s in sqls if 'FROM "work_notification"' in s and s not in facts], "the badge counted again"


def test_outside_the_shell_the_counts_are_read_as_before(world):
    notifications.notify(world.rm, "core.test", "一条", url="/")
    assert hooks.fact(world.rm, "notifications.unread") is None
    assert notifications.unread_count(world.rm) == 1
    facts = hooks.ShellFacts(world.rm)
    with hooks.shell_facts(facts):
        assert notifications.unread_count(world.rm) == 1
        assert hooks.fact(world.rm_b, "notifications.unread") is None, "another person's facts are never used"
        assert notifications.unread_count(world.rm_b) == 0
    assert hooks.fact(world.rm, "notifications.unread") is None


def test_every_registered_fact_matches_its_own_query(world):
    """The batched SELECT gives, fact by fact, what each query alone gives (count or exists)."""
    approvals.request_approval(world.rm, "test.badge", "分配客户", {"n": 1}, unit=world.t1, reason="新客户")
    notifications.notify(world.lead, "core.test", "一条", url="/")
    notifications.notify(world.lead, "core.test", "两条", url="/")
    for user in (world.rm, world.lead, world.manager, world.compliance, world.admin):
        batched = hooks.read_facts(user)
        for item in hooks.registered(hooks.ShellFact):
            q = item.query(user)
            if q is None:
                alone = 0
            elif isinstance(q, hooks.FactSQL):
                with connection.cursor() as cursor:
                    cursor.execute(f"SELECT COUNT(*) FROM ({q.sql}) f", q.params)
                    alone = cursor.fetchone()[0]
            else:
                alone = int(q.exists()) if item.exists else q.count()
            assert batched[item.key] == alone, (user.username, item.key)
        assert batched["notifications.unread"] == notifications.unread_for(user).count()
        assert bool(batched["approvals.candidates"]) == bool(approvals.pending_for(user)), user.username


def test_a_queryset_fact_registered_by_an_app_joins_the_batch(world):
    """Any app may add a fact as a queryset (count, or exists with LIMIT 1); an empty `__in` filter counts 0."""
    from rmdesk.org.models import User

    probes = (
        hooks.ShellFact("zz.count", lambda u: User.objects.filter(unit=u.unit)),
        hooks.ShellFact("zz.exists", lambda u: User.objects.filter(unit=u.unit), exists=True),
        hooks.ShellFact("zz.empty", lambda u: User.objects.filter(pk__in=[])),
        hooks.ShellFact("zz.none", lambda u: None),
    )
    try:
        for p in probes:
            hooks.register(p)
        values = hooks.read_facts(world.rm)
        expected = User.objects.filter(unit=world.rm.unit).count()
        assert values["zz.count"] == expected and expected > 1
        assert values["zz.exists"] == 1 and values["zz.empty"] == 0 and values["zz.none"] == 0
    finally:
        for p in probes:
            hooks.unregister(hooks.ShellFact, p.key)


def test_menu_tests_and_the_conflicts_badge_join_the_one_query(client, world, make_customer):
    """The 待审阅 entry (an RM who supervises someone), the 合同保管 entry (a custodian) and the conflicts badge (a
    supervisor) are shown from the shell's one query of facts, never from a query of their own (issue 18), and show
    exactly when their own queries say so."""
    from django.utils import timezone as tz

    from rmdesk.contracts.models import CustodianAssignment, CustodyRole
    from rmdesk.customers.models import Conflict
    from rmdesk.work.models import Journal, JournalTemplate

    def page(user):
        client.force_login(user)
        client.get("/org/ping/")
        with CaptureQueriesContext(connection) as ctx:
            html = client.get("/customers/").content.decode()
        sqls = [q["sql"] for q in ctx.captured_queries]
        facts = [s for s in sqls if s.startswith("SELECT (SELECT COUNT(*) FROM (")]
        assert len(facts) == 1, facts
        for table in ("work_journal", "contracts_custodianassignment", "customers_conflict"):
            assert not [s for s in sqls if f'FROM "{table}"' in s and s not in facts], (user.username, table)
        return html

    # nobody reviews, keeps copies or has a conflict yet
    assert 'data-nav="work_reviews"' not in page(world.rm)
    assert 'data-nav="contracts_custody"' not in page(world.rm)
    assert _badge(page(world.lead), "customer_conflicts") is None

    world.rm_b.supervisor = world.rm
    world.rm_b.save(update_fields=["supervisor"])
    today = tz.localdate()
    Journal.objects.create(
        template=JournalTemplate.objects.get(code="monthly_summary"),
        owner=world.rm_b,
        org_path=world.t1.path,
        period_start=today.replace(day=1),
        period_end=today,
        due_on=today,
    )
    role = CustodyRole.objects.order_by("pk").first() or CustodyRole.objects.create(name="综合办")
    CustodianAssignment.objects.create(role=role, unit=world.s1, user=world.rm)
    existing = make_customer(world.rm, world.t1, mobile="13800000001")
    Conflict.objects.create(
        existing=existing,
        match_field="mobile",
        match_value=existing.mobile,
        source="create",
        claimant=world.rm_b,
        org_path=existing.org_path,
        claimant_path=world.t1.path,
    )
    html = page(world.rm)
    assert 'data-nav="work_reviews"' in html and 'data-nav="contracts_custody"' in html
    assert _badge(page(world.lead), "customer_conflicts") == 1
    # the same answers outside the shell, from each test's own query
    assert hooks.fact(world.rm, "work.journals_to_review") is None
    items = {i["key"] for i in hooks.menu_for(world.rm)}
    assert {"work_reviews", "contracts_custody"} <= items
    assert "contracts_custody" not in {i["key"] for i in hooks.menu_for(world.rm_b)}
