"""The submission SLA (SPEC §6 "submitted for review within 3–5 working days of completion", seed
001:73 "对符合贷款条件,资料齐全情况下,客户经理负责在3-5个工作日内报送"): the clock starts when the
application first meets every submission rule, counts working days on the kernel calendar (weekends,
holidays, 调休, the bank's overrides), stops when a change makes it incomplete, restarts after a return;
at-risk and breach notices go out once."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from rmdesk.core import approvals
from rmdesk.core.models import AuditEvent, CalendarOverride, Notification
from rmdesk.credit import services
from rmdesk.credit.models import CreditApplication

from .conftest import complete, ver

pytestmark = pytest.mark.django_db


def local(*args):
    return timezone.make_aware(datetime(*args))


@pytest.fixture
def pl01(products):
    product = products["PL01"]
    product.submit_sla_days = 3
    product.save()
    return product


def test_three_working_days_across_the_dragon_boat_holiday_and_a_weekend(pl01):
    # Thursday 2025-05-29: Fri 05-30 is day 1, Sat–Mon 05-31..06-02 are the 端午 holiday, Tue 06-03
    # day 2, Wed 06-04 day 3
    assert services.submit_due_on(pl01, local(2025, 5, 29, 15, 0)) == date(2025, 6, 4)
    # an ordinary week: Thursday 05-22 → Fri, Mon, Tue 05-27
    assert services.submit_due_on(pl01, local(2025, 5, 22, 15, 0)) == date(2025, 5, 27)


def test_a_tiaoxiu_sunday_counts_and_the_banks_override_wins(pl01):
    # Friday 2025-09-26: Sunday 09-28 is a 调休 working day → Sun, Mon, Tue 09-30
    assert services.submit_due_on(pl01, local(2025, 9, 26, 10, 0)) == date(2025, 9, 30)
    CalendarOverride.objects.create(day=date(2025, 9, 29), is_working_day=False, name="行内假日")
    from rmdesk.core import calendar

    calendar.clear_cache()
    assert services.submit_due_on(pl01, local(2025, 9, 26, 10, 0)) == date(2025, 10, 9)  # then 国庆 to 10-08


def test_late_evening_completion_counts_from_the_local_day(pl01):
    # 23:30 in Shanghai on Thursday is 15:30 UTC the same day; 00:30 Friday local is still Thursday in UTC
    assert services.submit_due_on(pl01, local(2025, 5, 22, 23, 30)) == date(2025, 5, 27)
    assert services.submit_due_on(pl01, local(2025, 5, 23, 0, 30)) == date(2025, 5, 28)


def test_the_clock_starts_when_the_application_becomes_complete(world, make_application, pl01):
    app = make_application()
    app = complete(app, by=world.rm, sign=False)
    assert app.completed_at is None and app.submit_due_on is None  # the pledge is still missing
    services.sign_pledge(world.rm, app.pk)
    app.refresh_from_db()
    assert app.completed_at is not None
    assert app.submit_due_on == services.submit_due_on(pl01, app.completed_at)
    started = app.completed_at
    entry = app.checklist.get(order=1)  # a later edit does not restart it
    services.record_checklist(world.rm, app.pk, order=1, finding="补充", conclusion="符合", version=entry.version)
    app.refresh_from_db()
    assert app.completed_at == started


def test_the_clock_stops_when_a_change_makes_it_incomplete(world, make_application, pl01):
    app = complete(make_application(), by=world.rm)
    assert app.completed_at is not None
    # a large amount needs a second investigator who signs: incomplete again, no deadline
    services.update_application(world.rm, app.pk, amount=Decimal("400000"), version=ver(app))
    app.refresh_from_db()
    assert app.completed_at is None and app.submit_due_on is None
    services.add_investigator(world.rm, app.pk, user_id=world.rm_b.pk, version=ver(app))
    services.sign_pledge(world.rm_b, app.pk)
    app.refresh_from_db()
    assert app.completed_at is not None and app.submit_due_on is not None


def test_a_return_restarts_the_clock_with_the_next_change(world, make_application, pl01, risk_b):
    app = complete(make_application(), by=world.rm)
    app = services.submit(world.rm, app.pk, version=ver(app))
    req = app.approval
    approvals.decide(world.risk, req.pk, "return", opinion="补充调查担保", version=req.version)
    app.refresh_from_db()
    assert app.completed_at is None and app.submit_due_on is None
    entry = app.checklist.get(order=4)
    services.record_checklist(world.rm, app.pk, order=4, finding="已补充", conclusion="充足", version=entry.version)
    app.refresh_from_db()
    assert app.completed_at is not None and app.submit_due_on == services.submit_due_on(pl01, app.completed_at)


def test_a_late_submission_is_recorded_on_the_audit_chain(world, make_application, pl01):
    app = complete(make_application(), by=world.rm)
    CreditApplication.objects.filter(pk=app.pk).update(submit_due_on=date(2025, 1, 2))
    services.submit(world.rm, app.pk, version=ver(app))
    event = AuditEvent.objects.filter(action="credit.submit").get()
    assert event.summary["after"]["late"] is True


def test_at_risk_on_the_due_day_and_breach_after_it_once_each(
    world, make_application, pl01, django_capture_on_commit_callbacks
):
    app = complete(make_application(), by=world.rm)
    # completed on Thursday 2025-05-29 (before the 端午 holiday): due Wednesday 06-04
    done = local(2025, 5, 29, 15, 0)
    CreditApplication.objects.filter(pk=app.pk).update(
        completed_at=done, submit_due_on=services.submit_due_on(pl01, done)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.submission_notices(today=date(2025, 6, 3)) == 0  # Tuesday: still in time
        assert services.submission_notices(today=date(2025, 6, 4)) == 1  # due today: the RM
        services.submission_notices(today=date(2025, 6, 4))
        assert services.submission_notices(today=date(2025, 6, 5)) == 2  # breach: the RM and the team lead
        services.submission_notices(today=date(2025, 6, 6))
    at_risk = Notification.objects.filter(kind="credit.submit_at_risk")
    assert [n.recipient for n in at_risk] == [world.rm] and "今日须提交审查" in at_risk[0].title
    breach = Notification.objects.filter(kind="credit.submit_breach")
    assert sorted(n.recipient.username for n in breach) == ["lead", "rm"]
    assert all(n.url == f"/credit/{app.pk}/" for n in breach)


def test_no_notice_once_submitted_or_while_incomplete(world, make_application, pl01, submitted):
    make_application()  # incomplete: no clock
    later = timezone.localdate() + timedelta(days=30)
    assert services.submission_notices(today=later) == 0


def test_the_page_shows_the_submission_deadline(world, make_application, pl01, client):
    app = complete(make_application(), by=world.rm)
    client.force_login(world.rm)
    html = client.get(f"/credit/{app.pk}/").content.decode()
    assert 'data-testid="credit-submit-due"' in html and app.submit_due_on.isoformat() in html


def test_the_deadline_is_always_that_many_working_days_later(products):
    """Over the days of 2024–2026 (weekends, holidays and 调休 included) and SLAs of 3–5 working days: the
    deadline is a working day, exactly that many working days after the completion day."""
    from hypothesis import given, settings, strategies as st

    from rmdesk.core import calendar

    product = products["PL01"]

    @settings(max_examples=60, deadline=None)
    @given(
        st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 12, 20)),
        st.integers(0, 23),
        st.integers(3, 5),
    )
    def check(day, hour, sla):
        product.submit_sla_days = sla
        due = services.submit_due_on(product, local(day.year, day.month, day.day, hour, 0))
        assert calendar.is_working_day(due)
        assert calendar.working_days_between(day, due) == sla

    check()
