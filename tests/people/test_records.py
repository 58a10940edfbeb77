"""Half-yearly RM meetings, quarterly inspections and yearly career plans (SPEC §10; seed 001:249, 271,
273): the inspection score (exact figures), one per RM and quarter, who may record and review, the
RM told of the result, and every validation rule."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from rmdesk.core.actions import StaleVersion
from rmdesk.core.models import AuditEvent, Notification
from rmdesk.people import services
from rmdesk.people.models import CareerPlan, Inspection, Meeting, PlanStatus

from .conftest import quarter_start

pytestmark = pytest.mark.django_db


# --- inspections --------------------------------------------------------------------------------------


def test_inspection_score_is_100_minus_deductions_and_the_rm_is_told(
    world, make_inspection, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        inspection = make_inspection(
            world.rm,
            findings=[
                {"area": "archive", "description": "档案不完整", "deduction": Decimal("2.5")},
                {"area": "journal", "description": "日志迟交", "deduction": 5},
            ],
        )
    assert inspection.score == Decimal("92.5")
    assert list(inspection.findings.values_list("order", "area", "deduction")) == [
        (1, "archive", Decimal("2.5")),
        (2, "journal", Decimal("5.0")),
    ]
    note = Notification.objects.get(recipient=world.rm, kind="people.inspection")
    assert "92.5" in note.title and note.url == f"/people/inspections/{inspection.pk}/"
    assert AuditEvent.objects.filter(action="people.inspection_record").count() == 1


def test_inspection_score_never_below_zero_and_clean_is_100():
    assert services.inspection_score([60, 50]) == 0
    assert services.inspection_score([]) == 100
    assert services.inspection_score([Decimal("0.1")] * 3) == Decimal("99.7")


def test_one_inspection_per_rm_and_quarter(world, make_inspection):
    make_inspection(world.rm)
    with pytest.raises(ValidationError) as exc:
        make_inspection(world.rm, by=world.manager)
    assert "quarter" in exc.value.message_dict and Inspection.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"quarter": 5}, "quarter"),
        ({"year": 1999}, "year"),
        ({"inspected_on": None}, "inspected_on"),
        ({"inspected_on": "future"}, "inspected_on"),
        ({"inspected_on": "before"}, "inspected_on"),
        ({"findings": [{"area": "x", "description": "问题", "deduction": 1}]}, "findings.0.area"),
        ({"findings": [{"area": "archive", "description": " ", "deduction": 1}]}, "findings.0.description"),
        ({"findings": [{"area": "archive", "description": "问题", "deduction": 0}]}, "findings.0.deduction"),
        ({"findings": [{"area": "archive", "description": "问题", "deduction": "100.5"}]}, "findings.0.deduction"),
        ({"findings": [{"area": "archive", "description": "问题", "deduction": "1.25"}]}, "findings.0.deduction"),
        ({"summary": "长" * 5001}, "summary"),
    ],
)
def test_inspection_validation(world, change, field):
    today = timezone.localdate()
    data = {
        "person_id": world.rm.pk,
        "year": today.year,
        "quarter": (today.month - 1) // 3 + 1,
        "inspected_on": today,
        "findings": [],
    }
    if change.get("inspected_on") == "future":
        change = {"inspected_on": today + timedelta(days=1)}
    elif change.get("inspected_on") == "before":
        change = {"inspected_on": quarter_start(today) - timedelta(days=1)}
    data.update(change)
    with pytest.raises(ValidationError) as exc:
        services.record_inspection(world.lead, **data)
    assert field in exc.value.message_dict and not Inspection.objects.exists()


def test_who_may_inspect_whom(world, make_inspection):
    for person in (world.rm2, world.rm_t1b):  # another branch; another team of the lead's outlet
        with pytest.raises(ValidationError) as exc:
            make_inspection(person)
        assert "person_id" in exc.value.message_dict
    assert make_inspection(world.rm_t1b, by=world.manager).score == 100
    with pytest.raises(ValidationError) as exc:
        make_inspection(world.lead, by=world.manager)  # not an RM
    assert "person_id" in exc.value.message_dict
    for who in (world.rm, world.risk, world.compliance, world.admin):
        with pytest.raises(PermissionDenied):
            make_inspection(world.rm_b, by=who)


def test_inspections_due_this_quarter(world, make_inspection):
    make_inspection(world.rm)
    assert [u.username for u in services.inspections_due(world.lead)] == ["rm_b"]
    assert [u.username for u in services.inspections_due(world.manager)] == ["rm_b", "rm_t1b"]
    assert services.inspections_due(world.rm) == []


# --- meetings -----------------------------------------------------------------------------------------


def _meeting(world, **change):
    data = {
        "unit_id": world.t1.pk,
        "year": 2026,
        "half": 1,
        "held_on": date(2026, 6, 20),
        "title": "上半年客户经理工作会议",
        "minutes": "通报业绩",
        "attendee_ids": [world.rm.pk, world.rm_b.pk],
    }
    return services.create_meeting(world.lead, **(data | change))


def test_meeting_with_attendees_and_minutes(world):
    meeting = _meeting(world)
    assert set(meeting.attendees.values_list("username", flat=True)) == {"rm", "rm_b"}
    services.update_meeting(world.lead, meeting.pk, version=1, minutes="一、通报业绩；二、案例交流")
    with pytest.raises(StaleVersion):
        services.update_meeting(world.lead, meeting.pk, version=1, minutes="覆盖")
    assert Meeting.objects.get().minutes == "一、通报业绩；二、案例交流"
    with pytest.raises(PermissionDenied):  # an attendee reads, never writes
        services.update_meeting(world.rm, meeting.pk, version=2, minutes="改")
    with pytest.raises(Http404):
        services.update_meeting(world.lead2, meeting.pk, version=2, minutes="改")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"held_on": date(2026, 7, 1)}, "held_on"),  # not in the first half
        ({"half": 3}, "half"),
        ({"title": ""}, "title"),
        ({"unit_id": 0}, "unit_id"),
        ("t2", "unit_id"),
        ({"attendee_ids": []}, "attendee_ids"),
        ("rm2", "attendee_ids"),
        ({"minutes": "长" * 10001}, "minutes"),
    ],
)
def test_meeting_validation(world, change, field):
    if change == "t2":
        change = {"unit_id": world.t2.pk}
    elif change == "rm2":
        change = {"attendee_ids": [world.rm.pk, world.rm2.pk]}
    with pytest.raises(ValidationError) as exc:
        _meeting(world, **change)
    assert field in exc.value.message_dict and not Meeting.objects.exists()


# --- career plans -------------------------------------------------------------------------------------


def test_career_plan_written_submitted_and_reviewed(world, django_capture_on_commit_callbacks):
    plan = services.create_plan(world.rm, year=2026, goals="晋升二级客户经理", actions="参加信贷培训")
    plan = services.update_plan(world.rm, plan.pk, version=1, goals="晋升一级客户经理", actions="")
    with pytest.raises(ValidationError) as exc:
        services.review_plan(world.lead, plan.pk, version=2, review="好")
    assert "status" in exc.value.message_dict  # only a submitted plan is reviewed
    with pytest.raises(PermissionDenied):
        services.submit_plan(world.lead, plan.pk, version=2)  # only the RM submits their own
    services.submit_plan(world.rm, plan.pk, version=2)
    with pytest.raises(PermissionDenied):
        services.review_plan(world.rm, plan.pk, version=3, review="自评")
    with django_capture_on_commit_callbacks(execute=True):
        services.review_plan(world.lead, plan.pk, version=3, review="目标清晰")
    plan = CareerPlan.objects.get()
    assert (plan.status, plan.review, plan.reviewed_by) == (PlanStatus.REVIEWED, "目标清晰", world.lead)
    assert Notification.objects.filter(recipient=world.rm, kind="people.plan_reviewed").exists()
    with pytest.raises(ValidationError) as exc:
        services.update_plan(world.rm, plan.pk, version=4, goals="改")
    assert "status" in exc.value.message_dict


def test_career_plan_rules(world):
    services.create_plan(world.rm, year=2026, goals="目标")
    with pytest.raises(ValidationError) as exc:
        services.create_plan(world.rm, year=2026, goals="再写一份")
    assert "year" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.create_plan(world.rm, year=2027, goals=" ", actions="长" * 5001)
    assert {"goals", "actions"} <= set(exc.value.message_dict)
    with pytest.raises(ValidationError) as exc:
        services.create_plan(world.rm, year=2027, goals="目标", person_id=world.rm_b.pk)  # not theirs to write
    assert "person_id" in exc.value.message_dict
    drafted = services.create_plan(world.lead, year=2026, goals="为 rm_b 起草", person_id=world.rm_b.pk)
    assert drafted.person == world.rm_b
    with pytest.raises(Http404):
        services.update_plan(world.rm2, drafted.pk, version=1, goals="x")
    with pytest.raises(PermissionDenied):
        services.create_plan(world.risk, year=2026, goals="x")
