"""Required version on every edit of the customers app (issue 9, ARCHITECTURE "Concurrency"): the
API answers 422 on `version` when it is missing and 409 when it is stale, the page shows a form
error; in every case nothing is written."""

import pytest
from django.urls import reverse

from rmdesk.core.models import AuditEvent
from rmdesk.customers.models import Customer

pytestmark = pytest.mark.django_db

# every edit endpoint of the customers API: (method, url, body without version)
EDIT_ENDPOINTS = [
    ("patch", "/api/customers/{pk}", {"occupation": "律师"}),
    ("patch", "/api/customers/{pk}", {"tags": ["代发"]}),
    ("patch", "/api/customers/{pk}", {"stage": "active"}),
]


@pytest.fixture
def c_rm(world, make_customer, ids):
    return make_customer(world.rm, world.t1, name="张伟明", id_number=ids.id(), mobile="13912345678", occupation="教师")


def _untouched(c):
    fresh = Customer.objects.get(pk=c.pk)
    return (
        fresh.version == c.version
        and fresh.occupation == c.occupation
        and fresh.stage == c.stage
        and not fresh.tags.exists()
        and not AuditEvent.objects.filter(action="customers.update").exists()
    )


def test_the_edit_schema_requires_version():
    from rmdesk.customers.schemas import CustomerPatch

    field = CustomerPatch.model_fields["version"]
    assert field.is_required() and field.annotation is int


@pytest.mark.parametrize("method,url,body", EDIT_ENDPOINTS)
def test_missing_version_is_422_and_writes_nothing(world, c_rm, api_client, method, url, body):
    resp = getattr(api_client(world.rm), method)(url.format(pk=c_rm.pk), body, content_type="application/json")
    assert resp.status_code == 422
    assert any(d["loc"][-1] == "version" for d in resp.json()["detail"])
    assert _untouched(c_rm)


@pytest.mark.parametrize("method,url,body", EDIT_ENDPOINTS)
def test_null_version_is_422_and_writes_nothing(world, c_rm, api_client, method, url, body):
    resp = getattr(api_client(world.rm), method)(
        url.format(pk=c_rm.pk), {**body, "version": None}, content_type="application/json"
    )
    assert resp.status_code == 422
    assert _untouched(c_rm)


@pytest.mark.parametrize("method,url,body", EDIT_ENDPOINTS)
def test_stale_version_is_409_and_writes_nothing(world, c_rm, api_client, method, url, body):
    Customer.objects.filter(pk=c_rm.pk).update(version=3)  # someone else saved twice meanwhile
    c_rm.version = 3
    resp = getattr(api_client(world.rm), method)(
        url.format(pk=c_rm.pk), {**body, "version": 2}, content_type="application/json"
    )
    assert resp.status_code == 409
    assert "已被他人修改" in resp.json()["detail"] and "当前版本 3" in resp.json()["detail"]
    assert _untouched(c_rm)


def test_the_service_refuses_a_missing_version(world, c_rm):
    from django.core.exceptions import ValidationError

    from rmdesk.customers import services

    with pytest.raises(ValidationError) as exc:
        services.update_customer(world.rm, c_rm.pk, {"occupation": "律师"}, version=None)
    assert not isinstance(exc.value, services.StaleVersionError) and "version" in exc.value.message_dict
    assert _untouched(c_rm)


def _edit_form(c, **extra):
    return {
        "kind": "individual",
        "name": c.name,
        "id_number": c.id_number,
        "mobile": c.mobile,
        "source": "self",
        "stage": "potential",
        "occupation": "律师",
        **extra,
    }


def test_edit_form_without_version_shows_an_error_and_writes_nothing(world, c_rm, client):
    client.force_login(world.rm)
    resp = client.post(reverse("customers:edit", args=[c_rm.pk]), _edit_form(c_rm))
    assert resp.status_code == 200
    assert resp.context["form"].errors["version"] == ["缺少版本号，请刷新后重试。"]
    assert "缺少版本号" in resp.content.decode()
    assert _untouched(c_rm)


def test_edit_form_with_a_stale_version_shows_an_error_and_writes_nothing(world, c_rm, client):
    Customer.objects.filter(pk=c_rm.pk).update(version=2)
    c_rm.version = 2
    client.force_login(world.rm)
    resp = client.post(reverse("customers:edit", args=[c_rm.pk]), _edit_form(c_rm, version=1))
    assert resp.status_code == 200
    assert "该档案已被他人修改（当前版本 2），请刷新后重新编辑。" in resp.context["form"].errors["version"]
    assert "已被他人修改" in resp.content.decode()
    assert _untouched(c_rm)


def test_create_form_needs_no_version(world, client, ids):
    client.force_login(world.rm)
    resp = client.post(
        reverse("customers:new"),
        {"kind": "individual", "name": "王五", "id_number": ids.id(), "source": "self", "stage": "potential"},
    )
    assert resp.status_code == 302 and Customer.objects.filter(name="王五").exists()
