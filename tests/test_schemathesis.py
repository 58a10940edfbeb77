"""The OpenAPI document tells the truth (SPEC §12, issue 10): schemathesis generates requests for every
operation of /api/openapi.json, valid and invalid, and sends each one as an RM and as their team lead
(Bearer tokens) to the app in-process (WSGI, no network). Any 5xx, any status the operation does not
document, any response whose content type or body does not match the document fails the test.

Bounded for CI: 12 examples per operation (RMDESK_SCHEMATHESIS_EXAMPLES=100 for a deeper run),
derandomized (the same requests on every run).
"""

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from rmdesk.api import api
from rmdesk.org.services import issue_api_token
from rmdesk.wsgi import application

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]

# Operations the generated run leaves out, each tested on its own below:
EXCLUDED = [
    "DELETE /api/auth/token",  # revokes the token the run is made with
    "DELETE /api/auth/tokens/{token_id}",  # would revoke the run's tokens (their ids are small integers)
]

SCHEMA = schemathesis.openapi.from_dict(api.get_openapi_schema())
SCHEMA.app = application
SCHEMA.config.generation.update(
    modes=[schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE],
    max_examples=int(os.environ.get("RMDESK_SCHEMATHESIS_EXAMPLES", "12")),  # more for a deeper local run
    deterministic=True,
    with_security_parameters=False,
)
# The coverage phase (every boundary of every parameter, wrong methods) alone takes longer than the
# whole budget on CI's two cores; malformed bodies, NUL characters and huge numbers are tested
# directly in tests/test_openapi.py and tests/test_robustness.py. RMDESK_SCHEMATHESIS_COVERAGE=1 turns it
# on for a deeper local run.
SCHEMA.config.phases.coverage.enabled = os.environ.get("RMDESK_SCHEMATHESIS_COVERAGE") == "1"
SCHEMA.config.phases.coverage.unexpected_methods = set()  # 405 for a method no route has is not the document's
schema = SCHEMA.exclude(name=EXCLUDED)


