"""The key-account (B2B) pack (issue 19; seeds 002, 004): it loads on an empty database and a second load changes
nothing; key-account qualification is computed from the archive's figures (volume, margin, growth, share of
wallet, credit standing, payment cycle) with a reason per criterion, on the 360° page and through the API
(404 out of scope, 422 on a bad rule); an invalid qualification rule in a pack writes nothing. The demo signs
framework agreements through the review chain with their quarterly installments, payments and one follow-up."""

import io
import shutil
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.forms.models import model_to_dict
from django.utils import timezone
from hypothesis import HealthCheck, given, settings, strategies as st

from rmdesk.contracts import services as contracts
from rmdesk.contracts.models import Contract, ContractPolicy, Installment
from rmdesk.core.models import AuditEvent
from rmdesk.core.packs import registry
from rmdesk.customers.models import CREDIT_GRADES, Contact, Customer, QualificationRule, Tier, TierRuleSet
from rmdesk.customers.services.qualification import criteria_errors, evaluate, qualification_for
from rmdesk.packs import services
from rmdesk.packs.models import PackLoad
from rmdesk.work.models import CadenceRule, Journal, JournalTemplate

# figures that pass every criterion of the shipped rule (volume ≥ 3,000,000; margin ≥ 12 %; growth ≥ 5 %;
# share ≥ 20 %; credit ≥ A (veto); payment ≤ 60 days (veto); pass mark 70)
GOOD = {
    "ka_volume": Decimal("8000000"),
    "ka_margin": Decimal("18.50"),
    "ka_growth": Decimal("12.00"),
    "ka_wallet_share": Decimal("35.00"),
    "ka_credit_standing": "AA",
    "ka_payment_days": 45,
}


def configuration() -> dict:
    return {
        section: sorted(repr(sorted(model_to_dict(o).items())) for o in pm.model._default_manager.all())
        for section, pm in registry().items()
    }


@pytest.fixture
def rule(db):
    services.apply_pack("key_account")
    return QualificationRule.objects.get(code="key_account")


def test_loads_on_an_empty_database_and_a_second_load_changes_nothing(db):
    out = io.StringIO()
    call_command("load_pack", "key_account", "--check", stdout=out)
    assert "(check only)" in out.getvalue()
    assert not QualificationRule.objects.filter(code="key_account").exists()  # --check keeps nothing
    first = services.apply_pack("key_account")
    assert first.changed and not first.kept
    before, loads, events = configuration(), PackLoad.objects.count(), AuditEvent.objects.count()
    second = services.apply_pack("key_account")
    assert not second.changed and second.unchanged == services.read_pack("key_account").count()
    assert (configuration(), PackLoad.objects.count(), AuditEvent.objects.count()) == (before, loads, events)


def test_the_pack_sets_tiers_cadence_plans_and_words(db):
    services.apply_pack("key_account")
    ka = TierRuleSet.objects.get(code="key_account")
    assert ka.is_active and ka.kind == "corporate" and ka.metric == "annual_volume"
    assert not TierRuleSet.objects.get(code="bank_corporate").is_active  # one set in use per kind
    assert list(Tier.objects.filter(rule_set=ka).order_by("-rank").values_list("code", flat=True)) == [
        "ka_strategic",
        "ka_core",
        "ka_key",
        "ka_general",
    ]
    assert CadenceRule.objects.get(rule_set_code="key_account", tier_code="ka_strategic").interval_days == 14
    plans = dict(JournalTemplate.objects.filter(code__startswith="ka_dev_plan").values_list("code", "period"))
    assert plans == {"ka_dev_plan_3m": "quarter", "ka_dev_plan_6m": "half", "ka_dev_plan_12m": "year"}
    assert JournalTemplate.objects.get(code="ka_special_maintenance").required
    words = services.words_of("key_account")
    assert (words.customer, words.manager) == ("大客户", "大客户经理")


def test_qualified_when_every_figure_reaches_its_threshold(rule, world, make_customer):
    c = make_customer(world.rm, kind="corporate", **GOOD)
    _customer, q = qualification_for(world.rm, c.pk)
    assert q.qualified and q.score == Decimal("100.00") and q.reasons == []
    assert [r.code for r in q.criteria] == ["volume", "margin", "growth", "wallet_share", "credit", "payment_days"]
    assert all(r.passed for r in q.criteria)
    volume = q.criteria[0]
    assert volume.value == "8,000,000.00" and "达标" in volume.reason


