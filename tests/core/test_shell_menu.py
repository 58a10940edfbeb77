"""The menu's plan per set of roles (issue 18; rmdesk.core.hooks.menu_for): what the role codes decide is planned
once per process, an entry's own `visible_to` test is still asked for each person on each page, and a
registration change replans."""

import pytest

from rmdesk.core import hooks

pytestmark = pytest.mark.django_db


def _keys(user) -> list[str]:
    return [i["key"] for i in hooks.menu_for(user)]


def test_people_with_the_same_roles_still_get_their_own_visible_to_answer(world):
    assert world.rm.role_codes() == world.rm_b.role_codes()
    probe = hooks.MenuItem("zz_only_rm", "探针", "home", visible_to=lambda u: u.pk == world.rm.pk, order=-1)
    hooks.register(probe)
    try:
        for _ in range(2):  # the second round is served from the plan
            assert _keys(world.rm)[0] == "zz_only_rm"
            assert "zz_only_rm" not in _keys(world.rm_b)
    finally:
        hooks.unregister(hooks.MenuItem, "zz_only_rm")
    assert "zz_only_rm" not in _keys(world.rm)


def test_a_registration_change_replans_the_menu_for_the_same_roles(world):
    before = _keys(world.rm)
    hooks.register(hooks.MenuItem("zz_for_rms", "探针", "home", roles=("rm",), order=1))
    try:
        assert _keys(world.rm) == [before[0], "zz_for_rms", *before[1:]]
        assert "zz_for_rms" not in _keys(world.compliance)
    finally:
        hooks.unregister(hooks.MenuItem, "zz_for_rms")
    assert _keys(world.rm) == before


def test_the_plan_hands_out_copies(world):
    """The shell marks the active entry on the dicts it gets; that mark never leaks into the next page's menu."""
    first = hooks.menu_for(world.rm)
    for entry in first:
        entry["active"] = True
    assert not any(e.get("active") for e in hooks.menu_for(world.rm))


def test_admin_only_entries_follow_the_admin_flag(world):
    settings_keys = {"core_calendar", "core_notices", "packs"}
    assert settings_keys <= set(_keys(world.admin))
    assert not settings_keys & set(_keys(world.rm))
    world.rm.is_superuser = True  # superusers see admin_ok entries without the admin role
    assert settings_keys <= set(_keys(world.rm))
