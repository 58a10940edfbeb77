"""Scope matrix (SPEC §1, §5): every role against cases, survey rounds and churn-watch entries on both
sides of the org tree, for every page and API operation that takes their id (tests/scope_matrix.py).
Out of scope is 404; read-only roles (risk, compliance, assistants) get 403 on writes."""

from datetime import date

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from rmdesk.customers.models import Stage
from rmdesk.service import churn, surveys
from rmdesk.service.models import CaseAttachment, QualityFeedback, SurveyTemplate
from rmdesk.service.scope import visible_cases
from tests.scope_matrix import USERS, Matrix, Sample, fresh

pytestmark = pytest.mark.django_db

READ_ONLY = {"risk", "compliance", "assistant"}
# case -> (readers, writers)
MATRIX = {
    "t1": ({"rm", "lead", "manager", "risk", "compliance", "assistant"}, {"rm", "lead", "manager"}),
    "t2": ({"rm2", "lead2"}, {"rm2", "lead2"}),
    # customer of team T2, handled by rm_b of team T1: both sides see it
    "cross": (
        {"rm_b", "lead", "manager", "risk", "compliance", "assistant", "rm2", "lead2"},
        {"rm_b", "lead", "manager", "rm2", "lead2"},
    ),
}

# --- cases ------------------------------------------------------------------------------------------

cases = Matrix("service", samples="case_samples")


@pytest.fixture
def case_samples(world, make_case, make_customer):
    from rmdesk.service.models import Case

    made = {
        "t1": make_case(world.rm),
        "t2": make_case(world.rm2, customer=make_customer(world.rm2, world.t2)),
        "cross": make_case(world.rm2, customer=make_customer(world.rm2, world.t2)),
    }
    # the responsible unit of the cross case is team T1 (e.g. a product handled by another team)
    Case.objects.filter(pk=made["cross"].pk).update(owner=world.rm_b, responsible_unit=world.t1, org_path=world.t1.path)
    out = []
    for key, case in made.items():
        case.refresh_from_db()
        QualityFeedback.objects.get_or_create(
            case=case, defaults={"product": "p", "problem": "q", "filled_by": case.owner}
        )
        feedback = QualityFeedback.objects.get(case=case)
        attachment = CaseAttachment.objects.create(
            case=case, file=ContentFile(b"evidence", name="evidence.txt"), name="证据.txt", uploaded_by=case.owner
        )
        out.append(Sample(key, *MATRIX[key], case=case, feedback=feedback, attachment=attachment))
    return out


IN_FLOW = {200, 403, 422}  # allowed in scope; the case's flow rules decide
WRITE_API = [
    ("accept", {"note": ""}),
    ("investigate", {"cause": "x"}),
    ("propose", {"plan": "x"}),
    ("decide", {"approve": True}),
    ("implement", {"result": "x"}),
    ("follow-up", {"customer_confirmed": True, "satisfaction": 5}),
    ("close", {}),
    ("reopen", {"reason": "x"}),
    ("pause", {"reason": "x"}),
    ("resume", {}),
    ("assess", {"is_valid": False}),
    ("assign", {"owner_id": 1}),
    ("feedback/review", {}),
    ("feedback/sign", {"signed_name": "x"}),
]

cases.queryset(visible_cases, obj="case")
cases.listing("GET /api/service/cases", obj="case")
cases.api("GET /api/service/cases/{case_id}", obj="case")
cases.api("GET /api/service/cases/{case_id}/feedback", obj="case")
cases.page("service:case_detail", obj="case")
cases.page("service:feedback", obj="case")
cases.page("service:attachment", obj="case", params=lambda s: {"pk": s.case.pk, "att_pk": s.attachment.pk})
for action, body in WRITE_API:
    # edits carry the version the user saw (of the case, or of its feedback form)
    of = "feedback" if action.startswith("feedback/") else "case"
    cases.api(
        f"POST /api/service/cases/{{case_id}}/{action}",
        obj="case",
        ok=IN_FLOW,
        read_only=403,
        body=lambda s, body=body, of=of: {**body, "version": fresh(getattr(s, of)).version},
    )
# a checklist item (issue 19): the bank's cases carry none, so in scope the answer is 422 on `order`
cases.api(
    "POST /api/service/cases/{case_id}/checks/{order}",
    obj="case",
    ok=IN_FLOW,
    read_only=403,
    params=lambda s: {"case_id": s.case.pk, "order": 1},
    body=lambda s: {"done": True, "version": fresh(s.case).version},
)
# 422: the feedback form was signed by the customer above
cases.api(
    "PUT /api/service/cases/{case_id}/feedback",
    obj="case",
    ok=422,
    read_only=403,
    body=lambda s: {"product": "p", "problem": "q", "version": fresh(s.feedback).version},
)
cases.api(
    "POST /api/service/cases/{case_id}/attachments",
    obj="case",
    ok=201,
    read_only=403,
    multipart=True,
    body=lambda s: {"file": SimpleUploadedFile("凭证.txt", b"receipt", content_type="text/plain")},
)
cases.page(
    "service:case_action",
    obj="case",
    method="post",
    data={},
    ok={302, 403, 422},
    params=lambda s: {"pk": s.case.pk, "action": "accept"},
)

