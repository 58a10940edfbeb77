"""The hook registry (docs/decisions.md 14): every menu item shown to a person opens for them, and a
menu item is shown to whoever can use its page (SPEC §1 navigation by role)."""

import pytest

from rmdesk.core import hooks
from rmdesk.org.models import RoleCode
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

PEOPLE = ("rm", "rm_b", "lead", "rm2", "lead2", "manager", "risk", "compliance", "assistant", "referrer", "admin")


@pytest.mark.parametrize("who", PEOPLE)
def test_every_menu_item_shown_opens(client, world, who):
    user = getattr(world, who)
    client.force_login(user)
    items = hooks.menu_for(user)
    assert items, who
    for item in items:
        resp = client.get(item["url"])
        assert resp.status_code == 200, (who, item["key"], resp.status_code)


def test_senior_rm_who_reviews_journals_sees_the_review_menu(client, world):
    """待审阅 follows who reviews: a senior RM whose junior's journals they review sees it and can open it."""
    from datetime import date

    from rmdesk.work.models import Journal, JournalTemplate

    senior = make_user("senior", [RoleCode.RM], world.o1, world.t1, level="1")
    assert "work_reviews" not in {i["key"] for i in hooks.menu_for(senior)}
    template = JournalTemplate.objects.order_by("id").first()
    Journal.objects.create(
        template=template,
        owner=world.rm_b,
        reviewer=senior,
        org_path=world.t1.path,
        period_start=date(2026, 11, 1),
        period_end=date(2026, 11, 30),
        due_on=date(2026, 12, 5),
    )
    assert "work_reviews" in {i["key"] for i in hooks.menu_for(senior)}
    client.force_login(senior)
    assert client.get("/work/reviews/").status_code == 200
    assert "work_reviews" not in {i["key"] for i in hooks.menu_for(world.rm)}  # reviews nobody: no item


def test_registering_the_same_key_replaces_it():
    item = hooks.MenuItem("x_test_menu", "测试", "home", order=999)
    hooks.register(item)
    hooks.register(hooks.MenuItem("x_test_menu", "测试二", "home", order=999))
    try:
        assert [i.label for i in hooks.registered(hooks.MenuItem) if i.key == "x_test_menu"] == ["测试二"]
    finally:
        hooks.unregister(hooks.MenuItem, "x_test_menu")
    with pytest.raises(TypeError):
        hooks.register(object())
