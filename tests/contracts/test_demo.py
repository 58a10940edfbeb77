"""The contracts demo builder (SPEC §7 demo data): on the demo bank, contracts in every state through the
real services, the three custodians, borrowings (one overdue), schedules with payments, follow-ups and a
write-off, a non-renewal; idempotent; a no-op without customers."""

import pytest

from rmdesk.contracts import demo, services
from rmdesk.contracts.models import Borrowing, BorrowStatus, Contract, ContractStatus, FollowUp, Installment

pytestmark = pytest.mark.django_db


def test_demo_without_customers_does_nothing(world, make_demo_ctx):
    ctx = make_demo_ctx()
    demo.build(ctx)
    assert not Contract.objects.exists() and "no customers" in ctx.lines[-1]


def test_demo_builds_every_state_and_is_idempotent(make_demo_ctx):
    from django.utils import timezone

    from rmdesk.customers import demo as customers_demo
    from rmdesk.org import demo as org_demo

    ctx = make_demo_ctx(scale=0.05)
    org_demo.build(ctx)
    customers_demo.build(ctx)
    demo.build(ctx)
    assert set(Contract.objects.values_list("status", flat=True)) == set(ContractStatus.values)
    assert Contract.objects.filter(original__isnull=False).exists()
    assert Contract.objects.filter(renewal="not_renew").exclude(renewal_reason="").exists()
    assert Contract.objects.filter(versions__number=2).exists()
    lent = Borrowing.objects.get(status=BorrowStatus.LENT)
    assert services.borrowing_overdue(lent, timezone.localdate())
    assert Borrowing.objects.filter(status=BorrowStatus.REQUESTED).exists()
    assert Borrowing.objects.filter(status=BorrowStatus.RETURNED).exists()
    assert Installment.objects.filter(written_off__gt=0).exists() and FollowUp.objects.exists()
    count = Contract.objects.count()
    demo.build(make_demo_ctx())
    assert Contract.objects.count() == count
