"""The tobacco pack's rules at work (issue 19; seed 001 4.1 and 4.4): core outlets on the weekly route, the
monthly sales analysis report due on the 5th and moved past the National Day holiday by the real calendar."""

from datetime import date

from rmdesk.core import calendar as bizcal
from rmdesk.packs.services import apply_pack
from rmdesk.work.models import CadenceRule, JournalTemplate
from rmdesk.work.periods import due_date, period_bounds


def test_core_outlets_are_visited_weekly_and_problem_outlets_as_often(db):
    apply_pack("tobacco")
    core = CadenceRule.objects.get(rule_set_code="tobacco_outlet", tier_code="outlet_core")
    problem = CadenceRule.objects.get(rule_set_code="tobacco_outlet", tier_code="outlet_problem")
    monday = date(2026, 11, 30)
    assert core.next_due(monday) == problem.next_due(monday) == date(2026, 12, 7)
    general = CadenceRule.objects.get(rule_set_code="tobacco_outlet", tier_code="outlet_general")
    assert general.next_due(monday) == date(2026, 12, 30)


def test_the_monthly_report_is_due_by_the_5th_moved_past_a_holiday(db):
    apply_pack("tobacco")
    report = JournalTemplate.objects.get(code="monthly_sales_analysis")
    assert report.is_active and report.required
    november = period_bounds("month", date(2026, 11, 17))
    assert due_date(report, *november) == date(2026, 12, 7)  # 5 Dec 2026 is a Saturday
    september = period_bounds("month", date(2026, 9, 10))
    due = due_date(report, *september)
    assert not bizcal.is_working_day(date(2026, 10, 5))  # National Day holiday
    assert due == bizcal.next_working_day(date(2026, 10, 5)) and due > date(2026, 10, 5)
    schedule = JournalTemplate.objects.get(code="weekly_visit_schedule")  # drawn up at the weekend before
    week = period_bounds("week", date(2026, 12, 9))
    assert due_date(schedule, *week) == week[0] - (week[0] - date(2026, 12, 5))  # the Saturday before
