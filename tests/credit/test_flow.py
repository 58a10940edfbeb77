"""The credit flow's rules one by one (SPEC §6, issue 12): submission refused with field-named errors
and nothing written, 审贷分离 (each forbidden decider), no override of a recommended rejection, two
investigators on large loans, the pledge's text and hash, return and resubmission, the loan and its
post-loan schedule."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from rmdesk.core import approvals
from rmdesk.core.models import ApprovalDecision, ApprovalStatus, AuditEvent
from rmdesk.credit import services
from rmdesk.credit.models import (
    AppStatus,
    ClassificationChange,
    CreditApplication,
    ImmutableRecord,
    Loan,
    Pledge,
    PostLoanCheck,
)
from rmdesk.org.models import RoleCode
from tests.conftest import make_user

from .conftest import complete, upload, ver

pytestmark = pytest.mark.django_db


def decide(user, app, decision, opinion="意见"):
    app.refresh_from_db()
    req = app.approval
    req.refresh_from_db()
    return approvals.decide(user, req.pk, decision, opinion=opinion, version=req.version)


def fields_of(err) -> set:
    return set(err.value.message_dict)


# --- creation ------------------------------------------------------------------------------------


def test_create_copies_the_six_seed_items_and_makes_the_rm_an_investigator(world, make_application):
    app = make_application()
    items = list(app.checklist.values_list("item", flat=True))
    assert len(items) == 6 and items[0] == "客户提供资料的真实性、完整性、有效性" and items[5] == "贷款风险及综合效益"
    assert list(app.investigators.all()) == [world.rm]
    assert app.status == AppStatus.DRAFT and app.org_path == world.t1.path
    assert AuditEvent.objects.filter(action="credit.application_create", object_id=str(app.pk)).exists()


@pytest.mark.parametrize(
    "amount, term, field",
    [
        (Decimal("5000"), 12, "amount"),  # below 10,000
        (Decimal("600000"), 12, "amount"),  # above 500,000
        (Decimal("100000"), 61, "term_months"),  # above 60 months
        (Decimal("100000"), 0, "term_months"),
    ],
)
def test_amount_and_term_outside_the_product_limits_are_refused(world, make_application, amount, term, field):
    with pytest.raises(ValidationError) as err:
        make_application(amount=amount, term_months=term)
    assert field in fields_of(err)
    assert not CreditApplication.objects.exists()


def test_a_customer_outside_the_rms_book_is_a_field_error(world, make_application, make_customer):
    other = make_customer(world.rm2, world.t2)
    with pytest.raises(ValidationError) as err:
        make_application(customer=other)
    assert fields_of(err) == {"customer_id"}


def test_read_only_roles_cannot_apply(world, products, make_customer):
    customer = make_customer(world.rm)
    with pytest.raises(PermissionDenied):
        services.create_application(
            world.risk,
            customer_id=customer.pk,
            product_id=products["PL01"].pk,
            amount=Decimal("100000"),
            term_months=12,
            purpose="x",
        )


# --- submission rules ------------------------------------------------------------------------------


def _refused(world, app, *fields):
    """Submitting is refused naming `fields`, and nothing is written."""
    app.refresh_from_db()
    before = (app.status, app.version, AuditEvent.objects.count())
    with pytest.raises(ValidationError) as err:
        services.submit(world.rm, app.pk, version=app.version)
    for f in fields:
        assert f in fields_of(err), (f, fields_of(err))
    app.refresh_from_db()
    assert (app.status, app.version, AuditEvent.objects.count()) == before
    assert app.approval_id is None
    return fields_of(err)


def test_an_empty_checklist_item_blocks_submission(world, make_application):
    app = make_application()
    complete(app, by=world.rm)
    entry = app.checklist.get(order=4)
    type(entry).objects.filter(pk=entry.pk).update(finding="", conclusion="")
    got = _refused(world, app, "checklist.4.finding", "checklist.4.conclusion")
    assert not any(k.startswith("checklist.1") for k in got)


def test_a_missing_required_material_blocks_submission(world, make_application):
    app = make_application()
    complete(app, by=world.rm, materials=False)
    services.add_material(world.rm, app.pk, kind="identity", file=upload())
    services.add_material(world.rm, app.pk, kind="income", file=upload())
    got = _refused(world, app, "materials.credit_report")
    assert "materials.identity" not in got


def test_no_recommendation_and_no_pledge_block_submission(world, make_application):
    app = make_application()
    for kind in app.product.required_materials:
        services.add_material(world.rm, app.pk, kind=kind, file=upload())
    for entry in app.checklist.all():
        services.record_checklist(world.rm, app.pk, order=entry.order, finding="f", conclusion="c", version=1)
    _refused(world, app, "recommendation", "pledges")


def test_limits_are_checked_again_at_submission(world, make_application, products):
    app = complete(make_application(), by=world.rm)
    products["PL01"].max_amount = Decimal("50000")
    products["PL01"].save()
    _refused(world, app, "amount")


def test_a_large_loan_needs_two_investigators_and_both_pledges(world, make_application):
    app = complete(make_application(amount=Decimal("300000")), by=world.rm)  # threshold 300,000 inclusive
    assert app.is_large
    _refused(world, app, "investigators")
    services.add_investigator(world.rm, app.pk, user_id=world.rm_b.pk, version=ver(app))
    got = _refused(world, app, "pledges")
    assert "investigators" not in got
    services.sign_pledge(world.rm_b, app.pk)
    app = services.submit(world.rm, app.pk, version=ver(app))
    assert app.status == AppStatus.IN_REVIEW and app.approval.status == ApprovalStatus.PENDING
    assert set(app.pledges.values_list("signer__username", flat=True)) == {"rm", "rm_b"}


def test_below_the_threshold_one_investigator_suffices(world, make_application):
    app = complete(make_application(amount=Decimal("299999.99")), by=world.rm)
    app = services.submit(world.rm, app.pk, version=ver(app))
    assert app.status == AppStatus.IN_REVIEW


def test_a_second_investigator_must_be_a_working_rm_of_the_same_branch(world, make_application):
    app = make_application()
    for person in (world.rm2, world.risk):  # another sub-branch; not an RM
        with pytest.raises(ValidationError) as err:
            services.add_investigator(world.rm, app.pk, user_id=person.pk, version=ver(app))
        assert fields_of(err) == {"user_id"}
    services.add_investigator(world.rm, app.pk, user_id=world.rm_t1b.pk, version=ver(app))
    with pytest.raises(ValidationError):
        services.add_investigator(world.rm, app.pk, user_id=world.rm_t1b.pk, version=ver(app))


def test_only_investigators_investigate_and_only_the_rm_submits(world, make_application):
    app = make_application()
    # the team lead sees and may change the application, but is no investigator of it
    with pytest.raises(PermissionDenied):
        services.sign_pledge(world.lead, app.pk)
    app = complete(app, by=world.rm)
    services.add_investigator(world.rm, app.pk, user_id=world.rm_b.pk, version=ver(app))
    with pytest.raises(PermissionDenied):
        services.submit(world.rm_b, app.pk, version=ver(app))


def test_a_stale_version_is_refused(world, make_application):
    from rmdesk.core.actions import StaleVersion

    app = make_application()
    with pytest.raises(StaleVersion):
        services.update_application(world.rm, app.pk, version=app.version + 5, purpose="x")


# --- the pledge --------------------------------------------------------------------------------------


def test_the_pledge_is_the_seed_text_with_names_and_its_hash(world, make_application):
    app = make_application()
    pledge = services.sign_pledge(world.rm, app.pk)
    assert "尽职调查承诺书" in pledge.text
    assert f"对借款人{app.customer.name}身份证号 110101199001011234 向我行申请借款" in pledge.text
    assert (
        "如未按有关规定进行调查或调查不实、弄虚作假,误导审查审批,由此产生的一切后果,我愿意承担全部责任。" in pledge.text
    )
    assert "承诺人:rm" in pledge.text
    import hashlib

    assert pledge.sha256 == hashlib.sha256(pledge.text.encode()).hexdigest()
    with pytest.raises(ValidationError):
        services.sign_pledge(world.rm, app.pk)  # once per signer


def test_a_signed_pledge_cannot_change(world, make_application):
    app = make_application()
    pledge = services.sign_pledge(world.rm, app.pk)
    original = (pledge.text, pledge.sha256)
    pledge.text = "篡改后的文本"
    with pytest.raises(ImmutableRecord):
        pledge.save()
    with pytest.raises(ImmutableRecord):
        Pledge.objects.filter(pk=pledge.pk).update(text="篡改")
    with pytest.raises(ImmutableRecord):
        pledge.delete()
    with pytest.raises(ImmutableRecord):
        Pledge.objects.filter(pk=pledge.pk).delete()
    stored = Pledge.objects.get(pk=pledge.pk)
    assert (stored.text, stored.sha256) == original and stored.intact


# --- 审贷分离: the chain and its forbidden deciders ---------------------------------------------------


def test_three_different_people_decide_the_chain(world, submitted, risk_b):
    app = submitted
    assert app.approval.chain.steps.count() == 3
    decide(world.risk, app, "approve", "审查通过")
    decide(risk_b, app, "approve", "审核通过")
    decide(world.manager, app, "approve", "同意发放")
    app.refresh_from_db()
    assert app.status == AppStatus.APPROVED and app.approval.status == ApprovalStatus.APPROVED
    history = services.opinion_history(app)
    assert [(d.step_name, d.decided_by.username, d.opinion) for d in history] == [
        ("审查", "risk", "审查通过"),
        ("审核", "risk_b", "审核通过"),
        ("审批", "manager", "同意发放"),
    ]


def test_the_applying_rm_may_not_decide(world, submitted):
    # give the RM the risk role too: still never a decider of their own application
    world.rm.roles.add(world.risk.roles.get(code=RoleCode.RISK))
    world.rm.unit = world.s1
    world.rm.save()
    req = submitted.approval
    assert not approvals.may_decide(world.rm, req)
    with pytest.raises(ValidationError) as refused:
        decide(world.rm, submitted, "approve")
    assert "decider" in refused.value.message_dict  # named by the rule, a 422 in the API
    assert not ApprovalDecision.objects.exists()


def test_an_investigator_may_not_decide(world, make_application):
    # a risk officer who also investigated (a team lead of the same branch with the risk role)
    inv = make_user("inv", [RoleCode.TEAM_LEAD, RoleCode.RISK], world.s1, world.t1, qualified=False)
    app = complete(make_application(), by=world.rm)
    services.add_investigator(world.rm, app.pk, user_id=inv.pk, version=ver(app))
    app = services.submit(world.rm, app.pk, version=ver(app))
    assert not approvals.may_decide(inv, app.approval)
    with pytest.raises(ValidationError) as refused:
        decide(inv, app, "approve")
    assert "decider" in refused.value.message_dict  # named by the rule, a 422 in the API
    assert approvals.may_decide(world.risk, app.approval)


def test_who_decided_an_earlier_step_may_not_decide_a_later_one(world, submitted):
    decide(world.risk, submitted, "approve")
    submitted.refresh_from_db()
    assert submitted.approval.step_order == 2
    assert not services.may_decide_application(world.risk, submitted.approval)
    with pytest.raises(ValidationError) as refused:
        decide(world.risk, submitted, "approve")
    assert "decider" in refused.value.message_dict  # named by the rule, a 422 in the API
    assert ApprovalDecision.objects.count() == 1


def test_a_step_is_decided_only_by_its_role(world, submitted):
    for person in (world.manager, world.lead, world.compliance):  # 审查 is the risk officers'
        with pytest.raises(PermissionDenied):
            decide(person, submitted, "approve")
    assert not ApprovalDecision.objects.exists()


# --- no override ----------------------------------------------------------------------------------


def test_a_recommended_rejection_can_never_be_approved(world, make_application, risk_b):
    app = complete(make_application(), by=world.rm, recommendation="reject")
    app = services.submit(world.rm, app.pk, version=ver(app))
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as err:
        decide(world.risk, app, "approve", "我认为可以批")
    assert "decision" in fields_of(err)
    assert not ApprovalDecision.objects.exists() and AuditEvent.objects.count() == events
    # no step later in the chain may approve it either: the branch manager can only return or reject
    assert approvals.allowed_decisions(world.manager, app.approval) == {"return", "reject"}
    decide(world.risk, app, "return", "请补充调查")
    app.refresh_from_db()
    assert app.status == AppStatus.RETURNED


def test_a_recommended_rejection_may_be_rejected(world, make_application):
    app = complete(make_application(), by=world.rm, recommendation="reject")
    app = services.submit(world.rm, app.pk, version=ver(app))
    decide(world.risk, app, "reject", "同意调查结论")
    app.refresh_from_db()
    assert app.status == AppStatus.REJECTED and app.approval.status == ApprovalStatus.REJECTED


def test_a_return_sends_it_back_for_reinvestigation_and_resubmission(world, submitted, risk_b):
    decide(world.risk, submitted, "approve")
    decide(risk_b, submitted, "return", "担保能力需补充调查")
    app = CreditApplication.objects.get(pk=submitted.pk)
    assert app.status == AppStatus.RETURNED and app.is_editable
    entry = app.checklist.get(order=4)
    services.record_checklist(
        world.rm, app.pk, order=4, finding="补充了担保人资产证明", conclusion="担保充足", version=entry.version
    )
    app = services.submit(world.rm, app.pk, version=ver(app))
    req = app.approval
    assert app.status == AppStatus.IN_REVIEW and req.round == 2 and req.step_order == 1
    assert CreditApplication.objects.filter(approval=req).count() == 1
    # a new round: risk may decide 审查 again
    decide(world.risk, app, "approve")
    decide(risk_b, app, "approve")
    decide(world.manager, app, "approve")
    app.refresh_from_db()
    assert app.status == AppStatus.APPROVED
    assert [d.round for d in services.opinion_history(app)] == [1, 1, 2, 2, 2]


def test_nothing_changes_in_review(world, submitted):
    with pytest.raises(ValidationError) as err:
        services.sign_pledge(world.rm, submitted.pk)
    assert "status" in fields_of(err)


# --- the loan and its schedule ---------------------------------------------------------------------


@pytest.fixture
def approved(world, submitted, risk_b):
    decide(world.risk, submitted, "approve")
    decide(risk_b, submitted, "approve")
    decide(world.manager, submitted, "approve")
    submitted.refresh_from_db()
    return submitted


def test_the_rm_records_the_loan_and_the_check_schedule_follows(world, approved):
    loan = services.record_loan(
        world.rm,
        approved.pk,
        cms_ref="JJ2026120001",
        amount=Decimal("100000"),
        start_on=date(2026, 1, 10),
        end_on=date(2027, 1, 10),
        rate=Decimal("3.850"),
        version=ver(approved),
    )
    dues = list(PostLoanCheck.objects.filter(loan=loan).values_list("due_on", flat=True))
    # first within 15 days of drawdown, then quarterly until maturity
    assert dues == [date(2026, 1, 25), date(2026, 4, 25), date(2026, 7, 25), date(2026, 10, 25)]
    assert ClassificationChange.objects.get(loan=loan).after == "normal"
    check = loan.checks.first()
    services.record_check(world.rm, check.pk, findings="经营正常", version=check.version)
    with pytest.raises(ValidationError):
        services.record_check(world.rm, check.pk, findings="again", version=check.version + 1)


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"cms_ref": ""}, "cms_ref"),
        ({"amount": Decimal("100000.01")}, "amount"),
        ({"end_on": date(2026, 1, 1)}, "end_on"),
        ({"rate": Decimal("0")}, "rate"),
    ],
)
def test_bad_loan_input_is_a_field_error(world, approved, changes, field):
    data = {
        "cms_ref": "JJ1",
        "amount": Decimal("100000"),
        "start_on": date(2026, 1, 10),
        "end_on": date(2027, 1, 10),
        "rate": Decimal("4"),
        **changes,
    }
    with pytest.raises(ValidationError) as err:
        services.record_loan(world.rm, approved.pk, version=ver(approved), **data)
    assert field in fields_of(err)
    assert not Loan.objects.exists()


def test_no_loan_before_approval(world, submitted):
    with pytest.raises(ValidationError):
        services.record_loan(
            world.rm,
            submitted.pk,
            cms_ref="JJ1",
            amount=Decimal("1"),
            start_on=date(2026, 1, 1),
            end_on=date(2026, 6, 1),
            rate=Decimal("4"),
            version=ver(submitted),
        )


def test_classification_keeps_its_history(world, approved):
    loan = services.record_loan(
        world.rm,
        approved.pk,
        cms_ref="JJ9",
        amount=Decimal("100000"),
        start_on=date(2026, 1, 10),
        end_on=date(2027, 1, 10),
        rate=Decimal("4"),
        version=ver(approved),
    )
    with pytest.raises(PermissionDenied):  # supervisors and risk officers classify; the RM does not
        services.classify_loan(world.rm, loan.pk, classification="special", reason="x", version=loan.version)
    services.classify_loan(world.lead, loan.pk, classification="special", reason="逾期 30 天", version=loan.version)
    assert list(loan.classifications.values_list("before", "after")) == [("", "normal"), ("normal", "special")]
    loan.refresh_from_db()
    services.classify_loan(world.risk, loan.pk, classification="substandard", reason="经营恶化", version=loan.version)
    assert loan.classifications.order_by("-id").values_list("after", flat=True)[0] == "substandard"


def test_the_pledge_stays_as_signed_when_the_application_is_edited_afterwards(world, make_application):
    app = make_application()
    pledge = services.sign_pledge(world.rm, app.pk)
    original = (pledge.text, pledge.sha256, pledge.signed_at)
    services.update_application(world.rm, app.pk, purpose="扩大经营", amount=Decimal("120000"), version=ver(app))
    entry = app.checklist.get(order=2)
    services.record_checklist(world.rm, app.pk, order=2, finding="补充", conclusion="良好", version=entry.version)
    stored = Pledge.objects.get(pk=pledge.pk)
    assert (stored.text, stored.sha256, stored.signed_at) == original and stored.intact
