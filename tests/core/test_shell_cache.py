"""The shell's per-process menu HTML and menu URLs (issue 18, rmdesk.core.hooks.menu_html / _menu_url) and the
session's user read with team and unit (rmdesk.core.auth): a cached menu is always the one the person's own
entries, the page and the language make — never another person's, never stale after a role change."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import get_script_prefix, set_script_prefix

from rmdesk.core import hooks
from rmdesk.core.auth import TeamAndUnitBackend
from rmdesk.org.models import Role, RoleCode

pytestmark = pytest.mark.django_db


def _nav_keys(client, url="/customers/") -> set[str]:
    html = client.get(url).content.decode()
    nav = html[html.index('<nav class="sidenav"') : html.index("</nav>")]
    return set(re.findall(r'data-nav="([^"]+)"', nav))


def _expected(user) -> set[str]:
    keys = {i["key"] for i in hooks.menu_for(user)}
    return keys | ({"admin"} if user.is_staff or user.is_superuser else set())


def test_each_person_gets_their_own_menu_from_the_cache(client, world):
    seen = {}
    for who in ("rm", "compliance", "rm", "manager", "compliance"):  # repeats are served from the cache
        user = getattr(world, who)
        client.force_login(user)
        keys = _nav_keys(client)
        assert keys == _expected(user), who
        seen.setdefault(who, keys)
        assert keys == seen[who], who
    assert seen["rm"] != seen["compliance"] and seen["rm"] != seen["manager"]


def test_a_role_granted_shows_its_entries_on_the_next_page(client, world):
    client.force_login(world.rm)
    before = _nav_keys(client)
    world.rm.roles.add(Role.objects.get_or_create(code=RoleCode.TEAM_LEAD)[0])
    world.rm._role_codes = None
    after = _nav_keys(client)
    assert after == _expected(world.rm) and after - before, "the team lead's entries appear at once"
    world.rm.roles.remove(Role.objects.get(code=RoleCode.TEAM_LEAD))
    world.rm._role_codes = None
    assert _nav_keys(client) == before


def test_the_active_entry_and_the_language_are_part_of_the_menu(client, world):
    client.force_login(world.rm)
    html = client.get("/customers/").content.decode()
    assert 'class="active" data-nav="customers"' in html
    html = client.get("/").content.decode()
    assert 'class="active" data-nav="home"' in html and 'class="active" data-nav="customers"' not in html
    zh_nav = html[html.index('<nav class="sidenav"') : html.index("</nav>")]
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get("/").content.decode()
    en_nav = html[html.index('<nav class="sidenav"') : html.index("</nav>")]
    assert en_nav != zh_nav and "日常工作" in zh_nav and "日常工作" not in en_nav


def test_menu_urls_follow_the_script_prefix():
    prefix = get_script_prefix()
    try:
        set_script_prefix("/rmdesk/")
        assert hooks._menu_url("home") == "/rmdesk/"
        set_script_prefix("/")
        assert hooks._menu_url("home") == "/"
        assert hooks._menu_url("no-such-page") is None
    finally:
        set_script_prefix(prefix)


def test_registrations_change_the_sorted_list(world):
    before = [i.key for i in hooks.registered(hooks.MenuItem)]
    try:
        hooks.register(hooks.MenuItem("zz_probe", "探针", "home", order=-1))
        assert [i.key for i in hooks.registered(hooks.MenuItem)] == ["zz_probe", *before]
    finally:
        hooks.unregister(hooks.MenuItem, "zz_probe")
    assert [i.key for i in hooks.registered(hooks.MenuItem)] == before


def test_the_session_user_comes_with_team_and_unit(world):
    user = TeamAndUnitBackend().get_user(world.rm.pk)
    with CaptureQueriesContext(connection) as ctx:
        assert user.team == world.t1 and user.unit_id == world.rm.unit_id
        _ = user.unit
    assert len(ctx.captured_queries) == 0
    world.rm.is_active = False
    world.rm.save(update_fields=["is_active"])
    assert TeamAndUnitBackend().get_user(world.rm.pk) is None
    assert TeamAndUnitBackend().get_user(10**9) is None


def test_pages_do_not_read_team_or_unit_again(client, world):
    client.force_login(world.rm)
    client.get("/customers/")
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/customers/").status_code == 200
    unit_reads = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith('SELECT "org_orgunit"."id"')]
    assert not unit_reads, unit_reads


def test_the_approvals_badge_counts_what_the_inbox_lists(client, world):
    """approvals.pending_count (the header's badge, a lean EXISTS first) agrees with the inbox for every person,
    before and after a request arrives and after it is decided."""
    from rmdesk.core import approvals

    people = [world.rm, world.rm_b, world.lead, world.lead2, world.manager, world.compliance, world.admin]

    def agree():
        for u in people:
            assert approvals.pending_count(u) == len(approvals.pending_for(u)), u.username

    agree()
    assert approvals.pending_count(world.lead) == 0
    req = approvals.request_approval(world.rm, "test.badge", "分配客户", {"n": 1}, unit=world.t1, reason="新客户")
    agree()
    assert approvals.pending_count(world.lead) == 1 and approvals.pending_count(world.rm) == 0
    client.force_login(world.lead)
    assert 'data-testid="counter-approvals"' in client.get("/").content.decode()
    approvals.decide(world.lead, req.pk, "approve", version=req.version)
    agree()
    assert approvals.pending_count(world.lead) == 0
    assert 'data-testid="counter-approvals"' not in client.get("/").content.decode()
