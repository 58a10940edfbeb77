"""Excel/PDF export of every list page (SPEC §11): the rows the viewer's filters show, in scope (another
team's rows never appear), labels not codes, real numbers and dates, a frozen header, audited."""

import io
import re
import subprocess
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.utils import timezone
from openpyxl import load_workbook

from rmdesk.core.models import AuditEvent
from rmdesk.customers.models import Tier
from rmdesk.org.models import RoleCode
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def download(client, user, url):
    client.force_login(user)
    resp = client.get(url)
    assert resp.status_code == 200, resp.content[:300]
    return b"".join(resp.streaming_content) if resp.streaming else resp.content


def sheet(content):
    wb = load_workbook(io.BytesIO(content))
    ws = wb.worksheets[0]
    return ws, [list(r) for r in ws.iter_rows(values_only=True)]


def last_audit(action):
    return AuditEvent.objects.filter(action=action).order_by("-id").first()


def pdf_text(content, tmp_path):
    path = tmp_path / "out.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


# --- cadence (work) ----------------------------------------------------------------------------------


def test_cadence_export_filters_scope_labels_and_audit(client, world, make_customer, tmp_path):
    from rmdesk.work.models import ContactStatus

    tier = Tier.objects.filter(rule_set__is_active=True).order_by("-rank").first()
    mine = make_customer(world.rm, name="甲客户", tier=tier)
    ok = make_customer(world.rm, name="乙客户")
    other = make_customer(world.rm2, name="外队客户")
    due = date(2026, 3, 2)
    for c, st in ((mine, "overdue"), (ok, "ok"), (other, "overdue")):
        ContactStatus.objects.update_or_create(
            customer=c, defaults={"a_rm": c.a_rm, "org_path": c.org_path, "status": st, "next_due_on": due}
        )
    ws, rows = sheet(download(client, world.lead, "/work/cadence/export/?status=overdue"))
    assert rows[0] == ["客户号", "客户", "层级", "主办客户经理", "最近联系", "下次应联系", "状态"]
    assert rows[1:] == [[mine.customer_no, "甲客户", tier.name, "rm", None, datetime(2026, 3, 2), "已逾期"]]
    assert ws.freeze_panes == "A2"
    event = last_audit("work.export_cadence")
    assert event.actor == world.lead
    assert event.summary["after"] == {"rows": 1, "format": "xlsx", "filters": {"status": "overdue"}}
    # the whole-branch manager of S1 still never sees S2's customer; the default filter is "attention"
    _ws, rows = sheet(download(client, world.manager, "/work/cadence/export/"))
    assert [r[1] for r in rows[1:]] == ["甲客户"]
    text = pdf_text(download(client, world.lead, "/work/cadence/export/?status=all&format=pdf"), tmp_path)
    assert "客户维护" in text and "甲客户" in text and "乙客户" in text and "外队客户" not in text
    assert "总行" in text and re.search(r"1\s*/\s*1", text)
    assert last_audit("work.export_cadence").summary["after"]["format"] == "pdf"


# --- service cases ------------------------------------------------------------------------------------


def test_case_export_scope_and_labels(client, world, make_customer):
    from rmdesk.service import services
    from rmdesk.service.defaults import seed
    from rmdesk.service.models import CaseCategory

    seed(django_apps)
    cat = CaseCategory.objects.get(code="attitude")

    def case(user, customer, title, severity="normal"):
        return services.register_case(
            user,
            customer_id=customer.pk,
            kind="complaint",
            channel="branch",
            category_id=cat.pk,
            severity=severity,
            title=title,
            description="客户反映问题。",
        )

    case(world.rm, make_customer(world.rm, name="本队客户"), "柜面态度差", severity="major")
    case(world.rm2, make_customer(world.rm2, name="外队客户"), "外队投诉")
    _ws, rows = sheet(download(client, world.lead, "/service/export/?status=open"))
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["客户"] == "本队客户" and row["标题"] == "柜面态度差"
    assert row["类型"] == "投诉" and row["类别"] == cat.name and row["严重程度"] != "major"
    assert isinstance(row["登记时间"], datetime)
    assert last_audit("service.export_cases").summary["after"]["rows"] == 1
    # filter by severity the page offers: a value nothing matches gives the header only
    _ws, rows = sheet(download(client, world.lead, "/service/export/?severity=normal"))
    assert len(rows) == 1


