"""The tobacco retail demo's main flow (issue 19; seed 001 4.1 客户访问日程表, 4.1.2 特殊访问, 4.4 月度分析报告):
SPEC §3. From an empty database, `seed_demo --pack tobacco`; the account manager draws up next week's visit schedule
from the cadence on Friday and confirms it, visits the outlets day by day as planned, makes a special visit when a
retailer reports damaged cartons, and the monthly sales analysis report — due by the 5th, moved to the next working day
when the 5th is a holiday — is opened, written, submitted to the 片区 lead and approved.

The clock (`django.utils.timezone.now`, which the services read) is set to the days of the story: Friday 23 October
2026, the week of 26–30 October, and early November; the company makes Thursday 5 November a holiday (a calendar
override), so October's report is due on Friday 6 November.

In-store visits are door-to-door contacts for the work app; the bank's rule (seed 001) asks the branch manager to
approve each in advance with a second member of staff. The story goes through it (the 营销部 manager approving the
week's visits on Friday), so it holds whether or not the tobacco pack's visit workflow waives that rule."""

import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.utils import timezone

from rmdesk.compliance import services as compliance
from rmdesk.core import calendar as bizcal
from rmdesk.core.approvals import decide
from rmdesk.core.models import ApprovalRequest, AuditEvent
from rmdesk.customers.models import Customer
from rmdesk.org.models import OrgUnit, User
from rmdesk.service.models import Case
from rmdesk.work import services as work
from rmdesk.work.models import (
    ContactStatus,
    ContactStatusCode,
    Interaction,
    InteractionKind,
    Journal,
    JournalStatus,
    ScheduleStatus,
    VisitSchedule,
)

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
FRIDAY = date(2026, 10, 23)
WEEK = date(2026, 10, 26)  # Monday


@pytest.fixture
def clock(monkeypatch):
    """clock(day, hour) sets the instant the services see as now (Asia/Shanghai)."""

    def _set(day: date, hour: int = 10, minute: int = 0):
        instant = datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)
        monkeypatch.setattr(timezone, "now", lambda: instant)
        return instant

    bizcal.clear_cache()
    yield _set
    bizcal.clear_cache()


def _seed():
    out = io.StringIO()
    call_command("seed_demo", pack="tobacco", scale=0.25, stdout=out)
    return out.getvalue()


def _counts():
    return (
        OrgUnit.objects.count(),
        User.objects.count(),
        Customer.objects.count(),
        Interaction.objects.count(),
        AuditEvent.objects.count(),
    )


def test_seed_demo_tobacco_builds_the_outlet_organisation_once(clock):
    clock(FRIDAY)
    log = _seed()
    assert "tob_rm" in log and "rmdesk-demo-2026" in log
    root = OrgUnit.objects.get(code="TOB")
    assert root.name == "示范市烟草专卖局（公司）"
    assert {u.name for u in root.get_descendants()} >= {"营销部", "城东片区", "城西片区", "城郊片区"}
    rm = User.objects.get(username="tob_rm")
    assert rm.check_password("rmdesk-demo-2026") and rm.team.name == "城东片区"
    assert rm.supervisor.username == "tob_lead"
    outlets = Customer.objects.filter(org_path__startswith=root.path)
    assert set(outlets.values_list("kind", flat=True)) == {"outlet"}
    assert set(outlets.values_list("tier__name", flat=True)) == {"核心", "潜力", "一般", "问题"}
    # this week's schedule confirmed, next week's drawn up; last month's report and this month's plan open
    assert set(VisitSchedule.objects.filter(owner=rm).values_list("week_start", "status")) == {
        (date(2026, 10, 19), ScheduleStatus.CONFIRMED),
        (WEEK, ScheduleStatus.DRAFT),
    }
    report = Journal.objects.get(owner=rm, template__code="monthly_sales_analysis")
    # September's, due 5 October, a National Day holiday: moved to Thursday 8 October
    assert (report.period_start, report.due_on) == (date(2026, 9, 1), date(2026, 10, 8))
    # the pack's service configuration in use: a 入网 case with its checklist under way, a quality case's form
    joining = Case.objects.get(owner=rm, category__code="network_in")
    assert (joining.checks.count(), joining.checks.filter(done_at__isnull=False).count()) == (7, 3)
    quality = Case.objects.get(owner=rm, category__code="quality")
    assert quality.category.requires_feedback and quality.feedback.reviewed_at is None
    before = _counts()
    assert "already present" in _seed()
    assert _counts() == before  # a second run adds nothing


