"""The people API (SPEC §12): the exact DISC figures through the API, the ranking in the caller's scope,
field paths on 422, 409 on a stale version, 403 for a role that may not write, and the indicators'
registration (SPEC §9: assessment reads inspection score, training points and hours)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from rmdesk.core import indicators
from rmdesk.people import services

from .conftest import scores

pytestmark = pytest.mark.django_db


def _loc(resp):
    return [tuple(d["loc"]) for d in resp.json()["detail"]]


def test_profile_with_its_ten_match_values_and_the_ranking(world, api_client, rm_model):
    lead = api_client(world.lead)
    body = {"person_id": world.rm.pk, "taken_on": str(timezone.localdate()), "source": "测评"} | scores(
        (40, 60, 50, 57), (30, 75, 46, 60)
    )
    resp = lead.post("/api/people/disc-profiles", body, content_type="application/json")
    assert resp.status_code == 201, resp.content
    (match,) = [m for m in resp.json()["matches"] if m["job_model_id"] == rm_model.pk]
    assert match["inner"] == {"d": "8", "i": "12", "s": "4", "c": "0"}
    assert (match["inner_total"], match["outer_total"], match["overall"]) == ("6.00", "2.00", "4.00")
    services.record_disc_profile(
        world.lead, person_id=world.rm_b.pk, taken_on=timezone.localdate(), **scores((32, 72, 46, 57), (32, 72, 46, 57))
    )
    ranking = lead.get(f"/api/people/job-models/{rm_model.pk}/ranking").json()
    assert [(r["rank"], r["person_id"], r["overall"]) for r in ranking] == [
        (1, world.rm_b.pk, "0.00"),
        (2, world.rm.pk, "4.00"),
    ]
    assert api_client(world.rm2).get(f"/api/people/job-models/{rm_model.pk}/ranking").json() == []
    assert (
        api_client(world.rm).get(f"/api/people/job-models/{rm_model.pk}/ranking").json()[0]["person_id"] == world.rm.pk
    )
    assert lead.get("/api/people/job-models/999999/ranking").status_code == 404


def test_validation_answers_422_with_field_paths(world, api_client):
    lead = api_client(world.lead)
    body = {"person_id": world.rm.pk, "taken_on": "2026-01-01"} | scores((101, 1, 1, 1), (1, 1, 1, 1))
    resp = lead.post("/api/people/disc-profiles", body, content_type="application/json")
    assert resp.status_code == 422 and ("body", "payload", "inner_d") in _loc(resp)
    body = {"person_id": world.rm2.pk, "taken_on": "2026-01-01"} | scores((1, 1, 1, 1), (1, 1, 1, 1))
    resp = lead.post("/api/people/disc-profiles", body, content_type="application/json")
    assert resp.status_code == 422 and _loc(resp) == [("body", "person_id")]
    today = timezone.localdate()
    resp = lead.post(
        "/api/people/inspections",
        {
            "person_id": world.rm.pk,
            "year": today.year,
            "quarter": (today.month - 1) // 3 + 1,
            "inspected_on": str(today),
            "findings": [{"area": "archive", "description": "缺项", "deduction": "-2"}],
        },
        content_type="application/json",
    )
    assert resp.status_code == 422 and _loc(resp) == [("body", "findings", "0", "deduction")]
    assert "扣分" in resp.json()["detail"][0]["msg"]


def test_inspection_through_the_api_and_the_rm_reads_it(world, api_client):
    today = timezone.localdate()
    resp = api_client(world.lead).post(
        "/api/people/inspections",
        {
            "person_id": world.rm.pk,
            "year": today.year,
            "quarter": (today.month - 1) // 3 + 1,
            "inspected_on": str(today),
            "summary": "档案规范",
            "findings": [{"area": "journal", "description": "日志迟交", "deduction": "4.5"}],
        },
        content_type="application/json",
    )
    assert resp.status_code == 201, resp.content
    got = api_client(world.rm).get(f"/api/people/inspections/{resp.json()['id']}").json()
    assert got["score"] == "95.5" and got["findings"][0]["area_display"] == "工作日志"
    resp = api_client(world.rm).post("/api/people/inspections", {}, content_type="application/json")
    assert resp.status_code in (403, 422)


def test_stale_versions_answer_409_and_roles_403(world, api_client, rm_model):
    admin = api_client(world.admin)
    body = {"name": "客户经理", "d": 30, "i": 70, "s": 46, "c": 57, "version": rm_model.version}
    assert admin.put(f"/api/people/job-models/{rm_model.pk}", body, content_type="application/json").status_code == 200
    assert admin.put(f"/api/people/job-models/{rm_model.pk}", body, content_type="application/json").status_code == 409
    resp = api_client(world.manager).put(f"/api/people/job-models/{rm_model.pk}", body, content_type="application/json")
    assert resp.status_code == 403
    plan = services.create_plan(world.rm, year=2026, goals="目标")
    rm = api_client(world.rm)
    body = {"goals": "新目标", "version": plan.version}
    assert rm.put(f"/api/people/career-plans/{plan.pk}", body, content_type="application/json").status_code == 200
    assert rm.put(f"/api/people/career-plans/{plan.pk}", body, content_type="application/json").status_code == 409
    rule = services.policy()
    body = {
        "required_points": "30",
        "window_months": 12,
        "remind_days": 30,
        "cert_warning_days": 30,
        "version": rule.version,
    }
    assert api_client(world.lead).put("/api/people/policy", body, content_type="application/json").status_code == 403
    resp = admin.put("/api/people/policy", body, content_type="application/json")
    assert resp.status_code == 200 and resp.json()["required_points"] == "30.0"


def test_training_points_and_certificates_in_scope(world, api_client, course, make_session):
    s = make_session(course)
    services.record_attendance(world.lead, s.pk, person_id=world.rm.pk, exam_score=90)
    rows = {r["person_id"]: r for r in api_client(world.lead).get("/api/people/training-points").json()}
    assert set(rows) == {world.rm.pk, world.rm_b.pk}
    assert (rows[world.rm.pk]["points"], rows[world.rm.pk]["shortfall"], rows[world.rm.pk]["met"]) == (
        "10.0",
        "30.0",
        False,
    )
    assert [r["person_id"] for r in api_client(world.rm).get("/api/people/training-points").json()] == [world.rm.pk]
    certs = api_client(world.manager).get("/api/people/qualifications?within_days=400").json()
    assert {c["user_id"] for c in certs} == {world.rm.pk, world.rm_b.pk, world.rm_t1b.pk}


def test_indicators_are_registered_and_set_based(world, course, make_session, make_inspection):
    reg = indicators.registry()
    assert {"people.inspection_score", "people.training_points", "people.training_hours"} <= set(reg)
    today = timezone.localdate()
    make_inspection(world.rm, findings=[{"area": "sales", "description": "台账不符", "deduction": 10}])
    make_inspection(world.rm_t1b, by=world.manager)
    s = make_session(course, held_on=today - timedelta(days=1))
    services.record_attendance(world.lead, s.pk, person_id=world.rm.pk, exam_score=50)  # failed: hours only
    services.record_attendance(world.lead, s.pk, person_id=world.rm_b.pk, exam_score=80)
    start, end = today - timedelta(days=100), today
    score = reg["people.inspection_score"].compute(start, end, None)
    assert {k: v.value for k, v in score.items()} == {world.rm.pk: Decimal("90"), world.rm_t1b.pk: Decimal("100")}
    assert indicators.rollup(score.values()).value == Decimal("95")  # mean over all inspections
    points = reg["people.training_points"].compute(start, end, [world.rm.pk, world.rm_b.pk])
    assert {k: v.value for k, v in points.items()} == {world.rm.pk: 0, world.rm_b.pk: 10}
    hours = reg["people.training_hours"].compute(start, end, None)
    assert {k: v.value for k, v in hours.items()} == {world.rm.pk: 8, world.rm_b.pk: 8}
    assert reg["people.training_points"].compute(start, end, [world.rm2.pk]) == {}
    drill = reg["people.inspection_score"].records(world.lead, world.rm.pk, start, end)
    assert [i.score for i in drill] == [Decimal("90")]
    assert not reg["people.inspection_score"].records(world.lead2, world.rm.pk, start, end).exists()


def test_control_characters_and_long_text_are_422_never_500(world, api_client):
    today = timezone.localdate()
    body = {
        "person_id": world.rm.pk,
        "year": today.year,
        "quarter": (today.month - 1) // 3 + 1,
        "inspected_on": str(today),
        "findings": [{"area": "archive", "description": "缺\x00项", "deduction": "2"}],
    }
    lead = api_client(world.lead)
    resp = lead.post("/api/people/inspections", body, content_type="application/json")
    assert resp.status_code == 422
    assert lead.get("/api/people/inspections").json() == []
    resp = lead.post(
        "/api/people/meetings",
        {
            "unit_id": world.t1.pk,
            "year": 2026,
            "half": 1,
            "held_on": "2026-03-01",
            "title": "会\x01议",
            "attendee_ids": [world.rm.pk],
        },  # fmt: skip
        content_type="application/json",
    )
    assert resp.status_code == 422
