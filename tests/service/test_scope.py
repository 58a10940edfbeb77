"""Scope matrix (SPEC §1, §5): every role against cases on both sides of the org tree, for every
case endpoint of the API and every page; out of scope is 404, read-only roles get 403 on writes."""
from datetime import date

import pytest

from rmdesk.customers.models import Stage
from rmdesk.service import churn, services, surveys
from rmdesk.service.models import SurveyTemplate
from rmdesk.service.scope import visible_cases

pytestmark = pytest.mark.django_db

USERS = ["rm", "rm_b", "rm_t1b", "lead", "rm2", "lead2", "manager", "risk", "compliance", "assistant", "referrer", "admin"]
# case -> (readers, writers)
MATRIX = {
    "t1": ({"rm", "lead", "manager", "risk", "compliance", "assistant"}, {"rm", "lead", "manager"}),
    "t2": ({"rm2", "lead2"}, {"rm2", "lead2"}),
    # customer of team T2, handled by rm_b of team T1: both sides see it
    "cross": ({"rm_b", "lead", "manager", "risk", "compliance", "assistant", "rm2", "lead2"},
              {"rm_b", "lead", "manager", "rm2", "lead2"}),
}


@pytest.fixture
def cases(world, make_case, make_customer):
    c_t2 = make_customer(world.rm2, world.t2)
    return {
        "t1": make_case(world.rm),
        "t2": make_case(world.rm2, customer=c_t2),
        "cross": make_case(world.rm2, customer=make_customer(world.rm2, world.t2)),
    }


@pytest.fixture
def cross_assigned(cases, world):
    # the responsible unit of the cross case is team T1 (e.g. a product handled by another team)
    from rmdesk.service.models import Case

    Case.objects.filter(pk=cases["cross"].pk).update(owner=world.rm_b, responsible_unit=world.t1, org_path=world.t1.path)
    return cases


@pytest.mark.parametrize("username", USERS)
def test_visible_cases_matrix(world, cross_assigned, username):
    user = getattr(world, username)
    seen = {k for k, c in cross_assigned.items() if visible_cases(user).filter(pk=c.pk).exists()}
    can_write = {k for k, c in cross_assigned.items() if visible_cases(user, write=True).filter(pk=c.pk).exists()}
    assert seen == {k for k, (r, _) in MATRIX.items() if username in r}
    assert can_write == {k for k, (_, w) in MATRIX.items() if username in w}


READ_API = ["/api/service/cases/{id}", "/api/service/cases/{id}/feedback"]
WRITE_API = [
    ("accept", {"note": ""}), ("investigate", {"cause": "x"}), ("propose", {"plan": "x"}),
    ("decide", {"approve": True}), ("implement", {"result": "x"}),
    ("follow-up", {"customer_confirmed": True, "satisfaction": 5}), ("close", {}), ("reopen", {"reason": "x"}),
    ("pause", {"reason": "x"}), ("resume", {}), ("assess", {"is_valid": False}), ("assign", {"owner_id": 1}),
    ("feedback/review", {}), ("feedback/sign", {"signed_name": "x"}),
]
PAGES = ["/service/{id}/", "/service/{id}/feedback/"]


@pytest.mark.parametrize("username", USERS)
def test_every_case_endpoint_follows_scope(client, api_client, world, cross_assigned, username):
    user = getattr(world, username)
    api = api_client(user)
    client.force_login(user)
    listed = {c["id"] for c in api.get("/api/service/cases").json()}
    assert listed == {c.pk for k, c in cross_assigned.items() if username in MATRIX[k][0]}
    for key, case in cross_assigned.items():
        readers, writers = MATRIX[key]
        from rmdesk.service.models import QualityFeedback

        QualityFeedback.objects.get_or_create(case=case, defaults={"product": "p", "problem": "q", "filled_by": case.owner})
        assert api.get(f"/api/service/cases/{case.pk}").status_code == (200 if username in readers else 404), key
        assert api.get(f"/api/service/cases/{case.pk}/feedback").status_code == (200 if username in readers else 404)
        for page in PAGES:
            assert client.get(page.format(id=case.pk)).status_code == (200 if username in readers else 404), page
        for action, body in WRITE_API:
            code = api.post(f"/api/service/cases/{case.pk}/{action}", body, content_type="application/json").status_code
            if username not in readers:
                assert code == 404, (key, action, code)
            elif username not in writers:
                assert code == 403, (key, action, code)
            else:
                assert code in (200, 403, 422), (key, action, code)  # allowed in scope; the flow rules decide
        put = api.put(f"/api/service/cases/{case.pk}/feedback", {"product": "p", "problem": "q"},
                      content_type="application/json").status_code
        if username not in readers:
            assert put == 404
        else:
            assert put == (403 if username not in writers else 422), (key, put)  # 422: signed by the customer above
        from django.core.files.uploadedfile import SimpleUploadedFile

        up = api.post(f"/api/service/cases/{case.pk}/attachments",
                      {"file": SimpleUploadedFile("凭证.txt", b"receipt", content_type="text/plain")}).status_code
        assert up == (404 if username not in readers else 403 if username not in writers else 201), (key, up)
        post = client.post(f"/service/{case.pk}/act/accept/", {})
        assert post.status_code in ((404,) if username not in readers else (302, 403, 422))


