"""The credit demo builder (SPEC §6 demo data): applications in every state through the real services,
a loan with its schedule, warnings; idempotent; a no-op without customers."""

import pytest

from rmdesk.credit import demo
from rmdesk.credit.models import AppStatus, CreditApplication, Loan, Warning
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def test_demo_without_customers_does_nothing(world, make_demo_ctx):
    ctx = make_demo_ctx()
    demo.build(ctx)
    assert not CreditApplication.objects.exists() and "no customers" in ctx.lines[-1]


def test_demo_builds_every_state_and_is_idempotent(world, make_customer, make_demo_ctx):
    from rmdesk.org.models import RoleCode

    make_user("risk_b", [RoleCode.RISK], world.s1, qualified=False)
    for i in range(12):
        make_customer(world.rm if i % 2 else world.rm_b, world.t1, id_number=f"1101011990010100{i:02d}")
    ctx = make_demo_ctx()
    demo.build(ctx)
    statuses = set(CreditApplication.objects.values_list("status", flat=True))
    assert statuses == set(AppStatus.values)
    loan = Loan.objects.get()
    assert loan.checks.count() >= 2 and loan.checks.filter(done_at__isnull=True).exists()
    assert CreditApplication.objects.filter(status=AppStatus.IN_REVIEW, investigators__isnull=False).exists()
    assert Warning.objects.filter(category="financial", auto=True).exists()
    assert Warning.objects.filter(category="overdue", escalation_level__gte=1).exists()
    count = CreditApplication.objects.count()
    demo.build(make_demo_ctx())
    assert CreditApplication.objects.count() == count
