"""Training (SPEC §10; seed 002:173 "培训积分作为客户经理能否续聘的重要依据"): points and hours earned by
attendance and exam, the renewal threshold over the rule's window (configurable), the renewal date
from the appointment, the certificate expiry view over org.Qualification, the daily reminders, and
every validation rule of sessions and attendance."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from rmdesk.core.models import Notification
from rmdesk.org.models import Qualification
from rmdesk.people import services
from rmdesk.people.models import Attendance

pytestmark = pytest.mark.django_db


def _attend(world, session, person, exam=None, attended=True):
    return services.record_attendance(world.lead, session.pk, person_id=person.pk, attended=attended, exam_score=exam)


def test_points_need_a_pass_when_the_course_has_an_exam(world, course, open_course, make_session):
    s = make_session(course)
    assert (_attend(world, s, world.rm, exam=Decimal("59.9")).points, world.rm.attendances.get().hours) == (0, 8)
    assert _attend(world, s, world.rm, exam=60).points == 10  # recording again replaces the row
    assert _attend(world, s, world.rm_b).points == 0  # no exam score yet: no points
    absent = _attend(world, make_session(course), world.rm_b, attended=False)
    assert (absent.points, absent.hours) == (0, 0)
    assert _attend(world, make_session(open_course), world.rm).points == 3  # no exam: attending earns them
    assert Attendance.objects.filter(person=world.rm).count() == 2


def test_training_points_threshold_within_the_window(world, course, open_course, make_session):
    """40 points within the 12 months ending today: 3 passes (30) + an open course (3) = 33 is 7 short;
    a pass held 12 months and a day ago does not count; a fourth pass in the window meets it."""
    today = timezone.localdate()
    for days in (10, 50, 90):
        _attend(world, make_session(course, held_on=today - timedelta(days=days)), world.rm, exam=80)
    _attend(world, make_session(open_course, held_on=today - timedelta(days=5)), world.rm)
    old = make_session(course, held_on=date(today.year - 1, today.month, 1) - timedelta(days=1))
    _attend(world, old, world.rm, exam=90)
    status = services.points_status(world.rm, on=today)
    assert (status.points, status.required, status.shortfall, status.met) == (
        Decimal("33"),
        Decimal("40"),
        Decimal("7"),
        False,
    )
    _attend(world, make_session(course, held_on=today - timedelta(days=1)), world.rm, exam=60)
    status = services.points_status(world.rm, on=today)
    assert (status.points, status.shortfall, status.met) == (Decimal("43"), Decimal("0"), True)


def test_the_threshold_is_configurable_by_administrators_only(world, course, make_session):
    _attend(world, make_session(course), world.rm, exam=70)
    assert not services.points_status(world.rm).met
    rule = services.policy()
    with pytest.raises(PermissionDenied):
        services.update_policy(world.manager, version=rule.version, required_points=10, window_months=12,
                               remind_days=60, cert_warning_days=60)  # fmt: skip
    with pytest.raises(ValidationError) as exc:
        services.update_policy(world.admin, version=rule.version, required_points=-1, window_months=0,
                               remind_days=400, cert_warning_days=60)  # fmt: skip
    assert {"required_points", "window_months", "remind_days"} <= set(exc.value.message_dict)
    services.update_policy(world.admin, version=rule.version, required_points=10, window_months=12,
                           remind_days=60, cert_warning_days=60)  # fmt: skip
    assert services.points_status(world.rm).met


def test_renewal_date_follows_the_appointment():
    class P:
        appointed_on = date(2020, 3, 15)

    assert services.renewal_on(P, date(2026, 12, 6)) == date(2027, 3, 15)
    assert services.renewal_on(P, date(2026, 3, 15)) == date(2026, 3, 15)
    assert services.renewal_on(P, date(2020, 3, 16)) == date(2021, 3, 15)
    P.appointed_on = date(2020, 2, 29)
    assert services.renewal_on(P, date(2025, 1, 1)) == date(2025, 2, 28)
    P.appointed_on = None
    assert services.renewal_on(P, date(2026, 5, 1)) == date(2026, 12, 31)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"exam_score": 101}, "exam_score"),
        ({"exam_score": "abc"}, "exam_score"),
        ({"exam_score": 80, "attended": False}, "exam_score"),
    ],
)
def test_attendance_validation(world, course, make_session, change, field):
    s = make_session(course)
    with pytest.raises(ValidationError) as exc:
        services.record_attendance(world.lead, s.pk, person_id=world.rm.pk, **change)
    assert field in exc.value.message_dict and not Attendance.objects.exists()


def test_attendance_of_a_future_session_and_people_out_of_scope(world, course, make_session):
    future = make_session(course, held_on=timezone.localdate() + timedelta(days=3))
    with pytest.raises(ValidationError) as exc:
        services.record_attendance(world.lead, future.pk, person_id=world.rm.pk)
    assert "attended" in exc.value.message_dict
    s = make_session(course)
    with pytest.raises(ValidationError) as exc:
        services.record_attendance(world.lead, s.pk, person_id=world.rm2.pk)
    assert "person_id" in exc.value.message_dict
    with pytest.raises(Http404):
        services.record_attendance(world.lead2, s.pk, person_id=world.rm2.pk)
    with pytest.raises(Http404):
        services.record_attendance(world.rm2, s.pk, person_id=world.rm2.pk)
    with pytest.raises(Http404):  # an RM sees only the sessions they attended
        services.record_attendance(world.rm, s.pk, person_id=world.rm.pk)
    _attend(world, s, world.rm, exam=50)
    with pytest.raises(PermissionDenied):  # ... and may not record their own score
        services.record_attendance(world.rm, s.pk, person_id=world.rm.pk, exam_score=100)
    assert world.rm.attendances.get().exam_score == 50


def test_session_validation(world, course):
    day = timezone.localdate()
    with pytest.raises(ValidationError) as exc:
        services.create_session(world.lead, course_id=course.pk, unit_id=world.t2.pk, held_on=day)
    assert "unit_id" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.create_session(world.lead, course_id=999999, unit_id=world.t1.pk, held_on=None, place="长" * 101)
    assert {"course_id", "held_on", "place"} <= set(exc.value.message_dict)
    with pytest.raises(PermissionDenied):
        services.create_session(world.rm, course_id=course.pk, unit_id=world.t1.pk, held_on=day)


def test_course_catalogue_validation(world):
    with pytest.raises(ValidationError) as exc:
        services.create_course(world.manager, code="", name="", mode="x", hours=-1, points=1000, pass_score=101)
    assert {"code", "name", "mode", "hours", "points", "pass_score"} <= set(exc.value.message_dict)
    with pytest.raises(PermissionDenied):
        services.create_course(world.lead, code="C1", name="课", mode="online", hours=1, points=1)
    assert services.create_course(world.manager, code="C1", name="课", mode="online", hours=1, points=1).pk


def test_expiring_certificates_in_scope(world):
    today = timezone.localdate()
    Qualification.objects.filter(user=world.rm).update(expires_on=today + timedelta(days=30))
    Qualification.objects.filter(user=world.rm2).update(expires_on=today - timedelta(days=1))
    Qualification.objects.filter(user=world.rm_b).update(expires_on=today + timedelta(days=61))
    assert [q.user.username for q in services.expiring_qualifications(world.manager)] == ["rm"]
    assert [q.user.username for q in services.expiring_qualifications(world.manager, within_days=61)] == [
        "rm",
        "rm_b",
    ]
    assert [q.user.username for q in services.expiring_qualifications(world.lead2)] == ["rm2"]
    assert [q.user.username for q in services.expiring_qualifications(world.rm_b, within_days=100)] == ["rm_b"]
    assert list(services.expiring_qualifications(world.admin)) == []


def test_daily_reminders_certificates_points_and_inspections_once(world, course, make_session, make_inspection):
    today = timezone.localdate()
    quarter_end = date(today.year, 3 * ((today.month - 1) // 3) + 3, 1)
    quarter_end = (quarter_end.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    Qualification.objects.filter(user=world.rm).update(expires_on=quarter_end + timedelta(days=10))
    world.rm_b.appointed_on = date(quarter_end.year - 3, quarter_end.month, quarter_end.day)
    world.rm_b.save()
    world.rm2.appointed_on = quarter_end - timedelta(days=400)  # renewal far away: no points reminder
    world.rm2.save()
    make_inspection(world.rm)
    counts = services.daily_reminders(on=quarter_end)
    kinds = sorted(Notification.objects.values_list("kind", "recipient__username"))
    assert ("people.certificate", "rm") in kinds and ("people.certificate", "lead") in kinds
    assert ("people.points", "rm_b") in kinds and ("people.points", "rm2") not in kinds
    assert ("people.inspection_due", "lead") in kinds  # for rm_b; rm was inspected this quarter
    assert [n.title for n in Notification.objects.filter(kind="people.inspection_due", recipient=world.lead)] == [
        "rm_b 本季度工作检查待完成"
    ]
    assert ("people.inspection_due", "lead2") in kinds  # rm2
    assert counts["certificates"] == 2
    total = Notification.objects.count()
    services.daily_reminders(on=quarter_end)
    assert Notification.objects.count() == total  # deduplicated
    assert all(n.url for n in Notification.objects.all())


def test_run_people_command_sends_the_reminders(world):
    from io import StringIO

    from django.core.management import call_command

    Qualification.objects.filter(user=world.rm).update(expires_on=timezone.localdate() + timedelta(days=3))
    out = StringIO()
    call_command("run_people", stdout=out)
    assert "certificate reminders 2" in out.getvalue()
    assert Notification.objects.filter(kind="people.certificate", recipient=world.rm).exists()
