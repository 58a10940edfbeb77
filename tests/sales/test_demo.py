"""The sales demo builder (SPEC §4 demo data): opportunities in every stage, a campaign with its quota
split down to the RMs, tasks, referrals, hand-outs; idempotent; a no-op without the demo logins."""

from decimal import Decimal

import pytest

from rmdesk.org.models import RoleCode
from rmdesk.sales import demo
from rmdesk.sales.models import Campaign, Handout, MarketingTask, Opportunity, Quota, Referral, Sale
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def test_demo_without_the_demo_logins_does_nothing(world, make_demo_ctx):
    demo.build(make_demo_ctx())
    assert not Campaign.objects.exists()


def test_demo_fills_every_screen_and_is_idempotent(world, make_customer, make_demo_ctx):
    rms = [make_user(n, [RoleCode.RM], world.o1, world.t1) for n in ("rm_senior", "rm_mid", "rm_junior")]
    make_user("teamlead", [RoleCode.TEAM_LEAD], world.o1, world.t1, qualified=False)
    make_user("branchmgr", [RoleCode.BRANCH_MANAGER], world.s1, qualified=False)
    for rm in rms:
        for i in range(14):
            make_customer(rm, aum=Decimal(100000 * (i + 1)), risk_tolerance="C3")
    demo.build(make_demo_ctx())
    stages = set(Opportunity.objects.values_list("stage__code", flat=True))
    assert stages == {"identify", "contact", "proposal", "closing", "signed", "lost"}
    assert Sale.objects.filter(opportunity__isnull=False).exists() and Sale.objects.filter(opportunity=None).exists()
    campaign = Campaign.objects.get()
    assert campaign.targets.exists()
    assert Quota.objects.filter(campaign=campaign, rm__isnull=False).count() == 3
    for parent in Quota.objects.filter(children__isnull=False).distinct():
        assert sum(q.target_count for q in parent.children.all()) == parent.target_count
    assert MarketingTask.objects.count() == 3
    assert Referral.objects.filter(credited_on__isnull=False).exists()
    assert Handout.objects.filter(signed_at__isnull=False).exists()
    count = Opportunity.objects.count()
    demo.build(make_demo_ctx())
    assert Opportunity.objects.count() == count
