"""Business calendar: Spring Festival and National Day with 调休, overrides, working time (SPEC §3)."""

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from rmdesk.core import calendar
from rmdesk.core.models import CalendarOverride

pytestmark = pytest.mark.django_db


def test_spring_festival_2026_and_its_adjusted_saturday():
    # 2026 春节: 2月15日–23日 off; Saturday 2月14日 and Saturday 2月28日 are 调休 working days
    assert calendar.is_working_day(date(2026, 2, 14))
    assert not calendar.is_working_day(date(2026, 2, 17))
    assert calendar.add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert calendar.add_working_days(date(2026, 2, 14), 1) == date(2026, 2, 24)


def test_national_day_2026():
    # 国庆 2026: 10月1日–7日 off; Saturday 10月10日 works
    assert calendar.add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert calendar.is_working_day(date(2026, 10, 10))
    assert calendar.working_days_between(date(2026, 9, 30), date(2026, 10, 9)) == 2


def test_override_wins_over_official_calendar():
    day = date(2026, 11, 23)  # a Monday
    assert calendar.is_working_day(day)
    CalendarOverride.objects.create(day=day, is_working_day=False, name="行庆")
    assert not calendar.is_working_day(day)
    assert calendar.add_working_days(date(2026, 11, 20), 1) == date(2026, 11, 24)


def test_due_on_the_fifth_moves_past_holiday():
    assert calendar.nth_working_day_of_month(2026, 10, 5) == date(2026, 10, 8)
    assert calendar.nth_working_day_of_month(2026, 11, 5) == date(2026, 11, 5)


def test_working_time_skips_nights_weekends_and_holidays():
    tz = timezone.get_current_timezone()
    start = datetime(2026, 9, 30, 15, 0, tzinfo=tz)  # Wednesday before National Day
    end = calendar.add_working_time(start, timedelta(hours=8))
    assert end == datetime(2026, 10, 8, 15, 0, tzinfo=tz)
    assert calendar.working_time_between(start, end) == timedelta(hours=8)
    # starting at night counts from the next morning
    night = datetime(2026, 11, 23, 22, 0, tzinfo=tz)
    assert calendar.add_working_time(night, timedelta(hours=1)) == datetime(2026, 11, 24, 10, 0, tzinfo=tz)
