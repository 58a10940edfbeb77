"""Over-long text and control characters are refused with the field named, on SQLite and PostgreSQL
alike, and nothing is written (issue 10; core.validation)."""

from django.urls import reverse

from rmdesk.service.models import Case


def _body(world, make_customer, defaults, **over):
    customer = make_customer(world.rm, world.t1)
    body = {
        "customer_id": customer.pk,
        "channel": "branch",
        "category_id": defaults.pk,
        "title": "理财收益与宣传不符",
        "description": "客户反映收益低于预期。",
    }
    body.update(over)
    return body


def test_api_refuses_a_title_one_character_too_long(api_client, world, make_customer, defaults):
    api = api_client(world.rm)
    r = api.post("/api/service/cases", _body(world, make_customer, defaults, title="投" * 121), "application/json")
    assert r.status_code == 422, r.content
    (error,) = r.json()["detail"]
    assert error["loc"] == ["body", "title"] and "120" in error["msg"]
    assert not Case.objects.exists()
    r = api.post("/api/service/cases", _body(world, make_customer, defaults, title="投" * 120), "application/json")
    assert r.status_code == 201, r.content


def test_api_refuses_control_characters(api_client, world, make_customer, defaults):
    api = api_client(world.rm)
    body = _body(world, make_customer, defaults, product="理财\x1b[31m")
    r = api.post("/api/service/cases", body, "application/json")
    assert r.status_code == 422, r.content
    assert r.json()["detail"][0]["loc"] == ["body", "product"]
    assert not Case.objects.exists()


def test_form_shows_the_length_error_next_to_the_field(client, world, make_customer, defaults):
    customer = make_customer(world.rm, world.t1)
    client.force_login(world.rm)
    r = client.post(
        reverse("service:case_new"),
        {
            "customer": customer.customer_no,
            "kind": "complaint",
            "channel": "branch",
            "category": defaults.pk,
            "severity": "normal",
            "title": "投诉",
            "description": "说明",
            "product": "产" * 101,
        },
    )
    assert r.status_code == 200
    assert not Case.objects.exists()
    assert "100" in r.content.decode()