test_case_scope_matrix = cases.test()


# --- survey rounds and churn-watch entries: the team lead's subtree --------------------------------

READERS_T1 = {"rm", "lead", "manager", "risk", "compliance", "assistant"}
READERS_T2 = {"rm2", "lead2"}


@pytest.fixture
def rounds_and_watch(world, make_customer, defaults):
    c1 = make_customer(world.rm, world.t1, stage=Stage.ACTIVE)
    c2 = make_customer(world.rm2, world.t2, stage=Stage.ACTIVE)
    tpl = SurveyTemplate.objects.first()
    w1 = churn.add_to_watch(world.lead, customer_id=c1.pk)
    w2 = churn.add_to_watch(world.lead2, customer_id=c2.pk)
    return {
        "t1": (
            surveys.start_round(world.lead, template_id=tpl.pk, name="一队调查"),
            w1,
            churn.add_retention_action(world.lead, w1.pk, kind="visit", description="拜访", due_on=date(2026, 7, 1)),
        ),
        "t2": (
            surveys.start_round(world.lead2, template_id=tpl.pk, name="二队调查"),
            w2,
            churn.add_retention_action(world.lead2, w2.pk, kind="visit", description="拜访", due_on=date(2026, 7, 1)),
        ),
    }


@pytest.fixture
def round_samples(rounds_and_watch):
    return [
        Sample(key, readers, readers - READ_ONLY, round=rnd, response=rnd.responses.first())
        for (key, (rnd, _, _)), readers in zip(rounds_and_watch.items(), (READERS_T1, READERS_T2), strict=True)
    ]


@pytest.fixture
def watch_samples(rounds_and_watch):
    return [
        Sample(key, readers, readers - READ_ONLY, entry=entry, action=action)
        for (key, (_, entry, action)), readers in zip(rounds_and_watch.items(), (READERS_T1, READERS_T2), strict=True)
    ]


rounds = Matrix("service", samples="round_samples")
rounds.listing("GET /api/service/surveys/rounds", obj="round")
rounds.api("GET /api/service/surveys/rounds/{round_id}/responses", obj="round")
rounds.page("service:survey_detail", obj="round")
rounds.page("service:response_edit", obj="response")
rounds.api(
    "POST /api/service/surveys/responses/{response_id}",
    obj="response",
    ok=422,
    read_only=403,
    body=lambda s: {"answers": {}, "version": fresh(s.response).version},
)
rounds.api(
    "POST /api/service/surveys/rounds/{round_id}/import",
    obj="round",
    ok=422,
    read_only=403,  # the round is visible to them; importing answers is not theirs (docs/roles.md)
    multipart=True,
    body=lambda s: {"file": SimpleUploadedFile("答卷.xlsx", b"not a workbook")},
)

test_survey_scope_matrix = rounds.test()

watch = Matrix("service", samples="watch_samples")
watch.listing("GET /api/service/churn/watch", obj="entry", query="?status=all")
watch.api("GET /api/service/churn/watch/{entry_id}", obj="entry")
watch.page("service:watch_detail", obj="entry")
watch.api(
    "POST /api/service/churn/watch/{entry_id}/actions",
    obj="entry",
    ok=201,
    read_only=403,
    body={"kind": "call", "description": "电话", "due_on": "2026-07-01"},
)
watch.api("POST /api/service/churn/actions/{action_id}/done", obj="action", read_only=403, body={"result": "已拜访"})
watch.api(
    "POST /api/service/churn/watch/{entry_id}/close",
    obj="entry",
    read_only=403,
    body=lambda s: {"status": "retained", "version": fresh(s.entry).version},
)

test_watch_scope_matrix = watch.test()


@pytest.mark.parametrize("username", USERS)
def test_reports_and_lists_answer_every_role(world, api_client, client, username):
    """Reports only aggregate what the user may see, so every role gets them; the SLA run is the
    administrators'."""
    user = getattr(world, username)
    api = api_client(user)
    client.force_login(user)
    assert api.post("/api/service/sla/run").status_code == (200 if username == "admin" else 403)
    for url in (
        "/api/service/sla/stats",
        "/api/service/satisfaction",
        "/api/service/churn/rates",
        f"/api/service/churn/rates?start={date(2026, 1, 1)}&end={date(2026, 12, 31)}",
    ):
        assert api.get(url).status_code == 200, url
    for url in ("/service/", "/service/sla/", "/service/surveys/", "/service/surveys/index/", "/service/churn/"):
        assert client.get(url).status_code == 200, url


def test_register_api_and_validation(world, api_client, make_customer, defaults):
    c = make_customer(world.rm, world.t1)
    api = api_client(world.rm)
    body = {
        "customer_id": c.pk,
        "channel": "phone",
        "category_id": defaults.pk,
        "title": "转账延迟",
        "description": "跨行转账两天未到账",
    }
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
    assert (
        api_client(world.referrer).post("/api/service/cases", body, content_type="application/json").status_code == 403
    )
