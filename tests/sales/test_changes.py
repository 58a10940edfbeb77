"""What issue 11 still asked for (SPEC §4): campaign edit and cancel (what happens to the quotas, the
lists and the tasks; audited; 409 on a stale version), a referral by a non-referrer as a 422 field error
on `referrer` in the page and the API, and the funnel drill-down whose lists match the funnel's figures
exactly, in the viewer's scope."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from rmdesk.core.actions import RoleRefused, StaleVersion
from rmdesk.core.models import AuditEvent, Notification
from rmdesk.sales import services
from rmdesk.sales.models import Campaign, CampaignTarget, MarketingTask, Opportunity, Quota, Referral
from rmdesk.sales.scope import visible_opportunities

from .conftest import ver

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


@pytest.fixture
def campaign(world, make_customer, products):
    for rm, aum in ((world.rm, "600000"), (world.rm_b, "900000"), (world.rm2, "800000")):
        make_customer(rm, aum=Decimal(aum))
    segment = services.save_segment(world.manager, name="高资产客户", criteria={"aum_min": "500000"})
    return services.launch_campaign(
        world.manager,
        name="春季理财",
        segment_id=segment.pk,
        starts_on=TODAY(),
        ends_on=TODAY() + timedelta(days=30),
        product_ids=[products["WM-STABLE"].pk],
        script="您好",
        target_count=100,
        target_amount=Decimal("1000000"),
    )


def _edit(actor, campaign, **changes):
    c = Campaign.objects.get(pk=campaign.pk)
    fields = {
        "version": c.version,
        "name": c.name,
        "ends_on": c.ends_on,
        "product_ids": list(c.products.values_list("pk", flat=True)),
        "script": c.script,
        "target_count": c.target_count,
        "target_amount": c.target_amount,
    }
    return services.edit_campaign(actor, campaign.pk, **(fields | changes))


# --- campaign edit ------------------------------------------------------------------------------------------


def test_edit_changes_the_terms_and_the_unsplit_quota_audited(world, campaign, products):
    new_end = TODAY() + timedelta(days=60)
    edited = _edit(
        world.manager,
        campaign,
        name="春季理财（延长）",
        ends_on=new_end,
        product_ids=[products["WM-STABLE"].pk, products["DEP-FIX1Y"].pk],
        script="新话术",
        target_count=120,
        target_amount=Decimal("1200000"),
    )
    assert (edited.name, edited.ends_on, edited.script, edited.version) == ("春季理财（延长）", new_end, "新话术", 2)
    assert set(edited.products.values_list("code", flat=True)) == {"WM-STABLE", "DEP-FIX1Y"}
    root = Quota.objects.get(campaign=campaign, parent=None)
    assert (root.target_count, root.target_amount) == (120, Decimal("1200000"))
    event = AuditEvent.objects.get(action="sales.campaign_edit", object_id=str(campaign.pk))
    assert event.summary["before"]["target_count"] == 100 and event.summary["after"]["target_count"] == 120
    # the list stays as generated at launch
    assert CampaignTarget.objects.filter(campaign=campaign).count() == 2


def test_edit_refuses_bad_input_and_a_split_target_writing_nothing(world, campaign):
    with pytest.raises(ValidationError) as exc:
        _edit(world.manager, campaign, name=" ", ends_on=campaign.starts_on - timedelta(days=1), product_ids=[])
    assert set(exc.value.message_dict) == {"name", "ends_on", "product_ids"}
    with pytest.raises(ValidationError) as exc:
        _edit(world.manager, campaign, target_count=-1, target_amount=Decimal("-1"))
    assert set(exc.value.message_dict) == {"target_count", "target_amount"}
    root = Quota.objects.get(campaign=campaign, parent=None)
    services.split_quota(
        world.manager,
        root.pk,
        shares=[{"unit_id": world.o1.pk, "target_count": 100, "target_amount": Decimal("1000000")}],
        version=ver(root),
    )
    with pytest.raises(ValidationError) as exc:
        _edit(world.manager, campaign, target_count=150)
    assert "已向下分解" in exc.value.message_dict["target_count"][0]
    assert Campaign.objects.get(pk=campaign.pk).target_count == 100
    assert Quota.objects.get(pk=root.pk).target_count == 100
    # the other terms may still change once the quota was split
    assert _edit(world.manager, campaign, name="新名称").name == "新名称"
    assert not AuditEvent.objects.filter(action="sales.campaign_edit").exclude(summary__after__name="新名称").exists()


def test_edit_stale_version_roles_and_scope(world, campaign):
    with pytest.raises(StaleVersion):
        _edit(world.manager, campaign, name="甲", version=ver(campaign) + 1)
    assert Campaign.objects.get(pk=campaign.pk).name == "春季理财"
    with pytest.raises(RoleRefused):  # an RM holds a list entry (reads the campaign) but may not change it
        _edit(world.rm, campaign, name="乙")
    with pytest.raises(PermissionDenied):  # the team lead reads it (a list in the team), it is not theirs
        _edit(world.lead, campaign, name="乙")
    from django.http import Http404

    with pytest.raises(Http404):  # another sub-branch's lead does not see it
        _edit(world.lead2, campaign, name="乙")


# --- campaign cancel ----------------------------------------------------------------------------------------


def test_cancel_keeps_quotas_and_results_cancels_open_tasks_and_tells_people(
    world, campaign, products, django_capture_on_commit_callbacks
):
    targets = {t.rm_id: t for t in CampaignTarget.objects.filter(campaign=campaign)}
    worked = targets[world.rm.pk]
    services.record_result(world.rm, worked.pk, status="interested", version=ver(worked))
    open_task = services.assign_task(
        world.lead,
        assignee_id=world.rm.pk,
        title="活动任务",
        due_on=TODAY() + timedelta(days=5),
        campaign_id=campaign.pk,
        target_count=3,
    )
    other_task = services.assign_task(
        world.lead, assignee_id=world.rm.pk, title="其他任务", due_on=TODAY() + timedelta(days=5), target_count=1
    )
    quotas_before = list(Quota.objects.filter(campaign=campaign).values_list("pk", "target_count", "target_amount"))
    with pytest.raises(ValidationError) as exc:
        services.cancel_campaign(world.manager, campaign.pk, version=ver(campaign), reason="  ")
    assert set(exc.value.message_dict) == {"reason"}
    with pytest.raises(StaleVersion):
        services.cancel_campaign(world.manager, campaign.pk, version=ver(campaign) + 1, reason="预算调整")
    assert Campaign.objects.get(pk=campaign.pk).status == "active"

    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_campaign(world.manager, campaign.pk, version=ver(campaign), reason="预算调整")
    c = Campaign.objects.get(pk=campaign.pk)
    assert (c.status, c.cancel_reason, c.version) == ("cancelled", "预算调整", 2) and c.cancelled_at
    assert list(Quota.objects.filter(campaign=campaign).values_list("pk", "target_count", "target_amount")) == (
        quotas_before
    )
    assert MarketingTask.objects.get(pk=open_task.pk).status == "cancelled"
    assert MarketingTask.objects.get(pk=other_task.pk).status == "open"
    assert CampaignTarget.objects.get(pk=worked.pk).status == "interested"  # recorded results stay
    told = set(Notification.objects.filter(kind="sales.campaign").values_list("recipient__username", flat=True))
    assert told == {"rm", "rm_b"}
    event = AuditEvent.objects.get(action="sales.campaign_cancel", object_id=str(campaign.pk))
    assert event.summary["after"] == {
        "status": "cancelled",
        "reason": "预算调整",
        "tasks": 1,
        "pending": 1,
    }
    # after the cancel: no more results, no more edits, no second cancel
    pending = targets[world.rm_b.pk]
    with pytest.raises(ValidationError) as exc:
        services.record_result(world.rm_b, pending.pk, status="contacted", version=ver(pending))
    assert set(exc.value.message_dict) == {"status"}
    with pytest.raises(ValidationError) as exc:
        _edit(world.manager, campaign, name="再改")
    assert set(exc.value.message_dict) == {"status"}
    with pytest.raises(ValidationError):
        services.cancel_campaign(world.manager, campaign.pk, version=ver(campaign), reason="再取消")
    with pytest.raises(ValidationError) as exc:
        services.assign_task(
            world.lead, assignee_id=world.rm.pk, title="迟到", due_on=TODAY(), campaign_id=campaign.pk, target_count=1
        )
    assert set(exc.value.message_dict) == {"campaign_id"}


def test_cancelled_campaign_leaves_the_rms_home_list(client, world, campaign):
    client.force_login(world.rm_b)
    assert "春季理财" in client.get("/").content.decode()
    services.cancel_campaign(world.manager, campaign.pk, version=ver(campaign), reason="预算调整")
    assert "春季理财" not in client.get("/").content.decode()


def test_edit_and_cancel_pages(client, world, campaign, products):
    client.force_login(world.manager)
    page = client.get(f"/sales/campaigns/{campaign.pk}/")
    assert f"/sales/campaigns/{campaign.pk}/edit/" in page.content.decode()
    form = client.get(f"/sales/campaigns/{campaign.pk}/edit/")
    assert form.status_code == 200 and 'data-testid="campaign-cancel-form"' in form.content.decode()
    data = {
        "version": 1,
        "name": "春季理财",
        "ends_on": (campaign.starts_on - timedelta(days=1)).isoformat(),
        "products": [products["WM-STABLE"].pk],
        "script": "",
        "target_count": 100,
        "target_amount": "1000000",
    }
    resp = client.post(f"/sales/campaigns/{campaign.pk}/edit/", data)
    assert resp.status_code == 422
    html = resp.content.decode()
    assert re.search(r'id="id_ends_on"[^>]*>\s*<div class="field-error">结束日期不能早于开始日期。', html)
    data["ends_on"] = (TODAY() + timedelta(days=40)).isoformat()
    data["version"] = 7
    resp = client.post(f"/sales/campaigns/{campaign.pk}/edit/", data)
    assert resp.status_code == 409 and "该记录已被他人修改" in resp.content.decode()
    data["version"] = 1
    assert client.post(f"/sales/campaigns/{campaign.pk}/edit/", data).status_code == 302
    assert Campaign.objects.get(pk=campaign.pk).ends_on == TODAY() + timedelta(days=40)
    resp = client.post(f"/sales/campaigns/{campaign.pk}/cancel/", {"version": 2, "reason": ""})
    assert resp.status_code == 422 and Campaign.objects.get(pk=campaign.pk).status == "active"
    resp = client.post(f"/sales/campaigns/{campaign.pk}/cancel/", {"version": 2, "reason": "客群调整"})
    assert resp.status_code == 302 and Campaign.objects.get(pk=campaign.pk).status == "cancelled"
    assert "客群调整" in client.get(f"/sales/campaigns/{campaign.pk}/").content.decode()


def test_edit_and_cancel_api(world, campaign, products, api_client):
    api = api_client(world.manager)
    body = {
        "version": 1,
        "name": "春季理财",
        "ends_on": (campaign.starts_on - timedelta(days=1)).isoformat(),
        "product_ids": [products["WM-STABLE"].pk],
        "target_count": 100,
        "target_amount": "1000000",
    }
    resp = api.put(f"/api/sales/campaigns/{campaign.pk}", body, content_type="application/json")
    assert resp.status_code == 422
    assert [d["loc"] for d in resp.json()["detail"]] == [["body", "ends_on"]]
    body["ends_on"] = (TODAY() + timedelta(days=10)).isoformat()
    resp = api.put(f"/api/sales/campaigns/{campaign.pk}", body, content_type="application/json")
    assert resp.status_code == 200 and resp.json()["version"] == 2
    resp = api.put(f"/api/sales/campaigns/{campaign.pk}", body, content_type="application/json")
    assert resp.status_code == 409
    resp = api.post(
        f"/api/sales/campaigns/{campaign.pk}/cancel", {"version": 2, "reason": ""}, content_type="application/json"
    )
    assert resp.status_code == 422 and resp.json()["detail"][0]["loc"] == ["body", "reason"]
    resp = api.post(
        f"/api/sales/campaigns/{campaign.pk}/cancel", {"version": 2, "reason": "预算"}, content_type="application/json"
    )
    assert resp.status_code == 200
    assert (resp.json()["status"], resp.json()["cancel_reason"]) == ("cancelled", "预算")


# --- referrals by someone without the referrer role ---------------------------------------------------------


def test_a_non_referrer_gets_a_field_error_in_the_api_and_the_page(client, world, make_customer, api_client):
    customer = make_customer(world.rm)
    for user in (world.rm_b, world.lead, world.compliance):
        resp = api_client(user).post(
            "/api/sales/referrals",
            {"customer_no": customer.customer_no, "need": "理财"},
            content_type="application/json",
        )
        assert resp.status_code == 422, user.username
        assert resp.json()["detail"][0]["loc"] == ["body", "referrer"]
        assert "只有大堂经理或柜员" in resp.json()["detail"][0]["msg"]
    client.force_login(world.rm_b)
    resp = client.post("/sales/referrals/", {"customer_no": customer.customer_no, "need": "理财"})
    assert resp.status_code == 422
    html = resp.content.decode()
    assert re.search(r'id="id_referrer"[^>]*>\s*<div class="field-error">只有大堂经理或柜员', html)
    resp = client.post("/sales/referrals/", {"customer_no": "", "need": ""})  # invalid form: still named
    assert resp.status_code == 422 and "只有大堂经理或柜员" in resp.content.decode()
    assert not Referral.objects.exists()
    # the referrer still refers through the same door
    resp = api_client(world.referrer).post(
        "/api/sales/referrals", {"customer_no": customer.customer_no, "need": "理财"}, content_type="application/json"
    )
    assert resp.status_code == 201 and Referral.objects.count() == 1


# --- funnel drill-down ----------------------------------------------------------------------------------------


@pytest.fixture
def pipeline(world, make_customer, products, stages, lost):
    def make(rm, path):
        customer = make_customer(rm)
        opp = services.create_opportunity(rm, customer_id=customer.pk, product_id=products["DEP-FIX1Y"].pk)
        for code in path:
            extra = {"lost_reason_id": lost["price"].pk} if code == "lost" else {}
            services.move_opportunity(
                rm,
                opp.pk,
                stage_id=stages[code].pk,
                version=ver(opp),
                amount=Decimal("10000"),
                expected_on=TODAY(),
                **extra,
            )
        return Opportunity.objects.get(pk=opp.pk)

    return {
        "a": make(world.rm, ()),
        "b": make(world.rm, ("contact",)),
        "c": make(world.rm, ("contact", "proposal", "lost")),
        "d": make(world.rm, ("contact", "proposal", "closing", "signed")),
        "e": make(world.rm2, ("signed",)),
    }


def test_drill_down_lists_exactly_the_funnel_figures(world, pipeline, stages):
    everyone = Opportunity.objects.all()
    overall = services.funnel(everyone)[0]
    for level in overall["levels"]:
        members = services.funnel_members(everyone, level["stage"])
        assert members.count() == level["count"], level["stage"].code
    by = lambda stage: {o.pk for o in services.funnel_members(everyone, stages[stage])}  # noqa: E731
    p = pipeline
    assert by("contact") == {p["b"].pk, p["c"].pk, p["d"].pk, p["e"].pk}
    assert by("proposal") == {p["c"].pk, p["d"].pk, p["e"].pk}  # the lost one counts where it got to
    assert by("signed") == {p["d"].pk, p["e"].pk}
    for group in ("rm", "team", "unit"):
        for g in services.funnel(everyone, group=group):
            for level in g["levels"]:
                got = services.funnel_members(everyone, level["stage"], group=group, key=g["key"]).count()
                assert got == level["count"], (group, g["key"], level["stage"].code)
    rm2 = services.funnel_members(everyone, stages["proposal"], group="rm", key=world.rm2.pk)
    assert [o.pk for o in rm2] == [p["e"].pk]


def test_drill_down_page_in_the_viewers_scope(client, world, pipeline, stages):
    client.force_login(world.manager)  # sub-branch S1: rm's pipeline only
    analysis = client.get("/sales/analysis/").content.decode()
    assert f'href="/sales/analysis/stages/{stages["signed"].pk}/"' in analysis
    html = client.get(f"/sales/analysis/stages/{stages['signed'].pk}/").content.decode()
    shown = set(map(int, re.findall(r'href="/sales/opportunities/(\d+)/"', html)))
    assert shown == {pipeline["d"].pk}
    html = client.get(f"/sales/analysis/stages/{stages['contact'].pk}/?by=rm&key={world.rm.pk}").content.decode()
    shown = set(map(int, re.findall(r'href="/sales/opportunities/(\d+)/"', html)))
    assert shown == {pipeline[k].pk for k in "bcd"}
    # another RM's row of the funnel, out of the manager's scope, lists nothing
    html = client.get(f"/sales/analysis/stages/{stages['contact'].pk}/?by=rm&key={world.rm2.pk}").content.decode()
    assert not re.findall(r'href="/sales/opportunities/(\d+)/"', html)
    assert client.get(f"/sales/analysis/stages/{stages['lost'].pk}/").status_code == 404
    assert client.get("/sales/analysis/stages/99999/").status_code == 404
    assert client.get(f"/sales/analysis/stages/{stages['contact'].pk}/?by=rm&key=x").status_code == 404
    client.force_login(world.rm2)
    html = client.get(f"/sales/analysis/stages/{stages['contact'].pk}/").content.decode()
    assert set(map(int, re.findall(r'href="/sales/opportunities/(\d+)/"', html))) == {pipeline["e"].pk}
    assert visible_opportunities(world.rm2).count() == 1
