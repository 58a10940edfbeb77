"""Demo data of the compliance app (SPEC §8): a signing round of the 诚信服务承诺书 half signed and a
履职承诺书 round fully signed, violations at each step of the ladder (and one waiting for the person's
statement), gift entries in every state, approved door-to-door requests behind the work demo's
door-to-door visits (so the record the work app keeps references one), anomaly findings from today's
audit trail, and last month's A/B cross-reviews. Actions go through the services; the history of
door-to-door requests behind past visits is bulk-created (they were approved before the visits).

Runs after the work demo; idempotent (does nothing when a round exists).
"""

import random
from datetime import timedelta
from decimal import Decimal

from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.utils import timezone

from rmdesk.core import approvals, audit
from rmdesk.core.models import ApprovalRequest
from rmdesk.org.models import RoleCode, User

from . import services
from .defaults import seed
from .models import (
    ConductRule,
    CrossReview,
    GiftEntry,
    GiftStatus,
    PledgeTemplate,
    ServiceStatus,
    Signature,
    SigningRound,
    SpecialService,
    Violation,
)


def _user(username):
    return User.objects.filter(username=username).first()


def _decide(req_id, decision="approve", opinion="同意"):
    req = ApprovalRequest.objects.get(pk=req_id)
    deciders = approvals.eligible_deciders(req)
    if deciders:
        approvals.decide(deciders[0], req.pk, decision, opinion=opinion, version=req.version)


def _sign(ob):
    text = services.signing_text(ob.round.template, ob.signer, timezone.localdate())
    services.sign(
        ob.signer, ob.pk, text_sha256=Signature.digest(text), read_confirmed=True, ip="10.20.1.15", user_agent="demo"
    )


#: the demo bank's fee entitlements per bank tier (our example, not seed text): fee kind → (max %, cap 元)
DEMO_ENTITLEMENTS = {
    "pb": {"account": (100, None), "transfer": (100, None), "card_annual": (100, None), "wealth_sub": (50, 5000)},
    "diamond": {"account": (100, None), "transfer": (100, None), "card_annual": (100, None), "wealth_sub": (30, 3000)},
    "platinum": {"account": (100, None), "transfer": (50, None), "card_annual": (100, None), "wealth_sub": (20, 1000)},
    "gold": {"account": (50, None), "transfer": (20, None), "card_annual": (50, None)},
}
DEMO_ENTITLEMENTS["pb"]["safe_box"] = (100, 1000)
DEMO_ENTITLEMENTS["diamond"]["safe_box"] = (50, None)

#: grants cycled over the top-tier customers: (fee kind, standard fee, share charged); the entitlements
#: above make some of them go beyond (a waived safe box or a half-price subscription below diamond…)
DEMO_GRANTS = (
    ("account", "120", "0"),
    ("transfer", "50", "0.5"),
    ("card_annual", "100", "0"),
    ("wealth_sub", "2000", "0.5"),
    ("transfer", "25", "0"),
    ("safe_box", "800", "0"),
    ("wealth_sub", "600", "0.8"),
    ("account", "120", "0.5"),
)