def test_a_week_of_visits_a_special_visit_and_the_monthly_report(clock):
    clock(FRIDAY, 9)
    _seed()
    rm = User.objects.get(username="tob_rm")
    mate = User.objects.filter(team=rm.team, roles__code="rm").exclude(pk=rm.pk).get()
    manager = User.objects.get(username="tob_manager")
    lead = User.objects.get(username="tob_lead")

    # Friday: next week's 客户访问日程表 from the cadence (core and problem outlets weekly), confirmed
    clock(FRIDAY, 16)
    schedule = work.generate_schedule(rm, WEEK)
    items = list(schedule.items.select_related("customer").order_by("day", "position"))
    assert items, "the cadence puts outlets on next week's route"
    assert all(WEEK <= i.day <= WEEK + timedelta(days=4) for i in items)
    schedule = work.confirm_schedule(rm, schedule.pk, version=schedule.version)
    assert schedule.status == ScheduleStatus.CONFIRMED
    # each in-store visit approved in advance, two staff
    for item in items:
        request = compliance.request_special_service(
            rm,
            customer_id=item.customer_id,
            second_staff_id=mate.pk,
            visit_on=item.day,
            place=item.customer.address,
            purpose="按访问日程到店拜访：订货、品牌培育与信息收集",
        )
        approval = ApprovalRequest.objects.get(pk=request.approval_id)
        decide(manager, approval.pk, "approve", opinion="同意", version=approval.version)

    # the week: every planned outlet visited on its day, in the shop, with the colleague
    for n, item in enumerate(items):
        clock(item.day, 17)
        work.record_interaction(
            rm,
            item.customer_id,
            kind=InteractionKind.VISIT,
            occurred_at=datetime(item.day.year, item.day.month, item.day.day, 9 + n % 7, 0, tzinfo=SHANGHAI),
            place=item.customer.address,
            companions=[mate],
            purpose="按访问日程到店拜访",
            content="核对库存与订货，陈列检查，收集消费者对新品的反馈。",
            confirmed_by_name=item.customer.legal_rep or item.customer.name,
            confirmed_at=datetime(item.day.year, item.day.month, item.day.day, 9 + n % 7, 40, tzinfo=SHANGHAI),
            minutes_spent=30,
        )
    assert work.schedule_completion(schedule) == (len(items), len(items))
    visited = [i.customer_id for i in items]
    statuses = ContactStatus.objects.filter(customer_id__in=visited)
    assert statuses.count() == len(visited)
    assert all(s.status == ContactStatusCode.OK and s.last_contact_on >= WEEK for s in statuses)

    # Thursday afternoon a retailer reports damaged cartons: a special visit (特殊访问), not on the schedule
    thursday = WEEK + timedelta(days=3)
    clock(thursday, 18)
    reporter = Customer.objects.filter(a_rm=rm).exclude(pk__in=visited).order_by("customer_no").first()
    reporter = reporter or items[0].customer
    special = work.record_interaction(
        rm,
        reporter.pk,
        kind=InteractionKind.SPECIAL,
        door_to_door=False,
        occurred_at=datetime(2026, 10, 29, 16, 30, tzinfo=SHANGHAI),
        purpose="零售户反映到货卷烟外包装破损，特殊访问核实",
        content="核实两条卷烟外包装受潮破损，已拍照，按质量问题反馈配送中心调换。",
        minutes_spent=25,
    )
    assert special.kind == InteractionKind.SPECIAL and special.get_kind_display() == "特殊访问"

    # the company gives Thursday 5 November off: October's report is due the next working day
    clock(date(2026, 10, 30), 9)
    admin = User.objects.get(username="tob_admin")
    bizcal.save_year_schedule(admin, 2026, holidays={date(2026, 11, 5): "公司司庆日"}, workdays={}, confirmed=True)
    assert not bizcal.is_working_day(date(2026, 11, 5))
    report = work.open_journal(rm, "monthly_sales_analysis", date(2026, 10, 15))
    assert report.template.name == "客户月度销售情况分析报告"
    assert (report.period_start, report.period_end) == (date(2026, 10, 1), date(2026, 10, 31))
    assert report.due_on == date(2026, 11, 6)  # the 5th is a holiday: moved to Friday the 6th

    clock(date(2026, 11, 3), 15)
    content = {
        "overall": f"10 月服务零售户 {Customer.objects.filter(a_rm=rm).count()} 户，到店拜访 {len(items)} 户。",
        "problems": "部分问题类零售户订货不稳定，已纳入每周跟进。",
        "feedback": "特殊访问：" + special.purpose + "；已反馈配送中心调换。",
        "forecast": "预计 11 月销量与上月持平，新品规格需求上升。",
    }
    report = work.submit_journal(rm, report.pk, version=report.version, content=content)
    assert report.status == JournalStatus.SUBMITTED and report.reviewer == lead
    assert report.submitted_at.date() <= report.due_on  # on time

    clock(date(2026, 11, 4), 10)
    report = work.review_journal(lead, report.pk, approve=True, version=report.version, comment="分析到位。")
    assert report.status == JournalStatus.APPROVED
