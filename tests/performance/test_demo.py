"""The performance demo builder (SPEC §9 demo data): a year of monthly runs with AHP weights, two annual runs,
letters, a pay sheet and an appeal, through the real services; idempotent; a no-op without RMs."""

import pytest

from rmdesk.core.models import ApprovalRequest
from rmdesk.performance import demo
from rmdesk.performance.models import AssessmentRun, PayLine, Scorecard, TargetLetter

pytestmark = pytest.mark.django_db


def test_demo_without_staff_does_nothing(db, make_demo_ctx):
    ctx = make_demo_ctx()
    demo.build(ctx)
    assert not AssessmentRun.objects.exists() and "nothing" in ctx.lines[-1]


def test_demo_builds_a_year_and_is_idempotent(world, make_customer, make_demo_ctx):
    for i in range(6):
        make_customer(world.rm if i % 2 else world.rm_b, world.t1)
    demo.build(make_demo_ctx())
    card = Scorecard.objects.get(name=demo.NAME)
    assert card.weight_method == "ahp" and card.ahp_cr is not None and card.ahp_cr < 0.1
    monthly = AssessmentRun.objects.filter(scorecard=card)
    assert monthly.count() == 12 and set(monthly.values_list("status", flat=True)) == {"published"}
    assert AssessmentRun.objects.filter(period_type="annual", status="published").count() == 2
    assert AssessmentRun.objects.filter(status="computed").exists()  # the team lead's month under review
    assert PayLine.objects.exists() and TargetLetter.objects.filter(status="active").count() == 1
    assert ApprovalRequest.objects.filter(kind="performance.appeal", status="pending").count() == 1
    count = AssessmentRun.objects.count()
    demo.build(make_demo_ctx())
    assert AssessmentRun.objects.count() == count
