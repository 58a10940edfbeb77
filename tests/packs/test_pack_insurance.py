"""The insurance bank-channel pack (issue 19; seed 001's bank-insurance roles): it loads on an empty database and a
second load changes nothing; bank outlets are the customers, classed by annual premium and visited by class; the
monthly, quarterly and annual business reviews are due after their period, moved past holidays; the product
training courses for outlet staff are in the course catalogue; the UI says 渠道网点."""

import io
from datetime import date
from decimal import Decimal

from django.core.management import call_command
from django.forms.models import model_to_dict

from rmdesk.core import calendar as bizcal
from rmdesk.core.models import AuditEvent
from rmdesk.core.packs import registry
from rmdesk.customers.models import Tier, TierRuleSet
from rmdesk.customers.services.tiers import recompute_tier
from rmdesk.packs import services
from rmdesk.packs.models import PackLoad, PackRecord
from rmdesk.people.models import Course
from rmdesk.work.models import CadenceRule, JournalTemplate
from rmdesk.work.periods import due_date, period_bounds


def configuration() -> dict:
    return {
        section: sorted(repr(sorted(model_to_dict(o).items())) for o in pm.model._default_manager.all())
        for section, pm in registry().items()
    }


def test_loads_on_an_empty_database_and_a_second_load_changes_nothing(db):
    out = io.StringIO()
    call_command("load_pack", "insurance", "--check", stdout=out)
    assert "insurance 1.1.0 (check only)" in out.getvalue()
    assert not TierRuleSet.objects.filter(code="insurance_outlet").exists()  # --check keeps nothing
    first = services.apply_pack("insurance")
    assert first.changed and not first.kept
    assert PackRecord.objects.filter(pack="insurance", model_label="people.Course").count() == 4
    before, loads, events = configuration(), PackLoad.objects.count(), AuditEvent.objects.count()
    out = io.StringIO()
    call_command("load_pack", "insurance", stdout=out)
    assert "0 created, 0 updated, 0 adopted" in out.getvalue()
    assert (configuration(), PackLoad.objects.count(), AuditEvent.objects.count()) == (before, loads, events)


def test_outlets_are_classed_by_annual_premium_and_the_core_ones_visited_weekly(db, world, make_customer):
    services.apply_pack("insurance")
    outlets = TierRuleSet.objects.get(code="insurance_outlet")
    assert outlets.is_active and outlets.kind == "outlet" and outlets.metric == "annual_premium"
    assert TierRuleSet.objects.get(code="bank").is_active  # the individual set stays: one set per kind
    names = list(Tier.objects.filter(rule_set=outlets).order_by("-rank").values_list("name", flat=True))
    assert names == ["核心网点", "重点网点", "一般网点", "培育网点"]
    branch = make_customer(world.rm, kind="outlet", name="某银行城东支行", metrics={"annual_premium": "3000000"})
    small = make_customer(world.rm, kind="outlet", name="某银行城西网点", metrics={"annual_premium": "199999.99"})
    recompute_tier(branch, reason="test")
    recompute_tier(small, reason="test")
    assert (branch.tier.code, small.tier.code) == ("io_core", "io_developing")  # boundary: 3,000,000 is core
    core = CadenceRule.objects.get(rule_set_code="insurance_outlet", tier_code="io_core")
    monday = date(2026, 11, 30)
    assert core.next_due(monday) == date(2026, 12, 7)
    general = CadenceRule.objects.get(rule_set_code="insurance_outlet", tier_code="io_general")
    assert general.next_due(monday) == date(2026, 12, 30)


def test_monthly_quarterly_and_annual_business_reviews_are_due_after_their_period(db):
    services.apply_pack("insurance")
    monthly = JournalTemplate.objects.get(code="outlet_monthly_review")
    quarterly = JournalTemplate.objects.get(code="outlet_quarterly_review")
    annual = JournalTemplate.objects.get(code="outlet_annual_review")
    assert (monthly.period, quarterly.period, annual.period) == ("month", "quarter", "year")
    assert all(t.is_active and t.required for t in (monthly, quarterly, annual))
    september = period_bounds("month", date(2026, 9, 10))
    assert not bizcal.is_working_day(date(2026, 10, 5))  # National Day holiday
    assert due_date(monthly, *september) == bizcal.next_working_day(date(2026, 10, 5))
    q3 = period_bounds("quarter", date(2026, 8, 1))
    assert due_date(quarterly, *q3) == bizcal.next_working_day(date(2026, 10, 10)) >= date(2026, 10, 10)
    year = period_bounds("year", date(2026, 6, 1))
    assert due_date(annual, *year) >= date(2027, 1, 15)


def test_product_training_courses_for_outlet_staff_and_the_words(db):
    services.apply_pack("insurance")
    courses = {c.code: c for c in Course.objects.filter(code__startswith="BA-")}
    assert set(courses) == {"BA-PRODUCT", "BA-SALES", "BA-MGMT", "BA-COMPLIANCE"}
    assert courses["BA-PRODUCT"].mode == "coaching"  # 到网点一对一辅导
    assert courses["BA-SALES"].pass_score == Decimal("60.0") and courses["BA-PRODUCT"].pass_score is None
    words = services.words_of("insurance")
    assert (words.customer, words.manager) == ("渠道网点", "渠道客户经理")


def test_seed_demo_insurance_builds_the_channel_with_outlets_reviews_and_training(db, client):
    from rmdesk.customers.models import Customer
    from rmdesk.org.models import OrgUnit, User
    from rmdesk.people.models import Attendance
    from rmdesk.work.models import Interaction, Journal

    out = io.StringIO()
    call_command("seed_demo", pack="insurance", scale=0.5, stdout=out)
    assert "ins_rm" in out.getvalue()
    root = OrgUnit.objects.get(code="INS")
    outlets = Customer.objects.filter(org_path__startswith=root.path)
    assert outlets.count() == 12 and set(outlets.values_list("kind", flat=True)) == {"outlet"}
    classes = set(outlets.values_list("tier__code", flat=True))
    assert classes == {"io_core", "io_key", "io_general", "io_developing"}
    rm = User.objects.get(username="ins_rm")
    review = Journal.objects.get(owner=rm, template__code="outlet_monthly_review")
    assert review.content["premium"] and review.due_on > review.period_end
    assert Interaction.objects.filter(customer__in=outlets).count() == 24
    trained = Attendance.objects.filter(session__course__code="BA-PRODUCT")
    assert set(trained.values_list("person__username", flat=True)) == {"ins_rm", "ins_rm2", "ins_lead", "ins_lead2"}
    assert all(a.points == Decimal("2.0") for a in trained)  # attendance alone earns the points (no exam)
    client.force_login(rm)
    page = client.get("/customers/").content.decode()
    assert "渠道网点" in page  # the pack's word for the customer
    before = (Customer.objects.count(), Interaction.objects.count(), Attendance.objects.count())
    call_command("seed_demo", pack="insurance", scale=0.5, stdout=io.StringIO())
    assert (Customer.objects.count(), Interaction.objects.count(), Attendance.objects.count()) == before