# --- sales opportunities --------------------------------------------------------------------------------


def test_opportunity_export_scope_numbers(client, world, make_customer):
    from rmdesk.customers.models import Product
    from rmdesk.sales import services

    product = Product.objects.get(code="DEP-FIX1Y")
    services.create_opportunity(
        world.rm,
        customer_id=make_customer(world.rm, name="商机客户").pk,
        product_id=product.pk,
        amount=Decimal("12345.60"),
    )
    services.create_opportunity(
        world.rm2, customer_id=make_customer(world.rm2, name="外队客户").pk, product_id=product.pk
    )
    _ws, rows = sheet(download(client, world.lead, "/sales/opportunities/export/"))
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["客户"] == "商机客户" and row["产品"] == product.name and row["金额（元）"] == 12345.6
    assert row["来源"] and row["来源"] != "self"
    _ws, rows = sheet(download(client, world.rm2, "/sales/opportunities/export/?mine=1"))
    assert [r[1] for r in rows[1:]] == ["外队客户"]
    assert last_audit("sales.export_opportunities").summary["after"] == {
        "rows": 1,
        "format": "xlsx",
        "filters": {"mine": "1"},
    }


# --- credit applications and loans ---------------------------------------------------------------------


def test_credit_exports_scope(client, world, make_customer):
    from rmdesk.credit import services
    from rmdesk.credit.defaults import seed
    from rmdesk.credit.models import CreditProduct, Loan

    seed(django_apps)
    product = CreditProduct.objects.get(code="PL01")

    def apply(rm, name):
        customer = make_customer(rm, name=name, id_number="110101199001011234")
        return services.create_application(
            rm,
            customer_id=customer.pk,
            product_id=product.pk,
            amount=Decimal("100000"),
            term_months=12,
            purpose="装修房屋",
            repayment_source="工资收入",
        )

    mine = apply(world.rm, "借款人甲")
    theirs = apply(world.rm2, "外队借款人")
    _ws, rows = sheet(download(client, world.lead, "/credit/export/"))
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["客户"] == "借款人甲" and row["申请金额"] == 100000 and row["期限（月）"] == 12
    assert row["状态"] == mine.get_status_display()
    assert last_audit("credit.export_applications").summary["after"]["rows"] == 1

    for app, ref in ((mine, "CMS-1"), (theirs, "CMS-2")):
        customer, rm = app.customer, app.rm
        Loan.objects.create(
            application=app,
            customer=customer,
            rm=rm,
            cms_ref=ref,
            amount=Decimal("80000"),
            start_on=date(2026, 1, 5),
            end_on=date(2027, 1, 5),
            rate=Decimal("3.450"),
            classification="normal",
            org_path=customer.org_path,
            recorded_by=rm,
        )
    _ws, rows = sheet(download(client, world.lead, "/credit/loans/export/?classification=normal"))
    assert rows[1:] == [
        [
            "CMS-1",
            mine.customer.customer_no,
            "借款人甲",
            80000,
            3.45,
            datetime(2026, 1, 5),
            datetime(2027, 1, 5),
            "正常",
            "rm",
        ]
    ]
    assert last_audit("credit.export_loans").summary["after"]["filters"] == {"classification": "normal"}


# --- contracts ------------------------------------------------------------------------------------------


