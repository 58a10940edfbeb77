"""Satisfaction surveys and index, churn rates against targets, watch list (SPEC §5), on hand-made data."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from openpyxl import Workbook

from rmdesk.core.actions import StaleVersion
from rmdesk.customers.models import Stage, Tier, TierRuleSet
from rmdesk.service import churn, surveys
from rmdesk.service.defaults import ensure_top_tier_targets
from rmdesk.service.models import ChurnEvent, ChurnTarget, SurveyResponse, SurveyTemplate, WatchEntry, WatchStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def template(defaults):
    return SurveyTemplate.objects.get(name__startswith="客户满意度调查")


def _answers(tpl, *scores):
    qs = [q for q in tpl.questions.all() if q.kind == "score"]
    return {q.pk: s for q, s in zip(qs, scores, strict=False)}


def test_response_score_is_weighted_and_scaled(template):
    # weights 1.5, 1.5, 1, 1; scores 5, 5, 3, 1 -> (1.5*100 + 1.5*100 + 50 + 0) / 5 = 70
    qs = list(template.questions.all())
    assert surveys.response_score(_answers(template, 5, 5, 3, 1), qs) == Decimal("70.00")
    assert surveys.response_score(_answers(template, 1, 1, 1, 1), qs) == Decimal("0.00")
    assert surveys.response_score({}, qs) is None


def test_round_goes_to_the_segment_and_index_per_rm_team_unit(template, world, make_customer):
    c1 = make_customer(world.rm, world.t1, stage=Stage.ACTIVE)
    c2 = make_customer(world.rm, world.t1, stage=Stage.ACTIVE)
    c3 = make_customer(world.rm_t1b, world.t1b, stage=Stage.ACTIVE)
    make_customer(world.rm, world.t1, stage=Stage.LOST)  # never surveyed
    make_customer(world.rm2, world.t2, stage=Stage.ACTIVE)  # outside the manager's subtree
    with pytest.raises(PermissionDenied):
        surveys.start_round(world.rm, template_id=template.pk, name="x")
    rnd = surveys.start_round(world.manager, template_id=template.pk, name="2026 年一季度满意度调查")
    assert set(rnd.responses.values_list("customer_id", flat=True)) == {c1.pk, c2.pk, c3.pk}
    r = {x.customer_id: x for x in rnd.responses.all()}
    surveys.record_answers(world.rm, r[c1.pk].pk, answers=_answers(template, 5, 5, 5, 5), version=1)  # 100
    surveys.record_answers(world.rm, r[c2.pk].pk, answers=_answers(template, 5, 5, 3, 1), version=1)  # 70
    surveys.record_answers(world.rm_t1b, r[c3.pk].pk, answers=_answers(template, 3, 3, 3, 3), version=1)  # 50
    with pytest.raises(ValidationError):
        surveys.record_answers(world.rm, r[c1.pk].pk, answers=_answers(template, 6, 5, 5, 5), version=2)
    with pytest.raises(StaleVersion):  # recorded again from a page opened before the first answers
        surveys.record_answers(world.rm, r[c1.pk].pk, answers=_answers(template, 1, 1, 1, 1), version=1)
    by_rm = {row["key"]: row for row in surveys.satisfaction_index(world.manager, group="rm")}
    assert by_rm[world.rm.pk]["index"] == Decimal("85.0") and by_rm[world.rm.pk]["responses"] == 2
    assert by_rm[world.rm_t1b.pk]["index"] == Decimal("50.0")
    by_team = {row["key"]: row["index"] for row in surveys.satisfaction_index(world.manager, group="team")}
    assert by_team == {world.t1.pk: Decimal("85.0"), world.t1b.pk: Decimal("50.0")}
    by_unit = {row["key"]: row["index"] for row in surveys.satisfaction_index(world.manager, group="unit")}
    assert by_unit == {world.t1.pk: Decimal("85.0"), world.t1b.pk: Decimal("50.0")}
    # the RM sees only their own customers' answers
    assert [row["key"] for row in surveys.satisfaction_index(world.rm, group="rm")] == [world.rm.pk]


def test_import_is_all_or_nothing(template, world, make_customer):
    c1 = make_customer(world.rm, world.t1, stage=Stage.ACTIVE)
    c2 = make_customer(world.rm, world.t1, stage=Stage.ACTIVE)
    rnd = surveys.start_round(world.lead, template_id=template.pk, name="导入测试")

    def book(rows):
        wb = Workbook()
        ws = wb.active
        ws.append(["客户号", "Q1", "Q2", "Q3", "Q4", "Q5", "意见"])
        for row in rows:
            ws.append(row)
        buf = io.BytesIO()
        wb.save(buf)
        buf.seek(0)
        return buf

    bad = book([[c1.customer_no, 5, 5, 5, 5, "好", ""], [c2.customer_no, 9, 5, 5, 5, "", ""]])
    with pytest.raises(ValidationError) as exc:
        surveys.import_answers(world.lead, rnd.pk, bad)
    assert "第 3 行" in " ".join(exc.value.messages)
    assert not SurveyResponse.objects.filter(round=rnd, answered_at__isnull=False).exists()
    good = book([[c1.customer_no, 5, 5, 5, 5, "好", "继续保持"], [c2.customer_no, 1, 1, 1, 1, "", ""]])
    assert surveys.import_answers(world.lead, rnd.pk, good) == 2
    scores = dict(rnd.responses.values_list("customer_id", "score"))
    assert scores == {c1.pk: Decimal("100.00"), c2.pk: Decimal("0.00")}


@pytest.fixture
def tiers(db):
    rs = TierRuleSet.objects.create(code="svc_test", name="测试分层", is_active=False)
    return {
        code: Tier.objects.create(rule_set=rs, code=code, name=name, rank=rank, threshold=Decimal(th))
        for code, name, rank, th in [
            ("pb", "私人银行", 4, "5000000"),
            ("diamond", "钻石", 3, "2000000"),
            ("gold", "金卡", 2, "1000000"),
            ("wealth", "财富", 1, "500000"),
        ]
    }


def _set_stage(actor, customer, stage):
    """The lifecycle stage changes through the customers app's service, which sends `stage_changed`."""
    from rmdesk.customers import services as customer_services

    customer.refresh_from_db()
    data = {"stage": stage}
    if not (customer.mobile or customer.id_number):  # an edited archive must be valid: hand-made ones get a mobile
        data["mobile"] = f"139{customer.pk:08d}"
    customer_services.update_customer(actor, customer.pk, data, version=customer.version)
    customer.refresh_from_db()
    assert customer.stage == stage


