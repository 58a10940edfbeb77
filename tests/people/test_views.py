"""The people pages (SPEC §10): each renders for the roles that use it, forms put Chinese errors next
to the fields with a 422 and write nothing, a role that may not write gets 403, and administrators
edit job models and the points rule."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from rmdesk.people import services
from rmdesk.people.models import DiscProfile, Inspection, JobModel, TrainingSession

from .conftest import scores

pytestmark = pytest.mark.django_db

PAGES = [
    "people:home",
    "people:disc_list",
    "people:disc_ranking",
    "people:job_models",
    "people:course_list",
    "people:session_list",
    "people:training_points",
    "people:qualifications",
    "people:meeting_list",
    "people:inspection_list",
    "people:plan_list",
]


def _client(user):
    c = Client()
    c.force_login(user)
    return c


@pytest.mark.parametrize("username", ["rm", "lead", "manager", "risk", "assistant"])
def test_every_page_renders_for_the_roles_that_use_it(world, username, make_profile, make_inspection):
    make_profile(world.rm, (40, 60, 50, 57), (30, 75, 46, 60))
    make_inspection(world.rm)
    c = _client(getattr(world, username))
    for name in PAGES:
        resp = c.get(reverse(name))
        assert resp.status_code == 200, (name, resp.status_code)


def test_referrers_and_admins_see_nobody_s_records(world, make_profile, make_inspection):
    make_profile(world.rm, (40, 60, 50, 57), (30, 75, 46, 60))
    make_inspection(world.rm)
    for user in (world.referrer, world.admin):
        c = _client(user)
        for name in PAGES:
            resp = c.get(reverse(name))
            assert resp.status_code == 200 and "rm</a>" not in resp.content.decode(), (user, name)
    html = _client(world.admin).get(reverse("people:job_models")).content.decode()
    assert 'data-testid="job-model-edit"' in html


def test_the_rm_page_shows_points_match_and_inspection(world, make_profile, make_inspection):
    make_profile(world.rm, (40, 60, 50, 57), (30, 75, 46, 60))
    make_inspection(world.rm, findings=[{"area": "archive", "description": "缺项", "deduction": 7}])
    html = _client(world.rm).get(reverse("people:home")).content.decode()
    assert "总体匹配度 4.00" in html and "93.0" in html and "培训积分 0.0 / 40.0" in html


def test_disc_form_errors_next_to_the_fields(world):
    data = {"person": world.rm.pk, "taken_on": "2026-01-01"} | scores((101, 1, 1, 1), (1, 1, 1, 1))
    resp = _client(world.lead).post(reverse("people:disc_list"), data)
    assert resp.status_code == 422 and not DiscProfile.objects.exists()
    assert "确保该值小于或等于100" in resp.content.decode()
    data["inner_d"] = 50
    data["taken_on"] = str(timezone.localdate() + timedelta(days=2))
    resp = _client(world.lead).post(reverse("people:disc_list"), data)
    assert resp.status_code == 422 and "日期不能晚于今天" in resp.content.decode()
    data["taken_on"] = str(timezone.localdate())
    resp = _client(world.lead).post(reverse("people:disc_list"), data)
    assert resp.status_code == 302 and DiscProfile.objects.count() == 1
    assert _client(world.rm).post(reverse("people:disc_list"), data).status_code == 403


def test_inspection_form_findings_and_their_errors(world):
    today = timezone.localdate()
    base = {
        "person": world.rm.pk,
        "year": today.year,
        "quarter": (today.month - 1) // 3 + 1,
        "inspected_on": str(today),
        "summary": "按季检查",
    }
    resp = _client(world.lead).post(
        reverse("people:inspection_list"), base | {"area_1": "archive", "description_1": "", "deduction_1": "3"}
    )
    assert resp.status_code == 422 and "请填写发现的问题" in resp.content.decode()
    assert not Inspection.objects.exists()
    resp = _client(world.lead).post(
        reverse("people:inspection_list"),
        base
        | {
            "area_1": "archive",
            "description_1": "档案缺项",
            "deduction_1": "3",
            "area_2": "journal",
            "description_2": "日志迟交",
            "deduction_2": "2.5",
        },  # fmt: skip
    )
    assert resp.status_code == 302
    assert Inspection.objects.get().score == 94.5


def test_session_form_and_attendance(world, course):
    resp = _client(world.lead).post(
        reverse("people:session_list"), {"course": course.pk, "unit": world.t2.pk, "held_on": "2026-01-05"}
    )
    assert resp.status_code == 422 and not TrainingSession.objects.exists()
    resp = _client(world.lead).post(
        reverse("people:session_list"), {"course": course.pk, "unit": world.t1.pk, "held_on": "2026-01-05"}
    )
    session = TrainingSession.objects.get()
    assert resp.status_code == 302
    resp = _client(world.lead).post(
        reverse("people:session_detail", args=[session.pk]), {"person": world.rm.pk, "exam_score": "88"}
    )
    assert resp.status_code == 422 and "缺勤人员不能登记考试成绩" in resp.content.decode()
    resp = _client(world.lead).post(
        reverse("people:session_detail", args=[session.pk]),
        {"person": world.rm.pk, "attended": "on", "exam_score": "88"},
    )
    assert resp.status_code == 302 and services.points_status(world.rm).points == 10


def test_administrators_edit_job_models_and_the_rule(world):
    model = JobModel.objects.get(code="rm")
    admin = _client(world.admin)
    data = {"code": "rm", "name": "客户经理", "d": 30, "i": 72, "s": 46, "c": 57, "is_active": "on", "version": 1}
    assert admin.post(reverse("people:job_model_edit", args=[model.pk]), data).status_code == 302
    assert JobModel.objects.get(pk=model.pk).d == 30
    assert _client(world.manager).post(reverse("people:job_model_edit", args=[model.pk]), data).status_code == 403
    resp = admin.post(reverse("people:job_models"), {"code": "x", "name": "", "d": 1, "i": 1, "s": 1, "c": 1})
    assert resp.status_code == 422
    rule = services.policy()
    admin.post(
        reverse("people:policy_edit"),
        {
            "required_points": "24",
            "window_months": 24,
            "remind_days": 90,
            "cert_warning_days": 30,
            "version": rule.version,
        },  # fmt: skip
    )
    assert services.policy().required_points == 24


def test_career_plan_pages(world):
    resp = _client(world.rm).post(reverse("people:plan_list"), {"year": 2026, "goals": ""})
    assert resp.status_code == 422
    _client(world.rm).post(reverse("people:plan_list"), {"year": 2026, "goals": "晋升"})
    plan = world.rm.career_plans.get()
    c = _client(world.rm)
    c.post(reverse("people:plan_action", args=[plan.pk, "submit"]), {"version": plan.version})
    lead = _client(world.lead)
    resp = lead.post(reverse("people:plan_action", args=[plan.pk, "review"]), {"review": "", "version": 2})
    assert resp.status_code == 422
    lead.post(reverse("people:plan_action", args=[plan.pk, "review"]), {"review": "同意", "version": 2})
    html = c.get(reverse("people:plan_detail", args=[plan.pk])).content.decode()
    assert "已评议" in html and "同意" in html


def test_supervisor_home_panel_lists_expiring_certificates_and_due_inspections(world):
    world.rm.qualifications.update(expires_on=timezone.localdate() + timedelta(days=5))
    html = _client(world.lead).get("/").content.decode()
    assert 'data-testid="people-panel-certs"' in html and "rm_b" in html
    html = _client(world.rm).get("/").content.decode()
    assert 'data-testid="people-points"' in html


def test_disc_page_draws_the_radar_from_json_without_inline_script(world, make_profile):
    import json
    import re

    profile = make_profile(world.rm, (40, 60, 50, 57), (30, 75, 46, 60))
    html = _client(world.lead).get(reverse("people:disc_detail", args=[profile.pk])).content.decode()
    data = re.search(r'<script id="chart-disc-radar-option" type="application/json">(.*?)</script>', html, re.S)
    option = json.loads(data.group(1))
    assert [i["max"] for i in option["radar"]["indicator"]] == [100, 100, 100, 100]
    series = {d["name"]: d["value"] for d in option["series"][0]["data"]}
    assert series["内在"] == [40, 60, 50, 57] and series["外在"] == [30, 75, 46, 60]
    rm_model = JobModel.objects.get(code="rm")
    assert series[rm_model.name] == [32, 72, 46, 57]
    assert "<script>" not in html  # only json_script data, the chart is drawn by charts.js
