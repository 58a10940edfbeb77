"""Credit pages and API (SPEC §6, §12): the whole flow through the API (an RM applies and signs, three
different people decide the chain in the kernel's inbox API, the loan appears with its post-loan
schedule), field-named 422s, form errors next to the field, pages and home panels in Chinese."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from rmdesk.credit import services
from rmdesk.credit.models import AppStatus, CreditApplication, Loan

from .conftest import complete, ver

pytestmark = pytest.mark.django_db

J = "application/json"


def test_the_whole_flow_through_the_api(world, products, make_customer, api_client, risk_b):
    customer = make_customer(world.rm, id_number="110101199001011234")
    rm = api_client(world.rm)
    r = rm.post(
        "/api/credit/applications",
        {
            "customer_id": customer.pk,
            "product_id": products["PL01"].pk,
            "amount": "120000.00",
            "term_months": 24,
            "purpose": "装修",
            "guarantors": [{"name": "李四", "relation": "配偶", "amount": "120000"}],
        },
        content_type=J,
    )
    assert r.status_code == 201, r.content
    app = r.json()
    pk = app["id"]
    assert len(app["checklist"]) == 6 and app["guarantors"][0]["name"] == "李四"
    assert "materials.identity" in app["missing"] and "recommendation" in app["missing"]
    # submitting now: 422 naming every missing piece, with field paths
    r = rm.post(f"/api/credit/applications/{pk}/submit", {"version": app["version"]}, content_type=J)
    assert r.status_code == 422
    locs = {tuple(d["loc"]) for d in r.json()["detail"]}
    assert ("body", "checklist", "1", "finding") in locs and ("body", "materials", "income") in locs
    for kind in products["PL01"].required_materials:
        r = rm.post(
            f"/api/credit/applications/{pk}/materials",
            {"kind": kind, "file": SimpleUploadedFile(f"{kind}.pdf", b"%PDF")},
        )
        assert r.status_code == 201, r.content
    for item in app["checklist"]:
        r = rm.post(
            f"/api/credit/applications/{pk}/checklist/{item['order']}",
            {"finding": "已核实", "conclusion": "符合", "evidence_ids": [], "version": item["version"]},
            content_type=J,
        )
        assert r.status_code == 200, r.content
    version = rm.get(f"/api/credit/applications/{pk}").json()["version"]
    r = rm.post(
        f"/api/credit/applications/{pk}/recommend",
        {"recommendation": "approve", "reasons": "收入稳定", "version": version},
        content_type=J,
    )
    assert r.status_code == 200
    r = rm.post(f"/api/credit/applications/{pk}/pledge")
    assert r.status_code == 201 and len(r.json()["sha256"]) == 64
    version = rm.get(f"/api/credit/applications/{pk}").json()["version"]
    r = rm.post(f"/api/credit/applications/{pk}/submit", {"version": version}, content_type=J)
    assert r.status_code == 200 and r.json()["status"] == "in_review" and r.json()["review_due_on"]
    request_id = r.json()["approval_id"]
    # the RM never sees it in their inbox; three different people decide the three steps
    assert rm.get("/api/org/approvals").json() == []
    for person, opinion in ((world.risk, "审查同意"), (risk_b, "审核同意"), (world.manager, "批准")):
        client = api_client(person)
        pending = {a["id"]: a for a in client.get("/api/org/approvals").json()}
        assert request_id in pending, person.username
        r = client.post(
            f"/api/org/approvals/{request_id}/decision",
            {"decision": "approve", "opinion": opinion, "version": pending[request_id]["version"]},
            content_type=J,
        )
        assert r.status_code == 200, r.content
    detail = rm.get(f"/api/credit/applications/{pk}").json()
    assert detail["status"] == "approved"
    assert [d["opinion"] for d in detail["decisions"]] == ["审查同意", "审核同意", "批准"]
    r = rm.post(
        f"/api/credit/applications/{pk}/loan",
        {
            "cms_ref": "JJ-API-1",
            "amount": "120000",
            "start_on": "2026-03-01",
            "end_on": "2028-03-01",
            "rate": "3.650",
            "version": detail["version"],
        },
        content_type=J,
    )
    assert r.status_code == 201, r.content
    loan = r.json()
    assert loan["checks"][0]["due_on"] == "2026-03-16" and loan["checks"][1]["due_on"] == "2026-06-16"
    assert [row["cms_ref"] for row in rm.get("/api/credit/loans").json()] == ["JJ-API-1"]


def test_api_refuses_an_approval_after_a_recommended_rejection(world, make_application, api_client):
    app = complete(make_application(), by=world.rm, recommendation="reject")
    app = services.submit(world.rm, app.pk, version=ver(app))
    risk = api_client(world.risk)
    r = risk.post(
        f"/api/org/approvals/{app.approval_id}/decision",
        {"decision": "approve", "opinion": "批", "version": app.approval.version},
        content_type=J,
    )
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "decision"]
    assert CreditApplication.objects.get(pk=app.pk).status == AppStatus.IN_REVIEW


def test_api_field_errors(world, products, make_customer, api_client):
    customer = make_customer(world.rm)
    rm = api_client(world.rm)
    body = {"customer_id": customer.pk, "product_id": products["PL01"].pk, "amount": "1", "term_months": 12}
    r = rm.post("/api/credit/applications", {**body, "purpose": "x"}, content_type=J)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "amount"]
    other = make_customer(world.rm2, world.t2)
    r = rm.post(
        "/api/credit/applications", {**body, "amount": "20000", "purpose": "x", "customer_id": other.pk}, content_type=J
    )
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "customer_id"]
    assert not CreditApplication.objects.exists()


def test_pages_render_and_forms_show_errors_next_to_the_fields(world, products, make_customer, client):
    customer = make_customer(world.rm, name="王五")
    client.force_login(world.rm)
    assert client.get("/credit/").status_code == 200
    r = client.get("/credit/new/")
    assert r.status_code == 200 and "借款用途" in r.content.decode()
    form = {
        "customer": customer.customer_no,
        "product": products["PL01"].pk,
        "amount": "1000",
        "term_months": "12",
        "purpose": "装修",
    }
    r = client.post("/credit/new/", form)
    assert r.status_code == 422 and "申请金额须在" in r.content.decode()
    r = client.post("/credit/new/", {**form, "amount": "80000"})
    assert r.status_code == 302
    app = CreditApplication.objects.get()
    page = client.get(f"/credit/{app.pk}/").content.decode()
    for text in ("尽职调查", "客户的资信及品行", "提交前尚缺", "签署承诺书", "审批意见"):
        assert text in page, text
    r = client.post(f"/credit/{app.pk}/act/submit/", {"version": app.version})
    assert r.status_code == 422 and "缺少必备资料" in r.content.decode()
    r = client.post(f"/credit/{app.pk}/act/pledge/")
    assert r.status_code == 302
    assert "SHA-256" in client.get(f"/credit/{app.pk}/").content.decode()
    for url in ("/credit/loans/", "/credit/checks/", "/credit/warnings/"):
        assert client.get(url).status_code == 200, url


def test_warning_form_and_board(world, make_application, client):
    app = make_application()
    client.force_login(world.rm)
    r = client.post("/credit/warnings/", {"customer": app.customer.customer_no, "category": "lawsuit", "level": "x"})
    assert r.status_code == 422 and "field-error" in r.content.decode()
    r = client.post(
        "/credit/warnings/",
        {"customer": app.customer.customer_no, "category": "lawsuit", "level": "red", "title": "被供应商起诉"},
    )
    assert r.status_code == 302
    board = client.get("/credit/warnings/").content.decode()
    assert "被供应商起诉" in board and "涉诉" in board and "红色" in board


def test_home_panels_and_menu(world, make_application, client):
    app = make_application()
    client.force_login(world.rm)
    home = client.get("/").content.decode()
    assert "我的授信申请与贷后检查" in home and f"/credit/{app.pk}/" in home and "授信申请" in home
    client.force_login(world.manager)
    home = client.get("/").content.decode()
    assert "授信审批、逾期贷后检查与风险预警" in home


def test_record_loan_page(world, make_application, client, risk_b):
    from .test_flow import decide

    app = complete(make_application(), by=world.rm)
    app = services.submit(world.rm, app.pk, version=ver(app))
    for person in (world.risk, risk_b, world.manager):
        decide(person, app, "approve")
    client.force_login(world.rm)
    page = client.get(f"/credit/{app.pk}/").content.decode()
    assert "录入放款信息" in page
    data = {
        "cms_ref": "JJ-P1",
        "amount": "200000",
        "start_on": "2026-01-05",
        "end_on": "2027-01-05",
        "rate": "4",
        "version": ver(app),
    }
    r = client.post(f"/credit/{app.pk}/act/loan/", data)
    assert r.status_code == 422 and "放款金额须大于零且不超过批准金额" in r.content.decode()
    r = client.post(f"/credit/{app.pk}/act/loan/", {**data, "amount": "100000"})
    assert r.status_code == 302
    loan = Loan.objects.get()
    page = client.get(f"/credit/loans/{loan.pk}/").content.decode()
    assert "2026-01-20" in page and "正常" in page
    assert Decimal(loan.amount) == Decimal("100000")


def test_pages_in_english(world, make_application, client):
    app = make_application()
    client.force_login(world.rm)
    client.post("/i18n/setlang/", {"language": "en"})
    page = client.get(f"/credit/{app.pk}/").content.decode()
    r = client.post(f"/credit/{app.pk}/act/submit/", {"version": app.version})
    assert "Due diligence" in page and "Sign the pledge" in page and "Draft" in page
    assert "Required document missing: Proof of identity." in r.content.decode()


def test_customer_360_slot_shows_credit_in_scope(world, make_application, client):
    from django.test import RequestFactory

    from rmdesk.customers.slots import slots_for

    app = make_application()
    request = RequestFactory().get("/")
    request.user = world.rm
    slot = {s["key"]: s for s in slots_for(request, app.customer)}["credit"]
    assert [a.pk for a in slot["context"]["applications"]] == [app.pk]
    request.user = world.lead2  # another branch: sees nothing of it
    other = {s["key"]: s for s in slots_for(request, app.customer)}.get("credit")
    assert other is None or other["context"]["applications"] == []
    client.force_login(world.rm)
    page = client.get(f"/customers/{app.customer.pk}/").content.decode()
    assert 'data-testid="slot-credit"' in page and f"/credit/{app.pk}/" in page


def test_printable_sheet_and_pdf(world, submitted, risk_b, client):
    from .test_flow import decide

    decide(world.risk, submitted, "approve", "审查同意")
    client.force_login(world.rm)
    html = client.get(f"/credit/{submitted.pk}/print/").content.decode()
    assert "授信申请审批表" in html and "审查同意" in html and "客户的资信及品行" in html
    assert submitted.pledges.get().sha256 in html
    pdf = client.get(f"/credit/{submitted.pk}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content[:4] == b"%PDF"
