"""Work journals, plans and summaries: due dates by rule and calendar, submit → review → approve or
return → resubmit, overdue submissions for the supervisor (SPEC §3)."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from rmdesk.core.approvals import SelfApprovalError
from rmdesk.core.models import CalendarOverride, Notification
from rmdesk.work import services
from rmdesk.work.models import Journal, JournalTemplate
from rmdesk.work.periods import due_date, period_bounds
from rmdesk.work.scope import supervisor_of

pytestmark = pytest.mark.django_db

SALES = "monthly_sales_analysis"


def test_periods():
    assert period_bounds("week", date(2026, 11, 22)) == (date(2026, 11, 16), date(2026, 11, 22))
    assert period_bounds("quarter", date(2026, 11, 22)) == (date(2026, 10, 1), date(2026, 12, 31))
    assert period_bounds("half", date(2026, 3, 1)) == (date(2026, 1, 1), date(2026, 6, 30))
    assert period_bounds("month", date(2028, 2, 10)) == (date(2028, 2, 1), date(2028, 2, 29))


def test_monthly_report_has_four_parts_and_moves_past_holiday():
    t = JournalTemplate.objects.get(code=SALES)
    assert t.name == "客户月度销售情况分析报告" and len(t.sections) == 4
    assert t.sections[3]["title"] == "预测分析次月客户销售情况"
    # September's report is due on 5 October: National Day, so the next working day, 8 October
    assert due_date(t, date(2026, 9, 1), date(2026, 9, 30)) == date(2026, 10, 8)
    # October's is due on Thursday 5 November
    assert due_date(t, date(2026, 10, 1), date(2026, 10, 31)) == date(2026, 11, 5)
    # January 2026's: 5 February is a working day before the Spring Festival
    assert due_date(t, date(2026, 1, 1), date(2026, 1, 31)) == date(2026, 2, 5)
    # an administrator's override (bank holiday) moves it too
    CalendarOverride.objects.create(day=date(2026, 11, 5), is_working_day=False, name="行庆")
    assert due_date(t, date(2026, 10, 1), date(2026, 10, 31)) == date(2026, 11, 6)


def test_supervisor_is_direct_supervisor_else_team_lead(world):
    assert supervisor_of(world.rm) == world.lead
    world.rm_b.supervisor = world.rm
    world.rm_b.save()
    assert supervisor_of(world.rm_b) == world.rm
    assert supervisor_of(world.lead) is None


def test_submit_return_resubmit_approve(world):
    j = services.open_journal(world.rm, SALES, date(2026, 9, 15))
    assert (j.period_start, j.period_end, j.due_on) == (date(2026, 9, 1), date(2026, 9, 30), date(2026, 10, 8))
    assert services.open_journal(world.rm, SALES, date(2026, 9, 30)).pk == j.pk
    with pytest.raises(ValidationError) as exc:
        services.submit_journal(world.rm, j.pk, content={"overall": "整体平稳"}, version=j.version)
    assert "content.problems" in exc.value.message_dict
    content = {
        "overall": "整体平稳",
        "problems": "部分零售户断货",
        "feedback": "希望增加配送频次",
        "forecast": "次月增长5%",
    }
    j = services.submit_journal(world.rm, j.pk, content=content, version=j.version)
    assert j.status == "submitted" and j.reviewer == world.lead
    assert Notification.objects.filter(recipient=world.lead, kind="journal.review").count() == 1
    with pytest.raises(ValidationError):
        services.save_journal(world.rm, j.pk, content=content, version=j.version)  # submitted: locked
    with pytest.raises(SelfApprovalError):
        services.review_journal(world.rm, j.pk, approve=True, version=j.version)
    with pytest.raises(Http404):
        services.review_journal(world.rm_b, j.pk, approve=True, version=j.version)  # a colleague does not see it
    with pytest.raises(PermissionDenied):
        services.review_journal(world.risk, j.pk, approve=True, version=j.version)  # risk: subtree read-only
    with pytest.raises(ValidationError):
        services.review_journal(world.lead, j.pk, approve=False, version=j.version)  # returning needs a comment
    j = services.review_journal(world.lead, j.pk, approve=False, comment="问题分析不够具体", version=j.version)
    assert j.status == "returned"
    assert Notification.objects.filter(recipient=world.rm, kind="journal.reviewed").exists()
    j = services.save_journal(
        world.rm, j.pk, content={**content, "problems": "三家零售户断货，因配送周期长"}, version=j.version
    )
    j = services.submit_journal(world.rm, j.pk, version=j.version)
    j = services.review_journal(world.lead, j.pk, approve=True, comment="同意", version=j.version)
    assert j.status == "approved"
    assert [e.action for e in j.events.all()] == ["submit", "return", "submit", "approve"]
    with pytest.raises(ValidationError):
        services.review_journal(world.lead, j.pk, approve=True, version=j.version)


def test_overdue_submissions_listed_for_supervisor(world):
    today = date(2026, 10, 12)
    assert services.ensure_required_journals(today, users=[world.rm, world.rm_b, world.rm2]) > 0
    late = services.overdue_submissions(world.lead, today)
    owners = {j.owner_id for j in late}
    codes = {j.template.code for j in late}
    assert owners == {world.rm.pk, world.rm_b.pk}  # not rm2 of another team
    assert SALES in codes and all(j.due_on < today for j in late)
    assert services.ensure_required_journals(today, users=[world.rm]) == 0  # idempotent
    sales = Journal.objects.get(owner=world.rm, template__code=SALES, period_start=date(2026, 9, 1))
    assert sales.due_on == date(2026, 10, 8)


def test_journal_pages(client, world):
    client.force_login(world.rm)
    resp = client.post("/work/journals/", {"template": SALES, "day": "2026-09-10"})
    assert resp.status_code == 302
    j = Journal.objects.get(owner=world.rm)
    data = {
        "action": "submit",
        "version": j.version,
        "content_overall": "a",
        "content_problems": "",
        "content_feedback": "c",
        "content_forecast": "d",
    }
    page = client.post(f"/work/journals/{j.pk}/", data).content.decode()
    assert "请填写“上月所服务客户销售中存在的问题、产生原因及对策措施”" in page
    data["content_problems"] = "b"
    assert client.post(f"/work/journals/{j.pk}/", data).status_code == 302
    client.force_login(world.lead)
    assert "客户月度销售情况分析报告" in client.get("/work/reviews/").content.decode()
    j.refresh_from_db()
    resp = client.post(f"/work/journals/{j.pk}/", {"action": "review", "decision": "return", "comment": "请补充"})
    assert "缺少版本号" in resp.content.decode()  # the page's hidden version field is required
    resp = client.post(
        f"/work/journals/{j.pk}/", {"action": "review", "decision": "return", "comment": "请补充", "version": j.version}
    )
    assert resp.status_code == 302
    j.refresh_from_db()
    assert j.status == "returned" and j.review_comment == "请补充"
    client.force_login(world.lead2)
    assert client.get(f"/work/journals/{j.pk}/").status_code == 404
