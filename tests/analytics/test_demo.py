"""The analytics demo gives the trend charts 91 days of history and is idempotent."""

import random

import pytest
from django.utils import timezone

from rmdesk.analytics import demo
from rmdesk.analytics.dashboards import dashboard_for
from rmdesk.analytics.models import BookSnapshot

pytestmark = pytest.mark.django_db


class Ctx:
    rng = random.Random(1)

    def log(self, msg):
        self.last = msg


def test_demo_history_feeds_the_trend_and_runs_once(world, make_customer):
    make_customer(world.rm, aum=100000)
    demo.build(Ctx())
    demo.build(Ctx())
    assert BookSnapshot.objects.filter(rm=world.rm).count() == demo.DAYS + 1
    trend = next(t for t in dashboard_for(world.rm)["tables"] if t.id == "rm-aum-trend")
    assert len(trend.rows) == demo.DAYS + 1 and trend.rows[-1][0] == timezone.localdate().isoformat()
