"""Merging a duplicate archive (SPEC §2 不争夺客户, issue 9): through the customers app's conflict
settlement, every work and service row of the merged archive B moves to A (customers_merged), and the
merge is not churn: no churn event, no new watch entry, not counted by the scan or the churn rates.
Plain ORM only, so it runs the same on SQLite and PostgreSQL."""

from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db.models import Count
from django.utils import timezone

from rmdesk.customers import services as customer_services
from rmdesk.customers.models import Customer, Product, Stage, Tier, TierRuleSet
from rmdesk.service import churn, surveys
from rmdesk.service.models import Case, ChurnEvent, SurveyResponse, SurveyTemplate, WatchEntry
from rmdesk.work import cadence, services as work_services
from rmdesk.work.models import (
    Appointment,
    CadenceRule,
    ContactCounter,
    ContactStatus,
    Interaction,
    ScheduleItem,
    Task,
    VisitSchedule,
)
from rmdesk.work.periods import next_monday

pytestmark = pytest.mark.django_db


def _counter_totals():
    out = Counter()
    for c in ContactCounter.objects.all():
        for code in cadence.COUNTED:
            out[(c.a_rm_id, c.org_path, code)] += getattr(c, code)
    return {k: v for k, v in out.items() if v}


def _direct_totals():
    rows = ContactStatus.objects.exclude(status="none").values("a_rm_id", "org_path", "status").annotate(n=Count("pk"))
    return {(r["a_rm_id"], r["org_path"], r["status"]): r["n"] for r in rows}


@pytest.fixture
def gold(db):
    rs = TierRuleSet.objects.get_or_create(code="bank", defaults={"name": "银行"})[0]
    tier = Tier.objects.get_or_create(
        rule_set=rs, code="gold", defaults={"name": "金卡客户", "rank": 2, "threshold": Decimal("500000")}
    )[0]
    CadenceRule.objects.update_or_create(
        rule_set_code="bank",
        tier_code="gold",
        defaults={"name": "每月", "interval_months": 1, "soon_days": 5, "is_active": True},
    )
    return tier


@pytest.fixture
def pair(world, make_customer, make_case, gold, defaults):
    """A (kept) and its duplicate B, both the RM's gold customers; B holds a row of every kind."""
    old = timezone.now() - timedelta(days=400)
    a = make_customer(
        world.rm, world.t1, name="张伟明", mobile="13900001111", tier=gold, stage=Stage.ACTIVE, created_at=old
    )
    b = make_customer(
        world.rm, world.t1, name="张伟明（重复）", mobile="13900002222", tier=gold, stage=Stage.ACTIVE, created_at=old
    )
    customer_services.save_holding(world.rm, a.pk, product=Product.objects.get(code="DEP-CUR"), balance="600000")
    cadence.recompute_all()
    rows = {
        "interaction": work_services.record_interaction(
            world.rm, b.pk, kind="phone", purpose="电话回访", occurred_at=timezone.now() - timedelta(hours=2)
        ),
        "appointment": work_services.create_appointment(
            world.rm, b.pk, subject="理财面谈", start_at=timezone.now() + timedelta(days=3)
        ),
        "task": work_services.create_task(world.rm, title="寄送产品说明书", customer_id=b.pk),
        "case": make_case(customer=b),
        "watch": churn.add_to_watch(world.lead, customer_id=b.pk, note="大额资金转出"),
    }
    week = next_monday(timezone.localdate())
    both = VisitSchedule.objects.create(owner=world.rm, week_start=week, org_path=world.t1.path)
    ScheduleItem.objects.create(schedule=both, customer=a, day=week)
    ScheduleItem.objects.create(schedule=both, customer=b, day=week)  # same week as A: one visit is enough
    later = VisitSchedule.objects.create(owner=world.rm, week_start=week + timedelta(days=7), org_path=world.t1.path)
    rows["item"] = ScheduleItem.objects.create(schedule=later, customer=b, day=week + timedelta(days=7))
    tpl = SurveyTemplate.objects.get(name__startswith="客户满意度调查")
    rnd = surveys.start_round(world.lead, template_id=tpl.pk, name="一季度")
    answered = SurveyResponse.objects.get(round=rnd, customer=b)
    surveys.record_answers(
        world.rm, answered.pk, answers={q.pk: 4 for q in tpl.questions.filter(kind="score")}, version=answered.version
    )
    rows["response"] = answered
    return a, b, rows


