"""Scope matrix of the people app (SPEC §1, §10): every role against DISC profiles, sessions, meetings,
inspections and career plans on both sides of the org tree, for every page and API operation that
takes their id (tests/scope_matrix.py). A person sees their own records; team leads and branch
managers their subtree's (and change them); risk, compliance and assistants read their subtree;
referrers and administrators see none. Out of scope is 404; a role that may not write gets 403."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from rmdesk.people import services
from rmdesk.people.scope import (
    visible_attendance,
    visible_inspections,
    visible_meetings,
    visible_plans,
    visible_profiles,
    visible_sessions,
)
from tests.scope_matrix import Matrix, Sample, fresh

from .conftest import scores

pytestmark = pytest.mark.django_db

#: records about an RM: the RM, their subtree's managers and read-only overseers
PERSON = {
    "t1": ({"rm", "lead", "manager", "risk", "compliance", "assistant"}, {"rm", "lead", "manager"}),
    "t2": ({"rm2", "lead2"}, {"rm2", "lead2"}),
}
#: a meeting: also every attendee (rm_b attended t1's)
MEETING = {
    "t1": ({"rm", "rm_b", "lead", "manager", "risk", "compliance", "assistant"}, {"rm", "rm_b", "lead", "manager"}),
    "t2": ({"rm2", "lead2"}, {"rm2", "lead2"}),
}
RECORDERS = {"lead", "manager", "lead2"}
WORKERS = RECORDERS | {"rm", "rm2"}
FLOW = {200, 403, 422}


def gate(allowed, ok=200, refused=403):
    def expect(username, sample):
        if username not in sample.readers:
            return 404
        return ok if username in allowed else refused

    return expect


@pytest.fixture
def people_world(world, course):
    today = timezone.localdate()
    out = {}
    for key, rm, lead, unit, others in (
        ("t1", world.rm, world.lead, world.t1, [world.rm_b]),
        ("t2", world.rm2, world.lead2, world.t2, []),
    ):
        profile = services.record_disc_profile(
            lead, person_id=rm.pk, taken_on=today, **scores((30, 70, 40, 50), (35, 72, 45, 55))
        )
        session = services.create_session(lead, course_id=course.pk, unit_id=unit.pk, held_on=today - timedelta(days=2))
        attendance = services.record_attendance(lead, session.pk, person_id=rm.pk, exam_score=75)
        meeting = services.create_meeting(
            lead,
            unit_id=unit.pk,
            year=2026,
            half=1,
            held_on=date(2026, 6, 20),
            title="上半年工作会议",
            attendee_ids=[rm.pk, *(o.pk for o in others)],
        )
        inspection = services.record_inspection(
            lead,
            person_id=rm.pk,
            year=today.year,
            quarter=(today.month - 1) // 3 + 1,
            inspected_on=today,
            findings=[{"area": "archive", "description": "档案缺项", "deduction": 3}],
        )
        plan = services.create_plan(rm, year=today.year, goals="晋升上一级客户经理")
        out[key] = {
            "rm": rm,
            "profile": profile,
            "session": session,
            "attendance": attendance,
            "meeting": meeting,
            "inspection": inspection,
            "plan": plan,
        }
    return out


@pytest.fixture
def person_samples(people_world):
    return [Sample(k, *PERSON[k], **people_world[k]) for k in PERSON]


@pytest.fixture
def meeting_samples(people_world):
    return [Sample(k, *MEETING[k], **people_world[k]) for k in MEETING]


def _href(url):
    return lambda html, obj: f'href="{url.format(pk=obj.pk)}"' in html


records = Matrix("people", samples="person_samples")
records.queryset(visible_profiles, obj="profile")
records.queryset(visible_inspections, obj="inspection")
records.queryset(visible_plans, obj="plan")
records.queryset(visible_sessions, obj="session")
records.queryset(visible_attendance, obj="attendance")
records.listing("GET /api/people/disc-profiles", obj="profile")
records.listing("GET /api/people/inspections", obj="inspection")
records.listing("GET /api/people/career-plans", obj="plan")
records.listing("GET /api/people/sessions", obj="session")
records.listing("people:inspection_list", obj="inspection", contains=_href("/people/inspections/{pk}/"))
records.listing("people:plan_list", obj="plan", contains=_href("/people/plans/{pk}/"))
records.listing("people:session_list", obj="session", contains=_href("/people/training/{pk}/"))
records.listing("people:disc_list", obj="profile", contains=_href("/people/disc/{pk}/"))
records.api("GET /api/people/disc-profiles/{profile_id}", obj="profile")
records.page("people:disc_detail", obj="profile")
records.api("GET /api/people/inspections/{inspection_id}", obj="inspection")
records.page("people:inspection_detail", obj="inspection")
records.api("GET /api/people/sessions/{session_id}", obj="session")
records.page("people:session_detail", obj="session")
records.api(
    "POST /api/people/sessions/{session_id}/attendance",
    obj="session",
    expect=gate(RECORDERS),
    body=lambda s: {"person_id": s.rm.pk, "attended": True, "exam_score": "88"},
)
records.page(
    "people:session_detail",
    obj="session",
    method="post",
    expect=gate(RECORDERS, ok=302),
    data=lambda s: {"person": s.rm.pk, "attended": "on", "exam_score": "66"},
)
records.api("GET /api/people/career-plans/{plan_id}", obj="plan")
records.page("people:plan_detail", obj="plan")
records.api(
    "PUT /api/people/career-plans/{plan_id}",
    obj="plan",
    expect=gate(WORKERS),
    body=lambda s: {"goals": "修订目标", "version": fresh(s.plan).version},
)
records.api(
    "POST /api/people/career-plans/{plan_id}/submit",
    obj="plan",
    expect=lambda u, s: 404 if u not in s.readers else (200 if u in ("rm", "rm2") else 403),
    body=lambda s: {"version": fresh(s.plan).version},
)
records.api(
    "POST /api/people/career-plans/{plan_id}/review",
    obj="plan",
    expect=lambda u, s: 404 if u not in s.readers else (FLOW if u in RECORDERS else 403),
    body=lambda s: {"review": "同意", "version": fresh(s.plan).version},
)
records.page(
    "people:plan_action",
    obj="plan",
    method="post",
    expect=lambda u, s: 404 if u not in s.readers else ({302, 422} if u in WORKERS else 403),
    params=lambda s: {"pk": s.plan.pk, "action": "edit"},
    data=lambda s: {"goals": "页面修订", "actions": "", "version": fresh(s.plan).version},
)


@records.invariant
def _refused_writes_changed_nothing(samples, username):
    if username in ("risk", "compliance", "assistant", "referrer", "admin", "rm_b", "rm_t1b"):
        for s in samples:
            assert fresh(s.plan).version == s.plan.version, (username, s.key)
            assert fresh(s.attendance).exam_score == s.attendance.exam_score, (username, s.key)


test_record_scope_matrix = records.test()

meetings = Matrix("people", samples="meeting_samples")
meetings.queryset(visible_meetings, obj="meeting")
meetings.listing("GET /api/people/meetings", obj="meeting")
meetings.listing("people:meeting_list", obj="meeting", contains=_href("/people/meetings/{pk}/"))
meetings.api("GET /api/people/meetings/{meeting_id}", obj="meeting")
meetings.page("people:meeting_detail", obj="meeting")
meetings.api(
    "PUT /api/people/meetings/{meeting_id}",
    obj="meeting",
    expect=gate(RECORDERS),
    body=lambda s: {"minutes": "纪要", "version": fresh(s.meeting).version},
)
meetings.page(
    "people:meeting_detail",
    obj="meeting",
    method="post",
    expect=gate(RECORDERS, ok=302),
    data=lambda s: {"minutes": "页面纪要", "version": fresh(s.meeting).version},
)
test_meeting_scope_matrix = meetings.test()

records.exempt(
    "PUT /api/people/job-models/{model_id}",
    "job models are configuration, not anyone's record: administrators edit them "
    "(role-checked, tests/people/test_api.py)",
)
records.exempt(
    "GET /api/people/job-models/{model_id}/ranking",
    "a job model is configuration every reader may use; the ranking lists only people in the caller's scope "
    "(tests/people/test_disc.py, test_api.py)",
)
records.exempt(
    "people:job_model_edit",
    "job models are configuration: administrators edit them (role-checked, tests/people/test_views.py)",
)
