"""SLA engine (SPEC §5): deadlines in working time across weekends and holidays, pause and resume,
at-risk and breach notices, escalation exactly one level per interval up to the top, breach counted once."""

from datetime import date, timedelta

import pytest

from rmdesk.core.models import CalendarOverride
from rmdesk.service import services, sla
from rmdesk.service.models import Case, DurationUnit, SlaBreach, SlaEvent, SlaEventKind

from .conftest import local, ver

pytestmark = pytest.mark.django_db


def test_working_day_deadline_skips_weekend_and_holiday(db):
    # Thu 2026-03-05 10:00; Fri 03-06 declared a bank holiday; Sat/Sun off.
    CalendarOverride.objects.create(day=date(2026, 3, 6), is_working_day=False, name="行庆")
    start = local(2026, 3, 5, 10, 0)
    assert sla.deadline(start, 1, DurationUnit.WORK_DAYS) == local(2026, 3, 9, 10, 0)
    assert sla.deadline(start, 3, DurationUnit.WORK_DAYS) == local(2026, 3, 11, 10, 0)
    # 8 working hours from Thursday 15:00: 2 h Thursday, then Monday 09:00 + 6 h
    assert sla.deadline(local(2026, 3, 5, 15, 0), 8, DurationUnit.WORK_HOURS) == local(2026, 3, 9, 15, 0)


def test_working_day_deadline_counts_from_next_working_morning(db):
    # registered on Saturday: counting starts Monday 09:00; one working day later is end of Monday
    assert sla.deadline(local(2026, 3, 7, 11, 0), 1, DurationUnit.WORK_DAYS) == local(2026, 3, 9, 17, 0)
    # registered after hours on Friday: same
    assert sla.deadline(local(2026, 3, 6, 19, 0), 3, DurationUnit.WORK_DAYS) == local(2026, 3, 11, 17, 0)


def test_registration_sets_seeded_deadlines(make_case):
    case = make_case(now=local(2026, 3, 6, 16, 0))  # Friday 16:00
    assert case.policy is not None
    assert case.ack_due_at == local(2026, 3, 9, 16, 0)  # 24 h, non-working days skipped
    assert case.answer_due_at == local(2026, 3, 11, 16, 0)  # 3 working days


def test_serious_case_uses_stricter_policy_and_notifies_supervisor(make_case, world):
    case = make_case(severity="serious", now=local(2026, 3, 6, 16, 0))
    assert case.ack_due_at == local(2026, 3, 9, 12, 0)  # 4 working hours: 1 h Friday + 3 h Monday
    told = SlaEvent.objects.filter(case=case, kind=SlaEventKind.SERIOUS)
    assert [e.recipient for e in told] == [world.lead]


def test_pause_and_resume_move_deadlines_by_waiting_time(make_case, world):
    case = make_case(now=local(2026, 3, 9, 10, 0))  # Monday 10:00
    assert case.answer_due_at == local(2026, 3, 12, 10, 0)
    services.pause_case(
        world.rm, case.pk, reason="等待客户提供交易凭证", now=local(2026, 3, 9, 11, 0), version=ver(case.pk)
    )
    # while paused nothing is breached even long after the deadline
    assert sla.run(now=local(2026, 3, 20, 10, 0))["breached"] == 0
    services.resume_case(
        world.rm, case.pk, now=local(2026, 3, 10, 11, 0), version=ver(case.pk)
    )  # waited 8 working hours
    case.refresh_from_db()
    assert case.paused_at is None
    assert case.paused_seconds == 8 * 3600
    assert case.answer_due_at == local(2026, 3, 13, 10, 0)
    assert case.ack_due_at == local(2026, 3, 11, 10, 0)


def test_at_risk_notice_once(make_case, world):
    case = make_case(now=local(2026, 3, 9, 10, 0))  # ack due Tue 10:00, warn 4 h before
    assert sla.run(now=local(2026, 3, 9, 12, 0))["at_risk"] == 0  # 6 working hours left
    assert sla.run(now=local(2026, 3, 9, 14, 30))["at_risk"] == 1  # 3.5 working hours left
    assert sla.run(now=local(2026, 3, 10, 9, 45))["at_risk"] == 0  # told once
    ev = SlaEvent.objects.get(case=case, kind=SlaEventKind.AT_RISK)
    assert ev.recipient == world.rm and ev.milestone == "ack"


