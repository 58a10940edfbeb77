"""The new-customer and edit forms (SPEC §2, issue 10): bank-form field order, ID type as a choice with
labels in both languages, bad choices refused next to the field."""

import re

import pytest
from django.urls import reverse

from rmdesk.customers.forms import CustomerForm
from rmdesk.customers.models import Customer, IdType

pytestmark = pytest.mark.django_db


def _visible(form):
    return [f.name for f in form.visible_fields()]


def test_fields_in_bank_form_order():
    individual = _visible(CustomerForm(kind="individual"))
    assert individual[:5] == ["name", "id_type", "id_number", "gender", "birth_date"]
    assert individual.index("mobile") < individual.index("address") < individual.index("occupation")
    corporate = _visible(CustomerForm(kind="corporate"))
    assert corporate[:5] == ["name", "credit_code", "legal_rep", "mobile", "email"]
    assert _visible(CustomerForm(kind="outlet"))[:3] == ["name", "credit_code", "legal_rep"]
    for kind in ("individual", "corporate", "outlet"):
        assert _visible(CustomerForm(kind=kind))[-1] == "tags"


def test_new_form_page_shows_kind_first_and_id_type_labels(world, client):
    client.force_login(world.rm)
    html = client.get(reverse("customers:new") + "?kind=individual").content.decode()
    assert html.index('data-testid="customer-kind"') < html.index('name="name"') < html.index('name="id_type"')
    options = dict(re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', html))
    assert options["resident_id"] == "居民身份证" and options["passport"] == "护照"
    assert options["hk_macao_permit"] == "港澳居民来往内地通行证"
    assert options["taiwan_permit"] == "台湾居民来往大陆通行证"
    assert options["foreign_pr"] == "外国人永久居留身份证"
    assert options["potential"] == "潜在" and options["M"] == "男"  # every choice shows its label
    assert 'value="resident_id" selected' in html
    client.cookies["django_language"] = "en"
    html_en = client.get(reverse("customers:new") + "?kind=individual").content.decode()
    options_en = dict(re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', html_en))
    assert options_en["resident_id"] == "Resident identity card" and options_en["passport"] == "Passport"
    assert 'data-testid="customer-kind">Individual<' in html_en


def test_passport_holder_is_created_and_shown_with_the_label(world, client, ids):
    client.force_login(world.rm)
    resp = client.post(
        reverse("customers:new"),
        {
            "kind": "individual",
            "name": "John Smith",
            "id_type": "passport",
            "id_number": "E12345678",
            "mobile": ids.mobile(),
            "source": "self",
            "stage": "potential",
        },
    )
    c = Customer.objects.get()
    assert resp.status_code == 302 and c.id_type == IdType.PASSPORT and c.id_number == "E12345678"
    page = client.get(reverse("customers:detail", args=[c.pk])).content.decode()
    assert re.search(r'data-testid="customer-id-type">护照<', page)


def test_unknown_id_type_is_refused_next_to_the_field(world, client, ids, api_client):
    client.force_login(world.rm)
    resp = client.post(
        reverse("customers:new"),
        {"kind": "individual", "name": "王五", "id_type": "driving_licence", "mobile": ids.mobile()},
    )
    assert resp.status_code == 200 and 'data-field-error="id_type"' in resp.content.decode()
    assert not Customer.objects.exists()
    # the API shares the service's validation: 422 on id_type
    api = api_client(world.rm)
    resp = api.post(
        "/api/customers/",
        {"kind": "individual", "name": "王五", "id_type": "driving_licence", "mobile": ids.mobile()},
        content_type="application/json",
    )
    assert resp.status_code == 422, resp.content
    assert "id_type" in resp.content.decode() and not Customer.objects.exists()
