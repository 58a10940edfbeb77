"""The administrator configures and sees no customer data (SPEC §1), also in Django admin: business
records (approval requests, audit events) show kind, status, people and dates only (decision 15)."""

import pytest
from django.contrib import admin
from django.urls import reverse

from rmdesk.core import approvals, audit

pytestmark = pytest.mark.django_db

SECRET_NAME = "甄秘密客户"


def test_admin_pages_of_business_records_show_no_customer_data(client, world, make_customer):
    customer = make_customer(world.rm, name=SECRET_NAME, mobile="13912340000")
    req = approvals.request_approval(
        world.rm, "test.admin", f"分配客户 {SECRET_NAME}", {"name": SECRET_NAME}, unit=world.t1, reason=SECRET_NAME
    )
    event = audit.record(world.rm, "test.view", customer, after={"name": SECRET_NAME, "mobile": "13912340000"})
    client.force_login(world.admin)
    pages = []
    for model in admin.site._registry:
        opts = model._meta
        if opts.app_label not in ("core", "org", "customers", "work", "service"):
            continue
        pages.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    pages += [
        reverse("admin:core_approvalrequest_change", args=[req.pk]),
        reverse("admin:core_auditevent_change", args=[event.pk]),
    ]
    assert len(pages) > 5
    for url in pages:
        resp = client.get(url)
        assert resp.status_code == 200, url
        html = resp.content.decode()
        assert SECRET_NAME not in html and "13912340000" not in html, url