def test_not_qualified_below_the_pass_mark_with_the_reason_per_criterion(rule, world, make_customer):
    # volume, margin and growth fail (25 + 20 + 15 = 60 of 100 lost): score 40 < 70
    c = make_customer(
        world.rm,
        kind="corporate",
        **{**GOOD, "ka_volume": Decimal("1000000"), "ka_margin": Decimal("8"), "ka_growth": Decimal("-3")},
    )
    _customer, q = qualification_for(world.rm, c.pk)
    assert not q.qualified and q.score == Decimal("40.00")
    failed = {r.code: r.reason for r in q.criteria if not r.passed}
    assert set(failed) == {"volume", "margin", "growth"}
    assert failed["margin"] == "未达标：8.00% 低于要求的 12.00%。"
    assert q.reasons == ["得分 40.00 低于合格分 70.00。"]


def test_a_required_criterion_vetoes_a_high_score(rule, world, make_customer):
    # everything passes but the payment cycle (10 of 100): score 90, yet "老是延期付款" disqualifies
    c = make_customer(world.rm, kind="corporate", **{**GOOD, "ka_payment_days": 61})
    _customer, q = qualification_for(world.rm, c.pk)
    assert q.score == Decimal("90.00") and not q.qualified
    assert q.reasons == ["一票否决项未达标：回款周期。"]
    assert next(r for r in q.criteria if r.code == "payment_days").reason == "未达标：61天 超过上限 60天。"


def test_missing_figures_fail_their_criteria_and_are_never_guessed(rule, world, make_customer):
    c = make_customer(world.rm, kind="corporate")
    _customer, q = qualification_for(world.rm, c.pk)
    assert not q.qualified and q.score == Decimal("0.00")
    assert all(not r.passed and r.value is None and r.reason.startswith("缺少数据") for r in q.criteria)


@pytest.mark.parametrize(
    ("field", "at_boundary", "past_boundary"),
    [
        ("ka_volume", Decimal("3000000.00"), Decimal("2999999.99")),
        ("ka_margin", Decimal("12.00"), Decimal("11.99")),
        ("ka_growth", Decimal("5.00"), Decimal("4.99")),
        ("ka_wallet_share", Decimal("20.00"), Decimal("19.99")),
        ("ka_credit_standing", "A", "BBB"),
        ("ka_payment_days", 60, 61),
    ],
)
def test_boundary_values_pass_and_one_step_past_fails(rule, field, at_boundary, past_boundary):
    metric = {
        "ka_volume": "volume",
        "ka_margin": "margin",
        "ka_growth": "growth",
        "ka_wallet_share": "wallet_share",
        "ka_credit_standing": "credit_standing",
        "ka_payment_days": "payment_days",
    }[field]
    figures = {
        "volume": GOOD["ka_volume"],
        "margin": GOOD["ka_margin"],
        "growth": GOOD["ka_growth"],
        "wallet_share": GOOD["ka_wallet_share"],
        "credit_standing": GOOD["ka_credit_standing"],
        "payment_days": GOOD["ka_payment_days"],
    }
    at = evaluate(rule, {**figures, metric: at_boundary})
    past = evaluate(rule, {**figures, metric: past_boundary})
    assert next(r for r in at.criteria if r.metric == metric).passed
    assert not next(r for r in past.criteria if r.metric == metric).passed
    assert at.qualified and at.score == Decimal("100.00")
    assert past.score < at.score


def _rule_of(criteria, pass_mark="70"):
    return QualificationRule(code="t", name="t", kind="corporate", pass_mark=Decimal(pass_mark), criteria=criteria)


amounts = st.decimals(min_value=Decimal("-1000000"), max_value=Decimal("100000000"), places=2)
figures_st = st.fixed_dictionaries(
    {
        "volume": st.none() | amounts,
        "margin": st.none() | amounts,
        "growth": st.none() | amounts,
        "wallet_share": st.none() | amounts,
        "credit_standing": st.sampled_from(["", *CREDIT_GRADES]),
        "payment_days": st.none() | st.integers(min_value=0, max_value=10_000),
    }
)


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(figures=figures_st)
def test_the_score_is_the_passed_weight_share_and_the_verdict_follows_it(rule, figures):
    q = evaluate(rule, figures)
    total = sum(Decimal(str(c["weight"])) for c in rule.criteria)
    passed = sum(r.weight for r in q.criteria if r.passed)
    assert q.score == (passed / total * 100).quantize(Decimal("0.01"))
    assert Decimal("0") <= q.score <= Decimal("100")
    vetoed = any(r.required and not r.passed for r in q.criteria)
    assert q.qualified == (q.score >= q.pass_mark and not vetoed)
    assert q.qualified == (not q.reasons)
    for r in q.criteria:  # each criterion agrees with a direct comparison of its figure
        raw = figures[r.metric]
        if raw in (None, ""):
            assert not r.passed
        elif r.metric == "credit_standing":
            assert r.passed == (CREDIT_GRADES.index(raw) <= CREDIT_GRADES.index(r.threshold))
        elif r.op == "gte":
            assert r.passed == (Decimal(raw) >= Decimal(r.threshold))
        else:
            assert r.passed == (Decimal(raw) <= Decimal(r.threshold))


