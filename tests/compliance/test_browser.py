"""Browser (issue 14): compliance opens a signing round, staff read and sign the pledge, and the
outstanding list compliance sees shrinks with each signature."""

import pytest

from tests.browser import login, page, shows  # noqa: F401  (fixture)
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _logout(pg, base):
    pg.click("[data-testid=logout]")
    pg.wait_for_url(f"{base}/login/")


def _progress(pg):
    return pg.inner_text("[data-testid=round-progress]")


def test_staff_sign_and_the_outstanding_list_shrinks(page, world, seeded):  # noqa: F811
    pg, base = page
    login(pg, base, "compliance", PASSWORD)
    pg.goto(f"{base}/compliance/rounds/")
    form = pg.locator("[data-testid=round-form]")
    form.locator("#id_name").fill("2026年度诚信服务承诺书")
    form.locator("#id_template").select_option(str(seeded["integrity"].pk))
    form.locator("#id_unit").select_option(str(world.o1.pk))
    form.locator("#id_deadline").fill("2099-12-31")
    form.locator("button[type=submit]").click()
    pg.wait_for_selector("[data-testid=round-progress]")
    round_url = pg.url
    assert "已签署 0 / 3 人，未签署 3 人" in _progress(pg)
    assert "rm_b" in pg.inner_text("[data-testid=outstanding-table]")
    _logout(pg, base)

    for n, username in enumerate(("rm", "rm_b"), start=1):
        login(pg, base, username, PASSWORD)
        pg.click("[data-panel=compliance_staff] a")
        pg.wait_for_selector("[data-testid=pledge-text]")
        assert "不收受客户赠送钱物" in pg.inner_text("[data-testid=pledge-text]")
        pg.click("[data-testid=sign]")  # not confirmed as read: refused next to the checkbox
        shows(pg, "[data-testid=sign-form]", "请先阅读承诺书全文并确认")
        pg.check("#id_read_confirmed")
        pg.click("[data-testid=sign]")
        pg.wait_for_selector("[data-testid=signed]")
        assert len(pg.inner_text("[data-testid=sha256]")) == 64
        _logout(pg, base)

        login(pg, base, "compliance", PASSWORD)
        pg.goto(round_url)
        assert f"已签署 {n} / 3 人，未签署 {3 - n} 人" in _progress(pg)
        waiting = {
            name
            for cell in pg.locator("[data-testid=outstanding-people]").all_inner_texts()
            for name in cell.split("、")
        }
        assert username not in waiting and "rm_t1b" in waiting
        _logout(pg, base)
