"""The contract's life (SPEC §7, issue 13): drafting with the seven key terms, review through the seeded
chains (legal review first; chosen by kind and amount), return with a diff of the key terms, signing with
the frozen hash, amendments, custody by the three custodians. Every refusal leaves nothing written."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from rmdesk.contracts import services
from rmdesk.contracts.models import (
    KEY_TERM_FIELDS,
    Contract,
    ContractStatus,
    ContractTemplate,
    ContractVersion,
    CustodyCopy,
    FrozenVersion,
)
from rmdesk.contracts.scope import visible_contracts
from rmdesk.core import approvals
from rmdesk.core.models import ApprovalRequest, AuditEvent, Notification
from rmdesk.customers.scope import visible_customers

from .conftest import TERMS, approve, scan, ver

pytestmark = pytest.mark.django_db


def _messages(exc) -> dict:
    return {k: [m for e in v for m in e.messages] for k, v in exc.value.error_dict.items()}


# --- templates -------------------------------------------------------------------------------------------


def test_the_seed_gives_every_kind_a_template_with_every_key_term(seeded):
    for kind in ("service", "sales", "credit", "payroll", "framework"):
        body = services.active_template(kind).body
        for label in ("标的", "数量", "价格", "履行期限", "地点和方式", "违约责任", "争议解决"):
            assert "{" + label + "}" in body


def test_an_administrator_saves_a_new_template_version_and_drafts_keep_theirs(world, make_contract):
    contract = make_contract()
    old = contract.template
    new = services.save_template(world.admin, kind="payroll", name="代发工资协议（2027版）", body="{合同名称} {标的}")
    assert new.version == old.version + 1 and new.is_active
    assert not ContractTemplate.objects.get(pk=old.pk).is_active
    assert Contract.objects.get(pk=contract.pk).template_id == old.pk
    assert make_contract().template_id == new.pk


def test_a_template_with_an_unknown_placeholder_is_refused(world, seeded):
    with pytest.raises(ValidationError) as exc:
        services.save_template(world.admin, kind="payroll", name="x", body="{合同名称} {客户生日}")
    assert "{客户生日}" in _messages(exc)["body"][0]
    assert ContractTemplate.objects.filter(kind="payroll").count() == 1


def test_placeholders_are_filled_from_the_archive_and_the_deal(world, make_contract, make_customer):
    customer = make_customer(world.rm, kind="corporate", name="华兴制造有限公司", credit_code="91330100MA2XXXXX1K",
                             address="杭州市滨江区 1 号", legal_rep="陈华")  # fmt: skip
    contract = make_contract(customer=customer, amount=Decimal("123456.78"))
    text = services.render_text(contract, contract.latest_version())
    for part in ("华兴制造有限公司", "91330100MA2XXXXX1K", "杭州市滨江区 1 号", "陈华", "123,456.78", "2026-12-31",
                 contract.number, TERMS["disputes"], "总行"):  # fmt: skip
        assert part in text
    assert "{" not in text


# --- drafting and review ---------------------------------------------------------------------------------


@pytest.mark.parametrize("missing", KEY_TERM_FIELDS)
def test_a_draft_missing_any_key_term_cannot_go_to_review(world, make_contract, missing):
    contract = make_contract(terms={**TERMS, missing: "  "})
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.submit_contract(world.rm, contract.pk, version=ver(contract))
    assert list(_messages(exc)) == [missing]
    assert "关键条款" in _messages(exc)[missing][0]
    contract.refresh_from_db()
    assert contract.status == ContractStatus.DRAFT and contract.approval_id is None
    assert not ApprovalRequest.objects.exists() and AuditEvent.objects.count() == events


def test_the_chain_is_chosen_by_kind_and_amount_with_legal_review_first(world, make_contract):
    small = make_contract(amount=Decimal("999999.99"))
    large = make_contract(amount=Decimal("1000000"), kind="credit")
    for contract in (small, large):
        services.submit_contract(world.rm, contract.pk, version=ver(contract))
    small.refresh_from_db()
    large.refresh_from_db()
    assert small.approval.kind == "contracts.payroll" and large.approval.kind == "contracts.credit"
    assert [s.name for s in approvals.steps_of(small.approval)] == ["法律审查", "审批"]
    assert [s.name for s in approvals.steps_of(large.approval)] == ["法律审查", "审核", "审批"]
    # legal review is the compliance officer's; the drafting RM and a team lead cannot take it
    assert approvals.may_decide(world.compliance, small.approval)
    assert not approvals.may_decide(world.lead, small.approval)
    with pytest.raises(PermissionDenied):
        approvals.decide(world.rm, small.approval.pk, "approve", version=small.approval.version)
    approve(large, world.compliance, world.lead, world.manager)
    assert large.status == ContractStatus.APPROVED


def test_opinions_are_recorded_and_a_return_shows_the_key_term_diff(world, make_contract):
    contract = make_contract()
    services.submit_contract(world.rm, contract.pk, version=ver(contract))
    contract.refresh_from_db()
    req = contract.approval
    approvals.decide(world.compliance, req.pk, "return", opinion="违约责任约定不明确", version=req.version)
    contract.refresh_from_db()
    assert contract.status == ContractStatus.RETURNED
    services.update_contract(world.rm, contract.pk, version=ver(contract), liability="违约方按合同金额 5% 支付违约金")
    services.update_contract(world.rm, contract.pk, version=ver(contract), price="每笔 0.4 元")
    assert list(contract.versions.values_list("number", flat=True)) == [1, 2]  # one new version per round
    older, newer, rows = services.key_term_diff(contract)
    assert (older.number, newer.number) == (1, 2)
    changed = {str(label): (old, new) for label, old, new, diff in rows if diff}
    assert changed == {
        "价格": ("每笔 0.5 元", "每笔 0.4 元"),
        "违约责任": (TERMS["liability"], "违约方按合同金额 5% 支付违约金"),
    }
    services.submit_contract(world.rm, contract.pk, version=ver(contract))
    contract = approve(contract, world.compliance, world.lead)
    assert contract.status == ContractStatus.APPROVED and contract.approval.round == 2
    opinions = [(d.round, d.step_name, d.opinion) for d in services.opinion_history(contract)]
    assert opinions == [
        (1, "法律审查", "违约责任约定不明确"),
        (2, "法律审查", "compliance 同意"),
        (2, "审批", "lead 同意"),
    ]


def test_only_the_drafting_rm_submits_and_read_only_roles_cannot_edit(world, make_contract):
    contract = make_contract()
    with pytest.raises(PermissionDenied):
        services.submit_contract(world.lead, contract.pk, version=ver(contract))
    with pytest.raises(PermissionDenied):
        services.update_contract(world.risk, contract.pk, version=ver(contract), title="x")
    from django.http import Http404

    with pytest.raises(Http404):
        services.update_contract(world.rm2, contract.pk, version=ver(contract), title="x")
    assert Contract.objects.get(pk=contract.pk).title == "代发工资协议"


def test_a_stale_edit_is_refused(world, make_contract):
    from rmdesk.core.actions import StaleVersion

    contract = make_contract()
    seen = ver(contract)
    services.update_contract(world.rm, contract.pk, version=seen, title="新名称")
    with pytest.raises(StaleVersion):
        services.update_contract(world.rm, contract.pk, version=seen, title="旧页面")


def test_deal_errors_are_named_by_field(world, make_contract, make_customer):
    customer = make_customer(world.rm)
    with pytest.raises(ValidationError) as exc:
        services.create_contract(world.rm, customer_id=customer.pk, kind="sales", title="", amount=Decimal("-1"),
                                 start_on=date(2026, 5, 1), end_on=date(2026, 4, 1))  # fmt: skip
    assert set(_messages(exc)) == {"title", "amount", "end_on"}
    assert not Contract.objects.exists()


def test_a_contract_links_to_a_credit_application_of_its_customer_only(world, make_contract, make_customer):
    from django.apps import apps as django_apps

    from rmdesk.credit.defaults import seed as credit_seed
    from rmdesk.credit.models import CreditProduct
    from rmdesk.credit.services import create_application

    credit_seed(django_apps)
    customer = make_customer(world.rm, id_number="110101199001011234")
    app = create_application(world.rm, customer_id=customer.pk, product_id=CreditProduct.objects.get(code="PL01").pk,
                             amount=Decimal("100000"), term_months=12, purpose="装修")  # fmt: skip
    contract = make_contract(customer=customer, kind="credit", credit_application_id=app.pk)
    assert contract.credit_application_id == app.pk
    with pytest.raises(ValidationError) as exc:
        make_contract(kind="credit", credit_application_id=app.pk)  # another customer
    assert "credit_application_id" in _messages(exc)


# --- signing ---------------------------------------------------------------------------------------------


def test_a_signature_on_an_unapproved_contract_is_refused(world, make_contract):
    contract = make_contract()
    services.submit_contract(world.rm, contract.pk, version=ver(contract))
    with pytest.raises(ValidationError) as exc:
        services.sign_contract(world.rm, contract.pk, signed_on=date(2026, 1, 5), signatories="甲乙双方",
                               scan=scan(), version=ver(contract))  # fmt: skip
    assert _messages(exc) == {"status": ["合同未经审批通过，不能签署。"]}
    contract.refresh_from_db()
    assert contract.status == ContractStatus.IN_REVIEW and not contract.signed_scan
    assert not CustodyCopy.objects.exists()


def test_signing_needs_date_signatories_and_scan(world, approved):
    with pytest.raises(ValidationError) as exc:
        services.sign_contract(world.rm, approved.pk, signed_on=date(2999, 1, 1), signatories=" ", scan=None,
                               version=ver(approved))  # fmt: skip
    assert set(_messages(exc)) == {"signed_on", "signatories", "scan"}
    assert Contract.objects.get(pk=approved.pk).status == ContractStatus.APPROVED


def test_the_signed_version_is_frozen_with_the_sha256_of_its_text(world, signed, custodians):
    import hashlib

    v = signed.versions.get()
    assert v.frozen_at is not None and v.text
    assert v.sha256 == hashlib.sha256(v.text.encode("utf-8")).hexdigest()
    assert v.intact and "2026-01-05" in v.text and TERMS["subject"] in v.text
    assert signed.status == ContractStatus.SIGNED and signed.signed_scan
    # an edit of the signed version is refused: by the service with a clear message, and by the model
    with pytest.raises(ValidationError) as exc:
        services.update_contract(world.rm, signed.pk, version=ver(signed), price="每笔 0.1 元")
    assert "已冻结" in _messages(exc)["status"][0]
    v.price = "每笔 0.1 元"
    with pytest.raises(FrozenVersion):
        v.save()
    assert ContractVersion.objects.get(pk=v.pk).price == TERMS["price"] and ContractVersion.objects.get(pk=v.pk).intact


def test_an_amendment_is_a_new_contract_linked_to_the_frozen_original(world, signed):
    amendment = services.amend_contract(world.rm, signed.pk)
    assert amendment.original_id == signed.pk and amendment.status == ContractStatus.DRAFT
    first = amendment.versions.get()
    assert first.based_on_id == signed.versions.get().pk and first.terms() == signed.versions.get().terms()
    services.update_contract(world.rm, amendment.pk, version=ver(amendment), quantity="员工 400 人")
    older, newer, rows = services.key_term_diff(amendment)
    assert older.contract_id == signed.pk
    assert [(str(label), old, new) for label, old, new, diff in rows if diff] == [
        ("数量", "员工 320 人", "员工 400 人")
    ]
    assert Contract.objects.get(pk=signed.pk).status == ContractStatus.SIGNED


def test_an_unsigned_contract_has_no_amendment(world, approved):
    with pytest.raises(ValidationError):
        services.amend_contract(world.rm, approved.pk)
    assert Contract.objects.count() == 1


# --- custody ---------------------------------------------------------------------------------------------


def test_signing_delivers_a_copy_to_each_of_the_three_custodians_who_acknowledge_it(
    world, custodians, approved, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        contract = services.sign_contract(world.rm, approved.pk, signed_on=date(2026, 1, 5), signatories="双方",
                                          scan=scan(), version=ver(approved))  # fmt: skip
    copies = list(contract.copies.select_related("role"))
    assert [c.role.name for c in copies] == ["综合办", "财务部", "政企/业务部门合同管理员"]
    for person in custodians.values():
        assert Notification.objects.filter(recipient=person, kind="contracts.custody").count() == 1
    office, finance, biz = copies
    with pytest.raises(PermissionDenied):  # the finance custodian does not acknowledge the office's copy
        services.acknowledge_copy(custodians["c_finance"], office.pk, location="财务柜")
    with pytest.raises(ValidationError):
        services.acknowledge_copy(custodians["c_office"], office.pk, location=" ")
    services.acknowledge_copy(custodians["c_office"], office.pk, location="综合办档案室 3 号柜")
    office.refresh_from_db()
    assert office.acknowledged_by == custodians["c_office"] and office.location == "综合办档案室 3 号柜"
    with pytest.raises(ValidationError):
        services.acknowledge_copy(custodians["c_office"], office.pk, location="再次")


def test_custodians_see_the_contracts_in_custody_not_the_customers_archives(world, custodians, signed, make_contract):
    draft = make_contract()
    person = custodians["c_office"]
    seen = set(visible_contracts(person).values_list("pk", flat=True))
    assert seen == {signed.pk}  # signed and in custody; not the draft
    assert not visible_customers(person).exists()
    assert not visible_contracts(person, write=True).exists()
    assert draft.pk not in seen


def test_a_custodian_of_another_branch_sees_nothing(world, seeded, signed):
    from rmdesk.contracts.models import CustodianAssignment, CustodyRole
    from tests.conftest import make_user

    other = make_user("c_s2", [], world.s2, qualified=False)
    CustodianAssignment.objects.create(role=CustodyRole.objects.first(), unit=world.s2, user=other)
    assert not visible_contracts(other).exists()


def test_a_contract_links_to_an_opportunity_of_its_customer_in_scope_only(world, make_contract, make_customer):
    from rmdesk.customers.models import Product
    from rmdesk.sales.services import create_opportunity

    deposit = Product.objects.get(code="DEP-FIX1Y")
    customer = make_customer(world.rm, kind="corporate", credit_code="91110000100000001X")
    opp = create_opportunity(world.rm, customer_id=customer.pk, product_id=deposit.pk)
    contract = make_contract(customer=customer, opportunity_id=opp.pk)
    assert contract.opportunity_id == opp.pk
    with pytest.raises(ValidationError) as exc:
        make_contract(opportunity_id=opp.pk)  # another customer's opportunity
    assert "opportunity_id" in _messages(exc)
    theirs = make_customer(world.rm2, kind="corporate", credit_code="91110000100000002X")
    other = create_opportunity(world.rm2, customer_id=theirs.pk, product_id=deposit.pk)
    with pytest.raises(ValidationError) as exc:  # out of the RM's scope: refused like a missing one
        make_contract(customer=customer, opportunity_id=other.pk)
    assert "opportunity_id" in _messages(exc)
