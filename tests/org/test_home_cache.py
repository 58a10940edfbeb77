"""The home panels drawn once per person and reused (issue 18; org.views.home, docs/decisions.md):
another person's change shows after the cache time or on ?refresh=1, the person's own write at once,
and nothing drawn for one person or language is shown to another."""

import re

import pytest
from django.core.cache import cache
from django.test import override_settings

pytestmark = pytest.mark.django_db


def _count(resp) -> int:
    return int(re.search(r'data-testid="home-customer-count">(\d+)<', resp.content.decode()).group(1))


@pytest.fixture
def cached_home(settings):
    settings.RMDESK_HOME_CACHE_SECONDS = 60
    cache.clear()
    yield
    cache.clear()


def test_panels_are_reused_until_refresh(client, world, make_customer, cached_home):
    make_customer(world.rm)
    client.force_login(world.rm)
    first = client.get("/")
    assert _count(first) == 1 and 'data-testid="home-drawn-at"' in first.content.decode()
    make_customer(world.rm)  # someone else's change (no request of this person)
    assert _count(client.get("/")) == 1  # the drawn panels, within the cache time
    assert _count(client.get("/?refresh=1")) == 2  # asked for: drawn afresh
    make_customer(world.rm)
    assert _count(client.get("/")) == 2  # ?refresh=1 stored the new drawing


def test_own_write_shows_at_once(client, world, make_customer, cached_home):
    make_customer(world.rm)
    client.force_login(world.rm)
    assert _count(client.get("/")) == 1
    make_customer(world.rm)
    # any successful write by this person pins them: the next home page is drawn afresh
    resp = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert resp.status_code in (200, 302)
    assert _count(client.get("/")) == 2


def test_never_shared_between_people_or_languages(client, world, make_customer, cached_home):
    make_customer(world.rm)
    client.force_login(world.rm)
    assert _count(client.get("/")) == 1
    client.force_login(world.rm2)
    assert _count(client.get("/")) == 0  # rm2 has no customers: not rm's drawing
    client.force_login(world.rm)
    zh = client.get("/").content.decode()
    client.cookies["django_language"] = "en"
    en = client.get("/").content.decode()
    assert "主办客户数" in zh and "主办客户数" not in en


@override_settings(RMDESK_HOME_CACHE_SECONDS=0)
def test_off_draws_every_time(client, world, make_customer):
    make_customer(world.rm)
    client.force_login(world.rm)
    first = client.get("/")
    assert _count(first) == 1 and 'data-testid="home-drawn-at"' not in first.content.decode()
    make_customer(world.rm)
    assert _count(client.get("/")) == 2
