"""Business calendar: working days and working time (SPEC §3), used by cadences, report due dates,
SLA timers (§5) and credit deadlines (§6).

China's public holidays and adjusted working days (调休) come from the maintained package
chinese-calendar; administrators override single days with `CalendarOverride`. Working hours of a
working day are settings.RMDESK_WORK_HOURS (default 09:00–17:00).
"""

from datetime import date, datetime, time, timedelta
from functools import lru_cache

import chinese_calendar
from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from .models import CalendarOverride


def _work_hours() -> tuple[time, time]:
    start, end = getattr(settings, "RMDESK_WORK_HOURS", ("09:00", "17:00"))
    return time.fromisoformat(start), time.fromisoformat(end)


@lru_cache(maxsize=1)
def _overrides() -> dict:
    return dict(CalendarOverride.objects.values_list("day", "is_working_day"))


def clear_cache(*args, **kwargs):
    _overrides.cache_clear()


post_save.connect(clear_cache, sender=CalendarOverride)
post_delete.connect(clear_cache, sender=CalendarOverride)


def is_working_day(day: date) -> bool:
    """Override first, then China's official calendar (holidays and 调休); weekdays outside its range."""
    if isinstance(day, datetime):
        day = day.date()
    override = _overrides().get(day)
    if override is not None:
        return override
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:  # a year the package does not cover yet
        return day.weekday() < 5


def next_working_day(day: date, *, include_today: bool = True) -> date:
    """The first working day on or after `day` (strictly after when include_today=False)."""
    d = day if include_today else day + timedelta(days=1)
    while not is_working_day(d):
        d += timedelta(days=1)
    return d


def add_working_days(day: date, n: int) -> date:
    """The date `n` working days after `day` (n ≥ 0); `day` itself does not count.

    add_working_days(d, 0) is d when d is a working day, else the next working day.
    """
    if n < 0:
        raise ValueError("n must be ≥ 0")
    d = day
    if n == 0:
        return next_working_day(d)
    while n > 0:
        d += timedelta(days=1)
        if is_working_day(d):
            n -= 1
    return d


def working_days_between(start: date, end: date) -> int:
    """Number of working days in (start, end]; negative when end < start."""
    if end < start:
        return -working_days_between(end, start)
    count, d = 0, start
    while d < end:
        d += timedelta(days=1)
        count += is_working_day(d)
    return count


def _localize(dt: datetime) -> datetime:
    return timezone.localtime(dt) if timezone.is_aware(dt) else timezone.make_aware(dt)


def add_working_time(start: datetime, duration: timedelta) -> datetime:
    """The instant when `duration` of working time has elapsed after `start` (aware, local time).

    Only working hours of working days count: e.g. 8 working hours from Friday 15:00 before the
    National Day holiday end on the first working day after it, at 15:00.
    """
    tz = timezone.get_current_timezone()
    begin, finish = _work_hours()
    cur = _localize(start)
    remaining = duration
    while True:
        day = cur.date()
        day_start = datetime.combine(day, begin, tz)
        day_end = datetime.combine(day, finish, tz)
        if not is_working_day(day) or cur >= day_end:
            cur = datetime.combine(next_working_day(day, include_today=False), begin, tz)
            continue
        if cur < day_start:
            cur = day_start
        available = day_end - cur
        if remaining <= available:
            return cur + remaining
        remaining -= available
        cur = datetime.combine(next_working_day(day, include_today=False), begin, tz)


def working_time_between(start: datetime, end: datetime) -> timedelta:
    """Working time elapsed from `start` to `end` (zero when end ≤ start)."""
    tz = timezone.get_current_timezone()
    begin, finish = _work_hours()
    a, b = _localize(start), _localize(end)
    total = timedelta(0)
    day = a.date()
    while day <= b.date():
        if is_working_day(day):
            lo = max(a, datetime.combine(day, begin, tz))
            hi = min(b, datetime.combine(day, finish, tz))
            if hi > lo:
                total += hi - lo
        day += timedelta(days=1)
    return total


def nth_working_day_of_month(year: int, month: int, day_of_month: int) -> date:
    """A due date such as "the 5th", moved to the next working day when it falls on a holiday (SPEC §3)."""
    return next_working_day(date(year, month, day_of_month))
