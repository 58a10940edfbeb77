"""Playwright helpers for browser tests: Debian's chromium, headless, never a downloaded browser."""

import os
import shutil

import pytest

CHROMIUM = os.environ.get("RMDESK_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_chromium():
    if not shutil.which(CHROMIUM):
        if os.environ.get("RMDESK_REQUIRE_BROWSER") == "1":
            pytest.fail(f"chromium not found at {CHROMIUM} (apt-get install chromium)")
        pytest.skip(f"chromium not found at {CHROMIUM}; install Debian's chromium to run browser tests")


@pytest.fixture
def page(live_server):
    """A fresh headless chromium page; yields (page, base_url)."""
    require_chromium()
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop in this thread
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        context = browser.new_context(locale="zh-CN")
        pg = context.new_page()
        pg.set_default_timeout(15000)
        try:
            yield pg, live_server.url
        finally:
            context.close()
            browser.close()


def login(pg, base_url, username, password):
    pg.goto(f"{base_url}/login/")
    pg.fill("#id_username", username)
    pg.fill("#id_password", password)
    pg.click("[data-testid=login-submit]")
    pg.wait_for_url(f"{base_url}/")


def shows(pg, selector, text=None, count=None):
    """Wait (up to 15 s) until what a click re-renders is there: the element at `selector` contains `text`, or
    `count` elements match it. A form post or an htmx swap answers after the click returns, so reading the page
    at once may read the old one (the CI flake of stop 28)."""
    from playwright.sync_api import expect

    located = expect(pg.locator(selector))
    if text is not None:
        located.to_contain_text(text, timeout=15000)
    if count is not None:
        located.to_have_count(count, timeout=15000)
