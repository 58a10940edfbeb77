"""The people demo builder (SPEC §10 demo data): over the demo bank's org, DISC profiles with history,
a year of sessions with attendance and points, two half-yearly meetings, two quarters of inspections,
career plans in every state, a certificate close to expiry; idempotent; a no-op without the demo bank."""

import pytest
from django.utils import timezone

from rmdesk.org import demo as org_demo
from rmdesk.org.models import User
from rmdesk.people import demo, services
from rmdesk.people.models import Attendance, CareerPlan, DiscProfile, Inspection, JobModel, Meeting, PlanStatus

pytestmark = pytest.mark.django_db


def test_demo_without_the_demo_bank_does_nothing(world, make_demo_ctx):
    ctx = make_demo_ctx()
    demo.build(ctx)
    assert not DiscProfile.objects.exists() and "skipped" in ctx.lines[-1]


def test_demo_fills_every_screen_and_is_idempotent(db, make_demo_ctx):
    org_demo.build(make_demo_ctx())
    demo.build(make_demo_ctx())
    senior, lead, manager = (User.objects.get(username=u) for u in ("rm_senior", "teamlead", "branchmgr"))
    assert senior.disc_profiles.count() == 2 and JobModel.objects.filter(code="team_lead").exists()
    assert Attendance.objects.filter(person=senior).count() == 6 and Meeting.objects.count() == 2
    assert set(CareerPlan.objects.values_list("status", flat=True)) == set(PlanStatus.values)
    assert Inspection.objects.filter(person=senior).count() == 2
    assert services.ranking(manager, JobModel.objects.get(code="rm"))
    assert services.inspections_due(lead)  # the current quarter is still to do
    assert services.expiring_qualifications(lead).filter(user__username="rm_junior").exists()
    assert services.points_status(senior, on=timezone.localdate()).points >= 0
    count = DiscProfile.objects.count()
    demo.build(make_demo_ctx())
    assert DiscProfile.objects.count() == count
