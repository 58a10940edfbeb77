"""Campaigns (SPEC §4): a segment evaluated in the viewer's scope with a live count, the list per RM,
quotas split down the org tree with totals that must add up at every level, result tracking and
progress; marketing tasks (issue 11, "Done when": quota split totals per level)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from rmdesk.core.actions import RoleRefused
from rmdesk.sales import services
from rmdesk.sales.models import CampaignTarget, Quota

from .conftest import ver

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


@pytest.fixture
def campaign(world, make_customer, products):
    for rm, aum in ((world.rm, "600000"), (world.rm, "100"), (world.rm_b, "900000"), (world.rm2, "800000")):
        make_customer(rm, aum=Decimal(aum))
    segment = services.save_segment(world.manager, name="高资产客户", criteria={"aum_min": "500000"})
    return services.launch_campaign(
        world.manager,
        name="春季理财",
        segment_id=segment.pk,
        starts_on=TODAY(),
        ends_on=TODAY() + timedelta(days=30),
        product_ids=[products["WM-STABLE"].pk],
        script="您好，我行推出稳盈理财……",
        target_count=100,
        target_amount=Decimal("1000000"),
    )


def test_segment_counts_inside_the_viewers_scope(world, make_customer):
    make_customer(world.rm, aum=Decimal("600000"))
    make_customer(world.rm2, aum=Decimal("700000"))
    criteria = services.clean_criteria({"aum_min": "500000"})
    assert services.segment_customers(world.manager, criteria).count() == 1
    assert services.segment_customers(world.rm2, criteria).count() == 1
    assert services.segment_customers(world.referrer, criteria).count() == 0
    with pytest.raises(ValidationError) as exc:
        services.clean_criteria({"aum_min": "9", "aum_max": "1", "colour": "red"})
    assert set(exc.value.message_dict) == {"criteria.aum_max", "criteria.colour"}


def test_launch_makes_the_list_per_rm_in_the_launchers_scope(world, campaign):
    rows = sorted(CampaignTarget.objects.filter(campaign=campaign).values_list("rm__username", flat=True))
    assert rows == ["rm", "rm_b"]  # rm2's customer lies outside the S1 manager's scope
    root = Quota.objects.get(campaign=campaign, parent=None)
    assert (root.unit, root.target_count, root.target_amount) == (world.s1, 100, Decimal("1000000"))


def test_quota_split_totals_per_level(world, campaign):
    root = Quota.objects.get(campaign=campaign, parent=None)
    # level 1: sub-branch S1 -> outlet O1 (its only child)
    (o1,) = services.split_quota(
        world.manager,
        root.pk,
        shares=[{"unit_id": world.o1.pk, "target_count": 100, "target_amount": Decimal("1000000")}],
        version=ver(root),
    )
    # level 2: O1 -> teams T1 and T1b; shares that do not add up are refused, nothing written
    with pytest.raises(ValidationError) as exc:
        services.split_quota(
            world.manager,
            o1.pk,
            shares=[
                {"unit_id": world.t1.pk, "target_count": 60, "target_amount": Decimal("600000")},
                {"unit_id": world.t1b.pk, "target_count": 39, "target_amount": Decimal("400000")},
            ],
            version=ver(o1),
        )
    assert "99" in exc.value.message_dict["shares"][0]
    assert not Quota.objects.filter(parent=o1).exists()
    with pytest.raises(ValidationError) as exc:
        services.split_quota(
            world.manager,
            o1.pk,
            shares=[
                {"unit_id": world.t1.pk, "target_count": 110, "target_amount": Decimal("600000")},
                {"unit_id": world.t1b.pk, "target_count": -10, "target_amount": Decimal("400000")},
            ],
            version=ver(o1),
        )
    assert "shares.1.target_count" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.split_quota(
            world.manager,
            o1.pk,
            shares=[{"unit_id": world.t2.pk, "target_count": 100, "target_amount": Decimal("1000000")}],
            version=ver(o1),
        )
    assert "shares.0.unit_id" in exc.value.message_dict
    t1, _t1b = services.split_quota(
        world.manager,
        o1.pk,
        shares=[
            {"unit_id": world.t1.pk, "target_count": 60, "target_amount": Decimal("600000")},
            {"unit_id": world.t1b.pk, "target_count": 40, "target_amount": Decimal("400000")},
        ],
        version=ver(o1),
    )
    # level 3: the team lead splits the team's own share among its RMs, not another team's
    with pytest.raises(Http404):  # another team's share is out of the lead's scope
        services.split_quota(
            world.lead, _t1b.pk, shares=[{"rm_id": world.rm_t1b.pk, "target_count": 40}], version=ver(_t1b)
        )
    with pytest.raises(ValidationError) as exc:
        services.split_quota(
            world.lead,
            t1.pk,
            shares=[{"rm_id": world.rm2.pk, "target_count": 60, "target_amount": Decimal("600000")}],
            version=ver(t1),
        )
    assert "shares.0.rm_id" in exc.value.message_dict
    services.split_quota(
        world.lead,
        t1.pk,
        shares=[
            {"rm_id": world.rm.pk, "target_count": 35, "target_amount": Decimal("350000")},
            {"rm_id": world.rm_b.pk, "target_count": 25, "target_amount": Decimal("250000")},
        ],
        version=ver(t1),
    )
    # every level adds up to its parent
    for parent in Quota.objects.filter(campaign=campaign, children__isnull=False).distinct():
        kids = list(parent.children.all())
        assert sum(k.target_count for k in kids) == parent.target_count
        assert sum(k.target_amount for k in kids) == parent.target_amount
    assert Quota.objects.filter(campaign=campaign).count() == 6
    # a level whose share was split further cannot be re-split above it
    with pytest.raises(ValidationError):
        services.split_quota(
            world.manager,
            o1.pk,
            shares=[{"unit_id": world.t1.pk, "target_count": 100, "target_amount": Decimal("1000000")}],
            version=ver(o1),
        )
    # an RM cannot split, and someone else's quota is not even visible
    rm_quota = Quota.objects.get(campaign=campaign, rm=world.rm)
    with pytest.raises(RoleRefused):
        services.split_quota(world.rm, rm_quota.pk, shares=[], version=ver(rm_quota))
    with pytest.raises(Http404):
        services.split_quota(world.lead2, root.pk, shares=[], version=ver(root))


def test_results_feed_progress_by_rm_and_quota(world, campaign, products, stages):
    root = Quota.objects.get(campaign=campaign, parent=None)
    targets = {t.rm.username: t for t in CampaignTarget.objects.filter(campaign=campaign).select_related("rm")}
    with pytest.raises(ValidationError) as exc:
        services.record_result(world.rm, targets["rm"].pk, status="refused", version=ver(targets["rm"]))
    assert "refusal_reason" in exc.value.message_dict
    services.record_result(
        world.rm_b, targets["rm_b"].pk, status="refused", refusal_reason="已在他行购买", version=ver(targets["rm_b"])
    )
    services.record_result(world.rm, targets["rm"].pk, status="interested", version=ver(targets["rm"]))
    customer = targets["rm"].customer
    customer.risk_tolerance, customer.risk_assessed_on = "C3", TODAY()
    customer.save()
    opp = services.create_opportunity(
        world.rm,
        customer_id=customer.pk,
        product_id=products["WM-STABLE"].pk,
        campaign_id=campaign.pk,
        amount=Decimal("300000"),
    )
    services.move_opportunity(
        world.rm, opp.pk, stage_id=stages["signed"].pk, version=ver(opp), risk_disclosed=True, customer_confirmed=True
    )
    progress = services.campaign_progress(world.manager, campaign)
    by_rm = {r["rm__username"]: r for r in progress["by_rm"]}
    assert (by_rm["rm"]["signed"], by_rm["rm"]["amount"]) == (1, Decimal("300000"))
    assert (by_rm["rm_b"]["refused"], by_rm["rm_b"]["contacted"]) == (1, 1)
    (row,) = [r for r in progress["quotas"] if r["quota"].pk == root.pk]
    assert (row["done_count"], row["done_amount"], row["rate"]) == (1, Decimal("300000"), Decimal("1.0"))


def test_tasks_by_supervisors_to_their_rms(world):
    due = TODAY() + timedelta(days=5)
    task = services.assign_task(world.lead, assignee_id=world.rm.pk, title="发展代发客户", due_on=due, target_count=4)
    with pytest.raises(ValidationError) as exc:
        services.assign_task(world.lead, assignee_id=world.rm2.pk, title="越权", due_on=due, target_count=1)
    assert "assignee_id" in exc.value.message_dict
    with pytest.raises(RoleRefused):
        services.assign_task(world.rm, assignee_id=world.rm_b.pk, title="x", due_on=due, target_count=1)
    with pytest.raises(PermissionDenied):
        services.report_task_progress(world.lead, task.pk, done_count=1, done_amount=Decimal("0"), version=ver(task))
    task = services.report_task_progress(world.rm, task.pk, done_count=2, done_amount=Decimal("0"), version=ver(task))
    assert (task.progress, task.status) == (50, "open")
    task = services.report_task_progress(world.rm, task.pk, done_count=4, done_amount=Decimal("0"), version=ver(task))
    assert (task.progress, task.status) == (100, "done")
