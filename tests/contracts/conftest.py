"""Fixtures of the contracts tests: the seeded templates, custody roles, policy and chains (re-applied,
since transactional tests flush migration data), three custodians of sub-branch S1 (综合办, 财务部,
政企/业务部门合同管理员) and factories that go through the real services."""

from datetime import date
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.core.files.uploadedfile import SimpleUploadedFile

from rmdesk.contracts import services
from rmdesk.contracts.defaults import seed
from rmdesk.contracts.models import Contract, CustodianAssignment, CustodyRole
from rmdesk.core import approvals
from tests.conftest import make_user

TERMS = {
    "subject": "代发工资服务",
    "quantity": "员工 320 人",
    "price": "每笔 0.5 元",
    "term": "一年",
    "place_method": "甲方营业网点，批量代发",
    "liability": "任一方违约应赔偿对方由此造成的直接损失",
    "disputes": "提交甲方所在地人民法院诉讼解决",
}


@pytest.fixture(autouse=True)
def _fresh_calendar():
    from rmdesk.core import calendar

    calendar.clear_cache()
    yield
    calendar.clear_cache()


@pytest.fixture
def seeded(db):
    seed(django_apps)


def ver(obj) -> int:
    return type(obj).objects.values_list("version", flat=True).get(pk=obj.pk)


def scan(name="签署件.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4 signed scan", content_type="application/pdf")


@pytest.fixture
def custodians(world, seeded):
    """One custodian per seeded custody role, keeping the copies of sub-branch S1's subtree."""
    people = {}
    for code, role in zip(("c_office", "c_finance", "c_biz"), CustodyRole.objects.order_by("order"), strict=True):
        person = make_user(code, [], world.s1, qualified=False, full_name=role.name + "保管员")
        CustodianAssignment.objects.create(role=role, unit=world.s1, user=person)
        people[code] = person
    return people


@pytest.fixture
def make_contract(world, seeded, make_customer):
    """make_contract(rm=world.rm, amount=..., kind="payroll", customer=None, terms=TERMS, **fields)."""

    def _make(rm=None, *, amount=Decimal("200000"), kind="payroll", customer=None, terms=None, **fields):
        rm = rm or world.rm
        customer = customer or make_customer(rm, kind="corporate", credit_code="91110000100000000X")
        return services.create_contract(
            rm,
            customer_id=customer.pk,
            kind=kind,
            title=fields.pop("title", "代发工资协议"),
            amount=amount,
            start_on=fields.pop("start_on", date(2026, 1, 1)),
            end_on=fields.pop("end_on", date(2026, 12, 31)),
            **(TERMS if terms is None else terms),
            **fields,
        )

    return _make


def approve(contract, *deciders):
    """Decide every step of the contract's pending request with `approve`, one decider per step."""
    contract.refresh_from_db()
    for person in deciders:
        req = contract.approval
        req.refresh_from_db()
        approvals.decide(person, req.pk, "approve", opinion=f"{person.username} 同意", version=req.version)
    contract.refresh_from_db()
    return contract


@pytest.fixture
def approved(world, make_contract):
    contract = make_contract()
    services.submit_contract(world.rm, contract.pk, version=ver(contract))
    return approve(contract, world.compliance, world.lead)


@pytest.fixture
def signed(world, approved):
    return services.sign_contract(
        world.rm,
        approved.pk,
        signed_on=date(2026, 1, 5),
        signatories="甲方：李行长；乙方：王总",
        scan=scan(),
        version=ver(approved),
    )


@pytest.fixture
def filed(signed, custodians):
    """The signed contract with every copy acknowledged."""
    for person in custodians.values():
        copy = signed.copies.get(role__in=CustodyRole.objects.filter(name=person.full_name.removesuffix("保管员")))
        services.acknowledge_copy(person, copy.pk, location=f"{person.full_name}档案柜 A-01")
    return Contract.objects.get(pk=signed.pk)
