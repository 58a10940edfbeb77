"""Browser (issue 13 "Done when"): an RM drafts a contract with its key terms and submits it; the compliance
officer (法律审查) and the team lead (审批) approve it in the approval centre; the RM records the signing
with the scan (the frozen hash shows); the three custodians acknowledge their copies; the RM asks to
borrow the filed copy, its custodian consents, hands it out and records the return."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.browser import login, page  # noqa: F401  (fixture)
from tests.conftest import PASSWORD

from .conftest import TERMS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _logout(pg, base):
    pg.click("[data-testid=logout]")
    pg.wait_for_url(f"{base}/login/")


def test_draft_approve_sign_acknowledge_borrow_return(page, world, seeded, custodians, make_customer, tmp_path):  # noqa: F811
    from rmdesk.contracts.models import Borrowing, Contract

    make_customer(world.rm, world.t1, name="金陵精密机械有限公司", kind="corporate")
    scan = tmp_path / "签署件.pdf"
    scan.write_bytes(b"%PDF-1.4 signed")
    pg, base = page
    login(pg, base, "rm", PASSWORD)
    pg.click("[data-nav=contracts]")
    pg.click("[data-testid=contract-new]")
    pg.fill("#id_customer", "金陵精密")
    pg.select_option("#id_kind", "payroll")
    pg.fill("#id_title", "代发工资协议")
    pg.fill("#id_amount", "180000")
    pg.fill("#id_start_on", "2026-01-01")
    pg.fill("#id_end_on", "2026-12-31")
    for name, value in TERMS.items():
        pg.fill(f"#id_{name}", value)
    pg.click("[data-testid=contract-form] button[type=submit]")
    pg.wait_for_selector("[data-testid=contract-status]:has-text('起草中')")
    contract_url = pg.url
    pg.click("[data-testid=contract-submit]")
    pg.wait_for_selector("[data-testid=contract-status]:has-text('审批中')")
    _logout(pg, base)

    for username, opinion in (("compliance", "条款合法合规"), ("lead", "同意签约")):
        login(pg, base, username, PASSWORD)
        pg.goto(f"{base}/org/approvals/")
        row = pg.locator("[data-testid=pending-approvals] tr:has-text('金陵精密机械有限公司')")
        row.locator("input[name=comment]").fill(opinion)
        row.locator("button[value=approve]").click()
        pg.wait_for_selector("[data-testid=pending-approvals]")
        assert pg.locator("[data-testid=pending-approvals] tr:has-text('金陵精密机械有限公司')").count() == 0
        _logout(pg, base)

    login(pg, base, "rm", PASSWORD)
    pg.goto(contract_url)
    pg.wait_for_selector("[data-testid=contract-status]:has-text('已批准待签署')")
    history = pg.inner_text("[data-testid=contract-history]")
    assert "条款合法合规" in history and "同意签约" in history
    form = pg.locator("[data-testid=contract-sign-form]")
    form.locator("#id_signed_on").fill(timezone.localdate().isoformat())
    form.locator("#id_signatories").fill("甲方：张行长；乙方：李总经理")
    form.locator("#id_scan").set_input_files(str(scan))
    form.locator("button[type=submit]").click()
    pg.wait_for_selector("[data-testid=contract-status]:has-text('已签署')")
    contract = Contract.objects.get()
    assert pg.inner_text("[data-testid=contract-hash]") == contract.versions.get().sha256
    _logout(pg, base)

    for username in ("c_office", "c_finance", "c_biz"):
        login(pg, base, username, PASSWORD)
        pg.goto(f"{base}/contracts/custody/")
        pg.click(f"[data-testid=custody-to-ack] a:has-text('{contract.number}')")
        ack = pg.locator("[data-testid=contract-ack]")
        ack.locator("input[name=location]").fill(f"{username} 档案柜 A-01")
        ack.locator("button[type=submit]").click()
        pg.wait_for_selector("[data-testid=contract-copies]")
        assert pg.locator("[data-testid=contract-ack]").count() == 0
        _logout(pg, base)
    assert not contract.copies.filter(acknowledged_at__isnull=True).exists()

    login(pg, base, "rm", PASSWORD)
    pg.goto(contract_url)
    borrow = pg.locator("[data-testid=contract-borrow-form]")
    borrow.locator("#id_copy_id").select_option(label="综合办")
    borrow.locator("#id_purpose").fill("年度审计调阅")
    borrow.locator("#id_due_on").fill((timezone.localdate() + timedelta(days=3)).isoformat())
    borrow.locator("button[type=submit]").click()
    pg.wait_for_selector("[data-testid=borrow-status]:has-text('待保管人审批')")
    _logout(pg, base)

    login(pg, base, "c_office", PASSWORD)
    assert "调阅" in pg.inner_text("[data-testid=contracts-panel-custody]")
    pg.goto(contract_url)
    pg.click("[data-testid=borrow-approve]")
    pg.wait_for_selector("[data-testid=borrow-status]:has-text('已同意待借出')")
    pg.click("[data-testid=borrow-lend]")
    pg.wait_for_selector("[data-testid=borrow-status]:has-text('已借出')")
    pg.click("[data-testid=borrow-return]")
    pg.wait_for_selector("[data-testid=borrow-status]:has-text('已归还')")
    b = Borrowing.objects.get()
    assert (b.status, b.borrower.username, b.received_by.username) == ("returned", "rm", "c_office")
    # the contract page and the custody desk are usable on a phone: nothing wider than the screen
    pg.set_viewport_size({"width": 390, "height": 844})
    for url in (contract_url, f"{base}/contracts/custody/"):
        pg.goto(url)
        width = pg.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (url, width)