def test_register_api_and_validation(world, api_client, make_customer, defaults):
    c = make_customer(world.rm, world.t1)
    api = api_client(world.rm)
    body = {"customer_id": c.pk, "channel": "phone", "category_id": defaults.pk, "title": "转账延迟",
            "description": "跨行转账两天未到账"}
    r = api.post("/api/service/cases", body, content_type="application/json")
    assert r.status_code == 201 and r.json()["owner_id"] == world.rm.pk and r.json()["steps"][0]["action"] == "register"
    r = api.post("/api/service/cases", {**body, "channel": "fax", "title": ""}, content_type="application/json")
    assert r.status_code == 422
    locs = {tuple(d["loc"]) for d in r.json()["detail"]}
    assert ("body", "title") in locs
    # a customer out of scope looks like a missing one
    other = make_customer(world.rm2, world.t2)
    r = api.post("/api/service/cases", {**body, "customer_id": other.pk}, content_type="application/json")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "customer_id"]
    assert api_client(world.referrer).post("/api/service/cases", body, content_type="application/json").status_code == 403


@pytest.mark.parametrize("username", USERS)
def test_survey_watch_and_report_endpoints_follow_scope(world, api_client, client, make_customer, defaults, username):
    c1 = make_customer(world.rm, world.t1, stage=Stage.ACTIVE)
    c2 = make_customer(world.rm2, world.t2, stage=Stage.ACTIVE)
    tpl = SurveyTemplate.objects.first()
    r1 = surveys.start_round(world.lead, template_id=tpl.pk, name="一队调查")
    r2 = surveys.start_round(world.lead2, template_id=tpl.pk, name="二队调查")
    w1 = churn.add_to_watch(world.lead, customer_id=c1.pk)
    w2 = churn.add_to_watch(world.lead2, customer_id=c2.pk)
    readers1 = {"rm", "lead", "manager", "risk", "compliance", "assistant"}
    readers2 = {"rm2", "lead2"}
    user = getattr(world, username)
    api = api_client(user)
    client.force_login(user)
    for rnd, readers in ((r1, readers1), (r2, readers2)):
        expected = 200 if username in readers else 404
        assert api.get(f"/api/service/surveys/rounds/{rnd.pk}/responses").status_code == expected
        assert client.get(f"/service/surveys/{rnd.pk}/").status_code == expected
        resp = rnd.responses.first()
        assert client.get(f"/service/surveys/responses/{resp.pk}/").status_code == expected
        code = api.post(f"/api/service/surveys/responses/{resp.pk}", {"answers": {}}, content_type="application/json").status_code
        assert code == (404 if username not in readers else 403 if username in ("risk", "compliance", "assistant") else 422)
    for entry, readers in ((w1, readers1), (w2, readers2)):
        expected = 200 if username in readers else 404
        assert api.get(f"/api/service/churn/watch/{entry.pk}").status_code == expected
        assert client.get(f"/service/churn/watch/{entry.pk}/").status_code == expected
        code = api.post(f"/api/service/churn/watch/{entry.pk}/actions",
                        {"kind": "call", "description": "电话", "due_on": "2026-07-01"}, content_type="application/json").status_code
        assert code == (404 if username not in readers else 403 if username in ("risk", "compliance", "assistant") else 201)
        action = entry.actions.first() or churn.add_retention_action(
            world.lead if entry is w1 else world.lead2, entry.pk, kind="visit", description="拜访", due_on=date(2026, 7, 1))
        done = api.post(f"/api/service/churn/actions/{action.pk}/done", {"result": "已拜访"},
                        content_type="application/json").status_code
        assert done == (404 if username not in readers else 403 if username in ("risk", "compliance", "assistant") else 200)
        closed = api.post(f"/api/service/churn/watch/{entry.pk}/close", {"status": "retained"},
                          content_type="application/json").status_code
        assert closed == (404 if username not in readers else 403 if username in ("risk", "compliance", "assistant") else 200)
    for rnd, readers in ((r1, readers1), (r2, readers2)):
        from django.core.files.uploadedfile import SimpleUploadedFile

        bad = SimpleUploadedFile("答卷.xlsx", b"not a workbook")
        code = api.post(f"/api/service/surveys/rounds/{rnd.pk}/import", {"file": bad}).status_code
        assert code in ((404,) if username not in readers or username in ("risk", "compliance", "assistant") else (422,))
    assert api.post("/api/service/sla/run").status_code == (200 if username == "admin" else 403)
    listed = {w["id"] for w in api.get("/api/service/churn/watch?status=all").json()}
    assert listed == {e.pk for e, rd in ((w1, readers1), (w2, readers2)) if username in rd}
    rounds = {r["id"] for r in api.get("/api/service/surveys/rounds").json()}
    assert rounds == {r.pk for r, rd in ((r1, readers1), (r2, readers2)) if username in rd}
    # reports only aggregate what the user may see
    for url in ("/api/service/sla/stats", "/api/service/satisfaction", "/api/service/churn/rates"):
        assert api.get(url).status_code == 200
    for url in ("/service/", "/service/sla/", "/service/surveys/", "/service/surveys/index/", "/service/churn/"):
        assert client.get(url).status_code == 200, url
    assert api.get(f"/api/service/churn/rates?start={date(2026, 1, 1)}&end={date(2026, 12, 31)}").status_code == 200
