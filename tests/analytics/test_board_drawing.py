"""The home page's dashboard panel is drawn once per cached board (issue 18, dashboards.board_drawing): the HTML is
exactly what `analytics/_board.html` draws from the board, in the viewer's language; a board computed again (the
old one expired) is drawn again with its new figures; without the board cache it is drawn on every view."""

import re

import pytest
from django.core.cache import cache
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import translation

from rmdesk.analytics import hooks as analytics_hooks
from rmdesk.analytics.dashboards import dashboard_for
from rmdesk.analytics.views import board_context
from rmdesk.org.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def board_cache(settings):
    settings.RMDESK_DASHBOARD_CACHE_SECONDS = 60
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def draws(monkeypatch):
    calls = []
    draw = analytics_hooks._draw_board

    def counting(board):
        calls.append(board.get("stamp"))
        return draw(board)

    monkeypatch.setattr(analytics_hooks, "_draw_board", counting)
    return calls


def _panel_html(user) -> str:
    request = RequestFactory().get("/")
    request.user = User.objects.select_related("team", "unit").get(pk=user.pk)
    panel = analytics_hooks.dashboard_panel(request)
    return render_to_string(panel["template"], {"ctx": panel["context"]})


def _board_key(user, language) -> str:
    """cached_dashboard's key of the person's first dashboard."""
    user = User.objects.get(pk=user.pk)
    login = user.last_login.timestamp() if user.last_login else 0
    return f"analytics:dash:{user.pk}::{language}:{login}"


def _book_tile(html: str) -> int:
    return int(re.search(r'data-tile="book"><small>[^<]*</small><b>(\d+)</b>', html).group(1))


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_drawing_is_the_boards_template(world, make_customer, board_cache, draws, language):
    make_customer(world.rm)
    with translation.override(language):
        first = _panel_html(world.rm)
        again = _panel_html(world.rm)
        expected = render_to_string("analytics/_board.html", {"ctx": board_context(dashboard_for(world.rm))})
    assert first == again == expected
    assert len(draws) == 1 and draws[0]  # drawn once, under the cached board's stamp


def test_a_board_computed_again_is_drawn_again(world, make_customer, board_cache, draws):
    make_customer(world.rm)
    with translation.override("zh-hans"):
        assert _book_tile(_panel_html(world.rm)) == 1
        make_customer(world.rm)
        assert _book_tile(_panel_html(world.rm)) == 1  # the board (and so its drawing) is reused for a minute
        cache.delete(_board_key(world.rm, "zh-hans"))  # the board expires
        assert _book_tile(_panel_html(world.rm)) == 2
    assert len(draws) == 2 and draws[0] != draws[1]


def test_languages_are_drawn_apart(world, make_customer, board_cache):
    make_customer(world.rm)
    with translation.override("zh-hans"):
        zh = _panel_html(world.rm)
    with translation.override("en"):
        en = _panel_html(world.rm)
    assert zh != en and "管户数" in zh and "管户数" not in en


def test_without_the_board_cache_every_view_is_drawn(world, make_customer, settings, draws):
    settings.RMDESK_DASHBOARD_CACHE_SECONDS = 0
    make_customer(world.rm)
    with translation.override("zh-hans"):
        assert _book_tile(_panel_html(world.rm)) == 1
        make_customer(world.rm)
        assert _book_tile(_panel_html(world.rm)) == 2
    assert draws == [None, None]
