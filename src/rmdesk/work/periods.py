"""Periods of journals, plans and summaries and their due dates (SPEC §3)."""

import calendar as _cal
from datetime import date, timedelta

from rmdesk.core import calendar as bizcal

from .models import DueAnchor, JournalPeriod, add_months


def period_bounds(period: str, day: date) -> tuple[date, date]:
    """The period of kind `period` containing `day`: (first day, last day)."""
    if period == JournalPeriod.DAY:
        return day, day
    if period == JournalPeriod.WEEK:
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=6)
    months = {JournalPeriod.MONTH: 1, JournalPeriod.QUARTER: 3, JournalPeriod.HALF: 6, JournalPeriod.YEAR: 12}[period]
    first_month = (day.month - 1) // months * months + 1
    start = date(day.year, first_month, 1)
    end = add_months(start, months) - timedelta(days=1)
    return start, end


def shift_period(period: str, start: date, n: int) -> tuple[date, date]:
    """The period n steps after (n < 0: before) the one starting on `start`."""
    if period == JournalPeriod.DAY:
        return period_bounds(period, start + timedelta(days=n))
    if period == JournalPeriod.WEEK:
        return period_bounds(period, start + timedelta(days=7 * n))
    months = {JournalPeriod.MONTH: 1, JournalPeriod.QUARTER: 3, JournalPeriod.HALF: 6, JournalPeriod.YEAR: 12}[period]
    return period_bounds(period, add_months(start, months * n))


def due_date(template, period_start: date, period_end: date) -> date:
    """Due date of a journal by its template's rule; e.g. the monthly sales analysis report is due
    on the 5th of the following month, moved to the next working day when that is a holiday."""
    if template.due_anchor == DueAnchor.NEXT_MONTH_DAY:
        nxt = period_end + timedelta(days=1)
        last = _cal.monthrange(nxt.year, nxt.month)[1]
        due = date(nxt.year, nxt.month, min(max(template.due_day, 1), last))
    elif template.due_anchor == DueAnchor.START:
        due = period_start + timedelta(days=template.due_offset_days)
    else:
        due = period_end + timedelta(days=template.due_offset_days)
    if template.move_to_working_day:
        due = bizcal.next_working_day(due)
    return due


def next_monday(day: date) -> date:
    return day + timedelta(days=7 - day.weekday())
