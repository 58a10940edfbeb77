"""Fixtures of the people tests: factories that go through the services (so every rule applies)."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from rmdesk.people import services
from rmdesk.people.models import Course, JobModel

SCORES = ("inner_d", "inner_i", "inner_s", "inner_c", "outer_d", "outer_i", "outer_s", "outer_c")


def scores(inner, outer) -> dict:
    return dict(zip(SCORES, [*inner, *outer], strict=True))


@pytest.fixture
def rm_model(db):
    return JobModel.objects.get(code="rm")


@pytest.fixture
def course(db):
    return Course.objects.create(
        code="T-EXAM", name="信贷业务培训", mode="classroom", hours=8, points=10, pass_score=60
    )


@pytest.fixture
def open_course(db):
    return Course.objects.create(code="T-OPEN", name="服务意识", mode="online", hours=2, points=3)


@pytest.fixture
def make_profile(world):
    def _make(person, inner, outer, *, by=None, taken_on=None):
        return services.record_disc_profile(
            by or world.lead,
            person_id=person.pk,
            taken_on=taken_on or timezone.localdate() - timedelta(days=1),
            **scores(inner, outer),
        )

    return _make


@pytest.fixture
def make_session(world):
    def _make(course, *, by=None, unit=None, held_on=None):
        return services.create_session(
            by or world.lead,
            course_id=course.pk,
            unit_id=(unit or world.t1).pk,
            held_on=held_on or timezone.localdate() - timedelta(days=3),
        )

    return _make


@pytest.fixture
def make_inspection(world):
    def _make(person, *, by=None, findings=(), year=None, quarter=None):
        today = timezone.localdate()
        return services.record_inspection(
            by or world.lead,
            person_id=person.pk,
            year=year or today.year,
            quarter=quarter or (today.month - 1) // 3 + 1,
            inspected_on=today,
            summary="按季检查",
            findings=list(findings),
        )

    return _make


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
