"""One limit for the page and the API (issue 9 "Services own every write"): the import upload size
and the handover size are each a constant of the services, checked by the form, the API and the
service alike; the page shows the error next to the field, the API answers 422 with its path."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from rmdesk.core.models import ApprovalRequest
from rmdesk.customers import services
from rmdesk.customers.forms import HandoverForm, ImportForm
from rmdesk.customers.models import ImportJob
from rmdesk.customers.services import imports, ownership

pytestmark = pytest.mark.django_db

CSV = "客户号,客户类型,客户名称\r\nK001,个人,张三\r\n".encode("utf-8-sig")


def test_the_limits_are_the_documented_ones():
    assert services.IMPORT_MAX_BYTES == 50 * 1024 * 1024
    assert services.HANDOVER_MAX_CUSTOMERS == 2000


# --- import upload size ----------------------------------------------------------------------------


def _too_big(name="customers.csv"):
    f = SimpleUploadedFile(name, CSV)
    f.size = services.IMPORT_MAX_BYTES + 1  # what Django reports for an upload one byte over the limit
    return f


def test_the_form_refuses_a_file_over_50mb():
    form = ImportForm({"kind": "customers"}, {"file": _too_big()})
    assert not form.is_valid()
    assert form.errors["file"] == ["文件不能超过 50 MB。"]


def test_the_service_refuses_a_file_over_50mb_on_its_field(world):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        services.start_import(world.lead, _too_big(), "customers")
    assert exc.value.message_dict == {"file": ["文件不能超过 50 MB。"]}
    assert not ImportJob.objects.exists()


def test_page_and_api_refuse_an_oversized_upload_the_same_way(world, client, api_client, monkeypatch):
    monkeypatch.setattr(imports, "IMPORT_MAX_BYTES", len(CSV) - 1)
    client.force_login(world.lead)
    page = client.post(reverse("customers:import"), {"kind": "customers", "file": SimpleUploadedFile("c.csv", CSV)})
    assert page.status_code == 200
    form_errors = page.context["form"].errors["file"]
    api = api_client(world.lead).post(
        "/api/customers/imports", {"kind": "customers", "file": SimpleUploadedFile("c.csv", CSV)}
    )
    assert api.status_code == 422
    detail = api.json()["detail"]
    assert [d["loc"] for d in detail] == [["body", "file"]]
    assert [d["msg"] for d in detail] == form_errors
    assert form_errors[0].startswith("文件不能超过") and form_errors[0] in page.content.decode()
    assert not ImportJob.objects.exists()
    # at the limit both accept
    monkeypatch.setattr(imports, "IMPORT_MAX_BYTES", len(CSV))
    assert (
        api_client(world.lead)
        .post("/api/customers/imports", {"kind": "customers", "file": SimpleUploadedFile("c.csv", CSV)})
        .status_code
        == 201
    )


def test_page_and_api_refuse_a_wrong_file_type_the_same_way(world, client, api_client):
    client.force_login(world.lead)
    page = client.post(reverse("customers:import"), {"kind": "customers", "file": SimpleUploadedFile("c.txt", CSV)})
    api = api_client(world.lead).post(
        "/api/customers/imports", {"kind": "customers", "file": SimpleUploadedFile("c.txt", CSV)}
    )
    assert api.status_code == 422 and api.json()["detail"][0]["loc"] == ["body", "file"]
    assert page.context["form"].errors["file"] == [api.json()["detail"][0]["msg"]] == ["只支持 .xlsx 或 .csv 文件。"]
    assert not ImportJob.objects.exists()


def test_only_import_roles_may_start_an_import(world, api_client):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.start_import(world.rm, SimpleUploadedFile("c.csv", CSV), "customers")
    assert (
        api_client(world.rm)
        .post("/api/customers/imports", {"kind": "customers", "file": SimpleUploadedFile("c.csv", CSV)})
        .status_code
        == 403
    )
    assert not ImportJob.objects.exists()


# --- handover size ---------------------------------------------------------------------------------


@pytest.fixture
def three(world, make_customer):
    return [make_customer(world.rm, name=f"移交{i}") for i in range(3)]


def test_the_handover_form_refuses_more_than_the_cap(world, three, monkeypatch):
    monkeypatch.setattr(ownership, "HANDOVER_MAX_CUSTOMERS", 2)
    form = HandoverForm({"from_rm": world.rm.pk, "to_rm": world.rm_b.pk, "customer_ids": [c.pk for c in three]})
    assert not form.is_valid()
    assert form.errors["customer_ids"] == ["一次最多移交 2 户客户（本次 3 户），请分批提交。"]


def test_page_and_api_refuse_an_oversized_handover_the_same_way(world, three, client, api_client, monkeypatch):
    monkeypatch.setattr(ownership, "HANDOVER_MAX_CUSTOMERS", 2)
    ids = [c.pk for c in three]
    client.force_login(world.lead)
    page = client.post(
        reverse("customers:handover"), {"from_rm": world.rm.pk, "to_rm": world.rm_b.pk, "customer_ids": ids}
    )
    assert page.status_code == 200
    html = page.content.decode()
    message = "一次最多移交 2 户客户（本次 3 户），请分批提交。"
    assert f'data-field-error="customer_ids">{message}</p>' in html  # next to the customer table
    api = api_client(world.lead).post(
        "/api/customers/handover",
        {"from_rm": world.rm.pk, "to_rm": world.rm_b.pk, "customer_ids": ids},
        content_type="application/json",
    )
    assert api.status_code == 422
    assert api.json()["detail"] == [{"type": "max_customers", "loc": ["body", "customer_ids"], "msg": message}]
    # without a selection the API means "all of them": the same limit applies
    everything = api_client(world.lead).post(
        "/api/customers/handover", {"from_rm": world.rm.pk, "to_rm": world.rm_b.pk}, content_type="application/json"
    )
    assert everything.status_code == 422 and everything.json()["detail"][0]["loc"] == ["body", "customer_ids"]
    assert not ApprovalRequest.objects.filter(kind="customers.handover").exists()
    # at the limit both accept
    ok = api_client(world.lead).post(
        "/api/customers/handover",
        {"from_rm": world.rm.pk, "to_rm": world.rm_b.pk, "customer_ids": ids[:2]},
        content_type="application/json",
    )
    assert ok.status_code == 201


def test_page_and_api_preview_list_at_most_the_cap(world, three, client, api_client, monkeypatch):
    monkeypatch.setattr(ownership, "HANDOVER_MAX_CUSTOMERS", 2)
    client.force_login(world.lead)
    page = client.get(reverse("customers:handover"), {"from_rm": world.rm.pk, "to_rm": world.rm_b.pk})
    html = page.content.decode()
    assert html.count('data-testid="handover-row"') == 2 and 'data-testid="handover-capped"' in html
    assert "名下共 3 户客户" in html
    preview = api_client(world.lead).get("/api/customers/handover/preview", {"from_rm": world.rm.pk}).json()
    assert len(preview["customers"]) == 2 and preview["total"] == 3
