"""Investigation visits are interactions of the work app linked to the application (SPEC §6, issue 12):
linked from daily work or recorded from the application page through work's own service (its rules
hold: two staff on site), shown on the application, in the approval view and on the printed sheet;
refused with a field-named error and nothing written when the visit is not an investigation visit."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from rmdesk.core.models import AuditEvent
from rmdesk.credit import services
from rmdesk.credit.models import InvestigationVisit
from rmdesk.work import services as work
from rmdesk.work.models import Interaction

from .conftest import complete, ver

pytestmark = pytest.mark.django_db


def visit(actor, customer, *, kind="visit", companions=(), minutes_ago=60, purpose="贷前走访"):
    return work.record_interaction(
        actor,
        customer.pk,
        kind=kind,
        occurred_at=timezone.now() - timedelta(minutes=minutes_ago),
        purpose=purpose,
        content="实地查看经营场所",
        companions=list(companions),
    )


@pytest.fixture(autouse=True)
def _only_the_work_apps_own_contact_rules():
    """Other apps may add rules to recording a contact (core.hooks.InteractionGuard, e.g. compliance's
    approved special-service request for a door-to-door visit, tested in that app); these tests are
    about the credit link, so they run with the work app's own rules only."""
    from rmdesk.core import hooks

    kind = getattr(hooks, "InteractionGuard", None)
    saved = list(hooks.registered(kind)) if kind else []
    for guard in saved:
        hooks.unregister(kind, guard.key)
    yield
    for guard in saved:
        hooks.register(guard)


@pytest.fixture
def app(world, make_application):
    return make_application()


def test_an_investigator_links_a_visit_recorded_in_daily_work(world, app):
    inter = visit(world.rm, app.customer, companions=[world.rm_b])
    before = ver(app)
    linked = services.link_visit(world.rm, app.pk, interaction_id=inter.pk)
    assert linked.interaction == inter and linked.linked_by == world.rm
    assert [v.interaction_id for v in services.visits_of(app)] == [inter.pk]
    assert ver(app) == before + 1
    assert AuditEvent.objects.filter(action="credit.visit_link").count() == 1
    with pytest.raises(ValidationError) as err:  # once per application
        services.link_visit(world.rm, app.pk, interaction_id=inter.pk)
    assert set(err.value.message_dict) == {"interaction_id"}


def test_a_phone_call_or_another_customers_visit_is_no_investigation_visit(world, app, make_customer):
    phone = visit(world.rm, app.customer, kind="phone")
    other = visit(world.rm, make_customer(world.rm), companions=[world.rm_b])
    for inter, words in ((phone, "电话"), (other, "借款人")):
        with pytest.raises(ValidationError) as err:
            services.link_visit(world.rm, app.pk, interaction_id=inter.pk)
        assert words in err.value.message_dict["interaction_id"][0]
    assert not InvestigationVisit.objects.exists()


def test_a_guarantors_visit_counts_when_the_guarantor_has_an_archive(world, app, make_customer):
    guarantor = make_customer(world.rm, name="担保企业")
    services.add_guarantor(world.rm, app.pk, customer_id=guarantor.pk, relation="关联企业", amount=100000)
    inter = visit(world.rm, guarantor, companions=[world.rm_b])
    services.link_visit(world.rm, app.pk, interaction_id=inter.pk)
    assert app.visits.get().interaction.customer == guarantor


def test_recording_a_visit_from_the_application_uses_the_work_apps_rules(world, app):
    # on site needs two staff (work's rule): refused, and nothing written in either app
    with pytest.raises(ValidationError) as err:
        services.record_visit(
            world.rm, app.pk, occurred_at=timezone.now() - timedelta(hours=1), content="查看了工厂", place="厂区"
        )
    assert "companions" in err.value.message_dict
    assert not Interaction.objects.exists() and not InvestigationVisit.objects.exists()
    linked = services.record_visit(
        world.rm,
        app.pk,
        occurred_at=timezone.now() - timedelta(hours=1),
        content="查看了工厂，产能饱满",
        place="厂区",
        companion_ids=[world.rm_b.pk],
    )
    inter = linked.interaction
    assert inter.kind == "visit" and inter.recorded_by == world.rm and inter.door_to_door
    assert list(inter.companions.all()) == [world.rm_b]
    assert inter.purpose == f"授信调查：申请 #{app.pk}" and inter.customer == app.customer
    # the visit is in daily work too: the customer's cadence row restarted from it
    assert AuditEvent.objects.filter(action="work.interaction_recorded").count() == 1


