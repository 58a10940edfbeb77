"""People records for the schemathesis run (tests/test_schemathesis.py): made through the services so the
generated requests with these ids reach the success paths of the people API (SPEC §9 job fit, §10)."""


def seed_people(world) -> dict:
    from datetime import date, timedelta

    from django.utils import timezone

    from rmdesk.people import services
    from rmdesk.people.models import Course, JobModel

    today = timezone.localdate()
    profile = services.record_disc_profile(
        world.lead, person_id=world.rm.pk, taken_on=today - timedelta(days=1),
        inner_d=40, inner_i=60, inner_s=50, inner_c=57, outer_d=30, outer_i=75, outer_s=46, outer_c=60,
    )  # fmt: skip
    course = Course.objects.create(code="API-T1", name="接口测试课程", mode="classroom", hours=4, points=5)
    session = services.create_session(
        world.lead, course_id=course.pk, unit_id=world.t1.pk, held_on=today - timedelta(days=3)
    )
    services.record_attendance(world.lead, session.pk, person_id=world.rm.pk, attended=True)
    meeting = services.create_meeting(
        world.lead, unit_id=world.t1.pk, year=2026, half=1, held_on=date(2026, 6, 20),
        title="上半年客户经理工作会议", minutes="通报业绩", attendee_ids=[world.rm.pk, world.rm_b.pk],
    )  # fmt: skip
    inspection = services.record_inspection(
        world.lead, person_id=world.rm.pk, year=today.year, quarter=(today.month - 1) // 3 + 1,
        inspected_on=today, summary="按季检查", findings=[],
    )  # fmt: skip
    plan = services.create_plan(world.rm, year=today.year, goals="取得二级客户经理资格")
    return {
        "model_id": JobModel.objects.get(code="rm").pk,
        "profile_id": profile.pk,
        "session_id": session.pk,
        "meeting_id": meeting.pk,
        "inspection_id": inspection.pk,
        "plan_id": plan.pk,
    }
