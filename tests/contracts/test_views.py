"""The contract pages (SPEC §7): drafting, the key-term errors next to their fields, the diff after a
return, signing, custody, borrowing, payments and the export through the pages; refusals answer 422 and
write nothing; out of scope is 404."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from rmdesk.contracts import services
from rmdesk.contracts.models import Borrowing, Contract, ContractStatus, Installment
from rmdesk.core import approvals

from .conftest import TERMS, ver

pytestmark = pytest.mark.django_db


def _client(user):
    c = Client()
    c.force_login(user)
    return c


def test_an_rm_drafts_from_the_page_and_sees_the_missing_terms(world, seeded, make_customer):
    make_customer(world.rm, name="星河科技有限公司", kind="corporate")
    c = _client(world.rm)
    assert c.get("/contracts/new/").status_code == 200
    data = {"customer": "星河科技", "kind": "service", "title": "现金管理服务协议", "amount": "50000",
            "start_on": "2026-01-01", "end_on": "2026-12-31", **TERMS, "disputes": ""}  # fmt: skip
    resp = c.post("/contracts/new/", data)
    assert resp.status_code == 302
    contract = Contract.objects.get()
    page = c.get(resp["Location"]).content.decode()
    assert "请填写关键条款“争议解决”" in page and contract.number in page
    resp = c.post(f"/contracts/{contract.pk}/act/submit/", {"version": contract.version})
    assert resp.status_code == 422 and "请填写关键条款“争议解决”" in resp.content.decode()
    assert Contract.objects.get().status == ContractStatus.DRAFT


def test_bad_form_input_is_shown_next_to_the_field(world, seeded, make_customer):
    make_customer(world.rm, name="星河科技有限公司")
    data = {"customer": "星河", "kind": "service", "title": "x", "amount": "abc",
            "start_on": "2026-05-01", "end_on": "2026-04-01"}  # fmt: skip
    resp = _client(world.rm).post("/contracts/new/", data)
    assert resp.status_code == 422
    assert "输入一个数字" in resp.content.decode()
    assert not Contract.objects.exists()


def test_a_returned_contract_shows_the_diff_on_its_page(world, make_contract):
    contract = make_contract()
    services.submit_contract(world.rm, contract.pk, version=ver(contract))
    contract.refresh_from_db()
    approvals.decide(
        world.compliance, contract.approval.pk, "return", opinion="价格需调整", version=contract.approval.version
    )
    c = _client(world.rm)
    data = {**TERMS, "price": "每笔 0.3 元", "title": contract.title, "party_a": contract.party_a, "amount": "200000",
            "start_on": "2026-01-01", "end_on": "2026-12-31", "version": ver(contract)}  # fmt: skip
    assert c.post(f"/contracts/{contract.pk}/act/edit/", data).status_code == 302
    page = c.get(f"/contracts/{contract.pk}/").content.decode()
    assert 'data-testid="contract-diff"' in page and "每笔 0.3 元" in page and "价格需调整" in page


def test_signing_an_unapproved_contract_from_the_page_is_refused(world, make_contract):
    contract = make_contract()
    resp = _client(world.rm).post(
        f"/contracts/{contract.pk}/act/sign/",
        {
            "signed_on": "2026-01-05",
            "signatories": "双方",
            "version": ver(contract),
            "scan": SimpleUploadedFile("s.pdf", b"%PDF"),
        },  # fmt: skip
    )
    assert resp.status_code == 422 and "合同未经审批通过，不能签署。" in resp.content.decode()
    assert Contract.objects.get(pk=contract.pk).status == ContractStatus.DRAFT


def test_custody_borrowing_and_payments_through_the_pages(world, filed, custodians):
    office = _client(custodians["c_office"])
    assert "custody-to-ack" in office.get("/contracts/custody/").content.decode()
    assert office.get(f"/contracts/{filed.pk}/").status_code == 200
    assert office.get(f"/customers/{filed.customer_id}/").status_code == 404  # the contract, not the archive
    rm = _client(world.rm)
    copy = filed.copies.get(role__name="综合办")
    due = (timezone.localdate() + timedelta(days=2)).isoformat()
    assert (
        rm.post(
            f"/contracts/{filed.pk}/act/borrow/", {"copy_id": copy.pk, "purpose": "核对", "due_on": due}
        ).status_code
        == 302
    )
    b = Borrowing.objects.get()
    resp = office.post(f"/contracts/{filed.pk}/act/lend/", {"borrowing_id": b.pk, "version": b.version})
    assert resp.status_code == 422 and "未经保管人同意" in resp.content.decode()
    office.post(
        f"/contracts/{filed.pk}/act/borrow_decide/", {"borrowing_id": b.pk, "version": b.version, "approve": "yes"}
    )
    office.post(f"/contracts/{filed.pk}/act/lend/", {"borrowing_id": b.pk, "version": ver(b)})
    office.post(f"/contracts/{filed.pk}/act/return/", {"borrowing_id": b.pk, "version": ver(b)})
    assert Borrowing.objects.get().status == "returned"
    assert (
        rm.post(f"/contracts/{filed.pk}/act/installment/", {"due_on": "2026-03-31", "amount": "1000"}).status_code
        == 302
    )
    item = Installment.objects.get()
    resp = rm.post(
        f"/contracts/{filed.pk}/act/pay/", {"installment_id": item.pk, "amount": "1000.01", "paid_on": "2026-03-01"}
    )
    assert resp.status_code == 422 and "回款金额不能超过未收余额 1000.00 元。" in resp.content.decode()
    assert Installment.objects.get().paid == 0


def test_lists_exports_print_and_pdf(world, book_less_signed):
    c = _client(world.rm)
    contract = book_less_signed
    assert contract.number in c.get("/contracts/").content.decode()
    assert "collection-table" in c.get("/contracts/receivables/?by=team").content.decode()
    assert c.get("/contracts/receivables/?start=bad").status_code == 422
    resp = c.get("/contracts/receivables/export/?month=2026-01")
    assert resp.status_code == 200 and resp.content[:2] == b"PK"
    assert c.get("/contracts/receivables/export/?month=2026-99").status_code == 422
    text = c.get(f"/contracts/{contract.pk}/print/").content.decode()
    assert TERMS["subject"] in text and contract.versions.get().sha256 in text
    pdf = c.get(f"/contracts/{contract.pk}/pdf/")
    assert pdf.status_code == 200 and pdf.content[:4] == b"%PDF"
    assert c.get(f"/contracts/{contract.pk}/scan/").status_code == 200
    assert _client(world.rm2).get(f"/contracts/{contract.pk}/").status_code == 404
    assert _client(world.rm2).get(f"/contracts/{contract.pk}/pdf/").status_code == 404


@pytest.fixture
def book_less_signed(signed):
    return signed


def test_the_administrator_edits_templates_and_names_custodians(world, seeded):
    c = _client(world.admin)
    assert c.get("/contracts/settings/?kind=sales").status_code == 200
    resp = c.post(
        "/contracts/settings/",
        {"what": "template", "kind": "sales", "name": "销售合同（新）", "body": "{合同名称} {未知}"},
    )
    assert resp.status_code == 422 and "{未知}" in resp.content.decode()
    resp = c.post(
        "/contracts/settings/",
        {"what": "template", "kind": "sales", "name": "销售合同（新）", "body": "{合同名称} {标的}"},
    )
    assert resp.status_code == 302 and services.active_template("sales").version == 2
    from rmdesk.contracts.models import CustodianAssignment, CustodyRole

    role = CustodyRole.objects.first()
    resp = c.post(
        "/contracts/settings/",
        {"what": "assign", "role_id": role.pk, "unit_id": world.s1.pk, "user_id": world.assistant.pk},
    )
    assert resp.status_code == 302 and CustodianAssignment.objects.filter(user=world.assistant).exists()
    resp = c.post(
        "/contracts/settings/",
        {"what": "policy", "expiry_window_days": "0", "bad_debt_target": "2", "collection_target": "98"},
    )
    assert resp.status_code == 422
    assert _client(world.rm).get("/contracts/settings/").status_code == 404


def test_home_panels_and_the_360_slot(world, filed, custodians, make_contract):
    make_contract()
    home = _client(world.rm).get("/").content.decode()
    assert "contracts-panel-drafts" in home
    assert "contracts-panel-custody" in _client(custodians["c_office"]).get("/").content.decode()
    assert "slot-contracts" in _client(world.rm).get(f"/customers/{filed.customer_id}/").content.decode()
    assert _client(world.lead).get("/").status_code == 200


def test_amount_and_dates_are_money_and_days(world, make_contract):
    contract = make_contract(amount=Decimal("1234.5"))
    assert Contract.objects.get(pk=contract.pk).amount == Decimal("1234.50")
    assert contract.start_on == date(2026, 1, 1)
