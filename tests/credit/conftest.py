"""Fixtures of the credit tests: the seeded products and chain (re-applied, since transactional tests
flush migration data), a second risk officer (the chain's 审查 and 审核 need two different people),
and an application factory that goes through the real services."""

from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.core.files.uploadedfile import SimpleUploadedFile

from rmdesk.credit import services
from rmdesk.credit.defaults import seed
from rmdesk.credit.models import CreditApplication, CreditProduct
from rmdesk.org.models import RoleCode
from tests.conftest import make_user


@pytest.fixture(autouse=True)
def _fresh_calendar():
    from rmdesk.core import calendar

    calendar.clear_cache()
    yield
    calendar.clear_cache()


@pytest.fixture
def products(db):
    seed(django_apps)
    return {p.code: p for p in CreditProduct.objects.all()}


@pytest.fixture
def risk_b(world):
    return make_user("risk_b", [RoleCode.RISK], world.s1, qualified=False)


def ver(app) -> int:
    return CreditApplication.objects.values_list("version", flat=True).get(pk=app.pk)


def upload(name="资料.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4 evidence", content_type="application/pdf")


def complete(app, *, by, recommendation="approve", sign=True, materials=True):
    """Fill every checklist item, attach every required material, recommend and sign as `by`."""
    app.refresh_from_db()
    if materials:
        for kind in app.product.required_materials:
            services.add_material(by, app.pk, kind=kind, file=upload(f"{kind}.pdf"))
    for entry in app.checklist.all():
        services.record_checklist(
            by, app.pk, order=entry.order, finding="已核实", conclusion="符合要求", version=entry.version
        )
    services.recommend(by, app.pk, recommendation=recommendation, reasons="经营稳定，还款来源充足", version=ver(app))
    if sign:
        services.sign_pledge(by, app.pk)
    app.refresh_from_db()
    return app


@pytest.fixture
def make_application(world, products, make_customer):
    """make_application(rm=world.rm, amount=..., product="PL01", customer=None, **fields)."""

    def _make(rm=None, *, amount=Decimal("100000"), product="PL01", customer=None, term_months=12, **fields):
        rm = rm or world.rm
        customer = customer or make_customer(rm, id_number="110101199001011234")
        return services.create_application(
            rm,
            customer_id=customer.pk,
            product_id=products[product].pk,
            amount=amount,
            term_months=term_months,
            purpose=fields.pop("purpose", "装修房屋"),
            repayment_source=fields.pop("repayment_source", "工资收入"),
            **fields,
        )

    return _make


@pytest.fixture
def submitted(world, make_application):
    """A complete application submitted by rm (approve recommended), waiting at 审查."""
    app = complete(make_application(), by=world.rm)
    return services.submit(world.rm, app.pk, version=ver(app))
