"""Business calendar: working days and working time (SPEC §3), used by cadences, report due dates,
SLA timers (§5) and credit deadlines (§6).

China's public holidays and adjusted working days (调休) come from the maintained package
chinese-calendar; administrators override single days with `CalendarOverride`. Working hours of a
working day are settings.RMDESK_WORK_HOURS (default 09:00–17:00).

The package knows a year only once the State Council publishes its schedule (chinese-calendar 1.11
ends with 2026). A year it does not cover is *unconfirmed* until an administrator enters its
holidays and 调休 working days on the 营业日历 page and confirms it (`CalendarYear`): meanwhile
Monday–Friday count as working days, `year_confirmed(year)` is False, and deadlines computed in it
should be shown as provisional (`date_confirmed(day)`).
"""

from datetime import date, datetime, time, timedelta
from functools import lru_cache

import chinese_calendar
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from django.utils.translation import gettext as _

from . import audit
from .actions import after_commit, business_action
from .models import CalendarOverride, CalendarYear
from .roles import RoleCode

MIN_YEAR, MAX_YEAR = 2000, 2100  # the years the calendar page accepts


def _work_hours() -> tuple[time, time]:
    start, end = getattr(settings, "RMDESK_WORK_HOURS", ("09:00", "17:00"))
    return time.fromisoformat(start), time.fromisoformat(end)


@lru_cache(maxsize=1)
def _overrides() -> dict:
    return dict(CalendarOverride.objects.values_list("day", "is_working_day"))


@lru_cache(maxsize=1)
def _confirmed_years() -> frozenset:
    return frozenset(CalendarYear.objects.filter(confirmed=True).values_list("year", flat=True))


def clear_cache(*args, **kwargs):
    _overrides.cache_clear()
    _confirmed_years.cache_clear()


for _model in (CalendarOverride, CalendarYear):
    post_save.connect(clear_cache, sender=_model)
    post_delete.connect(clear_cache, sender=_model)


@lru_cache(maxsize=256)
def package_covers(year: int) -> bool:
    """Whether chinese-calendar knows the official holidays and 调休 days of `year`."""
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
        chinese_calendar.is_workday(date(year, 12, 31))
    except (NotImplementedError, ValueError, OverflowError):
        return False
    return True


def year_confirmed(year: int) -> bool:
    """True when the year's holidays are known: from the package, or confirmed by an administrator."""
    return package_covers(year) or year in _confirmed_years()


def unconfirmed_years(start: int, end: int) -> list[int]:
    """The years in [start, end] whose holidays and 调休 days nobody has confirmed."""
    return [y for y in range(start, end + 1) if not year_confirmed(y)]


def date_confirmed(day: date) -> bool:
    """Whether a deadline falling on `day` was computed with a confirmed calendar (else provisional)."""
    return year_confirmed(day.year)


def year_overrides(year: int) -> list[CalendarOverride]:
    return list(CalendarOverride.objects.filter(day__year=year).order_by("day"))


@business_action(roles=(RoleCode.ADMIN,), name="core.calendar_year_save")
def save_year_schedule(actor, year: int, *, holidays: dict, workdays: dict, confirmed: bool) -> CalendarYear:
    """Replace an administrator-entered schedule of one year (SPEC §3 "Business calendar"): the rest
    days (`holidays`, day -> name) and the 调休 working days (`workdays`), one CalendarOverride per
    day, and whether the year is confirmed. Days must lie in `year` and not be in both lists."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValidationError({"year": [_("年份须在 %(a)d 到 %(b)d 之间。") % {"a": MIN_YEAR, "b": MAX_YEAR}]})
    errors = {}
    for field, days in (("holidays", holidays), ("workdays", workdays)):
        outside = sorted(d for d in days if d.year != year)
        if outside:
            errors[field] = [_("%(day)s 不在 %(year)d 年内。") % {"day": outside[0].isoformat(), "year": year}]
    both = sorted(set(holidays) & set(workdays))
    if both:
        errors.setdefault("workdays", []).append(_("%(day)s 同时列为休息日和工作日。") % {"day": both[0].isoformat()})
    if errors:
        raise ValidationError(errors)
    before = {"holidays": [], "workdays": []}
    for o in year_overrides(year):
        before["workdays" if o.is_working_day else "holidays"].append(o.day.isoformat())
    CalendarOverride.objects.filter(day__year=year).delete()
    CalendarOverride.objects.bulk_create(
        [CalendarOverride(day=d, is_working_day=False, name=(n or "")[:60]) for d, n in sorted(holidays.items())]
        + [CalendarOverride(day=d, is_working_day=True, name=(n or "")[:60]) for d, n in sorted(workdays.items())]
    )
    row, _created = CalendarYear.objects.select_for_update().get_or_create(year=year)
    if confirmed and not row.confirmed:
        row.confirmed_by, row.confirmed_at = actor, timezone.now()
    elif not confirmed:
        row.confirmed_by, row.confirmed_at = None, None
    row.confirmed = confirmed
    row.save()
    audit.record(
        actor,
        "core.calendar_year_save",
        row,
        before=before,
        after={
            "holidays": sorted(d.isoformat() for d in holidays),
            "workdays": sorted(d.isoformat() for d in workdays),
            "confirmed": confirmed,
        },
    )
    clear_cache()  # bulk_create and delete() of a queryset send no per-row signals
    after_commit(clear_cache)  # and again once committed, in case a reader cached the old rows meanwhile
    return row


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
