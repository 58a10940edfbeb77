"""Borrowing a filed contract (调阅, seed 004:81–82; issue 13): a request with purpose and due date, the
custodian's consent, the hand-out, the return, the history; and the overdue reminders to the borrower and
the custodian on the right working day (weekends, holidays and 调休 from the business calendar)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from rmdesk.contracts import services
from rmdesk.contracts.models import Borrowing, BorrowStatus
from rmdesk.core.models import CalendarOverride, Notification

from .conftest import ver

pytestmark = pytest.mark.django_db


def _copy(contract, role_name):
    return contract.copies.get(role__name=role_name)


def _lent(world, filed, custodians, due_on):
    b = services.request_borrowing(world.rm, filed.pk, purpose="贷后检查核对条款", due_on=timezone.localdate(),
                                   copy_id=_copy(filed, "综合办").pk)  # fmt: skip
    services.decide_borrowing(custodians["c_office"], b.pk, approve=True, version=ver(b))
    services.lend(custodians["c_office"], b.pk, version=ver(b))
    Borrowing.objects.filter(pk=b.pk).update(due_on=due_on)  # time passes: the due date lies behind us
    return Borrowing.objects.get(pk=b.pk)


def test_request_consent_hand_out_return_and_history(world, filed, custodians):
    today = timezone.localdate()
    b = services.request_borrowing(world.rm, filed.pk, purpose="审计调阅", due_on=today + timedelta(days=3))
    assert b.status == BorrowStatus.REQUESTED and b.copy.acknowledged_at is not None
    office = custodians["c_office"] if b.copy.role.name == "综合办" else None
    assert office is not None  # the first filed copy
    with pytest.raises(ValidationError) as exc:  # a borrowing without approval is not handed out
        services.lend(office, b.pk, version=ver(b))
    assert exc.value.message_dict == {"status": ["该调阅未经保管人同意，不能借出。"]}
    with pytest.raises(ValidationError) as exc:  # a return of something not borrowed
        services.receive_return(office, b.pk, version=ver(b))
    assert exc.value.message_dict == {"status": ["该合同未借出，不能登记归还。"]}
    with pytest.raises(PermissionDenied):  # only the copy's custodian consents
        services.decide_borrowing(custodians["c_finance"], b.pk, approve=True, version=ver(b))
    assert Borrowing.objects.get(pk=b.pk).status == BorrowStatus.REQUESTED
    services.decide_borrowing(office, b.pk, approve=True, note="同意，三日内归还", version=ver(b))
    services.lend(office, b.pk, version=ver(b))
    services.receive_return(office, b.pk, version=ver(b))
    b.refresh_from_db()
    assert (b.status, b.decided_by, b.lent_by, b.received_by) == (BorrowStatus.RETURNED, office, office, office)
    assert list(filed.borrowings.values_list("status", flat=True)) == ["returned"]


def test_bad_requests_write_nothing(world, filed, signed, custodians, make_contract):
    with pytest.raises(ValidationError) as exc:
        services.request_borrowing(world.rm, filed.pk, purpose=" ", due_on=date(2020, 1, 1))
    assert set(exc.value.message_dict) == {"purpose", "due_on"}
    draft = make_contract()
    with pytest.raises(ValidationError):
        services.request_borrowing(world.rm, draft.pk, purpose="查阅", due_on=timezone.localdate())
    assert not Borrowing.objects.exists()


def test_a_copy_out_cannot_be_requested_twice_and_a_custodian_does_not_approve_their_own(world, filed, custodians):
    from rmdesk.contracts.models import CustodianAssignment

    copy = _copy(filed, "综合办")
    office = world.assistant  # an assistant who also keeps the 综合办 copies of sub-branch S1
    CustodianAssignment.objects.create(role=copy.role, unit=world.s1, user=office)
    b = services.request_borrowing(office, filed.pk, purpose="整理", due_on=timezone.localdate(), copy_id=copy.pk)
    with pytest.raises(PermissionDenied):
        services.decide_borrowing(office, b.pk, approve=True, version=ver(b))
    services.decide_borrowing(custodians["c_office"], b.pk, approve=True, version=ver(b))
    with pytest.raises(ValidationError) as exc:
        services.request_borrowing(world.rm, filed.pk, purpose="查阅", due_on=timezone.localdate(), copy_id=copy.pk)
    assert "copy_id" in exc.value.message_dict


def test_an_unfiled_copy_cannot_be_borrowed(world, signed, custodians):
    with pytest.raises(ValidationError) as exc:
        services.request_borrowing(world.rm, signed.pk, purpose="查阅", due_on=timezone.localdate())
    assert "copy_id" in exc.value.message_dict


def _reminded(people, day):
    return {
        p.username
        for p in people
        if Notification.objects.filter(
            recipient=p, kind="contracts.borrow_overdue", dedupe_key__endswith=day.isoformat()
        )
    }


def test_overdue_reminders_come_on_the_first_working_day_after_a_friday_due_date(world, filed, custodians):
    friday = date(2026, 12, 11)
    b = _lent(world, filed, custodians, friday)
    people = [world.rm, *custodians.values()]
    for day in (friday, date(2026, 12, 12), date(2026, 12, 13)):  # due day, Saturday, Sunday
        assert services.borrowing_overdue_notices(day) == 0
    assert services.borrowing_overdue_notices(date(2026, 12, 14)) == 2  # Monday: the borrower and the custodian
    assert _reminded(people, date(2026, 12, 14)) == {"rm", "c_office"}
    assert services.borrowing_overdue_notices(date(2026, 12, 15)) == 2  # again the next working day
    services.receive_return(custodians["c_office"], b.pk, version=ver(b))
    assert services.borrowing_overdue_notices(date(2026, 12, 16)) == 0


def test_a_due_date_on_a_rest_day_moves_to_the_next_working_day_and_holidays_do_not_remind(world, filed, custodians):
    saturday = date(2026, 12, 12)
    CalendarOverride.objects.create(day=date(2026, 12, 14), is_working_day=False, name="调休")
    from rmdesk.core import calendar

    calendar.clear_cache()
    _lent(world, filed, custodians, saturday)
    # due Saturday → Monday is a holiday → due Tuesday; the first reminder on Wednesday
    for day in (date(2026, 12, 13), date(2026, 12, 14), date(2026, 12, 15)):
        assert services.borrowing_overdue_notices(day) == 0, day
    assert services.borrowing_overdue_notices(date(2026, 12, 16)) == 2


def test_a_weekend_working_day_reminds(world, filed, custodians):
    CalendarOverride.objects.create(day=date(2026, 12, 13), is_working_day=True, name="调休上班")
    from rmdesk.core import calendar

    calendar.clear_cache()
    _lent(world, filed, custodians, date(2026, 12, 11))
    assert services.borrowing_overdue_notices(date(2026, 12, 12)) == 0
    assert services.borrowing_overdue_notices(date(2026, 12, 13)) == 2  # a 调休 Sunday is a working day


def test_the_custodian_home_lists_requests_and_overdue_borrowings(world, filed, custodians):
    _lent(world, filed, custodians, date(2026, 12, 11))
    work = services.custodian_work(custodians["c_office"], date(2026, 12, 14))
    assert work["overdue"] == 1 and work["lent"][0].overdue
    assert services.custodian_work(custodians["c_finance"], date(2026, 12, 14))["lent"] == []


def test_the_daily_command_sends_the_reminders(world, filed, custodians):
    import io

    from django.core.management import call_command

    _lent(world, filed, custodians, date(2020, 1, 3))
    services.add_installment(world.rm, filed.pk, due_on=date(2020, 1, 3), amount=Decimal("10"))
    out = io.StringIO()
    call_command("run_contracts", stdout=out)
    today = timezone.localdate()
    from rmdesk.core import calendar

    expected = 2 if calendar.is_working_day(today) else 0
    assert f"overdue borrowing reminders {expected}," in out.getvalue()
    assert "overdue receivables 1" in out.getvalue()
