"""Optimistic locking on every edit of the service app (issue 9, ARCHITECTURE "Concurrency"): each step
of a case, the quality feedback form, a survey response and a watch entry require the version the
client read (missing: 422 on `version`), a stale one answers 409, and nothing is written; the pages
show a clear error instead of overwriting."""

import pytest
from django.db.models import F
from django.forms.models import model_to_dict

from rmdesk.core.models import AuditEvent
from rmdesk.customers.models import Stage
from rmdesk.service import churn, surveys
from rmdesk.service.models import Case, QualityFeedback, SurveyResponse, SurveyTemplate, WatchEntry

pytestmark = pytest.mark.django_db

#: every step of a case: (action, who, body without the version)
CASE_STEPS = [
    ("accept", "rm", {"note": "已受理"}),
    ("investigate", "rm", {"cause": "核实属实"}),
    ("propose", "rm", {"plan": "退还手续费"}),
    ("decide", "lead", {"approve": True, "instruction": "同意"}),
    ("implement", "rm", {"result": "已退还"}),
    ("follow-up", "rm", {"customer_confirmed": True, "satisfaction": 5}),
    ("close", "rm", {"note": "办结"}),
    ("reopen", "rm", {"reason": "客户再次来电"}),
    ("pause", "rm", {"reason": "等待客户提供凭证"}),
    ("resume", "rm", {"note": "客户已回复"}),
    ("assess", "lead", {"is_valid": True, "responsibility": "bank"}),
    ("assign", "lead", {"owner_id": None}),
]


def _state(*objs):
    rows = [model_to_dict(type(o).objects.get(pk=o.pk)) for o in objs]
    return rows, AuditEvent.objects.count()


def _check(api, url, body, obj, method="post"):
    """No version: 422 on `version`; a stale one: 409; nothing written either way."""
    send = getattr(api, method)
    before = _state(obj)
    missing = send(url, body, content_type="application/json")
    assert missing.status_code == 422, missing.content
    assert any(d["loc"][-1] == "version" for d in missing.json()["detail"])
    assert _state(obj) == before
    seen = type(obj).objects.get(pk=obj.pk).version
    type(obj).objects.filter(pk=obj.pk).update(version=F("version") + 1)  # someone else saved meanwhile
    before = _state(obj)
    stale = send(url, {**body, "version": seen}, content_type="application/json")
    assert stale.status_code == 409, stale.content
    assert "已被他人修改" in stale.json()["detail"]
    assert _state(obj) == before
    return seen + 1


@pytest.mark.parametrize("action,who,body", CASE_STEPS, ids=[s[0] for s in CASE_STEPS])
def test_every_case_step_requires_a_current_version(api_client, world, make_case, action, who, body):
    case = make_case()
    if action == "assign":
        body = {"owner_id": world.rm_b.pk}
    steps = case.steps.count()
    _check(api_client(getattr(world, who)), f"/api/service/cases/{case.pk}/{action}", body, case)
    assert case.steps.count() == steps


def test_a_current_version_goes_through(api_client, world, make_case):
    case = make_case()
    api = api_client(world.rm)
    current = _check(api, f"/api/service/cases/{case.pk}/accept", {"note": "已受理"}, case)
    r = api.post(
        f"/api/service/cases/{case.pk}/accept", {"note": "已受理", "version": current}, content_type="application/json"
    )
    assert r.status_code == 200 and r.json()["status"] == "accepted" and r.json()["version"] == current + 1


def test_feedback_form_edits_require_a_current_version(api_client, world, make_case):
    case = make_case()
    rm, lead = api_client(world.rm), api_client(world.lead)
    url = f"/api/service/cases/{case.pk}/feedback"
    body = {"product": "稳盈理财", "problem": "收益不符"}
    assert rm.put(url, body, content_type="application/json").status_code == 422
    assert rm.put(url, {**body, "version": 3}, content_type="application/json").status_code == 409  # none exists
    assert not QualityFeedback.objects.exists()
    r = rm.put(url, {**body, "version": 0}, content_type="application/json")
    assert r.status_code == 200 and r.json()["version"] == 1
    fb = QualityFeedback.objects.get()
    assert rm.put(url, {**body, "version": 0}, content_type="application/json").status_code == 409  # filled meanwhile
    _check(rm, url, {"product": "改", "problem": "改"}, fb, method="put")
    _check(lead, f"{url}/review", {"note": "属实"}, fb)
    _check(rm, f"{url}/sign", {"signed_name": "王建华"}, fb)
    fb.refresh_from_db()
    assert fb.reviewed_by is None and not fb.customer_signed_at and fb.product == "稳盈理财"


def test_survey_answers_require_a_current_version(api_client, world, make_customer, defaults):
    c = make_customer(world.rm, world.t1, stage=Stage.ACTIVE)
    tpl = SurveyTemplate.objects.get(name__startswith="客户满意度调查")
    rnd = surveys.start_round(world.lead, template_id=tpl.pk, name="一季度")
    resp = SurveyResponse.objects.get(round=rnd, customer=c)
    answers = {str(q.pk): 5 for q in tpl.questions.filter(kind="score")}
    api = api_client(world.rm)
    current = _check(api, f"/api/service/surveys/responses/{resp.pk}", {"answers": answers}, resp)
    assert not resp.answers.exists()
    r = api.post(
        f"/api/service/surveys/responses/{resp.pk}",
        {"answers": answers, "version": current},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["version"] == current + 1


def test_watch_close_requires_a_current_version(api_client, world, make_customer, defaults):
    c = make_customer(world.rm, world.t1, stage=Stage.ACTIVE)
    entry = churn.add_to_watch(world.lead, customer_id=c.pk)
    api = api_client(world.rm)
    current = _check(api, f"/api/service/churn/watch/{entry.pk}/close", {"status": "retained"}, entry)
    assert WatchEntry.objects.get(pk=entry.pk).status == "open"
    r = api.post(
        f"/api/service/churn/watch/{entry.pk}/close",
        {"status": "retained", "version": current},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["status"] == "retained"


def test_pages_say_when_the_version_is_missing_or_stale(client, world, make_case, make_customer, defaults):
    case = make_case()
    client.force_login(world.rm)
    r = client.post(f"/service/{case.pk}/act/accept/", {"note": "x"})
    assert r.status_code == 422 and "缺少版本号" in r.content.decode()
    r = client.post(f"/service/{case.pk}/act/investigate/", {"cause": "x", "version": case.version + 5})
    assert r.status_code == 422 and 'data-testid="stale"' in r.content.decode()
    assert Case.objects.get(pk=case.pk).status == "registered"
    entry = churn.add_to_watch(world.lead, customer_id=make_customer(world.rm, world.t1).pk)
    r = client.post(
        f"/service/churn/watch/{entry.pk}/", {"op": "close", "status": "retained", "version": entry.version + 1}
    )
    assert r.status_code == 422 and "已被他人修改" in r.content.decode()
    assert WatchEntry.objects.get(pk=entry.pk).status == "open"
    tpl = SurveyTemplate.objects.get(name__startswith="客户满意度调查")
    rnd = surveys.start_round(world.lead, template_id=tpl.pk, name="二季度")
    resp = rnd.responses.first()
    form = {f"q{q.pk}": 5 for q in tpl.questions.filter(kind="score")}
    r = client.post(f"/service/surveys/responses/{resp.pk}/", {**form, "version": resp.version + 1})
    assert r.status_code == 422 and 'data-testid="stale"' in r.content.decode()
    assert client.post(f"/service/surveys/responses/{resp.pk}/", {**form, "version": resp.version}).status_code == 302