def test_only_investigators_link_and_only_while_investigating(world, app, submitted):
    inter = visit(world.rm, app.customer, companions=[world.rm_b])
    with pytest.raises(PermissionDenied):
        services.link_visit(world.lead, app.pk, interaction_id=inter.pk)  # the team lead did not investigate
    other = visit(world.rm, submitted.customer, companions=[world.rm_b])
    with pytest.raises(ValidationError) as err:
        services.link_visit(world.rm, submitted.pk, interaction_id=other.pk)  # in review: nothing changes
    assert "status" in err.value.message_dict
    assert not InvestigationVisit.objects.exists()


def test_unlinking_keeps_the_interaction(world, app):
    linked = services.link_visit(
        world.rm, app.pk, interaction_id=visit(world.rm, app.customer, companions=[world.rm_b]).pk
    )
    services.unlink_visit(world.rm, app.pk, visit_id=linked.pk)
    assert not InvestigationVisit.objects.exists() and Interaction.objects.count() == 1
    with pytest.raises(ValidationError):
        services.unlink_visit(world.rm, app.pk, visit_id=linked.pk)


def test_visits_show_on_the_application_the_approval_view_and_the_sheet(world, make_application, client, risk_b):
    app = make_application()
    services.link_visit(
        world.rm, app.pk, interaction_id=visit(world.rm, app.customer, companions=[world.rm_b], purpose="走访").pk
    )
    app = complete(app, by=world.rm)
    services.submit(world.rm, app.pk, version=ver(app))
    client.force_login(world.risk)  # the 审查 decider reads the application as the approval view
    html = client.get(f"/credit/{app.pk}/").content.decode()
    assert "实地查看经营场所" in html and 'data-testid="credit-decide"' in html
    sheet = client.get(f"/credit/{app.pk}/print/").content.decode()
    assert "调查走访" in sheet and "实地查看经营场所" in sheet


def test_the_page_links_and_records_visits_with_errors_next_to_the_fields(world, app, client):
    client.force_login(world.rm)
    inter = visit(world.rm, app.customer, companions=[world.rm_b])
    page = client.get(f"/credit/{app.pk}/").content.decode()
    assert f'<option value="{inter.pk}">' in page
    resp = client.post(f"/credit/{app.pk}/act/link_visit/", {"interaction_id": inter.pk})
    assert resp.status_code == 302 and app.visits.count() == 1
    resp = client.post(f"/credit/{app.pk}/act/record_visit/", {"occurred_at": "不是时间", "content": "x"})
    assert resp.status_code == 422 and "请输入有效的日期时间。" in resp.content.decode()
    when = (timezone.localtime() - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    resp = client.post(f"/credit/{app.pk}/act/record_visit/", {"occurred_at": when, "content": "看了仓库"})
    assert resp.status_code == 422 and "上门服务须有两名员工在场" in resp.content.decode()
    resp = client.post(
        f"/credit/{app.pk}/act/record_visit/",
        {"occurred_at": when, "content": "看了仓库", "companions": [world.rm_b.pk]},
    )
    assert resp.status_code == 302 and app.visits.count() == 2


def test_visits_through_the_api(world, app, api_client):
    rm = api_client(world.rm)
    inter = visit(world.rm, app.customer, companions=[world.rm_b])
    resp = rm.post(
        f"/api/credit/applications/{app.pk}/visits", {"interaction_id": inter.pk}, content_type="application/json"
    )
    assert resp.status_code == 201 and resp.json()["interaction_id"] == inter.pk
    resp = rm.post(
        f"/api/credit/applications/{app.pk}/visits/record",
        {"occurred_at": (timezone.now() - timedelta(hours=1)).isoformat(), "content": "走访", "companion_ids": []},
        content_type="application/json",
    )
    assert resp.status_code == 422 and "companions" in str(resp.json())
    detail = rm.get(f"/api/credit/applications/{app.pk}").json()
    assert [v["interaction_id"] for v in detail["visits"]] == [inter.pk]
    visit_id = detail["visits"][0]["id"]
    assert rm.delete(f"/api/credit/applications/{app.pk}/visits/{visit_id}").status_code == 204
    assert rm.get(f"/api/credit/applications/{app.pk}/visits").json() == []


def test_a_visit_time_outside_the_calendar_is_a_field_error(world, app, api_client):
    resp = api_client(world.rm).post(
        f"/api/credit/applications/{app.pk}/visits/record",
        {"occurred_at": "0249-05-18T13:28:53Z", "content": "走访", "special_service_id": 255},
        content_type="application/json",
    )
    assert resp.status_code == 422 and "occurred_at" in str(resp.json())
    assert not Interaction.objects.exists()