def test_criteria_are_validated_and_a_bad_rule_in_a_pack_writes_nothing(db, tmp_path, monkeypatch):
    assert criteria_errors([]) == ["请至少设置一项认定标准（列表）。"]
    problems = criteria_errors(
        [
            {"code": "a", "metric": "volume", "op": "gte", "threshold": "x", "weight": 10},
            {"code": "a", "metric": "credit_standing", "threshold": "Z", "weight": 0},
            {"code": "b", "metric": "nope", "op": "eq", "threshold": "1", "weight": 1, "colour": "red"},
        ]
    )
    assert "第 1 项：门槛应为数字。" in problems
    assert "第 2 项：代码“a”重复。" in problems
    assert any(p.startswith("第 2 项：资信门槛应为") for p in problems)
    assert "第 2 项：权重应为大于 0、不超过 1000 的数。" in problems
    assert {"第 3 项：指标无效。", "第 3 项：未知字段 colour。"} <= set(problems)
    assert "第 3 项：比较方式应为 gte（不低于）或 lte（不高于）。" in problems

    target = tmp_path / "packs"
    shutil.copytree(services.DATA_DIR, target)
    monkeypatch.setattr(services, "DATA_DIR", target)
    services.words_of.cache_clear()
    text = (target / "key_account.toml").read_text()
    (target / "key_account.toml").write_text(text.replace('threshold = "A"', 'threshold = "Z"', 1))
    before = configuration()
    with pytest.raises(services.PackInvalid) as exc:
        services.apply_pack("key_account")
    assert any(k.startswith("qualification_rules[0]") for k in exc.value.message_dict)
    assert configuration() == before


# --- the 360° page and the API ---------------------------------------------------------------------------


def test_the_360_page_shows_the_verdict_reasons_and_the_stakeholder_map(rule, world, make_customer, client):
    c = make_customer(world.rm, kind="corporate", **{**GOOD, "ka_credit_standing": "BB"})
    Contact.objects.create(
        customer=c, name="王总", title="总经理", role="decision_maker", attitude="supporter", influence="high"
    )
    client.force_login(world.rm)
    html = client.get(f"/customers/{c.pk}/").content.decode()
    assert 'data-testid="slot-qualification"' in html
    assert "不符合大客户资格" in html and "一票否决项未达标：资信状况。" in html
    assert "未达标：资信 BB 低于要求的 A。" in html
    assert "王总" in html and "支持" in html and 'data-testid="few-contacts"' in html


def test_the_slot_is_hidden_for_a_kind_without_a_rule(rule, world, make_customer, client):
    c = make_customer(world.rm, kind="individual")
    client.force_login(world.rm)
    assert 'data-testid="slot-qualification"' not in client.get(f"/customers/{c.pk}/").content.decode()


def test_api_answers_the_qualification_in_scope(rule, world, make_customer, api_client):
    c = make_customer(world.rm, kind="corporate", **GOOD)
    resp = api_client(world.rm).get(f"/api/customers/{c.pk}/qualification")
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["applicable"] and body["qualified"] and body["rule_code"] == "key_account"
    assert Decimal(body["score"]) == Decimal("100") and len(body["criteria"]) == 6
    assert body["criteria"][5] == {
        "code": "payment_days",
        "metric": "payment_days",
        "label": "回款周期",
        "op": "lte",
        "threshold": "60",
        "value": "45",
        "unit": "天",
        "weight": "10",
        "required": True,
        "passed": True,
        "reason": "达标：45天，不高于 60天。",
    }
    assert AuditEvent.objects.filter(action="customers.view", object_id=str(c.pk)).exists()  # a logged view
    person = make_customer(world.rm, kind="individual")
    assert api_client(world.rm).get(f"/api/customers/{person.pk}/qualification").json() == {
        "customer_id": person.pk,
        "applicable": False,
        "rule_code": None,
        "rule_name": None,
        "pass_mark": None,
        "score": None,
        "qualified": None,
        "reasons": [],
        "criteria": [],
    }


def test_api_404_out_of_scope_same_as_missing(rule, world, make_customer, api_client):
    c = make_customer(world.rm, kind="corporate", **GOOD)
    outsider = api_client(world.rm2)
    out_of_scope = outsider.get(f"/api/customers/{c.pk}/qualification")
    missing = outsider.get(f"/api/customers/{Customer.objects.order_by('-pk').first().pk + 1000}/qualification")
    assert out_of_scope.status_code == missing.status_code == 404
    assert out_of_scope.json() == missing.json()


