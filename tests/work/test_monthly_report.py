"""The monthly sales report (客户月度销售情况分析报告, SPEC §3, issue 10) starts filled from the RM's data
of its month (sales, new customers, contacts by kind, complaints, special visits), the RM edits it.
Expected figures are computed here from the fixtures, not read back from the code under test."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.utils import timezone

from rmdesk.customers.models import Holding, Product
from rmdesk.service import services as service_services
from rmdesk.service.defaults import seed as seed_service
from rmdesk.service.models import CaseCategory
from rmdesk.work import monthly, services
from rmdesk.work.models import Interaction, Journal

pytestmark = pytest.mark.django_db

SALES = "monthly_sales_analysis"


def at(y, m, d, hh=10):
    return timezone.make_aware(datetime(y, m, d, hh))


@pytest.fixture
def october(world, make_customer):
    """rm's October 2026: what counts and, next to it, what must not."""
    seed_service(django_apps)
    rm = world.rm
    wealth = Product.objects.create(code="T-WM", name="测试理财", category="wealth", risk_level="R2")
    deposit = Product.objects.create(code="T-DEP", name="测试定存", category="deposit", risk_level="R1")
    new1 = make_customer(rm, name="新客户甲", created_at=at(2026, 10, 5))
    new2 = make_customer(rm, name="新客户乙", created_at=at(2026, 10, 31, 23))
    old = make_customer(rm, name="老客户丙", created_at=at(2025, 1, 1), address="鼓楼区")
    b_only = make_customer(world.rm_b, b_rm=rm, name="协办客户丁", created_at=at(2026, 10, 6))
    other = make_customer(world.rm2, name="他人客户戊", created_at=at(2026, 10, 7))
    make_customer(rm, name="十一月客户", created_at=at(2026, 11, 1, 9))

    def hold(c, product, balance, opened, matures=None):
        return Holding.objects.create(
            customer=c, product=product, balance=Decimal(balance), opened_on=opened, matures_on=matures
        )

    counted = [
        hold(new1, wealth, "100000", date(2026, 10, 10)),
        hold(old, deposit, "200000.50", date(2026, 10, 31), matures=date(2026, 11, 15)),
        hold(old, wealth, "50000", date(2026, 10, 1)),
    ]
    hold(old, wealth, "70000", date(2026, 9, 30))  # September
    hold(b_only, wealth, "90000", date(2026, 10, 12))  # rm is only B-post
    hold(other, deposit, "80000", date(2026, 10, 12))  # someone else's customer

    def contact(c, kind, when, by=rm, purpose="例行联系", needs=""):
        return Interaction.objects.create(
            customer=c, kind=kind, occurred_at=when, recorded_by=by, purpose=purpose, needs_found=needs
        )

    contacts = [
        contact(old, "phone", at(2026, 10, 2)),
        contact(old, "phone", at(2026, 10, 20)),
        contact(new1, "visit", at(2026, 10, 8), needs="子女教育金规划"),
        contact(new1, "special", at(2026, 10, 21), purpose="大额资金转出了解原因"),
    ]
    contact(old, "phone", at(2026, 11, 2))  # November
    contact(old, "phone", at(2026, 10, 3), by=world.rm_b)  # recorded by someone else

    cat = CaseCategory.objects.get(code="attitude")

    def case(c, when, kind="complaint", title="理财收益与宣传不符"):
        return service_services.register_case(
            c.a_rm,
            customer_id=c.pk,
            kind=kind,
            channel="branch",
            category_id=cat.pk,
            severity="normal",
            title=title,
            description="客户反映问题。",
            now=when,
        )

    complaints = [case(old, at(2026, 10, 15), title="柜面等候时间过长")]
    case(old, at(2026, 10, 16), kind="request", title="补打流水")  # a service request, not a complaint
    case(old, at(2026, 11, 3), title="十一月投诉")
    case(other, at(2026, 10, 15), title="他人客户投诉")
    return {
        "sales": counted,
        "new": [new1, new2],
        "contacts": contacts,
        "special": [c for c in contacts if c.kind == "special"],
        "complaints": complaints,
    }


