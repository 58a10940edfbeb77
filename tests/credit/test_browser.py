"""Browser (issue 12): an RM applies for credit and signs the pledge, three different people decide
审查 → 审核 → 审批 in the approval centre, and the loan appears with its post-loan schedule."""

import pytest

from tests.browser import login, page  # noqa: F401  (fixture)
from tests.conftest import PASSWORD, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _logout(pg, base):
    pg.click("[data-testid=logout]")
    pg.wait_for_url(f"{base}/login/")


def test_apply_sign_three_deciders_and_the_loan_schedule(page, world, make_customer, products, tmp_path):  # noqa: F811
    from rmdesk.credit.models import CreditApplication, Loan
    from rmdesk.org.models import RoleCode

    make_user("risk_b", [RoleCode.RISK], world.s1, qualified=False)
    make_customer(world.rm, world.t1, name="赵建国", id_number="110101198001011234")
    evidence = tmp_path / "资料.pdf"
    evidence.write_bytes(b"%PDF-1.4 evidence")
    pg, base = page
    login(pg, base, "rm", PASSWORD)
    pg.click("[data-nav=credit_applications]")
    pg.click("[data-testid=credit-new]")
    pg.fill("#id_customer", "赵建国")
    pg.select_option("#id_product", str(products["PL01"].pk))
    pg.fill("#id_amount", "150000")
    pg.fill("#id_term_months", "24")
    pg.fill("#id_purpose", "房屋装修")
    pg.fill("#id_repayment_source", "工资收入")
    pg.click("[data-testid=credit-form] button[type=submit]")
    pg.wait_for_selector("[data-testid=credit-status]")
    app_url = pg.url
    for kind in products["PL01"].required_materials:
        form = pg.locator("form:has(input[type=file])")
        form.locator("select[name=kind]").select_option(kind)
        form.locator("input[type=file]").set_input_files(str(evidence))
        form.locator("button[type=submit]").click()
        pg.wait_for_selector("[data-testid=credit-status]")
    for i in range(6):
        row = pg.locator("[data-testid=credit-checklist] form").nth(i)
        row.locator("textarea[name=finding]").fill("实地走访核实，情况属实")
        row.locator("input[name=conclusion]").fill("符合要求")
        row.locator("button[type=submit]").click()
        pg.wait_for_selector("[data-testid=credit-status]")
    pg.check("input[name=recommendation][value=approve]")
    pg.fill("textarea[name=reasons]", "收入稳定，还款来源充足")
    pg.click("text=保存调查结论")
    pg.wait_for_selector("[data-testid=credit-recommendation]")
    pg.click("[data-testid=credit-sign]")
    pg.wait_for_selector("text=SHA-256")
    pg.click("[data-testid=credit-submit]")
    pg.wait_for_selector("[data-testid=credit-status]:has-text('审批中')")
    _logout(pg, base)

    for username, opinion in (("risk", "审查同意"), ("risk_b", "审核同意"), ("manager", "同意发放")):
        login(pg, base, username, PASSWORD)
        pg.goto(f"{base}/org/approvals/")
        row = pg.locator("[data-testid=pending-approvals] tr:has-text('赵建国')")
        row.locator("input[name=comment]").fill(opinion)
        row.locator("button[value=approve]").click()
        pg.wait_for_selector("[data-testid=pending-approvals]")
        assert pg.locator("[data-testid=pending-approvals] tr:has-text('赵建国')").count() == 0
        _logout(pg, base)

    login(pg, base, "rm", PASSWORD)
    pg.goto(app_url)
    pg.wait_for_selector("[data-testid=credit-status]:has-text('已批准')")
    history = pg.inner_text("[data-testid=credit-history]")
    for text in ("审查同意", "审核同意", "同意发放"):
        assert text in history
    form = pg.locator("[data-testid=credit-loan-form]")
    form.locator("#id_cms_ref").fill("CMS20260001")
    form.locator("#id_amount").fill("150000")
    form.locator("#id_start_on").fill("2026-02-02")
    form.locator("#id_end_on").fill("2028-02-02")
    form.locator("#id_rate").fill("3.650")
    form.locator("button[type=submit]").click()
    pg.click("[data-testid=credit-loan]")
    pg.wait_for_selector("[data-testid=loan-checks]")
    checks = pg.inner_text("[data-testid=loan-checks]")
    assert "2026-02-17" in checks and "2026-05-17" in checks
    app = CreditApplication.objects.get()
    assert app.status == "approved" and Loan.objects.get().checks.count() == 8
    deciders = list(app.approval.decisions.values_list("decided_by__username", flat=True))
    assert deciders == ["risk", "risk_b", "manager"]