def _merge(world, a, b):
    """B is edited to A's mobile: a conflict with B as its subject, which the team lead settles by merging."""
    _b, conflict = customer_services.update_customer(world.rm, b.pk, {"mobile": a.mobile}, version=b.version)
    assert conflict is not None and conflict.subject_id == b.pk and conflict.existing_id == a.pk
    customer_services.resolve_conflict(world.lead, conflict.pk, "merge")


def test_merge_moves_every_row_of_the_duplicate_and_is_not_churn(world, pair):
    a, b, rows = pair
    watch_entries = WatchEntry.objects.count()
    _merge(world, a, b)
    b.refresh_from_db()
    assert b.merged_into_id == a.pk and b.stage == Stage.LOST

    # work: every row of B now belongs to A
    for model in (Interaction, Appointment, Task, ScheduleItem):
        assert not model.objects.filter(customer=b).exists(), model.__name__
    assert Interaction.objects.get(pk=rows["interaction"].pk).customer_id == a.pk
    assert Appointment.objects.get(pk=rows["appointment"].pk).customer_id == a.pk
    assert Task.objects.get(pk=rows["task"].pk).customer_id == a.pk
    assert ScheduleItem.objects.get(pk=rows["item"].pk).customer_id == a.pk
    assert ScheduleItem.objects.filter(customer=a).count() == 2  # one per week, the duplicate visit dropped
    # cadence: B's row is gone, A's last contact is B's contact, the counters still add up
    assert not ContactStatus.objects.filter(customer=b).exists()
    status = ContactStatus.objects.get(customer=a)
    assert status.last_contact_at == rows["interaction"].occurred_at and status.status == "ok"
    assert _counter_totals() == _direct_totals()

    # service: the case (and its scope copy), the watch entry, the answered survey response
    case = Case.objects.get(pk=rows["case"].pk)
    assert case.customer_id == a.pk and case.customer_path == a.org_path
    assert WatchEntry.objects.get(pk=rows["watch"].pk).customer_id == a.pk
    assert SurveyResponse.objects.get(pk=rows["response"].pk).customer_id == a.pk
    assert SurveyResponse.objects.filter(customer=a).count() == 1  # A's unanswered copy gave way
    for model in (Case, WatchEntry, SurveyResponse):
        assert not model.objects.filter(customer=b).exists(), model.__name__

    # not churn: no churn event, no new watch entry, now or after the periodic scan
    assert not ChurnEvent.objects.exists()
    assert WatchEntry.objects.count() == watch_entries
    assert churn.scan()["churned"] == 0
    assert not ChurnEvent.objects.filter(customer=b).exists()
    assert not WatchEntry.objects.filter(customer=b).exists()
    today = timezone.localdate()
    rates = churn.churn_rates(world.lead, start=date(today.year, 1, 1), end=today)
    assert [(r["customers"], r["churned"]) for r in rates] == [(1, 0)]  # A only; B is neither a customer nor lost


def test_a_real_loss_is_still_churn(world, pair):
    """The stage_changed receiver still reacts to 流失 set through the customers app (not to a merge)."""
    a, _b, _rows = pair
    a.refresh_from_db()
    customer_services.update_customer(world.rm, a.pk, {"stage": Stage.LOST}, version=a.version)
    assert ChurnEvent.objects.filter(customer=a).count() == 1
    assert Customer.objects.get(pk=a.pk).merged_into_id is None