def _fees(ctx, officer):
    """Entitlements of the bank tiers and four weeks of fee grants on top-tier customers by their A-post
    RMs, some within and some beyond the entitlement; the daily fee check over those days, and one of its
    findings closed. Idempotent (nothing when a grant exists); quick (a few dozen grants)."""
    from rmdesk.customers.models import Customer, Tier

    from .models import AnomalyRule, FeeEntitlement, FeeGrant, Finding

    if FeeGrant.objects.exists():
        return
    admin = User.objects.filter(roles__code=RoleCode.ADMIN, is_active=True).order_by("id").first()
    editor = officer or admin
    tiers = {t.code: t for t in Tier.objects.filter(rule_set__code="bank")}
    customers = list(
        Customer.objects.filter(
            tier__rule_set__code="bank",
            tier__rank__gte=2,
            a_rm__is_active=True,
            a_rm__roles__code=RoleCode.RM,
        )
        .select_related("a_rm", "tier")
        .distinct()
        .order_by("id")[: max(8, int(60 * ctx.scale))]
    )
    if editor is None or not customers:
        return
    if not FeeEntitlement.objects.exists():
        for code, rules in DEMO_ENTITLEMENTS.items():
            if code not in tiers:
                continue
            for kind, (pct, cap) in rules.items():
                services.create_entitlement(
                    editor,
                    tier_id=tiers[code].pk,
                    fee_kind=kind,
                    max_discount_percent=Decimal(pct),
                    max_discount_amount=Decimal(cap) if cap is not None else None,
                    note="演示数据：本行客户权益示例",
                )
    today = timezone.localdate()
    days = set()
    rng = random.Random(14)  # its own, so that the other builders' draws stay as they were
    for i, customer in enumerate(customers):
        kind, standard, share = DEMO_GRANTS[i % len(DEMO_GRANTS)]
        standard = Decimal(standard)
        day = today - timedelta(days=1 + rng.randrange(28))
        try:
            services.record_fee_grant(
                customer.a_rm,
                customer_id=customer.pk,
                fee_kind=kind,
                standard_fee=standard,
                charged_fee=(standard * Decimal(share)).quantize(Decimal("0.01")),
                granted_on=day,
                note="客户到期续作，柜面减免" if i % 2 else "",
            )
        except ValidationError:  # an A-post RM who may not write the customer (not in the demo bank)
            continue
        days.add(day)
    from .anomalies import fee_beyond

    found = [f for day in sorted(days) for f in services.detect_anomalies(day=day, rules=(fee_beyond,))]
    mine = services.visible_findings(officer) if officer is not None else Finding.objects.none()
    first = mine.filter(rule=AnomalyRule.FEE_BEYOND).order_by("day", "id").first()
    if first is not None:
        services.close_finding(
            officer, first.pk, note="经核实为客户经理误用权益标准，已补收并对其进行提醒。", version=first.version
        )
    beyond = len(services.grants_beyond_entitlement(FeeGrant.objects.all()))
    ctx.log(
        f"compliance: fee grants {FeeGrant.objects.count()} ({beyond} beyond entitlement), fee findings {len(found)}"
    )


