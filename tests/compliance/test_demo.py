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
