"""Browser: an RM logs in, sees the Chinese home page, switches to English and logs out (issue #2)."""

import pytest

from tests.browser import login, page  # noqa: F401  (fixture)
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_rm_login_language_switch_logout(page, world):  # noqa: F811
    pg, base = page
    login(pg, base, "rm", PASSWORD)
    assert pg.inner_text("[data-testid=home-title]") == "您好，rm"
    assert "客户经理" in pg.inner_text("[data-testid=who]")
    assert pg.get_attribute("html", "lang") == "zh-hans"
    pg.click("[data-testid=lang-en]")
    pg.wait_for_selector("html[lang=en]")
    assert pg.inner_text("[data-testid=home-title]") == "Hello, rm"
    assert "Relationship manager" in pg.inner_text("[data-testid=who]")
    pg.click("[data-testid=logout]")
    pg.wait_for_url(f"{base}/login/")
    pg.goto(f"{base}/")
    assert "/login/" in pg.url