@pytest.fixture
def wsgi_in_test_transaction():
    """Django's WSGI handler closes the connection at the end of each request, which would end the
    test's transaction; the test client avoids it the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _seed(world, make_customer):
    """A little of everything the RM works on, made through the services, so that generated requests
    with these ids reach the success paths (and their response bodies are checked too)."""
    from datetime import timedelta

    from django.apps import apps as django_apps
    from django.utils import timezone

    from rmdesk.service import churn, services as service_services
    from rmdesk.service.defaults import seed as seed_service
    from rmdesk.service.models import CaseCategory
    from rmdesk.work import services as work

    customers = [make_customer(world.rm, b_rm=world.rm_b if n == 0 else None) for n in range(3)]
    make_customer(world.rm2)
    seed_service(django_apps)
    customer = customers[0]
    now = timezone.now()
    case = service_services.register_case(
        world.rm,
        customer_id=customer.pk,
        kind="complaint",
        channel="branch",
        category_id=CaseCategory.objects.get(code="attitude").pk,
        severity="normal",
        title="理财产品收益与宣传不符",
        description="客户反映收益低于预期。",
    )
    appointment = work.create_appointment(
        world.rm, customer.pk, subject="季度回访", start_at=now + timedelta(days=2, hours=1)
    )
    schedule = work.generate_schedule(world.rm)
    item = schedule.items.first()
    credit_ids = _seed_credit(world, customer)
    from tests.people.seeds import seed_people
    from tests.performance.seeds import seed_assessment

    return (
        credit_ids
        | seed_assessment(world)
        | seed_people(world)
        | {
            "customer_id": customer.pk,
            "unit_id": world.t1.pk,
            "staff_id": world.rm.pk,
            "case_id": case.pk,
            "appointment_id": appointment.pk,
            "interaction_id": work.record_interaction(
                world.rm, customer.pk, kind="phone", occurred_at=now - timedelta(hours=1), purpose="回访"
            ).pk,
            "task_id": work.create_task(world.rm, title="准备材料", customer_id=customer.pk).pk,
            "journal_id": work.open_journal(world.rm, "monthly_sales_analysis").pk,
            "schedule_id": schedule.pk,
            "item_id": item.pk if item else schedule.pk,
            "entry_id": churn.add_to_watch(world.lead, customer_id=customers[1].pk).pk,
        }
    )


def _seed_credit(world, customer) -> dict:
    """Credit records of the RM's customer (SPEC §6): an application under investigation with a linked
    visit, an approved one with its loan and post-loan checks, and a warning."""
    from datetime import date, timedelta
    from decimal import Decimal

    from django.apps import apps as django_apps
    from django.utils import timezone

    from rmdesk.credit import services as credit
    from rmdesk.credit.defaults import seed as seed_credit
    from rmdesk.credit.models import AppStatus, CreditApplication, CreditProduct
    from rmdesk.work import services as work

    seed_credit(django_apps)
    product = CreditProduct.objects.get(code="PL01")

    def apply():
        return credit.create_application(
            world.rm, customer_id=customer.pk, product_id=product.pk, amount=Decimal("100000"), term_months=12,
            purpose="装修",
        )  # fmt: skip

    app = apply()
    talk = work.record_interaction(
        world.rm, customer.pk, kind="branch", occurred_at=timezone.now() - timedelta(hours=2), purpose="贷前面谈"
    )
    visit = credit.link_visit(world.rm, app.pk, interaction_id=talk.pk)
    done = apply()
    CreditApplication.objects.filter(pk=done.pk).update(status=AppStatus.APPROVED)
    version = CreditApplication.objects.get(pk=done.pk).version
    loan = credit.record_loan(
        world.rm, done.pk, cms_ref="JJ-ST-1", amount=Decimal("100000"), start_on=date(2026, 1, 10),
        end_on=date(2027, 1, 10), rate=Decimal("4"), version=version,
    )  # fmt: skip
    warning = credit.raise_warning(world.rm, customer_id=customer.pk, category="overdue", level="yellow", title="逾期")
    return {
        "application_id": app.pk,
        "order": 1,
        "visit_id": visit.pk,
        "loan_id": loan.pk,
        "check_id": loan.checks.first().pk,
        "warning_id": warning.pk,
    }


@pytest.fixture
def callers(world, make_customer, wsgi_in_test_transaction):
    """An RM and their team lead, each with a live token, and records of the RM's (SPEC §1)."""
    tokens = {name: issue_api_token(getattr(world, name))[1] for name in ("rm", "lead")}
    return tokens, _seed(world, make_customer)


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck), print_blob=False)
def test_every_operation_answers_as_documented(case, callers):
    """Each generated request as both users; where its path names records, once more with the ids of
    real ones, so that success answers are checked against the document as well as errors."""
    tokens, ids = callers
    for token in tokens.values():
        case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
    params = case.path_parameters or {}
    if params and all(name in ids for name in params):
        case.path_parameters = {name: ids[name] for name in params}
        for token in tokens.values():
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)


def _call(path, method, token, **path_parameters):
    case = SCHEMA[path][method].Case(path_parameters=path_parameters or None)
    return case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)


def test_revoking_tokens_answers_as_documented(callers, world):
    """The two excluded operations: revoking another user's token (404), one's own (204) and the token
    one is using (204), after which it no longer works (401); all as documented."""
    from rmdesk.org.models import ApiToken

    rm, lead = callers[0]["rm"], callers[0]["lead"]
    spare, _raw = issue_api_token(world.rm)
    leads_token = ApiToken.objects.filter(user=world.lead).first()
    assert _call("/api/auth/tokens/{token_id}", "DELETE", rm, token_id=leads_token.pk).status_code == 404
    assert _call("/api/auth/tokens/{token_id}", "DELETE", rm, token_id=spare.pk).status_code == 204
    assert _call("/api/auth/token", "DELETE", lead).status_code == 204
    assert _call("/api/auth/token", "DELETE", lead).status_code == 401
    assert _call("/api/me", "GET", rm).status_code == 200