def test_breach_counted_once_and_escalation_one_level_per_interval(make_case, world):
    case = make_case(now=local(2026, 3, 9, 10, 0))  # ack due Tue 03-10 10:00, escalate every 8 working hours
    # just after the deadline: the owner is told, no escalation yet
    r = sla.run(now=local(2026, 3, 10, 10, 5))
    assert r["breached"] == 1 and r["escalated"] == 0
    assert SlaEvent.objects.get(case=case, kind=SlaEventKind.BREACH).recipient == world.rm
    assert sla.run(now=local(2026, 3, 10, 16, 0))["breached"] == 0  # counted once
    # one interval later (8 working hours): level 1, the team lead of the responsible team
    sla.run(now=local(2026, 3, 11, 10, 5))
    case.refresh_from_db()
    assert case.escalation_level == 1
    levels = list(
        SlaEvent.objects.filter(case=case, kind=SlaEventKind.ESCALATION).values_list("level", "recipient__username")
    )
    assert levels == [(1, "lead")]
    sla.run(now=local(2026, 3, 11, 16, 0))  # same interval: nothing new
    assert SlaEvent.objects.filter(case=case, kind=SlaEventKind.ESCALATION).count() == 1
    # second interval: the next unit up that has a head (支行 S1, branch manager)
    sla.run(now=local(2026, 3, 12, 10, 5))
    levels = list(
        SlaEvent.objects.filter(case=case, kind=SlaEventKind.ESCALATION).values_list("level", "recipient__username")
    )
    assert levels == [(1, "lead"), (2, "manager")]
    # further intervals: the top is reached, it stops there
    sla.run(now=local(2026, 3, 20, 10, 5))
    sla.run(now=local(2026, 4, 20, 10, 5))
    assert SlaEvent.objects.filter(case=case, kind=SlaEventKind.ESCALATION, milestone="ack").count() == 2
    ack = SlaBreach.objects.get(case=case, milestone="ack")
    assert ack.level == 2
    assert SlaBreach.objects.filter(case=case, milestone="ack").count() == 1


def test_escalation_catches_up_one_level_per_elapsed_interval(make_case, world):
    case = make_case(now=local(2026, 3, 9, 10, 0))
    sla.run(now=local(2026, 3, 12, 10, 5))  # two full intervals after the ack deadline at once
    esc = list(
        SlaEvent.objects.filter(case=case, kind=SlaEventKind.ESCALATION, milestone="ack").values_list(
            "level", flat=True
        )
    )
    assert esc == [1, 2]


def test_acknowledged_case_is_not_breached_for_ack(make_case, world):
    case = make_case(now=local(2026, 3, 9, 10, 0))
    services.accept_case(world.rm, case.pk, now=local(2026, 3, 9, 11, 0), version=ver(case.pk))
    r = sla.run(now=local(2026, 3, 10, 12, 0))
    assert r["breached"] == 0
    case.refresh_from_db()
    assert not case.ack_breached


def test_both_milestones_breach_independently(make_case, world):
    case = make_case(now=local(2026, 3, 9, 10, 0))
    sla.run(now=local(2026, 3, 13, 10, 0))
    assert SlaBreach.objects.filter(case=case).count() == 2  # ack and answer
    c = Case.objects.get(pk=case.pk)
    assert c.ack_breached and c.answer_breached


from hypothesis import given, settings as hsettings, strategies as st  # noqa: E402


@hsettings(max_examples=60, deadline=None)
@given(day=st.integers(0, 700), minute=st.integers(0, 24 * 60 - 1), hours=st.integers(1, 40))
def test_work_hours_deadline_is_exactly_that_much_working_time(day, minute, hours):
    from rmdesk.core import calendar

    start = local(2025, 1, 1) + timedelta(days=day, minutes=minute)
    due = sla.deadline(start, hours, DurationUnit.WORK_HOURS)
    assert calendar.working_time_between(start, due) == timedelta(hours=hours)
    assert calendar.is_working_day(due.date())


@hsettings(max_examples=60, deadline=None)
@given(day=st.integers(0, 700), minute=st.integers(0, 24 * 60 - 1), days=st.integers(1, 5))
def test_work_days_deadline_is_n_working_days_of_working_time(day, minute, days):
    from rmdesk.core import calendar

    start = local(2025, 1, 1) + timedelta(days=day, minutes=minute)
    due = sla.deadline(start, days, DurationUnit.WORK_DAYS)
    assert calendar.working_time_between(start, due) == timedelta(hours=8 * days)
