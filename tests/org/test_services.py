"""The qualification rule (SPEC §1); approvals are tested in tests/core."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from rmdesk.org import services
from rmdesk.org.models import StaffStatus
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def test_qualified_rm_can_be_assigned(world):
    services.ensure_can_be_assigned_customers(world.rm)


def test_rm_without_valid_qualification_cannot_be_assigned(world):
    unqualified = make_user("newbie", ["rm"], world.o1, world.t1, qualified=False)
    with pytest.raises(ValidationError, match="岗位资质"):
        services.ensure_can_be_assigned_customers(unqualified)
    world.rm.qualifications.update(expires_on=timezone.localdate() - timedelta(days=1))
    with pytest.raises(ValidationError, match="岗位资质"):
        services.ensure_can_be_assigned_customers(world.rm)


def test_expiry_day_itself_is_still_valid(world):
    today = timezone.localdate()
    world.rm.qualifications.update(expires_on=today)
    services.ensure_can_be_assigned_customers(world.rm, on=today)
    with pytest.raises(ValidationError):
        services.ensure_can_be_assigned_customers(world.rm, on=today + timedelta(days=1))


def test_non_rm_and_departed_staff_cannot_be_assigned(world):
    with pytest.raises(ValidationError, match="不是客户经理"):
        services.ensure_can_be_assigned_customers(world.lead)
    world.rm.status = StaffStatus.LEFT
    world.rm.save()
    with pytest.raises(ValidationError, match="不在岗"):
        services.ensure_can_be_assigned_customers(world.rm)