def test_churn_rate_per_tier_against_targets(world, make_customer, tiers, defaults):
    ensure_top_tier_targets(2, rule_set=tiers["pb"].rule_set)
    assert ChurnTarget.objects.get(tier=tiers["pb"]).max_rate == Decimal("2.00")
    assert ChurnTarget.objects.get(tier__isnull=True).max_rate == Decimal("3.50")
    # gold: 40 customers, 1 lost this year -> 1 / 40 = 2.5 % (< 3.5 %, ok)
    gold = [
        make_customer(world.rm, world.t1, tier=tiers["gold"], stage=Stage.ACTIVE, aum=Decimal("1200000"))
        for _ in range(40)
    ]
    # private banking: 20 customers, 1 lost -> 5 % (>= 2 %, not ok)
    pb = [
        make_customer(world.rm, world.t1, tier=tiers["pb"], stage=Stage.ACTIVE, aum=Decimal("6000000"))
        for _ in range(20)
    ]
    for c in (gold[0], pb[0]):
        _set_stage(world.rm, c, Stage.LOST)  # stage_changed records the churn today
    ev = ChurnEvent.objects.get(customer=gold[0])
    ChurnEvent.objects.filter(pk=ev.pk).update(occurred_on=date(2026, 5, 10))
    ChurnEvent.objects.filter(customer=pb[0]).update(occurred_on=date(2026, 6, 1))
    # an older churn outside the period does not count
    old = make_customer(world.rm, world.t1, tier=tiers["gold"], stage=Stage.ACTIVE)
    _set_stage(world.rm, old, Stage.LOST)
    ChurnEvent.objects.filter(customer=old).update(occurred_on=date(2025, 12, 31))
    _set_stage(world.rm, gold[1], Stage.AT_RISK)
    rates = {r["tier_id"]: r for r in churn.churn_rates(world.lead, start=date(2026, 1, 1), end=date(2026, 12, 31))}
    assert rates[tiers["gold"].pk]["at_risk"] == 1 and rates[tiers["pb"].pk]["at_risk"] == 0
    assert (rates[tiers["gold"].pk]["churned"], rates[tiers["gold"].pk]["customers"]) == (1, 40)
    assert rates[tiers["gold"].pk]["rate"] == Decimal("2.50") and rates[tiers["gold"].pk]["ok"] is True
    assert rates[tiers["pb"].pk]["rate"] == Decimal("5.00") and rates[tiers["pb"].pk]["ok"] is False
    assert rates[tiers["pb"].pk]["target"] == Decimal("2.00")
    # another team's lead sees none of it
    assert churn.churn_rates(world.lead2, start=date(2026, 1, 1), end=date(2026, 12, 31)) == []


