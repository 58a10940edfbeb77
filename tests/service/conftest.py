"""Fixtures of the service tests: the seeded configuration (re-applied, since transactional tests
flush migration data) and a case factory that goes through the real services."""

from datetime import datetime

import pytest
from django.apps import apps as django_apps
from django.utils import timezone

from rmdesk.service import services
from rmdesk.service.defaults import seed
from rmdesk.service.models import CaseCategory


def local(*args):
    return timezone.make_aware(datetime(*args))


@pytest.fixture
def defaults(db):
    seed(django_apps)
    return CaseCategory.objects.get(code="attitude")


@pytest.fixture
def make_case(defaults, make_customer, world):
    def _make(user=None, customer=None, *, severity="normal", now=None, kind="complaint", **extra):
        user = user or world.rm
        customer = customer or make_customer(world.rm, world.t1)
        return services.register_case(
            user,
            customer_id=customer.pk,
            kind=kind,
            channel="branch",
            category_id=defaults.pk,
            severity=severity,
            title=extra.pop("title", "理财产品收益与宣传不符"),
            description=extra.pop("description", "客户反映收益低于预期。"),
            now=now,
            **extra,
        )

    return _make


@pytest.fixture(autouse=True)
def _fresh_calendar():
    """The business calendar caches its overrides; a rolled-back test must not leak them."""
    from rmdesk.core import calendar

    calendar.clear_cache()
    yield
    calendar.clear_cache()


def ver(pk, model=None):
    """The version a user's page or API client shows now (default: of a case)."""
    from rmdesk.service.models import Case

    return (model or Case).objects.values_list("version", flat=True).get(pk=pk)
