"""Derived columns of an archive in one place (issue 9): `Customer.refresh_derived()` computes the
pinyin initials and the mobile and ID tails for save(), the importer's bulk inserts and the demo."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from rmdesk.customers import importer, services
from rmdesk.customers.importer import CUSTOMER_COLUMNS
from rmdesk.customers.models import Customer

pytestmark = pytest.mark.django_db

DERIVED = ("name_initials", "mobile_tail", "id_tail")


def _derived(c):
    return tuple(getattr(c, f) for f in DERIVED)


def test_clearing_the_mobile_through_the_api_drops_its_tail_from_search(world, make_customer, api_client, ids):
    c = make_customer(world.rm, name="张伟明", id_number=ids.id(), mobile="13912345678")
    assert c.mobile_tail == "5678"
    client = api_client(world.rm)

    def found(q):
        return [r["id"] for r in client.get("/api/customers/", {"q": q}).json()["items"]]

    assert found("5678") == [c.pk]
    resp = client.patch(f"/api/customers/{c.pk}", {"version": c.version, "mobile": ""}, content_type="application/json")
    assert resp.status_code == 200, resp.content
    c.refresh_from_db()
    assert (c.mobile, c.mobile_tail) == ("", "")
    assert found("5678") == []
    assert found(c.id_number[-4:]) == [c.pk]  # the ID tail still finds the archive


def test_clearing_the_mobile_through_the_service_drops_its_tail(world, ids):
    c, _ = services.create_customer(world.rm, {"name": "李小红", "id_number": ids.id(), "mobile": "13900002222"})
    assert c.mobile_tail == "2222"
    services.update_customer(world.rm, c.pk, {"mobile": ""}, version=c.version)
    assert not Customer.objects.filter(mobile_tail="2222").exists()


def test_a_rename_refreshes_the_initials(world, ids):
    c, _ = services.create_customer(world.rm, {"name": "张伟明", "id_number": ids.id()})
    assert c.name_initials == "zwm"
    c, _ = services.update_customer(world.rm, c.pk, {"name": "李小红"}, version=c.version)
    assert Customer.objects.get(pk=c.pk).name_initials == "lxh"


def test_save_with_update_fields_writes_the_changed_derived_columns(world, make_customer):
    c = make_customer(world.rm, name="张伟明", mobile="13912345678")
    c.mobile = "13800001111"
    c.save(update_fields=["mobile"])
    assert Customer.objects.values_list("mobile_tail", flat=True).get(pk=c.pk) == "1111"


def test_anonymised_archives_keep_no_search_keys(world, make_customer, ids):
    c = make_customer(world.rm, name="张伟明", id_number=ids.id(), mobile="13912345678")
    services.anonymise_customer(world.compliance, c.pk, "客户申请删除")
    c.refresh_from_db()
    assert _derived(c) == ("", "", "")


def test_importer_and_save_compute_the_same_derived_values(world, client, ids):
    number = ids.id()
    values = {
        "customer_no": "K001",
        "kind": "个人",
        "name": "欧阳明月",
        "id_number": number,
        "mobile": "13900001234",
        "a_rm_no": world.rm.employee_no,
    }
    header = [label for _f, label in CUSTOMER_COLUMNS]
    body = io.StringIO()
    import csv

    w = csv.writer(body)
    w.writerow(header)
    w.writerow([values.get(f, "") for f, _l in CUSTOMER_COLUMNS])
    client.force_login(world.lead)
    resp = client.post(
        reverse("customers:import"),
        {"kind": "customers", "file": SimpleUploadedFile("c.csv", body.getvalue().encode())},
    )
    assert resp.status_code == 302
    imported = Customer.objects.get(customer_no="K001")
    saved = Customer(
        name="欧阳明月",
        id_number=number,
        mobile="13900001234",
        customer_no="S001",
        org_unit=world.t1,
        org_path=world.t1.path,
    )
    saved.save()
    assert _derived(imported) == _derived(saved) == ("oymy", "1234", number[-4:])


def test_the_importers_new_row_is_refreshed_like_a_saved_one(world):
    row = importer._new_customer(
        {"name": "张伟明", "mobile": "13912345678", "id_number": "", "kind": "individual"},
        {"rm": world.rm, "unit": world.t1, "customer_no": "K9"},
        {},  # no tier sets in use
    )
    fresh = Customer(name="张伟明", mobile="13912345678")
    fresh.refresh_derived()
    assert _derived(row) == _derived(fresh) == ("zwm", "5678", "")