def test_lost_and_at_risk_customers_land_on_the_watch_list(world, make_customer, tiers, defaults):
    c = make_customer(world.rm, world.t1, tier=tiers["gold"], stage=Stage.ACTIVE, aum=Decimal("1000000"))
    _set_stage(world.rm, c, Stage.AT_RISK)
    entry = WatchEntry.objects.get(customer=c, status=WatchStatus.OPEN)
    assert entry.reason == "at_risk" and entry.assigned_to == world.rm
    _set_stage(world.rm, c, Stage.LOST)
    c.save()  # a save that is no stage change is no event
    _set_stage(world.rm, c, Stage.LOST)
    assert ChurnEvent.objects.filter(customer=c).count() == 1  # recorded once
    # the periodic scan catches customers changed without signals (bulk updates), and the AUM rule
    d = make_customer(world.rm, world.t1, tier=tiers["gold"], stage=Stage.ACTIVE, aum=Decimal("900000"))
    type(d).objects.filter(pk=d.pk).update(aum=Decimal("0"))
    res = churn.scan()
    assert res["churned"] == 1 and ChurnEvent.objects.filter(customer=d).exists()
    assert churn.scan()["churned"] == 0


def test_watch_list_actions_and_scope(world, make_customer, defaults):
    c = make_customer(world.rm, world.t1, stage=Stage.ACTIVE)
    entry = churn.add_to_watch(world.lead, customer_id=c.pk, reason="manual", note="大额资金转出")
    with pytest.raises(ValidationError):
        churn.add_to_watch(world.lead, customer_id=c.pk)
    action = churn.add_retention_action(
        world.lead, entry.pk, kind="visit", description="行领导陪同拜访", due_on=date(2026, 7, 1)
    )
    assert action.assigned_to == world.rm
    churn.complete_action(world.rm, action.pk, result="客户同意续存")
    entry.refresh_from_db()  # the new action moved its version on
    with pytest.raises(StaleVersion):
        churn.close_watch(world.rm, entry.pk, status="retained", outcome="挽留成功", version=entry.version - 1)
    churn.close_watch(world.rm, entry.pk, status="retained", outcome="挽留成功", version=entry.version)
    entry.refresh_from_db()
    assert entry.status == WatchStatus.RETAINED
    from django.http import Http404

    with pytest.raises(Http404):
        churn.close_watch(world.rm2, entry.pk, status="lost", version=entry.version)
    with pytest.raises(PermissionDenied):
        churn.add_retention_action(world.risk, entry.pk, kind="call", description="x", due_on=date(2026, 7, 1))


def test_the_aum_floor_only_churns_customers_tiered_on_a_balance(world, make_customer, tiers, defaults):
    """A subscriber tiered on the monthly bill (telecom) or an outlet on its sales (tobacco) holds no AUM:
    the scan must not call it lost for that; a bank customer tiered on AUM still churns below the floor,
    and a subscriber lost by stage recovers when it is active again, AUM or not."""
    rs = TierRuleSet.objects.create(code="t_vip", name="VIP", kind="individual", metric="monthly_spend")
    vip = Tier.objects.create(rule_set=rs, code="gold", name="金卡", rank=3, threshold=Decimal("500"))
    sub = make_customer(world.rm, world.t1, tier=vip, stage=Stage.ACTIVE, aum=Decimal("0"))
    bank = make_customer(world.rm, world.t1, tier=tiers["gold"], stage=Stage.ACTIVE, aum=Decimal("900000"))
    type(bank).objects.filter(pk=bank.pk).update(aum=Decimal("0"))
    res = churn.scan()
    assert res["churned"] == 1
    assert ChurnEvent.objects.filter(customer=bank).exists() and not ChurnEvent.objects.filter(customer=sub).exists()
    type(sub).objects.filter(pk=sub.pk).update(stage=Stage.LOST)
    assert churn.scan()["churned"] == 1 and ChurnEvent.objects.filter(customer=sub, recovered_on=None).exists()
    type(sub).objects.filter(pk=sub.pk).update(stage=Stage.ACTIVE)
    assert churn.scan()["recovered"] == 1
    assert ChurnEvent.objects.get(customer=sub).recovered_on is not None
    assert ChurnEvent.objects.get(customer=bank).recovered_on is None  # still below the floor
