"""Template marks of the business calendar (SPEC §3 "Business calendar", decision 22).

`{{ due|unconfirmed_mark }}` after a deadline computed in working days (journal due dates, task and
schedule dates, SLA deadlines) shows a small badge when the date falls in a year whose holidays and 调休
days nobody has confirmed yet: until an administrator confirms the year on the 营业日历 page, Monday to
Friday are counted as working days and the deadline may move.
"""

from datetime import date, datetime

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

from rmdesk.core import calendar

register = template.Library()


def _day(value):
    if isinstance(value, datetime):
        return timezone.localdate(value) if timezone.is_aware(value) else value.date()
    if isinstance(value, date):
        return value
    return None


@register.filter
def calendar_unconfirmed(value) -> bool:
    """True when `value` (a date or datetime) falls in a year the business calendar has not confirmed."""
    day = _day(value)
    return day is not None and not calendar.date_confirmed(day)


@register.filter
def unconfirmed_mark(value):
    """The badge "节假日安排未确认" (with an explanation as its title) for a deadline in an unconfirmed
    year, else nothing."""
    if not calendar_unconfirmed(value):
        return ""
    day = _day(value)
    return format_html(
        ' <span class="badge warn" data-calendar-unconfirmed="{}" title="{}">{}</span>',
        day.year,
        _("%(year)d 年的节假日和调休安排尚未经管理员确认：该期限暂按周一至周五为工作日推算，确认后可能调整。")
        % {"year": day.year},
        _("节假日安排未确认"),
    )


@register.filter
def unconfirmed_note(value) -> str:
    """The same warning as plain text, for e-mails: "（节假日安排未确认）" or nothing."""
    if not calendar_unconfirmed(value):
        return ""
    return _("（节假日安排未确认）")
