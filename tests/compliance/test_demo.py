"""The compliance demo builder (SPEC §8 demo data): a round half signed, violations at each rung of the
ladder, gifts, approved requests behind the door-to-door visits, anomaly findings, cross-reviews;
idempotent; a no-op without the demo staff."""

from datetime import timedelta

import pytest
from django.utils import timezone

from rmdesk.compliance import demo
from rmdesk.compliance.models import (
    LADDER,
    CrossReview,
    Finding,
    GiftEntry,
    Signature,
    SigningRound,
    SpecialService,
    Violation,
)
from rmdesk.org.models import RoleCode
from rmdesk.work.models import Interaction
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def test_demo_without_staff_does_nothing(db, make_demo_ctx):
    ctx = make_demo_ctx()
    demo.build(ctx)
    assert not SigningRound.objects.exists() and "skipped" in ctx.lines[-1]


def test_demo_builds_every_screen_and_is_idempotent(world, make_customer, make_demo_ctx):
    lead = make_user("teamlead", [RoleCode.TEAM_LEAD], world.o1, world.t1, qualified=False)
    make_user("branchmgr", [RoleCode.BRANCH_MANAGER], world.s1, qualified=False)
    make_user("rm_junior", [RoleCode.RM], world.o1, world.t1)
    for i in range(40):
        make_customer(world.rm if i % 2 else world.rm_b, world.t1, b_rm=world.rm_b if i % 2 else world.rm)
    visit = Interaction.objects.create(
        customer=make_customer(world.rm, world.t1),
        kind="visit",
        door_to_door=True,
        occurred_at=timezone.now() - timedelta(days=3),
        recorded_by=world.rm,
        purpose="上门拜访",
    )
    visit.companions.set([world.rm_b])
    demo.build(make_demo_ctx())
    rounds = list(SigningRound.objects.all())
    assert len(rounds) == 2
    half = SigningRound.objects.get(name__contains="诚信")
    assert 0 < half.obligations.filter(signed_at__isnull=False).count() < half.obligations.count()
    assert Signature.objects.count() >= 2 and all(s.intact for s in Signature.objects.all())
    penalties = set(Violation.objects.exclude(penalty="").values_list("penalty", flat=True))
    assert penalties == {p.value for p in LADDER}
    assert Violation.objects.filter(status="pending").exists()
    assert set(GiftEntry.objects.values_list("outcome", flat=True)) == {"refused", "handed_in", "accepted"}
    assert SpecialService.objects.get(interaction=visit).status == "done"
    assert Finding.objects.filter(person=lead, rule="out_of_book").exists()
    assert CrossReview.objects.filter(done_at__isnull=False).exists()
    count = Violation.objects.count()
    demo.build(make_demo_ctx())
    assert Violation.objects.count() == count


def test_fee_demo_entitlements_grants_within_and_beyond_findings_idempotent(world, make_customer, make_demo_ctx):
    """The fee part of the demo (issue 14): entitlements of the bank tiers, grants on top-tier customers (8 at
    this scale), some within and some beyond, the fee check's findings over those days, one closed; again: nothing."""
    from rmdesk.compliance.models import FeeEntitlement, FeeGrant
    from rmdesk.compliance.services import grants_beyond_entitlement
    from rmdesk.customers.models import Tier

    tiers = {t.code: t for t in Tier.objects.filter(rule_set__code="bank")}
    for i in range(12):
        make_customer(
            world.rm if i % 2 else world.rm_b, world.t1, tier=tiers[("pb", "diamond", "platinum", "gold")[i % 4]]
        )
    make_customer(world.rm, world.t1, tier=tiers["standard"])  # not a top tier: no grant
    demo._fees(make_demo_ctx(scale=0.12), world.compliance)
    assert FeeEntitlement.objects.filter(tier=tiers["pb"], fee_kind="account").get().max_discount_percent == 100
    assert not FeeEntitlement.objects.filter(tier=tiers["standard"]).exists()
    grants = list(FeeGrant.objects.select_related("tier"))
    assert len(grants) == 8 and {g.tier.code for g in grants} == {"pb", "diamond", "platinum", "gold"}
    beyond = {g.pk for g, _d, _a in grants_beyond_entitlement(grants)}
    assert 0 < len(beyond) < len(grants)
    fee_findings = Finding.objects.filter(rule="fee_beyond")
    assert {f.key for f in fee_findings} == {f"fee:{pk}" for pk in beyond}
    assert fee_findings.filter(status="closed").count() == 1
    demo._fees(make_demo_ctx(scale=0.12), world.compliance)
    assert FeeGrant.objects.count() == 8 and Finding.objects.filter(rule="fee_beyond").count() == len(beyond)
