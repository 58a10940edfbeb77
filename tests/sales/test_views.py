"""Pages and API of the sales app (SPEC §4): every page renders for the roles that use it, the 360° slot
and home panels show the app's records, bad input answers 422 next to the field (pages) or with field
paths (API), and nothing is written."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from rmdesk.sales import services
from rmdesk.sales.models import Campaign, Quota, Referral

pytestmark = pytest.mark.django_db

PAGES = [
    "/sales/",
    "/sales/?view=list",
    "/sales/log/",
    "/sales/campaigns/",
    "/sales/tasks/",
    "/sales/referrals/",
    "/sales/analysis/",
    "/sales/materials/",
]


@pytest.fixture
def launched(world, make_customer, products):
    customer = make_customer(
        world.rm, aum=Decimal("900000"), risk_tolerance="C3", risk_assessed_on=timezone.localdate()
    )
    segment = services.save_segment(world.lead, name="高", criteria={"aum_min": "500000"})
    campaign = services.launch_campaign(
        world.lead,
        name="代发营销",
        segment_id=segment.pk,
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate() + timedelta(days=9),
        product_ids=[products["PAYROLL"].pk],
        target_count=2,
        target_amount=Decimal("0"),
    )
    services.create_opportunity(world.rm, customer_id=customer.pk, product_id=products["DEP-FIX1Y"].pk)
    return customer, campaign


def test_pages_render_for_workers_and_the_home_and_360(client, world, launched):
    customer, campaign = launched
    for user in (world.rm, world.lead, world.manager, world.risk):
        client.force_login(user)
        for url in PAGES + [f"/sales/campaigns/{campaign.pk}/"]:
            assert client.get(url).status_code == 200, (user.username, url)
    client.force_login(world.rm)
    home = client.get("/").content.decode()
    assert "代发营销" in home  # the list to work, on the RM's home page
    page = client.get(f"/customers/{customer.pk}/").content.decode()
    assert 'data-testid="slot-sales"' in page and "稳盈理财90天" in page  # the next-best-product hint
    client.force_login(world.lead)
    assert client.get("/sales/segments/").status_code == 200
    client.force_login(world.referrer)
    assert client.get("/sales/referrals/").status_code == 200
    listing = client.get("/sales/?view=list").content.decode()
    assert not re.search(r'href="/sales/opportunities/\d+/"', listing)  # sees no opportunity


def test_campaign_form_errors_next_to_fields(client, world, launched):
    client.force_login(world.lead)
    resp = client.post("/sales/campaigns/new/", {"name": "", "starts_on": "2026-01-02", "ends_on": "2026-01-01"})
    assert resp.status_code == 422
    assert resp.context["form"].errors["name"] and resp.context["form"].errors["products"]
    assert Campaign.objects.count() == 1


def test_split_in_the_api_names_the_share_and_writes_nothing(api_client, world, launched):
    _customer, campaign = launched
    root = Quota.objects.get(campaign=campaign, parent=None)
    resp = api_client(world.lead).post(
        f"/api/sales/quotas/{root.pk}/split",
        {
            "shares": [{"rm_id": world.rm.pk, "target_count": 1}, {"rm_id": world.rm_b.pk, "target_count": -3}],
            "version": root.version,
        },
        content_type="application/json",
    )
    assert resp.status_code == 422
    locs = [tuple(d["loc"]) for d in resp.json()["detail"]]
    assert ("body", "shares", "1", "target_count") in locs
    assert not Quota.objects.filter(parent=root).exists()
    ok = api_client(world.lead).post(
        f"/api/sales/quotas/{root.pk}/split",
        {
            "shares": [{"rm_id": world.rm.pk, "target_count": 1}, {"rm_id": world.rm_b.pk, "target_count": 1}],
            "version": root.version,
        },
        content_type="application/json",
    )
    assert ok.status_code == 200 and len(ok.json()) == 2


def test_referral_api_by_referrer_and_suitability_422(api_client, world, launched, products):
    customer, _campaign = launched
    resp = api_client(world.referrer).post(
        "/api/sales/referrals",
        {"customer_no": customer.customer_no, "need": "咨询理财"},
        content_type="application/json",
    )
    assert resp.status_code == 201 and resp.json()["rm_name"] == "rm"
    resp = api_client(world.rm).post(
        "/api/sales/referrals", {"customer_no": customer.customer_no, "need": "x"}, content_type="application/json"
    )
    assert resp.status_code == 422 and resp.json()["detail"][0]["loc"] == ["body", "referrer"]  # issue 11
    assert Referral.objects.count() == 1
    resp = api_client(world.rm).post(
        "/api/sales/opportunities",
        {"customer_id": customer.pk, "product_id": products["FD-QDII"].pk},
        content_type="application/json",
    )
    assert resp.status_code == 422 and resp.json()["detail"][0]["loc"] == ["body", "product_id"]
