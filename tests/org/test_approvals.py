"""The maker-checker inbox, page and API (SPEC §1)."""
import pytest

from rmdesk.org import services
from rmdesk.org.models import ApprovalStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def req(world):
    return services.request_approval(world.rm, "test.inbox", "分配客户给吴晓东", {"n": 1}, unit=world.t1, reason="新客户")


def test_inbox_lists_only_requests_in_scope_and_not_own(world, req):
    assert [r.pk for r in services.pending_approvals_for(world.lead)] == [req.pk]
    assert [r.pk for r in services.pending_approvals_for(world.manager)] == [req.pk]
    assert services.pending_approvals_for(world.lead2) == []
    assert list(services.pending_approvals_for(world.rm)) == []
    own = services.request_approval(world.lead, "test.inbox", "自己的", {}, unit=world.t1)
    assert own.pk not in [r.pk for r in services.pending_approvals_for(world.lead)]


def test_page_approve(client, world, req):
    client.force_login(world.lead)
    page = client.get("/org/approvals/")
    assert "分配客户给吴晓东" in page.content.decode()
    resp = client.post("/org/approvals/", {"request_id": req.pk, "decision": "approve", "comment": "同意"})
    assert resp.status_code == 302
    req.refresh_from_db()
    assert req.status == ApprovalStatus.APPROVED and req.comment == "同意"


def test_page_refuses_out_of_scope_decision_with_404(client, world, req):
    client.force_login(world.lead2)
    assert client.post("/org/approvals/", {"request_id": req.pk, "decision": "approve"}).status_code == 404
    req.refresh_from_db()
    assert req.status == ApprovalStatus.PENDING


def test_api_decide_and_self_approval_is_invisible(api_client, world, req):
    assert api_client(world.rm).post(f"/api/org/approvals/{req.pk}/decision", {"approve": True},
                                     content_type="application/json").status_code == 404
    lead = api_client(world.lead)
    assert [r["id"] for r in lead.get("/api/org/approvals").json()] == [req.pk]
    resp = lead.post(f"/api/org/approvals/{req.pk}/decision", {"approve": False, "comment": "材料不全"},
                     content_type="application/json")
    assert resp.status_code == 200 and resp.json()["status"] == "rejected"
    bad = lead.post(f"/api/org/approvals/{req.pk}/decision", {"comment": "x"}, content_type="application/json")
    assert bad.status_code in (404, 422)


def test_header_counter_shows_pending(client, world, req):
    client.force_login(world.lead)
    assert 'data-testid="counter-approvals"' in client.get("/").content.decode()
    client.force_login(world.rm_b)
    assert 'data-testid="counter-approvals"' not in client.get("/").content.decode()
