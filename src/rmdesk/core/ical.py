"""Private iCal feeds (RFC 5545, SPEC §3; docs/decisions.md 41): each person's own appointments, visit
schedule and due tasks, for their phone's or Outlook's calendar.

Apps that own such items register a source (`register_source`) from their AppConfig.ready(): a function
(user, start, end, show_customer_names) -> iterable of `FeedItem`, answering only that person's own items.
The feed address carries a random token; only its SHA-256 is stored (rmdesk.core.models.CalendarFeed), and a
revoked or unknown token answers 404.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone
from icalendar import Calendar, Event

from .models import CalendarFeed

#: how far back and ahead a feed reaches
PAST_DAYS, FUTURE_DAYS = 30, 120


@dataclass(frozen=True)
class FeedItem:
    uid: str  # stable across refreshes, e.g. "work-appointment-42"
    summary: str
    start: datetime | date  # a date: an all-day item
    end: datetime | date | None = None
    description: str = ""
    location: str = ""
    url: str = ""


Source = Callable[[object, date, date, bool], Iterable[FeedItem]]
_SOURCES: dict[str, Source] = {}


def register_source(key: str, source: Source) -> None:
    _SOURCES[key] = source


def feed_for_token(token: str) -> CalendarFeed | None:
    if not token or len(token) > 100:
        return None
    return (
        CalendarFeed.objects.select_related("user")
        .filter(token_hash=CalendarFeed.hash_token(token), revoked_at__isnull=True, user__is_active=True)
        .first()
    )


def build(feed: CalendarFeed, *, site_url: str = "", today: date | None = None) -> bytes:
    """The feed as an iCalendar document, times in Asia/Shanghai."""
    today = today or timezone.localdate()
    start, end = today - timedelta(days=PAST_DAYS), today + timedelta(days=FUTURE_DAYS)
    cal = Calendar()
    cal.add("prodid", "-//RM Desk//客户经理工作台//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "客户经理工作台")
    cal.add("x-wr-timezone", "Asia/Shanghai")
    stamp = timezone.now()
    for key in sorted(_SOURCES):
        for item in _SOURCES[key](feed.user, start, end, feed.show_customer_names):
            event = Event()
            event.add("uid", f"{item.uid}@rmdesk")
            event.add("dtstamp", stamp)
            event.add("summary", item.summary)
            if isinstance(item.start, datetime):
                event.add("dtstart", timezone.localtime(item.start))
                event.add("dtend", timezone.localtime(item.end or item.start + timedelta(hours=1)))
            else:
                event.add("dtstart", item.start)
                event.add("dtend", item.end or item.start + timedelta(days=1))
            if item.description:
                event.add("description", item.description)
            if item.location:
                event.add("location", item.location)
            if item.url:
                event.add("url", f"{site_url.rstrip('/')}{item.url}" if site_url else item.url)
            cal.add_component(event)
    return cal.to_ical()
