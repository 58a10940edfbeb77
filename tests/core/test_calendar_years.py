"""The business calendar knows what it does not know (SPEC §3): years chinese-calendar does not
cover are unconfirmed until an administrator enters and confirms them on the 营业日历 page."""

from datetime import date
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from rmdesk.core import calendar, hooks
from rmdesk.core.forms import parse_days
from rmdesk.core.models import AuditEvent, CalendarOverride, CalendarYear

pytestmark = pytest.mark.django_db

UNCOVERED = 2099  # far beyond any chinese-calendar release


@pytest.fixture(autouse=True)
def _fresh_cache():
    calendar.clear_cache()
    yield
    calendar.clear_cache()


def test_package_years_are_confirmed_and_later_ones_are_not():
    assert calendar.package_covers(2026) and calendar.year_confirmed(2026)
    assert not calendar.package_covers(UNCOVERED)
    assert not calendar.year_confirmed(UNCOVERED)
    assert calendar.unconfirmed_years(2025, 2026) == []
    assert UNCOVERED in calendar.unconfirmed_years(UNCOVERED - 1, UNCOVERED)


def test_an_uncovered_year_falls_back_to_weekdays():
    assert calendar.is_working_day(date(UNCOVERED, 1, 1))  # a Thursday, no schedule entered
    assert not calendar.is_working_day(date(UNCOVERED, 1, 3))  # Saturday
    assert not calendar.date_confirmed(date(UNCOVERED, 1, 1))
    assert calendar.date_confirmed(date(2026, 10, 1))


def test_an_administrators_schedule_and_confirmation(world):
    holidays = {date(UNCOVERED, 1, 1): "元旦", date(UNCOVERED, 1, 2): "元旦"}
    workdays = {date(UNCOVERED, 1, 3): "元旦调休"}
    calendar.save_year_schedule(world.admin, UNCOVERED, holidays=holidays, workdays=workdays, confirmed=False)
    assert not calendar.is_working_day(date(UNCOVERED, 1, 1))
    assert calendar.is_working_day(date(UNCOVERED, 1, 3))
    assert not calendar.year_confirmed(UNCOVERED)  # entered, not yet confirmed

    row = calendar.save_year_schedule(world.admin, UNCOVERED, holidays=holidays, workdays={}, confirmed=True)
    assert row.confirmed and row.confirmed_by == world.admin
    assert calendar.year_confirmed(UNCOVERED) and calendar.unconfirmed_years(UNCOVERED, UNCOVERED) == []
    assert not calendar.is_working_day(date(UNCOVERED, 1, 3))  # the 调休 day was removed: Saturday again
    assert CalendarOverride.objects.filter(day__year=UNCOVERED).count() == 2
    assert AuditEvent.objects.filter(action="core.calendar_year_save").count() == 2


def test_the_schedule_is_refused_whole_when_wrong(world):
    with pytest.raises(ValidationError) as exc:
        calendar.save_year_schedule(
            world.admin, UNCOVERED, holidays={date(UNCOVERED + 1, 1, 1): ""}, workdays={}, confirmed=True
        )
    assert "holidays" in exc.value.message_dict
    with pytest.raises(ValidationError):
        d = date(UNCOVERED, 5, 1)
        calendar.save_year_schedule(world.admin, UNCOVERED, holidays={d: ""}, workdays={d: ""}, confirmed=True)
    assert not CalendarYear.objects.exists() and not CalendarOverride.objects.exists()


def test_parse_days_reads_single_days_ranges_and_names():
    days = parse_days("# 春节\n2027-02-05~2027-02-07 春节\n\n2027-01-01 元旦\n")
    assert days == {
        date(2027, 2, 5): "春节",
        date(2027, 2, 6): "春节",
        date(2027, 2, 7): "春节",
        date(2027, 1, 1): "元旦",
    }
    for bad in ("2027-13-01", "yesterday", "2027-02-07~2027-02-05", "0001-01-01~9999-12-31"):
        with pytest.raises(Exception, match="行"):
            parse_days(bad)


def test_the_page_is_for_administrators_only(client, world):
    client.force_login(world.rm)
    assert client.get(reverse("core:calendar")).status_code == 403
    client.force_login(world.admin)
    response = client.get(reverse("core:calendar"))
    assert response.status_code == 200
    assert "营业日历" in response.content.decode()


def test_the_page_lists_years_and_saves_one(client, world):
    client.force_login(world.admin)
    with mock.patch("django.utils.timezone.localdate", return_value=date(UNCOVERED - 1, 6, 1)):
        listing = client.get(reverse("core:calendar")).content.decode()
    assert f'data-year="{UNCOVERED}"' in listing and "未确认" in listing

    url = f"{reverse('core:calendar')}?year={UNCOVERED}"
    page = client.get(url)
    assert page.status_code == 200 and 'data-testid="calendar-unconfirmed"' in page.content.decode()
    response = client.post(
        url, {"holidays": f"{UNCOVERED}-01-01 元旦", "workdays": f"{UNCOVERED}-01-03 调休", "confirmed": "on"}
    )
    assert response.status_code == 302
    assert calendar.year_confirmed(UNCOVERED)
    assert calendar.is_working_day(date(UNCOVERED, 1, 3))
    assert f"{UNCOVERED}-01-03 调休" in client.get(url).content.decode()


def test_the_page_shows_errors_next_to_the_field_and_rejects_bad_years(client, world):
    client.force_login(world.admin)
    url = f"{reverse('core:calendar')}?year={UNCOVERED}"
    response = client.post(url, {"holidays": "not-a-date", "workdays": ""})
    assert response.status_code == 200 and "不是日期" in response.content.decode()
    response = client.post(url, {"holidays": f"{UNCOVERED + 1}-01-01", "workdays": ""})
    assert response.status_code == 200 and "不在" in response.content.decode()
    assert not CalendarYear.objects.exists()
    for year in ("99999999999999999999", "0001", "abc", "２０２７"):
        assert client.get(f"{reverse('core:calendar')}?year={year}").status_code == 404


def test_administrators_are_warned_when_next_year_is_unconfirmed(world):
    counter = hooks.get(hooks.Counter, "calendar_unconfirmed")
    with mock.patch("django.utils.timezone.localdate", return_value=date(UNCOVERED - 1, 12, 1)):
        badge = counter.count(world.admin)
        assert badge and badge["url"] == reverse("core:calendar") and str(UNCOVERED) in str(badge["label"])
        assert counter.count(world.rm) is None
        calendar.save_year_schedule(world.admin, UNCOVERED, holidays={}, workdays={}, confirmed=True)
        assert counter.count(world.admin) is None
    with mock.patch("django.utils.timezone.localdate", return_value=date(2025, 3, 1)):
        assert counter.count(world.admin) is None  # 2026 is in the package


def test_the_warning_shows_in_the_header(client, world):
    client.force_login(world.admin)
    with mock.patch("django.utils.timezone.localdate", return_value=date(UNCOVERED - 1, 12, 1)):
        body = client.get(reverse("core:calendar")).content.decode()
    assert 'data-testid="counter-calendar_unconfirmed"' in body