def test_contract_export_scope(client, world, make_customer):
    from rmdesk.contracts import services
    from rmdesk.contracts.defaults import seed

    seed(django_apps)
    terms = {
        "subject": "代发工资服务",
        "quantity": "员工 320 人",
        "price": "每笔 0.5 元",
        "term": "一年",
        "place_method": "甲方营业网点，批量代发",
        "liability": "任一方违约应赔偿对方由此造成的直接损失",
        "disputes": "提交甲方所在地人民法院诉讼解决",
    }
    for rm, name in ((world.rm, "甲公司"), (world.rm2, "外队公司")):
        customer = make_customer(rm, name=name, kind="corporate", credit_code="91110000100000000X")
        services.create_contract(
            rm,
            customer_id=customer.pk,
            kind="payroll",
            title="代发工资协议",
            amount=Decimal("200000"),
            start_on=date(2026, 1, 1),
            end_on=date(2026, 12, 31),
            **terms,
        )
    _ws, rows = sheet(download(client, world.lead, "/contracts/export/?kind=payroll"))
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["客户"] == "甲公司" and row["合同金额"] == 200000 and row["开始日期"] == datetime(2026, 1, 1)
    assert row["合同类型"] != "payroll" and row["状态"] != "draft"
    assert last_audit("contracts.export_contracts").summary["after"]["rows"] == 1


# --- assessment results ---------------------------------------------------------------------------------


def test_result_export_own_and_run_scope(client, world):
    from rmdesk.performance.models import AssessmentResult, AssessmentRun, Scorecard

    def run_for(unit, team, rm, score):
        card = Scorecard.objects.create(
            name="月度考核", year=2026, period_type="monthly", unit=unit, org_path=unit.path
        )
        run = AssessmentRun.objects.create(
            scorecard=card,
            unit=unit,
            org_path=unit.path,
            period_type="monthly",
            period_start=date(2026, 1, 1),
            period_end=date(2026, 1, 31),
            label="2026年1月",
            status="published",
            published_at=timezone.now(),
        )
        AssessmentResult.objects.create(
            run=run,
            rm=rm,
            team=team,
            org_path=team.path,
            gross=score,
            deductions=Decimal("0"),
            score=score,
            grade="good",
            rank_team=1,
            rank_unit=1,
        )
        return run

    mine = run_for(world.t1, world.t1, world.rm, Decimal("85.50"))
    other = run_for(world.t2, world.t2, world.rm2, Decimal("70"))
    _ws, rows = sheet(download(client, world.rm, "/performance/results/export/"))
    assert rows[1:] == [["2026年1月", "月度考核", world.rm.employee_no, "rm", "一队", 85.5, 0, 85.5, "良好", 1, 1]]
    _ws, rows = sheet(download(client, world.lead, f"/performance/results/export/?run={mine.pk}"))
    assert [r[3] for r in rows[1:]] == ["rm"]
    client.force_login(world.lead)
    assert client.get(f"/performance/results/export/?run={other.pk}").status_code == 404  # out of scope = missing
    assert client.get("/performance/results/export/?run=x").status_code == 404
    assert last_audit("performance.export_results").summary["after"]["filters"] == {"run": str(mine.pk)}


def test_export_streams_many_rows_in_constant_memory(world, make_customer, rf):
    """The writer keeps rows on disk as they come (constant memory): 3,000 rows, every one in the file."""
    from rmdesk.core.listexport import Col, export_response

    request = rf.get("/x/?format=xlsx")
    request.user = make_user("exporter", [RoleCode.BRANCH_MANAGER], world.s1, qualified=False)
    rows = ((f"N{i:05d}", Decimal(i) / 100, date(2026, 1, 1 + i % 28)) for i in range(3000))
    resp = export_response(
        request,
        title="测试",
        filename="t",
        columns=[Col("编号"), Col("金额", "money"), Col("日期", "date")],
        rows=rows,
        action="core.export_test",
        filters={},
    )
    _ws, got = sheet(b"".join(resp.streaming_content))
    assert len(got) == 3001 and got[3000] == ["N02999", 29.99, datetime(2026, 1, 4)]
