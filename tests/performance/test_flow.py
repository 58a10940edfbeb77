"""The assessment engine end to end on hand-made figures (SPEC §9): exact scores, grades and ranks, the
snapshot that publication freezes, qualitative scoring, appeals through the approval chain, pay sheets,
promotion advice after two periods, target letters and manual indicators."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from rmdesk.core import approvals
from rmdesk.core.indicators import Measure
from rmdesk.org.models import RoleCode, User
from rmdesk.performance import services
from rmdesk.performance.models import (
    AdviceStatus,
    Appeal,
    AppealStatus,
    AssessmentResult,
    LetterStatus,
    LevelAdvice,
    PayRule,
    ResultItem,
    RunStatus,
)
from tests.conftest import make_user

from .conftest import VALUES, item, month, ver

pytestmark = pytest.mark.django_db
D = Decimal


def _data():
    VALUES.update(
        {
            "t.sales": {"rm": Measure(D(80)), "rm_b": Measure(D(120))},
            "t.complaints": {"rm": Measure(D(1)), "rm_b": Measure(D(6))},
            "t.coverage": {"rm": Measure.ratio(60, 100), "rm_b": Measure.ratio(20, 100)},
            "t.violations": {"rm": Measure(D(1))},
        }
    )


def _results(run):
    return {r.rm.username: r for r in run.results.select_related("rm")}


def _attitude(card):
    return card.items.get(kind="qualitative")


def _score(world, card, run, username, value):
    r = _results(run)[username]
    return services.score_qualitative(world.lead, r.pk, scores={str(_attitude(card).pk): value}, version=r.version)


def test_exact_scores_grades_and_ranks(world, card):
    _data()
    run = month(world, card)
    _score(world, card, run, "rm", 90)
    res = _results(run)
    assert set(res) == {"rm", "rm_b"}  # rm_t1b is in team T1b, outside the unit assessed
    rm, rm_b = res["rm"], res["rm_b"]
    # rm: 100·(0.8·0.5 + 0.75·0.2 + 1.2·0.2 + 0.9·0.1) = 88, minus 1 violation × 5 points
    assert (rm.gross, rm.deductions, rm.score) == (D("88"), D("5"), D("83"))
    # rm_b: sales clipped to μ 1, complaints reversed to μ 0, coverage 20/50 = 0.4, no attitude score
    assert (rm_b.gross, rm_b.deductions, rm_b.score) == (D("58"), D("0"), D("58"))
    assert (rm.grade, rm_b.grade) == ("good", "fail")
    assert (rm.rank_unit, rm_b.rank_unit, rm.rank_team, rm_b.rank_team) == (1, 2, 1, 2)
    points = {i.code or i.name: (i.mu, i.points) for i in rm.items.all()}
    assert points["t.sales"] == (D("0.8"), D("40"))
    assert points["t.complaints"] == (D("0.75"), D("15"))
    assert points["t.coverage"] == (D("1.2"), D("24"))
    assert points["工作态度"] == (D("0.9"), D("9"))
    assert points["t.violations"] == (D("0"), D("-5"))
    coverage = rm.items.get(code="t.coverage")
    assert (coverage.numerator, coverage.denominator, coverage.target) == (D(60), D(100), D(50))


def test_recompute_keeps_qualitative_scores(world, card):
    _data()
    run = month(world, card)
    _score(world, card, run, "rm", 90)
    VALUES["t.sales"]["rm"] = Measure(D(100))
    run = month(world, card)
    assert _results(run)["rm"].score == D("93")  # +10 from sales, attitude 90 kept


def test_snapshot_is_frozen_after_publication(world, card):
    _data()
    run = month(world, card)
    services.review_run(world.lead, run.pk, version=ver(run))
    services.publish_run(world.lead, run.pk, version=ver(run))
    before = list(ResultItem.objects.filter(result__run=run).order_by("id").values_list("value", "mu", "points"))
    score = _results(run)["rm"].score
    VALUES["t.sales"]["rm"] = Measure(D(0))  # the data changes later
    with pytest.raises(ValidationError) as exc:
        month(world, card)
    assert "status" in exc.value.message_dict
    r = _results(run)["rm"]
    with pytest.raises(ValidationError):
        services.score_qualitative(world.lead, r.pk, scores={str(_attitude(card).pk): 10}, version=r.version)
    assert _results(run)["rm"].score == score
    assert (
        list(ResultItem.objects.filter(result__run=run).order_by("id").values_list("value", "mu", "points")) == before
    )


def test_publish_needs_review_and_rm_sees_only_published(world, card):
    from rmdesk.performance.scope import visible_results

    _data()
    run = month(world, card)
    assert not visible_results(world.rm).exists()
    with pytest.raises(ValidationError):
        services.publish_run(world.lead, run.pk, version=ver(run))
    services.review_run(world.lead, run.pk, version=ver(run))
    services.publish_run(world.lead, run.pk, version=ver(run))
    assert list(visible_results(world.rm).values_list("rm__username", flat=True)) == ["rm"]
    with pytest.raises(ValidationError):  # appeal window still open
        services.close_run(world.lead, run.pk, version=ver(run))


def _published(world, card):
    _data()
    run = month(world, card)
    services.review_run(world.lead, run.pk, version=ver(run))
    return services.publish_run(world.lead, run.pk, version=ver(run))


def test_appeal_upheld_then_revised(world, card):
    run = _published(world, card)
    r = _results(run)["rm"]
    with pytest.raises(Http404):  # another RM's result is out of scope
        services.appeal(world.rm_b, r.pk, reason="不是我的")
    appeal = services.appeal(world.rm, r.pk, reason="工作态度评分有误")
    assert appeal.status == AppealStatus.PENDING and appeal.request_id
    with pytest.raises(ValidationError):
        services.appeal(world.rm, r.pk, reason="再次申诉")
    with pytest.raises(PermissionDenied):  # maker-checker: the RM cannot decide their own appeal
        approvals.decide(world.rm, appeal.request_id, "approve")
    approvals.decide(world.lead, appeal.request_id, "approve", opinion="同意重新评分")
    assert Appeal.objects.get(pk=appeal.pk).status == AppealStatus.UPHELD
    r = AssessmentResult.objects.get(pk=r.pk)
    services.revise_result(world.lead, r.pk, scores={str(_attitude(card).pk): 100}, version=r.version)
    r = AssessmentResult.objects.get(pk=r.pk)
    assert (r.score, r.grade) == (D("84"), "good")  # attitude 100 adds 10 points
    with pytest.raises(ValidationError):  # once only
        services.revise_result(world.lead, r.pk, scores={str(_attitude(card).pk): 100}, version=r.version)
    # rm_b's published result did not move
    assert _results(run)["rm_b"].score == D("58")


def test_rejected_appeal_changes_nothing(world, card):
    run = _published(world, card)
    r = _results(run)["rm"]
    appeal = services.appeal(world.rm, r.pk, reason="不服")
    approvals.decide(world.lead, appeal.request_id, "reject", opinion="评分有据")
    assert Appeal.objects.get(pk=appeal.pk).status == AppealStatus.REJECTED
    with pytest.raises(ValidationError):
        services.revise_result(world.lead, r.pk, scores={str(_attitude(card).pk): 100}, version=ver(r))


def test_pay_sheet_totals(world, card):
    run = _published(world, card)
    PayRule.objects.all().delete()
    sales = card.items.get(indicator__code="t.sales").indicator
    cover = card.items.get(indicator__code="t.coverage").indicator
    PayRule.objects.create(kind="post", rm_level="2", amount=D("4500"))
    PayRule.objects.create(kind="post", rm_level="3", amount=D("3000"))
    PayRule.objects.create(kind="price", indicator=sales, amount=D("12.5"))
    PayRule.objects.create(kind="reward", indicator=cover, amount=D("800"), threshold=D("50"))
    PayRule.objects.create(kind="defer", amount=D("30"))
    lines = {line.result.rm.username: line for line in services.compute_pay(world.lead, run.pk)}
    rm, rm_b = lines["rm"], lines["rm_b"]  # rm is level 2, rm_b level 3
    assert (rm.post_pay, rm.performance_pay, rm.reward_pay) == (D("4500"), D("1000.00"), D("800"))
    assert (rm.total, rm.deferred, rm.paid_now) == (D("6300.00"), D("540.00"), D("5760.00"))
    assert (rm_b.post_pay, rm_b.performance_pay, rm_b.reward_pay) == (D("3000"), D("1500.00"), D("0"))
    assert (rm_b.total, rm_b.deferred, rm_b.paid_now) == (D("4500.00"), D("450.00"), D("4050.00"))
    assert sum(x.total for x in lines.values()) == D("10800.00")


def test_pay_needs_publication(world, card):
    _data()
    run = month(world, card)
    with pytest.raises(ValidationError):
        services.compute_pay(world.lead, run.pk)


def _annual(world, test_indicators, year, sales):
    t = test_indicators
    card = services.save_scorecard(
        world.lead,
        name="年度考核",
        year=year,
        period_type="annual",
        unit_id=world.t1.pk,
        items=[item(t["t.sales"], weight="1", x_low="0", x_high="100")],
    )
    VALUES["t.sales"] = {"rm": Measure(D(sales)), "rm_b": Measure(D(10))}
    run = services.compute_run(world.lead, card.pk, unit_id=world.t1.pk, year=year)
    services.review_run(world.lead, run.pk, version=ver(run))
    return services.publish_run(world.lead, run.pk, version=ver(run))


def test_promotion_advice_after_two_annual_excellent(world, test_indicators):
    _annual(world, test_indicators, 2024, 95)
    assert not LevelAdvice.objects.exists()  # one 优秀 is not enough
    _annual(world, test_indicators, 2025, 92)
    up = LevelAdvice.objects.get(rm=world.rm)
    assert (up.move, up.from_level, up.to_level) == ("up", "2", "1")
    down = LevelAdvice.objects.get(rm=world.rm_b)  # 不合格 twice: demoted from 三级 (removal)
    assert (down.move, down.from_level, down.to_level) == ("down", "3", "")
    _annual(world, test_indicators, 2026, 99)
    assert LevelAdvice.objects.filter(rm=world.rm).count() == 1  # no repeat while one is open
    # the level changes only on approval, through the chain (supervisor, then branch manager one level up)
    head = make_user("branch_head", [RoleCode.BRANCH_MANAGER], world.br, qualified=False)
    advice = services.submit_advice(world.lead, up.pk, version=up.version)
    assert User.objects.get(pk=world.rm.pk).rm_level == "2"
    with pytest.raises(PermissionDenied):  # maker-checker
        approvals.decide(world.lead, advice.request_id, "approve")
    approvals.decide(world.manager, advice.request_id, "approve")
    assert User.objects.get(pk=world.rm.pk).rm_level == "2"
    approvals.decide(head, advice.request_id, "approve")
    assert User.objects.get(pk=world.rm.pk).rm_level == "1"
    assert LevelAdvice.objects.get(pk=up.pk).status == AdviceStatus.APPROVED


def test_letter_signed_by_both_then_changed_by_an_approved_version(world, card, test_indicators):
    sales = test_indicators["t.sales"]
    letter = services.propose_letter(
        world.lead, rm_id=world.rm.pk, year=2026, targets=[{"indicator_id": sales.pk, "annual": "1200"}]
    )
    assert letter.status == LetterStatus.SIGNING
    line = letter.lines.get()
    assert [D(q) for q in line.quarters] == [D(300)] * 4 and [D(m) for m in line.months] == [D(100)] * 12
    with pytest.raises(ValidationError):
        services.sign_letter(world.rm, letter.pk, text_hash="0" * 64, version=ver(letter))
    services.sign_letter(world.rm, letter.pk, text_hash=letter.text_hash, version=ver(letter))
    services.sign_letter(world.lead, letter.pk, text_hash=letter.text_hash, version=ver(letter))
    letter.refresh_from_db()
    assert letter.status == LetterStatus.ACTIVE and letter.rm_signed_at and letter.supervisor_signed_at
    # the letter's monthly target replaces the scorecard's default in a completion item
    card2 = services.save_scorecard(
        world.lead,
        name="完成率",
        year=2026,
        period_type="monthly",
        unit_id=world.t1.pk,
        items=[item(sales, weight="1", normalisation="completion", target="1000", cap="1")],
    )
    VALUES["t.sales"] = {"rm": Measure(D(80))}
    run = services.compute_run(world.lead, card2.pk, unit_id=world.t1.pk, year=2026, number=3)
    assert _results(run)["rm"].score == D("80")  # 80 of the month's 100
    # a change is a new version, approved first, then signed; the old one is superseded
    change = services.propose_letter(
        world.lead,
        rm_id=world.rm.pk,
        year=2026,
        targets=[
            {
                "indicator_id": sales.pk,
                "annual": "1000",
                "quarters": ["100", "300", "300", "300"],
                "months": ["20", "40", "40"] + ["100"] * 9,
            }
        ],
    )
    assert change.status == LetterStatus.PENDING and change.number == 2
    approvals.decide(world.manager, change.request_id, "approve")
    change.refresh_from_db()
    assert change.status == LetterStatus.SIGNING
    services.sign_letter(world.rm, change.pk, text_hash=change.text_hash, version=ver(change))
    services.sign_letter(world.lead, change.pk, text_hash=change.text_hash, version=ver(change))
    letter.refresh_from_db()
    assert letter.status == LetterStatus.SUPERSEDED
    run = services.compute_run(world.lead, card2.pk, unit_id=world.t1.pk, year=2026, number=3)
    assert _results(run)["rm"].score == D("100")  # 80 of 40, capped at 1


def test_letter_split_must_add_up(world, test_indicators):
    sales = test_indicators["t.sales"]
    with pytest.raises(ValidationError) as exc:
        services.propose_letter(
            world.lead,
            rm_id=world.rm.pk,
            year=2026,
            targets=[{"indicator_id": sales.pk, "annual": "100", "quarters": ["10", "10", "10", "10"]}],
        )
    assert "targets.0.quarters" in exc.value.message_dict
    with pytest.raises(ValidationError):  # rm2 is not in lead's team
        services.propose_letter(
            world.lead, rm_id=world.rm2.pk, year=2026, targets=[{"indicator_id": sales.pk, "annual": "1"}]
        )


def test_manual_indicator_entered_with_a_note(world, test_indicators, manual_indicator):
    with pytest.raises(ValidationError) as exc:
        services.enter_manual_value(
            world.lead, manual_indicator.pk, rm_id=world.rm.pk,
            period_start=date(2026, 3, 1), period_end=date(2026, 3, 31), value="80", note=" ",
        )  # fmt: skip
    assert "note" in exc.value.message_dict
    services.enter_manual_value(
        world.lead, manual_indicator.pk, rm_id=world.rm.pk,
        period_start=date(2026, 3, 1), period_end=date(2026, 3, 31), value="80", note="季度检查得分",
    )  # fmt: skip
    card = services.save_scorecard(
        world.lead,
        name="检查",
        year=2026,
        period_type="monthly",
        unit_id=world.t1.pk,
        items=[item(manual_indicator, weight="1", x_low="0", x_high="100")],
    )
    run = services.compute_run(world.lead, card.pk, unit_id=world.t1.pk, year=2026, number=3)
    assert _results(run)["rm"].score == D("80") and _results(run)["rm_b"].score == D("0")
    with pytest.raises(ValidationError):  # outside the lead's team
        services.enter_manual_value(
            world.lead, manual_indicator.pk, rm_id=world.rm2.pk,
            period_start=date(2026, 3, 1), period_end=date(2026, 3, 31), value="1", note="x",
        )  # fmt: skip


def test_run_status_machine(world, card):
    run = _published(world, card)
    assert run.status == RunStatus.PUBLISHED and run.appeal_until > run.published_at.date()


def _past_window(run):
    from datetime import timedelta

    from django.utils import timezone

    from rmdesk.performance.models import AssessmentRun

    AssessmentRun.objects.filter(pk=run.pk).update(appeal_until=timezone.localdate() - timedelta(days=1))
    return AssessmentRun.objects.get(pk=run.pk)


def test_appeal_returned_then_withdrawn_in_inbox_does_not_block_close(world, card):
    """Bug of stop 24: the kernel's cancel calls no handler, so the appeal stayed 审批中 and held the run."""
    from rmdesk.core.models import ApprovalRequest

    run = _published(world, card)
    r = _results(run)["rm"]
    appeal = services.appeal(world.rm, r.pk, reason="工作态度评分有误")
    approvals.decide(world.lead, appeal.request_id, "return", opinion="请补充说明")
    req = ApprovalRequest.objects.get(pk=appeal.request_id)
    assert req.status == "returned"
    run = _past_window(run)
    with pytest.raises(ValidationError) as exc:  # returned but not withdrawn: still open, still blocks
        services.close_run(world.lead, run.pk, version=run.version)
    assert "申诉" in exc.value.message_dict["status"][0]
    approvals.act_in_inbox(world.rm, req.pk, "cancel", version=req.version)
    run = services.close_run(world.lead, run.pk, version=ver(run))
    assert run.status == RunStatus.CLOSED
    assert Appeal.objects.get(pk=appeal.pk).status == AppealStatus.WITHDRAWN
    from rmdesk.core.models import AuditEvent

    assert AuditEvent.objects.filter(action="performance.appeal_withdrawn", actor=world.rm).count() == 1


def test_withdraw_appeal_on_result_page_service(world, card):
    run = _published(world, card)
    r = _results(run)["rm"]
    appeal = services.appeal(world.rm, r.pk, reason="不服")
    approvals.decide(world.lead, appeal.request_id, "return", opinion="请补充")
    with pytest.raises(Http404):  # another RM cannot see it
        services.withdraw_appeal(world.rm_b, appeal.pk)
    services.withdraw_appeal(world.rm, appeal.pk)
    from rmdesk.core.models import ApprovalRequest

    assert Appeal.objects.get(pk=appeal.pk).status == AppealStatus.WITHDRAWN
    assert ApprovalRequest.objects.get(pk=appeal.request_id).status == "cancelled"
    with pytest.raises(ValidationError):  # once only
        services.withdraw_appeal(world.rm, appeal.pk)
    # a new appeal is allowed again within the window
    again = services.appeal(world.rm, r.pk, reason="补充说明后再次申诉")
    assert again.status == AppealStatus.PENDING
    services.withdraw_appeal(world.rm, again.pk)  # withdrawn while pending
    run = services.close_run(world.lead, _past_window(run).pk, version=ver(run))
    assert run.status == RunStatus.CLOSED
