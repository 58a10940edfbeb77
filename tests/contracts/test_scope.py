"""Scope matrix of the contracts app (SPEC §1, §7): every role against contracts, their custody copies,
borrowings and installments on both sides of the org tree, for every page and API operation that takes
their id (tests/scope_matrix.py). Out of scope is 404; read-only roles (risk, compliance, assistants) get
403 on the drafters' writes and may borrow; custodian actions answer 403 to anyone who is not the copy's
custodian (custodians themselves are data: tests/contracts/test_flow.py and test_borrowing.py)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from rmdesk.contracts import services
from rmdesk.contracts.models import CustodianAssignment, CustodyRole
from rmdesk.contracts.scope import visible_borrowings, visible_contracts, visible_installments
from tests.conftest import make_user
from tests.scope_matrix import Matrix, Sample, fresh

from .conftest import approve, scan, ver

pytestmark = pytest.mark.django_db

IN_FLOW = {200, 201, 403, 422}
#: sample -> (readers, writers)
SCOPE = {
    "t1": ({"rm", "lead", "manager", "risk", "compliance", "assistant"}, {"rm", "lead", "manager"}),
    "t2": ({"rm2", "lead2"}, {"rm2", "lead2"}),
}


@pytest.fixture
def contract_samples(world, seeded, make_contract, make_customer):
    risk2 = make_user("risk_s2", [], world.s2, qualified=False)
    keeper = make_user("keeper", [], world.br, qualified=False)
    for role in CustodyRole.objects.all():
        CustodianAssignment.objects.create(role=role, unit=world.br, user=keeper)
    from rmdesk.org.models import Role, RoleCode

    risk2.roles.set([Role.objects.get_or_create(code=RoleCode.COMPLIANCE)[0]])  # legal review in S2
    out = []
    for key, rm, lead in (("t1", world.rm, world.lead), ("t2", world.rm2, world.lead2)):
        contract = make_contract(rm, customer=make_customer(rm))
        services.submit_contract(rm, contract.pk, version=ver(contract))
        approve(contract, world.compliance if key == "t1" else type(rm).objects.get(pk=risk2.pk), lead)
        services.sign_contract(rm, contract.pk, signed_on=date(2026, 1, 5), signatories="双方", scan=scan(),
                               version=ver(contract))  # fmt: skip
        copies = list(contract.copies.all())
        for copy in copies[1:]:
            services.acknowledge_copy(keeper, copy.pk, location="档案室")
        attachment = services.add_attachment(rm, contract.pk, file=SimpleUploadedFile("附件.pdf", b"%PDF"))
        borrowing = services.request_borrowing(rm, contract.pk, purpose="核对", due_on=timezone.localdate(),
                                               copy_id=copies[1].pk)  # fmt: skip
        item = services.add_installment(rm, contract.pk, due_on=timezone.localdate() - timedelta(days=3),
                                        amount=Decimal("1000"))  # fmt: skip
        out.append(
            Sample(
                key,
                *SCOPE[key],
                contract=fresh(contract),
                copy=copies[0],
                borrowing=borrowing,
                attachment=attachment,
                installment=item,
            )
        )
    return out


def _custodian_only(username, sample):
    return 403 if username in sample.readers else 404


def _supervisors(username, sample):
    if username not in sample.readers:
        return 404
    return {200, 422} if username in ("lead", "manager", "lead2") else 403


def _borrowers(username, sample):
    return {201, 422} if username in sample.readers else 404


m = Matrix("contracts", samples="contract_samples")
m.queryset(visible_contracts, obj="contract")
m.queryset(visible_installments, obj="installment")
m.queryset(visible_borrowings, obj="borrowing", write=False)
m.listing("GET /api/contracts/contracts", obj="contract")
m.listing("GET /api/contracts/borrowings", obj="borrowing")
m.listing("contracts:list", obj="contract", contains=lambda html, c: f'href="/contracts/{c.pk}/"' in html)
m.api("GET /api/contracts/contracts/{contract_id}", obj="contract")
m.api("GET /api/contracts/contracts/{contract_id}/diff", obj="contract")
m.page("contracts:detail", obj="contract")
m.page("contracts:print", obj="contract")
m.page("contracts:pdf", obj="contract", users=("rm", "rm2", "risk", "referrer"))  # WeasyPrint is slow
m.page("contracts:scan", obj="contract")
m.page("contracts:attachment", obj="contract", params=lambda s: {"pk": s.contract.pk, "attachment_pk": s.attachment.pk})
m.page(
    "contracts:action",
    obj="contract",
    method="post",
    data={"due_on": "2026-12-31", "amount": "1"},
    write=True,
    ok={302},
    read_only=403,
    params=lambda s: {"pk": s.contract.pk, "action": "installment"},
)
m.api(
    "PUT /api/contracts/contracts/{contract_id}",
    obj="contract",
    ok={403, 422},  # signed: frozen; only the drafting RM edits
    read_only=403,
    body=lambda s: {"price": "每笔 0.1 元", "version": fresh(s.contract).version},
)
m.api(
    "POST /api/contracts/contracts/{contract_id}/submit",
    obj="contract",
    ok={403, 422},
    read_only=403,
    body=lambda s: {"version": fresh(s.contract).version},
)
m.api(
    "POST /api/contracts/contracts/{contract_id}/sign",
    obj="contract",
    ok={422},
    read_only=403,
    multipart=True,
    body=lambda s: {
        "signed_on": "2026-01-05",
        "signatories": "双方",
        "version": fresh(s.contract).version,
        "scan": SimpleUploadedFile("s.pdf", b"%PDF"),
    },  # fmt: skip
)
m.api("POST /api/contracts/contracts/{contract_id}/amend", obj="contract", ok={201}, read_only=403)
m.api(
    "POST /api/contracts/contracts/{contract_id}/renewal",
    obj="contract",
    ok={200},
    read_only=403,
    body=lambda s: {"decision": "renew", "version": fresh(s.contract).version},
)
m.api(
    "POST /api/contracts/contracts/{contract_id}/attachments",
    obj="contract",
    ok={201},
    read_only=403,
    multipart=True,
    body=lambda s: {"file": SimpleUploadedFile("补充.pdf", b"%PDF")},
)
m.api(
    "POST /api/contracts/contracts/{contract_id}/borrowings",
    obj="contract",
    expect=_borrowers,
    body=lambda s: {"purpose": "审计", "due_on": timezone.localdate().isoformat()},
)
m.api(
    "POST /api/contracts/contracts/{contract_id}/installments",
    obj="contract",
    ok={201},
    read_only=403,
    body={"due_on": "2026-12-31", "amount": "1"},
)
m.api("POST /api/contracts/copies/{copy_id}/acknowledge", obj="copy", expect=_custodian_only, body={"location": "柜"})
for action in ("decide", "lend", "return"):
    m.api(
        f"POST /api/contracts/borrowings/{{borrowing_id}}/{action}",
        obj="borrowing",
        expect=_custodian_only,
        body=lambda s, action=action: (
            {"version": fresh(s.borrowing).version} | ({"approve": True} if action == "decide" else {})
        ),
    )
m.api(
    "POST /api/contracts/installments/{installment_id}/payments",
    obj="installment",
    ok={201, 422},
    read_only=403,
    body={"amount": "1", "paid_on": "2026-01-10"},
)
m.api(
    "POST /api/contracts/installments/{installment_id}/follow-ups",
    obj="installment",
    ok={201},
    read_only=403,
    body={"note": "电话催收"},
)
m.api(
    "POST /api/contracts/installments/{installment_id}/write-off",
    obj="installment",
    expect=_supervisors,
    body=lambda s: {"reason": "无法收回", "version": fresh(s.installment).version},
)


@m.invariant
def _refused_writes_changed_nothing(samples, username):
    """Read-only and out-of-scope roles leave contracts and schedules as they were."""
    if username in ("risk", "compliance", "assistant", "referrer", "admin", "rm_b", "rm_t1b"):
        for s in samples:
            c = fresh(s.contract)
            assert c.renewal == "" and not c.amendments.exists(), (username, s.key)
            assert s.contract.installments.count() == 1, (username, s.key)


test_contract_scope_matrix = m.test()
