"""Demo data of the sales app (SPEC §4): risk assessment dates for the archives that have a tolerance,
opportunities in every stage (won ones with their sales), daily sales entries, a segment and a
campaign launched by the branch manager with its quota split down to the team and its RMs, list
results, marketing tasks from the team lead, referrals from the lobby (one credited), hand-outs with
sign-off and a nomination in the chain. Everything goes through the services.

Runs after the customers' demo builder; does nothing without the documented demo logins or customers,
and nothing when a demo campaign already exists (idempotent)."""

from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from rmdesk.customers.models import Customer, Product
from rmdesk.org.models import User

from . import services
from .models import Campaign, LostReason, Material, OpportunityStage, Quota

PATHS = [
    (),
    ("contact",),
    ("contact", "proposal"),
    ("contact", "proposal", "closing"),
    ("contact", "proposal", "closing", "signed"),
    ("contact", "signed"),
    ("contact", "proposal", "lost"),
    ("lost",),
]


def _ver(obj):
    return type(obj).objects.values_list("version", flat=True).get(pk=obj.pk)


def _try(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except (ValidationError, PermissionDenied):
        return None


def build(ctx):
    if Campaign.objects.exists():
        return
    users = {
        u.username: u
        for u in User.objects.filter(
            username__in=["rm_senior", "rm_mid", "rm_junior", "teamlead", "branchmgr", "referrer"]
        )
    }
    rms = [users[n] for n in ("rm_senior", "rm_mid", "rm_junior") if n in users]
    if not rms or "branchmgr" not in users:
        return
    today = timezone.localdate()
    Customer.objects.filter(risk_assessed_on__isnull=True).exclude(risk_tolerance="").update(
        risk_assessed_on=today - timedelta(days=60)
    )
    stages = {s.code: s for s in OpportunityStage.objects.all()}
    reasons = list(LostReason.objects.all())
    deposit = Product.objects.get(code="DEP-FIX1Y")
    large = Product.objects.get(code="DEP-LD3Y")
    rng = ctx.rng
    made = 0
    for rm in rms:
        customers = list(Customer.objects.filter(a_rm=rm, merged_into__isnull=True).order_by("pk")[:40])
        for i, path in enumerate(PATHS):
            if i >= len(customers):
                break
            opp = _try(
                services.create_opportunity,
                rm,
                customer_id=customers[i].pk,
                product_id=(deposit if i % 2 else large).pk,
                next_step="电话预约面谈",
            )
            if opp is None:
                continue
            made += 1
            for code in path:
                extra = {"lost_reason_id": rng.choice(reasons).pk} if code == "lost" else {}
                _try(
                    services.move_opportunity,
                    rm,
                    opp.pk,
                    stage_id=stages[code].pk,
                    version=_ver(opp),
                    amount=Decimal(rng.randrange(5, 60) * 10000),
                    expected_on=today + timedelta(days=rng.randrange(5, 40)),
                    sold_on=today - timedelta(days=rng.randrange(0, 20)),
                    **extra,
                )
        for j in range(3):
            if 10 + j < len(customers):
                _try(
                    services.record_sale,
                    rm,
                    customer_id=customers[10 + j].pk,
                    product_id=deposit.pk,
                    amount=Decimal(rng.randrange(1, 30) * 10000),
                    sold_on=today - timedelta(days=j),
                    note="临柜转化",
                )
    manager, lead = users["branchmgr"], users.get("teamlead")
    segment = services.save_segment(
        manager, name="金融资产50万以上未持有理财", criteria={"aum_min": "500000", "lacks_category": "wealth"}
    )
    services.save_segment(manager, name="超过30天未联系的客户", criteria={"no_contact_days": 30})
    campaign = services.launch_campaign(
        manager,
        name="春季稳盈理财营销",
        segment_id=segment.pk,
        starts_on=today - timedelta(days=7),
        ends_on=today + timedelta(days=45),
        product_ids=[Product.objects.get(code="WM-STABLE").pk, deposit.pk],
        script="您好，我是您的客户经理。本行近期推出稳盈理财90天，风险等级 R2，适合稳健型客户……",
        target_count=60,
        target_amount=Decimal("6000000"),
    )
    _split_down(manager, lead, campaign, rms)
    for target in campaign.targets.select_related("rm")[:12]:
        status = rng.choice(["contacted", "interested", "refused", "contacted"])
        _try(
            services.record_result,
            target.rm,
            target.pk,
            status=status,
            refusal_reason="暂无闲置资金" if status == "refused" else "",
            version=_ver(target),
        )
    if lead is not None:
        for rm in rms:
            _try(
                services.assign_task,
                lead,
                assignee_id=rm.pk,
                title="本月新增代发客户",
                due_on=today + timedelta(days=10 + rms.index(rm)),
                target_count=5,
                target_amount=Decimal("500000"),
                campaign_id=campaign.pk,
            )
    referrer = users.get("referrer")
    if referrer is not None:
        for k, rm in enumerate(rms):
            customer = Customer.objects.filter(a_rm=rm).order_by("-pk").first()
            if customer is None:
                continue
            referral = _try(services.refer_customer, referrer, customer_no=customer.customer_no, need="咨询大额存单")
            if referral is None or k == 2:
                continue
            accepted = _try(services.accept_referral, rm, referral.pk, version=_ver(referral), product_id=large.pk)
            if accepted is not None and k == 0 and accepted.opportunity_id:
                opp = accepted.opportunity
                _try(
                    services.move_opportunity,
                    rm,
                    opp.pk,
                    stage_id=stages["signed"].pk,
                    version=_ver(opp),
                    amount=Decimal("300000"),
                )
    material = Material.objects.order_by("pk").first()
    if material is not None:
        for rm in rms[:2]:
            customer = Customer.objects.filter(a_rm=rm).order_by("pk").first()
            handout = _try(
                services.hand_out,
                rm,
                material_id=material.pk,
                customer_id=customer.pk,
                quantity=1,
                campaign_id=campaign.pk,
            )
            if handout is not None and rm is rms[0]:
                services.sign_handout(rm, handout.pk, signed_by=customer.name)
        ranked = Customer.objects.filter(a_rm=rms[0], tier__rank__gte=3).first()
        if ranked is not None:
            _try(
                services.nominate,
                rms[0],
                customer_id=ranked.pk,
                material_id=material.pk,
                quantity=2,
                reason="综合测评优秀，经营规范",
            )
    ctx.log(f"sales: {made} opportunities, 1 campaign with {campaign.targets.count()} list entries")


def _split_down(manager, lead, campaign, rms):
    """Split the branch's quota down to the RMs' team and the team down to its RMs (each level adds up)."""
    root = Quota.objects.get(campaign=campaign, parent=None)
    team = rms[0].team
    path_units = []
    unit = team
    while unit is not None and unit.pk != root.unit_id and unit.depth > root.unit.depth:
        path_units.append(unit)
        unit = unit.get_parent()
    quota = root
    for unit in reversed(path_units):
        children, _rms = services.split_candidates(quota)
        shares = []
        for child in children:
            share = quota.target_count if child.pk == unit.pk else 0
            if share:
                shares.append({"unit_id": child.pk, "target_count": share, "target_amount": quota.target_amount})
        made = _try(services.split_quota, manager, quota.pk, shares=shares, version=_ver(quota))
        if not made:
            return
        quota = made[0]
    splitter = lead or manager
    each = quota.target_count // len(rms)
    amount = (quota.target_amount / len(rms)).quantize(Decimal("0.01"))
    shares = [{"rm_id": rm.pk, "target_count": each, "target_amount": amount} for rm in rms]
    shares[0]["target_count"] += quota.target_count - each * len(rms)
    shares[0]["target_amount"] += quota.target_amount - amount * len(rms)
    _try(services.split_quota, splitter, quota.pk, shares=shares, version=_ver(quota))