def build(ctx):
    if SigningRound.objects.exists():
        _fees(ctx, _user("compliance"))
        ctx.log("compliance: demo already present, skipped")
        return
    seed(django_apps)
    officer = _user("compliance")
    lead = _user("teamlead")
    if officer is None or officer.unit is None or lead is None:
        ctx.log("compliance: no demo staff yet, skipped")
        return
    today = timezone.localdate()
    templates = {t.kind: t for t in PledgeTemplate.objects.filter(version=1)}

    # --- pledges: one round half signed, one fully signed ------------------------------------------
    integrity = services.open_round(
        officer,
        template_id=templates["integrity"].pk,
        unit_id=officer.unit.pk,
        roles=[RoleCode.RM],
        deadline=today + timedelta(days=14),
        name=f"{today.year}年度客户经理诚信服务承诺书",
    )
    obs = list(integrity.obligations.select_related("round__template", "signer").order_by("id"))
    for ob in obs[: len(obs) // 2]:
        _sign(ob)
    lead_unit = lead.team or lead.unit
    duty = services.open_round(
        officer,
        template_id=templates["duty"].pk,
        unit_id=lead_unit.pk,
        roles=[RoleCode.RM, RoleCode.TEAM_LEAD],
        deadline=today + timedelta(days=7),
        name=f"{today.year}年度履职承诺书",
    )
    for ob in duty.obligations.select_related("round__template", "signer"):
        _sign(ob)

    # --- violations: each rung of the ladder, and one awaiting the statement -------------------------
    staff = list(
        User.objects.filter(roles__code=RoleCode.RM, is_active=True, unit__path__startswith=lead_unit.path[:8])
        .exclude(username__in=("rm_senior", "rm_mid", "rm_junior"))
        .distinct()
        .order_by("id")[:3]
    )
    rules = list(ConductRule.objects.filter(rule_set__code="ten_bans").order_by("order"))
    plan = []
    if staff:
        plan += [(staff[0], rules[i]) for i in (0, 4, 7, 1)]  # four confirmed: 经济处罚 → … → 解除劳动合同
    if len(staff) > 1:
        plan += [(staff[1], rules[9])]
    reporter = _user("branchmgr") or lead
    confirmed = 0
    for person, rule in plan:
        by = lead if lead.pk != person.pk and services.visible_staff(lead).filter(pk=person.pk).exists() else reporter
        v = services.report_violation(
            by,
            person_id=person.pk,
            rule_id=rule.pk,
            occurred_on=today - timedelta(days=20 - confirmed),
            facts="经网点检查发现：" + rule.text.split("(")[0],
        )
        services.state_case(person, v.pk, statement="情况属实，今后一定改正。", version=v.version)
        v = Violation.objects.get(pk=v.pk)
        services.decide_violation(officer, v.pk, decision="approve", opinion="事实清楚，予以认定", version=v.version)
        confirmed += 1
    junior = _user("rm_junior")
    if junior is not None and services.visible_staff(lead).filter(pk=junior.pk).exists():
        services.report_violation(
            lead,
            person_id=junior.pk,
            rule_id=rules[4].pk,
            occurred_on=today - timedelta(days=2),
            facts="与同网点客户经理争抢同一客户，引起客户投诉。",
        )

    # --- gifts ------------------------------------------------------------------------------------------
    made_gifts = 0
    fallback = User.objects.filter(roles__code=RoleCode.RM, is_active=True).order_by("id").first()
    for username, giver, what, value, outcome in (
        ("rm_senior", "某建材公司", "中秋月饼礼盒", "180", "handed_in"),
        ("rm_senior", "客户王先生", "购物卡", "1000", "refused"),
        ("rm_mid", "某商贸公司", "宴请", "800", "refused"),
        ("rm_mid", "客户李女士", "鲜花", "80", "accepted"),
        ("rm_junior", "客户张先生", "茶叶", "150", "accepted"),
    ):
        user = _user(username) or fallback
        if user is None:
            continue
        gift = services.register_gift(
            user,
            giver=giver,
            offered_on=today - timedelta(days=5 - made_gifts),
            description=what,
            value=Decimal(value),
            outcome=outcome,
        )
        made_gifts += 1
        if gift.approval_id and made_gifts == 4:
            _decide(gift.approval_id)
            gift.refresh_from_db()
        if made_gifts <= 2 and gift.status != GiftStatus.PENDING:
            services.review_gift(officer, gift.pk, note="已核实，处理得当。", version=gift.version)
    GiftEntry.objects.filter(reviewed_at__isnull=True).update(created_at=timezone.now() - timedelta(days=4))

    # --- special service: the approved requests behind the work demo's door-to-door visits --------------
    from rmdesk.work.models import Interaction

    manager = _user("branchmgr")
    visits = list(
        Interaction.objects.filter(door_to_door=True)
        .select_related("customer")
        .prefetch_related("companions")
        .order_by("id")
    )
    rows = []
    for inter in visits:
        second = next(iter(inter.companions.all()), None)
        if second is None or manager is None:
            continue
        rows.append(
            SpecialService(
                customer_id=inter.customer_id,
                applicant_id=inter.recorded_by_id,
                second_staff=second,
                org_path=inter.customer.org_path,
                visit_on=inter.occurred_on,
                place=inter.place or "客户处",
                purpose=inter.purpose,
                status=ServiceStatus.DONE,
                approved_by=manager,
                approved_at=inter.occurred_at - timedelta(days=1),
                interaction=inter,
                created_at=inter.occurred_at - timedelta(days=2),
            )
        )
    SpecialService.objects.bulk_create(rows, batch_size=2000)
    senior, mid = _user("rm_senior"), _user("rm_mid")
    if senior and mid:
        from rmdesk.customers.models import Customer

        customer = Customer.objects.filter(a_rm=senior).order_by("id").first()
        if customer is not None:
            for days, cash in ((1, True), (2, False)):
                s = services.request_special_service(
                    senior,
                    customer_id=customer.pk,
                    second_staff_id=mid.pk,
                    visit_on=today + timedelta(days=days),
                    place=customer.address or "客户家中",
                    purpose="为行动不便的客户上门办理业务",
                    cash_or_valuables=cash,
                    escort="保卫科 刘强" if cash else "",
                )
                if days == 1:
                    _decide(s.approval_id)

    # --- anomalies from today's audit trail ----------------------------------------------------------
    from rmdesk.customers.models import Customer

    outsiders = list(Customer.objects.exclude(a_rm=lead).exclude(b_rm=lead).order_by("id")[:32])
    for c in outsiders:
        audit.record(lead, "customers.view", c, channel="ui")
    assistant = _user("assistant")
    if assistant is not None:
        for rows_n in (120, 85, 2400):
            audit.record(assistant, "customers.export", object_type="customers.customer", after={"rows": rows_n})
    found = services.detect_anomalies(day=today)

    # --- last month's A/B cross-reviews, two done -------------------------------------------------------
    reviews = services.schedule_cross_reviews(month_of=today)
    for i, r in enumerate(CrossReview.objects.order_by("id")[:2]):
        services.record_cross_review(
            r.reviewer,
            r.pk,
            notes="客户回访记录与台账一致。" if i else "有两次上门记录缺少客户确认，已提醒补正。",
            has_doubts=not i,
            version=r.version,
        )
    _fees(ctx, officer)
    ctx.log(
        f"compliance: rounds 2 ({len(obs) // 2}/{len(obs)} signed), violations {len(plan)}, gifts {made_gifts}, "
        f"door-to-door requests {len(rows)}, findings {len(found)}, cross-reviews {reviews}"
    )