def test_figures_are_the_rms_own_data_of_the_month(world, october):
    f = monthly.month_figures(world.rm, date(2026, 10, 1), date(2026, 10, 31))
    assert f["sales_n"] == len(october["sales"])
    assert f["sales_amount"] == sum(h.balance for h in october["sales"])
    by_cat = {r["category"]: (r["n"], r["amount"]) for r in f["sales"]}
    assert by_cat == {"理财": (2, Decimal("150000")), "存款": (1, Decimal("200000.50"))}
    assert [c.pk for c in f["new_customers"]] == [c.pk for c in october["new"]]
    assert f["contacts_n"] == len(october["contacts"])
    assert {r["kind"]: r["n"] for r in f["contacts"]} == {"电话": 2, "上门拜访": 1, "特殊访问": 1}
    assert [i.pk for i in f["special_visits"]] == [i.pk for i in october["special"]]
    assert [c.pk for c in f["complaints"]] == [c.pk for c in october["complaints"]]
    assert f["maturing_n"] == 1 and f["maturing_amount"] == Decimal("200000.50")


def test_opening_the_report_shows_it_prefilled_and_the_rm_edits_and_submits(client, world, october):
    j = services.open_journal(world.rm, SALES, date(2026, 10, 15))
    client.force_login(world.rm)
    html = client.get(f"/work/journals/{j.pk}/").content.decode()
    total = sum(h.balance for h in october["sales"])
    assert f"产品销售 {len(october['sales'])} 笔，金额合计 {total:,.2f} 元" in html
    assert "新增客户 2 位：新客户甲、新客户乙" in html
    assert "联系客户 4 次，覆盖客户 2 位" in html and "电话 2 次" in html
    assert "特殊访问 1 次" in html and "大额资金转出了解原因" in html
    assert "本月客户投诉 1 件" in html and "柜面等候时间过长" in html
    assert "十一月投诉" not in html and "他人客户投诉" not in html
    assert "子女教育金规划" in html
    assert "次月（2026-11）到期产品 1 笔" in html
    figures = html.split('id="month-figures"')[1].split("</section>")[0]
    assert 'data-figure="complaints">1<' in figures and 'data-figure="new-customers">2<' in figures
    # nothing is stored by looking at it
    assert not any(Journal.objects.get(pk=j.pk).content.values())
    # the RM edits the prefilled parts and submits
    page = html.split('id="c-overall" name="content_overall">')[1].split("</textarea>")[0]
    content = {
        "content_overall": page.replace("&#x27;", "'") + "\n整体平稳。",
        "content_problems": "问题：等候时间长。对策：增开窗口。",
        "content_feedback": "客户希望缩短等候时间。",
        "content_forecast": "次月预计续作到期存款。",
    }
    resp = client.post(f"/work/journals/{j.pk}/", {"action": "submit", "version": j.version, **content})
    assert resp.status_code == 302
    j.refresh_from_db()
    assert j.status == "submitted" and j.content["problems"] == "问题：等候时间长。对策：增开窗口。"
    assert j.content["overall"].endswith("整体平稳。") and "新增客户 2 位" in j.content["overall"]


def test_a_draft_with_text_is_not_refilled_and_the_reviewer_sees_the_figures(client, world, october):
    j = services.open_journal(world.rm, SALES, date(2026, 10, 15))
    services.save_journal(world.rm, j.pk, content={"overall": "我写的分析"}, version=j.version)
    client.force_login(world.rm)
    html = client.get(f"/work/journals/{j.pk}/").content.decode()
    assert "我写的分析" in html and "新增客户 2 位：" not in html
    assert 'data-figure="special-visits">1<' in html
    j.refresh_from_db()
    services.submit_journal(
        world.rm, j.pk, version=j.version, content={"overall": "a", "problems": "b", "feedback": "c", "forecast": "d"}
    )
    client.force_login(world.lead)
    html = client.get(f"/work/journals/{j.pk}/").content.decode()
    assert 'data-figure="contacts">4' in html and 'data-figure="complaints">1<' in html


def test_a_month_without_data_says_so_and_other_journals_are_not_prefilled(client, world):
    j = services.open_journal(world.rm, SALES, date(2026, 10, 15))
    client.force_login(world.rm)
    html = client.get(f"/work/journals/{j.pk}/").content.decode()
    assert "本月没有新的产品销售记录" in html and "本月没有客户投诉" in html and "本月没有特殊访问" in html
    other = services.open_journal(world.rm, "monthly_summary", date(2026, 10, 15))
    html = client.get(f"/work/journals/{other.pk}/").content.decode()
    assert 'id="month-figures"' not in html and "本月没有" not in html


def test_prefill_in_english(client, world, october):
    j = services.open_journal(world.rm, SALES, date(2026, 10, 15))
    client.force_login(world.rm)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(f"/work/journals/{j.pk}/").content.decode()
    assert "Product sales: 3" in html and "New customers: 2" in html
