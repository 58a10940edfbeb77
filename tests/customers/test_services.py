"""Business actions of the customer archive (SPEC §2): create, validation, conflicts, optimistic
locking, tiers, ownership with maker-checker, handover, protection."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from rmdesk.core.approvals import SelfApprovalError, decide
from rmdesk.core.models import AuditEvent
from rmdesk.customers import services, signals
from rmdesk.customers.models import (
    Conflict,
    ConflictStatus,
    Customer,
    Handover,
    HandoverRecord,
    Holding,
    KeyDate,
    OwnershipChange,
    Product,
    Tier,
    TierChange,
    TierRuleSet,
)
from rmdesk.org.models import StaffStatus

pytestmark = pytest.mark.django_db


def individual(ids, **extra):
    return {"kind": "individual", "name": "张伟明", "id_number": ids.id(), "mobile": ids.mobile(), **extra}


# --- create and validation -------------------------------------------------------------------


def test_rm_creates_and_becomes_a_post(world, ids):
    customer, conflict = services.create_customer(world.rm, individual(ids, address="南京市湖南路1号"))
    assert conflict is None
    assert customer.a_rm == world.rm and customer.org_path == world.t1.path
    assert customer.name_initials == "zwm"
    assert customer.tier.code == "standard"  # bank default rule set, AUM 0
    assert customer.birth_date is not None and customer.gender in ("M", "F")
    assert KeyDate.objects.filter(customer=customer, kind="birthday").exists()
    assert OwnershipChange.objects.filter(customer=customer, kind="create").exists()
    event = AuditEvent.objects.get(action="customers.create", object_id=str(customer.pk))
    assert "*" in event.summary["after"]["id_number"]  # the audit trail keeps masked values only
    assert 0 < customer.completeness < 100


def test_supervisor_creates_into_the_pool(world, ids):
    customer, _ = services.create_customer(world.lead, individual(ids))
    assert customer.a_rm is None and customer.org_path == world.t1.path
    assert services.pool_customers(world.lead).filter(pk=customer.pk).exists()
    assert not services.pool_customers(world.lead2).filter(pk=customer.pk).exists()


@pytest.mark.parametrize("user", ["referrer", "admin", "risk", "assistant"])
def test_who_may_not_create(world, ids, user):
    with pytest.raises(PermissionDenied):
        services.create_customer(getattr(world, user), individual(ids))


@pytest.mark.parametrize(
    "field, value, fragment",
    [
        ("id_number", "110105194912310021", "校验位"),
        ("id_number", "11010519491331002X", "出生日期"),
        ("mobile", "12345", "手机号码"),
        ("annual_income", "12.345", "两位小数"),
        ("annual_income", "-3", "负数"),
        ("name", "", "客户名称"),
    ],
)
def test_bad_input_writes_nothing(world, ids, field, value, fragment):
    before = (Customer.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ValidationError) as exc:
        services.create_customer(world.rm, individual(ids, **{field: value}))
    assert fragment in " ".join(exc.value.message_dict[field])
    assert (Customer.objects.count(), AuditEvent.objects.count()) == before


def test_corporate_requires_a_valid_credit_code(world, ids):
    with pytest.raises(ValidationError) as exc:
        services.create_customer(world.rm, {"kind": "corporate", "name": "金陵机械有限公司"})
    assert "credit_code" in exc.value.message_dict
    with pytest.raises(ValidationError):
        services.create_customer(
            world.rm, {"kind": "corporate", "name": "金陵机械有限公司", "credit_code": "91350100M000100Y44"}
        )
    c, _ = services.create_customer(
        world.rm, {"kind": "corporate", "name": "金陵机械有限公司", "credit_code": ids.credit()}
    )
    assert c.kind == "corporate"


def test_birth_date_must_match_the_id(world, ids):
    with pytest.raises(ValidationError) as exc:
        services.create_customer(world.rm, individual(ids, birth_date="1990-01-01"))
    assert "birth_date" in exc.value.message_dict


def test_unqualified_rm_cannot_take_customers(world, ids):
    world.rm.qualifications.update(revoked=True)
    with pytest.raises(ValidationError):
        services.create_customer(world.rm, individual(ids))
    assert not Customer.objects.exists()


# --- duplicates and conflicts -------------------------------------------------------------


@pytest.mark.parametrize("field", ["id_number", "mobile"])
def test_duplicate_on_create_opens_a_conflict_not_a_second_archive(world, ids, field):
    first, _ = services.create_customer(world.rm, individual(ids))
    data = individual(ids, name="张伟")
    data[field] = getattr(first, field)
    customer, conflict = services.create_customer(world.rm2, data)
    assert customer is None
    assert Customer.objects.count() == 1
    assert conflict.existing == first and conflict.match_field == field and conflict.status == "open"
    assert conflict.claimant == world.rm2 and conflict.claimant_path == world.t2.path
    # the same claim again does not open a second conflict
    _, again = services.create_customer(world.rm2, data)
    assert again.pk == conflict.pk
    # both supervisors see it, an unrelated RM does not
    assert services.visible_conflicts(world.lead).filter(pk=conflict.pk).exists()
    assert services.visible_conflicts(world.lead2).filter(pk=conflict.pk).exists()
    assert not services.visible_conflicts(world.rm_t1b).filter(pk=conflict.pk).exists()


def test_duplicate_credit_code(world, ids):
    code = ids.credit()
    first, _ = services.create_customer(
        world.rm, {"kind": "corporate", "name": "钟山电子有限公司", "credit_code": code}
    )
    _, conflict = services.create_customer(
        world.rm2, {"kind": "corporate", "name": "钟山电子", "credit_code": code.lower()}
    )
    assert conflict.existing == first and conflict.match_field == "credit_code"


def test_duplicate_on_edit_changes_nothing_and_opens_conflict(world, ids):
    a, _ = services.create_customer(world.rm, individual(ids))
    b, _ = services.create_customer(world.rm, individual(ids, name="李四"))
    _, conflict = services.update_customer(
        world.rm, b.pk, {"mobile": a.mobile, "occupation": "教师"}, version=b.version
    )
    b.refresh_from_db()
    assert conflict.subject == b and conflict.existing == a and conflict.source == "edit"
    assert b.mobile != a.mobile and b.occupation == "" and b.version == 1


def test_resolve_by_assigning_the_owner(world, ids):
    first, _ = services.create_customer(world.rm, individual(ids))
    _, conflict = services.create_customer(world.rm_b, individual(ids, id_number=first.id_number))
    with pytest.raises(PermissionDenied):
        services.resolve_conflict(world.rm, conflict.pk, "assign")  # an RM is no supervisor
    services.resolve_conflict(world.lead, conflict.pk, "assign", owner_id=world.rm_b.pk, note="客户本人选择")
    first.refresh_from_db()
    conflict.refresh_from_db()
    assert first.a_rm == world.rm_b and conflict.status == ConflictStatus.ASSIGNED
    assert OwnershipChange.objects.filter(customer=first, kind="conflict", approved_by=world.lead).exists()
    with pytest.raises(ValidationError):
        services.resolve_conflict(world.lead, conflict.pk, "dismiss")


def test_supervisor_cannot_settle_own_claim(world, ids):
    first, _ = services.create_customer(world.rm2, individual(ids))
    _, conflict = services.create_customer(world.lead, individual(ids, id_number=first.id_number))
    with pytest.raises(SelfApprovalError):
        services.resolve_conflict(world.lead, conflict.pk, "dismiss")


def test_resolve_by_merge_fills_blanks_and_absorbs_the_duplicate(world, ids):
    a, _ = services.create_customer(world.rm, individual(ids))
    b, _ = services.create_customer(world.rm, individual(ids, name="张伟明", occupation="医生"))
    services.save_holding(world.rm, b.pk, product=Product.objects.get(code="DEP-CUR"), balance="600000")
    services.add_note(world.rm, b.pk, "重要客户")
    _, conflict = services.update_customer(world.rm, b.pk, {"mobile": a.mobile}, version=1)
    services.resolve_conflict(world.lead, conflict.pk, "merge")
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.occupation == "医生" and a.aum == Decimal("600000.00") and a.tier.code == "gold"
    assert a.notes.count() == 1 and Holding.objects.filter(customer=a).count() == 1
    assert b.merged_into == a and b.mobile == "" and b.id_number == ""


def test_dismiss(world, ids):
    first, _ = services.create_customer(world.rm, individual(ids))
    _, conflict = services.create_customer(world.rm_b, individual(ids, mobile=first.mobile))
    services.resolve_conflict(world.lead, conflict.pk, "dismiss")
    assert Conflict.objects.get(pk=conflict.pk).status == "dismissed"
    first.refresh_from_db()
    assert first.a_rm == world.rm


# --- optimistic locking -----------------------------------------------------------------------


def test_stale_version_is_refused(world, ids):
    c, _ = services.create_customer(world.rm, individual(ids))
    services.update_customer(world.rm, c.pk, {"occupation": "律师"}, version=1)
    with pytest.raises(services.StaleVersionError):
        services.update_customer(world.lead, c.pk, {"occupation": "教师"}, version=1)
    c.refresh_from_db()
    assert c.occupation == "律师" and c.version == 2


def test_update_outside_write_scope_is_404(world, ids):
    c, _ = services.create_customer(world.rm, individual(ids))
    for user in (world.rm2, world.risk, world.referrer):
        with pytest.raises(Http404):
            services.update_customer(user, c.pk, {"occupation": "x"}, version=1)


# --- tiers --------------------------------------------------------------------------------------


def test_holdings_drive_aum_and_tier_with_history_and_signal(world, ids):
    received = []

    def listener(sender, customer, old_tier, new_tier, change, **kw):
        received.append((old_tier.code if old_tier else None, new_tier.code, change.direction))

    signals.tier_changed.connect(listener)
    try:
        c, _ = services.create_customer(world.rm, individual(ids))
        wealth = Product.objects.get(code="WM-STABLE")
        loan = Product.objects.get(code="LN-MORTGAGE")
        services.save_holding(world.rm, c.pk, product=wealth, balance="1200000", account_no="W1")
        services.save_holding(world.rm, c.pk, product=loan, balance="900000", account_no="L1")
        c.refresh_from_db()
        assert (c.aum, c.loans, c.tier.code) == (Decimal("1200000.00"), Decimal("900000.00"), "platinum")
        services.save_holding(world.rm, c.pk, product=wealth, balance="5000000", account_no="W1")
        services.save_holding(
            world.rm, c.pk, product=wealth, balance="5000000", account_no="W1", closed_on="2030-01-01"
        )
        c.refresh_from_db()
        assert c.aum == 0 and c.tier.code == "standard"
    finally:
        signals.tier_changed.disconnect(listener)
    assert received == [
        (None, "standard", "initial"),
        ("standard", "platinum", "up"),
        ("platinum", "pb", "up"),
        ("pb", "standard", "down"),
    ]
    history = list(TierChange.objects.filter(customer=c).order_by("id").values_list("direction", flat=True))
    assert history == ["initial", "up", "up", "down"]
    assert TierChange.objects.filter(customer=c, direction="down").get().org_path == world.t1.path


def test_bank_default_thresholds(world, make_customer):
    bank = TierRuleSet.objects.get(code="bank")
    tiers = list(bank.tiers.all())
    for aum, code in [
        ("4999999.99", "diamond"),
        ("5000000", "pb"),
        ("2000000", "diamond"),
        ("1999999", "platinum"),
        ("1000000", "platinum"),
        ("500000", "gold"),
        ("499999.99", "standard"),
        ("0", "standard"),
    ]:
        assert services.tier_for_value(tiers, Decimal(aum)).code == code


def _rule_set(code, name, metric, bands, kind="individual"):
    rs = TierRuleSet.objects.create(code=code, name=name, metric=metric, kind=kind)
    for rank, (tcode, tname, threshold) in enumerate(reversed(bands), start=1):
        Tier.objects.create(rule_set=rs, code=tcode, name=tname, rank=rank, threshold=Decimal(threshold))
    return rs


def test_telecom_card_tiers_by_monthly_spend(world, make_customer):
    rs = _rule_set(
        "telecom",
        "电信VIP卡级",
        "monthly_spend",
        [("diamond", "钻石卡", "800"), ("gold", "金卡", "300"), ("silver", "银卡", "100"), ("none", "普通", "0")],
    )
    spend = {"甲": "950", "乙": "300", "丙": "120.5", "丁": "20"}
    customers = {n: make_customer(world.rm, name=n, metrics={"monthly_spend": v}) for n, v in spend.items()}
    changes = services.activate_rule_set(world.admin, rs.pk)
    assert changes == 4
    got = {n: Customer.objects.get(pk=c.pk).tier.code for n, c in customers.items()}
    assert got == {"甲": "diamond", "乙": "gold", "丙": "silver", "丁": "none"}
    assert not TierRuleSet.objects.get(code="bank").is_active
    # spend falls: the periodic recompute downgrades and records it
    c = customers["甲"]
    Customer.objects.filter(pk=c.pk).update(metrics={"monthly_spend": "310"})
    assert services.recompute_all_tiers() == 1
    change = TierChange.objects.filter(customer=c).latest("id")
    assert (change.from_tier.code, change.to_tier.code, change.direction) == ("diamond", "gold", "down")


def test_tobacco_sales_bands(world, make_customer, ids):
    rs = _rule_set(
        "tobacco",
        "卷烟零售户档位",
        "sales",
        [("d1", "一档", "200000"), ("d2", "二档", "100000"), ("d3", "三档", "50000"), ("d4", "四档", "0")],
        kind="outlet",
    )
    with pytest.raises(PermissionDenied):
        services.activate_rule_set(world.lead, rs.pk)
    services.activate_rule_set(world.admin, rs.pk)
    c, _ = services.create_customer(
        world.rm, {"kind": "outlet", "name": "金陵王记便利店", "mobile": ids.mobile(), "metrics": {"sales": "120000"}}
    )
    assert c.tier.code == "d2"
    services.update_customer(world.rm, c.pk, {"metrics": {"sales": "250000"}}, version=c.version)
    c.refresh_from_db()
    assert c.tier.code == "d1"
    assert list(c.tier_changes.order_by("id").values_list("direction", flat=True)) == ["initial", "up"]


def test_periodic_task_recomputes(world, make_customer):
    from rmdesk.customers.tasks import recompute_tiers

    c = make_customer(world.rm, aum=Decimal("2500000"))
    result = recompute_tiers.enqueue()
    assert result.return_value == {"changes": 1}
    c.refresh_from_db()
    assert c.tier.code == "diamond"
    assert recompute_tiers.enqueue().return_value == {"changes": 0}


# --- ownership: maker-checker ---------------------------------------------------------------


def test_assignment_needs_another_supervisors_approval(world, ids):
    c, _ = services.create_customer(world.lead, individual(ids))
    req = services.request_assignment(world.lead, [c.pk], world.rm.pk, world.rm_b.pk, reason="新客户")
    c.refresh_from_db()
    assert c.a_rm is None  # nothing changes before the decision
    with pytest.raises(SelfApprovalError):
        decide(world.lead, req.pk, "approve")
    with pytest.raises(PermissionDenied):
        decide(world.lead2, req.pk, "approve")  # another branch's lead
    decide(world.manager, req.pk, "approve")
    c.refresh_from_db()
    assert (c.a_rm, c.b_rm, c.org_path) == (world.rm, world.rm_b, world.t1.path)
    ch = OwnershipChange.objects.get(customer=c, kind="assign")
    assert ch.approved_by == world.manager and ch.actor == world.lead


def test_reassignment_by_rm_moves_scope_to_new_team(world, ids):
    c, _ = services.create_customer(world.rm, individual(ids))
    req = services.request_assignment(world.rm, [c.pk], world.rm_t1b.pk)
    decide(world.lead, req.pk, "approve")
    c.refresh_from_db()
    assert c.a_rm == world.rm_t1b and c.org_path == world.t1b.path and c.version == 2


def test_assignment_requires_qualification(world, ids):
    c, _ = services.create_customer(world.rm, individual(ids))
    world.rm_b.qualifications.update(revoked=True)
    with pytest.raises(ValidationError) as exc:
        services.request_assignment(world.rm, [c.pk], world.rm_b.pk)
    assert "资质" in " ".join(exc.value.message_dict["a_rm"])
    with pytest.raises(ValidationError):
        services.request_assignment(world.rm, [c.pk], world.rm.pk, world.rm.pk)  # same person A and B
    with pytest.raises(ValidationError):
        services.request_assignment(world.rm, [c.pk], world.lead.pk)  # not an RM


def test_qualification_lapsing_before_approval_blocks_it(world, ids):
    c, _ = services.create_customer(world.rm, individual(ids))
    req = services.request_assignment(world.rm, [c.pk], world.rm_b.pk)
    world.rm_b.qualifications.update(revoked=True)
    with pytest.raises(ValidationError):
        decide(world.lead, req.pk, "approve")
    c.refresh_from_db()
    assert c.a_rm == world.rm


def test_cannot_request_for_out_of_scope_customer(world, make_customer):
    other = make_customer(world.rm2)
    with pytest.raises(Http404):
        services.request_assignment(world.rm, [other.pk], world.rm_b.pk)


# --- handover ------------------------------------------------------------------------------


def test_bulk_handover_leaves_no_customer_without_a_post(world, make_customer):
    a1 = make_customer(world.rm, name="甲")
    a2 = make_customer(world.rm, name="乙", b_rm=world.rm_b)
    b1 = make_customer(world.rm_b, name="丙", b_rm=world.rm)
    other = make_customer(world.rm_t1b, name="丁")
    world.rm.status = StaffStatus.LEFT
    world.rm.save()
    preview = set(services.handover_candidates(world.lead, world.rm).values_list("name", flat=True))
    assert preview == {"甲", "乙", "丙"}
    got = []

    def listener(sender, actor, customers, from_rm, to_rm, notes, handover, **kw):
        got.append((sorted(c.name for c in customers), from_rm, to_rm, notes))

    signals.customers_handed_over.connect(listener)
    try:
        with pytest.raises(PermissionDenied):
            services.request_handover(world.rm_b, world.rm.pk, world.rm_b.pk)
        req = services.request_handover(
            world.lead, world.rm.pk, world.rm_b.pk, notes={a1.pk: "每月初联系", a2.pk: "关注到期理财"}, reason="离职"
        )
        assert Customer.objects.get(pk=a1.pk).a_rm == world.rm
        decide(world.manager, req.pk, "approve")
    finally:
        signals.customers_handed_over.disconnect(listener)
    for c in (a1, a2, b1, other):
        c.refresh_from_db()
    assert a1.a_rm == world.rm_b and a2.a_rm == world.rm_b and a2.b_rm is None
    assert b1.a_rm == world.rm_b and b1.b_rm is None
    assert other.a_rm == world.rm_t1b
    assert not Customer.objects.filter(a_rm__isnull=True).exists()
    assert not Customer.objects.filter(a_rm=world.rm).exists() and not Customer.objects.filter(b_rm=world.rm).exists()
    h = Handover.objects.get()
    assert (h.from_rm, h.to_rm, h.approved_by) == (world.rm, world.rm_b, world.manager)
    assert dict(HandoverRecord.objects.values_list("customer__name", "note")) == {
        "甲": "每月初联系",
        "乙": "关注到期理财",
        "丙": "",
    }
    assert got and got[0][0] == ["丙", "乙", "甲"] and got[0][3][a1.pk] == "每月初联系"


def test_handover_to_unqualified_rm_is_refused(world, make_customer):
    make_customer(world.rm)
    world.rm_b.qualifications.update(revoked=True)
    with pytest.raises(ValidationError):
        services.request_handover(world.lead, world.rm.pk, world.rm_b.pk)


# --- protection ----------------------------------------------------------------------------


def test_reveal_is_audited_with_reason(world, ids):
    c, _ = services.create_customer(world.rm, individual(ids))
    with pytest.raises(ValidationError):
        services.reveal_field(world.rm, c.pk, "mobile", "")
    assert services.reveal_field(world.rm, c.pk, "mobile", "核实身份") == c.mobile
    ev = AuditEvent.objects.filter(action="customers.reveal").get()
    assert ev.summary["field"] == "mobile" and ev.summary["reason"] == "核实身份" and ev.actor == world.rm
    with pytest.raises(Http404):
        services.reveal_field(world.rm2, c.pk, "mobile", "核实身份")
    with pytest.raises(PermissionDenied):
        services.reveal_field(world.assistant, c.pk, "mobile", "核实身份")
    with pytest.raises(ValidationError):
        services.reveal_field(world.rm, c.pk, "name", "核实身份")


def test_personal_data_export_and_anonymisation(world, ids):
    c, _ = services.create_customer(world.rm, individual(ids, address="南京市湖南路8号"))
    services.add_note(world.rm, c.pk, "喜欢打高尔夫")
    with pytest.raises(PermissionDenied):
        services.personal_data(world.rm, c.pk)
    data = services.personal_data(world.compliance, c.pk)
    assert data["id_number"] == c.id_number and data["notes"][0]["text"] == "喜欢打高尔夫"
    assert AuditEvent.objects.filter(action="customers.personal_data_export", actor=world.compliance).exists()
    with pytest.raises(PermissionDenied):
        services.anonymise_customer(world.lead, c.pk, "客户申请")
    services.anonymise_customer(world.compliance, c.pk, "PIPL-2026-001")
    c.refresh_from_db()
    assert c.is_anonymised and c.id_number == "" and c.mobile == "" and c.address == "" and c.birth_date is None
    assert "张" not in c.name and not c.key_dates.exists() and c.notes.get().text == "[已匿名化]"
    assert AuditEvent.objects.filter(action="customers.anonymise").exists()
    with pytest.raises(ValidationError):
        services.update_customer(world.rm, c.pk, {"name": "x"}, version=c.version)


def test_completeness_counts_fields_and_documents(world, ids):
    from django.core.files.base import ContentFile

    c, _ = services.create_customer(world.rm, individual(ids, address="南京", occupation="教师", risk_tolerance="C3"))
    assert c.completeness == 80  # 8 of 8 fields, 0 of 2 documents
    services.add_document(world.rm, c.pk, kind="id_copy", file=ContentFile(b"x", name="id.png"))
    services.add_document(world.rm, c.pk, kind="risk_assessment", file=ContentFile(b"x", name="r.pdf"))
    c.refresh_from_db()
    assert c.completeness == 100


def test_demo_builder_is_idempotent_and_covers_every_kind_and_tier(db, make_demo_ctx):
    from rmdesk.customers import demo as customers_demo
    from rmdesk.org import demo as org_demo

    ctx = make_demo_ctx(scale=0.1)
    org_demo.build(ctx)
    customers_demo.build(ctx)
    n = Customer.objects.count()
    assert n >= 500
    assert set(Customer.objects.values_list("kind", flat=True)) == {"individual", "corporate", "outlet"}
    # every kind in every tier of its own set: personal by AUM, corporate by deposits, outlets by sales
    tiers = set(Customer.objects.values_list("kind", "tier__code"))
    assert tiers == {
        *(("individual", t) for t in ("pb", "diamond", "platinum", "gold", "standard")),
        *(("corporate", t) for t in ("strategic", "core", "key", "general")),
        *(("outlet", t) for t in ("outlet_core", "outlet_potential", "outlet_general", "outlet_problem")),
    }
    assert Customer.objects.filter(a_rm__isnull=True).exists() and Conflict.objects.filter(status="open").exists()
    assert Customer.objects.filter(a_rm__username="rm_senior").count() == 26
    for c in Customer.objects.order_by("?")[:20]:
        assert c.aum == sum(
            h.balance for h in c.holdings.filter(product__category__in=("deposit", "wealth", "fund", "insurance"))
        )
        if c.a_rm_id:
            assert c.org_path == (c.a_rm.team or c.a_rm.unit).path
        assert c.refresh_derived() == []  # search keys as save() and the importer compute them
    customers_demo.build(ctx)
    assert Customer.objects.count() == n