def test_api_422_on_a_bad_rule(rule, world, make_customer, api_client):
    c = make_customer(world.rm, kind="corporate", **GOOD)
    rm = api_client(world.rm)
    unknown = rm.get(f"/api/customers/{c.pk}/qualification?rule=nope")
    assert unknown.status_code == 422
    assert any(item["loc"][-1] == "rule" for item in unknown.json()["detail"]), unknown.json()
    QualificationRule.objects.create(
        code="persons",
        name="个人",
        kind="individual",
        criteria=[{"code": "v", "metric": "volume", "threshold": "1", "weight": 1}],
    )
    other_kind = rm.get(f"/api/customers/{c.pk}/qualification?rule=persons")
    assert other_kind.status_code == 422
    assert rm.get(f"/api/customers/{c.pk}/qualification?rule={'x' * 31}").status_code == 422


# --- the demo's main flow ----------------------------------------------------------------------------------


def test_seed_demo_key_account_builds_accounts_whose_qualification_is_computed_from_their_figures(db, client):
    from rmdesk.org.models import OrgUnit, User

    out = io.StringIO()
    call_command("seed_demo", pack="key_account", scale=0.25, stdout=out)
    assert "ka_rm" in out.getvalue()
    root = OrgUnit.objects.get(code="KAC")
    accounts = Customer.objects.filter(org_path__startswith=root.path).order_by("customer_no")
    rm = User.objects.get(username="ka_rm")
    verdicts = {c.customer_no: qualification_for(rm, c.pk)[1] for c in accounts.filter(a_rm=rm)}
    assert len(verdicts) == 8
    qualified = [no for no, q in verdicts.items() if q.qualified]
    assert len(qualified) == 5
    failed = sorted(" ".join(q.reasons) for q in verdicts.values() if not q.qualified)
    assert len(failed) == 3
    assert failed[0].startswith("一票否决项未达标：") and failed[1].startswith("一票否决项未达标：")
    assert {failed[0], failed[1]} == {"一票否决项未达标：回款周期。", "一票否决项未达标：资信状况。"}
    assert failed[2].startswith("得分 ") and "低于合格分 70.00" in failed[2]
    assert {c.tier.rule_set.code for c in accounts} == {"key_account"}  # tiered by annual volume
    sizes = sorted(c.contacts.count() for c in accounts.filter(a_rm=rm))
    assert sizes[0] == 2 and all(3 <= n <= 5 for n in sizes[1:])  # one account short of 3: the page warns
    assert Contact.objects.filter(customer__in=accounts, role="blocker", attitude="opponent").exists()
    assert Journal.objects.filter(owner=rm, template__code="ka_dev_plan_3m").exclude(content__actions="").exists()
    assert Journal.objects.filter(owner=rm, template__code="ka_special_maintenance").exists()
    drafts = Contract.objects.filter(customer__in=accounts, kind="framework")
    assert drafts.count() == 4 and all(d.amount == d.customer.ka_volume for d in drafts)
    # taken through the review chain (法律审查 → 审核 → 审批) and signed, from the pack's framework template
    assert {(d.status, d.approval.status, d.template.version) for d in drafts} == {("signed", "approved", 2)}
    assert all(d.signed_scan and d.versions.get().sha256 for d in drafts)
    today = timezone.localdate()
    items = Installment.objects.filter(contract__in=drafts)
    assert items.count() == 16 and all(sum(i.amount for i in d.installments.all()) == d.amount for d in drafts)
    past = items.filter(due_on__lt=today)
    assert past.count() == 8  # two quarters of each agreement are behind us
    late = contracts.overdue_installments(items).get()
    assert late.contract.rm == rm and late.paid == (late.amount * Decimal("0.6")).quantize(Decimal("0.01"))
    assert late.follow_ups.get().next_on > today
    assert all(i.paid == i.amount for i in past.exclude(pk=late.pk))
    manager = User.objects.get(username="ka_manager")
    start = past.order_by("due_on").first().due_on
    (row,) = contracts.collection_table(manager, start, today, by="unit")
    due, paid = sum(i.amount for i in past), sum(i.paid for i in past)
    assert (row["due"], row["collected"], row["bad"]) == (due, paid, 0)
    assert abs(Decimal(str(row["collection_rate"])) - paid / due * 100) < Decimal("0.01")
    assert ContractPolicy.current().collection_target == 95  # the pack's policy, judged on the page
    assert row["collection_ok"] == (paid / due * 100 >= 95)
    client.force_login(rm)
    page = client.get(f"/customers/{accounts.filter(a_rm=rm).first().pk}/").content.decode()
    assert "符合大客户资格" in page and 'data-testid="slot-qualification"' in page
    before = (Customer.objects.count(), Contact.objects.count(), AuditEvent.objects.count())
    call_command("seed_demo", pack="key_account", scale=0.25, stdout=io.StringIO())
    assert (Customer.objects.count(), Contact.objects.count(), AuditEvent.objects.count()) == before
