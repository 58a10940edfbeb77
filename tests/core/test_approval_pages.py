"""The inbox page (审批中心): decide, return, resubmit and withdraw from the page (SPEC §1)."""

import pytest

from rmdesk.core import approvals
from rmdesk.core.models import ApprovalStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def req(world):
    return approvals.request_approval(
        world.rm, "test.inbox", "分配客户给吴晓东", {"n": 1}, unit=world.t1, reason="新客户"
    )


def test_page_approve(client, world, req):
    client.force_login(world.lead)
    page = client.get("/org/approvals/").content.decode()
    assert "分配客户给吴晓东" in page
    resp = client.post(
        "/org/approvals/", {"request_id": req.pk, "decision": "approve", "comment": "同意", "version": req.version}
    )
    assert resp.status_code == 302
    req.refresh_from_db()
    assert req.status == ApprovalStatus.APPROVED and req.comment == "同意"


def test_page_stale_version_changes_nothing(client, world, req):
    client.force_login(world.lead)
    resp = client.post(
        "/org/approvals/", {"request_id": req.pk, "decision": "approve", "version": req.version + 1}, follow=True
    )
    assert "该记录已被他人修改" in resp.content.decode()
    req.refresh_from_db()
    assert req.status == ApprovalStatus.PENDING


def test_page_refuses_out_of_scope_decision_with_404(client, world, req):
    client.force_login(world.lead2)
    assert (
        client.post(
            "/org/approvals/", {"request_id": req.pk, "decision": "approve", "version": req.version}
        ).status_code
        == 404
    )
    req.refresh_from_db()
    assert req.status == ApprovalStatus.PENDING


def test_page_return_then_maker_resubmits_and_withdraws(client, world, req):
    client.force_login(world.lead)
    client.post(
        "/org/approvals/", {"request_id": req.pk, "decision": "return", "comment": "补材料", "version": req.version}
    )
    req.refresh_from_db()
    assert req.status == ApprovalStatus.RETURNED
    client.force_login(world.rm)
    mine = client.get("/org/approvals/").content.decode()
    assert "补材料" in mine and 'value="resubmit"' in mine
    client.post("/org/approvals/", {"request_id": req.pk, "decision": "resubmit", "version": req.version})
    req.refresh_from_db()
    assert (req.status, req.round) == (ApprovalStatus.PENDING, 2)
    client.post("/org/approvals/", {"request_id": req.pk, "decision": "cancel", "version": req.version})
    req.refresh_from_db()
    assert req.status == ApprovalStatus.CANCELLED


def test_someone_else_cannot_resubmit_or_withdraw(client, world, req):
    client.force_login(world.rm_b)
    assert (
        client.post("/org/approvals/", {"request_id": req.pk, "decision": "cancel", "version": req.version}).status_code
        == 404
    )
    req.refresh_from_db()
    assert req.status == ApprovalStatus.PENDING


def test_header_counter_shows_pending(client, world, req):
    client.force_login(world.lead)
    assert 'data-testid="counter-approvals"' in client.get("/").content.decode()
    client.force_login(world.rm_b)
    assert 'data-testid="counter-approvals"' not in client.get("/").content.decode()


def test_kind_handled_on_its_own_page_is_not_resubmitted_or_withdrawn_in_the_inbox(client, api_client, world):
    from rmdesk.core import hooks

    approvals.register_handler("test.own_page", "测试", maker_acts_in_inbox=False)
    try:
        req = approvals.request_approval(world.rm, "test.own_page", "方案", {}, unit=world.t1)
        approvals.decide(world.lead, req.pk, "return", opinion="改方案")
        req.refresh_from_db()
        client.force_login(world.rm)
        mine = client.get("/org/approvals/").content.decode()
        assert 'value="resubmit"' not in mine and 'value="cancel"' not in mine
        assert (
            client.post(
                "/org/approvals/", {"request_id": req.pk, "decision": "resubmit", "version": req.version}
            ).status_code
            == 404
        )
        assert (
            api_client(world.rm)
            .post(f"/api/org/approvals/{req.pk}/resubmit", {"version": req.version}, content_type="application/json")
            .status_code
            == 404
        )
        assert (
            api_client(world.rm)
            .post(f"/api/org/approvals/{req.pk}/cancel", {"version": req.version}, content_type="application/json")
            .status_code
            == 404
        )
        req.refresh_from_db()
        assert req.status == ApprovalStatus.RETURNED
    finally:
        hooks.unregister(hooks.ApprovalHandler, "test.own_page")
