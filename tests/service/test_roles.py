"""Read-only roles do not write (SPEC §1, docs/roles.md): risk, compliance and the back-office
assistant see complaints and surveys in their subtree but register no case and start no survey round,
through the API or the pages; the workers still do."""

import pytest
from django.urls import reverse

from rmdesk.service.models import Case, SurveyRound, SurveyTemplate

READ_ONLY = ["risk", "compliance", "assistant"]


def _case_body(world, make_customer, defaults):
    customer = make_customer(world.rm, world.t1)
    return {
        "customer_id": customer.pk,
        "channel": "branch",
        "category_id": defaults.pk,
        "title": "理财收益与宣传不符",
        "description": "客户反映收益低于预期。",
    }


@pytest.mark.parametrize("who", READ_ONLY)
def test_read_only_roles_register_no_case(api_client, client, world, make_customer, defaults, who):
    user = getattr(world, who)
    r = api_client(user).post("/api/service/cases", _case_body(world, make_customer, defaults), "application/json")
    assert r.status_code == 403, r.content
    client.force_login(user)
    assert client.get(reverse("service:case_new")).status_code == 403
    assert not Case.objects.exists()


@pytest.mark.parametrize("who", READ_ONLY + ["rm"])
def test_only_supervisors_start_survey_rounds(api_client, world, defaults, who):
    template = SurveyTemplate.objects.filter(is_active=True).first()
    body = {"template_id": template.pk, "name": "季度满意度调查"}
    r = api_client(getattr(world, who)).post("/api/service/surveys/rounds", body, "application/json")
    assert r.status_code == 403, r.content
    assert not SurveyRound.objects.exists()


def test_workers_still_register_and_supervisors_still_start_rounds(api_client, world, make_customer, defaults):
    r = api_client(world.rm).post("/api/service/cases", _case_body(world, make_customer, defaults), "application/json")
    assert r.status_code == 201, r.content
    template = SurveyTemplate.objects.filter(is_active=True).first()
    body = {"template_id": template.pk, "name": "季度满意度调查"}
    r = api_client(world.lead).post("/api/service/surveys/rounds", body, "application/json")
    assert r.status_code == 201, r.content
